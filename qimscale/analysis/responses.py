"""Item responses in, a checked float matrix out: the first step of every scale statistic.

:func:`item_matrix` applies the house's item validator
(:func:`qimscale._core.checks.numeric_matrix`) and then the rules a scale
statistic needs: constant or empty items left out with a warning (as
``psych::alpha``), reverse keying, rows that answer nothing excluded, listwise
deletion on request, at least 3 respondents and ``min_items`` items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale._core.checks import check_option, numeric_matrix, spreadsheet_row
from qimscale.errors import DataError

__all__ = ["ItemMatrix", "item_matrix"]

_MISSING = ("pairwise", "listwise")


@dataclass
class ItemMatrix:
    """Validated item scores.

    Attributes
    ----------
    x : ndarray of shape (n, k)
        Scores as floats; ``NaN`` marks a missing answer.
    items : list of str
        Column names, in order.
    rows : ndarray of int
        Positions (0-based) of the kept rows in the input.
    warnings : list of str
        What was dropped and why.
    """

    x: np.ndarray
    items: list[str]
    rows: np.ndarray
    warnings: list[str] = field(default_factory=list)


def item_matrix(data, items: Sequence[str] | None = None, *, min_items: int = 2,
                drop_constant: bool = True, missing: str = "pairwise",
                keys: Sequence[str] | None = None, key_range: tuple[float, float] | None = None,
                context: str = "scale") -> ItemMatrix:
    """Check item scores and return them as a float matrix.

    Parameters
    ----------
    data : pandas.DataFrame or array-like of shape (n, k)
        One row per respondent, one column per item.
    items : sequence of str, optional
        Columns of ``data`` to use (default: all).
    min_items : int, default 2
        Fewest usable items; fewer raise :class:`~qimscale.errors.DataError`.
    drop_constant : bool, default True
        Leave out (with a warning) items with a single observed value or no
        answers, as ``psych::alpha`` does; with ``False`` they raise.
    missing : {"pairwise", "listwise"}
        ``"listwise"`` keeps only rows that answer every item.
    keys : sequence of str, optional
        Items to reverse-key as ``min + max - x``.
    key_range : (min, max), optional
        Response range, used to reverse-key ``keys``; when given, every value
        must lie inside it. Default: the smallest and largest value observed
        over all the (kept) items, psych's convention.
    context : str
        Name used in messages (e.g. ``"scale 'lead'"``).

    Returns
    -------
    ItemMatrix
        ``x`` (n × k floats with NaN, reverse-keyed), ``items``, kept
        ``rows`` and ``warnings``.

    Raises
    ------
    DataError
        A column that is not numeric (naming the first offending row and
        value), a column not found, fewer than ``min_items`` usable items, or
        no rows left, a reverse-keyed item that is not among the items, an
        infinite value, or a value outside ``key_range``.

    Examples
    --------
    >>> import pandas as pd
    >>> m = item_matrix(pd.DataFrame({"a": [1, 2, None], "b": [2, 2, 3], "c": [None, None, None]}))
    >>> m.items, m.x.shape
    (['a', 'b'], (3, 2))
    """
    if missing not in _MISSING:
        check_option("missing", missing, _MISSING, "reliability", error=DataError)
    if not isinstance(data, pd.DataFrame):
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise DataError(f"{context}: item data must be a 2-D table (respondents × items); got shape {arr.shape}")
        data = pd.DataFrame(arr, columns=[f"V{j + 1}" for j in range(arr.shape[1])])
    if items is None:
        items = list(data.columns)
    items = list(items)
    x = numeric_matrix(data, items, context=context, value_range=key_range)
    msgs: list[str] = []
    rows = np.arange(x.shape[0])
    n_answering = int(np.sum(~np.all(np.isnan(x), axis=1)))
    if x.shape[1] and n_answering < 3:   # before the per-item checks, which would call every item constant
        raise DataError(f"{context}: only {n_answering} usable row(s); at least 3 respondents are needed")

    keep = np.ones(x.shape[1], dtype=bool)
    for j, it in enumerate(items):
        obs = x[:, j][~np.isnan(x[:, j])]
        if obs.size == 0:
            why = "has no answers"
        elif np.all(obs == obs[0]):
            why = f"has a single observed value ({obs[0]:g}) in all {obs.size} answers, so it carries no information"
        else:
            continue
        if not drop_constant:
            raise DataError(f"{context}: item '{it}' {why}; remove it from the item list")
        keep[j] = False
        msgs.append(f"{context}: item '{it}' {why}; it was left out (as psych::alpha does). "
                    "Remove it from the scale definition to silence this warning.")
    unknown = [kk for kk in (keys or []) if kk not in items]
    if unknown:
        raise DataError(f"{context}: reverse-keyed item(s) {', '.join(map(str, unknown))} are not among the items")
    x = x[:, keep]
    items = [str(it) for it, kp in zip(items, keep) if kp]
    flip = [items.index(str(kk)) for kk in (keys or []) if str(kk) in items]
    if flip:
        lo, hi = key_range if key_range is not None else (np.nanmin(x), np.nanmax(x))
        x[:, flip] = lo + hi - x[:, flip]

    if x.shape[1] < min_items:
        raise DataError(
            f"{context}: {x.shape[1]} usable item(s) ({', '.join(items) or 'none'}); at least {min_items} "
            "are needed. Add items with --items/--scale."
        )
    empty = np.all(np.isnan(x), axis=1)
    if empty.any():
        where = np.flatnonzero(empty)
        shown = ", ".join(str(spreadsheet_row(i)) for i in where[:10]) + (" ..." if where.size > 10 else "")
        msgs.append(f"{context}: {where.size} row(s) answer none of the items (rows {shown}); they "
                    "were excluded, so n counts only respondents with at least one answer. Remove these "
                    "rows from the file to silence this warning.")
        x, rows = x[~empty], rows[~empty]
    if missing == "listwise":
        complete = ~np.any(np.isnan(x), axis=1)
        if not complete.all():
            msgs.append(f"{context}: missing='listwise' dropped {int((~complete).sum())} incomplete row(s).")
        x, rows = x[complete], rows[complete]
    if x.shape[0] < 3:
        raise DataError(f"{context}: only {x.shape[0]} usable row(s); at least 3 respondents are needed")
    return ItemMatrix(x, items, rows, msgs)
