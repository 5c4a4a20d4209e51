"""Column checks for ``relate``: each raises one :class:`~qimscale.errors.DataError` in the house format.

Message format (the one the coming item validator in ``qimscale/_core/checks.py``
uses, so these small functions can be swapped for it): ``<file>, row <r>, column
'<col>': value <v> <what is wrong>; <what to do>``. Rows are spreadsheet rows
(header = row 1, first data row = row 2); long values are cut to 80 characters
with their length stated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qimscale.errors import DataError

#: an object column with more distinct text values than this (and than half its rows) is not a category
MAX_LEVELS = 50


def cell(value) -> str:
    """A cell value as it appears in a message (cut to 80 characters, length stated).

    >>> cell("n/a")
    "'n/a'"
    >>> cell("x" * 100)[-22:]
    "... (100 characters)'"
    """
    text = str(value)
    if len(text) > 80:
        return repr(text[:80] + f"... ({len(text)} characters)")
    return repr(value) if isinstance(value, str) else text


def sheet_row(df: pd.DataFrame, pos: int) -> int:
    """Spreadsheet row of the ``pos``-th row of ``df``: its index label (0 = first data row) + 2."""
    return int(df.index[pos]) + 2 if df.index.dtype.kind in "iu" else pos + 2


def check_columns(df: pd.DataFrame, columns, source: str, role: dict[str, str]) -> None:
    """Every named column exists in ``df``."""
    missing = [c for c in dict.fromkeys(columns) if c not in df.columns]
    if missing:
        shown = ", ".join(map(repr, list(df.columns)[:20])) + (" ..." if len(df.columns) > 20 else "")
        c = missing[0]
        raise DataError(f"{source}: column '{c}' (given as {role.get(c, 'a variable')}) is not in the data; "
                        f"the columns are {shown}. Check the spelling (names are case-sensitive)")


def check_numeric(df: pd.DataFrame, col: str, source: str, role: str) -> None:
    """``col`` holds numbers (bool counts), else name the first text value."""
    s = df[col]
    if pd.api.types.is_numeric_dtype(s):
        return
    pos = _first_text(s)
    raise DataError(f"{source}, row {sheet_row(df, pos)}, column '{col}': value {cell(s.iloc[pos])} is not a "
                    f"number; the {role} must be numeric: recode it to a number or an empty cell")


def _first_text(s: pd.Series) -> int:
    filled = s.notna().to_numpy()
    bad = filled & pd.to_numeric(s, errors="coerce").isna().to_numpy()
    return int((bad if bad.any() else filled).argmax())


def check_finite(df: pd.DataFrame, col: str, source: str) -> None:
    """A numeric column holds no infinity (a division by zero upstream)."""
    x = df[col].to_numpy(dtype=float)
    bad = ~np.isfinite(x)
    if bad.any():
        pos = int(bad.argmax())
        raise DataError(f"{source}, row {sheet_row(df, pos)}, column '{col}': value {x[pos]} is not a finite "
                        "number; correct it or leave the cell empty")


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
        raise DataError(f"{source}, row {sheet_row(df, pos)}, column '{col}': value {cell(s.iloc[pos])} is text "
                        f"in a column of numbers; recode it to a number or an empty cell (or, if '{col}' is a "
                        f"category, declare it with --categorical {col})")
    levels = len(values)
    if levels > MAX_LEVELS and levels > len(filled) / 2:
        pos = _first_text(s)
        raise DataError(f"{source}, row {sheet_row(df, pos)}, column '{col}': value {cell(s.iloc[pos])} is one of "
                        f"{levels} distinct text values in {len(filled)} rows, which looks like free text or an "
                        f"identifier, not a category; leave '{col}' out, recode it to numbers, or declare it "
                        f"with --categorical {col}")
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
                        + (f"the level {cell(levels[0])}" if len(levels) else "missing values")
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
