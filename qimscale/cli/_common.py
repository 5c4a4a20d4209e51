"""Helpers shared by the command modules: JSON output, item selection, data loading.

Kept free of heavy imports at module level so that ``--help`` stays fast.
"""

from __future__ import annotations

import json
import math
from typing import Any

import click


def to_jsonable(obj: Any) -> Any:
    """Convert results to plain JSON types.

    NaN and infinities become ``None`` (``null``); numpy scalars and arrays,
    pandas objects and dataclasses are converted. Floats keep full double
    precision (``json`` writes ``repr``), as the CLI contract requires.
    """
    import dataclasses

    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [to_jsonable(v) for v in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    mod = type(obj).__module__
    if mod.startswith("numpy"):
        import numpy as np

        if isinstance(obj, np.ndarray):
            return to_jsonable(obj.tolist())
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, np.integer):
            return int(obj)
        if isinstance(obj, np.floating):
            return to_jsonable(float(obj))
    if mod.startswith("pandas"):
        import pandas as pd

        if isinstance(obj, pd.DataFrame):
            return to_jsonable(obj.to_dict(orient="records"))
        if isinstance(obj, pd.Series):
            return to_jsonable(obj.to_dict())
        if obj is pd.NA or obj is pd.NaT:
            return None
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    return str(obj)


def emit_json(obj: Any) -> None:
    """Print exactly one JSON object on stdout (NaN written as ``null``)."""
    click.echo(json.dumps(to_jsonable(obj), allow_nan=False, ensure_ascii=False))


def split_list(value: str | None) -> list[str] | None:
    """Split a comma-separated option value; ``None`` stays ``None``."""
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    return [p for p in parts if p]


def parse_scale_option(spec: str) -> tuple[str, list[str], list[str]]:
    """Parse ``NAME=a,b,-c`` into ``(name, items, reversed_items)``.

    A leading ``-`` marks a reverse-keyed item.

    >>> parse_scale_option("lead=l1,l2,-l3")
    ('lead', ['l1', 'l2', 'l3'], ['l3'])
    """
    if "=" not in spec:
        raise click.BadParameter(f"expected NAME=item1,item2,-item3; got {spec!r}", param_hint="--scale")
    name, _, rest = spec.partition("=")
    name = name.strip()
    items: list[str] = []
    rev: list[str] = []
    for tok in split_list(rest) or []:
        if tok.startswith("-"):
            tok = tok[1:].strip()
            rev.append(tok)
        items.append(tok)
    if not name or not items:
        raise click.BadParameter(f"expected NAME=item1,item2,-item3; got {spec!r}", param_hint="--scale")
    return name, items, rev


# --------------------------------------------------------------------------- item selection

class ScaleSpec:
    """A resolved set of items to analyse together.

    Attributes
    ----------
    name : str
        Scale id (from ``--scale NAME=...``, the instrument, or ``"items"``).
    items : list of str
        Column names, in order.
    reverse : list of str
        Items to reverse-key as ``min + max - x``.
    min, max : float or None
        The response range, needed only when ``reverse`` is not empty.
    """

    def __init__(self, name, items, reverse=(), min=None, max=None):  # noqa: A002
        self.name = name
        self.items = list(items)
        self.reverse = list(reverse)
        self.min = min
        self.max = max

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"ScaleSpec({self.name!r}, {self.items!r}, reverse={self.reverse!r})"

    def recoded(self, df):
        """Return ``df[items]`` with reverse-keyed items recoded as ``min + max - x``."""
        sub = df[self.items].copy()
        if self.reverse:
            if self.min is None or self.max is None:
                from qimscale.errors import DataError

                raise DataError(
                    f"scale '{self.name}': reverse-keyed items {', '.join(self.reverse)} need the response "
                    "range; pass --min and --max (or use --instrument)"
                )
            for it in self.reverse:
                sub[it] = self.min + self.max - sub[it]
        return sub


def item_options(func):
    """Add the contract's item-selection options: --items, --scale, --min, --max, --instrument."""
    opts = [
        click.option("--items", help="Comma-separated item columns to analyse."),
        click.option("--scale", "scales", multiple=True, metavar="NAME=a,b,-c",
                     help="Define a scale; a leading '-' marks a reverse-keyed item. Repeatable."),
        click.option("--min", "min_", type=float, help="Lowest response code (for reverse keying)."),
        click.option("--max", "max_", type=float, help="Highest response code (for reverse keying)."),
        click.option("--instrument", "instrument", metavar="SPEC",
                     help="Instrument YAML whose scales to use (default: the bundled QIM instrument "
                          "when no items are given)."),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


def resolve_scales(columns, *, items=None, scales=(), min_=None, max_=None, instrument=None,
                   include_exploratory=True, source="the data"):
    """Turn the item-selection options into a list of :class:`ScaleSpec`.

    Priority: ``--scale`` definitions, then ``--items`` (one scale named
    ``"items"``), then the instrument's scales (bundled by default). Every
    item must be a column of the data.
    """
    from qimscale.errors import DataError

    columns = list(columns)
    specs: list[ScaleSpec] = []
    if scales:
        for spec in scales:
            name, its, rev = parse_scale_option(spec)
            specs.append(ScaleSpec(name, its, rev, min_, max_))
    elif items:
        its = split_list(items) if isinstance(items, str) else list(items)
        rev = [i[1:] for i in its if i.startswith("-")]
        its = [i[1:] if i.startswith("-") else i for i in its]
        specs.append(ScaleSpec("items", its, rev, min_, max_))
    else:
        from qimscale.instrument import load_instrument

        inst = load_instrument(instrument)
        for sc in inst.scales:
            if getattr(sc, "exploratory", False) and not include_exploratory:
                continue
            its = [it.id for it in inst.scale_items(sc.id)]
            if not its:
                continue
            rev = [it.id for it in inst.scale_items(sc.id) if it.reverse]
            lo, hi = inst.response_range(its[0])
            specs.append(ScaleSpec(sc.id, its, rev, lo if min_ is None else min_, hi if max_ is None else max_))
        present = [s for s in specs if all(i in columns for i in s.items)]
        if not present:
            raise DataError(
                f"{source}: none of the instrument's scales is complete in the data; pass --items or --scale"
            )
        specs = present
    for s in specs:
        missing = [i for i in s.items if i not in columns]
        if missing:
            raise DataError(
                f"{source}: scale '{s.name}': column(s) {', '.join(repr(m) for m in missing)} not found; "
                f"available columns: {', '.join(columns[:30])}{' ...' if len(columns) > 30 else ''}"
            )
    return specs
