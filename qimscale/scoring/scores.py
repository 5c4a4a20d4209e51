"""Scale, domain, sum and norm-referenced scores: :func:`score_codes`.

All computations are vectorised over respondents (numpy on the item matrix);
there is no per-row Python loop.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from qimscale.errors import DataError
from qimscale._core.formatting import show_value
from qimscale.scoring.itemcodes import BLOCK_ROWS, ItemCodes, blocks, run_blocks

#: default for ``--min-answered``: a score needs at least 75 % of the scale's items, i.e. at most one
#: missing answer on the QIM scales of 4 to 7 items (see :data:`MIN_ANSWERED_RULE`)
DEFAULT_MIN_ANSWERED = 0.75

#: the default pro-rating rule, as written into the scoring log and the documentation
MIN_ANSWERED_RULE = (
    "a scale score is the mean of the answered items when at least 75 % of the scale's items are answered "
    "(at most one missing on a 4-7 item scale); stricter than the SF-36 'half rule' (score when at least half "
    "the items are answered; Ware et al. 1993). Pro-rating assumes the missing items are exchangeable with "
    "the answered ones (Mazza, Enders & Ruehlman 2015, doi:10.1080/00273171.2015.1068157); --min-answered 0.5 "
    "gives the half rule, --min-answered 1 complete scales only"
)


def reverse_key(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Reverse-key codes as ``lo + hi - x`` (missing stays missing).

    >>> reverse_key(np.array([1.0, 5.0, np.nan]), 1, 5).tolist()
    [5.0, 1.0, nan]
    """
    return lo + hi - x


