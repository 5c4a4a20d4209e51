"""The polychoric correlation matrix of a table of items (:func:`polychoric`), its result and smoothing."""

from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from qimscale.analysis.polychoric.cells import _grid_terms
from qimscale.analysis.polychoric.engine import _fit_rho, _loglik, _start_values
from qimscale.analysis.polychoric.tables import _pair_tables, _pairwise_setup, _zero_add_2x2
from qimscale.analysis.polychoric.thresholds import _thresholds_from_counts, ordinal_codes
from qimscale._core.checks import check_option, numeric_matrix
from qimscale._core.result import Result
from qimscale.errors import DataError

__all__ = ["PolychoricWarning", "PolychoricResult", "polychoric", "cor_smooth"]


class PolychoricWarning(UserWarning):
    """A polychoric result was computed but needs the user's attention."""


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------
@dataclass
class PolychoricResult(Result):
    """Result of :func:`polychoric`.

    Attributes
    ----------
    corr : pandas.DataFrame
        Items x items polychoric correlation matrix (after smoothing when
        ``smoothed`` is true); NaN where a pair has no complete cases.
    thresholds : dict[str, numpy.ndarray]
        Item -> its ``K - 1`` finite thresholds, from all non-missing values of
        that item (``K`` = number of observed categories).
    categories : dict[str, numpy.ndarray]
        Item -> its sorted observed category values (threshold ``c`` separates
        ``categories[c]`` from ``categories[c + 1]``).
    n_pairs : pandas.DataFrame
        Items x items number of complete cases of each pair (diagonal: item ``n``).
    smoothed : bool
        True when the matrix was not positive definite and was smoothed.
    warnings : list[str]
        Every warning raised while computing the result, in order.
    raw_corr : pandas.DataFrame
        The correlation matrix before smoothing.
    global_thresholds : bool
        Whether the correlations were estimated with the items' global
        thresholds (False when psych's pairwise rule was used).
    converged : pandas.DataFrame
        Items x items booleans: did the ML search of each pair converge.
    """

    corr: pd.DataFrame
    thresholds: dict[str, np.ndarray]
    categories: dict[str, np.ndarray]
    n_pairs: pd.DataFrame
    smoothed: bool
    warnings: list[str] = field(default_factory=list)
    raw_corr: pd.DataFrame | None = None
    global_thresholds: bool = True
    converged: pd.DataFrame | None = None

    title = "Polychoric correlations"

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"matrix"`` (the correlations), ``"thresholds"`` (:meth:`threshold_table`) and ``"n_pairs"``."""
        return {"matrix": self.corr.copy(), "thresholds": self.threshold_table(), "n_pairs": self.n_pairs.copy()}

    def threshold_table(self) -> pd.DataFrame:
        """Thresholds as an items x thresholds DataFrame (NaN-padded), like psych's ``$tau``.

        Columns are ``t1 .. t{K-1}`` for the largest ``K``. Equal to psych's
        ``$tau`` when every item uses the same categories; psych instead keeps
        one column per value of the global range, with -Inf (a category below
        the item's lowest), +Inf (above its highest) or a repeated threshold
        (an unobserved middle category), where qimscale lists only the
        thresholds between observed categories.
        """
        width = max((len(t) for t in self.thresholds.values()), default=0)
        rows = {k: np.concatenate([v, np.full(width - len(v), np.nan)]) for k, v in self.thresholds.items()}
        return pd.DataFrame.from_dict(rows, orient="index", columns=[f"t{i + 1}" for i in range(width)])

    def to_dict(self) -> dict:
        """JSON-ready dictionary (NaN kept as float NaN; the CLI turns it into null)."""
        items = list(self.corr.columns)
        return {
            "method": "polychoric",
            "items": items,
            "corr": self.corr.to_numpy().tolist(),
            "thresholds": {k: v.tolist() for k, v in self.thresholds.items()},
            "categories": {k: v.tolist() for k, v in self.categories.items()},
            "n_pairs": self.n_pairs.to_numpy().tolist(),
            "smoothed": bool(self.smoothed),
            "global_thresholds": bool(self.global_thresholds),
            "warnings": list(self.warnings),
        }


# --------------------------------------------------------------------------------------
# Smoothing
# --------------------------------------------------------------------------------------
def cor_smooth(r: np.ndarray, eig_tol: float = 1e-12) -> tuple[np.ndarray, bool]:
    """Eigenvalue smoothing of a non-positive-definite correlation matrix.

    Parameters
    ----------
    r : numpy.ndarray
        Symmetric correlation matrix.
    eig_tol : float, default 1e-12
        Eigenvalues below this are replaced by ``100 * eig_tol``.

    Returns
    -------
    smoothed : numpy.ndarray
        The smoothed matrix (``r`` unchanged when already positive definite).
    changed : bool
        True when smoothing was applied.

    Notes
    -----
    psych's ``cor.smooth``: if the smallest eigenvalue is below machine
    epsilon, eigenvalues below ``eig_tol`` become ``100 * eig_tol``, all
    eigenvalues are rescaled to sum to ``p``, the matrix is rebuilt as
    :math:`V \\Lambda V'` and rescaled to unit diagonal (``cov2cor``).
    Matches ``psych::cor.smooth(r)``.

    References
    ----------
    Wothke, W. (1993). Nonpositive definite matrices in structural modeling.
    In K. A. Bollen & J. S. Long (Eds.), *Testing structural equation models*
    (pp. 256-293). Sage.

    Examples
    --------
    >>> r = np.array([[1, .9, .9], [.9, 1, -.9], [.9, -.9, 1]])
    >>> s, changed = cor_smooth(r)
    >>> changed, bool(np.linalg.eigvalsh(s).min() > 0)
    (True, True)
    """
    r = np.asarray(r, dtype=float)
    vals, vecs = np.linalg.eigh(r)
    if vals.min() >= np.finfo(float).eps:
        return r, False
    vals = np.where(vals < eig_tol, 100.0 * eig_tol, vals)
    vals = vals * r.shape[0] / vals.sum()
    s = (vecs * vals) @ vecs.T
    d = 1.0 / np.sqrt(np.diag(s))
    s = s * d[:, None] * d[None, :]
    return (s + s.T) / 2.0, True


# --------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------
def _as_frame(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    arr = np.asarray(data)
    if arr.ndim != 2:
        raise DataError(f"polychoric needs a 2-d table of items (rows = respondents); got {arr.ndim} dimension(s)")
    return pd.DataFrame(arr, columns=[f"V{i + 1}" for i in range(arr.shape[1])])


def _validate(df: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Numeric float matrix of the items after the checks every item must pass."""
    names = [str(c) for c in df.columns]
    if len(names) < 2:
        raise DataError(f"polychoric correlations need at least 2 items; got {len(names)} ({names})")
    # one validator for every analysis: numbers (ordered categoricals as codes 1..K), finite,
    # whole numbers; a bad cell is named by row, column and value
    x = numeric_matrix(df, context="polychoric", integer=True, ordered_categorical=True)
    return x, names


# --------------------------------------------------------------------------------------
# The matrix
# --------------------------------------------------------------------------------------
def polychoric(data, *, correct: float = 0.5, smooth: bool = True,
               missing: Literal["pairwise", "listwise"] = "pairwise",
               global_thresholds: bool | Literal["auto"] = "auto",
               max_categories: int = 8, zero_add_2x2: float = 0.0) -> PolychoricResult:
    """Polychoric correlation matrix by two-step maximum likelihood.

    Parameters
    ----------
    data : pandas.DataFrame or array_like
        Rows = respondents, columns = ordinal items coded as integers (or
        ordered categoricals, used as codes ``1..K`` in their declared order);
        NaN = missing.
    correct : float, default 0.5
        psych's continuity correction: in the pairwise-threshold path each
        empty cell of a pair's table gets ``correct`` counts (see Notes).
        ``0`` switches it off. It has no effect with global thresholds (as in
        psych).
    smooth : bool, default True
        Smooth a non-positive-definite result with :func:`cor_smooth` (and warn).
    missing : {"pairwise", "listwise"}, default "pairwise"
        ``"pairwise"``: each correlation uses the cases complete on its pair and
        thresholds use all non-missing values of each item (psych, lavaan's
        ``missing="pairwise"``). ``"listwise"``: rows with any missing value are
        dropped first.
    global_thresholds : {"auto", True, False}, default "auto"
        ``True``: thresholds of each item from all its data, held fixed in
        every pair (lavaan; psych ``global=TRUE``). ``False``: thresholds from
        each pair's (corrected) table margins (psych ``global=FALSE``).
        ``"auto"``: psych's rule - global unless the items do not all have the
        same highest observed category, in which case pairwise, with a warning.
    max_categories : int, default 8
        Items with more distinct observed values raise an error (psych's
        ``max.cat``).
    zero_add_2x2 : float, default 0
        lavaan's ``zero.add[1]`` (lavaan uses 0.5): when two *binary* items
        have a 2 x 2 table with exactly one empty cell, add this to the empty
        cell and its diagonal partner and subtract it from the other two cells
        (the margins stay the same) before estimating rho. Only used with
        global thresholds. psych does not do this (default 0).

    Returns
    -------
    PolychoricResult
        ``corr`` (items x items DataFrame), ``thresholds`` (item -> finite
        thresholds), ``categories``, ``n_pairs`` (items x items complete-case
        counts), ``smoothed`` (bool), ``warnings`` (list of str),
        ``raw_corr`` (before smoothing), ``global_thresholds`` (bool used),
        ``converged`` (items x items bool).

    Raises
    ------
    DataError
        Fewer than 2 items; a non-numeric column, a non-integer or infinite
        value (names the column, row and value); an item with no observed
        value, a constant item (a single observed category) or more than
        ``max_categories`` categories; no complete rows with
        ``missing="listwise"``; unknown option values.

    Warns
    -----
    PolychoricWarning
        Smoothing applied; a pair without complete cases (NaN, smoothing off);
        psych's switch to pairwise thresholds; zero cells corrected; rows with
        no responses; a pair that did not converge; a correlation at the
        boundary: ``|rho| > 0.999`` (lavaan's bound) or a likelihood as high
        at :math:`\\pm 1` as at the estimate (e.g. a 2 x 2 table with one empty
        cell, where the supremum is at the boundary and the likelihood is
        flat, so psych, polycor and qimscale stop at different values). Each message is also in ``result.warnings``.

    Notes
    -----
    Model: item :math:`x_j` is a discretised standard normal :math:`z_j`,
    :math:`x_j = c \\iff \\tau_{j,c-1} < z_j \\le \\tau_{j,c}`. Step 1:
    :math:`\\tau_{j,c} = \\Phi^{-1}(\\text{cumulative proportion of categories}
    \\le c)` from all non-missing responses to item ``j``. Step 2: for each pair,
    with thresholds fixed, :math:`\\rho` maximises
    :math:`\\sum_{ab} n_{ab}\\log P_{ab}(\\rho)` over the pair's complete cases
    (:func:`cell_probabilities`). All pairs are solved at once with vectorised
    safeguarded Newton iterations (tolerance 1e-10 on :math:`\\rho`); psych uses
    ``optimize`` with tolerance ~1.2e-4 and ``sadmvn`` cell probabilities, so
    expect agreement with psych to about 1e-4 and with lavaan to about 1e-6.

    psych conventions followed (psych 2.2.9, ``polychoric``/``polyc``):

    * Contingency tables contain the pairwise complete cases; thresholds use
      every non-missing response of the item ("global" thresholds).
    * With global thresholds psych ignores ``correct``: empty cells simply
      contribute nothing to the likelihood. qimscale does the same.
    * If the items do not share the same maximum observed value, psych warns
      "The items do not have an equal number of response alternatives, global
      set to FALSE" and switches to pairwise thresholds (``"auto"`` here).
    * Pairwise thresholds: rows/columns of the pair's table that are all zero
      are dropped; every remaining empty cell is set to ``correct`` counts;
      thresholds are :math:`\\Phi^{-1}` of the cumulative *corrected* margins
      divided by the *uncorrected* number of pairs (psych divides by the
      original total and does not renormalise). A pair whose trimmed table
      has fewer than 2 rows or columns gets NaN.
    * Smoothing (``cor.smooth``): applied when the smallest eigenvalue is below
      machine epsilon; skipped (with a message) if any correlation is NaN.
    * psych deletes constant items with a message; qimscale raises
      :class:`~qimscale.errors.DataError` instead so the caller decides.
    * psych's ``max.cat`` counts the global range of values; qimscale counts
      each item's distinct observed values.

    To reproduce ``lavaan::lavCor(x, ordered=names(x), missing="pairwise")``
    use ``correct=0, global_thresholds=True`` (lavaan never uses pairwise
    thresholds and, for tables larger than 2 x 2, adds nothing to empty cells);
    for binary items also pass ``zero_add_2x2=0.5`` (lavaan's 2 x 2 rule).
    lavaan returns exactly +-1 for a 2 x 2 table with two empty cells and
    bounds rho to [-0.999, 0.999] elsewhere; qimscale returns the unbounded
    ML estimate, which approaches +-1 on such tables, with a boundary warning.

    Matches ``psych::polychoric(x)`` (``$rho``, ``$tau``).

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric
    correlation coefficient. *Psychometrika*, 44, 443-460.
    https://doi.org/10.1007/BF02296207

    Revelle, W. (2022). *psych: Procedures for Psychological, Psychometric,
    and Personality Research* (R package 2.2.9). https://CRAN.R-project.org/package=psych

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.multivariate_normal([0, 0, 0], [[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], size=400)
    >>> x = pd.DataFrame(np.digitize(z, [-1, 0, 1]) + 1, columns=["a", "b", "c"])
    >>> res = polychoric(x)
    >>> res.corr.round(2)
          a     b     c
    a  1.00  0.51  0.42
    b  0.51  1.00  0.28
    c  0.42  0.28  1.00
    """
    check_option("missing", missing, ("pairwise", "listwise"), "polychoric", error=DataError)
    check_option("global_thresholds", global_thresholds, (True, False, "auto"), "polychoric", error=DataError)
    if isinstance(max_categories, bool) or not isinstance(max_categories, (int, np.integer)) or max_categories < 2:
        raise DataError(f"The 'max_categories' parameter of polychoric must be an integer >= 2. "
                        f"Got {max_categories!r} instead.")
    if not np.isfinite(zero_add_2x2) or zero_add_2x2 < 0:
        raise DataError(f"The 'zero_add_2x2' parameter of polychoric must be >= 0. Got {zero_add_2x2!r} instead.")
    if not np.isfinite(correct) or correct < 0:
        raise DataError(f"The 'correct' parameter of polychoric must be >= 0. Got {correct!r} instead.")
    df = _as_frame(data)
    x, names = _validate(df)
    msgs: list[str] = []

    def warn(msg: str) -> None:
        msgs.append(msg)
        _warnings.warn(msg, PolychoricWarning, stacklevel=3)

    empty_rows = np.isnan(x).all(axis=1)
    if empty_rows.any():
        warn(f"{int(empty_rows.sum())} row(s) have no responses at all and contribute nothing "
             f"(first: row {df.index[np.flatnonzero(empty_rows)[0]]!r})")
    if missing == "listwise":
        keep = ~np.isnan(x).any(axis=1)
        if not keep.any():
            raise DataError("no row is complete on all items, so listwise deletion leaves no data; "
                            "use missing='pairwise'")
        x = x[keep]
    n, p = x.shape

    # ---- step 1: codes and thresholds of each item
    codes = np.empty((n, p), dtype=np.int64)
    cats: list[np.ndarray] = []
    for j in range(p):
        codes[:, j], c = ordinal_codes(x[:, j])
        if len(c) == 0:
            raise DataError(f"item '{names[j]}' has no observed responses; remove it from the analysis")
        if len(c) == 1:
            raise DataError(f"item '{names[j]}' is constant (every response is {c[0]:g}), so its polychoric "
                            f"correlations are undefined; remove it from the analysis")
        if len(c) > max_categories:
            raise DataError(f"item '{names[j]}' has {len(c)} distinct values (more than max_categories="
                            f"{max_categories}); treat it as continuous (Pearson) or raise max_categories")
        cats.append(c)
    ks = np.array([len(c) for c in cats])
    kmax = int(ks.max())
    counts = np.zeros((p, kmax))
    for j in range(p):
        counts[j, :ks[j]] = np.bincount(codes[codes[:, j] >= 0, j], minlength=ks[j])
    taus = {names[j]: _thresholds_from_counts(counts[j, :ks[j]]) for j in range(p)}

    use_global = global_thresholds is True
    if global_thresholds == "auto":
        maxima = np.array([c[-1] for c in cats])
        use_global = bool(maxima.min() == maxima.max())
        if not use_global:
            warn("The items do not have an equal number of response alternatives (highest observed "
                 "categories differ), so thresholds were estimated pairwise as psych does "
                 "(global=FALSE); pass global_thresholds=True to keep each item's own thresholds")

    # ---- all pairwise tables at once (pairwise complete cases)
    iu, ju = np.triu_indices(p, 1)
    tables = _pair_tables(codes, iu, ju, kmax)  # (m, kmax, kmax)
    npair = tables.sum(axis=(1, 2))

    # ---- boundaries per pair
    bnd = np.full((p, kmax + 1), np.inf)
    bnd[:, 0] = -np.inf
    for j in range(p):
        bnd[j, 1:ks[j]] = taus[names[j]]
    m = len(iu)
    rho = np.full(m, np.nan)
    conv = np.zeros(m, dtype=bool)
    if use_global:
        w = tables
        bx, by = bnd[iu], bnd[ju]
        fit = npair > 0
        if zero_add_2x2 > 0:
            w = _zero_add_2x2(tables, (ks[iu] == 2) & (ks[ju] == 2), zero_add_2x2)
    else:
        w, bx, by, fit, n_fixed = _pairwise_setup(tables, npair, correct)
        if n_fixed and correct > 0:
            warn(f"{n_fixed} pair table(s) had empty cells that were set to {correct:g} counts (psych's "
                 f"correction for continuity); examine sparse categories carefully")
    at_edge = np.zeros(m, dtype=bool)
    if fit.any():
        r, ll_hat, c, _ = _fit_rho(w[fit], bx[fit], by[fit], _start_values(w[fit]))
        rho[fit], conv[fit] = r, c
        # is the likelihood as high at rho = +-1 (supremum on the boundary, flat tail)?
        edge = np.where(r < 0, -1.0, 1.0)
        ll_edge = _loglik(w[fit], _grid_terms(bx[fit], by[fit], edge, 0)[0])
        at_edge[fit] = (np.abs(r) > 0.999) | (ll_edge >= ll_hat - 1e-9 * np.maximum(1.0, np.abs(ll_hat)))
    for k in np.flatnonzero(fit & ~conv):
        warn(f"the polychoric correlation of '{names[iu[k]]}' and '{names[ju[k]]}' did not converge "
             f"(last value {rho[k]:.4f})")
    for k in np.flatnonzero(at_edge):
        warn(f"the polychoric correlation of '{names[iu[k]]}' and '{names[ju[k]]}' is at the boundary "
             f"({rho[k]:.4f}; the likelihood is as high at {np.sign(rho[k]):+.0f}): their table has (almost) "
             f"no responses off one diagonal, e.g. a 2 x 2 table with an empty cell, so the value is not "
             f"well determined and psych, polycor and lavaan differ; collapse sparse categories, merge the "
             f"items, or for binary items use zero_add_2x2=0.5 (lavaan's rule)")
    for k in np.flatnonzero(~fit & (npair > 0)):
        warn(f"items '{names[iu[k]]}' and '{names[ju[k]]}': with pairwise thresholds their table keeps fewer "
             f"than 2 non-empty rows or columns (or its corrected margins exceed 1), so their correlation "
             f"is NaN as in psych; use global_thresholds=True")
    for k in np.flatnonzero(npair == 0):
        warn(f"items '{names[iu[k]]}' and '{names[ju[k]]}' have no complete pairs; their correlation is NaN")

    mat = np.eye(p)
    mat[iu, ju] = mat[ju, iu] = rho
    raw = mat.copy()
    smoothed = False
    if smooth:
        if np.isnan(mat).any():
            warn("some correlations are missing (NaN), so smoothing was turned off")
        else:
            mat, smoothed = cor_smooth(mat)
            if smoothed:
                warn("Matrix was not positive definite, smoothing was done (psych::cor.smooth); "
                     "inspect sparse items or use a larger sample")
    npm = np.diag((codes >= 0).sum(axis=0).astype(float))
    npm[iu, ju] = npm[ju, iu] = npair
    convm = np.ones((p, p), dtype=bool)
    convm[iu, ju] = convm[ju, iu] = conv | (npair == 0)
    frame = lambda a: pd.DataFrame(a, index=names, columns=names)  # noqa: E731
    return PolychoricResult(
        corr=frame(mat), thresholds=taus, categories={names[j]: cats[j] for j in range(p)},
        n_pairs=frame(npm.astype(np.int64)), smoothed=smoothed, warnings=msgs, raw_corr=frame(raw),
        global_thresholds=use_global, converged=frame(convm))
