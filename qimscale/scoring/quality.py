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

from qimscale._core.linalg import is_positive_definite, is_singular
from qimscale.errors import DataError
from qimscale.scoring.itemcodes import BLOCK_ROWS, ItemCodes, blocks, run_blocks

#: seconds per scored item below which a completion counts as too fast (Huang et al. 2012)
SECONDS_PER_ITEM = 2.0
#: Mahalanobis flag: D^2 above the chi-square quantile at this confidence (careless::mahad default)
MAHAD_CONFIDENCE = 0.99
#: even-odd flag: careless' (negated) index above this value, i.e. consistency below .30 (Johnson 2005)
EVENODD_CUT = -0.30
#: even-odd is computed only over scales of at least this many items (two per half) ...
EVENODD_MIN_ITEMS = 6
#: ... and only when at least this many such scales exist (see :func:`quality_flags`)
EVENODD_MIN_SCALES = 15


#: variable labels of the ``qc_*`` columns (SPSS/Stata outputs)
QC_LABELS = {
    "qc_n_answered": "Number of scored items answered",
    "qc_longstring": "Longest run of identical consecutive answers",
    "qc_longstring_flag": "Flag: longest run covers half the answered items or more",
    "qc_irv": "Intra-individual response variability (SD of the answers)",
    "qc_mahad_d2": "Mahalanobis D-squared",
    "qc_mahad_p": "Mahalanobis D-squared p-value (chi-square)",
    "qc_mahad_flag": "Flag: D-squared above the .99 chi-square quantile",
    "qc_evenodd": "Even-odd consistency, negated (higher = less consistent)",
    "qc_evenodd_flag": "Flag: even-odd consistency below .30",
    "qc_duration_s": "Completion time (seconds)",
    "qc_too_fast": "Flag: completed faster than the minimum time",
    "qc_attention_failed": "Number of attention checks failed",
    "qc_attention_flag": "Flag: failed an attention check",
    "qc_breakoff": "Flag: left the survey before the end (platform completion fields)",
    "qc_flagged": "Flag: any data-quality flag",
}


def longstring(X: np.ndarray) -> np.ndarray:
    """Longest run of identical consecutive answers per row.

    A missing answer breaks a run (as R's ``rle`` does). Matches
    ``careless::longstring(x, avg = FALSE)``.

    >>> longstring(np.array([[1, 1, 2, 2, 2], [3, np.nan, 3, 3, 1.]])).tolist()
    [3.0, 2.0]
    """
    return _longstring(np.asarray(X, dtype=float))


def _longstring(X: np.ndarray) -> np.ndarray:
    """:func:`longstring` on a float matrix of any precision (no copy)."""
    n, k = X.shape
    if k == 0:
        return np.full(n, np.nan)
    run = np.ones(n)
    best = np.ones(n)
    same = np.empty(n, dtype=bool)
    for j in range(1, k):  # loop over items (columns), vectorised over rows
        np.equal(X[:, j], X[:, j - 1], out=same)
        run *= same  # a change (or a missing answer) restarts the run
        run += 1
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
    return _irv(np.where(ok, X, 0.0), ok.sum(axis=1))


def _irv(x0: np.ndarray, m: np.ndarray) -> np.ndarray:
    """IRV from the answers with missing set to 0 and the number answered per row."""
    with np.errstate(invalid="ignore", divide="ignore"):
        s1 = x0.sum(axis=1).astype(np.float64)  # exact in single precision for response codes
        ss = np.einsum("ij,ij->i", x0, x0).astype(np.float64) - s1 * s1 / m
        return np.where(m > 1, np.sqrt(np.maximum(ss, 0.0) / (m - 1)), np.nan)


def pairwise_cov(X: np.ndarray, chunk: int = 65536) -> tuple[np.ndarray, np.ndarray]:
    """Covariance with pairwise-complete observations (R ``cov(x, use = "pairwise")``) and column means.

    For each pair of columns the sums run over the rows where both are
    observed: :math:`s_{jk} = (\\sum x_j x_k - \\sum x_j \\sum x_k / n_{jk}) / (n_{jk} - 1)`,
    accumulated over row chunks with matrix products on the observed-value
    masks. Integer-valued data (response codes) use single-precision products,
    which are exact for integers while every partial sum stays below
    :math:`2^{24}`; other data are centred first and use double precision.
    Returns ``(S, means)``.
    """
    X = np.asarray(X)
    exact = _exact_sums(X, chunk)
    return _cov_from_sums(exact if exact is not None else _centred_sums(X, chunk))


