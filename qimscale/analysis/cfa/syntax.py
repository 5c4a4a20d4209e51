"""Parse a subset of lavaan's model syntax into formula statements.

Supported operators: ``=~`` (measured by), ``~`` (regressed on), ``~~``
(covariance), ``~1`` (intercept/mean), ``|`` (thresholds, for ordinal items:
``x1 | t1 + t2``), ``~*~`` (scale factors of the delta parameterisation) and
``:=`` (defined parameters). Right-hand terms may carry modifiers:
``1*x`` (fixed value), ``a*x`` (label; shared labels mean equality), ``NA*x``
(free a parameter that would be fixed by default), ``c(a, b)*x`` /
``c(1, NA)*x`` (one modifier per group), and several modifiers in a row
(``NA*a*x``). Comments start with ``#`` or ``!``; statements end at a newline
or ``;`` and continue on the next line when a line ends with an operator
(``+``, ``*``, ``=~``, ``~``, ``~~``, ``:=``) or the next line starts with ``+``.

Errors raise :class:`~qimscale.errors.ModelError` showing the line and a
caret ``^`` under the fault, as lavaan's parser does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qimscale.errors import ModelError

__all__ = ["Modifier", "Term", "Statement", "parse_model", "read_model_text"]

# longest first so that "=~" is not read as "~"
_OPERATORS = ("~*~", ":=", "=~", "~~", "==", "<", ">", "~", "|")
_NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


@dataclass
class Modifier:
    """One modifier of a right-hand term, possibly one value per group.

    ``kind`` is ``"fixed"`` (``values`` are floats; ``None`` stands for
    ``NA`` = free) or ``"label"`` (``values`` are label strings).
    """

    kind: str
    values: list


@dataclass
class Term:
    """A right-hand term (a variable name, ``"1"`` for an intercept, or a threshold name)."""

    name: str
    modifiers: list[Modifier] = field(default_factory=list)

    def fixed(self, group: int):
        """Fixed value for ``group`` (0-based): float, ``None`` (explicitly free) or ``...`` (not set)."""
        for m in self.modifiers:
            if m.kind == "fixed":
                return _pick(m.values, group)
        return ...

    def label(self, group: int) -> str:
        """Label for ``group`` (0-based), or ``""``."""
        for m in self.modifiers:
            if m.kind == "label":
                lab = _pick(m.values, group)
                return "" if lab is None else lab
        return ""


def _pick(values: list, group: int):
    if len(values) == 1:
        return values[0]
    if group >= len(values):
        raise ModelError(f"a modifier c({', '.join(map(str, values))}) has {len(values)} values but the "
                         f"model has more groups; give one value per group")
    return values[group]


@dataclass
class Statement:
    """One parsed statement: ``lhs op rhs`` with its source line (1-based)."""

    lhs: list[str]
    op: str
    rhs: list[Term]
    line: int
    text: str
    expression: str = ""  # for ":=" (and "==", "<", ">")


def _error(msg: str, line_no: int, line: str, col: int) -> ModelError:
    caret = " " * max(col, 0) + "^"
    return ModelError(f"model syntax error on line {line_no}, column {col + 1}: {msg}\n  {line}\n  {caret}")


def _strip_comment(line: str) -> str:
    out = []
    quote = None
    for ch in line:
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "#!":
            break
        out.append(ch)
    return "".join(out)


def _find_operator(text: str):
    """Return (op, position) of the statement's main operator, or (None, -1)."""
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            for op in _OPERATORS:
                if text.startswith(op, i):
                    return op, i
        i += 1
    return None, -1


def _logical_statements(model: str):
    """Yield (line_no, line_text, statement_text, offset_in_line) joining continued lines."""
    raw = model.splitlines()
    pieces = []  # (line_no, full line, piece, col offset)
    for no, line in enumerate(raw, start=1):
        body = _strip_comment(line)
        col = 0
        for part in body.split(";"):
            if part.strip():
                lead = len(part) - len(part.lstrip())
                pieces.append((no, line, part.strip(), col + lead))
            col += len(part) + 1
    stmts = []
    for no, line, piece, col in pieces:
        op, _ = _find_operator(piece)
        if stmts and (stmts[-1][2].rstrip().endswith(("+", "*", "~", ":=", "|"))
                      or piece.startswith(("+", "*"))):
            prev = stmts[-1]
            stmts[-1] = (prev[0], prev[1], prev[2] + " " + piece, prev[3])
            continue
        if op is None:
            raise _error("no operator found (expected =~, ~, ~~, ~1 or :=); to continue the previous "
                         "line, end it with '+'", no, line, col)
        stmts.append((no, line, piece, col))
    if not stmts:
        raise ModelError("the model is empty; give lavaan syntax such as 'F =~ x1 + x2 + x3'")
    return stmts


