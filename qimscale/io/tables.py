"""Plain tabular readers: CSV/TSV, xlsx, SPSS ``.sav``, Stata ``.dta`` and Parquet.

Each reader opens one *container* format and returns a :class:`RawTable`: the
first records as text (so that the survey-platform layer in
:mod:`qimscale.io.survey` can recognise Qualtrics, REDCap, LimeSurvey or Kobo
header rows) and a loader that parses the data below a given number of header
rows. :func:`qimscale.io.read_data` (in :mod:`qimscale.io.survey`) is the
minimal entry point used by the analysis commands. This module imports no
other reader module (the import chain is ``tables <- surveydata <- platforms
<- survey``).

Reading never modifies the input and never coerces values silently: in CSV
files only an empty cell is missing (``NA``, ``N/A`` or ``-99`` stay as they
are, to be reported by validation), and SPSS/Stata user-missing codes are kept
and reported, not turned into system-missing.
"""

from __future__ import annotations

import re
import sys
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from qimscale.errors import DataError
from qimscale._core.formatting import cell_text, shorten, show_value
from qimscale.io import _text

_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".sav": "sav",
    ".zsav": "sav",
    ".dta": "dta",
    ".parquet": "parquet",
    ".pq": "parquet",
}

#: container formats (how the bytes are stored)
CONTAINERS = ("csv", "tsv", "xlsx", "sav", "dta", "parquet")

#: refuse xlsx files that would expand beyond this many bytes (zip-bomb guard)
XLSX_MAX_UNCOMPRESSED = 2 * 1024**3
#: ... or whose members expand more than this ratio (real sheets compress ~5-20x)
XLSX_MAX_RATIO = 200


def detect_format(path: str | Path) -> str:
    """Guess a file's container format from its suffix (``-`` means CSV on stdin).

    >>> detect_format("responses.sav")
    'sav'
    """
    if str(path) == "-":
        return "csv"
    suffix = Path(path).suffix.lower()
    try:
        return _SUFFIX_FORMATS[suffix]
    except KeyError:
        raise DataError(
            f"{path}: cannot tell the file format from the suffix {suffix or '(none)'!r}; "
            f"use one of {', '.join(sorted(_SUFFIX_FORMATS))} or pass --format"
        ) from None


@dataclass
class RawTable:
    """A container-level read: header records plus a loader for the data rows.

    Attributes
    ----------
    source : str
        The path as given (used in messages).
    container : str
        ``csv``, ``tsv``, ``xlsx``, ``sav``, ``dta`` or ``parquet``.
    head : list of list of str
        The first records of the file as text; for ``sav``/``dta``/``parquet``
        a single record holding the column names.
    encoding, delimiter : str or None
        Detected text encoding and delimiter (text containers only).
    column_labels, value_labels, user_missing : dict
        Variable labels, value labels (``{column: {code: label}}``) and
        user-missing definitions (``{column: [{"lo", "hi"}]}`` or
        ``{column: [codes]}``) from SPSS/Stata metadata.
    """

    source: str
    container: str
    head: list[list[str]]
    loader: Callable[[int, list[str]], "object"]
    encoding: str | None = None
    delimiter: str | None = None
    column_labels: dict = field(default_factory=dict)
    value_labels: dict = field(default_factory=dict)
    user_missing: dict = field(default_factory=dict)
    #: parse integer columns into compact nullable integer dtypes (see :func:`arrow_to_pandas`)
    compact: bool = False
    #: also read the usual missing-value markers (``NA``, ``N/A``, ``NULL``, ...) as missing
    na_markers: bool = False
    #: text containers: ``name -> bool``, columns to parse straight into 8-bit integers when the
    #: first data rows allow it (a read that then fails is repeated without; see :func:`_int8_columns`)
    int8_hint: Callable[[str], bool] | None = None
    #: remarks about the read for the user (e.g. which sheet of a workbook was read)
    notes: list = field(default_factory=list)

    @property
    def has_header_rows(self) -> bool:
        """True for text/xlsx containers, whose column names are a header row."""
        return self.container in ("csv", "tsv", "xlsx")

    def load(self, n_header: int = 1, names: list[str] | None = None):
        """Return the data below ``n_header`` header rows, with column names ``names``."""
        return self.loader(n_header, names if names is not None else list(self.head[0]))


def check_unique(names: list[str], source: str) -> None:
    """Raise :class:`DataError` naming the first duplicated column name."""
    seen: dict[str, int] = {}
    for pos, name in enumerate(names, start=1):
        if name in seen:
            raise DataError(f"{source}: column name {show_value(name)} appears twice (columns {seen[name]} and {pos}); "
                            "column names must be unique, rename one of them")
        seen[name] = pos


