"""Scaled-shifted χ² difference test of nested WLSMV fits (Satorra 2000), as ``lavaan::lavTestLRT``.

A leaf shared by :class:`~.wlsmv.WLSMVResult.chisq_difference` and the ordinal
invariance sequence (:mod:`.wlsmv_invariance`).

References
----------
Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample
analysis of moment structures. In *Innovations in Multivariate Statistical
Analysis* (pp. 233-247). Springer. https://doi.org/10.1007/978-1-4615-4603-0_17
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import solve_triangular

from qimscale._core.distributions import chi2_sf
from qimscale.errors import ModelError

from .._threads import single_thread_blas

__all__ = ["lrt_satorra2000"]


def lrt_satorra2000(fit1, fit0) -> dict:
    """Scaled-shifted χ² difference test of nested WLSMV fits (``fit0`` ⊂ ``fit1``).

    Matches ``lavaan::lavTestLRT(fit1, fit0)`` for ``estimator = "WLSMV"``
    (``method = "satorra.2000"``, ``A.method = "delta"``, scaled-shifted).

    Parameters
    ----------
    fit1, fit0 : WLSMVResult
        The less and the more restricted model, fitted to the same data.

    Raises
    ------
    ModelError
        If the fits were made on different data.

    Returns
    -------
    dict
        ``chisq_diff`` (the scaled-shifted difference statistic), ``df_diff``,
        ``pvalue``, ``a``, ``b``, ``trace_ugamma``, ``trace_ugamma2``.
    """
    same = (len(fit1.stats) == len(fit0.stats)
            and all(a.s.shape == b.s.shape and np.allclose(a.s, b.s)
                    for a, b in zip(fit1.stats, fit0.stats)))
    if not same:
        raise ModelError("the two WLSMV fits do not use the same data (sample statistics "
                         "differ); a difference test needs nested models fitted to the same data")
    T1, r1 = fit1.test["chisq"], fit1.test["df"]
    T0, r0 = fit0.test["chisq"], fit0.test["df"]
    m = r0 - r1
    if m <= 0:
        return {"chisq_diff": T0 - T1, "df_diff": m, "pvalue": math.nan, "a": math.nan,
                "b": math.nan, "trace_ugamma": math.nan, "trace_ugamma2": math.nan}
    with single_thread_blas():
        D1 = np.vstack(fit1.extra["deltas"])
        D0 = np.vstack(fit0.extra["deltas"])
        # H = D1⁺ D0; D1 has full column rank (its information matrix was checked to be
        # non-singular when fit1 was fitted), so D1⁺ D0 = R⁻¹ Q' D0 with D1 = QR: the same
        # matrix as the pseudo-inverse gives, without an SVD of the tall D1
        Q, R = np.linalg.qr(D1, mode="reduced")
        H = solve_triangular(R, Q.T @ D0)
        q, rr = np.linalg.qr(H, mode="complete")
        rank = np.linalg.matrix_rank(H)
        A = q[:, rank:].T
        P_inv = fit1.extra["E_inv"]
        APA = A @ P_inv @ A.T
        keep = ~((np.abs(APA.sum(0)) < np.sqrt(np.finfo(float).eps))
                 & (np.abs(APA.sum(1)) < np.sqrt(np.finfo(float).eps)))
        A = A[keep]
        PAAPAAP = P_inv @ A.T @ np.linalg.pinv(A @ P_inv @ A.T) @ A @ P_inv
        fg = fit1.extra["fg"]
        # M = Δ' V Γ V Δ with V = ⊕ W_g and Γ = ⊕ f_g Γ_g; then
        # tr(UΓ) = tr(P M) and tr((UΓ)²) = tr((P M)²)
        Mmat = np.zeros_like(P_inv)
        for D, w, st, f in zip(fit1.extra["deltas"], fit1.extra["w"], fit1.stats, fg):
            VD = w[:, None] * D
            Mmat += f * (VD.T @ st.gamma @ VD)
        PM = PAAPAAP @ Mmat
        tr1 = float(np.trace(PM))
        tr2 = float(np.sum(PM * PM.T))
    a = math.sqrt(m / tr2)
    b = m - a * tr1
    T = (T0 - T1) * a + b
    return {"chisq_diff": T, "df_diff": int(m), "pvalue": float(chi2_sf(T, m)),
            "a": a, "b": b, "trace_ugamma": tr1, "trace_ugamma2": tr2}