class _ExactPairSums:
    """Accumulates raw pairwise sums chunk by chunk in float32 arithmetic.

    The products are exact while the data are integers whose squares, summed
    over a chunk, stay below :math:`2^{24}`; ``ok`` turns False otherwise and
    the caller falls back to :func:`_centred_sums`.
    """

    def __init__(self, k: int):
        self.n, self.sx, self.sxy = np.zeros((k, k)), np.zeros((k, k)), np.zeros((k, k))
        self.tot, self.cnt = np.zeros(k), np.zeros(k)
        self.ok = True

    def add(self, c: np.ndarray, miss: np.ndarray, *, exact: bool | None = None, okf=None) -> None:
        """Add a chunk ``c`` (zeros where ``miss``).

        ``exact`` (known to the caller) skips the integer check; ``okf`` is the
        answered mask as ``float32``, when the caller has it.
        """
        if not self.ok:
            return
        if exact is None:
            big = float(np.abs(c).max(initial=0.0))
            exact = big * big * c.shape[0] < 2.0 ** 24 and bool(np.array_equal(c, np.rint(c)))
        if not exact:
            self.ok = False
            return
        c = c.astype(np.float32, copy=False)
        self.sxy += c.T @ c
        colsum = c.sum(axis=0, dtype=np.float64)
        if okf is None and miss.any():
            okf = (~miss).astype(np.float32)
        if okf is None:
            self.n += c.shape[0]
            self.sx += colsum[:, None]
        else:  # joint-answer counts and sums, as products with the answered mask (dense BLAS)
            self.n += okf.T @ okf
            self.sx += c.T @ okf
        self.tot += colsum
        self.cnt += c.shape[0] - miss.sum(axis=0)

    @classmethod
    def merge(cls, parts, k: int) -> _ExactPairSums:
        """One accumulator holding the sums of ``parts`` (integer-valued, so the order does not matter)."""
        out = cls(k)
        for p in parts:
            out.ok &= p.ok
            out.n += p.n
            out.sx += p.sx
            out.sxy += p.sxy
            out.tot += p.tot
            out.cnt += p.cnt
        return out

    def sums(self):
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.n, self.sx, self.sxy, self.tot / self.cnt


def _exact_sums(X, chunk):
    """Raw pairwise sums exact for small integer data, or None."""
    acc = _ExactPairSums(X.shape[1])
    for a in range(0, X.shape[0], chunk):
        c = np.array(X[a:a + chunk], dtype=float, order="C")
        miss = np.isnan(c)
        np.copyto(c, 0.0, where=miss)
        acc.add(c, miss)
        if not acc.ok:
            return None
    return acc.sums()


def _cov_from_sums(sums):
    n, sx, sxy, mu = sums
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sxy - sx * sx.T / n) / (n - 1), mu


def _add_pair_counts(n, sx, c, miss, colsum) -> None:
    """Add joint-observation counts ``n[j,k]`` and sums ``sx[j,k]`` (of column j where k observed).

    ``c`` holds zeros where ``miss``. Sparse missingness (the usual case) is
    handled with a sparse indicator of the missing cells, dense with matrix
    products of the observed mask.
    """
    rows = c.shape[0]
    n_miss = miss.sum(axis=0)
    total = int(n_miss.sum())
    if total == 0:
        n += rows
        sx += colsum[:, None]
    elif total < 0.2 * miss.size:
        from scipy.sparse import csr_matrix

        r, q = np.nonzero(miss.T)
        S = csr_matrix((np.ones(len(r)), (r, q)), shape=(miss.shape[1], rows))  # k x rows
        sx += colsum[:, None] - (S @ c.astype(np.float64, copy=False)).T
        n += rows - n_miss[:, None] - n_miss[None, :] + (S @ S.T).toarray()
    else:
        m = (~miss).astype(c.dtype)
        n += m.T @ m
        sx += c.T @ m


