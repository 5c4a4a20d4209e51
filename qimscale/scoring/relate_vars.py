"""Which scored columns ``relate`` uses by default: the instrument's competency domains and its outcome scale.

``qimscale score`` writes one column per scale (``<scale id>``) and per domain (``<domain id>``,
or ``<domain id>_domain`` when a scale has the domain's id). With no ``--predictors``, ``relate``
takes the competency domains found in DATA as predictors and the outcome scale (QI performance)
as outcome; with ``--correlations`` and no ``--vars``, every scale score found.
"""

from __future__ import annotations


def _domain_column(dom_id: str, columns, scale_ids) -> str | None:
    for name in ((f"{dom_id}_domain",) if dom_id in scale_ids else (dom_id, f"{dom_id}_domain")):
        if name in columns:
            return name
    return None


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
    scores = [sc.id for sc in inst.scales if sc.id in columns]
    return {"predictors": predictors, "outcome": outcomes[0] if outcomes else None, "scores": scores,
            "instrument": getattr(inst, "id", None)}
