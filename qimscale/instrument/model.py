"""Typed models of an instrument file (pydantic v2).

The YAML file is parsed into these models by :func:`qimscale.instrument.load_instrument`.
The models hold data only; checks that span several parts of the file (unknown
scales, duplicate ids, missing translations) live in
:mod:`qimscale.instrument.validation` so that every problem is reported with the
file, the object and the field it concerns.

Texts are stored as ``{language: text}`` mappings; texts that differ between the
two forms (``self``, ``observer``) are stored as ``{form: {language: text}}``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

#: Codes of the two forms, in the order exports use them.
FORMS: tuple[str, ...] = ("self", "observer")

#: Kinds of scales: ``competency`` sub-scales, the ``outcome`` scale, and ``extension`` scales.
SCALE_KINDS: tuple[str, ...] = ("competency", "outcome", "extension")

#: Values of ``--kind``: which scales an analysis selects (:meth:`Instrument.select_scales`).
SELECT_KINDS: tuple[str, ...] = ("competency", "outcome", "exploratory", "all")

#: Translation statuses recorded by the translation workflow, from weakest to strongest.
TRANSLATION_STATUSES: tuple[str, ...] = ("forward", "back-translated", "reviewed")

LocalText = dict[str, str]
FormText = dict[str, LocalText]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)
    _lang: str = PrivateAttr(default="en")

    def _local(self, texts: LocalText | None, lang: str | None = None) -> str:
        if not texts:
            return ""
        lang = lang or self._lang
        if lang in texts:
            return texts[lang]
        return next(iter(texts.values()))


class ResponseOption(_Model):
    """One response option: a numeric code and its label per language."""

    code: int
    labels: LocalText = Field(alias="label")

    def label_for(self, lang: str | None = None) -> str:
        """The label in ``lang`` (default: the instrument's default language)."""
        return self._local(self.labels, lang)

    @property
    def label(self) -> str:
        return self.label_for()


class ResponseScale(_Model):
    """A response scale: scored options plus an optional never-scored "not applicable" code."""

    id: str
    options: list[ResponseOption]
    not_applicable: ResponseOption | None = None

    @property
    def codes(self) -> list[int]:
        """Scored codes, in display order."""
        return [o.code for o in self.options]

    @property
    def min(self) -> int:
        return min(self.codes)

    @property
    def max(self) -> int:
        return max(self.codes)

    @property
    def na_code(self) -> int | None:
        """The code of the "not applicable / can't judge" option, or ``None``."""
        return None if self.not_applicable is None else self.not_applicable.code

    def all_options(self) -> list[ResponseOption]:
        """Scored options followed by the not-applicable option (if any)."""
        return list(self.options) + ([self.not_applicable] if self.not_applicable else [])


class Form(_Model):
    """A form of the questionnaire (``self`` or ``observer``)."""

    id: Literal["self", "observer"]
    labels: LocalText = Field(alias="label")
    instructions: LocalText = Field(default_factory=dict)
    stem: LocalText = Field(default_factory=dict)
    background_heading: LocalText = Field(default_factory=dict)

    @property
    def label(self) -> str:
        return self._local(self.labels)


class Domain(_Model):
    """A domain groups scales (QI expertise, leadership, interpersonal, ...)."""

    id: str
    kind: Literal["competency", "outcome", "extension"] = "competency"
    labels: LocalText = Field(alias="label")
    source_theme: str | None = None

    @property
    def label(self) -> str:
        return self._local(self.labels)


class Scale(_Model):
    """A scored scale (sub-scale).

    Attributes
    ----------
    id, domain : str
        Stable id and the id of its domain.
    kind : {'competency', 'outcome', 'extension'}
        Role of the scale in the instrument.
    exploratory : bool
        True for scales outside the validated model (analyses may skip them).
    label : str
        Label in the default language (``labels`` holds every language).
    """

    id: str
    domain: str
    kind: Literal["competency", "outcome", "extension"] = "competency"
    exploratory: bool = False
    labels: LocalText = Field(alias="label")
    description: LocalText = Field(default_factory=dict)
    stem: FormText = Field(default_factory=dict)
    response: str | None = None

    @property
    def label(self) -> str:
        return self._local(self.labels)

    @property
    def role(self) -> str:
        """Alias of :attr:`kind`."""
        return self.kind


class Item(_Model):
    """A scored Likert item.

    ``text`` maps form -> language -> text; both forms share the item id.
    """

    id: str
    scale: str
    reverse: bool = False
    source_codes: list[str] = Field(default_factory=list)
    text: FormText
    response: str | None = None
    note: str | None = None

    def text_for(self, form: str = "self", lang: str | None = None) -> str:
        """The item text for ``form`` in ``lang`` (default language if omitted)."""
        return self._local(self.text.get(form, {}), lang)

    @property
    def label(self) -> str:
        """Self-form text in the default language."""
        return self.text_for("self")


class Choice(ResponseOption):
    """A category of a background question (numeric code + label per language)."""


class BackgroundField(_Model):
    """An unscored background question.

    ``identifying`` marks fields that can identify a person or a small group
    (REDCap ``Identifier? = y``). ``identifier`` says what kind of identifier:
    ``study_code`` (a code the study team hands out -- participant,
    organisation or team code -- that analyses need as a cluster or id
    variable: ``qimscale score`` keeps it) or ``pii`` (personal data such as a
    name or e-mail: dropped unless ``--keep-identifiers``). An identifying
    field without ``identifier`` counts as ``pii``.
    """

    id: str
    type: Literal["select_one", "text", "integer"]
    text: FormText
    choices: list[Choice] = Field(default_factory=list)
    identifying: bool = False
    identifier: Literal["study_code", "pii"] | None = None
    forms: list[Literal["self", "observer"]] = Field(default_factory=lambda: list(FORMS))
    widget: Literal["radio", "dropdown"] | None = None
    note: LocalText = Field(default_factory=dict)

    def text_for(self, form: str = "self", lang: str | None = None) -> str:
        return self._local(self.text.get(form, {}), lang)

    @property
    def label(self) -> str:
        return self.text_for(self.forms[0] if self.forms else "self")

    @property
    def is_study_code(self) -> bool:
        """A study code (kept by ``qimscale score``), not personal data."""
        return self.identifier == "study_code"

    @property
    def is_pii(self) -> bool:
        """Personal data, dropped by ``qimscale score`` unless ``--keep-identifiers``."""
        return self.identifier == "pii" or (self.identifying and self.identifier != "study_code")

    @property
    def categories(self) -> list[tuple[int, str]]:
        """``[(code, label), ...]`` in the default language."""
        return [(c.code, c.label) for c in self.choices]


class Language(_Model):
    code: str
    name: str

    @property
    def xlsform_name(self) -> str:
        """``English (en)``, the XLSForm language suffix."""
        return f"{self.name} ({self.code})"


class ChangelogEntry(_Model):
    version: str
    date: str
    changes: list[str]


class Reference(_Model):
    citation: str
    doi: str | None = None
    source_codes_file: str | None = None


class Instrument(_Model):
    """An instrument: items, scales, domains, forms, background block, languages.

    Use :func:`qimscale.instrument.load_instrument` to build one from a file.
    """

    schema_: str = Field(alias="schema", default="qimscale-instrument/1")
    id: str
    version: str
    title: LocalText
    description: LocalText = Field(default_factory=dict)
    reference: Reference | None = None
    default_language: str = "en"
    languages: list[Language]
    changelog: list[ChangelogEntry] = Field(default_factory=list)
    response_scales: list[ResponseScale]
    default_response_scale: str
    forms: list[Form]
    domains: list[Domain]
    scales: list[Scale]
    items: list[Item]
    background: list[BackgroundField] = Field(default_factory=list)
    translation_status: dict[str, dict[str, str]] = Field(default_factory=dict)

    _path: str = PrivateAttr(default="<instrument>")
    _file: str | None = PrivateAttr(default=None)

    # ------------------------------------------------------------------ lookups
    @property
    def path(self) -> str:
        """The file the instrument was read from, as shown in messages."""
        return self._path

    @property
    def file(self):
        """The resolved file path (``None`` for an instrument built from data)."""
        from pathlib import Path

        return None if self._file is None else Path(self._file)

    @property
    def label(self) -> str:
        return self._local(self.title)

    @property
    def language_codes(self) -> list[str]:
        return [lang.code for lang in self.languages]

    def _find(self, seq, key: str, kind: str, attr: str = "id"):
        """The element of ``seq`` whose ``attr`` is ``key``; else InstrumentError listing the known ones."""
        for obj in seq:
            if getattr(obj, attr) == key:
                return obj
        from qimscale.errors import InstrumentError

        known = [str(getattr(o, attr)) for o in seq]
        shown = ", ".join(known[:30]) + (" ..." if len(known) > 30 else "")
        raise InstrumentError(f"{self.path}: unknown {kind} '{key}'; known {kind}s: {shown}")

    def language(self, code: str) -> Language:
        return self._find(self.languages, code, "language", "code")

    def get_item(self, item_id: str) -> Item:
        """The item with id ``item_id``; raises InstrumentError naming the known ids."""
        return self._find(self.items, item_id, "item")

    def get_scale(self, scale_id: str) -> Scale:
        return self._find(self.scales, scale_id, "scale")

    def get_domain(self, domain_id: str) -> Domain:
        return self._find(self.domains, domain_id, "domain")

    def get_form(self, form_id: str) -> Form:
        return self._find(self.forms, form_id, "form")

    def scale_items(self, scale_id: str) -> list[Item]:
        """Items of a scale, in file order.

        >>> from qimscale.instrument import load_instrument
        >>> [it.id for it in load_instrument().scale_items("lead_systems")]
        ['lead_sys_1', 'lead_sys_2', 'lead_sys_3', 'lead_sys_4']
        """
        self.get_scale(scale_id)
        return [it for it in self.items if it.scale == scale_id]

    def domain_scales(self, domain_id: str) -> list[Scale]:
        return [sc for sc in self.scales if sc.domain == domain_id]

    def response_scale(self, item_or_scale_id: str | None = None) -> ResponseScale:
        """The response scale of an item or scale (the default scale when omitted)."""
        rid = self.default_response_scale
        if item_or_scale_id is not None:
            ids = {it.id: it for it in self.items}
            if item_or_scale_id in ids:
                it = ids[item_or_scale_id]
                rid = it.response or self.get_scale(it.scale).response or rid
            else:
                rid = self.get_scale(item_or_scale_id).response or rid
        return self._find(self.response_scales, rid, "response scale")

    def response_range(self, item_id: str) -> tuple[int, int]:
        """``(min, max)`` of the scored codes of an item; the not-applicable code is excluded.

        >>> from qimscale.instrument import load_instrument
        >>> load_instrument().response_range("lead_sys_2")
        (1, 5)
        """
        rs = self.response_scale(self.get_item(item_id).id)
        return rs.min, rs.max

    def na_code(self, item_id: str | None = None) -> int | None:
        """The never-scored "not applicable / can't judge" code (9 in the bundled instrument).

        >>> from qimscale.instrument import load_instrument
        >>> load_instrument().na_code()
        9
        """
        return self.response_scale(item_id).na_code

    def item_text(self, item_id: str, form: str = "self", lang: str | None = None) -> str:
        """Text of an item for a form and language.

        >>> from qimscale.instrument import load_instrument
        >>> load_instrument().item_text("ip_trust_4", form="observer")
        'Frontline staff see this QI manager as an outsider to their work.'
        """
        self.get_form(form)
        lang = lang or self.default_language
        it = self.get_item(item_id)
        text = it.text.get(form, {}).get(lang)
        if not text:
            from qimscale.errors import InstrumentError

            raise InstrumentError(f"{self.path}: item '{item_id}': no {form}-form text in language '{lang}'")
        return text

    def scored_items(self, *, include_exploratory: bool = True) -> list[Item]:
        """All scored items in file order."""
        skip = {sc.id for sc in self.scales if sc.exploratory and not include_exploratory}
        return [it for it in self.items if it.scale not in skip]

    def select_scales(self, *, kind: str | None = None, domain=None) -> list[Scale]:
        """The scales selected by ``--kind`` and ``--domain``, in file order.

        ``kind='competency'`` (the default of every psychometric command) keeps
        the validated competency sub-scales; ``'outcome'`` the outcome
        scale(s); ``'exploratory'`` the scales outside the validated model
        (``exploratory: true`` or kind ``extension``); ``'all'`` every scale.
        ``domain`` (an id or a list of ids) keeps the scales of those domains
        only; given without ``kind``, every scale of those domains.

        >>> from qimscale.instrument import load_instrument
        >>> [s.id for s in load_instrument().select_scales(domain="expertise")]
        ['exp_methods', 'exp_implementation', 'exp_context']
        >>> len(load_instrument().select_scales()), len(load_instrument().select_scales(kind="all"))
        (10, 12)
        """
        from qimscale.errors import InstrumentError

        if kind is not None and kind not in SELECT_KINDS:
            raise InstrumentError(f"kind must be one of {', '.join(SELECT_KINDS)}; got {kind!r}")
        domains = [domain] if isinstance(domain, str) else list(domain or [])
        for d in domains:
            self.get_domain(d)  # unknown domain: an error naming the known ones
        kind = kind or ("all" if domains else "competency")

        def wanted(sc):
            exploratory = sc.exploratory or sc.kind == "extension"
            if domains and sc.domain not in domains:
                return False
            if kind == "all":
                return True
            if kind == "exploratory":
                return exploratory
            return sc.kind == kind and not exploratory

        return [sc for sc in self.scales if wanted(sc)]

    def reverse_items(self) -> list[str]:
        """Ids of reverse-keyed items."""
        return [it.id for it in self.items if it.reverse]

    def background_for(self, form: str) -> list[BackgroundField]:
        """Background fields shown on ``form``."""
        return [b for b in self.background if form in b.forms]

    def scale_stem(self, scale_id: str, form: str, lang: str | None = None) -> str:
        """The question stem shown above a scale's items (scale-specific or the form's)."""
        lang = lang or self.default_language
        sc = self.get_scale(scale_id)
        if sc.stem.get(form):
            return sc._local(sc.stem[form], lang)
        return self.get_form(form)._local(self.get_form(form).stem, lang)

    def limesurvey_code(self, name: str) -> str:
        """LimeSurvey question/subquestion code for an id: the id without underscores.

        LimeSurvey codes must be alphanumeric; :func:`validate_instrument` checks
        that the codes stay unique and at most 20 characters long.

        >>> from qimscale.instrument import load_instrument
        >>> load_instrument().limesurvey_code("lead_sys_2")
        'leadsys2'
        """
        return name.replace("_", "")

    def summary(self) -> dict:
        """A plain-dict overview (ids only), handy for ``--json`` output."""
        return {
            "id": self.id,
            "version": self.version,
            "languages": self.language_codes,
            "forms": [f.id for f in self.forms],
            "domains": [d.id for d in self.domains],
            "scales": [
                {"id": s.id, "domain": s.domain, "kind": s.kind, "exploratory": s.exploratory,
                 "items": [it.id for it in self.scale_items(s.id)]}
                for s in self.scales
            ],
            "n_items": len(self.items),
            "reverse": self.reverse_items(),
            "background": [b.id for b in self.background],
        }

    def _propagate_language(self) -> None:
        """Give every sub-model the default language used by its ``label`` properties."""
        lang = self.default_language
        self._lang = lang
        objs: list[_Model] = [*self.forms, *self.domains, *self.scales, *self.items, *self.background]
        for rs in self.response_scales:
            objs.append(rs)
            objs.extend(rs.all_options())
        for b in self.background:
            objs.extend(b.choices)
        for o in objs:
            o._lang = lang
