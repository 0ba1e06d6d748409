"""``analyze --samples all``: every test sample, the layer streamed to activations.npy (a memory
map), the cosine matrix and the measures on a spread subset that the notes name."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui import cli
from reprviz_gui.core.io import report as report_module
from reprviz_gui.core.io.report import AnalyzeOptions, analyze


@pytest.mark.slow
def test_samples_all_streams_the_layer_beside_the_report(tmp_path, monkeypatch):
    monkeypatch.setenv("REPRVIZ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(report_module, "SAMPLED_STEPS_MAX", 60)  # digits' test split: 360
    common = dict(data="digits", model="dense", epochs=0, layer="hidden_2", seed=3,
                  projection="pca", figures=True, history=False)
    got = analyze(AnalyzeOptions(out=tmp_path / "all", samples="all", **common))
    n = got["samples"]["test"]
    assert got["samples"]["selected"] == n and n > 60
    acts = np.load(tmp_path / "all" / "activations.npy", mmap_mode="r")
    assert isinstance(acts, np.memmap) and acts.shape == (n, got["layer"]["width"])
    assert "activations.npy" in got["files"]
    saved = np.load(tmp_path / "all" / "activations.npz")
    assert "activations" not in saved.files and len(saved["coords"]) == n

    # the same numbers as the in-memory path on the same rows (every test sample)
    ref = analyze(AnalyzeOptions(out=tmp_path / "ref", samples=n, measures=False, **common))
    ref_npz = np.load(tmp_path / "ref" / "activations.npz")
    np.testing.assert_array_equal(ref_npz["sample_indices"], saved["sample_indices"])
    np.testing.assert_allclose(acts, ref_npz["activations"], rtol=1e-5, atol=1e-6)
    assert ref["samples"]["selected"] == n

    notes = " ".join(got["notes"])
    assert "Cosine matrix of 60 of the" in notes and "use 60 of the" in notes
    assert got["map_quality"]["points_scored"] == 60
    assert ref["similarity"]["within_class"] != got["similarity"]["within_class"]

    # a second run reads the layer from the cache: the same file contents
    again = analyze(AnalyzeOptions(out=tmp_path / "again", samples="all", measures=False,
                                   **common))
    assert again["samples"]["selected"] == n
    np.testing.assert_array_equal(np.load(tmp_path / "again" / "activations.npy"), acts)


def test_the_cli_takes_all_or_a_number():
    assert cli._samples("all") == "all" and cli._samples("ALL ") == "all"
    assert cli._samples("12") == 12
    with pytest.raises(Exception, match="at least 3"):
        cli._samples("2")