def _centred_sums(X, chunk):
    """Pairwise sums of the data centred at the column means, in double precision."""
    k = X.shape[1]
    tot, cnt = np.zeros(k), np.zeros(k)
    for a in range(0, X.shape[0], chunk):
        c = np.asarray(X[a:a + chunk], dtype=float)
        ok = ~np.isnan(c)
        tot += np.where(ok, c, 0.0).sum(axis=0)
        cnt += ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = tot / cnt
    n, sx, sxy = np.zeros((k, k)), np.zeros((k, k)), np.zeros((k, k))
    for a in range(0, X.shape[0], chunk):
        c = np.array(X[a:a + chunk], dtype=float, order="C")
        c -= mu
        miss = np.isnan(c)
        np.copyto(c, 0.0, where=miss)
        sxy += c.T @ c
        _add_pair_counts(n, sx, c, miss, c.sum(axis=0))
    return n, sx, sxy, mu


def mahalanobis(X: np.ndarray, chunk: int = 65536) -> tuple[np.ndarray, np.ndarray]:
    """Mahalanobis :math:`D^2` of each row and its chi-square p-value.

    Matches ``careless::mahad(x)`` / ``psych::outlier(x)``: the covariance is
    pairwise-complete, the centre the column means of available values, and a
    missing answer contributes nothing (its centred value counts as 0). Rows
    with no answer get missing. ``p = P(chi2_k > D^2)`` with ``k`` items.

    Raises
    ------
    numpy.linalg.LinAlgError
        When some item pair has fewer than two joint answers or the covariance
        matrix is singular (R's ``solve`` fails too).

    Notes
    -----
    :math:`D^2_i = (x_i - \\bar x)^\\top S^{-1} (x_i - \\bar x)`.
    """
    X = np.asarray(X)
    S, mu = pairwise_cov(X, chunk)
    return _mahalanobis_from(X, S, mu, chunk)


def _whitener(S):
    """``(W, square)`` with :math:`D^2 = |(x - \\bar x) W|^2` (``square``) or :math:`(x - \\bar x) W (x - \\bar x)'`.

    Raises numpy.linalg.LinAlgError when ``S`` has missing entries or is (nearly) singular.
    """
    if not np.all(np.isfinite(S)):
        raise np.linalg.LinAlgError("some item pairs have fewer than two joint answers")
    if is_singular(S):  # an eigenvalue within RTOL (1e-12) of the largest: cond(S) > 1e12
        raise np.linalg.LinAlgError("the item covariance matrix is (nearly) singular")
    if is_positive_definite(S):  # S = L L': D2 = |L^-1 (x - mean)|^2, one triangular factor per block of rows
        return np.linalg.inv(np.linalg.cholesky(S)).T, True
    return np.linalg.inv(S), False  # a pairwise covariance need not be positive definite: use S^-1


def _mahalanobis_from(X, S, mu, chunk: int = 65536):
    """:math:`D^2` and p-values given the pairwise covariance ``S`` and the column means ``mu``."""
    W, square = _whitener(S)
    d2 = np.empty(X.shape[0])

    def block(a, b):
        c = np.array(X[a:b], dtype=np.float64, order="K")
        c -= mu
        miss = np.isnan(c)
        np.copyto(c, 0.0, where=miss)
        z = c @ W
        d = np.einsum("ij,ij->i", z, z) if square else np.einsum("ij,ij->i", z, c)
        d[miss.all(axis=1)] = np.nan
        d2[a:b] = d

    run_blocks(block, blocks(X.shape[0], chunk))  # each block writes its own rows
    return d2, chi2_sf(X.shape[1], d2)


