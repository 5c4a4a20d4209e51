"""Checks that span the whole instrument: ids, references, texts, names, translations.

:func:`check_instrument` collects *every* problem (pandera-style lazy
validation) instead of stopping at the first. Each problem names the file, the
object (item, scale, background field, ...) and the field. Problems of severity
``"error"`` make the instrument unusable and stop :func:`load_instrument`;
``"warning"`` problems (a short scale, a name one platform rejects, a missing
translation) are reported by ``qimscale instrument validate``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from qimscale.instrument.model import FORMS, TRANSLATION_STATUSES, Instrument

#: Valid names on every target platform: lowercase snake case starting with a letter,
#: at most 26 characters (REDCap's recommended limit; SPSS allows 64, XLSForm any XML name).
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_NAME_LEN = 26
#: LimeSurvey question and subquestion codes: alphanumeric, at most 20 characters.
LIMESURVEY_MAX = 20
MIN_SCALE_ITEMS = 3


@dataclass(frozen=True)
class Problem:
    """One problem found in an instrument.

    Attributes
    ----------
    severity : {'error', 'warning'}
    file : str
        The instrument file.
    where : str
        The object, e.g. ``item 'lead_sys_2'``.
    field : str
        The field concerned, e.g. ``scale``.
    message : str
        What is wrong and how to fix it.
    """

    severity: str
    file: str
    where: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{self.file}: {where}{self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


def _source_codes(inst: Instrument) -> set[str] | None:
    ref = inst.reference
    if ref is None or not ref.source_codes_file:
        return None
    base = inst.file if inst.file is not None else Path(inst.path)
    path = base.parent / ref.source_codes_file
    if not path.is_file():
        return None
    import yaml

    from qimscale.instrument.yaml_text import parse_yaml

    try:
        data = parse_yaml(path.read_text(encoding="utf-8")) or {}
        return {str(c["id"]) for c in data.get("codes", [])}
    except (yaml.YAMLError, KeyError, TypeError):
        return None


def check_instrument(inst: Instrument, *, errors_only: bool = False) -> list[Problem]:
    """Check a loaded instrument and return every problem found (empty list when valid).

    :func:`qimscale.instrument.validate_instrument` does the same for a file
    (it loads it first); :func:`~qimscale.instrument.load_instrument` runs these
    checks on every file it loads.

    Parameters
    ----------
    inst : Instrument
        A loaded instrument.
    errors_only : bool
        Return only problems of severity ``"error"``.

    Returns
    -------
    list of Problem
        Checks: duplicate ids; items pointing at unknown scales, scales at unknown
        domains, unknown response scales and forms; empty texts; names invalid on
        REDCap/SPSS/XLSForm (lowercase snake case, <= 26 characters) or LimeSurvey
        (alphanumeric after removing ``_``, <= 20 characters, unique); scales with
        fewer than 3 items; missing translations for a declared language; unknown
        Table 2 source codes; invalid translation statuses.

    Examples
    --------
    >>> from qimscale.instrument import load_instrument
    >>> check_instrument(load_instrument(check=False))
    []
    """
    c = _Collector(inst)
    for step in _STEPS:
        step(c)
    probs = c.problems
    if errors_only:
        probs = [p for p in probs if p.severity == "error"]
    return probs


class _Collector:
    """What every step needs (the instrument, its declared languages and ids) and the problems found so far."""

    def __init__(self, inst: Instrument):
        self.inst = inst
        self.file = inst.path
        self.problems: list[Problem] = []
        self.langs = inst.language_codes
        self.default = inst.default_language
        #: the ids of each kind of object, in file order (duplicates kept)
        self.ids = {
            "item": [it.id for it in inst.items],
            "scale": [s.id for s in inst.scales],
            "domain": [d.id for d in inst.domains],
            "background field": [b.id for b in inst.background],
            "form": [fm.id for fm in inst.forms],
            "response scale": [r.id for r in inst.response_scales],
        }

    def add(self, sev: str, where: str, field: str, msg: str) -> None:
        self.problems.append(Problem(sev, self.file, where, field, msg))

    def texts(self, where: str, field: str, texts: dict) -> None:
        """Texts in declared languages only, none empty, one in every declared language."""
        langs = self.langs
        for lang, txt in texts.items():
            if lang not in langs:
                self.add("error", where, field, f"text in undeclared language '{lang}'; declared: {', '.join(langs)}")
            elif not str(txt).strip():
                self.add("error", where, field, f"empty text in language '{lang}'")
        for lang in langs:
            if lang not in texts:
                if lang == self.default:
                    self.add("error", where, field, f"missing text in the default language '{lang}'")
                else:
                    self.add("warning", where, field, f"missing translation for declared language '{lang}'")


def _check_languages(c: _Collector) -> None:
    """The default language is declared; no language is declared twice."""
    if c.default not in c.langs:
        c.add("error", "", "default_language",
              f"default_language '{c.default}' is not among the declared languages: {', '.join(c.langs)}")
    for code, n in Counter(c.langs).items():
        if n > 1:
            c.add("error", f"language '{code}'", "code", f"duplicate language '{code}'")


def _check_ids(c: _Collector) -> None:
    """Ids are unique within each kind; items and background fields share one namespace (data columns)."""
    for kind, ids in c.ids.items():
        for i, n in Counter(ids).items():
            if n > 1:
                c.add("error", f"{kind} '{i}'", "id", f"duplicate {kind} id '{i}' ({n} times); ids must be unique")
    item_ids = set(c.ids["item"])
    for b in c.inst.background:
        if b.id in item_ids:
            c.add("error", f"background field '{b.id}'", "id",
                  f"background field '{b.id}' has the same id as an item; data columns must be unique")


def _check_scales(c: _Collector) -> None:
    """The default response scale and the standard forms exist; each scale's domain, response scale and stems."""
    inst = c.inst
    domain_ids, rs_ids, form_ids = c.ids["domain"], c.ids["response scale"], c.ids["form"]
    if inst.default_response_scale not in rs_ids:
        c.add("error", "", "default_response_scale",
              f"unknown response scale '{inst.default_response_scale}'; known: {', '.join(rs_ids)}")
    for fid in FORMS:
        if fid not in form_ids:
            c.add("warning", f"form '{fid}'", "id", f"form '{fid}' is not defined")
    for sc in inst.scales:
        if sc.domain not in domain_ids:
            c.add("error", f"scale '{sc.id}'", "domain",
                  f"unknown domain '{sc.domain}'; known domains: {', '.join(domain_ids)}")
        if sc.response and sc.response not in rs_ids:
            c.add("error", f"scale '{sc.id}'", "response",
                  f"unknown response scale '{sc.response}'; known: {', '.join(rs_ids)}")
        for fid in sc.stem:
            if fid not in form_ids:
                c.add("error", f"scale '{sc.id}'", "stem", f"unknown form '{fid}'; forms: {', '.join(form_ids)}")


