"""Careless-responding indices (Curran 2016), vectorised over respondents.

Each index matches the R package ``careless`` (Yentes & Wilhelm) on the same
item matrix; :func:`quality_flags` assembles them into ``qc_*`` columns with
documented cut-offs. Rows are never deleted here.

References
----------
Curran, P. G. (2016). Methods for the detection of carelessly invalid responses
in survey data. *Journal of Experimental Social Psychology, 66*, 4-19.
https://doi.org/10.1016/j.jesp.2015.07.006

Johnson, J. A. (2005). Ascertaining the validity of individual protocols from
web-based personality inventories. *Journal of Research in Personality, 39*,
103-129. https://doi.org/10.1016/j.jrp.2004.09.009

Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey
data. *Psychological Methods, 17*(3), 437-455. https://doi.org/10.1037/a0028085

Huang, J. L., Curran, P. G., Keeney, J., Poposki, E. M., & DeShon, R. P. (2012).
Detecting and deterring insufficient effort responding to surveys. *Journal of
Business and Psychology, 27*, 99-114. https://doi.org/10.1007/s10869-011-9231-8
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: seconds per scored item below which a completion counts as too fast (Huang et al. 2012)
SECONDS_PER_ITEM = 2.0
#: Mahalanobis flag: D^2 above the chi-square quantile at this confidence (careless::mahad default)
MAHAD_CONFIDENCE = 0.99
#: even-odd flag: careless' (negated) index above this value, i.e. consistency below .30 (Johnson 2005)
EVENODD_CUT = -0.30


def longstring(X: np.ndarray) -> np.ndarray:
    """Longest run of identical consecutive answers per row.

    A missing answer breaks a run (as R's ``rle`` does). Matches
    ``careless::longstring(x, avg = FALSE)``.

    >>> longstring(np.array([[1, 1, 2, 2, 2], [3, np.nan, 3, 3, 1.]])).tolist()
    [3.0, 2.0]
    """
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    if k == 0:
        return np.full(n, np.nan)
    run = np.where(np.isnan(X[:, 0]), 1.0, 1.0)
    best = run.copy()
    for j in range(1, k):  # loop over items (columns), vectorised over rows
        same = X[:, j] == X[:, j - 1]
        run = np.where(same, run + 1, 1.0)
        np.maximum(best, run, out=best)
    best[np.isnan(X).all(axis=1)] = np.nan
    return best


def irv(X: np.ndarray) -> np.ndarray:
    """Intra-individual response variability: the sample SD of each row's answers.

    Matches ``careless::irv(x, na.rm = TRUE)`` (``sd`` with ``n - 1``).

    >>> irv(np.array([[1, 2, 3, 4.], [2, 2, 2, np.nan]])).round(6).tolist()
    [1.290994, 0.0]
    """
    X = np.asarray(X, dtype=float)
    ok = ~np.isnan(X)
    m = ok.sum(axis=1)
    x0 = np.where(ok, X, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = x0.sum(axis=1) / m
        ss = (np.where(ok, X - mean[:, None], 0.0) ** 2).sum(axis=1)
        return np.where(m > 1, np.sqrt(ss / (m - 1)), np.nan)


def pairwise_cov(X: np.ndarray) -> np.ndarray:
    """Covariance with pairwise-complete observations (R ``cov(x, use = "pairwise")``).

    Computed with matrix products over the observed-value masks.
    """
    X = np.asarray(X, dtype=float)
    M = (~np.isnan(X)).astype(float)
    X0 = np.where(M > 0, X, 0.0)
    n = M.T @ M
    sx = X0.T @ M  # sum of x_j over rows where j and k observed
    sxy = X0.T @ X0
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sxy - sx * sx.T / n) / (n - 1)


def mahalanobis(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mahalanobis :math:`D^2` of each row and its chi-square p-value.

    Matches ``careless::mahad(x)`` / ``psych::outlier(x)``: the covariance is
    pairwise-complete, the centre the column means of available values, and a
    missing answer contributes nothing (its centred value counts as 0). Rows
    with no answer get missing. ``p = P(chi2_k > D^2)`` with ``k`` items.

    Notes
    -----
    :math:`D^2_i = (x_i - \\bar x)^\\top S^{-1} (x_i - \\bar x)`.
    """
    from scipy.special import chdtrc

    X = np.asarray(X, dtype=float)
    S = pairwise_cov(X)
    if not np.all(np.isfinite(S)):
        raise np.linalg.LinAlgError("some item pairs have fewer than two joint answers")
    Sinv = np.linalg.inv(S)  # raises LinAlgError when singular, as R's solve() does
    mu = np.nanmean(np.where(np.isnan(X).all(axis=0), 0.0, X), axis=0)
    Xc = np.nan_to_num(X - mu, nan=0.0)
    d2 = np.einsum("ij,ij->i", Xc @ Sinv, Xc)
    d2[np.isnan(X).all(axis=1)] = np.nan
    return d2, chdtrc(X.shape[1], d2)


def evenodd(X: np.ndarray, factors: list[int]) -> np.ndarray:
    """Even-odd consistency, negated so that higher means more careless.

    For each scale (consecutive blocks of ``factors`` columns) the mean of its
    even-positioned and of its odd-positioned items is taken; the per-row
    correlation between the even and odd means across scales (pairwise
    complete) is Spearman-Brown corrected, ``2r / (1 + r)``, bounded below by
    -1 and negated. Matches ``careless::evenodd(x, factors)`` (version >= 1.2).
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    E, O = [], []
    start = 0
    for k in factors:
        block = X[:, start:start + k]
        start += k
        with np.errstate(invalid="ignore"), _quiet():
            E.append(np.nanmean(block[:, 1::2], axis=1) if k > 1 else np.full(n, np.nan))
            O.append(np.nanmean(block[:, 0::2], axis=1))
    E, O = np.column_stack(E), np.column_stack(O)
    ok = ~np.isnan(E) & ~np.isnan(O)
    m = ok.sum(axis=1)
    e0, o0 = np.where(ok, E, 0.0), np.where(ok, O, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        me, mo = e0.sum(1) / m, o0.sum(1) / m
        de, do = np.where(ok, E - me[:, None], 0.0), np.where(ok, O - mo[:, None], 0.0)
        r = (de * do).sum(1) / np.sqrt((de ** 2).sum(1) * (do ** 2).sum(1))
        sb = 2 * r / (1 + r)
    sb = np.where(m >= 2, sb, np.nan)
    sb = np.where(~np.isnan(sb) & (sb < -1), -1.0, sb)
    return -sb


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *a):
        return self._w.__exit__(*a)


def quality_flags(codes: pd.DataFrame, spec, *, duration=None, min_seconds: float | None = None,
                  attention: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict]:
    """Data-quality columns for each respondent.

    Parameters
    ----------
    codes : pandas.DataFrame
        Validated raw item codes (not reverse-keyed), items in instrument order.
    spec : ScoringSpec
    duration : array-like, optional
        Completion time in seconds.
    min_seconds : float, optional
        Too-fast threshold; default ``2 s x number of items present``.
    attention : pandas.DataFrame, optional
        One column per attention check with the answer given.

    Returns
    -------
    flags : pandas.DataFrame
        ``qc_n_answered``; ``qc_longstring`` (longest run) and
        ``qc_longstring_flag`` (run >= half the items answered, Curran's
        rule of thumb); ``qc_irv`` (row SD); ``qc_mahad_d2`` and
        ``qc_mahad_p``, ``qc_mahad_flag`` (``D^2 > qchisq(.99, k)``, the
        careless default); ``qc_evenodd`` (negated, with 3 or more scales)
        and ``qc_evenodd_flag`` (> -0.30); ``qc_duration_s`` and
        ``qc_too_fast`` (when a duration is known); ``qc_attention_failed``
        (number of failed checks); ``qc_flagged`` (any flag).
    info : dict
        Thresholds and counts, for the scoring log.
    """
    from scipy.special import chdtri

    present = [c for c in spec.items if c in codes and codes[c].notna().any()]
    X = codes[present].to_numpy(dtype=float) if present else np.empty((codes.shape[0], 0))
    n, k = X.shape
    out = {"qc_n_answered": (~np.isnan(X)).sum(axis=1)}
    info = {"items_used": len(present), "references": "Curran 2016 doi:10.1016/j.jesp.2015.07.006; R careless"}
    flags = []
    if k:
        ls = longstring(X)
        out["qc_longstring"] = ls
        out["qc_longstring_flag"] = ls >= np.maximum(out["qc_n_answered"] / 2.0, 2)
        out["qc_irv"] = irv(X)
        flags.append("qc_longstring_flag")
        try:
            if n <= k:
                raise np.linalg.LinAlgError(f"{n} rows for {k} items")
            d2, p = mahalanobis(X)
            if np.linalg.cond(pairwise_cov(X)) > 1e12:
                raise np.linalg.LinAlgError("the item covariance matrix is (nearly) singular")
        except np.linalg.LinAlgError as exc:
            info["mahad_skipped"] = f"Mahalanobis D2 not computed: {exc}"
        else:
            cut = float(chdtri(k, 1 - MAHAD_CONFIDENCE))
            out["qc_mahad_d2"], out["qc_mahad_p"] = d2, p
            out["qc_mahad_flag"] = d2 > cut
            flags.append("qc_mahad_flag")
            info["mahad_cut"] = cut
        factors, order = [], []
        for sc in spec.scales:
            its = [i for i in sc.items if i in present]
            if its:
                factors.append(len(its))
                order += [present.index(i) for i in its]
        if len(factors) >= 3:
            eo = evenodd(X[:, order], factors)
            out["qc_evenodd"] = eo
            out["qc_evenodd_flag"] = eo > EVENODD_CUT
            flags.append("qc_evenodd_flag")
    if duration is not None:
        dur = np.asarray(duration, dtype=float)
        thr = float(min_seconds) if min_seconds is not None else SECONDS_PER_ITEM * max(k, 1)
        out["qc_duration_s"] = dur
        out["qc_too_fast"] = dur < thr
        flags.append("qc_too_fast")
        info["min_seconds"] = thr
    if attention is not None and attention.shape[1]:
        failed = np.zeros(n, dtype=int)
        for chk in spec.attention_checks:
            if chk.column in attention:
                vals = pd.to_numeric(attention[chk.column], errors="coerce").to_numpy()
                failed += ~np.isin(vals, np.asarray(chk.passing, dtype=float))
        out["qc_attention_failed"] = failed
        out["qc_attention_flag"] = failed > 0
        flags.append("qc_attention_flag")
    df = pd.DataFrame(out, index=codes.index)
    df["qc_flagged"] = df[flags].any(axis=1) if flags else False
    info["flags"] = flags
    info["counts"] = {f: int(df[f].sum()) for f in flags + ["qc_flagged"]}
    return df, info
