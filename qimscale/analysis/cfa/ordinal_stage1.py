"""Stage 1 of WLSMV: thresholds, polychoric correlations and their asymptotic covariance.

For ordered-categorical items the WLSMV estimator fits a structural model to a
vector of *sample statistics* per group,

.. math:: s = (\\tau_{1,1}, \\ldots, \\tau_{1,K_1-1}, \\ldots, \\tau_{p,K_p-1},
          \\operatorname{vech}^{*}(R)),

the thresholds of every item (item by item, in model order) followed by the
polychoric correlations below the diagonal, stacked column by column
(``(2,1), (3,1), ..., (p,1), (3,2), ...``), exactly as lavaan orders
``WLS.obs``. This module computes ``s`` and :math:`\\Gamma`, the asymptotic
covariance matrix of :math:`\\sqrt{N}\\,s`, from casewise score contributions
(Muthén, 1984; Muthén, du Toit & Spisic, 1997).

Notes
-----
Let :math:`g_{1}` be the :math:`N \\times n_\\tau` matrix of casewise scores of
the univariate log-likelihoods with respect to the thresholds and :math:`g_{2}`
the :math:`N \\times p^{*}` matrix of casewise scores of the bivariate
log-likelihoods with respect to each correlation. With
:math:`S = [g_1, g_2]` and :math:`J = S^\\top S`, the two-step estimating
equations have the block-triangular derivative matrix

.. math:: B = \\begin{pmatrix} A_{11} & 0 \\\\ A_{21} & A_{22} \\end{pmatrix},

where :math:`A_{11}` keeps the within-item blocks of :math:`J_{11}`,
:math:`A_{22} = \\operatorname{diag}(J_{22})`, and :math:`A_{21}` holds
:math:`\\sum_n g_{2,n} \\, \\partial \\ell^{(ij)}_n / \\partial \\tau` (the
cross-information of each bivariate likelihood with the thresholds of its two
items). Then :math:`\\Gamma = N\\,B^{-1} J B^{-\\top}`. This is lavaan's
``muthen1984()`` step 3 and ``lavInspect(fit, "gamma")``.

Empty cells and flat likelihoods: as lavaan (``zero.add = c(0.5, 0)``), nothing is added to
empty cells of tables larger than 2 x 2 and a 2 x 2 table with one empty cell gets 0.5 there
with its margins kept; the estimate is bounded to [-0.999, 0.999]. (psych's ``polychoric()``
instead adds 0.5 to every empty cell: :func:`qimscale.analysis.polychoric.polychoric` follows psych
by default and lavaan with ``correct=0, global_thresholds=True``; WLSMV always follows lavaan.)
On some sparse tables (e.g. ``[[10, 0], [2, 0], [17, 1]]``) the two-step log-likelihood is flat
in :math:`\\rho` to about 1e-10 relative, so the data do not determine the estimate: lavaan
reports the point where ``nlminb``'s relative-function test stops (e.g. .938), qimscale the
maximiser its Newton solver reaches (e.g. .953, an equal or higher log-likelihood). Such a
correlation has an enormous :math:`\\Gamma` entry and almost no weight, so the WLSMV estimates,
SEs and tests agree with lavaan's (``tests/reference/wlsmv_sparse_polychoric.R``).

References
----------
Muthén, B. (1984). A general structural equation model with dichotomous,
ordered categorical, and continuous latent variable indicators.
*Psychometrika*, 49(1), 115–132. https://doi.org/10.1007/BF02294210

Muthén, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using
weighted least squares and quadratic estimating equations in latent variable
modeling with categorical and continuous outcomes. Unpublished technical report.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from qimscale.analysis.bivariate_normal import bvn_cdf_dh
from qimscale.analysis.polychoric import (fit_polychoric_tables, stacked_cell_probabilities,
                                         threshold_bounds)
from qimscale.errors import DataError

__all__ = ["OrdinalStats", "ordinal_stage1", "ordinal_scores", "encode_ordinal", "SPARSE_CATEGORY_COUNT",
           "check_category_counts", "warn_sparse_categories", "muthen_gamma"]

#: A category observed fewer times than this in a group triggers a warning.
SPARSE_CATEGORY_COUNT = 5
RHO_BOUND = 0.999  # lavaan's bounds for a two-step polychoric correlation

_SQRT2PI = np.sqrt(2.0 * np.pi)


def _some(names, limit: int = 6) -> str:
    """``names`` joined by commas; beyond ``limit`` the rest is counted (a continuous column
    declared ordered has hundreds of sparse "categories")."""
    names = list(names)
    more = f", ... ({len(names)} in all)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _dnorm(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.exp(-0.5 * x * x) / _SQRT2PI
    return np.where(np.isfinite(x), out, 0.0)


@dataclass
class OrdinalStats:
    """Stage-1 statistics of one group (see module docstring for the layout).

    Attributes
    ----------
    items : list of str
        Item names, in model order.
    n : int
        Number of complete cases used.
    thresholds : list of ndarray
        Thresholds per item (``K_i - 1`` values each).
    cor : ndarray
        Polychoric correlation matrix (p x p).
    s : ndarray
        Stacked sample statistics: thresholds, then ``vech*(cor)``.
    gamma : ndarray or None
        :math:`\\Gamma` (``lavInspect(fit, "gamma")``), or None when not requested.
    counts : list of ndarray
        Category counts per item.
    """

    items: list
    n: int
    thresholds: list
    cor: np.ndarray
    s: np.ndarray
    gamma: np.ndarray | None
    counts: list
    th_item: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    @property
    def n_thresholds(self) -> int:
        """Total number of thresholds."""
        return int(sum(len(t) for t in self.thresholds))


def encode_ordinal(data: pd.DataFrame, items: list, levels: dict | None = None):
    """Code ordered items as integers ``0 .. K-1`` using the sorted observed levels.

    Parameters
    ----------
    data : DataFrame
        Raw responses (numeric or ordered categorical).
    items : list of str
        Columns to encode.
    levels : dict, optional
        ``{item: sorted levels}``; defaults to the sorted distinct non-missing
        values of each column in ``data`` (as lavaan's ``ov.levels``, taken over
        all groups).

    Returns
    -------
    codes : ndarray of int (n x p), ``-1`` for missing values
    levels : dict of item -> list of levels

    Raises
    ------
    DataError
        If an item is missing from ``data`` or has fewer than two levels.
    """
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise DataError(f"ordered item(s) {missing} are not columns of the data; "
                        f"available columns: {list(data.columns)}")
    levels = dict(levels or {})
    codes = np.empty((len(data), len(items)), dtype=np.int64)
    for j, it in enumerate(items):
        col = data[it]
        if it not in levels:
            if isinstance(col.dtype, pd.CategoricalDtype) and col.cat.ordered:
                levels[it] = list(col.cat.categories)
            elif pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
                levels[it] = sorted(pd.unique(col.dropna()).tolist())
            else:
                bad = next((v for v in col.dropna() if not isinstance(v, (int, float))), None)
                raise DataError(f"ordered item '{it}' is not numeric (e.g. value {bad!r}); the "
                                "order of text categories is unknown. Recode it to numbers or "
                                "pass an ordered pandas Categorical.")
        lv = levels[it]
        if len(lv) < 2:
            raise DataError(f"ordered item '{it}' has {len(lv)} distinct value(s) "
                            f"({lv}); an ordinal item needs at least two categories. "
                            "Drop the item or treat it as continuous.")
        if (pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)
                and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                        and math.isfinite(v) for v in lv) and all(a < b for a, b in zip(lv, lv[1:]))):
            # numbers against increasing numeric levels: the same codes by binary search
            x = col.to_numpy(dtype=float, na_value=np.nan)
            ok = ~np.isnan(x)
            lv_arr = np.asarray(lv, dtype=float)
            pos = np.minimum(np.searchsorted(lv_arr, x[ok]), len(lv) - 1)
            hit = lv_arr[pos] == x[ok]
            if hit.all():
                out = np.full(len(x), -1, dtype=np.int64)
                out[ok] = pos
                codes[:, j] = out
                continue
        lut = {v: i for i, v in enumerate(lv)}
        vals = col.to_numpy(dtype=object)
        out = np.full(len(vals), -1, dtype=np.int64)
        for r, v in enumerate(vals):
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
                continue
            try:
                out[r] = lut[v]
            except KeyError:
                raise DataError(f"row {r + 1}, column '{it}': value {v!r} is not one of "
                                f"the levels {lv}") from None
        codes[:, j] = out
    return codes, levels


def _adjust_2x2(tab, k1, k2, names, where, add=0.5):
    """lavaan's ``zero.add = 0.5`` with ``zero.keep.margins = TRUE`` for 2 x 2 tables."""
    out = tab
    for m in range(tab.shape[0]):
        if k1[m] != 2 or k2[m] != 2:
            continue
        t = tab[m, :2, :2]
        zero = np.flatnonzero(t.ravel() == 0)
        if zero.size == 2:
            raise DataError(f"items {names[m]}{where}: two empty cells in their 2 x 2 table, so "
                            "the tetrachoric correlation is +-1; drop or combine one of the items")
        if zero.size == 1:
            if out is tab:
                out = tab.copy()
            sign = 1.0 if zero[0] in (0, 3) else -1.0
            out[m, :2, :2] += sign * add * np.array([[1.0, -1.0], [-1.0, 1.0]])
    return out


