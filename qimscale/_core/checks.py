"""One item validator and one option checker for every analysis and command.

Every check that looks at item responses -- reliability, correlations, EFA,
polychoric correlations, ICC, the CLI's item options and the coming
``compare``/``relate``/``validate`` -- applies the same rules through
:func:`numeric_matrix` (or its pieces :func:`check_columns`,
:func:`check_numeric_columns`, :func:`check_range`), and every failure reads the
same way::

    [source: ][context: ]row R, column 'C': value V <problem>. <fix>

``row`` is the spreadsheet row: the header is row 1, the first data row is
row 2 (the position in the table plus 2, whatever the DataFrame's index).
``value`` is shown by :func:`~qimscale._core.formatting.show_value` (text quoted,
numbers bare: ``'Agree'``, ``2.5``, ``inf``), cut to 80 characters with its length stated. ``source`` is the file name when the
caller knows it; the CLI's ``Reporter`` adds it otherwise.

The rules
---------
* Columns must exist and be named once.
* A column is numeric when its dtype is numeric (integers, floats, pandas'
  nullable types, booleans as 0/1), or when an object column holds only Python
  numbers. Text is never converted, not even a number stored as text ("3"): the
  first cell that is not a number is named (or the first text cell, "a number
  stored as text"). Categoricals are refused (polychoric
  correlations alone read an *ordered* categorical as its codes 1..K, with
  ``ordered_categorical=True``). An empty column (all missing) is numeric.
* Infinite values are errors (a missing answer is an empty cell).
* Optionally (``integer=True``): values are whole numbers (ordinal codes).
* Optionally (``value_range=(lo, hi)``): values lie in the response range;
  up to five offending cells are listed.

Options (``check_option``) follow scikit-learn's template:
``The 'rotation' parameter of efa must be one of {'oblimin', 'varimax'}. Got 'varmax' instead.``
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from qimscale._core.formatting import MAX_SHOWN, show_value
from qimscale.errors import DataError, ModelError, QimscaleError

__all__ = ["MAX_SHOWN", "show_value", "spreadsheet_row", "cell_error", "check_columns",
           "check_numeric_columns", "check_finite", "check_range", "numeric_matrix", "check_option"]

NOT_NUMBER_FIX = ("Recode the answers to numbers (for example with 'qimscale score') or leave this column "
                  "out of the item list.")
INFINITE_FIX = "Use an empty cell for a missing answer."
INTEGER_FIX = "Ordinal items must be coded as whole numbers (category codes such as 1-5)."
RANGE_FIX = "Recode missing-value codes to empty cells (qimscale score does this) or correct --min/--max."


def spreadsheet_row(position: int) -> int:
    """The spreadsheet row of the data row at 0-based ``position`` (header = row 1).

    >>> spreadsheet_row(0)
    2
    """
    return int(position) + 2


def _lead(source: str | None, context: str | None) -> str:
    return "".join(f"{part}: " for part in (source, context) if part)


def cell_error(problem: str, *, row: int, column: Any, value: Any, fix: str, source: str | None = None,
               context: str | None = None, error: type[QimscaleError] = DataError) -> QimscaleError:
    """The error for one cell (``row`` is the 0-based position; the message shows the spreadsheet row).

    >>> str(cell_error("is not a number", row=1, column="i2", value="Agree", fix="Recode it.",
    ...                source="data.csv"))
    "data.csv: row 3, column 'i2': value 'Agree' is not a number. Recode it."
    """
    return error(f"{_lead(source, context)}row {spreadsheet_row(row)}, column '{column}': value "
                 f"{show_value(value)} {problem}. {fix}")


def check_columns(df, columns: Sequence[Any] | None = None, *, source: str | None = None,
                  context: str | None = None, roles: Mapping[Any, str] | None = None) -> list:
    """The column list, checked: each named once and present in ``df``.

    Parameters
    ----------
    df : pandas.DataFrame
    columns : sequence, optional
        Columns to check (default: all of ``df``'s).
    source, context : str, optional
        File name and what is being checked, for the message.
    roles : mapping, optional
        What each column was given as (``{"y": "the outcome (--outcome)"}``), named beside a
        column that is not found.

    Raises
    ------
    DataError
        A column listed twice or not found (the message lists the data's first 20 columns).

    Examples
    --------
    >>> import pandas as pd
    >>> check_columns(pd.DataFrame({"a": [1], "b": [2]}), ["a", "B"], source="d.csv", roles={"B": "the group"})
    Traceback (most recent call last):
    ...
    qimscale.errors.DataError: d.csv: column(s) 'B' (the group) not found in the data; its columns are 'a', 'b'. ...
    """
    given = columns is not None
    columns = list(df.columns) if columns is None else list(columns)
    twice = sorted({str(c) for c in columns if columns.count(c) > 1})
    if twice and given:
        raise DataError(f"{_lead(source, context)}item(s) {', '.join(map(repr, twice))} listed more than once; "
                        "list each item once")
    names = [str(c) for c in df.columns]
    dup = sorted({c for c in names if names.count(c) > 1} & {str(c) for c in columns})
    if dup:
        raise DataError(f"{_lead(source, context)}column name(s) {', '.join(map(repr, dup))} appear more than "
                        "once in the data; give every column its own name")
    absent = [c for c in columns if c not in df.columns]
    if absent:
        roles = roles or {}
        shown = ", ".join(f"{c!r} ({roles[c]})" if c in roles else repr(c) for c in absent)
        have = ", ".join(map(repr, list(df.columns)[:20])) + (" ..." if len(df.columns) > 20 else "")
        raise DataError(f"{_lead(source, context)}column(s) {shown} not found in the data; its columns are "
                        f"{have}. Check the spelling (names are case-sensitive).")
    return columns


def _is_categorical(col) -> bool:
    import pandas as pd

    return isinstance(col.dtype, pd.CategoricalDtype)


def _is_numeric(col) -> bool:
    import pandas as pd

    return (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)) and not _is_categorical(col)


def _number_cells(col) -> np.ndarray:
    """Which cells of an object column hold a real number (not text, not a bool); missing cells count as numbers."""
    return np.array([v is None or (isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)))
                     or (isinstance(v, float) and v != v) for v in col.to_numpy(dtype=object)], dtype=bool)


def _parses(v):
    try:
        return float(v) if isinstance(v, str) else (None if isinstance(v, (bool, np.bool_)) else float(v))
    except (TypeError, ValueError):
        return None


def _not_numeric_error(col, name, source, context, ordered_categorical, fix=NOT_NUMBER_FIX):
    import pandas as pd

    filled = col.notna().to_numpy()
    if _is_categorical(col):
        pos = int(filled.argmax()) if filled.any() else 0
        kind = "an ordered categorical" if col.cat.ordered else "an unordered categorical"
        fix = ("Make it ordered or recode it to integer codes." if ordered_categorical else
               "Recode it to numbers (for example with 'qimscale score')." if fix == NOT_NUMBER_FIX else fix)
        return cell_error(f"is in {kind} column", row=pos, column=name,
                          value=col.iloc[pos] if filled.any() else "", fix=fix, source=source, context=context)
    bad = filled & pd.to_numeric(col, errors="coerce").isna().to_numpy()
    if not bad.any():   # numbers stored as text: name the first text cell
        bad = filled & ~_number_cells(col)
    pos = int(bad.argmax())
    problem = "is not a number" if _parses(col.iloc[pos]) is None else "is a number stored as text"
    return cell_error(problem, row=pos, column=name, value=col.iloc[pos], fix=fix, source=source, context=context)


def check_numeric_columns(df, columns: Sequence[Any] | None = None, *, source: str | None = None,
                          context: str | None = None, ordered_categorical: bool = False,
                          fix: str = NOT_NUMBER_FIX) -> None:
    """Raise a :class:`~qimscale.errors.DataError` at the first cell of a listed column that is not a number.

    Parameters
    ----------
    df : pandas.DataFrame
    columns : sequence, optional
        Columns to check (default: all); they must exist (see :func:`check_columns`).
    source : str, optional
        File name for the message.
    context : str, optional
        What is being checked, e.g. ``"scale 'lead'"`` or ``"icc"``.
    ordered_categorical : bool, default False
        Accept ordered categoricals (polychoric correlations read them as codes 1..K).
    fix : str, optional
        What the user should do, ending the message (default: recode the answers or leave the
        column out of the item list); a command whose columns are not items says its own.

    Raises
    ------
    DataError
        ``[source: ][context: ]row R, column 'C': value V is not a number. <fix>``.

    Examples
    --------
    >>> import pandas as pd
    >>> check_numeric_columns(pd.DataFrame({"a": [1, 2], "b": ["3", "x"]}), source="d.csv")
    Traceback (most recent call last):
    ...
    qimscale.errors.DataError: d.csv: row 3, column 'b': value 'x' is not a number. Recode ...
    """
    for c in (df.columns if columns is None else columns):
        col = df[c]
        if _is_numeric(col) or (ordered_categorical and _is_categorical(col) and col.cat.ordered):
            continue
        if col.dtype == object and _number_cells(col[col.notna()]).all():
            continue  # Python numbers in an object column (no text): numbers
        if not col.notna().any() and not _is_categorical(col):
            continue  # an empty column: all missing, nothing to convert
        raise _not_numeric_error(col, c, source, context, ordered_categorical, fix)


def _column_floats(col) -> np.ndarray:
    if _is_categorical(col):  # ordered categorical: its declared order, coded 1..K
        codes = col.cat.codes.to_numpy().astype(float)
        codes[codes < 0] = np.nan
        return codes + 1.0
    if not _is_numeric(col):  # an object column of numbers, or an empty text column
        import pandas as pd

        return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return col.to_numpy(dtype=float, na_value=np.nan)


def check_finite(x, columns: Sequence[Any], *, rows=None, source: str | None = None,
                 context: str | None = None) -> None:
    """Raise a :class:`~qimscale.errors.DataError` at the first infinite value (row by row).

    Parameters
    ----------
    x : ndarray, shape (n, k)
        Numeric values, NaN for missing.
    columns : sequence
        Column names (the columns of ``x`` in order).
    rows : array of bool, shape (n,), optional
        Only these rows are checked (the rows an analysis keeps); row numbers stay those of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> check_finite(np.array([[1.0, np.inf]]), ["a", "b"], source="d.csv")
    Traceback (most recent call last):
    ...
    qimscale.errors.DataError: d.csv: row 2, column 'b': value inf is infinite. Use an empty cell for a missing answer.
    """
    inf = np.isinf(x)
    if rows is not None:
        inf &= np.asarray(rows, dtype=bool)[:, None]
    if inf.any():
        r, c = np.argwhere(inf)[0]
        raise cell_error("is infinite", row=r, column=columns[c], value=x[r, c], fix=INFINITE_FIX,
                         source=source, context=context)


def check_range(x, value_range: tuple[float, float], columns: Sequence[Any], *, source: str | None = None,
                context: str | None = None, show: int = 5) -> None:
    """Raise a :class:`~qimscale.errors.DataError` listing values outside ``value_range`` (inclusive).

    Parameters
    ----------
    x : ndarray, shape (n, k), or DataFrame
        Numeric values, NaN for missing (a DataFrame is read as floats).
    value_range : (lo, hi)
        Lowest and highest response code.
    columns : sequence
        Column names (the columns of ``x`` in order).
    show : int
        Offending cells listed in the message.

    Examples
    --------
    >>> import numpy as np
    >>> check_range(np.array([[1.0, 9.0], [2.0, 3.0]]), (1, 5), ["a", "b"], context="scale 's'")
    Traceback (most recent call last):
    ...
    qimscale.errors.DataError: scale 's': 1 value(s) lie outside the response range 1-5 (row 2, column 'b': 9). Recode ...
    """
    if hasattr(x, "to_numpy"):
        x = x.to_numpy(dtype=float, na_value=np.nan)
    lo, hi = value_range
    rows, cols = np.nonzero((x < lo) | (x > hi))
    if rows.size:
        shown = "; ".join(f"row {spreadsheet_row(r)}, column '{columns[c]}': {show_value(x[r, c])}"
                          for r, c in list(zip(rows, cols))[:show])
        raise DataError(f"{_lead(source, context)}{rows.size} value(s) lie outside the response range "
                        f"{lo:g}-{hi:g} ({shown}{' ...' if rows.size > show else ''}). {RANGE_FIX}")


def numeric_matrix(df, columns: Sequence[Any] | None = None, *, source: str | None = None,
                   context: str | None = None, integer: bool = False,
                   value_range: tuple[float, float] | None = None,
                   ordered_categorical: bool = False) -> np.ndarray:
    """Item responses as an ``(n, k)`` float matrix (NaN = missing), after the house's checks.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per respondent.
    columns : sequence, optional
        Item columns, in order (default: all columns).
    source : str, optional
        File name for messages.
    context : str, optional
        What is being checked (``"scale 'lead'"``, ``"icc"``, ``"polychoric"``).
    integer : bool, default False
        Require whole numbers (ordinal category codes).
    value_range : (lo, hi), optional
        Require every value to lie in the response range.
    ordered_categorical : bool, default False
        Read an ordered categorical as its codes ``1..K`` (polychoric).

    Returns
    -------
    ndarray of float, shape (n, k)

    Raises
    ------
    DataError
        A column listed twice or not found; a cell that is not a number; an
        infinite value; with ``integer``, a fractional value; with
        ``value_range``, values outside it. Each names row, column and value.

    Examples
    --------
    >>> import pandas as pd
    >>> numeric_matrix(pd.DataFrame({"a": [1, None], "b": [True, False]})).tolist()
    [[1.0, 1.0], [nan, 0.0]]
    >>> numeric_matrix(pd.DataFrame({"a": [1, float("inf")]}), context="scale 's'")
    Traceback (most recent call last):
    ...
    qimscale.errors.DataError: scale 's': row 3, column 'a': value inf is infinite. Use an empty cell ...
    """
    columns = check_columns(df, columns, source=source, context=context)
    check_numeric_columns(df, columns, source=source, context=context, ordered_categorical=ordered_categorical)
    x = (np.column_stack([_column_floats(df[c]) for c in columns]) if columns
         else np.empty((len(df), 0)))
    check_finite(x, columns, source=source, context=context)
    if integer:
        frac = ~np.isnan(x) & (x != np.round(x))
        if frac.any():
            r, c = np.argwhere(frac)[0]
            raise cell_error("is not a whole number", row=r, column=columns[c], value=x[r, c], fix=INTEGER_FIX,
                             source=source, context=context)
    if value_range is not None:
        check_range(x, value_range, columns, source=source, context=context)
    return x


def check_option(name: str, value: Any, choices, where: str, *,
                 error: type[QimscaleError] = ModelError) -> None:
    """Raise ``error`` unless ``value`` is one of ``choices`` (scikit-learn's message template).

    Parameters
    ----------
    name : str
        Parameter name (``"rotation"``).
    value
        The value given.
    choices : iterable
        Allowed values.
    where : str
        The function or class it belongs to (``"efa"``).
    error : QimscaleError subclass, default ModelError
        :class:`~qimscale.errors.DataError` where the option concerns the data.

    Examples
    --------
    >>> check_option("rotation", "varmax", ["oblimin", "varimax"], "efa")
    Traceback (most recent call last):
    ...
    qimscale.errors.ModelError: The 'rotation' parameter of efa must be one of {'oblimin', 'varimax'}. Got 'varmax' instead.
    """
    choices = list(choices)
    try:
        ok = value in choices and not (isinstance(value, bool) and not any(c is value for c in choices))
    except (TypeError, ValueError):  # an unhashable or incomparable value (an array)
        ok = False
    if not ok:
        raise error(f"The {name!r} parameter of {where} must be one of {{{', '.join(map(repr, choices))}}}. "
                    f"Got {value!r} instead.")