def _check_items(c: _Collector) -> None:
    """The source-code list is readable; each item's scale, response scale and Table 2 source codes."""
    inst = c.inst
    scale_ids, rs_ids = c.ids["scale"], c.ids["response scale"]
    known_codes = _source_codes(inst)
    if known_codes is None and inst.reference is not None and inst.reference.source_codes_file:
        c.add("warning", "", "reference.source_codes_file",
              f"source-code list '{inst.reference.source_codes_file}' not found next to the instrument (or "
              "unreadable); source_codes were not checked")
    for it in inst.items:
        where = f"item '{it.id}'"
        if it.scale not in scale_ids:
            c.add("error", where, "scale", f"unknown scale '{it.scale}'; known scales: {', '.join(scale_ids)}")
        if it.response and it.response not in rs_ids:
            c.add("error", where, "response", f"unknown response scale '{it.response}'; known: {', '.join(rs_ids)}")
        elif it.response and it.scale in scale_ids:
            own = next(s for s in inst.scales if s.id == it.scale).response or inst.default_response_scale
            if it.response != own:
                # every export shows a scale as one matrix with the scale's answers (REDCap matrix
                # group, LimeSurvey array, Qualtrics matrix, XLSForm grid, paper table)
                c.add("error", where, "response",
                      f"response scale '{it.response}' differs from '{own}', the response scale of its scale "
                      f"'{it.scale}'; the survey "
                      f"exports show each scale as one matrix with one set of answers, so put the item in a "
                      f"scale that uses '{it.response}'")
        if known_codes is not None:
            for code in it.source_codes:
                if code not in known_codes:
                    c.add("error", where, "source_codes",
                          f"unknown source code '{code}'; see {inst.reference.source_codes_file}")
        kind = next((s.kind for s in inst.scales if s.id == it.scale), None)
        if kind == "competency" and not it.source_codes:
            c.add("warning", where, "source_codes", "competency item without source_codes")


def _check_response_scales(c: _Collector) -> None:
    """Unique option codes, at least one scored option, a not-applicable code outside the scored range."""
    for rs in c.inst.response_scales:
        codes = [o.code for o in rs.all_options()]
        for code, n in Counter(codes).items():
            if n > 1:
                c.add("error", f"response scale '{rs.id}'", "options", f"duplicate response code {code}")
        if not rs.options:
            c.add("error", f"response scale '{rs.id}'", "options", "no scored options")
        na = rs.na_code
        if na is not None and rs.options and rs.min <= na <= rs.max:
            c.add("error", f"response scale '{rs.id}'", "not_applicable",
                  f"not-applicable code {na} lies inside the scored range {rs.min}-{rs.max}; use a code outside it")


def _check_background(c: _Collector) -> None:
    """Choices exactly for select_one fields, unique choice codes, texts only for the field's forms."""
    for b in c.inst.background:
        where = f"background field '{b.id}'"
        if b.type == "select_one" and not b.choices:
            c.add("error", where, "choices", "select_one field without choices")
        if b.type != "select_one" and b.choices:
            c.add("error", where, "choices", f"choices given for a {b.type} field")
        for code, n in Counter(ch.code for ch in b.choices).items():
            if n > 1:
                c.add("error", where, "choices", f"duplicate choice code {code}")
        for fid in b.text:
            if fid not in b.forms:
                c.add("error", where, "text", f"text for form '{fid}', which is not in forms: {', '.join(b.forms)}")


