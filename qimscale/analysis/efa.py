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

from qimscale._core.result import Result, measure_table
from qimscale.analysis._threads import single_thread_blas
from qimscale.analysis.reliability import smc  # re-exported: psych::smc, also the EFA start
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

METHODS = ("minres", "ml", "pa")
SCORE_METHODS = ("regression", "bartlett", "tenberge")
_EPS = np.finfo(float).eps


def check_choice(name: str, value, choices) -> None:
    """Raise the house-style error when ``value`` is not one of ``choices``.

    Raises
    ------
    ModelError
        ``The 'name' parameter of efa must be one of {...}. Got 'value' instead.``
    """
    if value not in choices:
        raise ModelError(f"The {name!r} parameter of efa must be one of {{{', '.join(choices)}}}. "
                         f"Got {value!r} instead.")


def check_n_obs(n_obs) -> int | None:
    """Validate a sample size given by the caller; return it as an int (``None`` passes through).

    Raises
    ------
    ModelError
        ``n_obs`` is not a whole number of at least 3 (a bool, text, 0, negative, 2.5).
    """
    if n_obs is None:
        return None
    ok = (not isinstance(n_obs, bool) and isinstance(n_obs, (int, float, np.integer, np.floating))
          and np.isfinite(n_obs) and float(n_obs).is_integer() and n_obs >= 3)
    if not ok:
        raise ModelError(f"The 'n_obs' parameter must be an integer >= 3 (the number of respondents). "
                         f"Got {n_obs!r} instead.")
    return int(n_obs)


class HeywoodWarning(UserWarning):
    """A uniqueness reached its lower bound or a communality reached 1."""


# --------------------------------------------------------------------------- input handling

def _is_correlation(a: np.ndarray) -> bool:
    """psych's ``isCorrelation``: square, symmetric, unit diagonal."""
    return (a.ndim == 2 and a.shape[0] == a.shape[1] and np.all(np.isfinite(a))
            and np.allclose(a, a.T) and np.allclose(np.diag(a), 1.0))


def _is_covariance(a: np.ndarray) -> bool:
    return (a.ndim == 2 and a.shape[0] == a.shape[1] and np.all(np.isfinite(a))
            and np.allclose(a, a.T) and np.all(np.diag(a) > 0))


def _pairwise_counts(x: np.ndarray) -> np.ndarray:
    ok = (~np.isnan(x)).astype(float)
    return ok.T @ ok


def correlation_matrix(data, *, cor: str = "pearson", correct: float = 0.5, items=None):
    """Correlation matrix of item responses, with pairwise deletion.

    Matches ``cor(x, use="pairwise")`` (``cor="pearson"``) or
    ``psych::polychoric(x, correct=0.5)$rho`` (``cor="polychoric"``), the
    two inputs ``psych::fa(x, cor=...)`` builds.

    Parameters
    ----------
    data : DataFrame or array_like, shape (n, p)
        Item responses; NaN marks a missing answer.
    cor : {"pearson", "polychoric"}
        Correlation type.
    correct : float
        Continuity correction for empty cells (polychoric only).
    items : list of str, optional
        Names; taken from the DataFrame columns when omitted.

    Returns
    -------
    R : ndarray, shape (p, p)
        Correlation matrix.
    n_obs : int
        Number of rows (psych's ``n.obs``).
    np_obs : ndarray, shape (p, p)
        Pairwise complete counts (``psych::pairwiseCount``).
    items : list of str
        Item names.

    Raises
    ------
    DataError
        Non-numeric or duplicated columns, infinite values, constant items,
        or pairs of items never answered together (the correlation would be undefined).
    """
    if isinstance(data, pd.DataFrame):
        names = [str(c) for c in data.columns] if items is None else list(items)
        twice = sorted({nm for nm in names if names.count(nm) > 1})
        if twice:
            raise DataError(f"column name(s) {', '.join(map(repr, twice))} appear more than once; "
                            "give every item its own name")
        bad = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
        if bad:
            raise DataError(f"EFA needs numeric item responses; column(s) {', '.join(map(repr, bad))} "
                            "are not numeric. Score or recode them first.")
        x = data.to_numpy(dtype=float, na_value=np.nan)
    else:
        x = np.asarray(data, dtype=float)
        names = list(items) if items is not None else [f"V{i + 1}" for i in range(x.shape[1])]
    if x.ndim != 2 or x.shape[1] < 2:
        raise DataError(f"EFA needs at least 2 item columns; got shape {x.shape}")
    if len(names) != x.shape[1]:
        raise DataError(f"{len(names)} item name(s) for {x.shape[1]} columns; give one name per column")
    if np.isinf(x).any():
        r, c = np.argwhere(np.isinf(x))[0]
        raise DataError(f"item {names[c]!r}, data row {r + 1} holds an infinite value ({x[r, c]:g}); "
                        "use an empty cell (NaN) for a missing answer")
    n = x.shape[0]
    np_obs = _pairwise_counts(x)
    sd = np.nanstd(x, axis=0)
    const = [names[j] for j in range(x.shape[1]) if not np.isfinite(sd[j]) or sd[j] == 0]
    if const:
        raise DataError(f"item(s) {', '.join(map(repr, const))} have no variance (or no answers); "
                        "drop them before a factor analysis")
    if cor == "pearson":
        R = pd.DataFrame(x).corr(method="pearson", min_periods=2).to_numpy().copy()
    elif cor == "polychoric":
        from qimscale.analysis.polychoric import polychoric

        pc = polychoric(pd.DataFrame(x, columns=names), correct=correct)
        R = np.array(pc.corr, dtype=float)
    else:
        check_choice("cor", cor, ("pearson", "polychoric"))
    if np.any(~np.isfinite(R)):
        i, j = np.argwhere(~np.isfinite(R))[0]
        why = next((f", but: {m}" for m in (pc.warnings if cor == "polychoric" else [])
                    if f"'{names[i]}' and '{names[j]}'" in m), "")
        raise DataError(f"the correlation of items {names[i]!r} and {names[j]!r} is undefined "
                        f"({int(np_obs[i, j])} rows answer both{why}); drop one of them")
    np.fill_diagonal(R, 1.0)
    return R, n, np_obs, names


