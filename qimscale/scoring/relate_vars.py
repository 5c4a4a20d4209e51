"""Which scored columns the study commands use by default: the instrument's scale scores, its
competency domains and its outcome scale.

``qimscale score`` writes one column per scale (``<scale id>``) and per domain (``<domain id>``,
or ``<domain id>_domain`` when a scale has the domain's id). With no ``--predictors``, ``relate``
takes the competency domains found in DATA as predictors and the outcome scale (QI performance)
as outcome; with ``--correlations`` and no ``--vars``, every scale score found; ``compare`` and
``teams`` with no ``--vars`` every scale score found that holds a value
(:func:`default_scale_scores`).
"""

from __future__ import annotations


def _domain_column(dom_id: str, columns, scale_ids) -> str | None:
    for name in ((f"{dom_id}_domain",) if dom_id in scale_ids else (dom_id, f"{dom_id}_domain")):
        if name in columns:
            return name
    return None


def default_scale_scores(columns, instrument=None, data=None) -> dict:
    """The instrument's scale scores found in ``columns`` (instrument order), and those not usable.

    Parameters
    ----------
    columns : sequence of str
        The columns of DATA (the scored output of ``qimscale score``).
    instrument : str or Instrument, optional
        Instrument spec (default: the bundled QIM instrument).
    data : pandas.DataFrame, optional
        DATA itself: a scale column without any value is then left out (listed in ``empty``).

    Returns
    -------
    dict
        ``scores`` (scale columns found, with a value when ``data`` is given), ``empty`` (found
        but without any value), ``absent`` (scale ids not in ``columns``), ``scales`` (every
        scale id of the instrument), ``instrument`` (its id).

    Examples
    --------
    >>> d = default_scale_scores(["exp_methods", "lead_systems", "age"])
    >>> d["scores"], len(d["absent"]) == len(d["scales"]) - 2
    (['exp_methods', 'lead_systems'], True)
    """
    from qimscale.instrument import load_instrument

    inst = load_instrument(instrument)
    scales = [sc.id for sc in inst.scales]
    found = [s for s in scales if s in set(columns)]
    empty = [s for s in found if data is not None and not data[s].notna().any()]
    return {"scores": [s for s in found if s not in empty], "empty": empty,
            "absent": [s for s in scales if s not in found], "scales": scales,
            "instrument": getattr(inst, "id", None)}


def default_relate_variables(columns, instrument=None) -> dict:
    """The instrument's score columns present in ``columns``, by role.

    Parameters
    ----------
    columns : sequence of str
        The columns of DATA (the scored output of ``qimscale score``).
    instrument : str, optional
        Instrument spec (default: the bundled QIM instrument).

    Returns
    -------
    dict
        ``predictors`` (competency domain scores found, instrument order), ``outcome`` (the first
        outcome scale found, else an outcome domain, else ``None``), ``scores`` (every scale score
        found, for correlations; domain scores are left out because they are combinations of them), ``instrument`` (its id).

    Examples
    --------
    >>> cols = ["exp_methods", "expertise", "leadership", "interpersonal", "qi_performance", "performance"]
    >>> d = default_relate_variables(cols)
    >>> d["predictors"], d["outcome"]
    (['expertise', 'leadership', 'interpersonal'], 'qi_performance')
    """
    from qimscale.instrument import load_instrument

    inst = load_instrument(instrument)
    columns = set(columns)
    scale_ids = {sc.id for sc in inst.scales}
    doms = [(d, _domain_column(d.id, columns, scale_ids)) for d in inst.domains]
    predictors = [col for d, col in doms if col and d.kind == "competency"]
    outcomes = [sc.id for sc in inst.scales if sc.kind == "outcome" and sc.id in columns]
    outcomes += [col for d, col in doms if col and d.kind == "outcome" and col not in outcomes]
    # domain scores are (weighted) means of their scales: with them the partial correlations would be singular
    scores = default_scale_scores(columns, inst)["scores"]
    return {"predictors": predictors, "outcome": outcomes[0] if outcomes else None, "scores": scores,
            "instrument": getattr(inst, "id", None)}


def scale_item_map(columns, variables, instrument=None) -> tuple:
    """Items and number of response options of each variable that is an instrument scale.

    ``qimscale teams`` needs both for rwg(j): the items of each aggregated scale and the
    width of its response scale (the uniform null distribution's variance).

    Parameters
    ----------
    columns : sequence of str
        The data's columns.
    variables : sequence of str
        Candidate variables (scale ids and other columns).
    instrument : str or Instrument, optional
        Instrument spec (default: the bundled QIM instrument).

    Returns
    -------
    (dict, dict)
        ``{variable: [item ids]}`` and ``{variable: number of options}`` for the variables that
        are scales of the instrument with every item in ``columns``; other variables are absent.

    Examples
    --------
    >>> items, options = scale_item_map(["lead_sys_1", "lead_sys_2", "lead_sys_3", "lead_sys_4"],
    ...                                 ["lead_systems", "years"])
    >>> items["lead_systems"], options
    (['lead_sys_1', 'lead_sys_2', 'lead_sys_3', 'lead_sys_4'], {'lead_systems': 5})
    """
    from qimscale.instrument import load_instrument

    inst = load_instrument(instrument)
    ids = {s.id for s in inst.scales}
    items, options = {}, {}
    for v in variables:
        if v not in ids:
            continue
        its = [it.id for it in inst.scale_items(v)]
        if its and all(i in columns for i in its):
            lo, hi = inst.response_range(its[0])
            items[v] = its
            options[v] = int(hi - lo + 1)
    return items, options
