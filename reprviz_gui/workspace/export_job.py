"""*File → Export…* as a lane job: a snapshot of what to write (``ExportPlan``, taken in the GUI
thread), then ``export_job(plan)`` writes it on the export lane through the same functions
``analyze`` and ``main.py export`` call (``workspace/exports.py``). No Qt here.

All or nothing: every file is written into a hidden staging folder inside the destination
(``.reprviz-export-XXXXXX``; the same file system, so the final step is renames), and only a
complete export is moved into place. A cancel or an error removes the staging folder, so a
stopped 70,000-sample export leaves no half-written TSV or a bundle without its metadata.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

from ..core.errors import Cancelled, ReprvizError
from ..core.progress import Progress, ProgressFn, StopFn, check_stop, report
from .results import EvaluationResult, LayerResult, ProjectionResult
from .state import Selection

STAGING_PREFIX = ".reprviz-export-"


@dataclass(frozen=True)
class SessionExport:
    """One model's results as they were shown when the user chose Export."""

    sid: str
    layer: Optional[LayerResult]
    projection: Optional[ProjectionResult]
    evaluation: Optional[EvaluationResult]


@dataclass(frozen=True)
class ExportPlan:
    """Everything the export writes, fixed in the GUI thread: results are frozen, so a result
    the workspace replaces meanwhile (a new map, another layer) cannot mix into the files."""

    folder: Path
    sessions: tuple[SessionExport, ...] = ()
    projector: bool = True
    tables: bool = True
    html: bool = True
    binary: bool = False
    selection: Optional[Selection] = None
    history: tuple = ()  # run history records (the tables' runs.csv, the report's table)
    figures: tuple[tuple[str, bytes], ...] = ()  # (file name, bytes) of the views, painted
    report_figures: tuple = ()  # ReportFigure (PNG) of the views for the HTML report
    dataset: str = ""
    model: str = ""  # model A as the report names it
    curves: Optional[Mapping[str, Sequence[float]]] = None

    @property
    def steps(self) -> int:
        return max(1, len(self.sessions) * (self.projector + self.tables)
                   + bool(self.figures) + self.html)


