"""McDonald's ω via the Schmid–Leiman transformation, as ``psych::omega``.

Extraction (minres) and rotation (varimax, then GPA oblimin) come from
:mod:`qimscale.analysis.efa` and :mod:`qimscale.analysis.rotation`; this module
adds the Schmid–Leiman step and the ω coefficients.
"""

from __future__ import annotations

import warnings as _warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale._core.result import Result, row_table
from qimscale.analysis._threads import single_thread_blas
from qimscale.analysis.correlation import item_correlations
from qimscale.analysis.responses import item_matrix
from qimscale.analysis.moments import smc
from qimscale.errors import DataError, ModelError

__all__ = ["OmegaResult", "omega", "omega_total"]


@dataclass
class OmegaResult(Result):
    """ω coefficients and the Schmid–Leiman solution; returned by :func:`omega`.

    Attributes
    ----------
    omega_h : float
        ω hierarchical, :math:`(\\sum_j g_j)^2 / \\mathbf 1'R\\mathbf 1`.
    omega_total : float
        ω total, :math:`1 - \\sum_j u^2_j / \\mathbf 1'R\\mathbf 1`.
    alpha : float
        Standardized α of the (sign-flipped) correlation matrix.
    g6 : float
        Guttman's λ6 of the same matrix.
    omega_lim : float
        ω asymptotic, :math:`(\\sum g)^2 / (\\mathbf 1'R\\mathbf 1 - \\sum u^2)`.
    ecv : float
        Explained common variance of the general factor.
    n_factors : int
    n_obs : int
    items : list of str
        Item names; a trailing ``-`` marks an item reflected because its
        general-factor loading was negative (psych's ``flip``).
    sl : pandas.DataFrame
        Schmid–Leiman loadings, one row per item: ``g``, ``F1*`` … ``Fk*``,
        ``h2``, ``u2``, ``p2`` (share of the communality due to ``g``).
    phi : ndarray
        Correlations of the oblique group factors.
    group : pandas.DataFrame
        psych's ``omega.group``: ``total``, ``general`` and ``group`` ω for
        the whole test (row ``g``) and each group factor's items.
    correlation : str
        ``"pearson"`` or ``"polychoric"``.
    reverse : list of str
        Items reverse-keyed (``keys``) before the analysis.
    warnings : list of str
    """

    omega_h: float
    omega_total: float
    alpha: float
    g6: float
    omega_lim: float
    ecv: float
    n_factors: int
    n_obs: int
    items: list[str]
    sl: pd.DataFrame
    phi: np.ndarray
    group: pd.DataFrame
    correlation: str = "pearson"
    reverse: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    title = "McDonald's omega"

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"coefficients"`` (one row), ``"loadings"`` (Schmid–Leiman), ``"group"``
        (psych's ``omega.group``) and ``"phi"`` (group-factor correlations)."""
        coef = row_table({"omega_h": self.omega_h, "omega_total": self.omega_total, "alpha": self.alpha,
                          "g6": self.g6, "omega_lim": self.omega_lim, "ecv": self.ecv,
                          "n_factors": self.n_factors, "n_obs": self.n_obs, "correlation": self.correlation})
        names = [c for c in self.sl.columns if c not in ("g", "h2", "u2", "p2")][: self.phi.shape[0]]
        if len(names) != self.phi.shape[0]:
            names = [f"F{i + 1}*" for i in range(self.phi.shape[0])]
        phi = pd.DataFrame(self.phi, index=names, columns=names)
        return {"coefficients": coef, "loadings": self.sl.copy(), "group": self.group.copy(), "phi": phi}

    def to_dict(self) -> dict:
        """Plain-type summary: the CLI's JSON (``omega_h``, ``omega_total``, ``alpha``, ...)."""
        return {
            "omega_h": self.omega_h, "omega_total": self.omega_total, "alpha": self.alpha,
            "g6": self.g6, "omega_lim": self.omega_lim, "ecv": self.ecv, "n_factors": self.n_factors,
            "n_obs": self.n_obs, "correlation": self.correlation, "items": list(self.items),
            "reverse": list(self.reverse),
            "schmid_leiman": {c: self.sl[c].tolist() for c in self.sl.columns},
            "phi": self.phi.tolist(), "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        """A short text report."""
        head = (f"omega_h = {self.omega_h:.3f}, omega_total = {self.omega_total:.3f}, alpha = {self.alpha:.3f}, "
                f"G6 = {self.g6:.3f}, ECV = {self.ecv:.3f} ({self.n_factors} group factors, "
                f"{self.correlation} correlations, n = {self.n_obs})")
        return head + "\n" + self.sl.to_string(float_format=lambda v: f"{v:.2f}")


def _schmid(r: np.ndarray, n_factors: int, option: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """psych::schmid: returns (g loadings, group loadings, h2, phi)."""
    # imported here to keep start-up fast: omega_total (part of every 'qimscale reliability' run)
    # never needs the factor extraction's optimiser (scipy.optimize) or the rotations
    from qimscale.analysis.factoring import fit_factors
    from qimscale.analysis.rotation import align_factors, rotate

    loadings, _, _ = fit_factors(r, n_factors, "minres")
    if n_factors == 1:
        orth = loadings
        fload, phi, gload = orth, np.eye(1), np.ones(1)
    else:
        # psych::fa(r, nf, rotate="varimax") reflects and sorts the factors, then
        # schmid hands those loadings to GPArotation::oblimin (identity start).
        vm = rotate(loadings, "varimax")
        orth, _, _, _, _ = align_factors(vm.loadings)
        ob = rotate(orth, "oblimin")
        if not ob.converged:
            raise ModelError("omega: the oblimin rotation did not converge; try fewer group factors")
        fload, phi = ob.loadings, ob.phi
        if n_factors > 2:
            gl, _, _ = fit_factors(phi, 1, "minres")
            gload = gl[:, 0]
        else:
            p12 = phi[0, 1]
            if option == "equal":
                gload = np.array([np.sqrt(abs(p12)), np.sign(p12) * np.sqrt(abs(p12))])
            elif option == "first":
                gload = np.array([1.0, p12])
            else:
                gload = np.array([p12, 1.0])
    g = fload @ gload
    h2 = np.sum(orth**2, axis=1)
    uniq2 = fload**2 * (1.0 - gload[None, :] ** 2)
    group = np.sign(fload) * np.sqrt(np.clip(uniq2, 0.0, None))
    return g, group, h2, phi


def omega(data, items: Sequence[str] | None = None, *, keys: Sequence[str] | None = None,
          key_range: tuple[float, float] | None = None, n_factors: int = 3, poly: bool = False,
          missing: str = "pairwise", option: str = "equal") -> OmegaResult:
    """ω hierarchical and ω total from a Schmid–Leiman solution.

    Matches ``psych::omega(x, nfactors=n_factors, fm="minres",
    rotate="oblimin")``; with ``poly=True`` it matches ``psych::omega(x,
    nfactors, poly=TRUE)`` (ordinal ω on the polychoric matrix); with
    ``n_factors=1`` it is ω of a one-factor model (``psych::omega(x,
    nfactors=1)``).

    Parameters
    ----------
    data : pandas.DataFrame or array-like
        Item scores, one row per respondent.
    items : sequence of str, optional
        Columns to use (default: all).
    keys : sequence of str, optional
        Items to reverse-key as ``min + max - x`` before the analysis.
    key_range : (min, max), optional
        Response range for ``keys`` (default: observed over all items).
    n_factors : int, default 3
        Number of group factors.
    poly : bool, default False
        Use polychoric instead of Pearson correlations.
    missing : {"pairwise", "listwise"}, default "pairwise"
    option : {"equal", "first", "second"}, default "equal"
        psych's rule to identify the general factor with 2 group factors.

    Returns
    -------
    OmegaResult

    Raises
    ------
    DataError
        Fewer than 3 items, non-numeric items, undefined correlations.
    ModelError
        More factors than the items support, or a rotation that fails.

    Notes
    -----
    The pairwise Pearson correlation matrix ``R`` (``cor(x, use="pairwise")``:
    each pair with its own means and SDs, unlike :func:`~qimscale.analysis.reliability.alpha`,
    which uses ``cov2cor`` of the pairwise covariances, as psych does) is
    factored by minres into ``n_factors`` factors, rotated by varimax
    (reflected and sorted as ``psych::fa`` does) and then by oblimin (γ = 0,
    GPA, tolerance 1e-5). A one-factor minres solution of the factor
    correlations Φ gives the second-order loadings γ; the general-factor
    loadings are :math:`g = F\\gamma` and the group loadings
    :math:`F_{jm}\\sqrt{1-\\gamma_m^2}`. Items whose ``g`` is negative are
    reflected. Then, with :math:`V = \\mathbf 1'R\\mathbf 1` and
    :math:`u^2_j = 1 - h^2_j` (communalities from the orthogonal solution),
    :math:`\\omega_h = (\\sum g_j)^2/V` and :math:`\\omega_t = 1 - \\sum u^2_j / V`.

    psych conventions followed: the communalities ``h2`` come from the
    varimax solution, not from the Schmid–Leiman loadings; with 2 group
    factors the general loadings are set equal (``option="equal"``); with
    ``poly=True`` the polychoric matrix is smoothed when not positive
    definite (``psych::cor.smooth``).

    References
    ----------
    Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor
    solutions. *Psychometrika, 22*(1), 53–61. https://doi.org/10.1007/BF02289209

    McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.
    https://doi.org/10.4324/9781410601087

    Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's α,
    Revelle's β, and McDonald's ω_H. *Psychometrika, 70*(1), 123–133.
    https://doi.org/10.1007/s11336-003-0974-7

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> x = pd.DataFrame(f @ np.full((1, 4), 0.7) + rng.normal(scale=0.7, size=(300, 4)),
    ...                  columns=list("abcd"))
    >>> import warnings
    >>> with warnings.catch_warnings():  # one factor: omega_h is not meaningful (warned)
    ...     warnings.simplefilter("ignore")
    ...     res = omega(x, n_factors=1)
    >>> round(res.omega_total, 3)
    0.783
    """
    if option not in ("equal", "first", "second"):
        raise DataError(f"option must be 'equal', 'first' or 'second'; got {option!r}")
    mat = item_matrix(data, items, min_items=3, drop_constant=False, missing=missing, keys=keys,
                      key_range=key_range, context="omega")
    x, names = mat.x, list(mat.items)
    msgs = list(mat.warnings)
    k = x.shape[1]
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)) or n_factors < 1:
        raise ModelError(f"omega: n_factors must be a positive integer; got {n_factors!r}")
    if n_factors >= k:
        raise ModelError(f"omega: {n_factors} group factors need more than {n_factors} items; got {k}. "
                         "Use --n-factors 1 for a short scale.")
    if n_factors > 1 and k < 2 * n_factors:
        msgs.append(f"omega: {k} items are few for {n_factors} group factors; ω_h may be unstable. "
                    "Consider fewer factors.")
    if n_factors == 1:
        msgs.append("omega: with 1 factor ω_h is not meaningful (it is the one-factor ω total); "
                    "report omega_total, as psych::omega advises")
    if n_factors == 2:
        msgs.append("omega: with 2 group factors the general factor is not identified; its loadings on "
                    f"the two factors were set by option='{option}' (psych's rule). Prefer 3 or more.")
    r, _thresholds, notes = item_correlations(x, names, "polychoric" if poly else "pearson",
                                              context="omega")
    msgs.extend(notes)
    with single_thread_blas():
        g, grp, h2, phi = _schmid(r, int(n_factors), option)
    u2 = 1.0 - h2
    heywood = [nm for nm, u in zip(names, u2) if u <= 0.005 + 1e-8]  # as efa: uniqueness at its bound, or below
    if heywood:
        msgs.append(f"omega: Heywood case: item(s) {', '.join(heywood)} have a communality at 1 or above "
                    "(uniqueness at its lower bound 0.005); omega may be inflated, interpret with care")

    key = np.sign(g)
    key[key == 0] = 1.0
    if np.any(key < 0):
        r = r * np.outer(key, key)
        g, grp = g * key, grp * key[:, None]
        names = [nm + ("-" if kk < 0 else "") for nm, kk in zip(names, key)]
    vt = r.sum()
    uniq = u2.sum()
    gsq = g.sum() ** 2
    om_tot = (vt - uniq) / vt
    alpha_std = (vt - np.trace(r)) / vt * k / (k - 1)
    g6 = (vt + smc(r).sum() - np.trace(r)) / vt
    ev = np.concatenate([[np.sum(g**2)], np.sum(grp**2, axis=0)])
    cols = ["g"] + [f"F{m + 1}*" for m in range(n_factors)]
    sl = pd.DataFrame(np.column_stack([g, grp, h2, u2, g**2 / h2]), index=names,
                      columns=cols + ["h2", "u2", "p2"])

    which = np.argmax(np.abs(grp), axis=1)
    rows = {"g": (om_tot, gsq / vt, 0.0)}
    grs = 0.0
    for m in range(n_factors):
        sel = np.flatnonzero(which == m)
        if sel.size == 0:
            rows[cols[m + 1]] = (np.nan, np.nan, np.nan)
            continue
        vgr = r[np.ix_(sel, sel)].sum()
        gr = grp[sel, m].sum()
        grs += gr**2
        gg = g[sel].sum()
        rows[cols[m + 1]] = ((gr**2 + gg**2) / vgr, gg**2 / vgr, gr**2 / vgr)
    rows["g"] = (om_tot, gsq / vt, grs / vt)
    group = pd.DataFrame.from_dict(rows, orient="index", columns=["total", "general", "group"])

    res = OmegaResult(
        omega_h=float(gsq / vt), omega_total=float(om_tot), alpha=float(alpha_std), g6=float(g6),
        omega_lim=float(gsq / (vt - uniq)), ecv=float(ev[0] / ev.sum()), n_factors=int(n_factors),
        n_obs=int(x.shape[0]), items=names, sl=sl, phi=np.asarray(phi), group=group,
        correlation="polychoric" if poly else "pearson", reverse=list(keys or []), warnings=msgs,
    )
    for m in msgs:
        _warnings.warn(m, UserWarning, stacklevel=2)
    return res


def omega_total(data, items: Sequence[str] | None = None, *, missing: str = "pairwise",
                poly: bool = False) -> float:
    """ω total of a one-factor model (the ``omega_total`` of ``qimscale reliability``).

    Matches ``psych::omega(x, nfactors=1)$omega.tot``.

    Parameters
    ----------
    data : pandas.DataFrame or array-like
    items : sequence of str, optional
    missing : {"pairwise", "listwise"}
    poly : bool
        Use polychoric correlations.

    Returns
    -------
    float

    Raises
    ------
    DataError
        Fewer than 3 items or unusable data.

    Examples
    --------
    >>> import numpy as np
    >>> r = np.random.default_rng(0).normal(size=(200, 1)) + np.random.default_rng(1).normal(size=(200, 3))
    >>> 0 < omega_total(r) < 1
    True
    """
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        return omega(data, items, n_factors=1, missing=missing, poly=poly).omega_total
