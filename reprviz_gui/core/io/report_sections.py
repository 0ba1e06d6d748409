"""Parts of ``report.json`` that ``analyze`` adds for word tables, the sample preview, and the
run-history row of a training run. Kept apart so core/io/report.py stays the pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..analysis.analogies import table_offsets
from ..analysis.words import all_nearest_neighbours, group_similarity_summary, \
    nearest_by_group, word_table
from ..data.samples import decode_tokens
from ..data.types import Dataset
from ..progress import ProgressFn, StopFn

if TYPE_CHECKING:  # pragma: no cover
    from ..data.samples import SampleSet
    from ..model.presets import ModelConfig
    from ..model.training import Evaluation, TrainConfig, TrainResult

NEIGHBOURS_K = 5
PREVIEW_SAMPLES = 10


def word_sections(dataset: Dataset, rows: Optional[np.ndarray] = None,
                  on_progress: ProgressFn | None = None, should_stop: StopFn | None = None
                  ) -> tuple[dict, list[dict], Optional[dict], list[str]]:
    """``(word_table, nearest_neighbours, analogies, notes)`` of a word table.

    ``word_table``: the nearest target of each query word (capital → country).
    ``nearest_neighbours``: for each word in ``rows`` (default all), in table order, its 5
    nearest words among all words, with cosines. ``analogies``: ``OffsetAnalysis.summary()``
    (``pairs``, ``correct``, ``mean_offset_cosine``, ...) or None when the table has no pairs
    of kinds.
    """
    table = word_table(dataset)
    notes: list[str] = []
    n = len(table.words)
    if rows is not None and len(rows) >= n:
        rows = None  # every word, in table order
    neighbours = all_nearest_neighbours(table.vectors, table.words, NEIGHBOURS_K,
                                        rows=None if rows is None else sorted(int(r) for r in rows),
                                        on_progress=on_progress, should_stop=should_stop)
    if rows is not None and len(rows) < n:
        notes.append(f"nearest_neighbours lists the {len(rows):,} selected words (of {n:,}); "
                     f"their neighbours are searched among all words.")
    if table.query_kind is None:
        return ({"note": "The table has a single kind of word; nothing to pair up."},
                neighbours, None, notes)
    query, target = table.query_kind, table.target_kind
    groups = list(table.groups) if table.groups is not None else None
    near = nearest_by_group(table.vectors, table.words, table.kinds, query, target, groups=groups)
    info: dict[str, Any] = {"query_kind": query, "target_kind": target, "nearest": near,
                            "queries": len(near)}
    analogies = None
    if groups is not None:
        info["own_matches"] = int(sum(bool(r["own"]) for r in near))
        info.update({k: v for k, v in group_similarity_summary(
            table.vectors, table.kinds, groups, query, target).items() if k.startswith("mean")})
        offsets = table_offsets(table, on_progress, should_stop)
        if offsets is not None:
            analogies = offsets.summary()
            notes.extend(offsets.notes)
    return info, neighbours, analogies, notes


def word_arrows(dataset: Dataset, rows: np.ndarray) -> Optional[list[tuple[int, int]]]:
    """The map's arrows of a word table (each pair's source word → its target: capital →
    country) as positions in ``rows`` (the selected test rows); None without pairs."""
    from ..analysis.analogies import find_pairs

    if dataset.words is None:
        return None
    table = word_table(dataset)
    if table.query_kind is None or table.target_kind is None or table.groups is None:
        return None
    pairs, _ = find_pairs(table.words, table.kinds, table.groups, table.query_kind,
                          table.target_kind)
    at = {int(r): k for k, r in enumerate(rows)}
    return [(at[p.source_row], at[p.target_row]) for p in pairs
            if p.source_row in at and p.target_row in at] or None


TYPICAL_K = 8  # the Typical inputs view's default k


def typical_section(evaluation: Optional["Evaluation"], class_names: list[str],
                    k: int = TYPICAL_K) -> Optional[dict]:
    """Per class, the test samples most typical of it and the most confidently wrong ones, as
    the *Typical inputs* view shows them (the same ``typical_inputs`` on the same
    probabilities): ``{class: {"typical": [{"index", "p"}], "wrong": [{"index", "p",
    "true"}]}}``."""
    from ..analysis.typical import typical_inputs

    if evaluation is None or getattr(evaluation, "split", "test") != "test":
        return None
    out = {}
    for c in typical_inputs(evaluation.probabilities, evaluation.labels, k, class_names):
        out[c.class_name] = {
            "typical": [{"index": int(i), "p": float(p)}
                        for i, p in zip(c.typical, c.typical_probabilities)],
            "wrong": [{"index": int(i), "p": float(p), "true": class_names[int(t)]}
                      for i, p, t in zip(c.wrong, c.wrong_probabilities, c.wrong_labels)]}
    return out


def samples_preview(dataset: Dataset, samples: "SampleSet", predictions: Optional[np.ndarray],
                    n: int = PREVIEW_SAMPLES) -> list[dict]:
    """The first ``n`` selected samples: test index, true and predicted class (id and name;
    prediction null without a model), the word of a word table, the review as words for text
    (what the model reads: the last ``maxlen`` tokens; ``truncated`` when its start was cut)."""
    names = [str(c) for c in dataset.class_names]
    x, _ = dataset.split(samples.split)
    out = []
    for row in range(min(n, samples.n)):
        index = int(samples.indices[row])
        label = int(samples.labels[row])
        entry: dict[str, Any] = {"row": row, "index": index, "label": names[label],
                                 "label_id": label, "prediction": None, "prediction_id": None}
        if predictions is not None and int(predictions[row]) >= 0:
            p = int(predictions[row])
            entry.update(prediction=names[p] if p < len(names) else str(p), prediction_id=p)
        if dataset.words is not None and samples.split == "test":
            entry["word"] = dataset.words[index]
        if dataset.kind == "sequence":
            tokens = np.asarray(x[index])
            real = tokens[tokens != 0]
            entry["text"] = decode_tokens(tokens, dataset.vocabulary)
            entry["tokens"] = int(len(real))
            entry["truncated"] = bool(len(real) and int(real[0]) != 1)
        out.append(entry)
    return out


def history_row(*, dataset: Dataset, data_source: str, train_config: "TrainConfig",
                result: "TrainResult", evaluation: Optional["Evaluation"],
                config: Optional["ModelConfig"], model_file: Optional[str | Path],
                started: str) -> tuple[Optional[dict], list[str]]:
    """Append ``analyze``'s run to the run history; ``(report entry, notes)``. A history that
    cannot be written is a note, not a failed analysis."""
    from .history import HistoryError, append_run, record_from_run

    record = record_from_run(dataset=dataset.name, data_source=data_source,
                             train_config=train_config, result=result, config=config,
                             model_file=model_file, evaluation=evaluation, source="analyze",
                             started=started)
    try:
        loaded = append_run(record)
    except HistoryError as err:
        return None, [f"The run was not added to the run history: {err}"]
    notes = [loaded.note] if loaded.note else []
    return {"id": record.id, "path": str(loaded.path), "runs": len(loaded.records)}, notes