def _cell_parts(t1: np.ndarray, t2: np.ndarray, rho: np.ndarray) -> dict:
    """Cell probabilities and their derivatives for stacks of bivariate tables.

    ``t1`` is (m, K1+1), ``t2`` is (m, K2+1) (padded with infinities), ``rho``
    is (m,). Returns a dict with

    - ``p``  (m, K1, K2): cell probabilities;
    - ``dp`` (m, K1, K2): derivative with respect to rho;
    - ``d1`` (m, K1+1, K2): derivative of the 'upper-bound' probability
      ``P(Y1 <= t1_a, t2_{b-1} < Y2 <= t2_b)`` with respect to ``t1_a``;
    - ``d2`` (m, K1, K2+1): the same for the thresholds of item 2.
    """
    r = rho[:, None, None]
    a = t1[:, :, None]
    b = t2[:, None, :]
    p, dp = stacked_cell_probabilities(t1, t2, rho, 1)
    # d Phi2(a, b)/da = phi(a) Phi((b - r a)/s), zero when a is infinite
    f1 = bvn_cdf_dh(a, b, r)  # (m, K1+1, K2+1)
    f2 = bvn_cdf_dh(b, a, r)  # derivative with respect to b
    d1 = f1[:, :, 1:] - f1[:, :, :-1]  # (m, K1+1, K2)
    d2 = f2[:, 1:, :] - f2[:, :-1, :]  # (m, K1, K2+1)
    return {"p": p, "dp": dp, "d1": d1, "d2": d2}


