"""Number formatting for text output (JSON keeps full precision; see :mod:`qimscale._core.jsonable`)."""

from __future__ import annotations

import math


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
