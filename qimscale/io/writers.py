"""Atomic writers: csv, xlsx, sav (with variable and value labels), dta and parquet.

Every file is first written to a temporary file in the destination folder and
then moved into place with :func:`os.replace`, so a reader never sees a half
written file. :class:`AtomicOutputs` extends this to a set of files (scores,
problems table, scoring log): either all of them appear or none does.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from qimscale.errors import DataError

OUTPUT_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".sav": "sav", ".dta": "dta", ".parquet": "parquet"}


def output_format(path: str | Path) -> str:
    """The output format implied by ``path``'s suffix.

    >>> output_format("scores.parquet")
    'parquet'
    """
    suffix = Path(path).suffix.lower()
    try:
        return OUTPUT_FORMATS[suffix]
    except KeyError:
        raise DataError(f"{path}: cannot write {suffix or 'a file without a suffix'}; use one of "
                        f"{', '.join(OUTPUT_FORMATS)}") from None


def check_output_path(path, *, protect=()) -> Path:
    """Fail early (before any work) on an output path that cannot be written.

    ``protect`` lists input files that must not be overwritten.

    >>> check_output_path("scores.csv").name
    'scores.csv'
    """
    path = Path(path)
    output_format(path)
    _check_destination(path, _resolved(protect))
    return path


def _resolved(protect) -> list[Path]:
    """The protected input files as resolved paths (standard input, ``-``, is no file)."""
    return [Path(p).resolve() for p in protect if str(p) != "-"]


def _check_destination(path: Path, protect: list[Path]) -> None:
    """What every output path must be: not an input file, in a folder that exists, not itself a folder."""
    if path.resolve() in protect:
        raise DataError(f"{path}: refusing to overwrite the input file; choose another --out")
    if not path.parent.is_dir():
        raise DataError(f"{path}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; choose a file name for --out")


def _for_readstat(df):
    """pyreadstat wants plain object columns for text, floats for nullable integers, 0/1 for booleans.

    The frame is rebuilt once from its converted columns (assigning column by
    column into a 20,000-column frame costs seconds).
    """
    import pandas as pd

    cols = {}
    for j, col in enumerate(df.columns):
        s = df.iloc[:, j]
        if isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
            s = s.astype(object).where(s.notna(), None)
        elif pd.api.types.is_extension_array_dtype(s.dtype) and s.dtype.kind in "iub":
            s = s.astype("float64")
        elif s.dtype == bool:
            s = s.astype("int8")
        cols[col] = s
    return pd.DataFrame(cols, index=df.index, copy=False)


#: names SPSS and Stata reserve (compared case-insensitively); a column with one of them gets a ``_`` suffix
RESERVED_NAMES = {
    "sav": frozenset({"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}),
    "dta": frozenset({"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long",
                      "_n", "_pi", "_pred", "_rc", "_skip", "strl", "using", "with"}),
}


def safe_names(columns, fmt: str) -> dict:
    """Renames that make column names valid SPSS (64 bytes) or Stata (32 characters) names.

    Characters other than letters, digits and ``_`` become ``_``; a name not
    starting with a letter gets a ``v`` prefix; a reserved word (``BY``,
    ``in``, ...) gets a ``_`` suffix; clashes get ``_2``, ``_3``.

    >>> safe_names(["Duration (in seconds)", "l1", "1st", "by"], "sav")
    {'Duration (in seconds)': 'Duration__in_seconds_', '1st': 'v1st', 'by': 'by_'}
    """
    import re

    limit = 32 if fmt == "dta" else 64
    out, taken = {}, set()
    for col in columns:
        name = re.sub(r"[^A-Za-z0-9_]", "_", str(col))
        if not name or not name[0].isalpha():
            name = "v" + name
        if name.lower() in RESERVED_NAMES[fmt]:
            name += "_"
        name = name[:limit]
        base, k = name, 1
        while name.lower() in taken:
            k += 1
            name = f"{base[:limit - len(str(k)) - 1]}_{k}"
        taken.add(name.lower())
        if name != col:
            out[col] = name
    return out


#: a text cell a spreadsheet program would run as a formula (OWASP "CSV injection"): it starts with
#: = + - @, a tab or a carriage return (also after leading spaces, which Excel skips)
_FORMULA_START = re.compile(r"[ ]*[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]")
#: ... unless it is a plain number ("-3", "+1.5e3"), which stays a number
_PLAIN_NUMBER = re.compile(r"[ ]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[ ]*")


def neutralise_formula(text):
    """``text`` made inert for spreadsheet programs (OWASP CSV-injection guidance), or unchanged.

    A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return and is not a plain number gets a leading apostrophe, so
    Excel, LibreOffice and Google Sheets show it as text instead of running it.

    >>> neutralise_formula("=1+1"), neutralise_formula("-3"), neutralise_formula("@SUM(A1)")
    ("'=1+1", '-3', "'@SUM(A1)")
    """
    if isinstance(text, str) and _FORMULA_START.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def neutralise_formulas(df):
    """A copy of ``df`` (text columns and column names only) with :func:`neutralise_formula` applied.

    Numeric columns are shared, not copied; text columns are scanned with one
    vectorised match and rewritten only when a cell needs it.
    """
    import pandas as pd

    out = None
    text_columns = [j for j, dt in enumerate(df.dtypes) if dt == object or isinstance(dt, pd.StringDtype)
                    or isinstance(dt, pd.CategoricalDtype)]
    for j in text_columns:  # numbers, booleans and dates cannot hold a formula
        s = df.iloc[:, j]
        text = s.astype("string")
        risky = text.str.match(_FORMULA_START.pattern).fillna(False).to_numpy(dtype=bool)
        if not risky.any():
            continue
        risky &= ~text.str.fullmatch(_PLAIN_NUMBER.pattern).fillna(False).to_numpy(dtype=bool)
        if not risky.any():
            continue
        if out is None:
            out = df.copy(deep=False)
        fixed = s.astype(object).copy()
        fixed[risky] = ["'" + str(v) for v in fixed[risky]]
        out.isetitem(j, fixed)
    names = [neutralise_formula(str(c)) if isinstance(c, str) else c for c in df.columns]
    if names != list(df.columns):
        out = (df.copy(deep=False) if out is None else out)
        out.columns = names
    return df if out is None else out


def _without_timezones(df):
    """Timezone-aware date-time columns as ISO 8601 text with their UTC offset (``2024-05-01 09:30:00+02:00``).

    Excel, SPSS and Stata have no time zones; converting to local or UTC
    clock time would silently change what the cells say, so they are written
    as text that keeps the offset.
    """
    import pandas as pd

    out = None
    for j, col in enumerate(df.columns):
        s = df.iloc[:, j]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            text = s.map(lambda v: None if pd.isna(v) else v.isoformat(sep=" "))
        elif s.dtype == object and s.map(lambda v: getattr(v, "tzinfo", None) is not None).any():
            text = s.map(lambda v: v.isoformat(sep=" ") if getattr(v, "tzinfo", None) is not None else v)
        else:
            continue
        if out is None:
            out = df.copy(deep=False)
        out.isetitem(j, text.astype(object))
    return df if out is None else out


def _write(df, path: Path, fmt: str, column_labels: dict | None, value_labels: dict | None) -> None:
    if fmt == "csv":
        neutralise_formulas(df).to_csv(path, index=False)
    elif fmt == "xlsx":
        from qimscale.io.xlsx import write_xlsx

        write_xlsx(_without_timezones(df), path)  # inline strings: a text cell is never a formula
    elif fmt == "parquet":
        _write_parquet(df, path)
    elif fmt in ("sav", "dta"):
        import pyreadstat

        renames = safe_names(df.columns, fmt)
        column_labels = {**{old: old for old in renames}, **(column_labels or {})}
        cols = set(df.columns)
        labels = {renames.get(k, k): str(v)[:80 if fmt == "dta" else 256]
                  for k, v in column_labels.items() if k in cols}
        vlabels = {renames.get(k, k): {int(c) if float(c).is_integer() else c: str(lab) for c, lab in v.items()}
                   for k, v in (value_labels or {}).items() if k in cols}
        data = _for_readstat(_without_timezones(df)).rename(columns=renames)
        if fmt == "sav":
            pyreadstat.write_sav(data, str(path), column_labels=labels or None,
                                 variable_value_labels=vlabels or None)
        else:
            pyreadstat.write_dta(data, str(path), column_labels=labels or None,
                                 variable_value_labels=vlabels or None)
    else:  # pragma: no cover - guarded by output_format
        raise DataError(f"{path}: unknown output format {fmt!r}")


def _write_parquet(df, path: Path) -> None:
    """Parquet via Arrow: snappy pages, dictionary encoding only for text columns.

    Dictionary-encoding millions of numbers (scores, codes) costs more time than
    it saves space; text columns (ids, categories) keep it.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    text = [f.name for f in table.schema
            if pa.types.is_string(f.type) or pa.types.is_large_string(f.type) or pa.types.is_dictionary(f.type)]
    pq.write_table(table, path, compression="snappy", use_dictionary=text or False)


