"""``analyze --film``: record the chosen layer after every epoch while training (the window's own
recorder, ``core/model/film.py``), map each frame aligned with the previous one and, as the
baseline, each frame on its own; write ``film.npz`` and report.json's ``film`` key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..progress import ProgressFn, StopFn


def film_recorder_for(model: Any, dataset: Any, samples: Any, layer: str, epochs: int,
                      notes: list[str], depth: bool = True, seed: int = 0) -> Optional[Any]:
    """The Keras callback recording the film of ``samples`` (None: nothing to film); with
    ``depth`` every layer too, for the per-epoch layer metrics."""
    from ..model.film import film_recorder, plan_film
    from ..pipeline import sample_inputs

    if model is None or epochs < 1 or len(dataset.x_train) == 0:
        notes.append("--film ignored: there is no training to film.")
        return None
    x = sample_inputs(dataset, samples)
    units = int(np.prod([int(d) for d in tuple(_layer_shape(model, layer))[1:] if d] or [1]))
    plan = plan_film(epochs, samples.n, units, dataset.n_classes)  # refuses what cannot fit
    if plan.note:
        notes.append(plan.note)
    depth_of = None
    if depth:
        from ..measures import depth_activations

        def depth_of() -> Any:
            return depth_activations(model, dataset, samples, seed=seed)

    return film_recorder(model, x, layer, plan, samples.labels, depth_of=depth_of)


def _layer_shape(model: Any, layer: str) -> tuple:
    from ..model.extraction import is_raw, raw_base

    if is_raw(layer):  # x·W of a Dense layer: as wide as its kernel's output
        return (None, model.get_layer(raw_base(layer)).get_weights()[0].shape[-1])
    return tuple(model.get_layer(layer).output.shape)


def film_section(recorder: Any, samples: Any, method: str, seed: int, out: Path,
                 on_progress: ProgressFn | None = None, should_stop: StopFn | None = None,
                 **params: Any) -> tuple[dict, Path]:
    """report.json's ``film`` and ``film.npz``: the aligned and the unaligned maps of every
    frame, the predictions, the accuracy of each frame and the mean displacement of both."""
    from ..analysis.film import (film_layer_metrics, film_maps, frame_accuracy,
                                 mean_displacement)
    from .writers import write_npz

    film = recorder.recording()
    frames = list(film.activations)
    aligned = film_maps(frames, method, film.epochs, seed=seed, on_progress=on_progress,
                        should_stop=should_stop, **params)
    alone = film_maps(frames, method, film.epochs, seed=seed, aligned=False,
                      on_progress=on_progress, should_stop=should_stop, **params)
    preds = film.predictions
    accuracy = frame_accuracy(preds, film.labels)
    path = write_npz(out / "film.npz", coords=aligned.coords, coords_unaligned=alone.coords,
                     epochs=film.epochs, predictions=preds, probabilities=film.probabilities,
                     labels=film.labels, sample_indices=samples.indices.astype(np.int64),
                     accuracy=accuracy, layer=np.array(film.layer, dtype=str),
                     method=np.array(aligned.method, dtype=str))
    section = {
        "epochs": film.epochs.tolist(), "frames": int(len(film.epochs)), "layer": film.layer,
        "samples": int(samples.n), "split": samples.split, "method": aligned.method,
        "alignment": aligned.alignment,
        "mean_displacement": {"aligned": mean_displacement(aligned.coords),
                              "unaligned": mean_displacement(alone.coords)},
        "displacement_measure": "mean distance a sample moves between consecutive frames, "
                                "each frame centred and scaled to unit RMS radius",
        "accuracy": accuracy.tolist(), "memory_bytes": int(film.nbytes),
        "note": film.note, "seconds": round(aligned.seconds + alone.seconds, 3),
        # kNN / probe accuracy of every layer at every epoch (None without --measures)
        "layer_metrics": (film_layer_metrics(film.depth, film.epochs, seed, on_progress,
                                             should_stop).to_dict() if film.depth else None),
    }
    return section, path


__all__ = ["film_recorder_for", "film_section"]
