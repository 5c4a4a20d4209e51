"""Exploratory factor analysis matching ``psych::fa``.

Two layers:

* functions: :func:`correlation_matrix` (pairwise Pearson or polychoric),
  :func:`fit_factors` (unrotated minres / ML / principal-axis extraction),
  :func:`factor_scores` and :func:`sort_loadings` (``psych::fa.sort``);
  rotations live in :mod:`qimscale.analysis.rotation`;
* the estimator :class:`EFA` (``EFA(n_factors, method, rotation).fit(X)``)
  whose fitted attributes end in ``_`` and whose ``results_`` is an
  :class:`EFAResult`.

Every step follows ``psych::fa`` (psych 2.2.9): the starting values and the
``optim(method="L-BFGS-B")`` set-up for minres and ML, the principal-axis
iteration rule, the reflection of factors before and after rotation, the
ordering of rotated factors by variance explained, and the variance table
(``Vaccounted``).

References
----------
Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals
(minres). *Psychometrika*, 31, 351-368. https://doi.org/10.1007/BF02289468

Jöreskog, K. G. (1967). Some contributions to maximum likelihood factor
analysis. *Psychometrika*, 32, 443-482. https://doi.org/10.1007/BF02289658

Revelle, W. (2024). psych: Procedures for Psychological, Psychometric, and
Personality Research. https://CRAN.R-project.org/package=psych
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from qimscale._core.checks import numeric_matrix
from qimscale._core.result import Result, measure_table
from qimscale.analysis._threads import single_thread_blas
# the correlation input and the factor extraction live in qimscale.analysis.factoring (parallel
# analysis and omega use them without the estimator); re-exported here
from qimscale.analysis.factoring import (METHODS, HeywoodWarning, _fit_factors, as_correlation, check_choice,
                                         correlation_matrix, fit_factors)
from qimscale.analysis.moments import smc  # re-exported: psych::smc, also the EFA start
from qimscale.analysis.nfactors import parallel_analysis
from qimscale.analysis.polychoric.matrix import cor_smooth
from qimscale.analysis.rotation import ROTATIONS, align_factors, rotate
from qimscale.errors import DataError, ModelError

__all__ = [
    "METHODS",
    "HeywoodWarning",
    "correlation_matrix",
    "as_correlation",
    "check_choice",
    "smc",
    "fit_factors",
    "factor_scores",
    "sort_loadings",
    "EFA",
    "EFAResult",
]

SCORE_METHODS = ("regression", "bartlett", "tenberge")
_EPS = np.finfo(float).eps


# --------------------------------------------------------------------------- scores and sorting

def _mat_sqrt(x):
    vals, vecs = np.linalg.eigh(x)
    vals = np.where(vals < 0, _EPS, vals)
    return (vecs * np.sqrt(vals)) @ vecs.T


def _inv_mat_sqrt(x):
    vals, vecs = np.linalg.eigh(x)
    vals = np.where(vals < _EPS, 100 * _EPS, vals)
    return (vecs / np.sqrt(vals)) @ vecs.T


def score_weights(R, loadings, phi=None, method: str = "regression") -> np.ndarray:
    """Factor-score weights.

    Matches ``psych::factor.scores(x, f, Phi, method)$weights`` for
    ``"regression"`` (Thurstone), ``"bartlett"`` and ``"tenberge"``.

    Parameters
    ----------
    R : array_like, shape (p, p)
        Item correlations.
    loadings : array_like, shape (p, k)
        Pattern matrix.
    phi : array_like, shape (k, k), optional
        Factor correlations (identity when omitted).
    method : {"regression", "bartlett", "tenberge"}

    Returns
    -------
    ndarray, shape (p, k)

    Notes
    -----
    Regression: ``W = R^-1 L Phi``. Bartlett: ``W = U^-2 L (L' U^-2 L)^-1``
    with ``U^2 = 1 - diag(L Phi L')``. ten Berge: with ``M = L Phi^1/2``,
    ``W = R^-1/2 R^-1/2 M (M' R^-1 M)^-1/2 Phi^1/2``.

    References
    ----------
    ten Berge, J. M. F., Krijnen, W. P., Wansbeek, T., & Shapiro, A. (1999).
    Some new results on correlation-preserving factor scores prediction
    methods. *Linear Algebra and its Applications*, 289, 311-318.
    https://doi.org/10.1016/S0024-3795(97)10007-6
    """
    R = np.asarray(R, dtype=float)
    f = np.asarray(loadings, dtype=float)
    k = f.shape[1]
    phi = np.eye(k) if phi is None else np.asarray(phi, dtype=float)
    m = method.lower()
    if m in ("regression", "thurstone"):
        return np.linalg.solve(R, f @ phi)
    if m == "bartlett":
        u2 = 1.0 - np.diag(f @ phi @ f.T)
        fu = f / u2[:, None]
        return fu @ np.linalg.inv(f.T @ fu)
    if m == "tenberge":
        L = f @ _mat_sqrt(phi)
        r5 = _inv_mat_sqrt(R)
        inv_r = np.linalg.inv(R)
        C = r5 @ L @ _inv_mat_sqrt(L.T @ inv_r @ L)
        return r5 @ C @ _mat_sqrt(phi)
    check_choice("scores", method, SCORE_METHODS)
    raise AssertionError("unreachable")  # pragma: no cover


def factor_scores(data, R, loadings, phi=None, method: str = "regression") -> np.ndarray:
    """Factor scores of the rows of ``data``.

    Matches ``psych::factor.scores(x, f, Phi, method)$scores``: the items are
    standardised (``scale(x)``, sample SD) and multiplied by the weights of
    :func:`score_weights`. A row with a missing answer gets NaN scores
    (psych's default ``impute="none"``).

    Parameters
    ----------
    data : array_like, shape (n, p)
    R, loadings, phi, method
        As :func:`score_weights`.

    Returns
    -------
    ndarray, shape (n, k)
    """
    x = np.asarray(data, dtype=float)
    z = (x - np.nanmean(x, axis=0)) / np.nanstd(x, axis=0, ddof=1)
    return z @ score_weights(R, loadings, phi, method)


def sort_order(loadings) -> np.ndarray:
    """Item order of ``psych::fa.sort``: by the factor with the largest absolute
    loading, then by decreasing absolute loading on that factor.

    Returns
    -------
    ndarray of int
        Row indices in sorted order.
    """
    L = np.abs(np.asarray(loadings, dtype=float))
    cluster = np.argmax(L, axis=1)
    best = L[np.arange(L.shape[0]), cluster]
    return np.lexsort((-best, cluster))


def sort_loadings(loadings: pd.DataFrame) -> pd.DataFrame:
    """Rows of a loading table sorted as ``psych::fa.sort`` does (see :func:`sort_order`)."""
    return loadings.iloc[sort_order(loadings.to_numpy())]


# --------------------------------------------------------------------------- fit statistics

def _rmsea_bound(chisq: float, dof: float, n: float, prob: float) -> float:
    """RMSEA bound: the noncentrality with ``P(X <= chisq | ncp) = prob``, as psych's ``uniroot`` search."""
    hi = max(n, chisq) + 2 * n
    g = lambda ncp: special.chndtr(chisq, dof, ncp) - prob if ncp > 0 else special.chdtr(dof, chisq) - prob  # noqa: E731
    try:
        root = optimize.brentq(g, 0.0, hi, xtol=1e-12)
    except ValueError:
        return float("nan")
    return float(np.sqrt(root / (n - 1) / dof))


def fit_statistics(R, loadings, phi=None, n_obs=None, np_obs=None, alpha: float = 0.1) -> dict:
    """Goodness-of-fit of an EFA solution, as ``psych::fa`` reports it.

    Matches psych's ``fa.stats`` (called by ``psych::fa``): ``$objective``,
    ``$STATISTIC``, ``$dof``, ``$PVAL``, ``$RMSEA``, ``$TLI``, ``$BIC``,
    ``$rms``, ``$crms``, ``$fit``, ``$fit.off``, ``$chi`` and ``$null.chisq``.

    Parameters
    ----------
    R : array_like, shape (p, p)
        Analysed correlations.
    loadings, phi : array_like
        Pattern matrix and factor correlations (identity when omitted).
    n_obs : int, optional
        Sample size; the chi-square based statistics are NaN without it.
    np_obs : array_like, shape (p, p), optional
        Pairwise counts (given by psych when it computed R from raw data);
        they weight the empirical residual statistics.
    alpha : float
        1 - confidence level of the RMSEA interval (psych ``fa`` uses 0.1).

    Returns
    -------
    dict
        ``objective``, ``chisq``, ``dof``, ``pvalue``, ``rmsea``,
        ``rmsea_ci_lower``, ``rmsea_ci_upper``, ``tli``, ``bic``, ``sabic``,
        ``null_objective``, ``null_chisq``, ``null_dof``, ``rms``, ``crms``,
        ``fit``, ``fit_off``, ``chi`` (empirical chi-square), ``n_obs``.

    Notes
    -----
    ``objective = tr(Sigma^-1 R) - log|Sigma^-1 R| - p`` with
    ``Sigma = L Phi L'`` with unit diagonal; ``chisq = objective (n - 1 -
    (2p+5)/6 - 2k/3)`` (floored at 0); ``dof = p(p-1)/2 - pk + k(k-1)/2``;
    ``RMSEA = sqrt(max(chisq/(dof n) - 1/(n-1), 0))``; ``TLI = (M0 - Mm)/(M0
    - 1/nm)`` with ``M0 = -log|R| 2/(p(p-1))``, ``Mm = objective/dof``;
    ``BIC = chisq - dof log n``. ``rms`` is the root mean square off-diagonal
    residual, ``crms`` the same corrected for degrees of freedom.
    """
    R = np.asarray(R, dtype=float)
    L = np.asarray(loadings, dtype=float)
    p, k = L.shape
    phi = np.eye(k) if phi is None else np.asarray(phi, dtype=float)
    model = L @ phi @ L.T
    resid = R - model
    r2 = float(np.sum(R * R))
    fit = 1.0 - float(np.sum(resid * resid)) / r2
    np.fill_diagonal(resid, 0.0)
    dof = p * (p - 1) / 2 - p * k + k * (k - 1) / 2
    nan = float("nan")
    out = {"dof": dof, "null_dof": p * (p - 1) / 2, "fit": fit, "n_obs": n_obs}
    if np_obs is None:
        rstar_off = float(np.sum(resid ** 2))
        r2_off = r2 - float(np.trace(R))
        nh = n_obs
        out["chi"] = rstar_off * n_obs if n_obs else nan
        out["rms"] = float(np.sqrt(rstar_off / (p * (p - 1))))
        out["crms"] = float(np.sqrt(rstar_off / (2 * dof))) if dof > 0 else nan
    else:
        w = np.asarray(np_obs, dtype=float)
        rstar_off = float(np.sum(resid ** 2 * w))
        rr = R * R * w
        r2_off = float(np.sum(rr) - np.trace(rr))
        nh = float(stats.hmean(w.ravel()))
        out["chi"] = rstar_off
        out["rms"] = float(np.sqrt(rstar_off / (nh * p * (p - 1))))
        out["crms"] = float(np.sqrt(rstar_off / (2 * nh * dof))) if dof > 0 else nan
    out["fit_off"] = 1.0 - rstar_off / r2_off
    sigma = model.copy()
    np.fill_diagonal(sigma, np.diag(R))
    sigma, _ = cor_smooth(sigma)   # psych::fa's fit statistics smooth both matrices (psych::cor.smooth)
    Rs, _ = cor_smooth(R)
    m_inv = np.linalg.solve(sigma, Rs)
    objective = float(np.trace(m_inv) - np.log(np.linalg.det(m_inv)) - p)
    null_obj = float(np.trace(Rs) - np.log(np.linalg.det(Rs)) - p)
    out.update(objective=objective, null_objective=null_obj, chisq=nan, pvalue=nan, rmsea=nan,
               rmsea_ci_lower=nan, rmsea_ci_upper=nan, tli=nan, bic=nan, sabic=nan, null_chisq=nan)
    if n_obs is not None and np.isfinite(n_obs) and n_obs > 0:
        n = float(n_obs)
        nm = (n - 1) - (2 * p + 5) / 6 - (2 * k) / 3
        chisq = max(objective * nm, 0.0)
        out["chisq"] = chisq
        out["null_chisq"] = null_obj * ((n - 1) - (2 * p + 5) / 6)
        m0 = null_obj * 2 / (p * (p - 1))
        if dof > 0:
            out["pvalue"] = float(special.chdtrc(dof, chisq))
            out["tli"] = float((m0 - objective / dof) / (m0 - 1 / nm))
            rmsea = float(np.sqrt(max(chisq / (dof * n) - 1 / (n - 1), 0.0)))
            tail = alpha / 2
            upper = lower = 0.0
            cdf0 = float(special.chdtr(dof, chisq))
            if cdf0 > tail:
                upper = _rmsea_bound(chisq, dof, n, tail)
            if cdf0 > 1 - tail:
                lower = _rmsea_bound(chisq, dof, n, 1 - tail)
            out["rmsea"] = rmsea
            out["rmsea_ci_lower"] = lower if not lower > rmsea else nan
            out["rmsea_ci_upper"] = upper if not upper < rmsea else nan
            out["bic"] = float(chisq - dof * np.log(n))
            out["sabic"] = float(chisq - dof * np.log((n + 2) / 24))
    return out


# --------------------------------------------------------------------------- results and estimator

@dataclass
class EFAResult(Result):
    """Results of an exploratory factor analysis.

    Attributes
    ----------
    items : list of str
    factor_names : list of str
        psych's names (``MR1``..., ``ML1``..., ``PA1``...).
    loadings : DataFrame, items x factors
        Pattern matrix (psych ``$loadings``).
    structure : DataFrame, items x factors
        Structure matrix ``loadings @ phi`` (psych ``$Structure``).
    phi : DataFrame, factors x factors
        Factor correlations (identity for orthogonal rotations).
    communalities : Series
        ``diag(L Phi L')`` (psych ``$communality``).
    uniquenesses : Series
        ``1 - communality`` (psych ``$uniquenesses``).
    eigenvalues : ndarray
        Eigenvalues of R (psych ``$e.values``).
    common_eigenvalues : ndarray
        Eigenvalues of the reduced matrix (psych ``$values``).
    rotmat : ndarray
        psych ``$rot.mat``.
    unrotated : DataFrame
        Loadings before rotation.
    method, rotation : str
    n_obs : int or None
    correlation : ndarray
        The analysed correlation matrix.
    fit : dict
        See :func:`fit_statistics`.
    converged : bool
    heywood : list of str
        Items at a bound (Heywood cases).
    """

    items: list
    factor_names: list
    loadings: pd.DataFrame
    structure: pd.DataFrame
    phi: pd.DataFrame
    communalities: pd.Series
    uniquenesses: pd.Series
    eigenvalues: np.ndarray
    common_eigenvalues: np.ndarray
    rotmat: np.ndarray
    unrotated: pd.DataFrame
    method: str
    rotation: str
    n_obs: int | None
    correlation: np.ndarray
    fit: dict
    converged: bool
    heywood: list
    orthogonal: bool
    extra: dict = field(default_factory=dict)

    title = "Exploratory factor analysis"

    @property
    def warnings(self) -> list[str]:
        """What the fit warned about: Heywood cases, non-convergence (the messages of :meth:`EFA.fit`)."""
        out = []
        if self.heywood:
            out.append(f"Heywood case: item(s) {', '.join(self.heywood)} have a communality at 1 or a uniqueness "
                       "at its lower bound (0.005); interpret the solution with care")
        if np.any(np.asarray(self.communalities, dtype=float) > 1):
            out.append("An ultra-Heywood case was detected (communality > 1); examine the results carefully")
        if not self.extra.get("rotation_converged", True):
            out.append(f"rotation {self.rotation!r} did not converge")
        elif not self.converged:
            out.append(f"{self.method} extraction did not converge")
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"loadings"`` (sorted pattern matrix with ``h2``, ``u2``), ``"structure"``, ``"phi"``,
        ``"variance"`` (psych's ``Vaccounted``) and ``"fit"`` (``measure, value``)."""
        return {"loadings": self.sorted_loadings(), "structure": self.structure.copy(), "phi": self.phi.copy(),
                "variance": self.variance_explained(), "fit": measure_table(self.fit)}

    def variance_explained(self) -> pd.DataFrame:
        """psych's ``Vaccounted`` table.

        Returns
        -------
        DataFrame
            Rows ``SS loadings``, ``Proportion Var``, ``Cumulative Var``,
            ``Proportion Explained``, ``Cumulative Proportion``; one column
            per factor. ``SS loadings = diag(Phi L'L)``.
        """
        L = self.loadings.to_numpy()
        phi = self.phi.to_numpy()
        vx = np.diag(phi @ L.T @ L)
        vtotal = float(np.sum(self.communalities) + np.sum(self.uniquenesses))
        rows = {
            "SS loadings": vx,
            "Proportion Var": vx / vtotal,
            "Cumulative Var": np.cumsum(vx / vtotal),
            "Proportion Explained": vx / vx.sum(),
            "Cumulative Proportion": np.cumsum(vx / vx.sum()),
        }
        return pd.DataFrame(rows, index=self.factor_names).T

    def sorted_loadings(self) -> pd.DataFrame:
        """Pattern matrix with rows ordered as ``psych::fa.sort``, plus ``h2`` and ``u2`` columns."""
        tab = self.loadings.copy()
        tab["h2"] = self.communalities
        tab["u2"] = self.uniquenesses
        return tab.iloc[sort_order(self.loadings.to_numpy())]

    def score_weights(self, method: str = "regression") -> pd.DataFrame:
        """Factor-score weights (see :func:`score_weights`)."""
        w = score_weights(self.correlation, self.loadings.to_numpy(), self.phi.to_numpy(), method)
        return pd.DataFrame(w, index=self.items, columns=self.factor_names)

    def scores(self, data, method: str = "regression") -> pd.DataFrame:
        """Factor scores of ``data`` (columns named as the items), see :func:`factor_scores`."""
        if isinstance(data, pd.DataFrame):
            by_name = {str(c): c for c in data.columns}   # the fitted item names are str(column)
            missing = [i for i in self.items if i not in by_name]
            if missing:
                raise DataError(f"scores: column(s) {', '.join(map(repr, missing))} not in the data")
            idx = data.index
            x = numeric_matrix(data, [by_name[i] for i in self.items], context="scores")
        else:
            x = np.asarray(data, dtype=float)
            idx = None
            if x.ndim != 2 or x.shape[1] != len(self.items):
                raise DataError(f"scores: the data need {len(self.items)} item columns "
                                f"({', '.join(self.items)}); got shape {x.shape}")
        s = factor_scores(x, self.correlation, self.loadings.to_numpy(), self.phi.to_numpy(), method)
        return pd.DataFrame(s, index=idx, columns=self.factor_names)

    def to_dict(self) -> dict:
        """Plain-JSON summary, the ``qimscale efa --json`` object.

        Keys: ``items``, ``factors``, ``loadings`` (items x factors),
        ``structure``, ``phi``, ``communalities``, ``uniquenesses``,
        ``variance`` (``ss_loadings``, ``proportion_var``, ``cumulative_var``,
        ``proportion_explained``, ``cumulative_proportion``),
        ``eigenvalues``, ``sorted_items``, ``method``, ``rotation``,
        ``n_factors``, ``n_obs``, ``fit``, ``converged``, ``heywood``,
        ``parallel`` (the parallel analysis when it chose the number of
        factors, else null).
        """
        v = self.variance_explained()
        return {
            "items": list(self.items),
            "factors": list(self.factor_names),
            "loadings": self.loadings.to_numpy().tolist(),
            "structure": self.structure.to_numpy().tolist(),
            "phi": self.phi.to_numpy().tolist(),
            "communalities": self.communalities.to_numpy().tolist(),
            "uniquenesses": self.uniquenesses.to_numpy().tolist(),
            "variance": {
                "ss_loadings": v.loc["SS loadings"].tolist(),
                "proportion_var": v.loc["Proportion Var"].tolist(),
                "cumulative_var": v.loc["Cumulative Var"].tolist(),
                "proportion_explained": v.loc["Proportion Explained"].tolist(),
                "cumulative_proportion": v.loc["Cumulative Proportion"].tolist(),
            },
            "eigenvalues": np.asarray(self.eigenvalues).tolist(),
            "sorted_items": [self.items[i] for i in sort_order(self.loadings.to_numpy())],
            "method": self.method,
            "rotation": self.rotation,
            "n_factors": len(self.factor_names),
            "n_obs": self.n_obs,
            "fit": dict(self.fit),
            "converged": bool(self.converged),
            "heywood": list(self.heywood),
            "parallel": None if self.extra.get("parallel") is None else self.extra["parallel"].to_dict(),
        }

    def summary(self, digits: int = 2) -> str:
        """A plain-text report: sorted loadings, variance explained, factor correlations, fit."""
        lines = [f"Factor analysis: method={self.method}, rotation={self.rotation}, "
                 f"{len(self.factor_names)} factor(s), n_obs={self.n_obs}", ""]
        lines.append(self.sorted_loadings().round(digits).to_string())
        lines += ["", self.variance_explained().round(digits).to_string()]
        if not self.orthogonal:
            lines += ["", "Factor correlations:", self.phi.round(digits).to_string()]
        f = self.fit
        lines += ["", f"RMSR = {f['rms']:.{digits}f}; chisq = {f['chisq']:.{digits}f} on {f['dof']:g} df; "
                      f"RMSEA = {f['rmsea']:.3f}; TLI = {f['tli']:.3f}"]
        if self.heywood:
            lines.append(f"Heywood case(s): {', '.join(self.heywood)}")
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()


_PREFIX = {"minres": "MR", "ml": "ML", "pa": "PA"}


class EFA:
    """Exploratory factor analysis (estimator).

    Matches ``psych::fa(x, nfactors, fm=method, rotate=rotation)`` with
    ``use="pairwise"``; ``cor="polychoric"`` matches ``psych::fa(x, cor="poly")``.

    Parameters
    ----------
    n_factors : int or "parallel"
        Number of factors, or ``"parallel"`` to take the number suggested by
        parallel analysis (:func:`qimscale.analysis.nfactors.parallel_analysis`,
        factor eigenvalues).
    method : {"minres", "ml", "pa"}
        Extraction method (psych ``fm``).
    rotation : str
        One of :data:`qimscale.analysis.rotation.ROTATIONS` (psych ``rotate``;
        ``geomin`` is psych's ``geominQ``).
    cor : {"pearson", "polychoric"}
        Correlations computed from raw data (pairwise deletion).
    correct : float
        Polychoric continuity correction.
    target : array_like, optional
        Target matrix for ``target``/``targetT`` rotations.
    n_starts : int
        Random starts for GPA rotations (kept lowest criterion).
    random_state : int, optional
        Seed for random starts and parallel analysis.
    n_iter : int
        Parallel-analysis replications when ``n_factors="parallel"``.
    max_iter, min_err : int, float
        Principal-axis iteration settings.
    rotation_kwargs : dict, optional
        Extra arguments for :func:`qimscale.analysis.rotation.rotate`
        (``gamma``, ``delta``, ``normalize``, ``eps``, ``maxit``).

    Attributes
    ----------
    loadings_, structure_, phi_, communalities_, uniquenesses_ : ndarray
    eigenvalues_ : ndarray
    rotmat_ : ndarray
    n_factors_ : int
    items_ : list of str
    results_ : EFAResult

    Raises
    ------
    ModelError
        Invalid options (on ``fit``).
    DataError
        Unusable data.

    Warns
    -----
    HeywoodWarning
        When a uniqueness is at its lower bound or a communality reaches 1.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> f = rng.standard_normal((400, 2))
    >>> lam = np.kron(np.eye(2), np.full((3, 1), .7))
    >>> x = f @ lam.T + rng.standard_normal((400, 6)) * .7
    >>> efa = EFA(2, rotation="oblimin").fit(x)
    >>> efa.loadings_.shape, efa.phi_.shape
    ((6, 2), (2, 2))
    """

    def __init__(self, n_factors=1, method="minres", rotation="oblimin", *, cor="pearson", correct=0.5,
                 target=None, n_starts=0, random_state=None, n_iter=20, max_iter=50, min_err=0.001,
                 rotation_kwargs=None):
        self.n_factors = n_factors
        self.method = method
        self.rotation = rotation
        self.cor = cor
        self.correct = correct
        self.target = target
        self.n_starts = n_starts
        self.random_state = random_state
        self.n_iter = n_iter
        self.max_iter = max_iter
        self.min_err = min_err
        self.rotation_kwargs = rotation_kwargs

    def _validate(self):
        check_choice("method", self.method, METHODS)
        check_choice("rotation", self.rotation, ROTATIONS)
        check_choice("cor", self.cor, ("pearson", "polychoric"))
        if not (self.n_factors == "parallel" or (isinstance(self.n_factors, (int, np.integer))
                                                   and not isinstance(self.n_factors, bool))):
            raise ModelError(f"n_factors must be a positive integer or 'parallel'; got {self.n_factors!r}")

    def fit(self, X, n_obs=None, *, progress=None):
        """Fit the model.

        Parameters
        ----------
        X : DataFrame or array_like
            Raw item responses (n x p; NaN = missing, pairwise deletion) or a
            correlation / covariance matrix (p x p).
        n_obs : int, optional
            Sample size when ``X`` is a matrix (needed for chi-square fit
            statistics and parallel analysis).
        progress : callable, optional
            ``progress(done, total)`` for the parallel analysis run when
            ``n_factors="parallel"`` (see
            :func:`~qimscale.analysis.nfactors.parallel_analysis`); not called otherwise.

        Returns
        -------
        self
        """
        self._validate()
        with single_thread_blas():
            return self._fit(X, n_obs, progress)

    def _fit(self, X, n_obs, progress=None):
        R, n, np_obs, items, raw = as_correlation(X, n_obs, self.cor, self.correct)
        nf = self.n_factors
        pa_res = None
        if nf == "parallel":
            if raw is None and n is None:
                raise ModelError("n_factors='parallel' on a correlation matrix needs n_obs")
            pa_res = parallel_analysis(raw if raw is not None else R, n_obs=n, n_iter=self.n_iter,
                                       cor=self.cor, correct=self.correct, random_state=self.random_state,
                                       fa="fa", progress=progress)
            nf = max(int(pa_res.n_factors), 1)
        p = R.shape[0]
        if not 1 <= nf < p:
            raise ModelError(f"n_factors must be between 1 and {p - 1} for {p} items; got {nf}")
        L0, _u, info = _fit_factors(R, nf, self.method, n, self.max_iter, self.min_err, True, True)
        rot = rotate(L0, self.rotation if nf > 1 else "none", target=self.target, n_starts=self.n_starts,
                     random_state=self.random_state, **(self.rotation_kwargs or {}))
        L, phi, rotmat, _order, _signs = align_factors(rot.loadings, rot.phi, rot.rotmat)
        model = L @ phi @ L.T
        h2 = np.diag(model).copy()
        u2 = np.diag(R - model).copy()
        heywood = [items[i] for i in info["heywood"]]
        if heywood:
            warnings.warn(f"Heywood case: item(s) {', '.join(heywood)} have a communality at 1 or a uniqueness "
                          "at its lower bound (0.005); interpret the solution with care", HeywoodWarning,
                          stacklevel=2)
        if np.any(h2 > 1):
            warnings.warn("An ultra-Heywood case was detected (communality > 1); examine the results carefully",
                          HeywoodWarning, stacklevel=2)
        names = [f"{_PREFIX[self.method]}{i + 1}" for i in range(nf)]
        df = lambda a, idx, cols: pd.DataFrame(a, index=idx, columns=cols)  # noqa: E731
        res = EFAResult(
            items=items, factor_names=names,
            loadings=df(L, items, names), structure=df(L @ phi, items, names), phi=df(phi, names, names),
            communalities=pd.Series(h2, index=items), uniquenesses=pd.Series(u2, index=items),
            eigenvalues=info["eigenvalues"], common_eigenvalues=info["common_eigenvalues"],
            rotmat=rotmat, unrotated=df(L0, items, names), method=self.method, rotation=self.rotation,
            n_obs=n, correlation=R, fit=fit_statistics(R, L, phi, n, np_obs), converged=bool(info["converged"]
                                                                                     and rot.converged),
            heywood=heywood, orthogonal=rot.orthogonal,
            extra={"extraction": info, "rotation_converged": rot.converged, "parallel": pa_res,
                   "np_obs": np_obs},
        )
        if not rot.converged:
            warnings.warn(f"rotation {self.rotation!r} did not converge in {rot.n_iter} iterations", stacklevel=2)
        elif not info["converged"]:  # listed in the result's warnings, so said aloud as well
            warnings.warn(f"{self.method} extraction did not converge", stacklevel=2)
        self.items_ = items
        self.n_factors_ = nf
        self.loadings_ = L
        self.phi_ = phi
        self.structure_ = L @ phi
        self.communalities_ = h2
        self.uniquenesses_ = u2
        self.eigenvalues_ = info["eigenvalues"]
        self.rotmat_ = rotmat
        self.results_ = res
        self._data = raw
        return self

    def transform(self, X=None, method: str = "regression"):
        """Factor scores (``psych::factor.scores``) of ``X`` (default: the fitted data)."""
        if not hasattr(self, "results_"):
            raise ModelError("EFA: call fit() before transform()")
        X = self._data if X is None else X
        if X is None:
            raise ModelError("EFA was fitted on a correlation matrix; pass the raw data to transform()")
        return self.results_.scores(X, method).to_numpy()
