"""Sessions without a window: ``main.py analyze … --session FILE`` writes one that the window
opens as it is, and ``main.py export SESSION --projector DIR | --csv DIR | --figures DIR |
--html FILE`` writes a session's exports without a display. Extract on a GPU machine, look on a
laptop.

The session ``analyze`` writes holds exactly the keys the window's products ask for (the layer,
its map, the evaluation, under the params ``products.py`` computes), made by the same core
functions, so opening it trains and computes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..core.errors import ReprvizError
from ..core.pipeline import INPUT_LAYER
from .export_job import Staging
from .results import EvaluationResult, LayerResult, ProjectionResult, ResultKey, ResultStore
from .settings import Settings
from .state import NO_MODEL, Selection, Session, TrainingCurves, Workspace


# --- analyze --session ---------------------------------------------------------------------------
def write_analyze_session(path: str | Path, opts: Any, k: dict) -> Path:
    """The session of an ``analyze`` run (``k``: what ``analyze(keep=...)`` filled in)."""
    from . import handles
    from .jobs import evaluation_result
    from .session_io import save_job, snapshot

    dataset, model, step, trained = k["dataset"], k["model"], k["step"], k["trained"]
    samples, layer, proj, method = k["samples"], k["layer"], k["proj"], k["method"]
    epochs = int(trained.training.get("epochs_done", 0))
    if model is None:
        preset, label = NO_MODEL, NO_MODEL
    elif step.file:
        preset, label = "file", Path(step.file).name
    else:
        preset = getattr(step.config, "preset", None) or str(step.spec)
        hidden = getattr(step.config, "hidden", None)
        label = f"{preset} ({'-'.join(str(h) for h in hidden)})" if hidden else preset
    handle = handles.register(model, label) if model is not None else None
    history = {key: tuple(float(v) for v in vals)
               for key, vals in (trained.training.get("history") or {}).items()}
    s = Session("A", preset=preset, params=dict(opts.model_settings), handle=handle, version=1,
                layer=layer.layer if model is not None else INPUT_LAYER, trained_epochs=epochs,
                file=str(step.file or ""),
                curves=TrainingCurves(history, int(trained.training.get("epochs_requested", 0)),
                                      False, bool(trained.training.get("stopped"))))
    if model is not None and getattr(opts, "reduction", None):  # --reduction: kept for the layer
        s.reductions[s.layer] = opts.reduction
    ws = Workspace(source=str(opts.data), dataset=dataset, dataset_id=1, samples=samples,
                   n_samples=int(samples.requested or samples.n), split=samples.split,
                   seed=int(opts.seed), method=method, pca_components=int(opts.pca_components),
                   sessions={"A": s})
    tag = ws.tag(s)
    predict = bool(s.has_model and (s.trained_epochs or s.file))
    layer_params = {"layer": s.layer, "predict": predict}  # products._layer_params
    if s.reductions.get(s.layer):
        layer_params["reduction"] = s.reductions[s.layer]
    preds = layer.predictions if predict else None
    results = [(ResultKey.make("layer", tag, layer_params),
                LayerResult(tag, layer.layer, samples, layer.activations, layer.cosine,
                            layer.centroid_cosine, preds, layer.note,
                            cosine_rows=layer.cosine_rows, reduction=layer.reduction))]
    map_params = {**layer_params, "method": method, "seed": ws.seed}  # products._map_params
    if method == "pca-tsne":
        map_params["pca_components"] = ws.pca_components
    pca = method == "pca-tsne" and proj.pca_explained_variance is not None
    results.append((ResultKey.make("map", tag, map_params), ProjectionResult(
        tag, layer.layer, method, np.asarray(proj.coords, dtype=np.float32), samples, preds,
        proj.explained_variance, note=proj.note,
        pca_components=proj.params.get("pca_components") if pca else None,
        pca_explained_variance=float(proj.pca_explained_variance) if pca else None,
        reduction=layer.reduction)))
    ev = k["evaluation"]
    if ev is not None and predict:
        etag = ws.tag(s, with_samples=False)
        results.append((ResultKey.make("evaluation", etag, {}),
                        evaluation_result(ev, dataset, etag)))
    settings = Settings(source=str(opts.data), preset=preset,
                        model_params=dict(opts.model_settings), seed=int(opts.seed),
                        batch_size=int(opts.batch_size), n_samples=ws.n_samples,
                        validation_split=float(opts.validation_split), split=samples.split,
                        pca_components=int(opts.pca_components))
    settings.method = method
    for key in ("optimizer", "learning_rate", "momentum", "nesterov"):
        if key in opts.model_settings:
            setattr(settings, key, opts.model_settings[key])
    snap = snapshot(ws, settings, ResultStore(), "A", opts.load,
                    history_rows=_history_rows(k.get("run_history")), extra_results=results)
    try:
        return save_job(path, snap)(None, lambda: False)
    finally:
        handles.release(handle)


def _history_rows(entry: Optional[dict]) -> list[dict]:
    if not entry:
        return []
    from ..core.io.history import load_history

    try:
        records = load_history(entry.get("path")).records
    except ReprvizError:
        return []
    return [r.to_json() for r in records if r.id == entry.get("id")]


# --- main.py export ----------------------------------------------------------------------------
@dataclass
class OpenedSession:
    """A session's results rebuilt without a model (no TensorFlow): for exports."""

    plan: Any
    dataset: Any
    samples: Any
    results: dict[tuple[str, str], Any] = field(default_factory=dict)  # (kind, session)
    selection: Selection = field(default_factory=Selection)

    def get(self, kind: str, sid: str = "A") -> Any:
        return self.results.get((kind, sid))