def chi2_sf(k: int, x: np.ndarray) -> np.ndarray:
    """Upper tail :math:`P(\\chi^2_k > x)` for a whole number of degrees of freedom ``k``.

    R's ``pchisq(x, k, lower.tail = FALSE)`` (``scipy.special.chdtrc``), from
    the closed form for integer ``k`` (Abramowitz & Stegun 26.4.4-5): with
    :math:`h = x/2`, :math:`e^{-h}\\sum_{i<k/2} h^i/i!` for even ``k`` and
    :math:`\\operatorname{erfc}\\sqrt h + e^{-h}\\sum_{i=1}^{(k-1)/2} h^{i-1/2}/\\Gamma(i+1/2)`
    for odd ``k`` -- a few multiplications per value instead of an incomplete
    gamma function. Values where :math:`e^{-h}` would underflow (and very
    large ``k``) use ``chdtrc``.

    >>> from scipy.special import chdtrc
    >>> x = np.array([0.0, 0.5, 3.0, 40.0, np.nan])
    >>> bool(np.allclose(chi2_sf(5, x), chdtrc(5, x), rtol=1e-13, equal_nan=True))
    True
    """
    from scipy.special import chdtrc, erfc

    x = np.asarray(x, dtype=np.float64)
    if k < 1 or k > 200 or int(k) != k:
        return chdtrc(k, np.maximum(x, 0.0))  # x <= 0 (a negative D2): 1, as in the closed form and R
    k = int(k)
    h = 0.5 * np.maximum(x, 0.0)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        m = k // 2 if k % 2 == 0 else (k - 1) // 2
        acc = np.ones_like(h)
        if k % 2 == 0:  # Horner: 1 + h/1 (1 + h/2 (1 + ... h/(m-1)))
            for i in range(m - 1, 0, -1):
                acc *= h
                acc *= 1.0 / i
                acc += 1.0
            out = np.exp(-h) * acc
        else:  # sum_{i=1}^{m} h^(i-1/2)/Gamma(i+1/2) = 2 sqrt(h/pi) (1 + h/1.5 (1 + h/2.5 (...)))
            for i in range(m - 1, 0, -1):
                acc *= h
                acc *= 1.0 / (i + 0.5)
                acc += 1.0
            out = erfc(np.sqrt(h)) + np.exp(-h) * (2.0 * np.sqrt(h / np.pi)) * acc if m else erfc(np.sqrt(h))
    out = np.where(x <= 0, 1.0, out)
    out[np.isnan(x)] = np.nan
    far = h > 700.0  # e^-h underflows: the incomplete gamma function keeps the tiny tail
    if far.any():
        out[far] = chdtrc(k, x[far])
    return out


def evenodd(X: np.ndarray, factors: list[int]) -> np.ndarray:
    """Even-odd consistency, negated so that higher means more careless.

    For each scale (consecutive blocks of ``factors`` columns) the mean of its
    even-positioned and of its odd-positioned items is taken; the per-row
    correlation between the even and odd means across scales (pairwise
    complete) is Spearman-Brown corrected, ``2r / (1 + r)``, bounded below by
    -1 and negated. Matches ``careless::evenodd(x, factors)`` (version >= 1.2).
    """
    X = np.asarray(X, dtype=float)
    ok = ~np.isnan(X)
    sel_e, sel_o = _evenodd_selectors(factors, list(range(X.shape[1])), X.shape[1])
    return _evenodd(np.where(ok, X, 0.0), ok.astype(float), sel_e, sel_o)


def _evenodd_selectors(factors, order, k):
    """0/1 matrices sending data column ``order[i]`` to the even or odd half of its scale."""
    sel_e, sel_o = np.zeros((k, len(factors))), np.zeros((k, len(factors)))
    start = 0
    for f, size in enumerate(factors):
        for pos in range(size):  # position 1, 2, ... within the scale
            (sel_e if (pos + 1) % 2 == 0 else sel_o)[order[start + pos], f] = 1.0
        start += size
    return sel_e, sel_o


def _evenodd(x0, okf, sel_e, sel_o, flip=None):
    """``flip[j]`` (``min + max`` of a reverse-keyed item, else 0) keys the answers first."""
    dt = x0.dtype  # single precision for response codes: these sums are exact
    f = sel_e.shape[1]
    okf = okf.astype(dt, copy=False)
    # per scale, the sum and count of the answered even (odd) items: column by column (each item
    # belongs to one half of one scale), contiguous columns for the column-major chunks
    tot = np.zeros((x0.shape[0], 2 * f), dtype=dt, order="F")
    cnt = np.zeros((x0.shape[0], 2 * f), dtype=dt, order="F")
    for j, g in zip(*np.nonzero(np.hstack([sel_e, sel_o]))):
        if flip is not None and flip[j]:
            tot[:, g] += okf[:, j] * dt.type(flip[j]) - x0[:, j]
        else:
            tot[:, g] += x0[:, j]
        cnt[:, g] += okf[:, j]
    return _evenodd_from_halves(tot, cnt)


