"""Scales as item lists: parse ``NAME=a,b,-c``, resolve item options against the data and the instrument.

This is the library side of the CLI's item-selection options (``--items``,
``--scale``, ``--min``/``--max``, ``--instrument``), so that ``validate`` and the
API resolve scales the same way the commands do. Errors are
:class:`~qimscale.errors.DataError` (bad data) or ``ValueError`` (a malformed
``NAME=...`` spec; the CLI turns it into a usage error).
"""

from __future__ import annotations


def split_list(value):
    """Split a comma-separated value; ``None`` stays ``None``.

    >>> split_list("a, b,,c")
    ['a', 'b', 'c']
    """
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    return [p for p in parts if p]


def parse_scale_spec(spec: str) -> tuple[str, list[str], list[str]]:
    """Parse ``NAME=a,b,-c`` into ``(name, items, reversed_items)``.

    A leading ``-`` marks a reverse-keyed item.

    >>> parse_scale_spec("lead=l1,l2,-l3")
    ('lead', ['l1', 'l2', 'l3'], ['l3'])
    """
    if "=" not in spec:
        raise ValueError(f"expected NAME=item1,item2,-item3; got {spec!r}")
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
        raise ValueError(f"expected NAME=item1,item2,-item3; got {spec!r}")
    return name, items, rev




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




def instrument_scales(inst, *, kind=None, domain=None):
    """The instrument's scales selected by ``--kind`` and ``--domain``; see
    :meth:`qimscale.instrument.Instrument.select_scales`.

    >>> from qimscale.instrument import load_instrument
    >>> [s.id for s in instrument_scales(load_instrument(), kind="exploratory")]
    ['ext_orientation']
    """
    return inst.select_scales(kind=kind, domain=domain)


def resolve_scales(columns, *, items=None, scales=(), min_=None, max_=None, instrument=None,
                   include_exploratory=None, source="the data", kind=None, domain=None):
    """Turn the item-selection options into a list of :class:`ScaleSpec`.

    Priority: ``--scale`` definitions, then ``--items`` (one scale named
    ``"items"``), then the instrument's scales (bundled by default) selected by
    ``kind`` and ``domain`` (see :func:`instrument_scales`; by default the
    competency sub-scales only, with the instrument's reverse keys). Every
    item must be a column of the data. ``include_exploratory=True`` (older
    callers) adds the exploratory scales to the selection.
    """
    from qimscale.errors import DataError

    columns = list(columns)
    specs: list[ScaleSpec] = []
    if scales:
        for spec in scales:
            name, its, rev = parse_scale_spec(spec)
            specs.append(ScaleSpec(name, its, rev, min_, max_))
    elif items:
        its = split_list(items) if isinstance(items, str) else list(items)
        rev = [i[1:] for i in its if i.startswith("-")]
        its = [i[1:] if i.startswith("-") else i for i in its]
        specs.append(ScaleSpec("items", its, rev, min_, max_))
    else:
        from qimscale.instrument import load_instrument

        inst = load_instrument(instrument)
        chosen = instrument_scales(inst, kind=kind, domain=domain)
        if include_exploratory and (kind or "competency") != "all":
            chosen += [sc for sc in instrument_scales(inst, kind="exploratory", domain=domain) if sc not in chosen]
        for sc in chosen:
            its = [it.id for it in inst.scale_items(sc.id)]
            if not its:
                continue
            rev = [it.id for it in inst.scale_items(sc.id) if it.reverse]
            lo, hi = inst.response_range(its[0])
            specs.append(ScaleSpec(sc.id, its, rev, lo if min_ is None else min_, hi if max_ is None else max_))
        present = [s for s in specs if all(i in columns for i in s.items)]
        if not present:
            doms = [domain] if isinstance(domain, str) else list(domain or [])
            what = (f"{kind} scales" if kind else "scales" if doms else "competency scales") + (
                f" of domain {', '.join(doms)}" if doms else "")
            raise DataError(
                f"{source}: none of the instrument's {what} is complete in the data; pass --items or --scale"
                + ("" if kind == "all" else " (or --kind all)")
            )
        specs = present
    for s in specs:
        missing = [i for i in s.items if i not in columns]
        if missing:
            near = {m: c for m in missing for c in columns if str(c).strip().casefold() == m.strip().casefold()}
            hint = ("; the file has " + ", ".join(f"{c!r} for {m!r}" for m, c in near.items())
                    + " (names must match exactly, spaces and case included)") if near else ""
            raise DataError(
                f"{source}: scale '{s.name}': column(s) {', '.join(repr(m) for m in missing)} not found{hint}; "
                f"available columns: {', '.join(columns[:30])}{' ...' if len(columns) > 30 else ''}"
            )
    return specs