def score_codes(codes: pd.DataFrame, spec, *, min_answered: float = DEFAULT_MIN_ANSWERED,
                sums: bool = False, norms: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict]:
    """Score validated item codes.

    Parameters
    ----------
    codes : pandas.DataFrame or ItemCodes
        Item id -> raw codes (as answered; missing as NaN), or the 8-bit item
        matrix :func:`~qimscale.scoring.validation.validate` builds. Items of
        the spec absent from ``codes`` count as unanswered.
    spec : ScoringSpec
    min_answered : float
        Fraction (0-1] of a scale's items that must be answered for a score;
        default 0.75: with 4 items, 3; with 5, 4; with 7, 6 -- at most one
        missing answer on every QIM scale (:data:`MIN_ANSWERED_RULE`).
    sums : bool
        Also write pro-rated sum scores ``<scale>_sum`` = mean x number of items.
    norms : pandas.DataFrame, optional
        Columns ``scale, mean, sd`` (scale or domain ids): adds ``<scale>_t``
        and ``<scale>_pct``.

    Returns
    -------
    scores : pandas.DataFrame
        One column per scale (``<scale id>``: the mean of its answered items,
        reverse-keyed items recoded), one per domain (``<domain id>``, or
        ``<domain id>_domain`` when a scale has the same id), and optional
        ``<scale>_sum``, ``<scale>_t``, ``<scale>_pct``.
    log : dict
        The rules applied and their counts, for the scoring log.

    Raises
    ------
    DataError
        ``min_answered`` outside (0, 1]; a norms file without ``scale, mean, sd``.

    Notes
    -----
    Reverse keying: :math:`x' = \\min + \\max - x` with the scale's minimum and
    maximum scored codes (the not-applicable code is not a scored code).
    Scale score: :math:`\\bar x = \\frac{1}{m}\\sum_{j\\,\\text{answered}} x'_j`
    when :math:`m / k \\ge` ``min_answered``, else missing; a score from
    :math:`m < k` items is *pro-rated* (counted in the log). Domain score:
    the same rule over all items of the domain's non-exploratory scales.
    T-score :math:`T = 50 + 10 (\\bar x - \\mu)/\\sigma`; percentile
    :math:`100\\,\\Phi((\\bar x - \\mu)/\\sigma)` (normal approximation to the norm group).

    References
    ----------
    Ware, J. E., Snow, K. K., Kosinski, M., & Gandek, B. (1993). *SF-36 Health
    Survey: Manual and interpretation guide*. The Health Institute, New England
    Medical Center (the half rule).

    Mazza, G. L., Enders, C. K., & Ruehlman, L. S. (2015). Addressing item-level
    missing data: A comparison of proration and full information maximum
    likelihood estimation. *Multivariate Behavioral Research, 50*(5), 504-519.
    https://doi.org/10.1080/00273171.2015.1068157

    Examples
    --------
    >>> from qimscale.scoring.spec import ScoringSpec
    >>> spec = ScoringSpec.simple({"a": ["a1", "a2", "a3"]}, reverse=["a3"])
    >>> codes = pd.DataFrame({"a1": [4.0, 2.0], "a2": [5.0, np.nan], "a3": [2.0, np.nan]})
    >>> scores, log = score_codes(codes, spec, min_answered=0.6)
    >>> scores["a"].tolist()
    [4.333333333333333, nan]
    """
    if not (0 < min_answered <= 1):
        raise DataError(f"--min-answered must be a fraction in (0, 1]; got {min_answered}")
    order = list(spec.items)
    small = codes if isinstance(codes, ItemCodes) else ItemCodes.from_frame(codes, order, known_codes(codes))
    totals = _totals_small(small, spec) if small is not None else None
    if totals is None:
        totals = _totals_float(codes.to_frame() if isinstance(codes, ItemCodes) else codes, spec)
    totals, counts = totals
    index = small.index if small is not None else codes.index
    sums_ = {sc.id: totals[:, s_] for s_, sc in enumerate(spec.scales)}
    nans_ = {sc.id: counts[:, s_] for s_, sc in enumerate(spec.scales)}
    out: dict[str, np.ndarray] = {}
    log = {"min_answered": min_answered,
           "min_answered_rule": MIN_ANSWERED_RULE if min_answered == DEFAULT_MIN_ANSWERED else
           f"a scale score needs at least {min_answered:g} of the scale's items answered (--min-answered)",
           "reverse_keyed_items": [i for i, r in spec.items.items() if r.reverse],
           "reverse_rule": "min + max - x", "scales": {}, "domains": {}}
    scale_ids = {sc.id for sc in spec.scales}
    for sc in spec.scales:
        k = len(sc.items)
        mean, ok = _rule(sums_[sc.id], nans_[sc.id], k, min_answered)
        out[sc.id] = mean
        if sums:
            out[f"{sc.id}_sum"] = mean * k
        log["scales"][sc.id] = {
            "items": list(sc.items), "k": k, "domain": sc.domain, "exploratory": sc.exploratory,
            "min_items_answered": int(math.ceil(min_answered * k - 1e-9)),
            "n_scored": int(ok.sum()), "n_prorated": int((ok & (nans_[sc.id] < k)).sum()),
            "n_missing_too_few_items": int((~ok).sum()),
        }
    for dom, sids in spec.domains.items():
        k = sum(len(sc.items) for sc in spec.scales if sc.id in sids)
        total = np.sum([sums_[sid] for sid in sids], axis=0)
        n_ans = np.sum([nans_[sid] for sid in sids], axis=0)
        mean, ok = _rule(total, n_ans, k, min_answered)
        name = f"{dom}_domain" if dom in scale_ids else dom
        out[name] = mean
        log["domains"][name] = {"scales": sids, "k": k, "n_scored": int(ok.sum()),
                                "n_prorated": int((ok & (n_ans < k)).sum())}
    del sums_, nans_
    scores = pd.DataFrame(out, index=index, copy=False)
    if norms is not None:
        scores, log["norms"] = _apply_norms(scores, norms)
    return scores, log


