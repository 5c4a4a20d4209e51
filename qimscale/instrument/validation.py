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
    probs: list[Problem] = []
    f = inst.path

    def add(sev, where, field, msg):
        probs.append(Problem(sev, f, where, field, msg))

    langs = inst.language_codes
    default = inst.default_language
    if default not in langs:
        add("error", "", "default_language",
            f"default_language '{default}' is not among the declared languages: {', '.join(langs)}")
    for code, n in Counter(langs).items():
        if n > 1:
            add("error", f"language '{code}'", "code", f"duplicate language '{code}'")

    # ---------------------------------------------------------------- duplicate ids
    groups = {
        "item": [it.id for it in inst.items],
        "scale": [s.id for s in inst.scales],
        "domain": [d.id for d in inst.domains],
        "background field": [b.id for b in inst.background],
        "form": [fm.id for fm in inst.forms],
        "response scale": [r.id for r in inst.response_scales],
    }
    for kind, ids in groups.items():
        for i, n in Counter(ids).items():
            if n > 1:
                add("error", f"{kind} '{i}'", "id", f"duplicate {kind} id '{i}' ({n} times); ids must be unique")
    # data columns: items and background fields share one namespace
    item_ids = set(groups["item"])
    for b in inst.background:
        if b.id in item_ids:
            add("error", f"background field '{b.id}'", "id",
                f"background field '{b.id}' has the same id as an item; data columns must be unique")

    # ------------------------------------------------------------------ references
    domain_ids = groups["domain"]
    scale_ids = groups["scale"]
    rs_ids = groups["response scale"]
    form_ids = groups["form"]
    if inst.default_response_scale not in rs_ids:
        add("error", "", "default_response_scale",
            f"unknown response scale '{inst.default_response_scale}'; known: {', '.join(rs_ids)}")
    for fid in FORMS:
        if fid not in form_ids:
            add("warning", f"form '{fid}'", "id", f"form '{fid}' is not defined")
    for sc in inst.scales:
        if sc.domain not in domain_ids:
            add("error", f"scale '{sc.id}'", "domain",
                f"unknown domain '{sc.domain}'; known domains: {', '.join(domain_ids)}")
        if sc.response and sc.response not in rs_ids:
            add("error", f"scale '{sc.id}'", "response",
                f"unknown response scale '{sc.response}'; known: {', '.join(rs_ids)}")
        for fid in sc.stem:
            if fid not in form_ids:
                add("error", f"scale '{sc.id}'", "stem", f"unknown form '{fid}'; forms: {', '.join(form_ids)}")
    known_codes = _source_codes(inst)
    if known_codes is None and inst.reference is not None and inst.reference.source_codes_file:
        add("warning", "", "reference.source_codes_file",
            f"source-code list '{inst.reference.source_codes_file}' not found next to the instrument (or unreadable); "
            "source_codes were not checked")
    for it in inst.items:
        where = f"item '{it.id}'"
        if it.scale not in scale_ids:
            add("error", where, "scale", f"unknown scale '{it.scale}'; known scales: {', '.join(scale_ids)}")
        if it.response and it.response not in rs_ids:
            add("error", where, "response", f"unknown response scale '{it.response}'; known: {', '.join(rs_ids)}")
        elif it.response and it.scale in scale_ids:
            own = next(s for s in inst.scales if s.id == it.scale).response or inst.default_response_scale
            if it.response != own:
                # every export shows a scale as one matrix with the scale's answers (REDCap matrix
                # group, LimeSurvey array, Qualtrics matrix, XLSForm grid, paper table)
                add("error", where, "response",
                    f"response scale '{it.response}' differs from '{own}', the response scale of its scale "
                    f"'{it.scale}'; the survey "
                    f"exports show each scale as one matrix with one set of answers, so put the item in a "
                    f"scale that uses '{it.response}'")
        if known_codes is not None:
            for c in it.source_codes:
                if c not in known_codes:
                    add("error", where, "source_codes",
                        f"unknown source code '{c}'; see {inst.reference.source_codes_file}")
        kind = next((s.kind for s in inst.scales if s.id == it.scale), None)
        if kind == "competency" and not it.source_codes:
            add("warning", where, "source_codes", "competency item without source_codes")
    for rs in inst.response_scales:
        codes = [o.code for o in rs.all_options()]
        for c, n in Counter(codes).items():
            if n > 1:
                add("error", f"response scale '{rs.id}'", "options", f"duplicate response code {c}")
        if not rs.options:
            add("error", f"response scale '{rs.id}'", "options", "no scored options")
        na = rs.na_code
        if na is not None and rs.options and rs.min <= na <= rs.max:
            add("error", f"response scale '{rs.id}'", "not_applicable",
                f"not-applicable code {na} lies inside the scored range {rs.min}-{rs.max}; use a code outside it")
    for b in inst.background:
        where = f"background field '{b.id}'"
        if b.type == "select_one" and not b.choices:
            add("error", where, "choices", "select_one field without choices")
        if b.type != "select_one" and b.choices:
            add("error", where, "choices", f"choices given for a {b.type} field")
        for c, n in Counter(ch.code for ch in b.choices).items():
            if n > 1:
                add("error", where, "choices", f"duplicate choice code {c}")
        for fid in b.text:
            if fid not in b.forms:
                add("error", where, "text", f"text for form '{fid}', which is not in forms: {', '.join(b.forms)}")

    # ------------------------------------------------------------------ empty texts
    def check_texts(where, field, texts, required_langs, *, sev_missing="error"):
        for lang, txt in texts.items():
            if lang not in langs:
                add("error", where, field, f"text in undeclared language '{lang}'; declared: {', '.join(langs)}")
            elif not str(txt).strip():
                add("error", where, field, f"empty text in language '{lang}'")
        for lang in required_langs:
            if lang not in texts:
                if lang == default:
                    add(sev_missing, where, field, f"missing text in the default language '{lang}'")
                else:
                    add("warning", where, field, f"missing translation for declared language '{lang}'")

    check_texts("", "title", inst.title, langs)
    for fm in inst.forms:
        check_texts(f"form '{fm.id}'", "label", fm.labels, langs)
        check_texts(f"form '{fm.id}'", "instructions", fm.instructions, langs)
        check_texts(f"form '{fm.id}'", "stem", fm.stem, langs)
        check_texts(f"form '{fm.id}'", "background_heading", fm.background_heading, langs)
    for d in inst.domains:
        check_texts(f"domain '{d.id}'", "label", d.labels, langs)
    for sc in inst.scales:
        check_texts(f"scale '{sc.id}'", "label", sc.labels, langs)
        if sc.description:
            check_texts(f"scale '{sc.id}'", "description", sc.description, langs)
        for fid, t in sc.stem.items():
            check_texts(f"scale '{sc.id}'", f"stem.{fid}", t, langs)
    for rs in inst.response_scales:
        for o in rs.all_options():
            check_texts(f"response scale '{rs.id}' option {o.code}", "label", o.labels, langs)
    for it in inst.items:
        for fid in it.text:
            if fid not in form_ids:
                add("error", f"item '{it.id}'", "text", f"unknown form '{fid}'; forms: {', '.join(form_ids)}")
        for fid in form_ids:
            if fid not in it.text:
                add("error", f"item '{it.id}'", f"text.{fid}", f"no text for form '{fid}'")
            else:
                check_texts(f"item '{it.id}'", f"text.{fid}", it.text[fid], langs)
    for b in inst.background:
        for fid in b.forms:
            if fid not in b.text:
                add("error", f"background field '{b.id}'", f"text.{fid}", f"no text for form '{fid}'")
            else:
                check_texts(f"background field '{b.id}'", f"text.{fid}", b.text[fid], langs)
        if b.note:
            check_texts(f"background field '{b.id}'", "note", b.note, langs)
        for ch in b.choices:
            check_texts(f"background field '{b.id}' choice {ch.code}", "label", ch.labels, langs)

    # ------------------------------------------------------------------- names
    def check_name(where, name):
        if not NAME_RE.match(name) or len(name) > MAX_NAME_LEN:
            add("warning", where, "id",
                f"'{name}' is not a valid REDCap/SPSS/XLSForm name: use lowercase letters, digits and '_', "
                f"start with a letter, at most {MAX_NAME_LEN} characters")

    for it in inst.items:
        check_name(f"item '{it.id}'", it.id)
    for b in inst.background:
        check_name(f"background field '{b.id}'", b.id)
    for sc in inst.scales:
        check_name(f"scale '{sc.id}'", sc.id)
    if not NAME_RE.match(inst.id) or len(inst.id) > 50:
        add("warning", "", "id", f"instrument id '{inst.id}' is not a valid form name (lowercase snake case)")
    ls_codes: dict[str, str] = {}
    for kind, ids in (("item", groups["item"]), ("scale", scale_ids), ("background field", groups["background field"])):
        for i in ids:
            code = inst.limesurvey_code(i)
            if len(code) > LIMESURVEY_MAX:
                add("warning", f"{kind} '{i}'", "id",
                    f"LimeSurvey code '{code}' is longer than {LIMESURVEY_MAX} characters; shorten the id")
            if code in ls_codes and ls_codes[code] != i:
                add("warning", f"{kind} '{i}'", "id",
                    f"LimeSurvey code '{code}' collides with '{ls_codes[code]}' (codes drop '_'); rename one")
            ls_codes.setdefault(code, i)

    # ------------------------------------------------------------------ scale sizes
    counts = Counter(it.scale for it in inst.items)
    for sc in inst.scales:
        n = counts.get(sc.id, 0)
        if n < MIN_SCALE_ITEMS:
            add("warning", f"scale '{sc.id}'", "items",
                f"scale has {n} item(s); a scale needs at least {MIN_SCALE_ITEMS} for reliability and CFA")

    # ----------------------------------------------------------- translation status
    for lang, statuses in inst.translation_status.items():
        if lang not in langs:
            add("error", f"translation_status '{lang}'", "language", f"status given for undeclared language '{lang}'")
        for key, st in statuses.items():
            if st not in TRANSLATION_STATUSES:
                add("error", f"translation_status '{lang}'", key,
                    f"status '{st}' must be one of {', '.join(TRANSLATION_STATUSES)}")

    if errors_only:
        probs = [p for p in probs if p.severity == "error"]
    return probs