def open_table(path: str | Path, *, container: str | None = None) -> RawTable:
    """Open ``path`` as a container format and return a :class:`RawTable`.

    Raises
    ------
    DataError
        Missing, empty, binary or undecodable file; unterminated quotes; an
        xlsx that is not a zip archive, is truncated or would expand to an
        absurd size; a corrupt SPSS/Stata/Parquet file.
    """
    container = container or detect_format(path)
    source = str(path)
    if source != "-" and not Path(path).is_file():
        raise DataError(f"{source}: no such file")
    if container in ("csv", "tsv"):
        raw = sys.stdin.buffer.read() if source == "-" else Path(path).read_bytes()
        return _open_text(raw, source, container)
    if container == "xlsx":
        return _open_xlsx(Path(path), source)
    if container in ("sav", "dta"):
        return _open_readstat(Path(path), source, container)
    if container == "parquet":
        return _open_parquet(Path(path), source)
    raise DataError(f"{source}: unknown format {container!r}; use one of {', '.join(CONTAINERS)}")


# --------------------------------------------------------------------------- text

def _open_text(raw: bytes, source: str, container: str) -> RawTable:
    if not raw[:4096].strip() and not raw.strip():  # the full scan only for a blank start
        raise DataError(f"{source}: the file is empty")
    _text.check_not_binary(raw, source)
    if raw.isascii():  # valid UTF-8 as it is: decode only the head (a full decode costs ~1 ns/byte)
        text, encoding = raw[: 1 << 20].decode("ascii"), "utf-8"
        delimiter = "\t" if container == "tsv" else _text.sniff_delimiter(text)
        if raw.count(b'"') % 2:
            _text.check_quotes(raw.decode("ascii"), delimiter, source)
    else:
        text, encoding = _text.decode(raw, source)
        delimiter = "\t" if container == "tsv" else _text.sniff_delimiter(text)
        _text.check_quotes(text, delimiter, source)
    head = _text.head_records(text, delimiter)
    head = [r for r in head if any(c.strip() for c in r)] or [[]]
    if not any(c.strip() for c in head[0]):
        raise DataError(f"{source}: the file has no header row")
    data = text.encode("utf-8") if encoding != "utf-8" else raw
    del text
    head_rows = head

    raw_table = RawTable(source, container, head, None, encoding=encoding, delimiter=delimiter)

    def loader(n_header: int, names: list[str]):
        int8 = _int8_columns(names, head_rows[n_header:], raw_table.int8_hint)
        return _parse_delimited(data, source, delimiter, n_header, names, compact=raw_table.compact,
                                na_markers=raw_table.na_markers, int8=int8, notes=raw_table.notes)

    raw_table.loader = loader
    return raw_table


