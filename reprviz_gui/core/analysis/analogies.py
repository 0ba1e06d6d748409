"""Analogies and offsets in a word table: is ``country − capital`` one direction?

For every group with one word of each kind (france: paris → france) the *offset* is
``target − source`` (country − capital). The offsets are consistent when they point the same
way: their mean pairwise cosine. The classic test (Mikolov's 3CosAdd): for every ordered pair of
groups (A, B), A ≠ B, does ``target(A) − source(A) + source(B)`` land nearest ``target(B)``,
searching ALL words of the table other than the three query words?

Per group B, two numbers: how many A get it right (``correct_from`` of ``trials``), and a
*verdict*: B is correct when ``source(B) +`` the mean offset of the OTHER groups lands nearest
``target(B)`` (searching all words other than ``source(B)``). The verdict is what "N of the 24
capitals" counts.

All vectors are taken at unit length (as gensim does); the bundled capitals already are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional, Sequence

import numpy as np

from ..errors import ReprvizError
from ..memory import check_fits
from ..progress import ProgressFn, StopFn, check_stop, report
from .similarity import _as_matrix, _normalised_rows
from .words import WordTable


@dataclass(frozen=True)
class WordPair:
    """One group's two words, with their rows in the table (an arrow from ``source_row`` to
    ``target_row`` on a map is the group's offset)."""

    group: str  # "france"
    source: str  # "paris"
    target: str  # "france"
    source_row: int
    target_row: int


@dataclass(frozen=True)
class AnalogyTrial:
    """``target(A) − source(A) + source(B)``: what it lands nearest."""

    a: int  # index into OffsetAnalysis.pairs
    b: int
    predicted: str  # the nearest word (the three query words left out)
    predicted_row: int
    cosine: float  # cosine of the analogy vector with the predicted word
    expected_cosine: float  # ... with target(B)
    expected_rank: int  # 1 = target(B) is the nearest word
    correct: bool


@dataclass(frozen=True)
class GroupVerdict:
    """One group B: ``correct_from`` of the ``trials`` groups A get it right; ``correct`` when
    ``source(B) +`` the mean offset of the other groups lands nearest ``target(B)``."""

    pair: WordPair
    correct_from: int
    trials: int
    predicted: str  # nearest word to source(B) + mean offset of the others (source(B) left out)
    predicted_row: int
    cosine: float
    correct: bool


@dataclass(frozen=True)
class OffsetAnalysis:
    """Offsets of one pairing of kinds (capital → country) and how well they transfer."""

    source_kind: str
    target_kind: str
    pairs: tuple[WordPair, ...]
    offsets: np.ndarray  # (P, D) float32: unit(target) − unit(source), one row per pair
    offset_cosines: np.ndarray  # (P, P) float32 cosine between offsets
    mean_offset_cosine: Optional[float]  # mean over A ≠ B; None with fewer than 2 pairs
    trials: tuple[AnalogyTrial, ...]  # every ordered (A, B), A ≠ B, A-major
    verdicts: tuple[GroupVerdict, ...]  # one per pair, same order (none below 2 pairs)
    notes: tuple[str, ...] = ()

    @property
    def n_trials(self) -> int:
        return len(self.trials)

    @property
    def n_trials_correct(self) -> int:
        return sum(t.correct for t in self.trials)

    @property
    def n_groups_correct(self) -> int:
        return sum(v.correct for v in self.verdicts)

    def summary(self) -> dict[str, Any]:
        """What report.json's ``analogies`` holds: ``pairs`` (ordered pairs of groups tried),
        ``correct`` (of those), ``mean_offset_cosine``, plus ``groups`` and ``groups_correct``
        (the verdicts) and the two kinds."""
        return {"pairs": self.n_trials, "correct": self.n_trials_correct,
                "mean_offset_cosine": self.mean_offset_cosine,
                "groups": len(self.pairs), "groups_correct": self.n_groups_correct,
                "source_kind": self.source_kind, "target_kind": self.target_kind}


def find_pairs(words: Sequence[str], kinds: Sequence[str], groups: Sequence[str],
               source_kind: str, target_kind: str) -> tuple[list[WordPair], list[str]]:
    """Groups with a word of each kind, in table order of their source word. A group with more
    than one word of a kind uses the first; returns ``(pairs, notes)``."""
    if not (len(words) == len(kinds) == len(groups)):
        raise ReprvizError(f"{len(words)} words but {len(kinds)} kinds and {len(groups)} groups")
    first: dict[tuple[str, str], int] = {}
    extra = 0
    for i, (kind, group) in enumerate(zip(kinds, groups)):
        if kind not in (source_kind, target_kind):
            continue
        if (kind, group) in first:
            extra += 1
        else:
            first[(kind, group)] = i
    pairs = []
    unpaired = 0
    for (kind, group), i in first.items():
        if kind != source_kind:
            continue
        j = first.get((target_kind, group))
        if j is None:
            unpaired += 1
            continue
        pairs.append(WordPair(group, str(words[i]), str(words[j]), i, j))
    notes = []
    if extra:
        notes.append(f"{extra} row(s) repeat a group's {source_kind} or {target_kind}; the first "
                     f"of each is used.")
    if unpaired:
        notes.append(f"{unpaired} {source_kind}(s) have no {target_kind} in their group.")
    return pairs, notes


