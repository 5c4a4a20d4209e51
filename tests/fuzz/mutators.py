"""Seeded mutators for the fuzz harness: hostile variants of real survey exports.

Every mutator is ``f(data: bytes, suffix: str, rng) -> (bytes, suffix)``; the
same ``rng`` state always gives the same output, so a case is reproduced from
its number alone. The classes follow the issue that asked for them:
truncation, flipped bytes, NUL bytes, odd encodings, nested structures,
corrupt archives, very wide or long files, formula strings, plus the CSV
shapes real exports take (ragged or short rows, header-only, duplicate
names, huge cells, dates in answer columns).
"""

from __future__ import annotations

import io
import json
import struct
import zipfile

TEXT_SUFFIXES = (".csv", ".txt", ".tsv", ".json", ".qsf", ".yaml")

FORMULAS = ["=1+1", '=HYPERLINK("http://example.org/x","click")', "@SUM(A1:A9)", "+cmd|' /C calc'!A0",
            "-2+3", "\t=1+2", "\r=1", "=cmd|'/c calc'!'A1'", "＝1+1", " =1+1", "-", "+", "@", "=", "-3", "+4"]


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


# --------------------------------------------------------------------------- byte level

def truncate(data: bytes, suffix: str, rng):
    """Cut the file at a random point (sometimes to nothing, sometimes one byte short)."""
    if not data:
        return data, suffix
    r = rng.random()
    cut = 0 if r < 0.05 else len(data) - 1 if r < 0.2 else int(rng.integers(len(data)))
    return data[:cut], suffix


def flip_bytes(data: bytes, suffix: str, rng):
    """Flip 1-16 random bytes (one flipped byte in a workbook broke the reader before)."""
    if not data:
        return data, suffix
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 17))):
        i = int(rng.integers(len(b)))
        b[i] ^= int(rng.integers(1, 256))
    return bytes(b), suffix


def nul_bytes(data: bytes, suffix: str, rng):
    """Insert or overwrite with NUL bytes."""
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 6))):
        i = int(rng.integers(len(b) + 1))
        if rng.random() < 0.5 and i < len(b):
            b[i] = 0
        else:
            b[i:i] = b"\0" * int(rng.integers(1, 4))
    return bytes(b), suffix


