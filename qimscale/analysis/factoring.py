"""Factor extraction matching ``psych::fa``: the correlation input and the unrotated solution.

:func:`correlation_matrix` / :func:`as_correlation` turn responses (or a
correlation/covariance matrix) into the matrix to factor, through the house's
item validator; :func:`fit_factors` extracts minres, ML or principal-axis
factors. The estimator :class:`~qimscale.analysis.efa.EFA`, parallel analysis
and MAP (:mod:`qimscale.analysis.nfactors`) and omega
(:mod:`qimscale.analysis.omega`) build on this module; it imports none of them.

References
----------
Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals
(minres). *Psychometrika*, 31, 351-368. https://doi.org/10.1007/BF02289468

Jöreskog, K. G. (1967). Some contributions to maximum likelihood factor
analysis. *Psychometrika*, 32, 443-482. https://doi.org/10.1007/BF02289658
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize

from qimscale._core.checks import check_option, numeric_matrix
from qimscale._core.linalg import is_positive_definite
from qimscale.analysis._threads import single_thread_blas
from qimscale.analysis.moments import smc
from qimscale.errors import DataError, ModelError

__all__ = ["METHODS", "HeywoodWarning", "check_choice", "check_n_obs", "correlation_matrix", "as_correlation",
           "fit_factors"]

METHODS = ("minres", "ml", "pa")
_EPS = np.finfo(float).eps


def check_choice(name: str, value, choices) -> None:
    """Raise the house-style error when ``value`` is not one of ``choices`` (:func:`~qimscale._core.checks.check_option`).

    Raises
    ------
    ModelError
        ``The 'name' parameter of efa must be one of {...}. Got 'value' instead.``
    """
    check_option(name, value, choices, "efa")


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
    if not isinstance(data, pd.DataFrame):
        x = np.asarray(data, dtype=float)
        if x.ndim != 2:
            raise DataError(f"EFA needs at least 2 item columns; got shape {x.shape}")
        data = pd.DataFrame(x, columns=list(items) if items is not None and len(items) == x.shape[1]
                            else [f"V{i + 1}" for i in range(x.shape[1])])
    names = [str(c) for c in data.columns] if items is None else list(items)
    if data.shape[1] < 2:
        raise DataError(f"EFA needs at least 2 item columns; got shape {data.shape}")
    if len(names) != data.shape[1]:
        raise DataError(f"{len(names)} item name(s) for {data.shape[1]} columns; give one name per column")
    x = numeric_matrix(data)   # names every bad cell: row, column, value (qimscale._core.checks)
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
        from qimscale.analysis.polychoric import polychoric  # lazily: the Pearson path never loads the polychoric engine (start-up)

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
            # psych::fa stops: "L-BFGS-B needs finite values of 'fn'" (log of a zero eigenvalue).
            # Decided here with the package's tolerance, not by whether log() of an eigenvalue of
            # +-1e-17 is finite (that depends on the CPU's BLAS kernel). Not for parallel
            # analysis's resampled matrices (warn=False), which must not stop the run.
            if warn and not is_positive_definite(R):
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
