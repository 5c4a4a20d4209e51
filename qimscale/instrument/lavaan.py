"""The instrument's measurement model as lavaan syntax: :func:`lavaan_model`.

The instrument declares its structure (items in sub-scales, sub-scales in
domains), so the confirmatory models need not be written by hand: the
first-order model has one factor per sub-scale, the second-order model adds one
factor per domain measured by its sub-scales. ``qimscale cfa``/``invariance``
use it when ``--model`` is not given, and ``qimscale instrument export
--format lavaan`` writes it.

lavaan syntax cannot recode data: reverse-keyed items are listed in a comment
and must be recoded as ``min + max - x`` before fitting (the commands do this
when they build the model themselves; ``qimscale score`` writes raw codes).
"""

from __future__ import annotations


def lavaan_model(inst, *, order: int = 1, kind: str | None = None, domain=None, columns=None,
                 comments: bool = True) -> str:
    """lavaan syntax of the instrument's first- or second-order model.

    Parameters
    ----------
    inst : Instrument
        The instrument (:func:`qimscale.instrument.load_instrument`).
    order : {1, 2}
        1: one factor per sub-scale (factors correlate freely, lavaan's
        default). 2: in addition, one factor per domain measured by its
        sub-scales (domains with a single selected sub-scale keep it as a
        first-order factor).
    kind : {'competency', 'outcome', 'exploratory', 'all'}, optional
        Which scales (see :meth:`~qimscale.instrument.Instrument.select_scales`);
        default the competency sub-scales.
    domain : str or list of str, optional
        Only the scales of these domains.
    columns : iterable of str, optional
        When given, scales with an item that is not a column are left out
        (a comment says so).
    comments : bool
        Lead with comments naming the instrument and the reverse-keyed items.

    Returns
    -------
    str
        Model syntax, one ``factor =~ item + item ...`` line per factor.

    Raises
    ------
    InstrumentError
        ``order`` not 1 or 2, or no scale selected.

    Notes
    -----
    Latent names are the scale and domain ids; a domain whose id is also a
    scale or item id is named ``<id>_domain``, and a factor whose name is a
    column of the data (a file written by ``qimscale score`` holds the scale
    scores under the scale ids) gets ``_f`` appended: lavaan refuses a latent
    variable named like an observed one.

    Examples
    --------
    >>> from qimscale.instrument import load_instrument
    >>> m = lavaan_model(load_instrument(), domain="expertise", comments=False)
    >>> print(m.splitlines()[0])
    exp_methods =~ exp_meth_1 + exp_meth_2 + exp_meth_3 + exp_meth_4 + exp_meth_5
    >>> print(lavaan_model(load_instrument(), order=2, domain="expertise", comments=False).splitlines()[-1])
    expertise =~ exp_methods + exp_implementation + exp_context
    """
    from qimscale.errors import InstrumentError

    if order not in (1, 2):
        raise InstrumentError(f"order must be 1 (sub-scales) or 2 (domains over sub-scales); got {order!r}")
    cols = None if columns is None else set(map(str, columns))
    scales, left_out = [], []
    for sc in inst.select_scales(kind=kind, domain=domain):
        items = [it.id for it in inst.scale_items(sc.id)]
        if not items:
            continue
        if cols is not None and not set(items) <= cols:
            left_out.append(sc.id)
            continue
        scales.append((sc, items))
    if not scales:
        raise InstrumentError(f"{inst.path}: no scale of the selection"
                              + (" is complete in the data" if cols is not None else "") + " to build a model from")
    lines = []
    if comments:
        rev = [i for _, its in scales for i in its if inst.get_item(i).reverse]
        lines.append(f"# {inst.id} {inst.version}: {'second' if order == 2 else 'first'}-order model "
                     f"({kind or 'competency'} scales{', domain ' + str(domain) if domain else ''}), "
                     "written by qimscale")
        if rev:
            lo, hi = inst.response_range(rev[0])
            lines.append(f"# reverse-keyed items, recode as {lo} + {hi} - x before fitting: {', '.join(rev)}")
        if left_out:
            lines.append(f"# left out (items missing from the data): {', '.join(left_out)}")
    observed = {it.id for it in inst.items} | (cols or set())

    def latent(name):  # a factor never takes the name of an observed column (a scored file has both)
        return f"{name}_f" if name in observed else name

    renamed = [sc.id for sc, _ in scales if latent(sc.id) != sc.id]
    if comments and renamed:
        lines.append(f"# factors named <scale>_f where the data have a column of the scale's name: {', '.join(renamed)}")
    for sc, items in scales:
        lines.append(f"{latent(sc.id)} =~ " + " + ".join(items))
    if order == 2:
        taken = {sc.id for sc, _ in scales} | {it.id for it in inst.items}
        by_domain: dict[str, list[str]] = {}
        for sc, _ in scales:
            by_domain.setdefault(sc.domain, []).append(latent(sc.id))
        for dom, sids in by_domain.items():
            if len(sids) >= 2:
                name = latent(f"{dom}_domain" if dom in taken else dom)
                lines.append(f"{name} =~ " + " + ".join(sids))
    return "\n".join(lines) + "\n"


def render(inst, form: str = "self", lang: str | None = None) -> str:  # noqa: ARG001 - exporter API
    """The ``--format lavaan`` export: the first-order model, then the second-order lines commented out.

    The file is valid lavaan syntax as it stands (the first-order model);
    removing the ``# `` in front of the domain lines gives the second-order
    model.
    """
    first = lavaan_model(inst, order=1)
    second = lavaan_model(inst, order=2, comments=False).splitlines()
    extra = second[len([ln for ln in first.splitlines() if not ln.startswith("#")]):]
    out = first
    if extra:
        out += "\n# second-order model (domains over sub-scales): remove '# ' from the lines below\n"
        out += "".join(f"# {ln}\n" for ln in extra)
    return out