def as_correlation(X, n_obs=None, cor="pearson", correct=0.5):
    """Correlation matrix from raw responses or from a correlation/covariance matrix.

    Parameters
    ----------
    X : DataFrame or array_like
        Raw item responses, or a square correlation or covariance matrix
        (psych's ``isCorrelation``/``isCovariance`` tests tell them apart).
    n_obs : int, optional
        Sample size; overrides the row count of raw data.
    cor : {"pearson", "polychoric"}
        Correlation type for raw data (see :func:`correlation_matrix`).
    correct : float
        Polychoric continuity correction.

    Returns
    -------
    tuple
        ``(R, n_obs, np_obs, items, raw)``: the correlation matrix, the
        sample size (``n_obs`` or the row count; ``None`` for a matrix input
        without ``n_obs``), the pairwise counts (``None`` for a matrix
        input), the item names and the raw data (``None`` for a matrix input).

    Raises
    ------
    DataError
        As :func:`correlation_matrix`.
    ModelError
        ``n_obs`` is not an integer >= 3.

    Examples
    --------
    >>> R, n, np_obs, items, raw = as_correlation(np.array([[4.0, 2.0], [2.0, 4.0]]))
    >>> R.tolist(), items, raw is None
    ([[1.0, 0.5], [0.5, 1.0]], ['V1', 'V2'], True)
    """
    n_obs = check_n_obs(n_obs)
    names = None
    if isinstance(X, pd.DataFrame):
        arr = X.to_numpy(dtype=float, na_value=np.nan) if all(
            pd.api.types.is_numeric_dtype(X[c]) for c in X.columns) else None
        names = [str(c) for c in X.columns]
    else:
        arr = np.asarray(X, dtype=float)
    if arr is not None and (_is_correlation(arr) or _is_covariance(arr)):
        d = np.sqrt(np.diag(arr))
        R = arr / np.outer(d, d)
        np.fill_diagonal(R, 1.0)
        items = names or [f"V{i + 1}" for i in range(R.shape[0])]
        return R, n_obs, None, items, None
    R, n, np_obs, items = correlation_matrix(X, cor=cor, correct=correct, items=names)
    return R, (n if n_obs is None else n_obs), np_obs, items, X


# --------------------------------------------------------------------------- extraction

def _top_eig(S: np.ndarray, k: int):
    vals, vecs = np.linalg.eigh(S)
    return vals[::-1][:k], vecs[:, ::-1][:, :k]


def _minres_fn(psi, S, nf):
    Sm = S.copy()
    np.fill_diagonal(Sm, 1.0 - psi)
    vals, vecs = _top_eig(Sm, nf)
    vals = np.where(vals < _EPS, 100 * _EPS, vals)
    L = vecs * np.sqrt(vals)
    res = S - L @ L.T
    return float(np.sum(np.tril(res, -1) ** 2))


def _minres_gr(psi, S, nf):
    vals, vecs = _top_eig(S - np.diag(psi), nf)
    L = vecs * np.sqrt(np.maximum(vals, 0.0))
    return np.sum(L * L, axis=1) + psi - np.diag(S)


