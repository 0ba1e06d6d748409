"""``analyze --sweep learning_rate=0.1,0.3,1 l2=0,0.001``: one run per combination of the values
(cartesian), on data loaded once; each run is a whole ``analyze`` in ``OUT/run-NN`` and a row
of the run history; ``OUT/report.json`` holds the summary table.

Stopping (``should_stop``, the CLI's first Ctrl-C) ends the sweep cleanly: the run in progress
is abandoned (``Cancelled``), the runs already done keep their folders and history rows, and
the summary is still written, with ``"stopped": true``.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from ..errors import Cancelled, ReprvizError
from ..model import preset_table
from ..progress import ProgressFn, StopFn, report
from .report import AnalyzeOptions, _check_options, analyze_dataset, load_data
from .writers import _jsonable, write_json

# AnalyzeOptions' own fields for the table's training fields
_TRAINING_OPTIONS = {"epochs": "epochs", "batch_size": "batch_size",
                     "validation_split": "validation_split", "seed": "seed"}


def parse_grid(items: list[str] | str) -> dict[str, list]:
    """``["learning_rate=0.1,0.3", "l2=0,0.001"]`` (or the same as one string) -> {key:
    [values]}, each value checked by its field of the preset table; ``ValueError`` with a
    one-line reason. Widths lists are separated by '/': ``hidden=256-144/128``."""
    if isinstance(items, str):
        items = items.split()
    grid: dict[str, list] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip().lstrip("-").replace("-", "_")
        if not sep or not text.strip():
            raise ValueError(f"expected KEY=V1,V2,..., not {item!r}")
        if key not in preset_table.FIELDS:
            raise ValueError(f"unknown setting {key!r}; choose from "
                             f"{', '.join(preset_table.FIELDS)}")
        if key in grid:
            raise ValueError(f"{key} is given twice")
        f = preset_table.FIELDS[key]
        values = []
        for part in (text.split("/") if f.kind == "widths" else text.split(",")):
            try:
                values.append(f.parse(part))
            except ValueError as err:
                raise ValueError(f"{key}: {err}") from None
        grid[key] = values
    if not grid:
        raise ValueError("give at least one KEY=V1,V2,...")
    return grid


def split_combo(combo: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model fields, optimizer and training fields) of one combination."""
    model = {k: v for k, v in combo.items() if preset_table.FIELDS[k].target == "model"}
    return model, {k: v for k, v in combo.items() if k not in model}


def combinations(grid: dict[str, list]) -> list[dict[str, Any]]:
    """Every combination, the last key varying fastest: {lr: [a, b], l2: [0, 1]} ->
    (a, 0), (a, 1), (b, 0), (b, 1)."""
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def options_for(opts: AnalyzeOptions, combo: dict[str, Any], out: Path) -> AnalyzeOptions:
    """The options of one run: the swept values over the command line's."""
    model = dict(opts.model_settings)
    training: dict[str, Any] = {}
    for key, value in combo.items():
        if key in _TRAINING_OPTIONS:
            training[_TRAINING_OPTIONS[key]] = value
        else:
            model[key] = value
    return replace(opts, out=out, model_settings=model, **training)


def _row(index: int, combo: dict[str, Any], result: dict) -> dict[str, Any]:
    hist = result["training"].get("history") or {}

    def last(key: str) -> Optional[float]:
        values = hist.get(key) or []
        return values[-1] if values else None

    acc = result.get("accuracy") or {}
    return {"run": index, "settings": combo, "folder": f"run-{index:02d}",
            "epochs_done": result["training"]["epochs_done"],
            "loss": last("loss"), "val_loss": last("val_loss"),
            "train_accuracy": acc.get("train"), "val_accuracy": acc.get("validation"),
            "test_accuracy": acc.get("test"),
            "history_id": (result.get("run_history") or {}).get("id")}


def run_sweep(opts: AnalyzeOptions, grid: dict[str, list],
              on_progress: ProgressFn | None = None, should_stop: StopFn | None = None,
              on_run: Any = None) -> dict:
    """Run every combination; returns (and writes to ``opts.out/report.json``) the summary.
    ``on_run(row)`` is called after each finished run."""
    for key in grid:
        if key not in preset_table.FIELDS:
            raise ReprvizError(f"--sweep: unknown setting {key!r}")
    if opts.save_model is not None:
        raise ReprvizError("--save-model cannot be combined with --sweep (every run would "
                           "overwrite the same file)")
    started = time.perf_counter()
    _check_options(opts)
    out = Path(opts.out)
    combos = combinations(grid)
    notes: list[str] = []
    dataset = load_data(opts, notes, on_progress, should_stop)
    rows: list[dict[str, Any]] = []
    stopped = False
    for index, combo in enumerate(combos, start=1):
        if should_stop is not None and should_stop():
            stopped = True
            break
        described = ", ".join(f"{k} {preset_table.format_value(k, v)}" for k, v in combo.items())
        report(on_progress, "sweep", (index - 1) / len(combos),
               f"Run {index}/{len(combos)}: {described}", None, run=index, runs=len(combos))
        run_opts = options_for(opts, combo, out / f"run-{index:02d}")
        try:
            _check_options(run_opts)  # creates the run's folder
            result = analyze_dataset(run_opts, dataset, list(notes), on_progress, should_stop)
        except Cancelled:
            stopped = True
            break
        row = _row(index, combo, result)
        rows.append(row)
        if on_run is not None:
            on_run(row)
        if result["training"].get("stopped"):
            stopped = True
            break
    from ... import __version__

    summary = _jsonable({
        "reprviz_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": {k: _jsonable(v) for k, v in asdict(opts).items()},
        "dataset": {"name": dataset.name, "source": str(opts.data)},
        "sweep": {"grid": grid, "planned": len(combos), "completed": len(rows),
                  "stopped": stopped, "runs": rows},
        "notes": notes,
        "seconds": round(time.perf_counter() - started, 3),
    })
    write_json(out / "report.json", summary)
    return summary


def summary_table(summary: dict) -> list[str]:
    """The sweep's table as text lines (one row per finished run)."""
    sweep = summary["sweep"]
    keys = list(sweep["grid"])
    head = ["run", *keys, "epochs", "loss", "val_loss", "val_acc", "test_acc"]
    body = []
    for row in sweep["runs"]:
        body.append([row["folder"], *(preset_table.format_value(k, row["settings"][k])
                                      for k in keys), str(row["epochs_done"]),
                     *(f"{v:.4f}" if isinstance(v, (int, float)) else "-"
                       for v in (row["loss"], row["val_loss"], row["val_accuracy"],
                                 row["test_accuracy"]))])
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body)]
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(r, widths)) for r in [head, *body]]
    end = (f"stopped: {sweep['completed']} of {sweep['planned']} runs done"
           if sweep["stopped"] else f"{sweep['completed']} runs")
    return lines + [end]