def _check_texts(c: _Collector) -> None:
    """Every text of the instrument, its forms, domains, scales, options, items and background fields."""
    inst = c.inst
    form_ids = c.ids["form"]
    c.texts("", "title", inst.title)
    for fm in inst.forms:
        c.texts(f"form '{fm.id}'", "label", fm.labels)
        c.texts(f"form '{fm.id}'", "instructions", fm.instructions)
        c.texts(f"form '{fm.id}'", "stem", fm.stem)
        c.texts(f"form '{fm.id}'", "background_heading", fm.background_heading)
    for d in inst.domains:
        c.texts(f"domain '{d.id}'", "label", d.labels)
    for sc in inst.scales:
        c.texts(f"scale '{sc.id}'", "label", sc.labels)
        if sc.description:
            c.texts(f"scale '{sc.id}'", "description", sc.description)
        for fid, t in sc.stem.items():
            c.texts(f"scale '{sc.id}'", f"stem.{fid}", t)
    for rs in inst.response_scales:
        for o in rs.all_options():
            c.texts(f"response scale '{rs.id}' option {o.code}", "label", o.labels)
    for it in inst.items:
        for fid in it.text:
            if fid not in form_ids:
                c.add("error", f"item '{it.id}'", "text", f"unknown form '{fid}'; forms: {', '.join(form_ids)}")
        for fid in form_ids:
            if fid not in it.text:
                c.add("error", f"item '{it.id}'", f"text.{fid}", f"no text for form '{fid}'")
            else:
                c.texts(f"item '{it.id}'", f"text.{fid}", it.text[fid])
    for b in inst.background:
        for fid in b.forms:
            if fid not in b.text:
                c.add("error", f"background field '{b.id}'", f"text.{fid}", f"no text for form '{fid}'")
            else:
                c.texts(f"background field '{b.id}'", f"text.{fid}", b.text[fid])
        if b.note:
            c.texts(f"background field '{b.id}'", "note", b.note)
        for ch in b.choices:
            c.texts(f"background field '{b.id}' choice {ch.code}", "label", ch.labels)


def _check_names(c: _Collector) -> None:
    """Names valid on REDCap/SPSS/XLSForm; LimeSurvey codes short enough and unique."""
    inst = c.inst
    for kind, objs in (("item", inst.items), ("background field", inst.background), ("scale", inst.scales)):
        for obj in objs:
            name = obj.id
            if not NAME_RE.match(name) or len(name) > MAX_NAME_LEN:
                c.add("warning", f"{kind} '{name}'", "id",
                      f"'{name}' is not a valid REDCap/SPSS/XLSForm name: use lowercase letters, digits and '_', "
                      f"start with a letter, at most {MAX_NAME_LEN} characters")
    if not NAME_RE.match(inst.id) or len(inst.id) > 50:
        c.add("warning", "", "id", f"instrument id '{inst.id}' is not a valid form name (lowercase snake case)")
    ls_codes: dict[str, str] = {}
    for kind in ("item", "scale", "background field"):
        for i in c.ids[kind]:
            code = inst.limesurvey_code(i)
            if len(code) > LIMESURVEY_MAX:
                c.add("warning", f"{kind} '{i}'", "id",
                      f"LimeSurvey code '{code}' is longer than {LIMESURVEY_MAX} characters; shorten the id")
            if code in ls_codes and ls_codes[code] != i:
                c.add("warning", f"{kind} '{i}'", "id",
                      f"LimeSurvey code '{code}' collides with '{ls_codes[code]}' (codes drop '_'); rename one")
            ls_codes.setdefault(code, i)


def _check_scale_sizes(c: _Collector) -> None:
    """Every scale has at least :data:`MIN_SCALE_ITEMS` items."""
    counts = Counter(it.scale for it in c.inst.items)
    for sc in c.inst.scales:
        n = counts.get(sc.id, 0)
        if n < MIN_SCALE_ITEMS:
            c.add("warning", f"scale '{sc.id}'", "items",
                  f"scale has {n} item(s); a scale needs at least {MIN_SCALE_ITEMS} for reliability and CFA")


def _check_translation_status(c: _Collector) -> None:
    """Statuses only for declared languages, each one of :data:`TRANSLATION_STATUSES`."""
    for lang, statuses in c.inst.translation_status.items():
        if lang not in c.langs:
            c.add("error", f"translation_status '{lang}'", "language", f"status given for undeclared language '{lang}'")
        for key, st in statuses.items():
            if st not in TRANSLATION_STATUSES:
                c.add("error", f"translation_status '{lang}'", key,
                      f"status '{st}' must be one of {', '.join(TRANSLATION_STATUSES)}")


#: the checks of :func:`check_instrument`, in the order their problems are reported
_STEPS = (_check_languages, _check_ids, _check_scales, _check_items, _check_response_scales, _check_background,
          _check_texts, _check_names, _check_scale_sizes, _check_translation_status)
