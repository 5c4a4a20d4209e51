"""Cell probabilities of a discretised bivariate normal and their derivatives (vectorised over pairs)."""

from __future__ import annotations

import numpy as np

from qimscale.analysis.bivariate_normal import bvn_cdf, bvn_cdf_dh, bvn_pdf, bvn_pdf_drho

__all__ = ["cell_probabilities", "cell_probability_derivatives"]


def _bounds(tau: np.ndarray) -> np.ndarray:
    """[-inf, tau..., +inf] along the last axis."""
    tau = np.asarray(tau, dtype=float)
    shape = tau.shape[:-1] + (1,)
    return np.concatenate([np.full(shape, -np.inf), tau, np.full(shape, np.inf)], axis=-1)


def _diff2(g: np.ndarray) -> np.ndarray:
    """Rectangle differences of a corner grid (..., Kx+1, Ky+1) -> (..., Kx, Ky)."""
    return g[..., 1:, 1:] - g[..., :-1, 1:] - g[..., 1:, :-1] + g[..., :-1, :-1]


def _grid_terms(bx: np.ndarray, by: np.ndarray, rho: np.ndarray, order: int):
    """P and its first ``order`` rho-derivatives for boundaries bx (m, Kx+1), by (m, Ky+1)."""
    h = bx[:, :, None]
    k = by[:, None, :]
    r = rho[:, None, None]
    h, k, r = np.broadcast_arrays(h, k, r)
    out = [_diff2(bvn_cdf(h, k, r))]
    if order >= 1:
        out.append(_diff2(bvn_pdf(h, k, r)))
    if order >= 2:
        out.append(_diff2(bvn_pdf_drho(h, k, r)))
    return out


def cell_probabilities(tau_x, tau_y, rho) -> np.ndarray:
    """Cell probabilities of a discretised standard bivariate normal.

    Parameters
    ----------
    tau_x : array_like
        The ``Kx - 1`` increasing finite thresholds of the row variable.
    tau_y : array_like
        The ``Ky - 1`` thresholds of the column variable.
    rho : float
        Latent correlation, ``|rho| < 1``.

    Returns
    -------
    numpy.ndarray
        ``Kx x Ky`` matrix :math:`P_{ab} = \\Phi_2(\\tau_a, \\tau'_b) - \\Phi_2(\\tau_{a-1}, \\tau'_b)
        - \\Phi_2(\\tau_a, \\tau'_{b-1}) + \\Phi_2(\\tau_{a-1}, \\tau'_{b-1})` with
        :math:`\\tau_0 = -\\infty`, :math:`\\tau_K = +\\infty`; sums to 1.

    Examples
    --------
    >>> cell_probabilities([0.0], [0.0], 0.5).round(6)
    array([[0.333333, 0.166667],
           [0.166667, 0.333333]])
    """
    bx = _bounds(np.atleast_1d(np.asarray(tau_x, dtype=float)))[None, :]
    by = _bounds(np.atleast_1d(np.asarray(tau_y, dtype=float)))[None, :]
    return _grid_terms(bx, by, np.array([float(rho)]), 0)[0][0]


def cell_probability_derivatives(tau_x, tau_y, rho) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Derivatives of :func:`cell_probabilities` with respect to rho and the thresholds.

    Parameters
    ----------
    tau_x, tau_y : array_like
        Thresholds of the row and column variable (lengths ``Kx-1``, ``Ky-1``).
    rho : float
        Latent correlation, ``|rho| < 1``.

    Returns
    -------
    dP_drho : numpy.ndarray
        ``Kx x Ky``: :math:`\\partial P_{ab}/\\partial\\rho`, the rectangle
        differences of :math:`\\phi_2` at the cell corners.
    dP_dtau_x : numpy.ndarray
        ``(Kx-1) x Kx x Ky``: entry ``[c, a, b]`` is
        :math:`\\partial P_{ab}/\\partial\\tau_c` with
        :math:`\\partial\\Phi_2(h,k)/\\partial h = \\phi(h)\\Phi((k-\\rho h)/\\sqrt{1-\\rho^2})`;
        non-zero only for rows ``a = c - 1`` and ``a = c`` (0-based ``c`` is
        the boundary between rows ``c`` and ``c + 1``).
    dP_dtau_y : numpy.ndarray
        ``(Ky-1) x Kx x Ky``, the same for the column thresholds.

    Examples
    --------
    >>> d_rho, d_tx, d_ty = cell_probability_derivatives([0.0], [0.0], 0.0)
    >>> d_rho.round(6)
    array([[ 0.159155, -0.159155],
           [-0.159155,  0.159155]])
    >>> d_tx.shape, d_ty.shape
    ((1, 2, 2), (1, 2, 2))
    """
    tx = np.atleast_1d(np.asarray(tau_x, dtype=float))
    ty = np.atleast_1d(np.asarray(tau_y, dtype=float))
    bx, by = _bounds(tx), _bounds(ty)
    h, k = np.meshgrid(bx, by, indexing="ij")
    d_rho = _diff2(bvn_pdf(h, k, rho))
    # d Phi2(bx_u, by_v) / d bx_u along each column v: phi(bx_u) Phi((by_v - rho bx_u)/s)
    gx = bvn_cdf_dh(bx[:, None], by[None, :], rho)  # (Kx+1, Ky+1)
    gy = bvn_cdf_dh(by[None, :], bx[:, None], rho)  # (Kx+1, Ky+1), derivative wrt by_v
    kx, ky = len(tx) + 1, len(ty) + 1
    d_tx = np.zeros((kx - 1, kx, ky))
    for c in range(kx - 1):  # loop over thresholds only (not cells)
        u = c + 1  # boundary index in bx
        col = gx[u, 1:] - gx[u, :-1]  # d/d bx_u of [Phi2(bx_u, by_v) - Phi2(bx_u, by_{v-1})]
        d_tx[c, u - 1, :] = col  # cell row u-1 has bx_u as upper limit
        d_tx[c, u, :] = -col  # cell row u has bx_u as lower limit
    d_ty = np.zeros((ky - 1, kx, ky))
    for c in range(ky - 1):
        v = c + 1
        row = gy[1:, v] - gy[:-1, v]
        d_ty[c, :, v - 1] = row
        d_ty[c, :, v] = -row
    return d_rho, d_tx, d_ty
