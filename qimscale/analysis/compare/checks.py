"""Input checks of :func:`~qimscale.analysis.compare.compare_groups` (and ``teams``, ``hypotheses``):
presence and numbers through :mod:`qimscale._core.checks`, in its message format
(``row R, column 'C': value V <problem>. <fix>``; spreadsheet row = data position + 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qimscale._core.checks import check_columns, check_numeric_columns, show_value
from qimscale._core.formatting import cell_text
from qimscale.errors import DataError


def _check_column(data: pd.DataFrame, col: str, role: str) -> None:
    """``col`` is a column of ``data`` (given as the ``role`` column); see :func:`~qimscale._core.checks.check_columns`."""
    check_columns(data, [col], roles={col: f"the {role} column"})


def _check_numeric(data: pd.DataFrame, col: str, needs: str = "compare needs numeric outcomes",
                   fix: str = "leave the column out of --vars") -> None:
    """Raise a :class:`DataError` naming the spreadsheet row, column and value of the first
    answer in ``col`` that is not a number (``needs`` says who needs it, ``fix`` what to do)."""
    check_numeric_columns(data, [col], fix=f"{needs[0].upper()}{needs[1:]}: recode it (qimscale score does) "
                                           f"or {fix}.")


def _check_constant(col: str, y: np.ndarray) -> None:
    if y.size and np.ptp(y) == 0:
        raise DataError(f"column '{col}': every analysed value is {y[0]:g}, so there is nothing to compare; "
                        "leave it out of --vars (or check that the right column was scored)")


def _group_codes(data: pd.DataFrame, group: str):
    g = data[group].to_numpy(dtype=object)
    miss = pd.isna(g)
    present = set(g[~miss].tolist())
    if not present:
        raise DataError(f"group column '{group}' is empty; fill it in or choose another --group column")
    levels = sorted(present, key=lambda v: (str(type(v)), v))
    if len(levels) < 2:
        raise DataError(f"group column '{group}' has one level ({show_value(levels[0])}) in every row that has a "
                        "value; compare needs at least two groups: check the column or choose another --group")
    index = {v: i for i, v in enumerate(levels)}
    codes = np.fromiter((-1 if m else index[v] for v, m in zip(g.tolist(), miss.tolist())), dtype=np.int64,
                        count=g.size)
    return codes, [_label(v) for v in levels]


def _label(v) -> str:
    """A group label as text (a code read as 2.0 because the column has gaps is shown as 2)."""
    return cell_text(v)
