"""The scoring rules an instrument implies, as plain data: :class:`ScoringSpec`.

Scoring reads the instrument only through :meth:`ScoringSpec.from_instrument`,
so the rest of :mod:`qimscale.scoring` works on any set of items and scales
(tests build specs directly).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field


def normalise_label(text) -> str:
    """Case- and whitespace-insensitive key for matching labels and texts (never fuzzy).

    >>> normalise_label("  Strongly   AGREE ")
    'strongly agree'
    """
    return " ".join(str(text).split()).casefold()


@dataclass
class ItemRule:
    """One scored item.

    Attributes
    ----------
    id, scale : str
    reverse : bool
        Reverse-keyed: recoded as ``min + max - x``.
    codes : list of int
        Valid scored codes.
    min, max : int
        Lowest and highest scored code (default: from ``codes``).
    na_code : int or None
        The "not applicable" code: a valid answer that is never scored.
    labels : dict
        Normalised label (every declared language) -> code, including the
        not-applicable label.
    texts : list of str
        Item texts in every form and language (for matching full-text headers).
    aliases : list of str
        Other names the item may carry in an export (the LimeSurvey code).
    """

    id: str
    scale: str
    reverse: bool = False
    codes: list = field(default_factory=lambda: [1, 2, 3, 4, 5])
    na_code: int | None = None
    labels: dict = field(default_factory=dict)
    texts: list = field(default_factory=list)
    aliases: list = field(default_factory=list)
    value_labels: dict = field(default_factory=dict)
    qualtrics_column: str | None = None
    qualtrics_na_code: int | None = None
    #: lowest and highest scored code (the reverse-keying range); from the instrument's
    #: ``response_range`` in :meth:`ScoringSpec.from_instrument`, else from ``codes``
    min: int | None = None
    max: int | None = None

    def __post_init__(self):
        if self.codes and self.min is None:
            self.min = builtins.min(self.codes)
        if self.codes and self.max is None:
            self.max = builtins.max(self.codes)


@dataclass
class ScaleRule:
    """A scale: its items (in instrument order), its domain and whether it is exploratory."""

    id: str
    items: list
    domain: str | None = None
    exploratory: bool = False


@dataclass
class BackgroundRule:
    """An unscored background field; ``codes``/``labels`` empty for free text."""

    id: str
    codes: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)
    identifying: bool = False
    texts: list = field(default_factory=list)
    aliases: list = field(default_factory=list)
    value_labels: dict = field(default_factory=dict)
    #: a study code (participant, organisation, team code): identifying, but kept by default
    study_code: bool = False


@dataclass
class AttentionCheck:
    """An attention-check column and the codes that pass it."""

    column: str
    passing: list


@dataclass
class ScoringSpec:
    """Everything scoring needs to know about an instrument.

    Attributes
    ----------
    items : dict
        Item id -> :class:`ItemRule`, in instrument order.
    scales : list of ScaleRule
    background : dict
        Field id -> :class:`BackgroundRule`.
    attention_checks : list of AttentionCheck
    name : str
        Instrument id and version, for the scoring log.
    labels : dict
        Output column id -> variable label (item text, scale or domain label).
    """

    items: dict
    scales: list
    background: dict = field(default_factory=dict)
    attention_checks: list = field(default_factory=list)
    name: str = ""
    #: output column id (item, scale, domain, background field) -> variable label in the
    #: instrument's default language (item texts of the self form), for SPSS/Stata outputs
    labels: dict = field(default_factory=dict)

    @property
    def domains(self) -> dict:
        """Domain -> ids of its non-exploratory scales."""
        out: dict[str, list[str]] = {}
        for sc in self.scales:
            if sc.domain and not sc.exploratory:
                out.setdefault(sc.domain, []).append(sc.id)
        return out

    @property
    def identifying(self) -> list:
        """Background fields holding personal data (identifying and not a study code): dropped by default."""
        return [b.id for b in self.background.values() if b.identifying and not b.study_code]

    @property
    def study_codes(self) -> list:
        """Background fields the instrument declares study codes (``identifier: study_code``): kept."""
        return [b.id for b in self.background.values() if b.study_code]

    @classmethod
    def simple(cls, scales: dict, *, codes=(1, 2, 3, 4, 5), reverse=(), na_code=None, labels=None,
               domains=None) -> ScoringSpec:
        """Build a spec from ``{scale: [items]}`` (for tests and ad-hoc scales).

        >>> spec = ScoringSpec.simple({"a": ["a1", "a2"]}, reverse=["a2"])
        >>> spec.items["a2"].reverse, spec.items["a2"].max
        (True, 5)
        """
        vlabels = {v: k for k, v in (labels or {}).items()}
        labels = {normalise_label(k): v for k, v in (labels or {}).items()}
        items, rules = {}, []
        for sid, its in scales.items():
            for it in its:
                items[it] = ItemRule(it, sid, it in reverse, list(codes), na_code, dict(labels),
                                     value_labels=dict(vlabels))
            rules.append(ScaleRule(sid, list(its), (domains or {}).get(sid)))
        return cls(items, rules)

    @classmethod
    def from_instrument(cls, inst, *, include_exploratory: bool = True) -> ScoringSpec:
        """Extract the scoring rules from a loaded :class:`~qimscale.instrument.Instrument`."""
        from qimscale.instrument.exporters.qualtrics import qualtrics_na_code

        items: dict[str, ItemRule] = {}
        for it in inst.items:
            rs = inst.response_scale(it.id)
            lo, hi = inst.response_range(it.id)  # the instrument's reverse-keying range
            labels = {}
            for opt in rs.all_options():
                for text in opt.labels.values():
                    labels[normalise_label(text)] = opt.code
            texts = [t for per_form in it.text.values() for t in per_form.values() if t]
            alias = inst.limesurvey_code(it.id) if hasattr(inst, "limesurvey_code") else it.id.replace("_", "")
            position = [x.id for x in inst.scale_items(it.scale)].index(it.id) + 1
            qcol = f"{it.scale}_{position}"  # Qualtrics matrix column <scale>_<row> of the qimscale export
            items[it.id] = ItemRule(it.id, it.scale, bool(it.reverse), list(rs.codes), rs.na_code, labels,
                                    texts, ([alias] if alias != it.id else []) + [qcol],
                                    {opt.code: opt.label_for(inst.default_language) for opt in rs.all_options()},
                                    qualtrics_column=qcol,
                                    qualtrics_na_code=(qualtrics_na_code(inst, it.id) if rs.na_code is not None
                                                       else None),
                                    min=lo, max=hi)
        scales = []
        for sc in inst.scales:
            if sc.exploratory and not include_exploratory:
                continue
            its = [it.id for it in inst.scale_items(sc.id)]
            if its:
                scales.append(ScaleRule(sc.id, its, sc.domain, bool(sc.exploratory)))
        keep = {i for sc in scales for i in sc.items}
        items = {k: v for k, v in items.items() if k in keep}
        background = {}
        for b in getattr(inst, "background", []) or []:
            codes = [c.code for c in b.choices]
            labels = {normalise_label(t): c.code for c in b.choices for t in c.labels.values()}
            texts = [t for per_form in b.text.values() for t in per_form.values() if t]
            ls = b.id.replace("_", "")
            study = getattr(b, "identifier", None) == "study_code"
            background[b.id] = BackgroundRule(b.id, codes, labels,
                                              bool(b.identifying) or getattr(b, "identifier", None) == "pii",
                                              texts, [ls] if ls != b.id else [],
                                              {c.code: c.label_for(inst.default_language) for c in b.choices},
                                              study_code=study)
        checks = [AttentionCheck(str(getattr(a, "item", getattr(a, "id", ""))),
                                 list(getattr(a, "passing", getattr(a, "correct", []))))
                  for a in (getattr(inst, "attention_checks", None) or [])]
        labels = {it.id: it.text_for("self") or it.text_for("observer") for it in inst.items if it.id in items}
        labels.update({sc.id: sc.label for sc in inst.scales})
        scale_ids = {sc.id for sc in scales}  # a domain with a scale's id is scored as <domain>_domain
        labels.update({(f"{d.id}_domain" if d.id in scale_ids else d.id): d.label for d in inst.domains})
        labels.update({b.id: b.label for b in getattr(inst, "background", []) or []})
        return cls(items, scales, background, checks, f"{inst.id} {inst.version}",
                   {k: v for k, v in labels.items() if v})