def _evenodd_from_halves(tot, cnt):
    """The (negated) even-odd index from each scale's even and odd half: totals and counts, ``n x 2f``."""
    f = tot.shape[1] // 2
    both = (cnt[:, :f] > 0) & (cnt[:, f:] > 0)  # scales with an even and an odd mean
    nb = ~both
    m = both.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        # means of the answered even (odd) items, 0 where a scale lacks either half
        E = np.where(both, tot[:, :f].astype(np.float64) / cnt[:, :f], 0.0)
        O = np.where(both, tot[:, f:].astype(np.float64) / cnt[:, f:], 0.0)
        E -= (E.sum(1) / m)[:, None]
        O -= (O.sum(1) / m)[:, None]
        np.copyto(E, 0.0, where=nb)
        np.copyto(O, 0.0, where=nb)
        r = np.einsum("ij,ij->i", E, O) / np.sqrt(np.einsum("ij,ij->i", E, E) * np.einsum("ij,ij->i", O, O))
        sb = 2 * r / (1 + r)
    sb = np.where(m >= 2, sb, np.nan)
    sb = np.where(~np.isnan(sb) & (sb < -1), -1.0, sb)
    return -sb


_FALSE = {"false", "0", "0.0", "no", "f", "n"}
_TRUE = {"true", "1", "1.0", "yes", "t", "y"}


def breakoffs(data: pd.DataFrame, platform: str | None):
    """Break-offs (respondents who left before the end) from a platform's completion fields.

    Parameters
    ----------
    data : pandas.DataFrame
        The export as read (metadata columns included).
    platform : str or None
        ``qualtrics``, ``redcap``, ``limesurvey``, ``kobo``, ``odk`` or other.

    Returns
    -------
    mask : numpy.ndarray of bool, or None
        True for a break-off; None when the export has no completion field.
    source : str
        Which fields decided it (or why nothing could be decided).

    Notes
    -----
    Qualtrics: ``Finished`` false (``0``/``False``) or ``Progress`` below 100.
    REDCap: a form status ``<form>_complete`` (``Complete?`` in label exports)
    of ``0``/``Incomplete``. LimeSurvey: an empty ``submitdate`` (``Date
    submitted``); ``lastpage`` alone cannot say whether the last page was
    reached. Kobo and ODK Central send only finalised submissions, so their
    exports hold no break-offs.

    >>> breakoffs(pd.DataFrame({"Finished": ["True", "False"], "Progress": [100, 38]}), "qualtrics")[0].tolist()
    [False, True]
    """
    cols = {str(c): c for c in data.columns}
    n = len(data)

    def text(c):
        return data[c].astype("string").str.strip().str.lower()

    if platform == "qualtrics":
        mask, used = np.zeros(n, dtype=bool), []
        if "Finished" in cols:
            mask |= text(cols["Finished"]).isin(_FALSE).fillna(False).to_numpy(dtype=bool)
            used.append("Finished = False")
        if "Progress" in cols:
            prog = pd.to_numeric(data[cols["Progress"]], errors="coerce").to_numpy(dtype=float)
            mask |= np.nan_to_num(prog, nan=100.0) < 100
            used.append("Progress < 100")
        return (mask, " or ".join(used)) if used else (None, "the Qualtrics export has no Finished/Progress column")
    if platform == "redcap":
        status = [c for k, c in cols.items() if k.endswith("_complete") or k.split("__")[0] == "Complete?"]
        if not status:
            return None, "the REDCap export has no <form>_complete column"
        mask = np.zeros(n, dtype=bool)
        for c in status:
            mask |= text(c).isin({"0", "0.0", "incomplete"}).fillna(False).to_numpy(dtype=bool)
        return mask, f"{', '.join(map(str, status))} = Incomplete (0)"
    if platform == "limesurvey":
        col = cols.get("submitdate", cols.get("Date submitted"))
        if col is None:
            return None, "the LimeSurvey export has no submitdate column (lastpage alone cannot tell)"
        blank = data[col].isna() | (data[col].astype("string").str.strip() == "")
        return blank.fillna(True).to_numpy(dtype=bool), f"{col} empty (not submitted)"
    if platform in ("kobo", "odk"):
        return None, f"{platform} exports hold finalised submissions only: no break-offs to flag"
    return None, "no platform completion fields in the file"


