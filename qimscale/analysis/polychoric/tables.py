"""Contingency tables of every pair of items, and the two table rules: lavaan's 2 x 2 zero rule and
psych's pairwise thresholds (``global=FALSE``)."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri


def _pair_tables(codes: np.ndarray, iu: np.ndarray, ju: np.ndarray, k: int) -> np.ndarray:
    """Contingency tables of the pairs (iu, ju) from codes (n x p, -1 = missing), via bincount.

    Missing is mapped to an extra category ``k`` whose row and column are
    dropped afterwards, so one ``np.bincount`` per chunk of pairs counts the
    pairwise complete cases (no BLAS, so timing does not depend on threads).
    """
    n = codes.shape[0]
    m = len(iu)
    k1 = k + 1
    ct = np.where(codes >= 0, codes, k).T.astype(np.int64, order="C")  # (p, n), rows contiguous
    out = np.empty((m, k, k))
    chunk = max(1, 4_000_000 // max(n, 1))
    for start in range(0, m, chunk):
        ii, jj = iu[start:start + chunk], ju[start:start + chunk]
        cell = ct[ii] * k1 + ct[jj] + (np.arange(len(ii)) * (k1 * k1))[:, None]
        counts = np.bincount(cell.ravel(), minlength=len(ii) * k1 * k1).reshape(len(ii), k1, k1)
        out[start:start + len(ii)] = counts[:, :k, :k]
    return out


def _zero_add_2x2(tables: np.ndarray, binary: np.ndarray, add: float) -> np.ndarray:
    """lavaan's rule for a 2 x 2 table with one empty cell: shift ``add`` along the diagonals."""
    w = tables.copy()
    t = w[:, :2, :2]
    one_zero = binary & ((t == 0).sum(axis=(1, 2)) == 1)
    diag_zero = one_zero & ((t[:, 0, 0] == 0) | (t[:, 1, 1] == 0))
    sign = np.where(diag_zero, 1.0, -1.0)[:, None, None] * np.array([[1.0, -1.0], [-1.0, 1.0]])
    w[:, :2, :2] = np.where(one_zero[:, None, None], t + add * sign, t)
    return w


def _pairwise_setup(tables: np.ndarray, npair: np.ndarray, correct: float):
    """psych's global=FALSE path for every pair: trim, correct, pairwise thresholds."""
    m, kx, ky = tables.shape
    rowsum = tables.sum(axis=2)
    colsum = tables.sum(axis=1)
    live_r = rowsum > 0
    live_c = colsum > 0
    live = live_r[:, :, None] & live_c[:, None, :]
    w = tables.copy()
    fixed = np.zeros(m, dtype=bool)
    if correct > 0:
        zero = live & (w == 0)
        fixed = zero.any(axis=(1, 2))
        w[zero] = correct
    fit = (live_r.sum(axis=1) >= 2) & (live_c.sum(axis=1) >= 2) & (npair > 0)
    tot = np.where(npair > 0, npair, 1.0)[:, None]

    def bounds(margin: np.ndarray, live_m: np.ndarray) -> np.ndarray:
        k = margin.shape[1]
        cum = np.cumsum(margin, axis=1)[:, :-1] / tot
        with np.errstate(invalid="ignore", divide="ignore"):
            t = ndtri(cum)
        # boundary u sits between categories u-1 and u: +inf when no live category lies above
        above = np.flip(np.cumsum(np.flip(live_m, axis=1), axis=1), axis=1)[:, 1:] > 0
        below = np.cumsum(live_m, axis=1)[:, :-1] > 0
        t = np.where(~above, np.inf, np.where(~below, -np.inf, t))
        out = np.empty((margin.shape[0], k + 1))
        out[:, 0], out[:, -1], out[:, 1:-1] = -np.inf, np.inf, t
        return out

    bx = bounds(w.sum(axis=2), live_r)
    by = bounds(w.sum(axis=1), live_c)
    bad = np.isnan(bx).any(axis=1) | np.isnan(by).any(axis=1)
    fit &= ~bad
    return w, bx, by, fit, int(fixed.sum())