def _temp_beside(path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp" + path.suffix)
    os.close(fd)
    return Path(tmp)


class AtomicOutputs:
    """Write several files so that all appear together or none does.

    Use as a context manager: ``add_table``/``add_json``/``add_text`` write to
    temporary files beside their destinations; on a clean exit every temporary
    file is renamed into place, on an exception all are removed.

    Parameters
    ----------
    protect : iterable of path, optional
        Input files that must never be overwritten.
    """

    def __init__(self, protect=()):
        self._pending: list[tuple[Path, Path]] = []
        self._protect = _resolved(protect)

    def _claim(self, path) -> tuple[Path, Path]:
        path = Path(path)
        _check_destination(path, self._protect)
        try:
            tmp = _temp_beside(path)
        except OSError as exc:
            raise DataError(f"{path}: cannot write in {path.parent} ({exc.strerror or exc}); "
                            "choose a folder you can write to") from None
        self._pending.append((tmp, path))
        return tmp, path

    def add_table(self, df, path, *, column_labels=None, value_labels=None) -> Path:
        """Write ``df`` in the format of ``path``'s suffix."""
        fmt = output_format(path)
        tmp, path = self._claim(path)
        try:
            _write(df, tmp, fmt, column_labels, value_labels)
        except DataError as exc:  # name the output the user asked for, not its temporary file
            raise DataError(str(exc).replace(str(tmp), str(path))) from None
        except Exception as exc:  # noqa: BLE001 - writer libraries raise many types
            raise DataError(f"{path}: cannot write {fmt}: {type(exc).__name__}: {exc}") from None
        return path

    def add_json(self, obj, path) -> Path:
        """Write ``obj`` as JSON (NaN written as ``null``)."""
        from qimscale._core.jsonable import to_jsonable

        tmp, path = self._claim(path)
        try:
            tmp.write_text(json.dumps(to_jsonable(obj), indent=2, allow_nan=False, ensure_ascii=False) + "\n",
                           encoding="utf-8")
        except OSError as exc:
            raise DataError(f"{path}: cannot write json: {exc.strerror or exc}") from None
        return path

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        pending, self._pending = self._pending, []
        if exc_type is not None:
            for tmp, _ in pending:
                tmp.unlink(missing_ok=True)
            return False
        for k, (tmp, final) in enumerate(pending):
            try:
                os.replace(tmp, final)
            except OSError as err:
                # all or nothing: drop the files already moved into place and the remaining temporaries
                for _, done in pending[:k]:
                    done.unlink(missing_ok=True)
                for left, _ in pending[k:]:
                    left.unlink(missing_ok=True)
                raise DataError(f"{final}: cannot write: {err.strerror or err}") from None
        return False


def write_table(df, path, *, column_labels=None, value_labels=None, protect=()) -> Path:
    """Write one table atomically (temporary file + :func:`os.replace`).

    Parameters
    ----------
    df : pandas.DataFrame
    path : str or Path
        ``.csv``, ``.xlsx``, ``.sav``, ``.dta`` or ``.parquet``.
    column_labels : dict, optional
        Variable labels (sav, dta).
    value_labels : dict, optional
        ``{column: {code: label}}`` (sav, dta).
    protect : iterable of path, optional
        Paths that must not be overwritten (the input).

    Returns
    -------
    Path

    Raises
    ------
    DataError
        Unknown suffix, missing folder, an attempt to overwrite ``protect``, or
        a failure of the writer; nothing is left behind.
    """
    with AtomicOutputs(protect) as out:
        return out.add_table(df, path, column_labels=column_labels, value_labels=value_labels)