def quality_flags(codes: pd.DataFrame, spec, *, duration=None, min_seconds: float | None = None,
                  attention: pd.DataFrame | None = None, breakoff=None) -> tuple[pd.DataFrame, dict]:
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
    breakoff : array-like of bool, optional
        Break-offs from the platform's completion fields (:func:`breakoffs`):
        ``qc_breakoff``.

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
        (number of failed checks); ``qc_breakoff`` (left before the end, when
        the platform records it); ``qc_flagged`` (any flag).

    Notes
    -----
    Each default cut-off's false-positive rate on honest answers simulated
    from the bundled instrument's model (:mod:`qimscale.scoring.calibration`,
    600 x 3 respondents, 3 % N/A answers) is checked by the tests: longstring
    0 %, Mahalanobis 1.4 % (1.9 % with 2,000 x 3; nominally 1 %, ordinal
    answers have heavier tails), ``qc_flagged`` 1.4 %. The too-fast rule
    (2 s per item, Huang et al. 2012) is not calibrated here: the model has no
    response times. Even-odd is computed only with at least
    :data:`EVENODD_MIN_SCALES` scales of :data:`EVENODD_MIN_ITEMS` items or
    more: with the QIM instrument's twelve scales of 4-7 items its .30 cut-off
    flagged 17 % of honest respondents even with reverse keys applied (42 %
    without). In the same simulation over S scales of m items, the rate fell
    below 5 % only from S = 15, m = 6 (3 %) or S = 30, m = 4 (4 %) on.
    info : dict
        Thresholds and counts, for the scoring log.

    Raises
    ------
    DataError
        ``min_seconds`` negative or not a finite number.
    """
    from threadpoolctl import threadpool_limits

    if min_seconds is not None and not (np.isfinite(min_seconds) and min_seconds >= 0):
        raise DataError(f"--min-seconds must be a number of seconds >= 0; got {min_seconds}")

    # The products here are tall and thin (rows x items times items x items) and run
    # chunk by chunk: single-threaded BLAS is as fast on them and does not spin
    # against other processes the way a multi-threaded pool does on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        return _quality_flags(codes, spec, duration, min_seconds, attention, breakoff)


def _quality_flags(codes, spec, duration, min_seconds, attention, breakoff=None):
    from scipy.special import chdtri

    from qimscale.scoring.scores import CHUNK_ROWS, item_matrix, known_codes

    order = list(spec.items)
    small = codes if isinstance(codes, ItemCodes) else ItemCodes.from_frame(codes, order, known_codes(codes))
    if small is not None:
        pos = {item: j for j, item in enumerate(small.items)}
        cols = [pos[i] for i in order if i in pos and small.answered[:, pos[i]].any()]
        present = [small.items[j] for j in cols]
        n, k = small.shape[0], len(cols)
        index = small.index
    else:
        X_all, order = item_matrix(codes, spec)
        keep = [j for j, it in enumerate(order) if not np.isnan(X_all[:, j]).all()]
        present = [order[j] for j in keep]
        X = X_all if len(keep) == len(order) else X_all[:, keep]
        n, k = X.shape
        index = codes.index
    info = {"items_used": len(present), "references": "Curran 2016 doi:10.1016/j.jesp.2015.07.006; R careless"}
    out = {"qc_n_answered": np.empty(n, dtype=np.int32)}
    flags = []
    factors, eo_order = [], []
    for sc in spec.scales:
        its = [i for i in sc.items if i in present]
        if len(its) >= EVENODD_MIN_ITEMS:
            factors.append(len(its))
            eo_order += [present.index(i) for i in its]
    do_eo = len(factors) >= EVENODD_MIN_SCALES
    if not do_eo:
        info["evenodd_skipped"] = (
            f"even-odd consistency not computed: it needs at least {EVENODD_MIN_SCALES} scales with "
            f"{EVENODD_MIN_ITEMS} or more items in the data (Curran 2016; Johnson 2005 used 30 scales of 10 "
            f"items), and the data have {len(factors)}. With fewer, its .30 cut-off flags well over 5 % of "
            "honest respondents simulated from the instrument (qimscale.scoring.calibration)")
    # even-odd halves use keyed answers (reverse-keyed items as min + max - x), as careless::evenodd expects
    flip = np.array([float(spec.items[i].min + spec.items[i].max) if spec.items[i].reverse else 0.0
                     for i in present]) if do_eo else None
    if k:
        out["qc_longstring"] = np.empty(n)
        out["qc_irv"] = np.empty(n)
        if do_eo:
            out["qc_evenodd"] = np.empty(n)
        sel_e, sel_o = _evenodd_selectors(factors, eo_order, k)
        if small is not None:
            pair_sums = _row_indices_small(small, cols, out, np.hstack([sel_e, sel_o]) if do_eo else None, flip)
            X = None
        else:
            pair_sums = _row_indices_float(X, known_codes(codes), out, (sel_e, sel_o, flip) if do_eo else None)
        out["qc_longstring_flag"] = out["qc_longstring"] >= np.maximum(out["qc_n_answered"] / 2.0, 2)
        flags.append("qc_longstring_flag")
        try:
            if n <= k:
                raise np.linalg.LinAlgError(f"{n} rows for {k} items")
            if not pair_sums.ok and X is None:  # codes too large for exact single-precision sums
                X = small.select(cols).to_frame(np.float64).to_numpy()
            S, mu = _cov_from_sums(pair_sums.sums() if pair_sums.ok else _centred_sums(X, CHUNK_ROWS))
            if X is None:
                d2, p = _mahalanobis_small(small, cols, S, mu, out["qc_n_answered"])
            else:
                d2, p = _mahalanobis_from(X, S, mu)
        except np.linalg.LinAlgError as exc:
            info["mahad_skipped"] = f"Mahalanobis D2 not computed: {exc}"
        else:
            cut = float(chdtri(k, 1 - MAHAD_CONFIDENCE))
            out["qc_mahad_d2"], out["qc_mahad_p"] = d2, p
            out["qc_mahad_flag"] = d2 > cut
            flags.append("qc_mahad_flag")
            info["mahad_cut"] = cut
        if do_eo:
            out["qc_evenodd_flag"] = out["qc_evenodd"] > EVENODD_CUT
            flags.append("qc_evenodd_flag")
    else:
        out["qc_n_answered"][:] = 0
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
    if breakoff is not None:
        out["qc_breakoff"] = np.asarray(breakoff, dtype=bool)
        flags.append("qc_breakoff")
    any_flag = np.zeros(n, dtype=bool)
    for f in flags:
        any_flag |= out[f]
    out["qc_flagged"] = any_flag
    df = pd.DataFrame(out, index=index, copy=False)
    info["flags"] = flags
    info["counts"] = {f: int(df[f].sum()) for f in flags + ["qc_flagged"]}
    return df, info


def _row_indices_float(X, known, out, eo) -> _ExactPairSums:
    """Longstring, IRV, even-odd and the number answered from a float item matrix, block by block,
    into ``out``; returns the pair sums for the Mahalanobis covariance (same pass)."""
    from qimscale.scoring.scores import code_bounds, masked_chunk

    n, k = X.shape
    bounds = code_bounds(known)

    def block(a, b):
        c, ok, exact = masked_chunk(X, a, b, bounds)  # c: answers with missing as 0
        out["qc_longstring"][a:b] = _longstring(X[a:b])  # column-major slice: contiguous columns
        okf = ok.astype(c.dtype)
        acc = _ExactPairSums(k)
        acc.add(c, ~ok, exact=exact, okf=okf.astype(np.float32, copy=False) if exact else None)
        m = ok.sum(axis=1)
        out["qc_n_answered"][a:b] = m
        out["qc_irv"][a:b] = _irv(c, m)
        if eo is not None:
            out["qc_evenodd"][a:b] = _evenodd(c, okf, *eo)
        return acc

    return _ExactPairSums.merge(run_blocks(block, blocks(n)), k)  # each block writes its own rows


def _row_indices_small(ic: ItemCodes, cols: list, out, groups, flip=None) -> _ExactPairSums:
    """As :func:`_row_indices_float`, from 8-bit codes: item column by item column, integer arithmetic.

    ``cols`` are the positions of the items used (in instrument order);
    ``groups`` (``k x 2f``, or None) sends each to the even or odd half of its scale.
    """
    k = len(cols)
    n = ic.shape[0]
    big = ic.largest()
    exact = big * big * max(BLOCK_ROWS, k) < 2.0 ** 24  # pair sums exact in single precision
    # the halves each item adds to: none (an item of no scale), one, or one per scale it belongs to
    grp = [np.flatnonzero(g).tolist() for g in groups] if groups is not None else None
    f2 = groups.shape[1] if groups is not None else 0

    def work(a, b):
        m = b - a
        cnt, s1, sq = (np.zeros(m, dtype=np.int32) for _ in range(3))
        tmp = np.empty(m, dtype=np.int16)
        run, best = np.ones(m, dtype=np.int32), np.ones(m, dtype=np.int32)
        same = np.empty(m, dtype=bool)
        # codes and answered mask side by side: one symmetric product gives every pair sum
        B = np.empty((m, 2 * k), dtype=np.float32, order="F") if exact else None
        if f2:
            htot = np.zeros((m, f2), dtype=np.int32, order="F")
            hcnt = np.zeros((m, f2), dtype=np.int32, order="F")
        prev = None
        for i, j in enumerate(cols):
            v, o = ic.values[a:b, j], ic.answered[a:b, j]
            cnt += o
            s1 += v
            np.multiply(v, v, out=tmp, dtype=np.int16)
            sq += tmp
            if prev is not None:  # a run continues while consecutive answers are equal (a gap breaks it)
                np.equal(v, prev[0], out=same)
                same &= o
                same &= prev[1]
                run *= same
                run += 1
                np.maximum(best, run, out=best)
            prev = (v, o)
            for g in grp[i] if f2 else ():
                if flip is not None and flip[i]:  # reverse-keyed: min + max - x where answered
                    htot[:, g] += o * int(flip[i])
                    htot[:, g] -= v
                else:
                    htot[:, g] += v
                hcnt[:, g] += o
            if exact:
                B[:, i] = v
                B[:, k + i] = o
        none = cnt == 0
        ls = best.astype(np.float64)
        ls[none] = np.nan
        out["qc_longstring"][a:b] = ls
        out["qc_n_answered"][a:b] = cnt
        with np.errstate(invalid="ignore", divide="ignore"):
            s1f = s1.astype(np.float64)
            ss = sq.astype(np.float64) - s1f * s1f / cnt
            out["qc_irv"][a:b] = np.where(cnt > 1, np.sqrt(np.maximum(ss, 0.0) / (cnt - 1)), np.nan)
        if f2:
            out["qc_evenodd"][a:b] = _evenodd_from_halves(htot, hcnt)
        acc = _ExactPairSums(k)
        if exact:  # B'B = [[sum x_j x_l, sum x_j [l answered]], [.., joint-answer counts]]
            P = B.T @ B
            acc.sxy += P[:k, :k]
            acc.sx += P[:k, k:]
            acc.n += P[k:, k:]
            acc.tot += np.diagonal(P[:k, k:])  # sum of x_j where j answered
            acc.cnt += np.diagonal(P[k:, k:])
        else:
            acc.ok = False
        return acc

    return _ExactPairSums.merge(run_blocks(work, blocks(n)), k)


def _mahalanobis_small(ic: ItemCodes, cols: list, S, mu, n_answered):
    """:math:`D^2` and p-values from 8-bit codes (see :func:`_mahalanobis_from`)."""
    W, square = _whitener(S)
    n, k = ic.shape[0], len(cols)
    d2 = np.empty(n)

    def work(a, b):
        c = np.empty((b - a, k), order="F")
        for i, j in enumerate(cols):  # centred answers, 0 where unanswered
            np.subtract(ic.values[a:b, j], mu[i], out=c[:, i])
            c[:, i] *= ic.answered[a:b, j]
        z = c @ W
        d2[a:b] = np.einsum("ij,ij->i", z, z) if square else np.einsum("ij,ij->i", z, c)

    run_blocks(work, blocks(n))
    d2[n_answered == 0] = np.nan
    return d2, chi2_sf(k, d2)