#: markers read as missing by :func:`qimscale.io.read_data` (R's ``NA`` and the usual spreadsheet spellings)
NA_MARKERS = ["NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "#N/A", "-NaN", "-nan"]


_INT_TEXT = re.compile(r"\s*[+-]?\d{1,4}\s*")


def _int8_columns(names: list[str], sample: list[list[str]], hint) -> list[str]:
    """Columns ``hint`` names whose sampled cells are all empty or integers in -128..127."""
    if hint is None:
        return []
    out = []
    for j, name in enumerate(names):
        if not hint(name):
            continue
        cells = [r[j] for r in sample if j < len(r) and r[j].strip()]
        if all(_INT_TEXT.fullmatch(c) and -128 <= int(c) <= 127 for c in cells):
            out.append(name)
    return out


def has_quoted_newline(data: bytes, block: int = 1 << 23) -> bool:
    """True when a line break of ``data`` lies inside a quoted field.

    A line break is inside quotes exactly when an odd number of ``"`` precede
    it (an escaped quote is doubled, so it does not change the parity). The
    scan runs over blocks of the bytes with numpy, carrying the parity.

    >>> has_quoted_newline(b'a,b\\n"x\\ny",1\\n'), has_quoted_newline(b'"a","b"\\n1,2\\n')
    (True, False)
    """
    import numpy as np

    if data.find(b'"') < 0:
        return False
    buf = np.frombuffer(data, dtype=np.uint8)
    odd = False
    for a in range(0, len(buf), block):
        c = buf[a:a + block]
        q = np.flatnonzero(c == 34)
        if len(q) == 0:
            if odd and (np.any(c == 10) or np.any(c == 13)):
                return True
            continue
        nl = np.flatnonzero((c == 10) | (c == 13))
        if len(nl):
            before = np.searchsorted(q, nl) + odd  # quotes before each line break (with the carry)
            if np.any(before & 1):
                return True
        odd = bool((len(q) + odd) & 1)
    return False


def _parse_delimited(data: bytes, source: str, delimiter: str, n_header: int, names: list[str],
                     compact: bool = False, na_markers: bool = False, int8=(), notes: list | None = None):
    """Parse UTF-8 ``data`` with pyarrow; only empty cells are missing unless ``na_markers``.

    Quoted cells may hold line breaks; only when one does (see
    :func:`has_quoted_newline`) is pyarrow told so, which costs it its fast
    parallel chunking. Columns in ``int8`` are parsed straight into 8-bit
    integers; when a later cell does not fit, the file is parsed again with
    the types inferred, so the values read never depend on this shortcut.

    When **every** data row is one field short of the header (ODK Central
    leaves a trailing empty field out), the last column is read as empty and
    a note says so (added to ``notes``); when only some rows are, the first of
    them is an error.
    """
    import pyarrow as pa

    read, parse, conv = _csv_options(data, delimiter, n_header, names, na_markers)
    table = None
    try:
        if int8:
            try:
                table = _read_csv(data, read, parse, conv({c: pa.int8() for c in int8}))
            except pa.ArrowInvalid:
                table = None  # a cell that is not an 8-bit integer: infer the types instead
        if table is None:
            table = _read_csv(data, read, parse, conv(None))
    except pa.ArrowException as exc:
        msg = _text.one_line(str(exc).splitlines()[0] if str(exc).strip() else exc)
        if "Empty CSV file" in msg or "Could not skip initial" in msg:
            raise DataError(f"{source}: the file has a header but no data rows") from None
        if "Expected" in msg and len(names) > 1 and _short_by_one_everywhere(data, read, parse):
            table = _read_csv(data, pa_read_options(read, names[:-1]), parse, conv(None))
            table = table.append_column(names[-1], pa.nulls(table.num_rows, pa.string()))
            if notes is not None:
                notes.append(f"every data row has {len(names) - 1} fields where the header has {len(names)} "
                             f"(the last, empty field is left out, as ODK Central does): column {show_value(names[-1])} "
                             "was read as empty on every row")
        else:
            bad = _first_bad_row(data, read, parse) if "Expected" in msg else None
            if bad is not None:
                got = f"{bad.actual_columns} field" + ("" if bad.actual_columns == 1 else "s")
                raise DataError(f"{source}: row {bad.number} has {got} where the header has "
                                f"{bad.expected_columns} (row text: {show_value(bad.text)}); check that every "
                                f"row has {len(names)} fields separated by {delimiter!r} and that quotes are "
                                "balanced") from None
            raise DataError(f"{source}: cannot be parsed as delimited text ({shorten(msg, 200)}); "
                            f"check that every row has {len(names)} fields separated by {delimiter!r}") from None
    if table.num_rows == 0:
        raise DataError(f"{source}: the file has a header but no data rows")
    df = arrow_to_pandas(table, compact=compact)
    del table
    _release_freed_memory()
    return df


def _csv_options(data: bytes, delimiter: str, n_header: int, names: list[str], na_markers: bool):
    """pyarrow read/parse options and a ``types -> ConvertOptions`` factory for :func:`_parse_delimited`."""
    import pyarrow.csv as pcsv

    read = pcsv.ReadOptions(column_names=list(names), skip_rows=n_header)
    parse = pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=has_quoted_newline(data))
    nulls = [""] + (NA_MARKERS if na_markers else [])

    def conv(types):
        return pcsv.ConvertOptions(null_values=nulls, strings_can_be_null=True, quoted_strings_can_be_null=True,
                                   true_values=[], false_values=[], column_types=types)

    return read, parse, conv


def pa_read_options(read, names: list[str], *, block_size: int | None = None):
    """``read`` with other column names (and block size)."""
    import pyarrow.csv as pcsv

    return pcsv.ReadOptions(column_names=list(names), skip_rows=read.skip_rows,
                            block_size=block_size or read.block_size, use_threads=read.use_threads)


