"""How many factors? Horn's parallel analysis, Velicer's MAP and scree eigenvalues.

:func:`parallel_analysis` follows ``psych::fa.parallel`` (psych 2.2.9): the
observed eigenvalues of R (components) and of the reduced matrix of a
one-factor fit (factors) are compared with those of data simulated as
independent normals of the same size and, for raw data, of data resampled
column by column (which keeps each item's distribution and missingness but
breaks the correlations). The number of factors (components) is the number
of leading observed eigenvalues above the chosen quantile of the simulated
ones. All replications are computed at once (stacked correlation matrices,
batched eigendecompositions and a batched one-factor minres solver).

:func:`velicer_map` is ``psych::vss(...)$map``.

References
----------
Horn, J. L. (1965). A rationale and test for the number of factors in factor
analysis. *Psychometrika*, 30, 179-185. https://doi.org/10.1007/BF02289447

Velicer, W. F. (1976). Determining the number of components from the matrix
of partial correlations. *Psychometrika*, 41, 321-327.
https://doi.org/10.1007/BF02293557

Revelle, W., & Rocklin, T. (1979). Very simple structure: an alternative
procedure for estimating the optimal number of interpretable factors.
*Multivariate Behavioral Research*, 14, 403-414.
https://doi.org/10.1207/s15327906mbr1404_2
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale._core.linalg import zero_tolerance
from qimscale._core.result import Result
from qimscale.analysis._threads import single_thread_blas
from qimscale.analysis.factoring import as_correlation, check_choice, check_n_obs, fit_factors
from qimscale.errors import DataError, ModelError

__all__ = ["ParallelResult", "MapResult", "NFactorsResult", "parallel_analysis", "velicer_map", "eigenvalues",
           "number_of_factors",
           "pairwise_corr_batched"]

_EPS = np.finfo(float).eps


def eigenvalues(R) -> np.ndarray:
    """Eigenvalues of a correlation matrix in decreasing order (for a scree plot).

    Matches ``eigen(R)$values``.

    Parameters
    ----------
    R : array_like, shape (p, p)

    Returns
    -------
    ndarray, shape (p,)

    Examples
    --------
    >>> eigenvalues([[1, .5], [.5, 1]]).tolist()
    [1.5, 0.5]
    """
    return np.linalg.eigvalsh(np.asarray(R, dtype=float))[::-1]


# --------------------------------------------------------------------------- batched helpers

def pairwise_corr_batched(X: np.ndarray) -> np.ndarray:
    """Pearson correlations with pairwise deletion for a stack of data sets.

    Matches ``cor(x, use="pairwise")`` for each ``X[b]``.

    Parameters
    ----------
    X : ndarray, shape (B, n, p)
        NaN marks a missing value.

    Returns
    -------
    ndarray, shape (B, p, p)
    """
    X = np.asarray(X, dtype=float)
    miss = np.isnan(X)
    if not miss.any():
        Xc = X - X.mean(axis=1, keepdims=True)
        C = np.einsum("bni,bnj->bij", Xc, Xc, optimize=True)
        d = np.sqrt(np.einsum("bii->bi", C))
        with np.errstate(invalid="ignore", divide="ignore"):
            return C / d[:, :, None] / d[:, None, :]
    M = (~miss).astype(float)
    X0 = np.where(miss, 0.0, X)
    n = np.einsum("bni,bnj->bij", M, M, optimize=True)
    sx = np.einsum("bni,bnj->bij", X0, M, optimize=True)  # sum of x_i over rows where j is present
    sxx = np.einsum("bni,bnj->bij", X0 * X0, M, optimize=True)
    sxy = np.einsum("bni,bnj->bij", X0, X0, optimize=True)
    sy = np.swapaxes(sx, 1, 2)
    syy = np.swapaxes(sxx, 1, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / n
        vx = sxx - sx * sx / n
        vy = syy - sy * sy / n
        R = cov / np.sqrt(vx * vy)
    idx = np.arange(X.shape[2])
    R[:, idx, idx] = 1.0
    return R


def _batched_minres_values(R: np.ndarray, *, tol: float = 1e-7, maxit: int = 100):
    """Eigenvalues of ``R`` with one-factor minres communalities on the diagonal, for a stack of R.

    Minimises the minres criterion ``F(l) = sum_{i<j} (r_ij - l_i l_j)^2``
    directly over the loadings by a damped projected Newton method, with
    ``|l_i| <= sqrt(0.995)`` (psych's bound ``psi >= 0.005``) and psych's
    start (top eigenvector of R with SMCs on the diagonal). Returns
    ``(values, converged_mask)``.

    Notes
    -----
    ``dF/dl_k = -2 sum_{j!=k} e_kj l_j`` and ``d2F/dl_k dl_m = -2 e_km + 2 l_k
    l_m`` (``k != m``), ``d2F/dl_k^2 = 2 sum_{j!=k} l_j^2``, with ``e = R -
    l l'``. The Hessian is shifted to be positive definite where needed and
    an Armijo backtracking line search keeps every step a descent step.
    """
    B, p, _ = R.shape
    idx = np.arange(p)
    hb = np.sqrt(0.995)
    Rinv = np.linalg.pinv(R, hermitian=True)
    smc = np.clip(1.0 - 1.0 / np.einsum("bii->bi", Rinv), 0.0, 1.0)
    M = R.copy()
    M[:, idx, idx] = smc
    w, V = np.linalg.eigh(M)
    lam = np.maximum(w[:, -1], 0.0)
    l = np.clip(V[:, :, -1] * np.sqrt(lam)[:, None], -hb, hb)
    off = 1.0 - np.eye(p)

    def fg(l):
        E = (R - l[:, :, None] * l[:, None, :]) * off
        return 0.5 * np.sum(E * E, axis=(1, 2)), -2.0 * np.einsum("bkj,bj->bk", E, l), E

    F, g, E = fg(l)
    done = np.zeros(B, dtype=bool)
    for _ in range(maxit):
        act = ((l >= hb - 1e-12) & (g < 0)) | ((l <= -hb + 1e-12) & (g > 0))
        gf = np.where(act, 0.0, g)
        done |= np.abs(gf).max(axis=1) < tol
        if done.all():
            break
        l2 = l * l
        H = (-2.0 * E + 2.0 * l[:, :, None] * l[:, None, :]) * off
        H[:, idx, idx] = 2.0 * (l2.sum(axis=1)[:, None] - l2)
        H = np.where(act[:, :, None] | act[:, None, :], 0.0, H)
        H[:, idx, idx] = np.where(act, 1.0, H[:, idx, idx])
        ev = np.linalg.eigvalsh(H)[:, 0]
        H[:, idx, idx] += np.where(ev < 1e-6, 1e-3 - ev, 0.0)[:, None]
        step = -np.linalg.solve(H, gf[:, :, None])[:, :, 0]
        step[done] = 0.0
        t = np.ones(B)
        for _half in range(30):
            ln = np.clip(l + t[:, None] * step, -hb, hb)
            Fn, gn, En = fg(ln)
            bad = (Fn > F + 1e-4 * np.einsum("bi,bi->b", g, ln - l)) & ~done
            if not bad.any():
                break
            t = np.where(bad, t / 2, t)
        stalled = bad if _half == 29 else np.zeros(B, dtype=bool)
        keep = stalled | done
        l = np.where(keep[:, None], l, ln)
        F = np.where(keep, F, Fn)
        g = np.where(keep[:, None], g, gn)
        E = np.where(keep[:, None, None], E, En)
        done |= stalled  # no further descent possible: a (numerical) minimum
    S = R.copy()
    S[:, idx, idx] = l * l
    return np.linalg.eigvalsh(S)[:, ::-1], done


def _fa_values(R: np.ndarray, method: str) -> np.ndarray:
    """psych's ``fa(R, nfactors=1, fm=method, SMC=FALSE)$values`` for a stack of matrices.

    minres uses the batched solver :func:`_batched_minres_values` (any matrix
    it leaves unconverged, and the other methods, go through
    :func:`~qimscale.analysis.efa.fit_factors` one at a time).
    """
    out = np.empty((R.shape[0], R.shape[1]))
    todo = np.ones(R.shape[0], dtype=bool)
    if method == "minres":
        vals, conv = _batched_minres_values(R)
        out[conv] = vals[conv]
        todo = ~conv
    for b in np.flatnonzero(todo):
        _L, _u, info = fit_factors(R[b], 1, method, None, max_iter=50, min_err=0.001,
                                   smc_start=False, warn=False)
        out[b] = info["common_eigenvalues"]
    return out


# --------------------------------------------------------------------------- parallel analysis

@dataclass
class ParallelResult(Result):
    """Outcome of a parallel analysis.

    Attributes
    ----------
    n_factors : int or None
        Suggested number of factors (``nfact``); None when ``fa="pc"``.
    n_components : int or None
        Suggested number of components (``ncomp``); None when ``fa="fa"``.
    pc_values, fa_values : ndarray
        Observed eigenvalues of R and of the reduced matrix of a one-factor fit
        (``pc.values``, ``fa.values``).
    pc_sim, fa_sim : ndarray
        Mean eigenvalues of simulated normal data (``pc.sim``, ``fa.sim``).
    pc_sim_quantile, fa_sim_quantile : ndarray
        Their ``quant`` quantiles.
    pc_resampled, fa_resampled : ndarray
        Mean eigenvalues of resampled data (``pc.simr``, ``fa.simr``; NaN when
        not resampled).
    pc_resampled_quantile, fa_resampled_quantile : ndarray
    items : list of str
    n_obs : int
    n_iter : int
    quant : float
    fa : str
    method : str
    cor : str
    seed : int or None
    """

    n_factors: int | None
    n_components: int | None
    pc_values: np.ndarray
    fa_values: np.ndarray
    pc_sim: np.ndarray
    fa_sim: np.ndarray
    pc_sim_quantile: np.ndarray
    fa_sim_quantile: np.ndarray
    pc_resampled: np.ndarray
    fa_resampled: np.ndarray
    pc_resampled_quantile: np.ndarray
    fa_resampled_quantile: np.ndarray
    items: list
    n_obs: int
    n_iter: int
    quant: float
    fa: str
    method: str
    cor: str
    seed: int | None = None
    extra: dict = field(default_factory=dict)

    title = "Parallel analysis"

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"eigenvalues"``: the scree table of :meth:`table`."""
        return {"eigenvalues": self.table()}

    def summary(self) -> str:
        """The suggested numbers and the scree table."""
        return (f"Parallel analysis ({self.n_iter} iterations, quantile {self.quant}, {self.cor} correlations): "
                f"{self.n_factors} factor(s), {self.n_components} component(s)\n"
                + self.table().round(3).to_string())

    def table(self) -> pd.DataFrame:
        """Observed and reference eigenvalues, one row per position (a scree table).

        Columns ``pc_values``, ``pc_sim``, ``pc_sim_quantile``,
        ``pc_resampled``, ``fa_values``, ``fa_sim``, ``fa_sim_quantile``,
        ``fa_resampled``.
        """
        cols = ["pc_values", "pc_sim", "pc_sim_quantile", "pc_resampled", "fa_values", "fa_sim",
                "fa_sim_quantile", "fa_resampled"]
        return pd.DataFrame({c: getattr(self, c) for c in cols},
                            index=pd.RangeIndex(1, len(self.pc_values) + 1, name="position"))

    def to_dict(self) -> dict:
        """Plain-JSON form: the suggested numbers and every eigenvalue series."""
        keys = ["pc_values", "fa_values", "pc_sim", "fa_sim", "pc_sim_quantile", "fa_sim_quantile",
                "pc_resampled", "fa_resampled", "pc_resampled_quantile", "fa_resampled_quantile"]
        out = {"n_factors": self.n_factors, "n_components": self.n_components}
        out.update({k: np.asarray(getattr(self, k)).tolist() for k in keys})
        out.update(items=list(self.items), n_obs=self.n_obs, n_iter=self.n_iter, quant=self.quant,
                   fa=self.fa, method=self.method, cor=self.cor, seed=self.seed)
        return out


_CHUNK = 250  # replications summarised per progress report


class _Ticker:
    """Counts finished work and passes ``(done, total)`` to an optional progress callback."""

    def __init__(self, progress, total: int):
        self.progress, self.total, self.done = progress, int(total), 0

    def __call__(self, n: int) -> None:
        if self.progress is not None and n:
            self.done += int(n)
            self.progress(self.done, self.total)


def _n_above(values: np.ndarray, ref: np.ndarray) -> int:
    """psych's ``which(!(values > ref))[1] - 1``: leading values above the reference."""
    above = values > ref
    return int(np.argmin(above)) if not above.all() else int(len(values))


def parallel_analysis(data, *, n_obs=None, n_iter: int = 20, fa: str = "both", method: str = "minres",
                      quant: float = 0.95, sim: bool = True, cor: str = "pearson", correct: float = 0.5,
                      random_state=None, progress=None) -> ParallelResult:
    """Horn's parallel analysis.

    Matches ``psych::fa.parallel(x, n.obs, fm=method, fa=fa, n.iter=n_iter,
    quant=quant, sim=sim, cor=cor)`` (random draws differ from R's, so the
    reference eigenvalues agree in distribution, not digit by digit).

    Parameters
    ----------
    data : DataFrame or array_like
        Raw responses (n x p; NaN = missing, pairwise correlations) or a
        correlation matrix (then ``n_obs`` is required and only simulation is
        possible).
    n_obs : int, optional
        Sample size for a correlation matrix. As in psych, giving ``n_obs``
        turns resampling off.
    n_iter : int
        Number of simulated (and resampled) data sets.
    fa : {"both", "fa", "pc"}
        Which eigenvalues to compare: factors, components or both.
    method : {"minres", "ml", "pa"}
        Extraction for the factor eigenvalues (a one-factor fit, as psych).
    quant : float
        Quantile of the reference eigenvalues to beat (psych default 0.95).
    sim : bool
        Simulate normal data; with ``sim=False`` and raw data only resampling
        is done.
    cor : {"pearson", "polychoric"}
        Correlations of the observed and resampled data. Simulated data are
        always normal and use Pearson correlations, as in psych.
    correct : float
        Polychoric continuity correction.
    random_state : int or numpy.random.Generator, optional
        Seed for reproducible results.
    progress : callable, optional
        ``progress(done, total)``, called as replications are summarised
        (per chunk of matrices, ending with ``done == total``; ``total`` counts
        resampled plus simulated data sets). It does not change any number.

    Returns
    -------
    ParallelResult

    Raises
    ------
    ModelError
        Bad options or a correlation matrix without ``n_obs``.
    DataError
        Unusable data.

    Notes
    -----
    The suggested number is the count of leading observed eigenvalues that
    exceed the ``quant`` quantile of the simulated eigenvalues. Following
    psych: with ``fa="fa"`` and no resampling the mean (not the quantile) of
    the simulated factor eigenvalues is the threshold; with ``sim=False`` the
    resampled quantiles are used. Factor eigenvalues are those of R with the
    communalities of a one-factor fit on the diagonal.

    References
    ----------
    Horn, J. L. (1965). https://doi.org/10.1007/BF02289447

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = rng.standard_normal((300, 2))
    >>> x = np.repeat(f, 4, axis=1) * .7 + rng.standard_normal((300, 8)) * .7
    >>> res = parallel_analysis(x, n_iter=10, random_state=1)
    >>> res.n_factors, res.n_components
    (2, 2)
    """
    check_choice("fa", fa, ("both", "fa", "pc"))
    check_choice("method", method, ("minres", "ml", "pa"))
    if not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ModelError(f"n_iter must be a positive integer; got {n_iter!r}")
    if not 0 < quant < 1:
        raise ModelError(f"quant must be between 0 and 1; got {quant!r}")
    n_obs = check_n_obs(n_obs)
    R, n, _np_obs, items, raw = as_correlation(data, None, cor, correct)
    if raw is None:
        if n_obs is None:
            raise ModelError("parallel analysis of a correlation matrix needs n_obs (the sample size)")
        n = int(n_obs)
        resample = False
    elif n_obs is not None:
        n = int(n_obs)
        resample = False
    else:
        resample = True
    if not sim and not resample:
        sim = True  # psych: a correlation matrix can only be simulated
    p = R.shape[0]
    rng = np.random.default_rng(random_state)
    want_fa = fa != "pc"
    pc_values = eigenvalues(R)
    if want_fa:
        fa_values = fit_factors(R, 1, method, None, max_iter=50, min_err=0.001, smc_start=True,
                                warn=True)[2]["common_eigenvalues"]
    else:
        fa_values = np.full(p, np.nan)
    nan = np.full(p, np.nan)

    # work units: each data set summarised, plus each polychoric matrix of a resampled set
    total = n_iter * (int(resample) * (1 + int(cor != "pearson")) + int(sim))
    tick = _Ticker(progress, total)

    def summarise(Rs):
        # in chunks only to report progress: every matrix is solved on its own, so the
        # values do not depend on the chunking
        pcs, fas = [], []
        with single_thread_blas():  # many tiny decompositions: threads only add overhead
            for s in range(0, len(Rs), _CHUNK):
                part = Rs[s:s + _CHUNK]
                pcs.append(np.linalg.eigvalsh(part)[:, ::-1])
                fas.append(_fa_values(part, method) if want_fa else np.full_like(pcs[-1], np.nan))
                tick(len(part))
        pcv, fav = np.concatenate(pcs), np.concatenate(fas)
        return (pcv.mean(axis=0), np.quantile(pcv, quant, axis=0),
                fav.mean(axis=0), np.quantile(fav, quant, axis=0))

    pc_r = pc_rq = fa_r = fa_rq = nan
    if resample:
        x = raw.to_numpy(dtype=float, na_value=np.nan) if isinstance(raw, pd.DataFrame) else np.asarray(raw, float)
        rows = rng.integers(0, n, size=(n_iter, n, p))
        Xs = x[rows, np.arange(p)[None, None, :]]
        if cor == "pearson":
            Rs = pairwise_corr_batched(Xs)
        else:
            from qimscale.analysis.polychoric import polychoric  # lazily: the Pearson path never loads the polychoric engine (start-up)

            polys = []
            for b in range(n_iter):
                polys.append(np.asarray(polychoric(Xs[b], correct=correct).corr, dtype=float))
                tick(1)
            Rs = np.stack(polys)
        bad = ~np.isfinite(Rs).all(axis=(1, 2))
        if bad.all():
            raise DataError("parallel analysis: every resampled data set has an undefined correlation; "
                            "items with very few answers should be dropped")
        pc_r, pc_rq, fa_r, fa_rq = summarise(Rs[~bad])
        tick(int(bad.sum()))  # data sets left out still count as done
    pc_s = pc_sq = fa_s = fa_sq = nan
    if sim:
        Z = rng.standard_normal((n_iter, n, p))
        pc_s, pc_sq, fa_s, fa_sq = summarise(pairwise_corr_batched(Z))

    n_comp = n_fact = None
    if fa in ("pc", "both"):
        n_comp = _n_above(pc_values, pc_sq if sim else pc_rq)
    if fa in ("fa", "both"):
        if sim:
            thr = fa_s if (fa == "fa" and not resample) else fa_sq
        else:
            thr = fa_rq
        n_fact = _n_above(fa_values, thr)
    seed = random_state if isinstance(random_state, (int, np.integer)) else None
    return ParallelResult(
        n_factors=n_fact, n_components=n_comp, pc_values=pc_values, fa_values=fa_values,
        pc_sim=pc_s, fa_sim=fa_s, pc_sim_quantile=pc_sq, fa_sim_quantile=fa_sq,
        pc_resampled=pc_r, fa_resampled=fa_r, pc_resampled_quantile=pc_rq, fa_resampled_quantile=fa_rq,
        items=items, n_obs=int(n), n_iter=int(n_iter), quant=float(quant), fa=fa, method=method, cor=cor,
        seed=seed, extra={"resampled": resample, "simulated": sim, "correlation": R},
    )


# --------------------------------------------------------------------------- MAP

@dataclass
class MapResult(Result):
    """Velicer's minimum average partial.

    Attributes
    ----------
    map : ndarray
        Average squared partial correlation after removing 1..n components
        (psych ``vss(...)$map``).
    n_factors : int
        Position of the minimum (1-based).
    """

    map: np.ndarray
    n_factors: int

    title = "Velicer's MAP"

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {"map": np.asarray(self.map).tolist(), "n_factors": self.n_factors}

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"map"``: the average squared partial correlation per number of components removed."""
        m = np.asarray(self.map, dtype=float)
        return {"map": pd.DataFrame({"map": m}, index=pd.RangeIndex(1, len(m) + 1, name="components"))}

    def summary(self) -> str:
        """The suggested number and the MAP values."""
        return f"Velicer's MAP: {self.n_factors} component(s)\n" + self.tables()["map"].round(4).to_string()


def velicer_map(data, *, n: int = 8, cor: str = "pearson", correct: float = 0.5) -> MapResult:
    """Velicer's MAP test.

    Matches ``psych::vss(x, n)$map`` and the number psych prints
    (``which.min(map)``).

    Parameters
    ----------
    data : DataFrame or array_like
        Raw responses (pairwise correlations) or a correlation matrix.
    n : int
        Largest number of components to remove (psych default 8, at most p - 1).
    cor : {"pearson", "polychoric"}
    correct : float
        Polychoric continuity correction.

    Returns
    -------
    MapResult

    Notes
    -----
    With ``C = V diag(sqrt(e))`` the principal components of R,
    ``R*_m = R - C_m C_m'`` is rescaled to partial correlations and
    ``MAP_m = sum_{i != j} (r*_ij)^2 / (p (p - 1))``.

    References
    ----------
    Velicer, W. F. (1976). https://doi.org/10.1007/BF02293557

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = rng.standard_normal((300, 2))
    >>> x = np.repeat(f, 4, axis=1) * .7 + rng.standard_normal((300, 8)) * .7
    >>> velicer_map(x).n_factors
    2
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DataError(f"The 'n' parameter of velicer_map must be a positive integer. Got {n!r} instead.")
    R = as_correlation(data, None, cor, correct)[0]
    p = R.shape[0]
    n1 = min(int(n), p - 1)
    vals, vecs = np.linalg.eigh(R)
    vals, vecs = vals[::-1], vecs[:, ::-1]
    # A zero eigenvalue (singular R) is zero within the package's tolerance, whatever its sign
    # in the last bits; a partial variance at or below that tolerance leaves the partial
    # correlations undefined (NaN, as psych's vss gives), whether round-off made it +-1e-17.
    # A negative eigenvalue beyond the tolerance (a non-positive-definite pairwise R) has no
    # component: MAP is undefined from there on, as psych's sqrt() of it gives NaN.
    tol = zero_tolerance(vals)
    comp = vecs * np.sqrt(np.where(vals > tol, vals, 0.0))
    out = np.full(min(int(n), p), np.nan)
    for i in range(1, n1 + 1):
        c = R - comp[:, :i] @ comp[:, :i].T
        partial_var = np.diag(c)
        if vals[i - 1] < -tol or np.any(partial_var <= tol):
            continue
        d = 1.0 / np.sqrt(partial_var)
        rs = c * np.outer(d, d)
        np.fill_diagonal(rs, 0.0)
        out[i - 1] = np.sum(rs * rs) / (p * (p - 1))
    undefined = [i + 1 for i in range(n1) if np.isnan(out[i])]
    if undefined:
        import warnings
        warnings.warn(f"MAP: the correlation matrix is singular (an item is a linear combination of "
                      f"others, e.g. two identical items), so MAP is undefined (NaN) for "
                      f"{', '.join(map(str, undefined))} component(s), as in psych::vss; drop redundant items",
                      UserWarning, stacklevel=2)
    return MapResult(out, int(np.nanargmin(out)) + 1)


# --------------------------------------------------------------------------- all criteria at once

@dataclass
class NFactorsResult(Result):
    """Parallel analysis, MAP and the scree eigenvalues together (``qimscale nfactors``).

    Attributes
    ----------
    parallel : ParallelResult
    map : MapResult
    """

    parallel: ParallelResult
    map: MapResult

    title = "Number of factors"

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"eigenvalues"`` (the parallel-analysis scree table) and ``"map"``."""
        return {"eigenvalues": self.parallel.table(), "map": self.map.tables()["map"]}

    def to_dict(self) -> dict:
        """JSON form: ``parallel`` (suggested factors), ``parallel_components``, ``map``,
        ``eigenvalues`` (of R), ``fa_eigenvalues``, ``map_values``, ``parallel_detail``."""
        return {
            "parallel": self.parallel.n_factors,
            "parallel_components": self.parallel.n_components,
            "map": self.map.n_factors,
            "eigenvalues": np.asarray(self.parallel.pc_values).tolist(),
            "fa_eigenvalues": np.asarray(self.parallel.fa_values).tolist(),
            "map_values": np.asarray(self.map.map).tolist(),
            "parallel_detail": self.parallel.to_dict(),
        }

    def summary(self) -> str:
        """Plain-text report with the scree table."""
        pa = self.parallel
        lines = [f"Parallel analysis ({pa.n_iter} iterations, quantile {pa.quant}, {pa.cor} correlations): "
                 f"{pa.n_factors} factor(s), {pa.n_components} component(s)",
                 f"Velicer's MAP: {self.map.n_factors} component(s)", "",
                 pa.table().round(3).to_string()]
        return "\n".join(lines)


def number_of_factors(data, *, n_iter: int = 20, cor: str = "pearson", correct: float = 0.5,
                      method: str = "minres", quant: float = 0.95, n_map: int = 8, n_obs=None,
                      random_state=None, progress=None) -> NFactorsResult:
    """Parallel analysis (factors and components), Velicer's MAP and the eigenvalues in one call.

    Matches ``psych::fa.parallel(x, fa="both", n.iter, quant, cor)`` and
    ``psych::vss(x, n=8)$map``; see :func:`parallel_analysis` and
    :func:`velicer_map`.

    Parameters
    ----------
    data : DataFrame or array_like
        Raw responses or a correlation matrix (then ``n_obs`` is required).
    n_iter, cor, correct, method, quant, n_obs, random_state, progress
        As :func:`parallel_analysis`.
    n_map : int
        Largest number of components for MAP.

    Returns
    -------
    NFactorsResult
    """
    pa = parallel_analysis(data, n_obs=n_obs, n_iter=n_iter, fa="both", method=method, quant=quant, cor=cor,
                           correct=correct, random_state=random_state, progress=progress)
    return NFactorsResult(pa, velicer_map(pa.extra["correlation"], n=n_map))
