"""Byte-level checks for delimited text: emptiness, binary content, encoding, delimiter.

These helpers never modify the input. They turn the raw bytes of a file into
UTF-8 text (with the detected encoding recorded) or raise
:class:`~qimscale.errors.DataError` with a message that says what is wrong.
"""

from __future__ import annotations

import codecs
import csv
import io

from qimscale.errors import DataError

#: delimiters tried when sniffing, in order of preference on a tie
DELIMITERS = (",", ";", "\t", "|")

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def check_not_binary(raw: bytes, source: str) -> None:
    """Raise if ``raw`` looks like binary data rather than delimited text.

    A NUL byte in the first 64 KiB (outside a UTF-16/32 BOM) or more than 10 %
    of control characters other than tab, CR and LF is taken as binary.
    """
    head = raw[:65536]
    if any(head.startswith(bom) for bom, enc in _BOMS if enc != "utf-8-sig"):
        return
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    if b"\x00" in head or (head and ctrl / len(head) > 0.10):
        raise DataError(
            f"{source}: the file holds binary data, not delimited text; check that it is really a "
            "CSV/TSV export (an Excel or SPSS file needs the .xlsx or .sav suffix, or --format)"
        )


def decode(raw: bytes, source: str) -> tuple[str, str]:
    """Decode ``raw`` to text and return ``(text, encoding)``.

    Order: a byte-order mark decides (UTF-8/16/32); otherwise strict UTF-8;
    otherwise windows-1252 (what Excel on Windows writes) when
    :mod:`charset_normalizer` guesses a single-byte code page and the bytes are
    valid windows-1252; otherwise its guess. The BOM is removed.
    """
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(enc).lstrip("\ufeff"), enc
            except UnicodeDecodeError as exc:
                raise DataError(f"{source}: the file starts with a {enc} byte-order mark but is not "
                                f"valid {enc} at byte {exc.start}") from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:1_000_000]).best()
    guess = best.encoding if best is not None else None
    # A short file rarely tells apart the Western single-byte code pages; Excel on
    # Windows writes windows-1252, so prefer it whenever the guess is a single-byte
    # code page and the bytes are valid windows-1252.
    single_byte = guess is None or guess.startswith(("cp125", "iso8859", "latin", "mac_", "cp8"))
    candidates = (["cp1252"] if single_byte else []) + ([guess] if guess else []) + ["cp1252"]
    for enc in candidates:
        try:
            return raw.decode(enc), _canonical(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    raise DataError(f"{source}: cannot tell the text encoding; save the file as UTF-8 and retry")


def _canonical(enc: str) -> str:
    return "windows-1252" if enc.lower().replace("_", "-") in ("cp1252", "windows-1252") else enc


def sniff_delimiter(text: str, *, default: str = ",") -> str:
    """Guess the delimiter from the first lines of ``text``.

    The delimiter is the candidate (``, ; TAB |``) that occurs outside quotes
    the same, non-zero number of times on the most of the first 20 lines
    (Kobo exports use ``;``); ties go to the earlier candidate.
    """
    lines = []
    for line in io.StringIO(text[:65536]):
        if line.strip():
            lines.append(line)
        if len(lines) >= 20:
            break
    if not lines:
        return default
    best, best_score = default, (0, 0)
    for delim in DELIMITERS:
        counts = [_count_outside_quotes(line, delim) for line in lines]
        first = counts[0]
        if first == 0:
            continue
        agree = sum(1 for c in counts if c == first)
        score = (agree, first)
        if score > best_score:
            best, best_score = delim, score
    return best


def _count_outside_quotes(line: str, delim: str) -> int:
    n, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delim and not quoted:
            n += 1
    return n


def head_records(text: str, delimiter: str, n: int = 6) -> list[list[str]]:
    """Parse the first ``n`` records of ``text`` with :mod:`csv` (quotes honoured)."""
    reader = csv.reader(io.StringIO(text[: 1 << 20]), delimiter=delimiter)
    out = []
    try:
        for rec in reader:
            out.append(rec)
            if len(out) >= n:
                break
    except csv.Error:
        pass
    return out


def check_quotes(text: str, delimiter: str, source: str) -> None:
    """Raise if a quoted field is never closed, naming the spreadsheet row where the open quote starts.

    A well-formed file holds an even number of ``"`` characters (escaped quotes
    are doubled); only when the count is odd is the file parsed strictly to
    find the record (spreadsheet row: header = row 1, blank lines counted)
    where the open quote starts.
    """
    if text.count('"') % 2 == 0:
        return
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    row = 1
    try:
        for _ in reader:
            row += 1
    except csv.Error as exc:
        what = ("a quoted field is never closed (unterminated \")" if "end of data" in str(exc)
                else f"bad quoting ({one_line(exc)})")
        raise DataError(f"{source}: row {row}: {what}; fix the quoting in that row") from None


# --------------------------------------------------------------------------- text for messages

def one_line(text) -> str:
    """``text`` (or an exception's message) on one line: line breaks and runs of spaces become one space.

    Library errors (openpyxl's, pyarrow's) may span several lines; an ``Error:``
    line must not.

    >>> one_line(ValueError("bad\\n  zip\\r\\nfile"))
    'bad zip file'
    """
    return " ".join(str(text).split()) or (type(text).__name__ if isinstance(text, BaseException) else "")