def _read_csv(data: bytes, read, parse, convert):
    """One pyarrow CSV read into the system allocator (it hands freed buffers back to the OS).

    A record longer than pyarrow's block (1 MiB: a 2 MB cell, a huge header)
    makes it refuse the file ("straddling object", "header is larger than
    block size"); the read is then repeated with the whole file as one block.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        return pcsv.read_csv(pa.BufferReader(data), read_options=read, parse_options=parse,
                             convert_options=convert, memory_pool=pa.system_memory_pool())
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc) and "block size" not in str(exc) or len(data) < read.block_size:
            raise
    read = pa_read_options(read, read.column_names, block_size=min(len(data) + 1, (1 << 31) - 1))
    return pcsv.read_csv(pa.BufferReader(data), read_options=read, parse_options=parse,
                         convert_options=convert, memory_pool=pa.system_memory_pool())


def _short_by_one_everywhere(data: bytes, read, parse) -> bool:
    """True when every non-blank data row has exactly one field fewer than the header."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    widths = set()

    def handler(row):
        if row.text.strip():
            widths.add(row.actual_columns - row.expected_columns)
        return "skip"

    opts = pcsv.ReadOptions(column_names=read.column_names, skip_rows=read.skip_rows, use_threads=False,
                            block_size=read.block_size)
    popts = pcsv.ParseOptions(delimiter=parse.delimiter, newlines_in_values=parse.newlines_in_values,
                              invalid_row_handler=handler)
    try:
        good = pcsv.read_csv(pa.BufferReader(data), read_options=opts, parse_options=popts,
                             convert_options=pcsv.ConvertOptions(column_types={c: pa.string()
                                                                               for c in read.column_names}))
    except pa.ArrowException:
        return False
    return good.num_rows == 0 and widths == {-1}