def open_for_export(path: str | Path, trust: bool = False) -> OpenedSession:
    from ..core.data.samples import make_sample_set
    from ..core.data.sources import load_dataset
    from .session_io import read_plan
    from .state import ResultTag

    plan = read_plan(path, trust=trust)
    st = plan.state
    dataset = load_dataset(plan.data_source, plan.load_options)
    if dataset.kind == "image":
        dataset.preprocess = st.preprocess
    samples = make_sample_set(dataset, st.n_samples, st.split, st.seed)
    versions = {m.id: m.version for m in st.models}
    layers = {m.id: m.layer for m in st.models}
    decoded = plan.decode(samples, lambda sid, with_samples: ResultTag(
        0, samples.key if with_samples else "", sid, versions.get(sid, 0)))
    out = OpenedSession(plan, dataset, samples, selection=st.selection_of())
    for key, value in decoded:  # the shown layer, the chosen method's map (not its preview)
        sid = key.tag.session_id
        if key.kind in ("layer", "map") and key.param("layer") not in (layers.get(sid),
                                                                        INPUT_LAYER):
            continue
        if key.kind == "map" and key.param("method") != st.method and \
                (key.kind, sid) in out.results:
            continue
        out.results[(key.kind, sid)] = value
    return out


def export_session(path: str | Path, *, projector: Optional[Path] = None,
                   csv: Optional[Path] = None, figures: Optional[Path] = None,
                   formats: tuple[str, ...] = ("png",), html: Optional[Path] = None,
                   trust: bool = False) -> list[str]:
    """Write what is asked; returns lines for the user (files written, notes). All or nothing,
    as *File → Export…*: every file goes into a staging folder inside its destination and is
    renamed into place once all are written; an error (or Ctrl-C) leaves the destinations as
    they were."""
    from .exports import export_projector, export_tables

    s = open_for_export(path, trust)
    lines: list[str] = []
    layer: Optional[LayerResult] = s.get("layer")
    evaluation: Optional[EvaluationResult] = s.get("evaluation")
    rows = _records(s.plan.history_rows)
    if projector is not None and layer is None:
        raise ReprvizError(f"{Path(path).name} holds no layer's activations to export.")
    staging = Staging()
    written: list[Path] = []
    with staging.guard("Cannot write the export"):
        if projector is not None:
            bundle = export_projector(staging.area(projector), layer)
            written += bundle.files
            lines += [f"wrote {len(bundle.files)} files to {projector}", *bundle.notes]
        if csv is not None:
            out = export_tables(staging.area(csv), layer=layer, projection=s.get("map"),
                                evaluation=evaluation, selection=s.selection, history=rows)
            written += out.files
            lines += [f"wrote {len(out.files)} files to {csv}", *out.notes]
        if figures is not None or html is not None:
            written += _draw(s, staging, figures, formats, html, layer, evaluation, rows, lines)
        staging.commit(written)
    return lines


def _draw(s: OpenedSession, staging: Staging, figures: Optional[Path], formats: tuple[str, ...],
          html: Optional[Path], layer: Optional[LayerResult],
          evaluation: Optional[EvaluationResult], rows: list, lines: list[str]) -> list[Path]:
    """The views drawn offscreen, as figures and/or in the HTML report (staged)."""
    from .exports import export_html

    written: list[Path] = []
    panels = _panels(s)
    try:
        from ..views.export import export_figures, report_figures

        if figures is not None:
            files = export_figures(staging.area(figures), [(n, p) for n, p in panels], formats)
            written += files
            lines.append(f"wrote {len(files)} files to {figures}")
        if html is not None:
            m = next((m for m in s.plan.state.models if m.id == "A"), None)
            written.append(export_html(
                staging.area(Path(html).expanduser().parent) / Path(html).name,
                dataset=s.dataset.name, model=m.label if m else "", layer=layer,
                evaluation=evaluation, curves=m.history if m is not None else None,
                figures=report_figures(panels), history=rows, notes=s.plan.notes))
            lines.append(f"wrote {html}")
    finally:
        for _, p in panels:
            p.close()
            p.deleteLater()
    return written


def _records(rows: list) -> list:
    from ..core.io.history import RunRecord

    out = []
    for raw in rows:
        try:
            out.append(RunRecord.from_json(raw))
        except (ValueError, TypeError):
            continue
    return out


def _panels(s: OpenedSession) -> list:
    """Every registered view that the session's results fill, drawn offscreen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["reprviz-export"])
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        from PySide6.QtCore import qInstallMessageHandler

        qInstallMessageHandler(lambda *_: None)  # the offscreen plugin's size-hint chatter
    from .catalog import load
    from ..views.registry import VIEWS

    load()
    curves = {m.id: TrainingCurves({k: tuple(v) for k, v in m.history.items()},
                                   m.epochs_planned, False, m.stopped)
              for m in s.plan.state.models}
    panels = []
    for spec in VIEWS:
        sids = [m.id for m in s.plan.state.models] if spec.per_session else [""]
        for sid in sids:
            have = {kind: (curves.get(sid or "A") if kind == "curves" else
                           s.get(kind, sid) if spec.per_session else s.get(kind, "A"))
                    for kind in spec.products}
            if not any(v is not None for v in have.values()):
                continue
            panel = spec.create()
            panel.resize(900, 640)
            panel.set_dataset(s.dataset)
            panel.set_samples(s.samples)
            for kind, value in have.items():
                if value is not None:
                    panel.show_product(kind, sid or "A", value)
            panel.set_selection(s.selection)
            panel.show()
            app.processEvents()
            if hasattr(panel, "draw_now"):
                panel.draw_now()
            panels.append((spec.id + ("-B" if sid == "B" else ""), panel))
    app.processEvents()
    return panels
