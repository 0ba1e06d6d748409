"""report.json's samples_preview for reviews: the first selected reviews decoded to words,
as the model reads them (the last maxlen tokens), against the npz and the JSON read directly."""

from __future__ import annotations

import json

import numpy as np

from reprviz_gui.core.data.sources import bundled_word_index_path
from reprviz_gui.core.io.report import AnalyzeOptions, analyze


def test_samples_preview_of_reviews(tmp_path, resources):
    result = analyze(AnalyzeOptions(data="imdb-sample", model="none", out=tmp_path,
                                    samples=30, figures=False))
    with np.load(resources / "imdb-subset" / "imdb.npz", allow_pickle=True) as npz:  # known
        reviews, labels = list(npz["x_test"]), npz["y_test"]
    rank_word = {r: w for w, r in json.loads(bundled_word_index_path().read_text()).items()}
    preview = result["samples_preview"]
    assert len(preview) == 10 and [p["row"] for p in preview] == list(range(10))
    for p in preview:
        review = reviews[p["index"]]
        seen = review[-200:]  # maxlen 200, Keras's pre-truncation
        want = " ".join({1: "<start>", 2: "<oov>"}.get(t) or rank_word[t - 3] for t in seen)
        assert p["text"] == want
        assert p["tokens"] == len(seen) and p["truncated"] == (len(review) > 200)
        assert p["label_id"] == labels[p["index"]]
        assert p["label"] == ["negative", "positive"][p["label_id"]]
        assert p["prediction"] is None
    assert preview[0]["text"].startswith("<start> ")