def _pair_tables(codes, ths, kmax):
    """Pairs in lavaan's ``vech(diagonal = FALSE)`` order (column j, rows i > j), the padded
    thresholds ``(p, kmax + 1)`` (``[-inf, tau..., +inf, +inf...]``), the pairwise-complete
    contingency tables ``(p*, kmax, kmax)``, each case's flat cell index and the mask of
    pairwise-complete cases ``(n, p*)``."""
    p = codes.shape[1]
    obs = codes >= 0
    pairs = [(i, j) for j in range(p - 1) for i in range(j + 1, p)]
    pstar = len(pairs)
    pad = threshold_bounds(ths, kmax)
    ii = np.array([q[0] for q in pairs], dtype=int)
    jj = np.array([q[1] for q in pairs], dtype=int)
    both = obs[:, ii] & obs[:, jj]
    flat = np.where(both, codes[:, ii] * kmax + codes[:, jj], 0)
    tab = np.zeros((pstar, kmax * kmax))
    np.add.at(tab, (np.broadcast_to(np.arange(pstar), flat.shape), flat), both.astype(float))
    return pairs, pad, tab.reshape(pstar, kmax, kmax), flat, both


def category_label(value) -> str:
    """A category as the data hold it: ``5``, not ``5.0``; other values as written.

    >>> category_label(5.0), category_label(2), category_label(0.5), category_label("agree")
    ('5', '2', '0.5', 'agree')
    """
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def check_category_counts(cnt, item: str, where: str, name) -> str | None:
    """Raise for an empty category of ``item``; describe its sparse ones.

    ``cnt`` are the category counts, ``where`` the group phrase of messages and
    ``name(e)`` the label of category ``e``. Returns ``"item: categories"`` when a
    category has fewer than :data:`SPARSE_CATEGORY_COUNT` responses (``None``
    otherwise), for :func:`warn_sparse_categories` to report once per group.
    """
    empty = np.flatnonzero(cnt == 0)
    if empty.size:
        raise DataError(
            f"item '{item}'{where}: category {_some(name(e) for e in empty)} "
            f"of {len(cnt)} is empty, so its thresholds are not identified. Merge "
            f"categories explicitly (--collapse {item}:OLD=NEW) or drop the item.")
    sparse = np.flatnonzero(cnt < SPARSE_CATEGORY_COUNT)
    return f"{item}: {_some(name(e) for e in sparse)}" if sparse.size else None


