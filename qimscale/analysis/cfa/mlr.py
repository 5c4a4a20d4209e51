"""Robust ML (``estimator = "MLR"``): Huber–White SEs and the Yuan–Bentler scaled test.

Casewise scores of the normal log-likelihood (``e = y - mu``, ``w = Sigma^-1 e``)::

    s_k = -0.5 [tr(Sigma^-1 dSigma_k) - w' dSigma_k w] + w' dmu_k

The sandwich covariance is ``A^-1 B A^-1`` with ``A`` the observed information
and ``B = sum_i s_i s_i'``. The scaling factor is lavaan's
``test = "yuan.bentler.mplus"``::

    c = sum_g [tr(A1_g^-1 B1_g) - (n_g / N) tr(B0_g E^-1)] / df

with ``A1_g``/``B1_g`` the expected/first-order information of the
unstructured (saturated) model at the sample moments, ``B0_g`` the per-case
first-order information of the fitted model and ``E`` the per-case observed
information of ``fmin`` (Yuan & Bentler 2000, doi:10.1111/0081-1750.00078).
"""

from __future__ import annotations

import numpy as np

from .ml import expected_information_normal
from .model import vech_indices

__all__ = ["casewise_scores", "saturated_basis", "yuan_bentler_trace"]


def casewise_scores(X, Sig, mu, dS, dm, *, meanstructure=True):
    """Per-case gradients of the log-likelihood (``n x k``)."""
    Si = np.linalg.inv(Sig)
    E = X - mu
    W = E @ Si
    k, p = dS.shape[0], dS.shape[1]
    c = dS.reshape(k, -1) @ Si.ravel()
    # w_i' dS_k w_i for all cases and parameters, as one matrix product
    quad = (W[:, :, None] * W[:, None, :]).reshape(W.shape[0], p * p) @ dS.reshape(k, p * p).T
    s = -0.5 * (c[None, :] - quad)
    if meanstructure:
        s = s + W @ dm.T
    return s


def saturated_basis(p: int, meanstructure: bool):
    """Jacobian of the saturated model: one unit matrix per vech element (and mean).

    Elements follow :func:`~.model.vech_indices` (column-major lower triangle), then the means.
    """
    r, c = vech_indices(p)
    ks = len(r)
    k = ks + (p if meanstructure else 0)
    dS = np.zeros((k, p, p))
    dS[np.arange(ks), r, c] = 1.0
    dS[np.arange(ks), c, r] = 1.0
    dm = np.zeros((k, p))
    if meanstructure:
        dm[ks + np.arange(p), np.arange(p)] = 1.0
    return dS, dm


def yuan_bentler_trace(groups, h1_moments, B0_groups, E_inv, meanstructure, weights, x_index=()):
    """``(trace.UGamma, trace.h1 per group, trace.h0 per group)`` as lavaan's Mplus variant.

    ``h1_moments`` are the unstructured (Sigma, mu) per group; ``groups`` hold
    the raw data ``X`` (complete data) used for the first-order B1. Moments of
    fixed exogenous covariates (``x_index``) are masked out of the H1 part.
    """
    h1, h0 = [], []
    xs = set(int(i) for i in x_index)
    for gd, (S1, m1), B0, fg in zip(groups, h1_moments, B0_groups, weights):
        p = S1.shape[0]
        dS, dm = saturated_basis(p, meanstructure)
        if xs:
            r, c = vech_indices(p)
            keep = [not (a in xs and b in xs) for a, b in zip(r, c)]
            if meanstructure:
                keep += [i not in xs for i in range(p)]
            keep = np.array(keep)
            dS, dm = dS[keep], dm[keep]
        A1 = expected_information_normal(S1, dS, dm if meanstructure else None)
        sc = casewise_scores(gd.X, S1, m1, dS, dm, meanstructure=meanstructure)
        B1 = sc.T @ sc / gd.n
        h1.append(float(np.sum(B1 * np.linalg.inv(A1).T)))
        h0.append(float(fg * np.sum(B0 * E_inv.T)))
    return sum(h1) - sum(h0), h1, h0
