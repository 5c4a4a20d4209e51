"""Column checks of ``relate`` beyond the shared item checks, in the house format.

Presence, numbers and finiteness are :mod:`qimscale._core.checks`'s (``check_columns``,
``check_numeric_columns``, ``check_finite``); what is left here is particular to a regression:
a predictor is a number or a category, an outcome or predictor varies, a category has two
levels, predictors are not collinear. A cell error reads
``<file>: row <r>, column '<col>': value <v> <problem>. <fix>`` (:func:`~qimscale._core.checks.cell_error`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qimscale._core.checks import cell_error, show_value
from qimscale.errors import DataError

#: an object column with more distinct text values than this (and than half its rows) is not a category
MAX_LEVELS = 50


def numeric_fix(role: str) -> str:
    """The end of a "not a number" error for a column given as ``role``.

    >>> numeric_fix("outcome"), numeric_fix("the mediator (--mediator)")[:30]
    ('The outcome must be numeric: recode it to a number or an empty cell.', 'The mediator (--mediator) must')
    """
    role = role if role.startswith(("the ", "a ", "an ")) else f"the {role}"
    return f"{role[0].upper()}{role[1:]} must be numeric: recode it to a number or an empty cell."


def _first_text(s: pd.Series) -> int:
    filled = s.notna().to_numpy()
    bad = filled & pd.to_numeric(s, errors="coerce").isna().to_numpy()
    return int((bad if bad.any() else filled).argmax())


def check_predictor(df: pd.DataFrame, col: str, source: str, categorical: bool) -> bool:
    """A predictor is numeric or a category; returns whether it is treated as a category.

    Text columns are categories unless they mix numbers with text (a number column
    with a stray ``n/a``) or have so many distinct values that they look like
    free text or identifiers; those are errors unless declared with ``categorical``.
    """
    s = df[col]
    if categorical or isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(s):
        return True
    if pd.api.types.is_numeric_dtype(s):
        return False
    filled = s.dropna()
    values = pd.Series(filled.unique(), dtype=object)      # check each distinct value once
    n_num = int(pd.to_numeric(values, errors="coerce").notna().sum())
    if 0 < n_num < len(values):
        pos = _first_text(s)
        raise cell_error("is text in a column of numbers", row=pos, column=col, value=s.iloc[pos], source=source,
                         fix=f"Recode it to a number or an empty cell (or, if '{col}' is a category, declare it "
                             f"with --categorical {col}).")
    levels = len(values)
    if levels > MAX_LEVELS and levels > len(filled) / 2:
        pos = _first_text(s)
        raise cell_error(f"is one of {levels} distinct text values in {len(filled)} rows, which looks like free "
                         "text or an identifier, not a category", row=pos, column=col, value=s.iloc[pos],
                         source=source, fix=f"Leave '{col}' out, recode it to numbers, or declare it with "
                                            f"--categorical {col}.")
    return True


def check_not_constant(y: np.ndarray, col: str, source: str, role: str) -> None:
    """A constant outcome (or predictor) leaves nothing to explain (or estimate)."""
    if y.size and np.all(y == y[0]):
        what = ("there is nothing to explain: choose another outcome" if role == "outcome" else
                f"its effect cannot be estimated: leave '{col}' out")
        raise DataError(f"{source}: column '{col}' ({role}) is constant: all {y.size} analysed rows hold "
                        f"{y[0]:g}; {what}")


def check_levels(s: pd.Series, col: str, source: str) -> None:
    """A category needs at least two levels among the analysed rows."""
    levels = s.dropna().unique()
    if len(levels) < 2:
        raise DataError(f"{source}: column '{col}' (a category) has only "
                        + (f"the level {show_value(levels[0])}" if len(levels) else "missing values")
                        + " among the analysed rows; a single level has no contrast: leave it out")


def check_collinear(x: np.ndarray, names: list[str], source: str) -> None:
    """Design columns must be linearly independent (decided by an explicit eigenvalue tolerance).

    Columns are added one at a time; the first whose addition leaves the rank
    unchanged is reported together with the earlier columns it depends on.
    """
    from qimscale._core import linalg

    norms = np.sqrt(np.sum(x * x, axis=0))
    norms[norms == 0] = 1.0
    z = x / norms
    g = z.T @ z
    if not linalg.is_singular(g):
        return
    for j in range(1, len(names) + 1):
        if linalg.rank(g[:j, :j]) < j:
            coef, *_ = np.linalg.lstsq(z[:, : j - 1], z[:, j - 1], rcond=None)
            with_ = [names[i] for i in np.flatnonzero(np.abs(coef) > 1e-8)]
            deps = ", ".join(f"'{w}'" for w in with_) or "the others"
            raise DataError(f"{source}: the predictors are collinear: '{names[j - 1]}' is a linear combination of "
                            f"{deps} among the analysed rows, so their separate effects cannot be estimated; "
                            "leave one of them out (or combine them into one score)")