def _ml_fn(psi, S, nf):
    sc = 1.0 / np.sqrt(psi)
    e = np.linalg.eigvalsh(S * np.outer(sc, sc))[::-1][nf:]
    return float(-(np.sum(np.log(e) - e) - nf + S.shape[0]))


def _ml_load(psi, S, nf):
    sc = 1.0 / np.sqrt(psi)
    vals, vecs = _top_eig(S * np.outer(sc, sc), nf)
    return np.sqrt(psi)[:, None] * vecs * np.sqrt(np.maximum(vals - 1.0, 0.0))


def _ml_gr(psi, S, nf):
    L = _ml_load(psi, S, nf)
    g = np.sum(L * L, axis=1) + psi - np.diag(S)
    return g / psi ** 2


def _lbfgsb(fn, gr, start, S, nf, upper):
    """R's ``optim(start, fn, gr, method="L-BFGS-B", lower=.005, upper, control=list(parscale=.01))``."""
    scale = 0.01
    res = optimize.minimize(
        lambda z: fn(z * scale, S, nf), start / scale,
        jac=lambda z: gr(z * scale, S, nf) * scale,
        method="L-BFGS-B", bounds=[(0.005 / scale, upper / scale)] * len(start),
        options={"maxcor": 5, "ftol": 1e7 * _EPS, "gtol": 0.0, "maxiter": 100, "maxls": 20},
    )
    return res.x * scale, res


def fit_factors(corr, n_factors: int, method: str = "minres", n_obs=None, *, max_iter: int = 50,
                min_err: float = 0.001, smc_start: bool = True, warn: bool = True):
    """Extract unrotated common factors from a correlation matrix.

    Matches the extraction step of ``psych::fa(r, nfactors, fm=method,
    rotate="none")``, including psych's reflection of each factor so that its
    loadings sum to a positive number.

    Parameters
    ----------
    corr : array_like, shape (p, p)
        Correlation matrix (a covariance matrix is rescaled to correlations).
    n_factors : int
        Number of factors, ``1 <= n_factors < p``.
    method : {"minres", "ml", "pa"}
        ``minres``: minimise the off-diagonal residuals (``fm="minres"``);
        ``ml``: maximum likelihood (``fm="ml"``); ``pa``: iterated principal
        axes (``fm="pa"``).
    n_obs : int, optional
        Sample size (kept in ``info``; fit statistics need it).
    max_iter : int
        Principal-axis iteration limit (psych ``max.iter``).
    min_err : float
        Principal-axis convergence criterion on the change of the summed
        communalities (psych ``min.err``).
    smc_start : bool
        Principal axes start from SMCs (psych ``SMC=TRUE``) or from 1s
        (``SMC=FALSE``, as ``fa.parallel`` uses). minres and ML always start
        at ``1 - smc``, as in psych.
    warn : bool
        Warn when principal axes reach ``max_iter`` (psych ``warnings``).

    Returns
    -------
    loadings : ndarray, shape (p, n_factors)
        Unrotated loadings.
    uniquenesses : ndarray, shape (p,)
        ``1 - communality`` (``diag(R - LL')``).
    info : dict
        ``method``, ``converged``, ``n_iter``, ``objective`` (the criterion
        minimised), ``communalities``, ``eigenvalues`` (of R, psych's
        ``e.values``), ``common_eigenvalues`` (of R with communalities on the
        diagonal, psych's ``values``), ``heywood`` (indices of items at a
        bound), ``n_obs``.

    Raises
    ------
    ModelError
        Bad ``method`` or ``n_factors``.

    Notes
    -----
    minres minimises ``sum_{i<j} (r_ij - (LL')_ij)^2`` over the uniquenesses
    ``psi`` with ``L`` the top eigenvectors of ``R - diag(psi)`` scaled by
    the square roots of their eigenvalues; ML minimises
    ``-sum_{m>k}(log e_m - e_m) - k + p`` for the eigenvalues ``e`` of
    ``Psi^-1/2 R Psi^-1/2``. Both start at ``psi = 1 - smc`` and use
    L-BFGS-B with psi in ``[0.005, 1]`` and parameter scale 0.01, as psych.
    Principal axes iterate ``diag(R) <- diag(LL')`` from the SMCs until the
    summed communality changes by less than ``min_err``.

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.array([.8, .7, .6, .5])
    >>> R = np.outer(lam, lam); np.fill_diagonal(R, 1)
    >>> L, u, info = fit_factors(R, 1)
    >>> np.round(L[:, 0], 4).tolist()
    [0.8, 0.7, 0.6, 0.5]
    """
    with single_thread_blas():
        return _fit_factors(corr, n_factors, method, n_obs, max_iter, min_err, smc_start, warn)


