"""Text output: numbers (JSON keeps full precision; see :mod:`qimscale._core.jsonable`) and cell values in messages.

Every message that quotes a value of the user's data (a reader's, the scoring's, an analysis's
item check) shows it with :func:`show_value`: text quoted, numbers bare, dates in ISO 8601, cut
to :data:`MAX_SHOWN` characters with the length stated. Standard library only, so the readers
and ``qimscale --help`` do not import numpy through it.
"""

from __future__ import annotations

import math
import numbers

#: longest cell text shown in a message; longer values are cut and their length stated
MAX_SHOWN = 80


def format_p(p, digits: int = 3) -> str:
    """A p-value for text output: ``< .001`` below .001 (APA style), else ``digits`` decimals.

    JSON output keeps the number itself; only the text rendering uses this.

    >>> format_p(0.0000012), format_p(0.0342), format_p(1.0), format_p(float("nan"))
    ('< .001', '0.034', '1.000', '-')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "-"
    p = float(p)
    floor = 10.0 ** -digits
    if p < floor:
        return "< " + f"{floor:.{digits}f}".lstrip("0")
    return f"{p:.{digits}f}"


def p_text(p, digits: int = 3) -> str:
    """``p = 0.034`` or ``p < .001`` (see :func:`format_p`).

    >>> p_text(0.0), p_text(0.25)
    ('p < .001', 'p = 0.250')
    """
    s = format_p(p, digits)
    return f"p {s}" if s.startswith("<") else f"p = {s}"


def cell_text(value) -> str:
    """A cell value as text: ISO dates, whole floats without ``.0``, bytes decoded, ``None`` as ``''``.

    >>> cell_text(3.0), cell_text(2.5), cell_text(None), cell_text(b"a\\xff")
    ('3', '2.5', '', 'a\\\\xff')
    """
    import datetime

    if value is None:
        return ""
    value = _plain(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        try:
            return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
        except (ValueError, TypeError):  # NaT
            return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


def _plain(value):
    """A numpy scalar as its Python value (``np.float64(2.5)`` -> ``2.5``, ``np.bool_`` -> ``bool``)."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        try:
            return value.item()
        except (AttributeError, ValueError):
            pass
    return value


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` cut to ``limit`` characters with its length stated, unquoted (text quoted inside a message).

    >>> shorten("bad zip"), shorten("x" * 100, 5)
    ('bad zip', 'xxxxx… (100 characters)')
    """
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def show_value(value, limit: int = MAX_SHOWN) -> str:
    """A cell value as a message shows it: numbers bare, anything else quoted as text, cut to ``limit``.

    Numbers (and booleans) appear as :func:`cell_text` writes them (``3``, ``2.5``, ``inf``); text,
    dates (ISO 8601, never ``Timestamp('...')``) and other values are quoted. Text longer than
    ``limit`` characters is cut, the quote closed, and its length stated.

    >>> show_value("Agree"), show_value(2.5), show_value(float("inf")), show_value(3.0), show_value(True)
    ("'Agree'", '2.5', 'inf', '3', 'True')
    >>> import datetime
    >>> show_value(datetime.datetime(2024, 5, 1, 9, 30)), show_value(None)
    ("'2024-05-01 09:30:00'", "''")
    >>> show_value("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (100 characters)"
    """
    value = _plain(value)
    text = cell_text(value)
    if isinstance(value, (bool, numbers.Number)) and not isinstance(value, complex):
        return text
    if len(text) > limit:
        return f"{text[:limit] + '…'!r} ({len(text)} characters)"
    return repr(text)