def _parse_modifier(tok: str, no: int, line: str, col: int) -> Modifier:
    tok = tok.strip()
    if tok.startswith("c(") and tok.endswith(")"):
        vals = [v.strip() for v in tok[2:-1].split(",")]
        parsed = [_parse_modifier(v, no, line, col) for v in vals]
        kinds = {p.kind for p in parsed}
        if len(kinds) != 1:
            raise _error("a c(...) modifier must hold either only numbers/NA or only labels", no, line, col)
        return Modifier(parsed[0].kind, [p.values[0] for p in parsed])
    if tok in ("NA", "na"):
        return Modifier("fixed", [None])
    if re.fullmatch(_NUMBER, tok):
        return Modifier("fixed", [float(tok)])
    m = re.fullmatch(r"(?:label|equal)\(\s*[\"']([^\"']+)[\"']\s*\)", tok)
    if m:
        return Modifier("label", [m.group(1)])
    if re.fullmatch(r"[\"']([^\"']+)[\"']", tok):
        return Modifier("label", [tok[1:-1]])
    if re.fullmatch(_NAME, tok):
        return Modifier("label", [tok])
    if tok.startswith("start("):
        return Modifier("start", [tok])
    raise _error(f"cannot read the modifier {tok!r}; use a number, NA or a label", no, line, col)


def _split_terms(text: str, sep: str = "+"):
    """Split on top-level ``sep`` (outside parentheses) keeping the offset of each piece."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            out.append((text[start:i], start))
            start = i + 1
    out.append((text[start:], start))
    return out


def _parse_rhs(text: str, offset: int, op: str, no: int, line: str) -> list[Term]:
    terms = []
    for raw, start in _split_terms(text):
        col = offset + start + (len(raw) - len(raw.lstrip()))
        tok = raw.strip()
        if not tok:
            raise _error("an empty term (two '+' in a row, or a '+' at the end)", no, line, col)
        parts = [piece for piece, _ in _split_terms(tok, "*")]
        name = parts[-1].strip()
        ok_name = re.fullmatch(_NAME, name) or (name == "1" and op == "~") or (name == "0" and op == "~")
        if not ok_name:
            bad = col + len(tok) - len(parts[-1].lstrip())
            raise _error(f"{name!r} is not a valid variable name", no, line, bad)
        mods = [m for m in (_parse_modifier(p, no, line, col) for p in parts[:-1]) if m.kind != "start"]
        terms.append(Term(name, mods))
    return terms


def parse_model(model: str) -> list[Statement]:
    """Parse lavaan model syntax into a list of :class:`Statement`.

    Parameters
    ----------
    model : str
        Model text in lavaan syntax.

    Returns
    -------
    list of Statement

    Raises
    ------
    ModelError
        With the line number and a caret under the fault.

    Examples
    --------
    >>> st = parse_model("visual =~ x1 + a*x2 + 1*x3\\n x1 ~~ x2")
    >>> [(s.lhs, s.op, [t.name for t in s.rhs]) for s in st]
    [(['visual'], '=~', ['x1', 'x2', 'x3']), (['x1'], '~~', ['x2'])]
    >>> st[0].rhs[1].label(0), st[0].rhs[2].fixed(0)
    ('a', 1.0)
    """
    if not isinstance(model, str) or not model.strip():
        raise ModelError("the model is empty; give lavaan syntax such as 'F =~ x1 + x2 + x3'")
    out: list[Statement] = []
    for no, line, text, col in _logical_statements(model):
        op, pos = _find_operator(text)
        if op is None:
            raise _error("no operator found (expected =~, ~, ~~, ~1 or :=)", no, line, col)
        lhs_txt, rhs_txt = text[:pos], text[pos + len(op):]
        rhs_off = col + pos + len(op) + (len(rhs_txt) - len(rhs_txt.lstrip()))
        if op in ("<", ">"):
            raise _error(f"the inequality constraint operator '{op}' is not supported; fix the parameter "
                         "or use equality constraints ('a == b')", no, line, col + pos)
        if op == "==":
            left, right = lhs_txt.strip(), rhs_txt.strip()
            if not left or not right:
                raise _error("an equality constraint needs an expression on both sides of '=='",
                             no, line, col + pos)
            out.append(Statement([left], op, [], no, text, expression=right))
            continue
        if op == ":=":
            name = lhs_txt.strip()
            if not re.fullmatch(_NAME, name):
                raise _error(f"{name!r} is not a valid name for a defined parameter", no, line, col)
            expr = rhs_txt.strip()
            if not expr:
                raise _error("missing expression after ':='", no, line, col + pos + 2)
            out.append(Statement([name], op, [], no, text, expression=expr))
            continue
        lhs = [s.strip() for s in lhs_txt.split("+")]
        for nm in lhs:
            if not re.fullmatch(_NAME, nm):
                raise _error(f"{nm!r} is not a valid variable name on the left of '{op}'", no, line, col)
        if not rhs_txt.strip():
            raise _error(f"nothing on the right of '{op}'", no, line, col + pos + len(op))
        rhs = _parse_rhs(rhs_txt.strip(), rhs_off, op, no, line)
        if op == "~" and any(t.name == "1" for t in rhs):
            if len(rhs) > 1:
                raise _error("write an intercept '~ 1' as its own statement", no, line, col + pos)
            op = "~1"
        out.append(Statement(lhs, op, rhs, no, text))
    return out


def read_model_text(model: str) -> str:
    """Return model syntax: ``model`` itself, or the contents of the file it names.

    Raises
    ------
    ModelError
        ``model`` has no lavaan operator and is not an existing file.
    """
    from pathlib import Path

    if not isinstance(model, str):
        raise ModelError("the model must be lavaan syntax (a string) or the path of a file holding it")
    if "\n" not in model and not any(op in model for op in ("=~", "~", ":=")):
        path = Path(model.strip())
        if path.is_file():
            return path.read_text(encoding="utf-8")
        raise ModelError(f"model {model!r} is neither lavaan syntax nor an existing file")
    return model