def _fit_factors(corr, n_factors, method, n_obs, max_iter, min_err, smc_start, warn):
    R = np.asarray(corr, dtype=float)
    check_choice("method", method, METHODS)
    p = R.shape[0]
    if not isinstance(n_factors, (int, np.integer)) or not 1 <= n_factors < p:
        raise ModelError(f"n_factors must be an integer between 1 and {p - 1} for {p} items; got {n_factors!r}")
    nf = int(n_factors)
    d = np.sqrt(np.diag(R))
    R = R / np.outer(d, d)
    s_smc = smc(R)
    upper = max(float(s_smc.max()), 1.0)
    info: dict = {"method": method, "n_obs": n_obs}
    pa_values = None
    if method in ("minres", "ml"):
        start = np.diag(R) - s_smc
        if method == "minres":
            psi, res = _lbfgsb(_minres_fn, _minres_gr, start, R, nf, upper)
            vals, vecs = _top_eig(R - np.diag(psi), nf)
            L = vecs * np.sqrt(np.maximum(vals, 0.0))
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                start_fn = _ml_fn(np.maximum(start, 0.005), R, nf)
            # psych::fa stops: "L-BFGS-B needs finite values of 'fn'". Not for parallel analysis's
            # resampled matrices (warn=False), which must not stop the run.
            if warn and not np.isfinite(start_fn):
                raise DataError("ML factoring needs a positive definite correlation matrix, and this one is "
                                "singular (an item is a linear combination of others, or fewer respondents "
                                "than items); drop redundant items, collect more data or use method='minres'")
            psi, res = _lbfgsb(_ml_fn, _ml_gr, start, R, nf, upper)
            L = _ml_load(psi, R, nf)
        info.update(converged=bool(res.success), n_iter=int(res.nit), objective=float(res.fun),
                    message=str(res.message))
        at_bound = np.flatnonzero(psi <= 0.005 + 1e-8)
    else:
        Rm = R.copy()
        np.fill_diagonal(Rm, s_smc if smc_start else 1.0)
        comm = float(np.sum(np.diag(Rm)))
        err, it, converged = comm, 1, True
        while err > min_err:
            all_vals, all_vecs = np.linalg.eigh(Rm)
            pa_values = all_vals[::-1]
            vals, vecs = pa_values[:nf], all_vecs[:, ::-1][:, :nf]
            L = vecs * np.sqrt(np.maximum(vals, 0.0))
            new = np.sum(L * L, axis=1)
            comm1 = float(new.sum())
            np.fill_diagonal(Rm, new)
            err = abs(comm - comm1)
            comm = comm1
            it += 1
            if it > max_iter:
                converged = False
                if warn:
                    warnings.warn(f"principal axis: maximum iteration ({max_iter}) exceeded", stacklevel=2)
                break
        info.update(converged=converged, n_iter=it - 1, objective=float(err), message="")
        at_bound = np.array([], dtype=int)
    signs = np.sign(L.sum(axis=0))
    signs[signs == 0] = 1.0
    L = L * signs[None, :]
    L[L == 0] = 1e-15
    h2 = np.sum(L * L, axis=1)
    u2 = 1.0 - h2
    heywood = sorted(set(at_bound.tolist()) | set(np.flatnonzero(h2 >= 1.0).tolist()))
    S = R.copy()
    np.fill_diagonal(S, h2)
    info.update(
        communalities=h2,
        eigenvalues=np.linalg.eigvalsh(R)[::-1],
        # psych reports, for pa, the eigenvalues of the last matrix it decomposed
        common_eigenvalues=pa_values if method == "pa" else np.linalg.eigvalsh(S)[::-1],
        heywood=heywood,
    )
    return L, u2, info


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

def _smooth(R: np.ndarray) -> np.ndarray:
    """``psych::cor.smooth``: rescale eigenvalues when R is not positive definite."""
    vals, vecs = np.linalg.eigh(R)
    if vals.min() >= _EPS:
        return R
    vals = np.where(vals < 1e-12, 100 * 1e-12, vals)
    vals = vals * R.shape[0] / vals.sum()
    out = (vecs * vals) @ vecs.T
    d = np.sqrt(np.diag(out))
    return out / np.outer(d, d)


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
    sigma = _smooth(sigma)
    Rs = _smooth(R)
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
            cols = data[[by_name[i] for i in self.items]]
            text = [str(c) for c in cols.columns if not pd.api.types.is_numeric_dtype(cols[c])]
            if text:
                raise DataError(f"scores: column(s) {', '.join(map(repr, text))} are not numeric; "
                                "score or recode them first")
            idx = data.index
            x = cols.to_numpy(dtype=float, na_value=np.nan)
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
            from qimscale.analysis.nfactors import parallel_analysis

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