def warn_sparse_categories(found: list, where: str) -> None:
    """One warning for every item of a group with a sparse category (``found``
    from :func:`check_category_counts`; ``None`` entries are skipped).

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_sparse_categories(["y1: 1", None, "y3: 1, 5"], " in group 'UK'")
    >>> print(w[0].message)
    2 items in group 'UK' have a category with fewer than 5 responses (y1: 1; y3: 1, 5); thresholds and polychorics may be unstable
    """
    found = [f for f in found if f]
    if not found:
        return
    tail = f"fewer than {SPARSE_CATEGORY_COUNT} responses; thresholds and polychorics may be unstable"
    if len(found) == 1:
        item, cats = found[0].split(": ", 1)
        text = f"item '{item}'{where}: category {cats} has {tail}"
    else:
        text = (f"{len(found)} items{where} have a category with fewer than {SPARSE_CATEGORY_COUNT} "
                f"responses ({'; '.join(found)}); thresholds and polychorics may be unstable")
    warnings.warn(text, stacklevel=3)


def ordinal_stage1(codes: np.ndarray, n_levels: list, items: list, *,
                   compute_gamma: bool = True, polychoric=None,
                   group_label: str | None = None, categories: list | None = None) -> OrdinalStats:
    """Thresholds, polychoric correlations and :math:`\\Gamma` for one group.

    Matches the sample statistics of ``lavaan::cfa(..., ordered=TRUE,
    estimator="WLSMV")``: ``lavInspect(fit, "sampstat")`` and
    ``lavInspect(fit, "gamma")``.

    Parameters
    ----------
    codes : ndarray of int (n x p)
        Responses coded ``0 .. K_i - 1`` (see :func:`encode_ordinal`); ``-1``
        marks a missing response (lavaan's ``missing = "pairwise"``: each
        threshold uses the item's available cases, each polychoric its
        pairwise-complete cases, and missing cases contribute zero scores to
        :math:`\\Gamma`; :math:`\\Gamma` is scaled by the number of rows).
    n_levels : list of int
        Number of categories :math:`K_i` of each item (over all groups).
    items : list of str
        Item names (for messages and the result).
    compute_gamma : bool, default True
        Compute :math:`\\Gamma` (needed for the weights, SEs and tests).
    polychoric : callable, optional
        ``f(table, t1, t2) -> rho`` overriding the built-in two-step estimator.
    group_label : str, optional
        Group name, used in messages.
    categories : list of lists, optional
        The observed values behind codes ``0 .. K_i - 1`` of each item, so
        messages name categories as the data hold them (default: ``1 .. K_i``).

    Returns
    -------
    OrdinalStats

    Raises
    ------
    DataError
        If a category of an item is empty in this group (thresholds are then
        not identified): collapse categories explicitly first.
    """
    codes = np.asarray(codes, dtype=np.int64)
    n, p = codes.shape
    where = f" in group '{group_label}'" if group_label is not None else ""
    counts, ths, sparse = [], [], []
    obs = codes >= 0
    for j in range(p):
        k = n_levels[j]
        cnt = np.bincount(codes[obs[:, j], j], minlength=k)
        counts.append(cnt)
        def name(e, j=j):
            return category_label(categories[j][e]) if categories is not None else str(e + 1)

        sparse.append(check_category_counts(cnt, items[j], where, name))
        ths.append(ndtri(np.cumsum(cnt)[:-1] / cnt.sum()))
    warn_sparse_categories(sparse, where)

    nth = [len(t) for t in ths]
    th_start = np.concatenate([[0], np.cumsum(nth)[:-1]]).astype(int)
    n_th = int(sum(nth))
    th_item = np.repeat(np.arange(p), nth)

    pairs, pad, tab, flat, both = _pair_tables(codes, ths, max(n_levels))
    pstar = len(pairs)
    ii = np.array([q[0] for q in pairs], dtype=int)
    jj = np.array([q[1] for q in pairs], dtype=int)
    t1, t2 = pad[ii], pad[jj]

    if polychoric is not None:
        rho = np.array([polychoric(tab[m], t1[m], t2[m]) for m in range(pstar)])
    elif pstar:
        # two-step ML with the thresholds fixed, all pairs at once (the
        # polychoric engine's solver). As lavaan: nothing is added to empty
        # cells of tables larger than 2 x 2; a 2 x 2 table with one empty cell
        # gets 0.5 there, compensated so that the margins are kept.
        fit_tab = _adjust_2x2(tab, [n_levels[i] for i in ii], [n_levels[j] for j in jj],
                              [f"{items[i]}-{items[j]}" for i, j in zip(ii, jj)], where)
        fit = fit_polychoric_tables(fit_tab, t1, t2)
        rho, conv = fit.rho, fit.converged
        if not np.all(conv):
            bad = [f"{items[ii[m]]}-{items[jj[m]]}" for m in np.flatnonzero(~conv)]
            warnings.warn(f"polychoric correlation did not converge{where} for {bad}", stacklevel=2)
        # lavaan's two-step estimator searches rho in [-0.999, 0.999] (nlminb bounds)
        # and warns above 0.99; the log-likelihood is unimodal in rho, so the
        # bounded estimate is the clipped one
        rho = np.clip(rho, -RHO_BOUND, RHO_BOUND)
        for m in np.flatnonzero(np.abs(rho) > 0.99):
            warnings.warn(f"the polychoric correlation between '{items[ii[m]]}' and '{items[jj[m]]}'{where} "
                          f"is (nearly) 1.0 ({rho[m]:.3f}; bounded at +/-{RHO_BOUND} as in lavaan): the two "
                          "items carry (almost) the same information; consider dropping or merging one",
                          stacklevel=2)
        _warn_flat_pairs(fit_tab, t1, t2, rho, [(items[i], items[j]) for i, j in zip(ii, jj)], where)
    else:
        rho = np.zeros(0)

    cor = np.eye(p)
    cor[ii, jj] = rho
    cor[jj, ii] = rho
    s = np.concatenate([np.concatenate(ths) if ths else np.zeros(0), rho])
    stats = OrdinalStats(items=list(items), n=n, thresholds=ths, cor=cor, s=s,
                         gamma=None, counts=counts, th_item=th_item)
    if not compute_gamma:
        return stats

    sc_th, sc_cor, a21 = ordinal_scores(codes, ths, rho)
    sc = np.hstack([sc_th, sc_cor])
    inner = sc.T @ sc
    a11 = np.zeros((n_th, n_th))
    for j in range(p):
        sl = slice(th_start[j], th_start[j] + nth[j])
        a11[sl, sl] = inner[sl, sl]
    stats.gamma = muthen_gamma(inner, a11, a21, n)
    return stats


