"""IMDB reviews in the window: hover cards and the selection show each review whole, from
"<start>", although the model sees only its last 200 tokens; the PCA → t-SNE map with its k
(editable in the sidebar) and the variance the k components keep, checked with numpy's SVD."""

from __future__ import annotations

import re

import numpy as np
import pytest
from gui_support import layer_result, session
from test_imdb_words import FIRST_REVIEW, raw_reviews
from view_support import LEFT, viewport_point

from reprviz_gui.core.data.keras_cache import load_npz_dataset
from reprviz_gui.core.data.samples import decode_tokens, make_sample_set
from reprviz_gui.core.data.sources import load_dataset
from reprviz_gui.core.data.splitting import stratified_split
from reprviz_gui.core.data.types import LoadOptions


def test_first_training_review_is_shown_whole_although_the_model_sees_its_end():
    ds = load_dataset("imdb-sample")  # maxlen 200: Keras's pre-truncation keeps the end
    text = decode_tokens(ds.tokens("train", 0), ds.vocabulary)
    assert text.startswith(FIRST_REVIEW + " ")
    assert text.startswith("<start> this film was just <oov> <oov> <oov> <oov> story direction")
    model_input = decode_tokens(ds.x_train[0], ds.vocabulary)
    assert not model_input.startswith("<start>")  # 218 tokens: the first 18 are cut
    assert text.split()[-200:] == model_input.split()


def test_every_review_in_a_sample_set_starts_at_its_start(resources):
    ds = load_dataset("imdb-sample")
    raw = raw_reviews(resources, "x_test")
    cut = np.mean([len(r) > 200 for r in raw])
    assert cut == pytest.approx(0.409, abs=1e-3)  # 41 % of the test reviews lose their start
    s = make_sample_set(ds, 1000, "test")
    assert s.n == 1000 and all(t.startswith("<start> ") for t in s.texts)
    vocab = ds.vocabulary
    for row in range(0, s.n, 37):
        review = raw[int(s.indices[row])]
        assert s.texts[row] == " ".join(
            {1: "<start>", 2: "<oov>"}.get(int(t)) or vocab[int(t)] for t in review)


def test_a_split_made_by_the_app_keeps_each_review_with_its_sample(tmp_path):
    rng = np.random.default_rng(0)
    reviews = [np.concatenate(([1], rng.integers(3, 50, rng.integers(5, 40)))) for _ in range(60)]
    labels = np.arange(60) % 2
    x = np.empty(60, dtype=object)
    x[:] = reviews
    path = tmp_path / "my_imdb.npz"
    np.savez(path, x_train=x, y_train=labels)
    ds = load_npz_dataset(path, LoadOptions(maxlen=10, allow_pickle=True, seed=3))
    train, test = stratified_split(labels, 0.2, 3)
    assert ds.split_made_by_app and len(ds.y_test) == len(test)
    for split, idx in (("train", train), ("test", test)):
        x_split, y_split = ds.split(split)
        for i, j in enumerate(idx):
            np.testing.assert_array_equal(ds.tokens(split, i), reviews[j])
            np.testing.assert_array_equal(x_split[i][-min(10, len(reviews[j])):],
                                          reviews[j][-10:])
            assert y_split[i] == labels[j]


def test_short_reviews_need_no_second_copy():
    ds = load_dataset("imdb-sample", LoadOptions(maxlen=2000))
    assert ds.full_sequences is None
    np.testing.assert_array_equal(ds.tokens("test", 5), ds.x_test[5])