@dataclass(frozen=True)
class ExportOutcome:
    folder: Path
    files: tuple[Path, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


class _Steps:
    """The job's progress over its steps: each step's own fraction scaled into its share."""

    def __init__(self, on_progress: Optional[ProgressFn], steps: int) -> None:
        self.on_progress, self.steps, self.step, self.text = on_progress, steps, 0, ""

    def next(self, text: str) -> None:
        self.text = text
        report(self.on_progress, "export", self.step / self.steps, text)
        self.step += 1

    def within(self, p: Progress) -> None:
        report(self.on_progress, "export", (self.step - 1 + p.fraction) / self.steps,
               p.message or self.text)


class Staging:
    """All-or-nothing writing into one or more destination folders (the window's export and
    ``main.py export``): ``area(folder)`` makes the folder and a hidden staging folder inside it
    (the same file system, so the final step is renames); ``commit(files)`` renames the staged
    files into place; ``discard()`` removes every staging folder and the folders this made."""

    def __init__(self) -> None:
        self._stages: dict[Path, Path] = {}  # destination -> its staging folder
        self._made: list[Path] = []  # folders this made, outermost first

    def area(self, folder: str | Path) -> Path:
        folder = Path(folder).expanduser()
        if folder in self._stages:
            return self._stages[folder]
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ReprvizError(f"Cannot make the folder {folder}: {err.strerror or err}") \
                from None
        self._made.extend(reversed(missing))
        try:
            stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
        except OSError as err:
            self.discard()
            raise ReprvizError(f"Cannot write into {folder}: {err.strerror or err}") from None
        self._stages[folder] = stage
        return stage

    def commit(self, written: Sequence[Path]) -> list[Path]:
        """Rename every staged file to its place (replacing an older export's)."""
        out = []
        for path in written:
            folder, stage = next((f, s) for f, s in self._stages.items()
                                 if Path(path).is_relative_to(s))
            target = folder / Path(path).relative_to(stage)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            out.append(target)
        for stage in self._stages.values():
            shutil.rmtree(stage, ignore_errors=True)
        return out

    @contextlib.contextmanager
    def guard(self, cannot: str) -> Iterator[None]:
        """Any failure inside discards what was staged; an OSError becomes one clear line,
        ``cannot`` followed by the system's reason."""
        try:
            yield
        except OSError as err:
            self.discard()
            raise ReprvizError(f"{cannot}: {err.strerror or err}") from None
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Remove what a stopped export wrote, and the folders it made (only when empty)."""
        for stage in self._stages.values():
            shutil.rmtree(stage, ignore_errors=True)
        for folder in reversed(self._made):  # innermost first
            try:
                folder.rmdir()
            except OSError:
                pass


def write_export(plan: ExportPlan, on_progress: Optional[ProgressFn] = None,
                 should_stop: Optional[StopFn] = None) -> ExportOutcome:
    """Write ``plan`` into ``plan.folder``; raises ``Cancelled`` (nothing left behind) or
    ``ReprvizError`` (a folder that cannot be made or written)."""
    from .exports import export_html, export_projector, export_tables
    from ..core.io.atomic import atomic_write_bytes

    folder = Path(plan.folder).expanduser()
    staging = Staging()
    stage = staging.area(folder)
    steps = _Steps(on_progress, plan.steps)
    written: list[Path] = []
    notes: list[str] = []
    with staging.guard(f"Cannot write into {folder}"):
        for s in plan.sessions:
            suffix = "" if s.sid == "A" else f"-{s.sid}"
            if plan.projector:
                steps.next(f"Projector bundle{suffix}…")
                if s.layer is None:
                    notes.append(f"No layer shown for model {s.sid}: no projector bundle.")
                else:
                    bundle = export_projector(stage / f"projector{suffix}", s.layer,
                                              binary=plan.binary, on_progress=steps.within,
                                              should_stop=should_stop)
                    written.extend(bundle.files)
                    notes.extend(bundle.notes)
                check_stop(should_stop)
            if plan.tables:
                steps.next(f"Tables{suffix}…")
                out = export_tables(stage, layer=s.layer, projection=s.projection,
                                    evaluation=s.evaluation, selection=plan.selection,
                                    history=plan.history if s.sid == "A" else (),
                                    prefix=f"{s.sid}-" if s.sid != "A" else "",
                                    on_progress=steps.within, should_stop=should_stop)
                written.extend(out.files)
                notes.extend(out.notes)
                check_stop(should_stop)
        if plan.figures:
            steps.next("Figures…")
            for name, data in plan.figures:
                check_stop(should_stop)
                written.append(atomic_write_bytes(stage / name, data))
        if plan.html:
            steps.next("HTML report…")
            first = next((s for s in plan.sessions if s.sid == "A"), None)
            written.append(export_html(
                stage / "report.html", dataset=plan.dataset, model=plan.model,
                layer=first.layer if first else None,
                evaluation=first.evaluation if first else None, curves=plan.curves,
                figures=list(plan.report_figures), history=plan.history))
        check_stop(should_stop)  # the last moment a cancel is honoured: then it is all moved
        report(on_progress, "export", 1.0, "Moving the files into place…")
        files = staging.commit(written)
    return ExportOutcome(folder, tuple(files), tuple(notes))


def export_job(plan: ExportPlan) -> Callable[[ProgressFn, StopFn], Any]:
    """The lane's closure for ``plan``."""

    def run(on_progress: ProgressFn, should_stop: StopFn) -> ExportOutcome:
        return write_export(plan, on_progress, should_stop)

    return run


__all__ = ["Cancelled", "ExportOutcome", "ExportPlan", "SessionExport", "Staging", "export_job",
           "write_export"]