#: A polychoric whose log-likelihood at the bound is within this of its maximum is
#: not determined by the data (a table whose empty cells let it rise towards +/-1).
FLAT_LOGLIK = 1e-6


def _warn_flat_pairs(tab, t1, t2, rho, names, where) -> None:
    """Warn for each pair whose polychoric the data do not determine.

    With empty cells the two-step log-likelihood can be flat (to 1e-8) from the
    estimate all the way to the bound: every value there is a maximiser, so the
    reported one is where the optimiser's stopping rule ends (the same rule
    as lavaan's ``nlminb``, which gives no warning). Only tables with an empty cell and an
    estimate below 0.99 in size are examined.
    """
    from qimscale.analysis.polychoric.engine import _loglik

    cand = np.flatnonzero((np.abs(rho) <= 0.99) & (tab == 0).any(axis=(1, 2)))
    if not cand.size:
        return
    ll_hat = _loglik(tab[cand], stacked_cell_probabilities(t1[cand], t2[cand], rho[cand], 0)[0])
    edge = np.where(rho[cand] >= 0, RHO_BOUND, -RHO_BOUND)
    ll_edge = _loglik(tab[cand], stacked_cell_probabilities(t1[cand], t2[cand], edge, 0)[0])
    for m, k in enumerate(cand):
        if ll_edge[m] >= ll_hat[m] - FLAT_LOGLIK:
            warnings.warn(f"the polychoric correlation between '{names[k][0]}' and '{names[k][1]}'{where} "
                          f"is not determined by the data: empty cells leave its likelihood flat from "
                          f"{rho[k]:.3f} to {edge[m]:+.3f}, so the value used ({rho[k]:.3f}, where the optimiser's "
                          "stopping rule ends, as lavaan's does) is arbitrary. Merge sparse categories "
                          "(--collapse) or drop an item", stacklevel=3)