def odd_encoding(data: bytes, suffix: str, rng):
    """Re-encode text (UTF-16/32 with or without BOM, code pages) or splice in invalid UTF-8."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    choice = int(rng.integers(8))
    if choice == 0:
        return text.encode("utf-16"), suffix
    if choice == 1:
        return text.encode("utf-16-le"), suffix  # no BOM
    if choice == 2:
        return text.encode("utf-32"), suffix
    if choice == 3:
        return text.encode("cp1252", "replace"), suffix
    if choice == 4:
        return text.encode("mac_roman", "replace"), suffix
    if choice == 5:
        return b"\xef\xbb\xbf" + text.encode("utf-8"), suffix
    if choice == 6:
        return text.encode("shift_jis", "replace"), suffix
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        i = int(rng.integers(len(b) + 1))
        b[i:i] = _pick(rng, [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82"])
    return bytes(b), suffix


# --------------------------------------------------------------------------- structure

def nested(data: bytes, suffix: str, rng):
    """Deeply nested JSON or YAML (or a CSV cell holding it)."""
    depth = int(_pick(rng, [50, 500, 990, 1500, 5000, 100_000]))
    if suffix in (".json", ".qsf"):
        kind = int(rng.integers(3))
        if kind == 0:
            return b"[" * depth + b"]" * depth, suffix
        if kind == 1:
            inner = b'{"a":' * depth + b"1" + b"}" * depth
            return b'[{"q1": 4, "nested": ' + inner + b"}]", suffix
        return b'{"SurveyElements": ' + b"[" * depth + b"]" * depth + b"}", suffix
    if suffix == ".yaml":
        if rng.random() < 0.5:
            return b"a: " + b"[" * depth + b"]" * depth + b"\n", suffix
        d = min(depth, 3000)
        return b"".join(b"  " * i + b"k%d:\n" % i for i in range(d)) + b"  " * d + b"x: 1\n", suffix
    cell = ("[" * min(depth, 20000) + "]" * min(depth, 20000)).encode()
    lines = data.splitlines(keepends=True)
    if len(lines) > 1:
        lines[1] = cell + b"," + lines[1]
        lines[0] = b"nested," + lines[0]
    return b"".join(lines), suffix


def corrupt_archive(data: bytes, suffix: str, rng):
    """Damage a zip archive (xlsx): compressed bytes, compression method, sizes, central directory."""
    if not data.startswith(b"PK"):
        return flip_bytes(data, suffix, rng)
    b = bytearray(data)
    kind = int(rng.integers(6))
    locals_ = [i for i in range(len(b) - 4) if b[i:i + 4] == b"PK\x03\x04"]
    central = b.rfind(b"PK\x01\x02")
    if kind == 0 and locals_:  # flip a byte inside a member's compressed data
        start = _pick(rng, locals_)
        i = min(len(b) - 1, start + 30 + int(rng.integers(1, 200)))
        b[i] ^= 0xFF
    elif kind == 1 and locals_:  # unknown compression method
        start = _pick(rng, locals_)
        b[start + 8:start + 10] = struct.pack("<H", _pick(rng, [1, 6, 12, 14, 95, 99]))
        if central > 0:
            b[central + 10:central + 12] = struct.pack("<H", 99)
    elif kind == 2 and central > 0:  # a wrong uncompressed size / CRC in the central directory
        off = central + _pick(rng, [16, 20, 24])
        b[off:off + 4] = struct.pack("<I", int(rng.integers(0, 2**32)))
    elif kind == 3 and central > 0:  # a bad local-header offset
        b[central + 42:central + 46] = struct.pack("<I", int(rng.integers(0, 2**32)))
    elif kind == 4:  # drop the end of the central directory
        return bytes(b[: max(0, len(b) - int(rng.integers(1, 60)))]), suffix
    else:  # a member replaced by garbage XML
        try:
            src = zipfile.ZipFile(io.BytesIO(data))
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
                for info in src.infolist():
                    payload = src.read(info.filename)
                    if "sheet" in info.filename or rng.random() < 0.2:
                        payload = _pick(rng, [b"<x>" * 5000, payload[: len(payload) // 2], b"\0" * 100,
                                              b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>"])
                    dst.writestr(info.filename, payload)
            return out.getvalue(), suffix
        except Exception:  # noqa: BLE001 - already not a zip: flip instead
            return flip_bytes(data, suffix, rng)
    return bytes(b), suffix


def formulas(data: bytes, suffix: str, rng):
    """Put formula strings into random cells (and sometimes the header) of a delimited file."""
    text, enc = _text(data)
    if text is None:
        return data, suffix
    delim = _delim(text)
    lines = text.split("\n")
    for _ in range(int(rng.integers(1, 8))):
        r = int(rng.integers(len(lines)))
        cells = lines[r].split(delim)
        if not cells:
            continue
        c = int(rng.integers(len(cells)))
        f = _pick(rng, FORMULAS)
        cells[c] = '"' + f.replace('"', '""') + '"' if (delim in f or '"' in f) else f
        lines[r] = delim.join(cells)
    return "\n".join(lines).encode(enc, "replace"), suffix


def csv_shapes(data: bytes, suffix: str, rng):
    """Shapes real CSVs take: short/ragged rows, header only, duplicate names, R row names, huge cells..."""
    text, enc = _text(data)
    if text is None:
        return data, suffix
    delim = _delim(text)
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        return data, suffix
    kind = int(rng.integers(12))
    if kind == 0:  # every data row one field short
        lines = [lines[0]] + [ln.rsplit(delim, 1)[0] for ln in lines[1:]]
    elif kind == 1:  # some rows short or long
        for _ in range(int(rng.integers(1, 4))):
            r = int(rng.integers(len(lines)))
            lines[r] = lines[r] + delim + "extra" if rng.random() < 0.5 else lines[r].rsplit(delim, 1)[0]
    elif kind == 2:  # header only, with or without the final newline
        return (lines[0] + ("\n" if rng.random() < 0.5 else "")).encode(enc), suffix
    elif kind == 3:  # a duplicated column name
        cells = lines[0].split(delim)
        if len(cells) > 1:
            cells[-1] = cells[0]
            lines[0] = delim.join(cells)
    elif kind == 4:  # R write.csv: unnamed first column of row numbers (or names, or junk)
        label = _pick(rng, ["n", "s", "dup", "empty"])
        out = ['""' + delim + lines[0]]
        for k, ln in enumerate(lines[1:], 1):
            rn = {"n": str(k), "s": f"resp{k}", "dup": "1", "empty": ""}[label]
            out.append(f'"{rn}"' + delim + ln)
        lines = out
    elif kind == 5:  # a huge cell (2 MB) or a huge header name
        r = 0 if rng.random() < 0.3 else int(rng.integers(len(lines)))
        cells = lines[r].split(delim)
        cells[int(rng.integers(len(cells)))] = "x" * int(_pick(rng, [100_000, 2_000_000]))
        lines[r] = delim.join(cells)
    elif kind == 6:  # line endings
        sep = _pick(rng, ["\r\n", "\r", "\n\n"])
        return (sep.join(lines) + sep).encode(enc), suffix
    elif kind == 7:  # an unbalanced quote
        r = int(rng.integers(len(lines)))
        lines[r] = lines[r] + '"'
    elif kind == 8:  # dates and times in answer cells
        for r in range(1, len(lines)):
            cells = lines[r].split(delim)
            if len(cells) > 2 and rng.random() < 0.5:
                cells[int(rng.integers(len(cells)))] = _pick(rng, ["2024-05-01", "2024-05-01T09:30:00+02:00",
                                                                  "01/05/2024 09:30", "12:30:00", "1e999", "NaN"])
                lines[r] = delim.join(cells)
    elif kind == 9:  # blank header cells, blank lines
        cells = lines[0].split(delim)
        cells[int(rng.integers(len(cells)))] = ""
        lines[0] = delim.join(cells)
        lines.insert(int(rng.integers(1, len(lines) + 1)), "")
    elif kind == 10:  # another delimiter
        new = _pick(rng, [";", "\t", "|"])
        lines = [ln.replace(delim, new) for ln in lines]
    else:  # a cell with a quoted line break
        r = int(rng.integers(1, len(lines))) if len(lines) > 1 else 0
        cells = lines[r].split(delim)
        cells[-1] = '"line one\nline two"'
        lines[r] = delim.join(cells)
    return ("\n".join(lines) + ("\n" if rng.random() < 0.8 else "")).encode(enc), suffix


def wide(data: bytes, suffix: str, rng, max_cols: int = 20_000):
    """A very wide file: 40 rows x up to ``max_cols`` columns, some named like items."""
    cols = int(_pick(rng, [500, 2000, 5000, max_cols]))
    cols = min(cols, max_cols)
    names = [f"exp_meth_{j + 1}" if j < 5 else f"c{j}" for j in range(cols)]
    rows = [",".join(names)]
    for _ in range(40):
        rows.append(",".join(str(v) for v in rng.integers(1, 6, cols)))
    return ("\n".join(rows) + "\n").encode(), ".csv"


def long(data: bytes, suffix: str, rng, max_rows: int = 100_000):
    """A long file: up to ``max_rows`` rows of item codes (some bad cells far down)."""
    n = int(_pick(rng, [10_000, 50_000, max_rows]))
    n = min(n, max_rows)
    codes = rng.integers(1, 6, size=(n, 5))
    body = "\n".join(",".join(map(str, r)) for r in codes)
    text = "id,exp_meth_1,exp_meth_2,exp_meth_3,exp_meth_4,exp_meth_5\n" + "\n".join(
        f"{k},{line}" for k, line in enumerate(body.split("\n"), 1))
    if rng.random() < 0.5:
        text += f"\n{n + 1},7,x,=1+1,,3"
    return (text + "\n").encode(), ".csv"


def parquet_damage(data: bytes, suffix: str, rng):
    """Damage a Parquet file's footer (its metadata) or its pandas metadata, or repeat a column name."""
    if suffix != ".parquet":
        return flip_bytes(data, suffix, rng)
    import pyarrow as pa
    import pyarrow.parquet as pq

    kind = int(rng.integers(4))
    if kind == 0 and len(data) > 16:  # flip bytes in the footer
        b = bytearray(data)
        for _ in range(int(rng.integers(1, 6))):
            i = len(b) - 8 - int(rng.integers(1, min(len(b) - 8, 2048)))
            b[i] ^= int(rng.integers(1, 256))
        return bytes(b), suffix
    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception:  # noqa: BLE001
        return flip_bytes(data, suffix, rng)
    if kind == 1:  # pandas metadata that is not JSON / not UTF-8 / the wrong shape
        bad = _pick(rng, [b"{not json", b"\xff\xfe", json.dumps({"columns": 5}).encode(), b"[]",
                          json.dumps({"index_columns": ["nope"], "columns": []}).encode()])
        table = table.replace_schema_metadata({b"pandas": bad})
    elif kind == 2 and table.num_columns > 1:  # a duplicated column name
        names = list(table.column_names)
        names[-1] = names[0]
        table = table.rename_columns(names)
    else:  # nested values
        table = table.append_column("nested", pa.array([[1, 2]] * table.num_rows))
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue(), suffix


# --------------------------------------------------------------------------- helpers

def _text(data: bytes):
    for enc in ("utf-8", "latin-1"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    return None, None  # pragma: no cover - latin-1 decodes anything


def _delim(text: str) -> str:
    first = text.split("\n", 1)[0]
    return max([",", ";", "\t", "|"], key=first.count)


#: name -> (mutator, which seed suffixes it suits; None = any)
MUTATORS = {
    "truncate": (truncate, None),
    "flip_bytes": (flip_bytes, None),
    "nul_bytes": (nul_bytes, None),
    "odd_encoding": (odd_encoding, TEXT_SUFFIXES),
    "nested": (nested, (".json", ".qsf", ".yaml", ".csv")),
    "corrupt_archive": (corrupt_archive, (".xlsx",)),
    "formulas": (formulas, (".csv", ".txt", ".tsv")),
    "csv_shapes": (csv_shapes, (".csv", ".txt", ".tsv")),
    "wide": (wide, None),
    "long": (long, None),
    "parquet_damage": (parquet_damage, (".parquet",)),
}