def _first_bad_row(data: bytes, read, parse):
    """The first row with the wrong number of fields (pyarrow's ``InvalidRow``: number, text, counts), or None.

    Only on the error path: a single-threaded parse numbers the rows
    (spreadsheet rows, header counted; a quoted line break stays in its row).
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    found = []

    def handler(row):
        if not row.text.strip():  # a blank line: counted as a row, not an error
            return "skip"
        found.append(row)
        return "error"

    opts = pcsv.ReadOptions(column_names=read.column_names, skip_rows=read.skip_rows, use_threads=False,
                            block_size=read.block_size)
    popts = pcsv.ParseOptions(delimiter=parse.delimiter, newlines_in_values=parse.newlines_in_values,
                              invalid_row_handler=handler, ignore_empty_lines=False)
    try:
        pcsv.read_csv(pa.BufferReader(data), read_options=opts, parse_options=popts,
                      convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in read.column_names}))
    except pa.ArrowException:
        pass
    return found[0] if found and found[0].number and found[0].number > 0 else None


def _release_freed_memory() -> None:
    """Hand memory freed by the CSV parser back to the OS (glibc keeps it otherwise)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def arrow_to_pandas(table, *, compact: bool = False):
    """Convert an Arrow table to pandas.

    With ``compact``, integer columns are stored in the smallest integer type
    that holds all their values exactly, as pandas nullable integers (``Int8``
    for response codes): 2 bytes per cell instead of 8, with missing values
    kept as missing. Used by scoring; :func:`qimscale.io.read_data` returns plain numpy
    dtypes.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if compact:
        import numpy as np
        import pandas as pd

        pool = pa.system_memory_pool()
        # one new table from the (cast) columns: a set_column per column would copy the column list
        # each time, quadratic in the number of columns (20,000 columns took minutes)
        arrays = []
        for col in table.columns:
            if pa.types.is_integer(col.type) and col.type != pa.int8() and col.null_count < len(col):
                mm = pc.min_max(col, memory_pool=pool).as_py()
                for t, info in ((pa.int8(), np.iinfo(np.int8)), (pa.int16(), np.iinfo(np.int16)),
                                (pa.int32(), np.iinfo(np.int32))):
                    if info.min <= mm["min"] and mm["max"] <= info.max:
                        col = pc.cast(col, t, memory_pool=pool)
                        break
            arrays.append(col)
            del col
        table = pa.Table.from_arrays(arrays, names=table.column_names)
        del arrays
        mapper = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
                  pa.int64(): pd.Int64Dtype()}
        names = table.column_names
        small = [i for i, f in enumerate(table.schema) if f.type == pa.int8()]
        if not small or len(set(names)) < len(names):
            return table.to_pandas(split_blocks=True, self_destruct=True, types_mapper=mapper.get)
        # 8-bit code columns straight from their Arrow buffers (pandas converts chunk by chunk, ~5x slower)
        small_cols = {i: _int8_to_pandas(table.column(i)) for i in small}
        small_set = set(small)
        rest = [i for i in range(len(names)) if i not in small_set]
        if len(rest) > len(small):  # mostly other columns (a wide file): insert the few 8-bit ones in place
            import warnings

            df = table.select(rest).to_pandas(split_blocks=True, self_destruct=True, types_mapper=mapper.get)
            with warnings.catch_warnings():  # one block per column is what split_blocks asks for
                warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
                for i in small:  # ascending: every column before position i is already in place
                    df.insert(i, names[i], small_cols[i])
            return df
        cols = {names[i]: a for i, a in small_cols.items()}
        if rest:
            other = table.select(rest).to_pandas(split_blocks=True, self_destruct=True, types_mapper=mapper.get)
            cols.update({c: other[c] for c in other.columns})
        return pd.DataFrame({c: cols[c] for c in names}, index=pd.RangeIndex(table.num_rows), copy=False)
    return table.to_pandas(split_blocks=True, self_destruct=True)


def _int8_to_pandas(col):
    """An Arrow ``int8`` column as a pandas nullable ``Int8`` array (values copied, validity bitmap unpacked)."""
    import numpy as np
    import pandas as pd

    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    n, off = len(arr), arr.offset
    validity, data = arr.buffers()[:2]
    values = np.frombuffer(data, dtype=np.int8, count=n, offset=off).copy() if n else np.zeros(0, np.int8)
    if validity is None or arr.null_count == 0:
        mask = np.zeros(n, dtype=bool)
    else:
        bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), count=n + off, bitorder="little")[off:]
        mask = bits == 0
    return pd.arrays.IntegerArray(values, mask)


# --------------------------------------------------------------------------- xlsx

def _check_zip(path: Path, source: str) -> None:
    if not zipfile.is_zipfile(path):
        head = path.read_bytes()[:8]
        if head.startswith(b"PK\x03\x04"):
            raise DataError(f"{source}: the workbook is truncated or corrupt (its zip directory is missing); "
                            "download or save it again")
        what = "empty" if not head else "not an Excel workbook (an .xlsx file is a zip archive)"
        raise DataError(f"{source}: the file is {what}; save it as .xlsx from a spreadsheet program, "
                        "or pass --format csv if it is text")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            for i in infos:
                ratio = i.file_size / max(i.compress_size, 1)
                if i.file_size > 10 * 1024**2 and ratio > XLSX_MAX_RATIO:
                    raise DataError(f"{source}: refused: member {show_value(i.filename)} would expand {ratio:.0f}-fold "
                                    f"to {i.file_size / 1024**2:.0f} MiB (zip-bomb guard)")
            if total > XLSX_MAX_UNCOMPRESSED:
                raise DataError(f"{source}: refused: the workbook would expand to {total / 1024**3:.1f} GiB "
                                "(zip-bomb guard); export the sheet as CSV instead")
            bad = zf.testzip()
            if bad is not None:
                raise DataError(f"{source}: the workbook is corrupt (member {show_value(bad)} fails its checksum)")
    except DataError:
        raise
    except ZIP_ERRORS as exc:
        raise DataError(f"{source}: the workbook is truncated or corrupt ({_text.one_line(exc)}); "
                        "download or save it again") from None


#: what reading a damaged zip archive raises: a bad directory (BadZipFile), a damaged deflate stream
#: (zlib.error), an unknown compression method (NotImplementedError), a bad offset (OSError, EOFError),
#: an undecodable member name (UnicodeDecodeError), impossible sizes (ValueError, OverflowError)
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError, ValueError, OverflowError,
              RuntimeError)


def _open_xlsx(path: Path, source: str) -> RawTable:
    import openpyxl

    import warnings

    _check_zip(path, source)
    wb = None
    try:
        with warnings.catch_warnings():  # openpyxl warns about styles, extensions, ... it does not read
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            ws = wb.worksheets[0]
            title = ws.title
            others = [w.title for w in wb.worksheets[1:]]
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
    except RecursionError:
        raise DataError(f"{source}: cannot be read as an Excel workbook (its XML is nested too deeply)") from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for corrupt files
        raise DataError(f"{source}: cannot be read as an Excel workbook ({type(exc).__name__}: "
                        f"{_text.one_line(exc)})") from None
    finally:
        if wb is not None:
            wb.close()  # read-only workbooks keep the file open until closed
    while rows and all(v is None or str(v).strip() == "" for v in rows[-1]):
        rows.pop()
    if not rows:
        raise DataError(f"{source}: the workbook's first sheet is empty")
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    head = [["" if v is None else str(v) for v in r] for r in rows[:6]]

    def loader(n_header: int, names: list[str]):
        import pandas as pd

        body = rows[n_header:]
        if not body:
            raise DataError(f"{source}: the file has a header but no data rows")
        df = pd.DataFrame(body, columns=list(names), dtype=object)
        for col in df.columns:
            df[col] = _settle_object_column(df[col])
        return df

    notes = [f"the workbook has {len(others) + 1} sheets; read the first ({title!r}), not "
             + ", ".join(repr(t) for t in others) + " (save the sheet you need first, or as .csv)"] if others else []
    return RawTable(source, "xlsx", head, loader, notes=notes)


def _settle_object_column(s):
    """Make an object column numeric when every non-empty cell is a number, else text."""
    import numbers

    import pandas as pd

    vals = s.dropna()
    if vals.empty:
        return pd.to_numeric(s, errors="coerce")
    if all(isinstance(v, numbers.Number) and not isinstance(v, bool) for v in vals):
        return pd.to_numeric(s)
    if all(isinstance(v, (str, numbers.Number)) for v in vals):
        return s.map(lambda v: None if v is None else (v if isinstance(v, str) else cell_text(v)))
    return s


# --------------------------------------------------------------------------- SPSS / Stata / Parquet

def _open_readstat(path: Path, source: str, container: str) -> RawTable:
    import pyreadstat

    reader = pyreadstat.read_sav if container == "sav" else pyreadstat.read_dta
    try:
        df, meta = reader(str(path), user_missing=True)
    except Exception as exc:  # noqa: BLE001 - pyreadstat raises ReadstatError/PyreadstatError
        kind = "SPSS .sav" if container == "sav" else "Stata .dta"
        raise DataError(f"{source}: cannot be read as a {kind} file ({type(exc).__name__}: "
                        f"{str(exc).strip() or 'corrupt file'})") from None
    names = [str(c) for c in df.columns]
    if df.shape[0] == 0:
        raise DataError(f"{source}: the file has variables but no cases")
    user_missing = {k: list(v) for k, v in (getattr(meta, "missing_ranges", None) or {}).items()}
    for k, v in (getattr(meta, "missing_user_values", None) or {}).items():
        user_missing.setdefault(k, []).extend(v)
    labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}

    def loader(n_header: int, cols: list[str]):
        out = df.copy()
        out.columns = cols
        return out

    return RawTable(source, container, [names], loader, encoding=getattr(meta, "file_encoding", None),
                    column_labels=labels, value_labels=dict(meta.variable_value_labels or {}),
                    user_missing=user_missing)


def _open_parquet(path: Path, source: str) -> RawTable:
    """Read a Parquet file whole, converting it to pandas inside the guard.

    The pandas metadata (JSON in the file's key-value metadata) is read only
    by ``to_pandas()``, so a corrupt file can fail there as well as in the
    read; both are reported as one :class:`DataError`.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError, ...
        raise DataError(f"{source}: cannot be read as Parquet ({type(exc).__name__}: {_text.one_line(exc)})") from None
    check_unique([str(c) for c in schema.names], source)  # before Arrow's "Multiple matches for FieldRef"
    for f in schema:
        if pa.types.is_nested(f.type):
            raise DataError(f"{source}: column {show_value(f.name)} holds {f.type} values (lists or records), not one "
                            "answer per cell; flatten it before scoring")
    try:
        table = pq.read_table(path)
        if table.num_rows == 0:
            raise DataError(f"{source}: the file has columns but no rows")
        try:
            df = table.to_pandas()
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            # damaged pandas metadata (JSON in the file's key-value metadata): the columns themselves are fine
            df = table.replace_schema_metadata(None).to_pandas()
    except DataError:
        raise
    except RecursionError:
        raise DataError(f"{source}: cannot be read as Parquet (its metadata is nested too deeply)") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError, ...
        raise DataError(f"{source}: cannot be read as Parquet ({type(exc).__name__}: {_text.one_line(exc)})") from None
    del table
    names = [str(c) for c in df.columns]  # the pandas metadata may have turned a column into the index
    check_unique(names, source)
    df.columns = names
    return RawTable(source, "parquet", [names], _frame_loader(df))


def _frame_loader(df):
    """A :attr:`RawTable.loader` over a DataFrame read whole (no header rows): renames the columns."""

    def loader(n_header: int, cols: list[str]):
        out = df.copy(deep=False)
        out.columns = cols
        return out

    return loader