def muthen_gamma(inner: np.ndarray, a11: np.ndarray, a21: np.ndarray, n: int) -> np.ndarray:
    """:math:`\\Gamma = N B^{-1} J B^{-\\top}` of Muthén's (1984) two-step estimator.

    Parameters
    ----------
    inner : ndarray
        :math:`J = S^\\top S`, the cross-products of the casewise scores (univariate
        parameters first, then one column per pair statistic).
    a11 : ndarray
        The within-variable blocks of :math:`J` over the univariate parameters.
    a21 : ndarray (pairs x univariate)
        Cross-products of each pair's score with its bivariate likelihood's derivatives
        with respect to the univariate parameters.
    n : int
        Cases.

    Returns
    -------
    ndarray
        With :math:`B = \\begin{pmatrix} A_{11} & 0 \\\\ A_{21} & A_{22}\\end{pmatrix}`,
        :math:`A_{22} = \\operatorname{diag}(J_{22})` (lavaan's ``muthen1984()``).
    """
    k = a11.shape[0]
    a22 = np.diag(inner)[k:]
    a11_inv = np.linalg.inv(a11)
    b_inv = np.zeros_like(inner)
    b_inv[:k, :k] = a11_inv
    b_inv[k:, k:] = np.diag(1.0 / a22)
    b_inv[k:, :k] = -(a21 / a22[:, None]) @ a11_inv
    return n * (b_inv @ inner @ b_inv.T)