def reverse_keyed(df, specs):
    """A copy of ``df`` with every reverse-keyed item of ``specs`` recoded as ``min + max - x``.

    Used by ``cfa``/``invariance`` when the model comes from the instrument, so
    the factor loadings of reverse-keyed items are positive (as scoring and
    ``reliability`` assume). Returns ``(data, recoded_items)``.

    >>> import pandas as pd
    >>> d, done = reverse_keyed(pd.DataFrame({"a": [1, 5], "b": [2, 4]}), [ScaleSpec("s", ["a", "b"], ["b"], 1, 5)])
    >>> d["b"].tolist(), done
    ([4, 2], ['b'])
    """
    out = df.copy()
    done: list[str] = []
    for s in specs:
        rec = s.recoded(df)
        for it in s.reverse:
            if it not in done:
                out[it] = rec[it]
                done.append(it)
    return out, done


def _instrument_ranges(specs, instrument) -> None:
    """``--instrument`` with ``--items``/``--scale``: take the response range the contract says the
    instrument provides (unless --min/--max are given) when all the scale's items share one."""
    from qimscale.instrument import load_instrument

    inst = load_instrument(instrument)
    ids = {it.id for it in inst.items}
    for spec in specs:
        ranges = {inst.response_range(i) for i in spec.items if i in ids}
        if len(ranges) == 1:
            lo, hi = ranges.pop()
            spec.min = lo if spec.min is None else spec.min
            spec.max = hi if spec.max is None else spec.max


def _incomplete_scales(columns, specs, instrument, kind=None, domain=None):
    """Messages for the instrument's scales left out because only some of their items are in DATA."""
    from qimscale.instrument import load_instrument

    inst = load_instrument(instrument)
    used = {s.name for s in specs}
    for sc in instrument_scales(inst, kind=kind, domain=domain):
        its = [it.id for it in inst.scale_items(sc.id)]
        absent = [i for i in its if i not in columns]
        if sc.id not in used and absent and len(absent) < len(its):
            yield (f"scale '{sc.id}' left out: column(s) {', '.join(map(repr, absent))} not found "
                   "(pass --scale to analyse the items that are there)")




def model_from_instrument(data, *, instrument=None, kind=None, domain=None, order: int = 1):
    """The instrument's CFA model for the columns of ``data``, and ``data`` with its reverse keys applied.

    What ``qimscale cfa``/``invariance`` fit when no ``--model`` is given: the
    first-order (or, with ``order=2``, second-order) model of
    :func:`qimscale.instrument.lavaan_model` over the selected scales whose
    items are all columns of ``data``, with the reverse-keyed items recoded as
    ``min + max - x`` so that every loading is expected to be positive.

    Parameters
    ----------
    data : pandas.DataFrame
    instrument : str, Path or Instrument, optional
        Default: the bundled QIM instrument.
    kind, domain
        Scale selection (:meth:`~qimscale.instrument.Instrument.select_scales`).
    order : {1, 2}

    Returns
    -------
    model : str
        lavaan syntax.
    data : pandas.DataFrame
        A copy with the reverse-keyed items of the model recoded.
    notes : list of str
        What was chosen, for the command to print.

    Raises
    ------
    DataError
        No selected scale is complete in ``data``.
    """
    from qimscale.errors import DataError, InstrumentError
    from qimscale.instrument import Instrument, lavaan_model, load_instrument

    inst = instrument if isinstance(instrument, Instrument) else load_instrument(instrument)
    cols = [str(c) for c in data.columns]
    try:
        model = lavaan_model(inst, order=order, kind=kind, domain=domain, columns=cols)
    except InstrumentError as exc:
        raise DataError(f"no --model given, and {exc}: give --model (lavaan syntax), or data holding every "
                        "item of at least one of the instrument's scales (--kind/--domain choose them)") from None
    used = [ln.split("=~")[1].split("+") for ln in model.splitlines() if "=~" in ln and not ln.startswith("#")]
    items = {i.strip() for part in used for i in part} & set(cols)
    specs = [ScaleSpec(sc.id, [it.id for it in inst.scale_items(sc.id)],
                       [it.id for it in inst.scale_items(sc.id) if it.reverse and it.id in items],
                       *inst.response_range(inst.scale_items(sc.id)[0].id))
             for sc in inst.select_scales(kind=kind, domain=domain)
             if inst.scale_items(sc.id) and {it.id for it in inst.scale_items(sc.id)} <= items]
    recoded, done = reverse_keyed(data, specs)
    factors = [ln.split("=~")[0].strip() for ln in model.splitlines() if "=~" in ln and not ln.startswith("#")]
    notes = [f"no --model given: fitting the instrument's {'second' if order == 2 else 'first'}-order model "
             f"({len(factors)} factors: {', '.join(factors)}); 'qimscale instrument export --format lavaan' "
             "writes it"]
    if done:
        notes.append(f"reverse-keyed items recoded as min + max - x before fitting: {', '.join(done)}")
    left = [ln[len("# left out (items missing from the data): "):] for ln in model.splitlines()
            if ln.startswith("# left out")]
    if left:
        notes.append(f"scales left out because the data lack some of their items: {left[0]}")
    return model, recoded, notes