def _svd_share(a: np.ndarray, k: int) -> float:
    """Share of the variance the first k principal components keep, from numpy's SVD."""
    centred = np.asarray(a, dtype=np.float64) - np.mean(a, axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    return float((s[:k] ** 2).sum() / (s ** 2).sum())


def _shown_share(subtitle: str, k: int) -> float:
    """The percentage the map's subtitle gives for its k components."""
    found = re.search(rf"{k} PCA components explain ([0-9.]+) % of the variance", subtitle)
    assert found, subtitle
    return float(found.group(1))


def _final_map(win, method="pca-tsne"):
    m = win.view("map")
    r = m.result()
    return r if r is not None and r.method == method and not r.preview and \
        win.controller.workspace.is_current(r.tag) else None


def _clear_rows(m, k: int = 2) -> list[int]:
    """``k`` rows whose point is the one the mouse finds at its own pixel, with no other point
    within half a hit radius: t-SNE can put two reviews a pixel apart, and hovering the pixel
    of one then shows the other's card (the flake of issue 19 §5)."""
    from reprviz_gui.views.map_view import HIT_RADIUS_PX

    n = m.result().samples.n
    px = np.array([[p.x(), p.y()] for p in (viewport_point(m.view, m.scene_pos_of(i))
                                              for i in range(n))], dtype=float)
    out = []
    for row in range(n):
        others = np.delete(px, row, axis=0)
        if np.min(np.hypot(*(others - px[row]).T)) < HIT_RADIUS_PX / 2:
            continue
        if m.point_at(m.view.mapToScene(viewport_point(m.view, m.scene_pos_of(row)))) != row:
            continue
        out.append(row)
        if len(out) == k:
            return out
    raise AssertionError(f"no {k} points stand clear of their neighbours")


def _hover_card(qtbot, m, row: int, full: str):
    """Move onto ``row``'s point until its card is up. The position is taken afresh on each try:
    a redraw (the final map replacing its preview) can move the point under a waiting mouse."""
    last = None
    for _ in range(5):
        pos = viewport_point(m.view, m.scene_pos_of(row))
        qtbot.mouseMove(m.view.viewport(), pos)
        try:  # the card of the previous point may still be up: wait for this point's
            qtbot.waitUntil(lambda: m.tooltip.isVisible()
                            and full[:40] in m.tooltip.text().replace("\n", " "),
                            timeout=2_000)
            return pos
        except Exception as err:  # noqa: BLE001 - pytest-qt's TimeoutError
            last = err
    raise AssertionError(f"the card of point {row} never showed: {m.tooltip.text()[:80]!r}") \
        from last


def _hover_and_select(qtbot, win, n_rows=2):
    """Hover a map point, then click it: the hover card and the gallery show the review."""
    m, g = win.view("map"), win.view("gallery")
    r = m.result()
    ds = win.controller.dataset
    for row in _clear_rows(m, n_rows):
        full = decode_tokens(ds.tokens(r.samples.split, int(r.samples.indices[row])),
                             ds.vocabulary)
        pos = _hover_card(qtbot, m, row, full)
        assert "<start>" in m.tooltip.text()
        assert full[:40] in m.tooltip.text().replace("\n", " ")
        qtbot.mouseClick(m.view.viewport(), LEFT, pos=pos)
        qtbot.waitUntil(lambda: not g.is_empty(), timeout=5_000)
        tile = g.displayed()["texts"][0]
        assert tile.split("\n", 1)[1].startswith("<start> ")
        assert full.startswith(tile.split("\n", 1)[1].rstrip("…"))


def test_pca_tsne_map_shows_the_variance_of_its_k_components(qtbot, open_window):
    win = open_window(source="imdb-sample", preset="none", n_samples=120, method="pca-tsne")
    sb = win.sidebar
    assert sb.method_combo.currentData() == "pca-tsne" and sb.pca_spin.isVisible()
    assert sb.pca_spin.value() == 20
    qtbot.waitUntil(lambda: _final_map(win) is not None, timeout=90_000)
    acts = layer_result(win).activations
    r = _final_map(win)
    assert r.pca_components == 20
    assert r.pca_explained_variance == pytest.approx(_svd_share(acts, 20), abs=1e-4)
    sub = win.view("map").displayed()["subtitle"]
    assert "PCA → t-SNE" in sub
    assert _shown_share(sub, 20) == pytest.approx(100 * _svd_share(acts, 20), abs=0.051)
    _hover_and_select(qtbot, win)

    # the user edits k: the map is made again with 5 components
    sb.pca_spin.setValue(5)
    sb.pca_spin.editingFinished.emit()
    assert win.controller.settings.pca_components == 5
    qtbot.waitUntil(lambda: _final_map(win) is not None
                    and _final_map(win).pca_components == 5, timeout=90_000)
    sub = win.view("map").displayed()["subtitle"]
    assert _shown_share(sub, 5) == pytest.approx(100 * _svd_share(acts, 5), abs=0.051)

    # the k row shows only for PCA → t-SNE
    sb.method_combo.setCurrentIndex(sb.method_combo.findData("pca"))
    sb.method_combo.activated.emit(sb.method_combo.currentIndex())
    assert not sb.pca_spin.isVisible() and win.controller.workspace.method == "pca"


@pytest.mark.slow
def test_bilstm_after_one_epoch_pca_tsne_and_reviews_as_words(qtbot, open_window):
    """The BiLSTM post: one epoch on the bundled subset, the BiLSTM layer's 128 features."""
    win = open_window(source="imdb-sample", preset="bilstm", model_params={}, n_samples=200,
                      method="pca-tsne", epochs=1, batch_size=64)
    win.controller.train()
    qtbot.waitUntil(lambda: session(win).trained_epochs == 1 and not session(win).training,
                    timeout=600_000)
    bilstm = next(l.name for l in win.controller.layers_of() if l.type == "Bidirectional")
    win.controller.select_layer(bilstm)
    qtbot.waitUntil(lambda: _final_map(win) is not None and _final_map(win).layer_name == bilstm,
                    timeout=180_000)
    acts = layer_result(win).activations
    assert acts.shape == (200, 128)
    sub = win.view("map").displayed()["subtitle"]
    assert _shown_share(sub, 20) == pytest.approx(100 * _svd_share(acts, 20), abs=0.051)
    assert _final_map(win).predictions is not None
    _hover_and_select(qtbot, win)
