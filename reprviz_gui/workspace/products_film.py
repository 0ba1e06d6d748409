"""The film of a training run (issue 16 §1): the frames a run recorded (``core/model/film.py``, on
the model lane while it trained) and their maps, each aligned with the one before
(``core/analysis/film.py``). The maps of t-SNE, UMAP and MDS are made in the map child process,
one frame after another, and each finished frame is shown at once (the film fills in); PCA's on
the quick lane. The recording is kept here, by session, until the next film or other data.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..core.analysis.film import (FilmLayerMetrics, FilmMaps, film_layer_metrics, film_maps,
                                  frame_accuracy)
from ..core.data.samples import SampleSet
from ..core.errors import ReprvizError
from ..core.model.film import FilmRecording
from ..core.progress import ProgressFn, StopFn, report
from .products import Product, ProductRequest
from .results import ResultKey
from .state import ModelHandle, ResultTag, Session, Workspace


@dataclass(frozen=True)
class FilmData:
    """A recorded film, kept for the session that trained it."""

    serial: int
    dataset_id: int
    handle: ModelHandle
    recording: FilmRecording
    samples: SampleSet


@dataclass(frozen=True)
class FilmResult:
    tag: ResultTag
    maps: FilmMaps  # the frames computed so far (all of them unless ``preview``)
    recording: FilmRecording
    samples: SampleSet  # the recorded samples (``Panel`` marks the selection with them)
    accuracy: np.ndarray  # (F,) of every recorded frame
    preview: bool = False  # still filling in

    @property
    def frames_expected(self) -> int:
        return int(len(self.recording.epochs))


_FILMS: dict[str, FilmData] = {}
_serials = itertools.count(1)


def keep_film(session_id: str, dataset_id: int, handle: ModelHandle, recording: FilmRecording,
              samples: SampleSet) -> FilmData:
    """The session's new film (replacing its last one)."""
    film = FilmData(next(_serials), dataset_id, handle, recording, samples)
    _FILMS[session_id] = film
    return film


def film_of(session_id: str) -> Optional[FilmData]:
    return _FILMS.get(session_id)


def forget_films() -> None:
    _FILMS.clear()


# --- a film in a session file: the recording travels as a result of its own kind -------------
RECORDING_KIND = "film_recording"  # never in the result store: kept here again when read


def films_to_save(ws: Workspace) -> list[tuple[ResultKey, Any]]:
    """(key, recording) of every session's current film, for a session file."""
    out: list[tuple[ResultKey, Any]] = []
    for s in ws.sessions.values():
        film = _current(ws, s)
        if film is not None:
            tag = ResultTag(ws.dataset_id, "", s.id, s.version)
            out.append((ResultKey.make(RECORDING_KIND, tag, {"film": film.serial}),
                        film.recording))
    return out


def adopt_films(pairs: list[tuple[ResultKey, Any]], ws: Workspace, samples: SampleSet
                ) -> list[tuple[ResultKey, Any]]:
    """A session file's results with its films kept again (each under a new serial, which the
    film's stored maps and layer metrics are keyed by from now on); the rest unchanged."""
    serials: dict[tuple[str, Any], int] = {}
    for key, value in pairs:
        s = ws.sessions.get(key.tag.session_id)
        if key.kind == RECORDING_KIND and isinstance(value, FilmRecording) and s is not None \
                and s.handle is not None:
            film = keep_film(s.id, ws.dataset_id, s.handle, value, samples)
            serials[(s.id, key.param("film"))] = film.serial
    out = []
    for key, value in pairs:
        if key.kind == RECORDING_KIND:
            continue
        new = serials.get((key.tag.session_id, key.param("film")))
        if key.kind in ("film", "film_metrics") and new is not None:
            key = ResultKey.make(key.kind, key.tag, {**dict(key.params), "film": new})
        out.append((key, value))
    return out


def _current(ws: Workspace, s: Optional[Session]) -> Optional[FilmData]:
    film = _FILMS.get(s.id) if s is not None else None
    if film is None or s is None or film.handle != s.handle or \
            film.dataset_id != ws.dataset_id or len(film.recording.epochs) == 0:
        return None
    return film