def _totals_small(ic: ItemCodes, spec):
    """Per-scale totals (reverse keys applied; ``float64``) and answered counts (``int32``) from 8-bit codes.

    Integer arithmetic, item column by item column over blocks of rows; None
    when a reverse-keying range is not integral (the float path handles it).
    """
    pos = {item: j for j, item in enumerate(ic.items)}
    terms = []
    for sc in spec.scales:
        t = []
        for item in sc.items:
            if item not in pos:
                continue  # absent from the data: never answered
            rule = spec.items[item]
            lohi = float(rule.min + rule.max) if rule.reverse else 0.0
            if not lohi.is_integer():
                return None
            t.append((pos[item], rule.reverse, int(lohi)))
        terms.append(t)
    n = ic.shape[0]
    totals = np.zeros((n, len(terms)), order="F")
    counts = np.zeros((n, len(terms)), dtype=np.int32, order="F")

    def work(a, b):
        tot, cnt, tmp = (np.empty(b - a, dtype=np.int32) for _ in range(3))
        for s_, t in enumerate(terms):
            tot[:] = 0
            cnt[:] = 0
            for j, rev, lohi in t:
                v, o = ic.values[a:b, j], ic.answered[a:b, j]
                if rev:  # an answered reverse item adds min + max - x (x is 0 where unanswered)
                    np.multiply(o, lohi, out=tmp)
                    tot += tmp
                    tot -= v
                else:
                    tot += v
                cnt += o
            totals[a:b, s_] = tot
            counts[a:b, s_] = cnt

    run_blocks(work, blocks(n))
    return totals, counts


def _totals_float(codes: pd.DataFrame, spec):
    """Per-scale totals and answered counts from a float item matrix (any codes)."""
    X, order = item_matrix(codes, spec)
    n = X.shape[0]
    pos = {item: j for j, item in enumerate(order)}
    # one pass over row chunks; in each, every scale's total and count accumulate item column by
    # item column (contiguous in the item matrix; no BLAS needed). Reverse keying: an answered
    # reverse item adds min + max - x.
    n_s = len(spec.scales)
    terms = [(pos[item], s_, spec.items[item]) for s_, sc in enumerate(spec.scales) for item in sc.items]
    totals = np.empty((n, n_s), order="F")  # one contiguous column per scale
    counts = np.empty((n, n_s), dtype=np.int32, order="F")
    for a, b, c0, ok, exact in masked_chunks(X, values=known_codes(codes)):
        dt = c0.dtype if exact else np.float64  # integer codes: sums exact in single precision
        c0 = c0.astype(dt, copy=False)
        okf = ok.astype(dt)
        tot = np.zeros((b - a, n_s), dtype=dt, order="F")
        cnt = np.zeros((b - a, n_s), dtype=dt, order="F")
        for j, s_, rule in terms:
            if rule.reverse:
                tot[:, s_] += okf[:, j] * (rule.min + rule.max)
                tot[:, s_] -= c0[:, j]
            else:
                tot[:, s_] += c0[:, j]
            cnt[:, s_] += okf[:, j]
        totals[a:b] = tot
        counts[a:b] = cnt
    return totals, counts


def _rule(total: np.ndarray, n_ans: np.ndarray, k: int, min_answered: float):
    """Mean of answered items when answered/k >= min_answered (else NaN), and the mask."""
    ok = (n_ans > 0) & (n_ans >= min_answered * k - 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, total / n_ans, np.nan), ok


#: rows processed at a time by the vectorised row-wise computations (bounds temporary memory)
CHUNK_ROWS = BLOCK_ROWS


#: integers whose products, summed over a chunk, stay below this are exact in single precision
_EXACT_F32 = 2.0 ** 24


def known_codes(codes):
    """The values the validated item matrix can hold (set by :func:`~qimscale.scoring.validation.validate`), or None."""
    if isinstance(codes, ItemCodes):
        return codes.codes
    return codes.attrs.get("qimscale_codes")


def code_bounds(values):
    """``(largest |value|, all integers)`` of the values an item matrix can hold, or None when unknown."""
    if values is None:
        return None
    vals = np.asarray(list(values), dtype=np.float64)
    return float(np.abs(vals).max(initial=0.0)), bool(np.all(vals == np.rint(vals)))


