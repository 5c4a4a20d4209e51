"""Validated item codes as 8-bit integers with an answered mask: :class:`ItemCodes`.

Likert codes are small integers, so the validated item matrix is kept as one
byte per cell (``values``, 0 where not answered) plus a boolean ``answered``
mask, both column-major. Scores and data-quality indices are computed from
it column by column over blocks of rows, in integer arithmetic where the
result is an integer (totals, counts, sums of squares): exact, with an eighth
of the memory traffic of a double-precision matrix. The results are the same
numbers the floating-point path gives (see ``tests/scoring/test_scoring_itemcodes.py``).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: rows per block in the column-by-column kernels (a block of one column stays in cache)
BLOCK_ROWS = 65536


def small_codes(values) -> bool:
    """True when every value is an integer that fits in 8 bits (the codes :class:`ItemCodes` can hold).

    >>> small_codes([1, 2, 3, 4, 5]), small_codes([0.5, 1]), small_codes([]), small_codes([1, 200])
    (True, False, False, False)
    """
    vals = [float(v) for v in values]
    return bool(vals) and all(v.is_integer() and -128 <= v <= 127 for v in vals)


@dataclass
class ItemCodes:
    """The validated item matrix: 8-bit codes and the answered mask.

    Attributes
    ----------
    values : numpy.ndarray
        ``int8``, ``n x k``, column-major; the code where answered, 0 elsewhere.
    answered : numpy.ndarray
        ``bool``, ``n x k``, column-major.
    items : list of str
        Item ids, one per column.
    index : pandas.Index
        The respondents' index.
    codes : list of float
        Every code a cell may hold (the scored codes of the items).
    """

    values: np.ndarray
    answered: np.ndarray
    items: list
    index: pd.Index
    codes: list

    @classmethod
    def empty(cls, n: int, items: list, index, codes) -> ItemCodes:
        """All cells unanswered, to be filled column by column."""
        k = len(items)
        return cls(np.zeros((n, k), dtype=np.int8, order="F"), np.zeros((n, k), dtype=bool, order="F"),
                   list(items), index, sorted({float(c) for c in codes}))

    @classmethod
    def from_frame(cls, codes: pd.DataFrame, items: list, allowed=None) -> ItemCodes | None:
        """The frame's columns ``items`` (absent ones unanswered), or None when some value is not a small integer.

        ``allowed`` lists the codes the frame may hold (known from validation):
        every code a cell *may* hold then sets the exactness bounds downstream.
        The values themselves are always checked.
        """
        n = codes.shape[0]
        if allowed is not None and not small_codes(allowed):
            return None
        out = cls.empty(n, items, codes.index, [])
        seen: set = set()
        for j, item in enumerate(items):
            if item not in codes:
                continue
            x = codes[item].to_numpy(dtype=np.float64, na_value=np.nan)
            ok = ~np.isnan(x)
            v = x[ok]
            if v.size and not (np.all(v == np.rint(v)) and v.min() >= -128 and v.max() <= 127):
                return None
            seen.update(np.unique(v).tolist())
            out.answered[:, j] = ok
            out.values[ok, j] = v.astype(np.int8)
        out.codes = sorted(seen | {float(c) for c in (allowed or [])})
        return out

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    def column(self, j: int) -> np.ndarray:
        """Column ``j`` as float codes (NaN where not answered)."""
        x = self.values[:, j].astype(np.float64)
        x[~self.answered[:, j]] = np.nan
        return x

    def nullable(self, j: int):
        """Column ``j`` as a pandas nullable ``Int8`` array (shares the codes' memory)."""
        return pd.arrays.IntegerArray(self.values[:, j], ~self.answered[:, j])

    def to_frame(self, dtype=np.float32) -> pd.DataFrame:
        """The float item matrix (NaN where not answered), columns named by item."""
        X = self.values.astype(dtype, order="F")
        X[~self.answered] = np.nan
        return pd.DataFrame(X, columns=list(self.items), index=self.index, copy=False)

    def select(self, cols: list) -> ItemCodes:
        """The item codes of columns ``cols`` (positions), copied."""
        return ItemCodes(np.asfortranarray(self.values[:, cols]), np.asfortranarray(self.answered[:, cols]),
                         [self.items[j] for j in cols], self.index, self.codes)

    def largest(self) -> float:
        """The largest absolute code a cell can hold (0 for none)."""
        return float(max((abs(c) for c in self.codes), default=0.0))


def blocks(n: int, size: int = BLOCK_ROWS) -> list[tuple[int, int]]:
    """``(start, stop)`` of the row blocks."""
    return [(a, min(a + size, n)) for a in range(0, n, size)] or [(0, 0)]


def run_blocks(fn, spans) -> list:
    """``fn(a, b)`` for every block, on up to two threads (numpy releases the GIL); results in block order.

    Each ``fn`` must write only its own rows of any shared output; callers keep
    BLAS single-threaded meanwhile (see :func:`~qimscale.scoring.quality.quality_flags`).
    """
    spans = list(spans)
    workers = min(2, os.cpu_count() or 1, len(spans))
    if workers < 2:
        return [fn(a, b) for a, b in spans]
    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(lambda s: fn(*s), spans))