def analyse_offsets(vectors: Any, words: Sequence[str], pairs: Sequence[WordPair],
                    source_kind: str = "capital", target_kind: str = "country",
                    on_progress: ProgressFn | None = None,
                    should_stop: StopFn | None = None) -> OffsetAnalysis:
    """Offsets, their consistency, every ordered analogy and the per-group verdicts (see the
    module docstring). Candidates are all rows of ``vectors``; a query word is left out by its
    text, so a duplicate row of it is left out too."""
    arr = _as_matrix(vectors, "word vectors")
    words = [str(w) for w in words]
    if len(words) != len(arr):
        raise ReprvizError(f"{len(arr)} vectors but {len(words)} words")
    p, n = len(pairs), len(arr)
    check_fits(p * n * 8 * 2 + p * p * 4, f"analogies of {p:,} pairs over {n:,} words")
    unit = _normalised_rows(arr).astype(np.float64)
    src = np.array([q.source_row for q in pairs], dtype=np.int64)
    tgt = np.array([q.target_row for q in pairs], dtype=np.int64)
    offsets = unit[tgt] - unit[src] if p else np.zeros((0, arr.shape[1]))
    off_unit = _normalised_rows(offsets.astype(np.float32))
    off_cos = np.clip(off_unit @ off_unit.T, -1.0, 1.0).astype(np.float32)
    mean_cos = (float((off_cos.astype(np.float64).sum() - np.trace(off_cos)) / (p * (p - 1)))
                if p >= 2 else None)
    rows_of: dict[str, list[int]] = {}  # a word's rows: a duplicate is left out with it
    for i, w in enumerate(words):
        rows_of.setdefault(w, []).append(i)

    def nearest(v: np.ndarray, leave_out: Sequence[str], expected: int
                ) -> tuple[int, float, float, int]:
        norm = float(np.linalg.norm(v))
        sims = unit @ (v / norm if norm > 0 else v)
        for w in leave_out:
            sims[rows_of[w]] = -np.inf
        best = int(np.argmax(sims))  # ties: the first row
        rank = int((sims > sims[expected]).sum()) + 1
        return best, float(sims[best]), float(sims[expected]), rank

    trials: list[AnalogyTrial] = []
    right = np.zeros(p, dtype=np.int64)
    for a in range(p):
        for b in range(p):
            if a == b:
                continue
            pa, pb = pairs[a], pairs[b]
            best, cos, exp_cos, rank = nearest(offsets[a] + unit[src[b]],
                                               (pa.target, pa.source, pb.source), int(tgt[b]))
            ok = best == tgt[b] or words[best] == pb.target
            right[b] += ok
            trials.append(AnalogyTrial(a, b, words[best], best, cos, exp_cos, rank, bool(ok)))
        check_stop(should_stop)
        report(on_progress, "analyse", (a + 1) / max(p, 1), "Analogies…")
    verdicts: list[GroupVerdict] = []
    total = offsets.sum(axis=0) if p else None
    for b in range(p if p >= 2 else 0):
        pb = pairs[b]
        mean_other = (total - offsets[b]) / (p - 1)
        best, cos, _, _ = nearest(mean_other + unit[src[b]], (pb.source,), int(tgt[b]))
        ok = best == tgt[b] or words[best] == pb.target
        verdicts.append(GroupVerdict(pb, int(right[b]), p - 1, words[best], best, cos, bool(ok)))
    notes = () if p >= 2 else (f"Fewer than two {source_kind} → {target_kind} pairs: no "
                               f"analogies to try.",)
    return OffsetAnalysis(source_kind, target_kind, tuple(pairs), offsets.astype(np.float32),
                          off_cos, mean_cos, tuple(trials), tuple(verdicts), notes)


def table_offsets(table: WordTable, on_progress: ProgressFn | None = None,
                  should_stop: StopFn | None = None) -> Optional[OffsetAnalysis]:
    """``analyse_offsets`` for a ``WordTable``'s own pairing (capital → country); None when the
    table has no two kinds or no group column to pair rows by."""
    if table.query_kind is None or table.target_kind is None or table.groups is None:
        return None
    pairs, notes = find_pairs(table.words, table.kinds, table.groups, table.query_kind,
                              table.target_kind)
    result = analyse_offsets(table.vectors, table.words, pairs, table.query_kind,
                             table.target_kind, on_progress, should_stop)
    if notes:
        result = replace(result, notes=tuple(notes) + result.notes)
    return result