def masked_chunk(X: np.ndarray, a: int, b: int, known=None):
    """Rows ``a:b`` of the item matrix as ``(c0, ok, exact)``; see :func:`masked_chunks`."""
    k = X.shape[1]
    ok = ~np.isnan(X[a:b])
    c0 = np.where(ok, X[a:b], X.dtype.type(0))
    if known is None:
        big = float(np.abs(c0).max(initial=0.0))
        integer = bool(np.array_equal(c0, np.rint(c0)))
    else:
        big, integer = known
    exact = integer and big * big * max(b - a, k) < _EXACT_F32
    if not exact and c0.dtype != np.float64:
        c0 = c0.astype(np.float64)
    return c0, ok, exact


def masked_chunks(X: np.ndarray, size: int = CHUNK_ROWS, values=None):
    """Yield ``(start, stop, c0, ok, exact)`` for row chunks of the item matrix ``X``.

    ``c0`` is a copy of the chunk with missing answers set to 0 (same dtype
    and memory order as ``X``), ``ok`` the answered mask, and ``exact`` True
    when the chunk holds integers small enough that sums of products over its
    rows are exact in single precision (response codes). ``values``, when
    given, lists every value ``X`` can hold (validated codes), which spares
    checking each chunk. Bounded temporaries, no per-row loop.
    """
    known = code_bounds(values)
    for a in range(0, X.shape[0], size):
        b = min(a + size, X.shape[0])
        yield (a, b, *masked_chunk(X, a, b, known))


def item_matrix(codes: pd.DataFrame, spec) -> tuple[np.ndarray, list]:
    """The ``n x k`` float matrix of the spec's items (no copy when ``codes`` already is one block).

    Single-precision codes (as :func:`~qimscale.scoring.validation.validate`
    returns them) stay single precision. Items missing from ``codes`` are
    all-missing columns.
    """
    order = list(spec.items)
    if list(codes.columns) == order:
        X = codes.to_numpy()
        return (X if X.dtype in (np.float32, np.float64) else codes.to_numpy(dtype=float)), order
    n = codes.shape[0]
    X = np.empty((n, len(order)), order="F")
    for j, item in enumerate(order):
        X[:, j] = codes[item].to_numpy(dtype=float) if item in codes else np.nan
    return X, order


def _apply_norms(scores: pd.DataFrame, norms: pd.DataFrame):
    from scipy.special import ndtr

    need = {"scale", "mean", "sd"}
    if not need <= set(norms.columns):
        raise DataError(f"norms file: needs the columns scale, mean, sd; got {', '.join(map(str, norms.columns))}")
    applied = {}
    for r in norms.itertuples(index=False):
        name = str(r.scale)
        if name not in scores:
            raise DataError(f"norms file: {name!r} is not a scale or domain score; scores are "
                            f"{', '.join(c for c in scores.columns if not c.endswith('_sum'))}")
        if name in applied:
            raise DataError(f"norms file: scale {name!r} is listed twice; keep one row per scale")
        try:
            mu, sd = float(r.mean), float(r.sd)
        except (TypeError, ValueError):
            raise DataError(f"norms file: scale {name!r}: mean and sd must be numbers; got {show_value(r.mean)}, "
                            f"{show_value(r.sd)}") from None
        if not (np.isfinite(mu) and np.isfinite(sd) and sd > 0):
            raise DataError(f"norms file: scale {name!r}: mean must be a number and sd positive; got {mu}, {sd}")
        z = (scores[name].to_numpy() - mu) / sd
        scores[f"{name}_t"] = 50 + 10 * z
        scores[f"{name}_pct"] = 100 * ndtr(z)
        applied[name] = {"mean": mu, "sd": sd}
    return scores, {"rule": "T = 50 + 10 (x - mean) / sd; percentile = 100 Phi(z)", "scales": applied}


def read_norms(path) -> pd.DataFrame:
    """Read a norms CSV (columns ``scale, mean, sd``)."""
    from pathlib import Path

    if not Path(path).is_file():
        raise DataError(f"{path}: no such norms file")
    try:
        return pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"{path}: cannot read the norms CSV ({exc})") from None
