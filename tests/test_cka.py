"""Linear CKA (core/analysis/cka.py): its invariances, both forms, the debiased estimate against
Song et al.'s direct U-statistic, and a published reference value."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ortho_group

from reprviz_gui.core.analysis import cka
from reprviz_gui.core.errors import Cancelled


def _pair(seed=0, n=120, p=12, q=7):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, p))
    y = x[:, :q] @ rng.standard_normal((q, q)) + 0.8 * rng.standard_normal((n, q))
    return x, y


def test_reference_value():
    # the value torch-cka / ckatorch documentation quote for this seed
    np.random.seed(1337)
    x = np.random.randn(100, 10)
    y = np.random.randn(100, 10) + x
    assert cka.linear_cka(x, y) == pytest.approx(0.55761, abs=5e-6)
    assert cka.linear_cka_gram(x, y) == pytest.approx(0.55761, abs=5e-6)


@pytest.mark.parametrize("debiased", [False, True])
def test_identity_symmetry_and_forms(debiased):
    x, y = _pair()
    assert cka.linear_cka(x, x, debiased) == pytest.approx(1.0)
    assert cka.linear_cka(x, y, debiased) == pytest.approx(cka.linear_cka(y, x, debiased))
    assert cka.linear_cka_gram(x, y, debiased) == pytest.approx(cka.linear_cka(x, y, debiased))
    assert 0.0 < cka.linear_cka(x, y, debiased) < 1.0


@pytest.mark.parametrize("debiased", [False, True])
def test_invariant_to_orthogonal_and_isotropic_scaling_not_to_any_linear_map(debiased):
    x, y = _pair(1)
    base = cka.linear_cka(x, y, debiased)
    q = ortho_group.rvs(x.shape[1], random_state=3)
    assert cka.linear_cka(x @ q, y, debiased) == pytest.approx(base, rel=1e-9)
    assert cka.linear_cka(x, 7.5 * y, debiased) == pytest.approx(base, rel=1e-9)
    assert cka.linear_cka(x + 3.0, y, debiased) == pytest.approx(base, rel=1e-9)
    # an arbitrary invertible map (stretch one direction hard) changes it
    m = np.eye(x.shape[1])
    m[0, 0] = 50.0
    m[1, 0] = 3.0
    assert abs(np.linalg.det(m)) > 0
    assert abs(cka.linear_cka(x @ m, y, debiased) - base) > 0.02


def _song_unbiased_hsic(k: np.ndarray, l: np.ndarray) -> float:
    """Song et al. (2012), eq. 5, written out on the Gram matrices directly."""
    n = len(k)
    k, l = k.copy(), l.copy()
    np.fill_diagonal(k, 0.0)
    np.fill_diagonal(l, 0.0)
    one = np.ones(n)
    return (np.trace(k @ l) + (one @ k @ one) * (one @ l @ one) / ((n - 1) * (n - 2))
            - 2.0 / (n - 2) * (one @ k @ l @ one)) / (n * (n - 3))


def test_debiased_matches_the_direct_formula():
    x, y = _pair(2, n=60)
    # the U-statistic is invariant to centring: use the raw Gram matrices
    kx, ky = x @ x.T, y @ y.T
    direct = _song_unbiased_hsic(kx, ky) / np.sqrt(
        _song_unbiased_hsic(kx, kx) * _song_unbiased_hsic(ky, ky))
    assert cka.linear_cka(x, y, debiased=True) == pytest.approx(direct, rel=1e-9)
    assert cka.linear_cka_gram(x, y, debiased=True) == pytest.approx(direct, rel=1e-9)
    # and it differs from the biased one (that is the point of it)
    assert abs(cka.linear_cka(x, y) - direct) > 1e-3


@pytest.mark.parametrize("debiased", [False, True])
def test_matrix_matches_pairwise_and_mixes_forms(debiased):
    rng = np.random.default_rng(4)
    n = 80
    base = rng.standard_normal((n, 6))
    layers = {"narrow": base @ rng.standard_normal((6, 5)),
              "wide": np.tanh(base @ rng.standard_normal((6, 200))),  # wider than N: Gram
              "mid": np.maximum(base @ rng.standard_normal((6, 30)), 0)}
    m = cka.cka_matrix(layers, debiased=debiased)
    assert m.forms == ("feature", "gram", "feature")
    names = list(layers)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            assert m.matrix[i, j] == pytest.approx(
                cka.linear_cka(layers[a], layers[b], debiased), rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(m.matrix, m.matrix.T)
    forced = cka.cka_matrix(layers, debiased=debiased, form="feature")
    np.testing.assert_allclose(forced.matrix, m.matrix, rtol=1e-9)
    if not debiased:
        np.testing.assert_allclose(
            cka.plain_cka_matrix([layers[k] for k in names]), m.matrix, rtol=1e-9)


def test_matrix_between_two_models():
    rng = np.random.default_rng(5)
    a = {"a1": rng.standard_normal((50, 4)), "a2": rng.standard_normal((50, 9))}
    b = {"b1": a["a2"] @ ortho_group.rvs(9, random_state=1), "b2": rng.standard_normal((50, 3)),
         "b3": a["a1"]}
    m = cka.cka_matrix(a, b)
    assert m.rows == ("a1", "a2") and m.cols == ("b1", "b2", "b3") and m.matrix.shape == (2, 3)
    assert m.matrix[1, 0] == pytest.approx(1.0) and m.matrix[0, 2] == pytest.approx(1.0)
    assert m.matrix[0, 1] == pytest.approx(cka.linear_cka(a["a1"], b["b2"]))


def test_choose_form_by_shape():
    assert cka.choose_form(8000, 784) == "feature"
    assert cka.choose_form(8000, 25088) == "feature"  # an 8,000² Gram would not fit
    assert cka.choose_form(500, 25088) == "gram"


def test_cancel():
    rng = np.random.default_rng(6)
    layers = {str(i): rng.standard_normal((30, 3)) for i in range(3)}
    with pytest.raises(Cancelled):
        cka.cka_matrix(layers, should_stop=lambda: True)