def _film_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    film = _current(ws, s)
    if film is None:
        return None
    p = {"film": film.serial, "method": ws.method, "seed": ws.seed}
    if ws.method == "pca-tsne":
        p["pca_components"] = ws.pca_components
    return p


def _why_not(ws: Workspace, s: Optional[Session]) -> str:
    if s is not None and s.training:
        return "Recording… the film appears when training ends"
    return ("Tick *Record a film* next to Train, then train: every epoch's map of the layer "
            "appears here")


def _project_here(a: np.ndarray, method: str, seed: int = 0, **params: Any) -> Any:
    # one BLAS thread beside the map child and training (as the PCA map, products.py)
    from threadpoolctl import threadpool_limits

    from ..core.analysis.projection import project

    with threadpool_limits(limits=1, user_api="blas"):
        return project(a, method, seed=seed, **params)


def _project_in_child(a: np.ndarray, method: str, seed: int = 0, should_stop: StopFn = None,
                      **params: Any) -> Any:
    from ..core.analysis.projection_process import shared_process

    return shared_process().project(a, method, seed, None, should_stop, None, **params)


def _compute_film(req: ProductRequest, on_progress: ProgressFn, should_stop: StopFn
                  ) -> FilmResult:
    film = _FILMS.get(req.key.tag.session_id)
    if film is None or film.serial != req.param("film"):
        raise ReprvizError("This film was replaced by a newer one.")
    rec = film.recording
    method = req.param("method")
    accuracy = frame_accuracy(rec.predictions, rec.labels)
    extra = {"pca_components": req.param("pca_components")} if method == "pca-tsne" else {}

    def on_frame(maps: FilmMaps) -> None:
        if maps.n_frames < len(rec.epochs):  # a frame more: shown while the rest compute
            report(on_progress, "layout", maps.n_frames / len(rec.epochs),
                   f"Film: {maps.n_frames}/{len(rec.epochs)} frames", kind="layout",
                   result=FilmResult(req.key.tag, maps, rec, film.samples, accuracy, True))

    maps = film_maps(list(rec.activations), method, rec.epochs, seed=req.param("seed", 0),
                     project_fn=_project_here if method == "pca" else _project_in_child,
                     on_frame=on_frame, should_stop=should_stop, **extra)
    return FilmResult(req.key.tag, maps, rec, film.samples, accuracy)


FILM_PRODUCT = Product(
    "film", _film_params, _compute_film,
    lane=lambda p: "quick" if p.get("method") == "pca" else "projection",
    with_samples=False, busy="Computing the film's maps…", why_not=_why_not,
    interrupt_running=False,
    describe=lambda key: "computing the film's maps")

@dataclass(frozen=True)
class FilmMetricsResult:
    tag: ResultTag
    metrics: FilmLayerMetrics


def _metrics_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    film = _current(ws, s)
    if film is None or not film.recording.depth:
        return None
    return {"film": film.serial, "seed": ws.seed}


def _compute_metrics(req: ProductRequest, on_progress: ProgressFn, should_stop: StopFn
                     ) -> FilmMetricsResult:
    film = _FILMS.get(req.key.tag.session_id)
    if film is None or film.serial != req.param("film"):
        raise ReprvizError("This film was replaced by a newer one.")
    rec = film.recording
    return FilmMetricsResult(req.key.tag, film_layer_metrics(
        rec.depth, rec.epochs, req.param("seed", 0), on_progress, should_stop))


FILM_METRICS_PRODUCT = Product(
    "film_metrics", _metrics_params, _compute_metrics, lane="measure", with_samples=False,
    busy="Measuring every layer at every epoch…",
    why_not=lambda ws, s: "The layers along training come with a recorded film",
    describe=lambda key: "measuring the layers along training")

# registered by catalog.load(), with every other module's
PRODUCTS = (FILM_PRODUCT, FILM_METRICS_PRODUCT)

__all__ = ["FilmData", "FilmMetricsResult", "FilmResult", "FILM_PRODUCT",
           "FILM_METRICS_PRODUCT", "keep_film", "film_of", "forget_films", "films_to_save",
           "adopt_films"]