def ordinal_scores(codes: np.ndarray, thresholds: list, rho: np.ndarray):
    """Casewise scores of the univariate and bivariate ordinal log-likelihoods.

    The pieces of lavaan's ``muthen1984()`` step 3 for ordered variables, used by
    :func:`ordinal_stage1` and by the mixed ordered/continuous stage 1.

    Parameters
    ----------
    codes : ndarray of int (n x p)
        Responses coded ``0 .. K_i - 1``, ``-1`` for missing (zero scores).
    thresholds : list of ndarray
        Thresholds per item.
    rho : ndarray
        Polychoric correlations in ``vech*`` order (column ``j``, rows ``i > j``).

    Returns
    -------
    sc_th : ndarray (n x n_th)
        Scores of the univariate likelihoods with respect to the thresholds.
    sc_cor : ndarray (n x p*)
        Scores of the bivariate likelihoods with respect to each correlation.
    a21 : ndarray (p* x n_th)
        :math:`\\sum_n g_{2,n}\\,\\partial\\ell^{(ij)}_n/\\partial\\tau`.
    """
    codes = np.asarray(codes, dtype=np.int64)
    n, p = codes.shape
    ths = thresholds
    nth = [len(t) for t in ths]
    th_start = np.concatenate([[0], np.cumsum(nth)[:-1]]).astype(int)
    n_th = int(sum(nth))
    pairs, pad, tab, flat, both = _pair_tables(codes, ths, max(nth) + 1 if nth else 1)
    pstar = len(pairs)
    t1 = pad[[q[0] for q in pairs]]
    t2 = pad[[q[1] for q in pairs]]
    # ---- casewise scores --------------------------------------------------
    # univariate: d log P_c / d t_k = (phi(t_k)[k == c] - phi(t_k)[k == c-1]) / P_c
    sc_th = np.zeros((n, n_th))
    for j in range(p):
        t = pad[j][: nth[j] + 2]
        pc = ndtr(t[1:]) - ndtr(t[:-1])  # (K,)
        phi = _dnorm(t[1:-1])  # (K-1,)
        c = codes[:, j]
        rows = np.arange(n)
        up = (c < nth[j]) & (c >= 0)
        sc_th[rows[up], th_start[j] + c[up]] += phi[c[up]] / pc[c[up]]
        lo = c > 0
        sc_th[rows[lo], th_start[j] + c[lo] - 1] -= phi[c[lo] - 1] / pc[c[lo]]

    if pstar == 0:  # a single item: no bivariate scores
        return sc_th, np.zeros((n, 0)), np.zeros((0, n_th))
    parts = _cell_parts(t1, t2, rho)
    pcell = np.maximum(parts["p"], 1e-300)
    g_rho = parts["dp"] / pcell  # (pstar, K, K)
    sc_cor = g_rho.reshape(pstar, -1)[np.arange(pstar)[None, :], flat] * both  # (n, pstar)
    # d log P_ab / d t1_k: d1[k=a, b] for k == a, minus d1[a-1, b] for k == a-1
    a21 = np.zeros((pstar, n_th))
    # weight of each cell: count * g_rho / P
    w = tab * g_rho / pcell  # (pstar, K, K)
    d1, d2 = parts["d1"], parts["d2"]
    for m, (i, j) in enumerate(pairs):
        ki, kj = nth[i], nth[j]
        # thresholds of item i: index k in 0..ki-1 is upper bound of category k
        # and lower bound of category k+1
        wi = w[m, : ki + 1, : kj + 1]
        up_i = (wi[:ki, :] * d1[m, 1: ki + 1, : kj + 1]).sum(axis=1)
        lo_i = (wi[1: ki + 1, :] * d1[m, 1: ki + 1, : kj + 1]).sum(axis=1)
        a21[m, th_start[i]: th_start[i] + ki] = up_i - lo_i
        up_j = (wi[:, :kj] * d2[m, : ki + 1, 1: kj + 1]).sum(axis=0)
        lo_j = (wi[:, 1: kj + 1] * d2[m, : ki + 1, 1: kj + 1]).sum(axis=0)
        a21[m, th_start[j]: th_start[j] + kj] = up_j - lo_j

    return sc_th, sc_cor, a21
