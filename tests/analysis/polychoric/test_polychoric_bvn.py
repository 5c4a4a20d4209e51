"""The bivariate normal CDF, its derivatives and the cell-probability pieces."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate
from scipy.special import ndtr

from qimscale.analysis.bivariate_normal import bvn_cdf, bvn_cdf_dh, bvn_pdf, bvn_pdf_drho
from qimscale.analysis.polychoric import (
    cell_probabilities,
    cell_probability_derivatives,
    ordinal_codes,
    pair_scores,
    polychoric_pair,
    univariate_thresholds,
)


def plackett(h: float, k: float, r: float) -> float:
    """Phi2 by adaptive quadrature of Plackett's identity (independent reference)."""
    v, _ = integrate.quad(lambda t: float(bvn_pdf(h, k, t)), 0.0, r, epsabs=1e-15, epsrel=1e-13, limit=200)
    return float(ndtr(h) * ndtr(k) + v)


def test_bvn_cdf_against_quadrature():
    rng = np.random.default_rng(42)
    h = rng.normal(0, 1.8, 150)
    k = rng.normal(0, 1.8, 150)
    r = np.concatenate([rng.uniform(-0.92, 0.92, 75), rng.choice([-1, 1], 75) * rng.uniform(0.925, 0.9999, 75)])
    got = bvn_cdf(h, k, r)
    want = np.array([plackett(a, b, c) for a, b, c in zip(h, k, r)])
    np.testing.assert_allclose(got, want, atol=1e-13)


def test_bvn_cdf_special_cases():
    assert float(bvn_cdf(0, 0, 0.5)) == pytest.approx(1 / 3, abs=1e-15)
    assert float(bvn_cdf(0.3, -0.4, 0.0)) == pytest.approx(ndtr(0.3) * ndtr(-0.4), abs=1e-15)
    assert float(bvn_cdf(0.3, 0.7, 1.0)) == pytest.approx(ndtr(0.3), abs=1e-15)
    assert float(bvn_cdf(0.3, 0.7, -1.0)) == pytest.approx(ndtr(0.3) - ndtr(-0.7), abs=1e-15)
    np.testing.assert_allclose(bvn_cdf([-np.inf, np.inf, 0.4, np.inf], [1.0, 0.5, np.inf, np.inf], 0.3),
                               [0.0, ndtr(0.5), ndtr(0.4), 1.0], atol=1e-15)
    assert bvn_cdf(np.zeros((2, 3)), 0.0, 0.2).shape == (2, 3)
    with pytest.raises(ValueError):
        bvn_cdf(0.0, 0.0, 1.5)


def test_derivatives_by_finite_differences():
    h, k, r, e = 0.4, -0.7, 0.35, 1e-6
    d_rho = (bvn_cdf(h, k, r + e) - bvn_cdf(h, k, r - e)) / (2 * e)
    assert float(bvn_pdf(h, k, r)) == pytest.approx(float(d_rho), abs=1e-8)
    d2 = (bvn_pdf(h, k, r + e) - bvn_pdf(h, k, r - e)) / (2 * e)
    assert float(bvn_pdf_drho(h, k, r)) == pytest.approx(float(d2), abs=1e-8)
    dh = (bvn_cdf(h + e, k, r) - bvn_cdf(h - e, k, r)) / (2 * e)
    assert float(bvn_cdf_dh(h, k, r)) == pytest.approx(float(dh), abs=1e-8)


def test_cell_probabilities_and_derivatives():
    tx, ty, r, e = np.array([-1.0, 0.2, 1.1]), np.array([-0.5, 0.6]), 0.45, 1e-6
    p = cell_probabilities(tx, ty, r)
    assert p.shape == (4, 3) and p.sum() == pytest.approx(1.0, abs=1e-14)
    np.testing.assert_allclose(p.sum(axis=1), np.diff(ndtr(np.r_[-np.inf, tx, np.inf])), atol=1e-14)
    d_rho, d_tx, d_ty = cell_probability_derivatives(tx, ty, r)
    num = (cell_probabilities(tx, ty, r + e) - cell_probabilities(tx, ty, r - e)) / (2 * e)
    np.testing.assert_allclose(d_rho, num, atol=1e-8)
    for c in range(len(tx)):
        step = np.zeros_like(tx)
        step[c] = e
        num = (cell_probabilities(tx + step, ty, r) - cell_probabilities(tx - step, ty, r)) / (2 * e)
        np.testing.assert_allclose(d_tx[c], num, atol=1e-8)
    for c in range(len(ty)):
        step = np.zeros_like(ty)
        step[c] = e
        num = (cell_probabilities(tx, ty + step, r) - cell_probabilities(tx, ty - step, r)) / (2 * e)
        np.testing.assert_allclose(d_ty[c], num, atol=1e-8)


def test_pair_ml_and_scores_sum_to_zero():
    rng = np.random.default_rng(5)
    z = rng.multivariate_normal([0, 0], [[1, 0.55], [0.55, 1]], size=600)
    x = np.digitize(z[:, 0], [-1, 0, 1]).astype(float)
    y = np.digitize(z[:, 1], [-0.3, 0.8]).astype(float)
    x[:20] = np.nan
    fit = polychoric_pair(x, y)
    assert fit.converged and fit.n == 580 and abs(fit.rho - 0.55) < 0.08
    # the ML estimate is a stationary point: the rho-scores sum to zero
    s = pair_scores(x, y, fit.tau_x, fit.tau_y, fit.rho)
    assert s.shape == (600, 1 + 3 + 2)
    assert abs(s[:, 0].sum()) < 1e-6
    assert (s[:20] == 0).all()
    # a grid search cannot beat it
    grid = np.linspace(-0.99, 0.99, 397)
    with np.errstate(divide="ignore"):
        ll = [np.sum(fit.table * np.log(cell_probabilities(fit.tau_x, fit.tau_y, g))) for g in grid]
    assert fit.loglik >= max(ll) - 1e-9


def test_univariate_thresholds_closed_form():
    codes, cats = ordinal_codes([2, 4, 4, np.nan, 7, 2, 2])
    assert cats.tolist() == [2.0, 4.0, 7.0] and codes.tolist() == [0, 1, 1, -1, 2, 0, 0]
    np.testing.assert_allclose(univariate_thresholds([2, 4, 4, np.nan, 7, 2, 2]),
                               [-0.0, 0.967421566101701], atol=1e-14)


def test_threshold_scores_vanish_at_ml():
    from qimscale.analysis.polychoric import threshold_scores

    x = np.array([1, 2, 2, 3, 3, 3, 4, np.nan, 1, 4, 4])
    tau = univariate_thresholds(x)
    s = threshold_scores(x, tau)
    assert s.shape == (11, 3)
    np.testing.assert_allclose(s.sum(axis=0), 0.0, atol=1e-12)
    assert (s[7] == 0).all()
    # numerical derivative of the log-likelihood of one case in category 2 (0-based 1)
    e = 1e-6
    for c in range(3):
        tp, tm = tau.copy(), tau.copy()
        tp[c] += e
        tm[c] -= e
        lp = np.log(np.diff(ndtr(np.r_[-np.inf, tp, np.inf]))[1])
        lm = np.log(np.diff(ndtr(np.r_[-np.inf, tm, np.inf]))[1])
        assert s[1, c] == pytest.approx((lp - lm) / (2 * e), abs=1e-7)
