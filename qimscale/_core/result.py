"""The result protocol every analysis result follows.

A report, the ``validate`` study runner and the CLI render any step without
knowing its type through four members:

``to_dict()``
    Plain JSON-ready data (numbers at full precision, NaN allowed; the CLI turns
    NaN into ``null``).
``tables()``
    ``dict[str, pandas.DataFrame]``: the step's tables, named (``"items"``,
    ``"loadings"``, ``"fit"``, ...), ready for CSV or an APA table.
``summary()``
    A short human-readable text.
``warnings``
    ``list[str]``: what the user should know about this result (each message once).

:class:`Result` gives defaults so a result class needs to define only what it
has; :func:`check_protocol` is what tests use to hold every result to it.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class ResultProtocol(Protocol):
    """Structural type of a result (see the module docstring)."""

    warnings: list[str]

    def to_dict(self) -> dict[str, Any]: ...

    def tables(self) -> dict[str, Any]: ...

    def summary(self) -> str: ...


class Result:
    """Mixin with default protocol members.

    Subclasses (usually dataclasses) override :meth:`to_dict` and :meth:`tables`;
    :meth:`summary` defaults to the tables printed one after the other.
    ``warnings`` defaults to an empty list when the subclass does not set it.
    """

    #: name used in summaries and reports; subclasses set it
    title: str = "Result"

    def __getattr__(self, name: str):
        # A result created without a ``warnings`` field still answers the protocol.
        if name == "warnings":
            return []
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def to_dict(self) -> dict[str, Any]:
        import dataclasses

        if dataclasses.is_dataclass(self):
            return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def tables(self) -> dict[str, Any]:
        return {}

    def summary(self) -> str:
        parts = [self.title]
        for name, table in self.tables().items():
            parts.append(f"\n{name}\n{table.to_string()}")
        for w in self.warnings:
            parts.append(f"Warning: {w}")
        return "\n".join(parts)


def row_table(values: dict[str, Any]):
    """One-row DataFrame of a result's scalar statistics (for ``tables()``).

    >>> row_table({"alpha": 0.8, "n": 50}).to_dict("records")
    [{'alpha': 0.8, 'n': 50}]
    """
    import pandas as pd

    return pd.DataFrame([dict(values)])


def measure_table(values: dict[str, Any]):
    """Named scalar statistics as a two-column table ``measure, value`` (for ``tables()``).

    Entries that are not numbers (strings, lists, mappings) are left out, so the
    ``value`` column stays numeric, like ``lavaan::fitMeasures()``.

    >>> measure_table({"cfi": 0.97, "df": 2, "missing": "listwise"}).to_dict("list")
    {'measure': ['cfi', 'df'], 'value': [0.97, 2.0]}
    """
    import numbers

    import pandas as pd

    keep = [(k, float(v)) for k, v in values.items()
            if isinstance(v, numbers.Real) and not isinstance(v, bool)]
    return pd.DataFrame({"measure": [k for k, _ in keep], "value": [v for _, v in keep]})


def check_protocol(result: Any) -> None:
    """Raise ``AssertionError`` unless ``result`` follows the protocol (for tests).

    >>> import dataclasses
    >>> @dataclasses.dataclass
    ... class Demo(Result):
    ...     x: float = 1.0
    >>> check_protocol(Demo())
    """
    import pandas as pd

    d = result.to_dict()
    if not isinstance(d, dict):
        raise AssertionError(f"{type(result).__name__}.to_dict() returned {type(d).__name__}, not dict")
    t = result.tables()
    if not isinstance(t, dict) or not all(isinstance(k, str) and isinstance(v, pd.DataFrame) for k, v in t.items()):
        raise AssertionError(f"{type(result).__name__}.tables() must map names to DataFrames")
    s = result.summary()
    if not isinstance(s, str):
        raise AssertionError(f"{type(result).__name__}.summary() must return str")
    w = result.warnings
    if not isinstance(w, list) or not all(isinstance(m, str) for m in w):
        raise AssertionError(f"{type(result).__name__}.warnings must be a list of str")
