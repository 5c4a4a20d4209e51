"""LimeSurvey TSV survey structure (Import survey -> ``.txt`` tab-separated).

Rows, in order: ``S`` settings, ``SL`` language settings, then per language a block
of ``G`` groups, ``Q`` questions, ``SQ`` subquestions and ``A`` answers (a ``Q``
belongs to the preceding ``G``; ``SQ`` and ``A`` rows to the preceding ``Q``).
Background fields are ``L`` (list, radio) or ``S`` (short text) / ``N``
(numerical) questions; each scale is one ``F`` question (Array, flexible labels)
whose subquestions are the items and whose answers are the response options,
with numeric codes 1..5 and ``assessment_value`` equal to the code. The
not-applicable answer keeps its code (9) with ``assessment_value`` 0.
LimeSurvey answer codes are 1-5 letters or digits, so a code such as -9 is an error.

LimeSurvey codes must be alphanumeric: question and subquestion codes are the
ids without underscores (``lead_sys_2`` -> ``leadsys2``), so a response column
reads ``leadsystems[leadsys2]`` (see the codebook's ``limesurvey`` column).
"""

from __future__ import annotations

import csv
import io

from qimscale.errors import InstrumentError
from qimscale.instrument.exporters._common import check_form, check_lang, local, sections

EXTENSION = ".txt"
COLUMNS = ["id", "related_id", "class", "type/scale", "name", "relevance", "text", "help", "language",
           "validation", "mandatory", "other", "default", "same_default", "assessment_value"]


def rows(inst, form: str = "self", lang: str | None = None) -> list[dict]:
    """TSV rows as dicts. All declared languages are included; ``lang`` is the base language."""
    check_form(inst, form)
    base = check_lang(inst, lang)
    d = inst.default_language
    fm = inst.get_form(form)
    langs = [base] + [c for c in inst.language_codes if c != base]
    out: list[dict] = []

    def row(**kw):
        r = dict.fromkeys(COLUMNS, "")
        r.update({k: str(v) for k, v in kw.items()})
        out.append(r)

    def check_code(code, where):
        # LimeSurvey's Answer model takes 1-5 letters or digits only (no '-', so no -9)
        if not (str(code).isascii() and str(code).isalnum() and len(str(code)) <= 5):
            raise InstrumentError(f"{inst.path}: {where}: answer code {code} cannot be a LimeSurvey answer code "
                                  f"(1-5 letters or digits); use a code such as 9 or 99")

    for b in inst.background_for(form):
        for c in b.choices:
            check_code(c.code, f"background field '{b.id}'")
    for sec in sections(inst, form, base):
        rs = inst.response_scale(sec.scale.id)
        for o in rs.all_options():
            check_code(o.code, f"response scale '{rs.id}'")

    row(**{"class": "S", "name": "language", "text": base})
    row(**{"class": "S", "name": "additional_languages", "text": " ".join(langs[1:])})
    row(**{"class": "S", "name": "format", "text": "G"})
    row(**{"class": "S", "name": "assessments", "text": "N"})
    row(**{"class": "S", "name": "anonymized", "text": "Y"})
    for lg in langs:
        row(**{"class": "SL", "name": "surveyls_title",
               "text": f"{local(inst.title, lg, d)} - {local(fm.labels, lg, d)}", "language": lg})
        row(**{"class": "SL", "name": "surveyls_description", "text": local(fm.instructions, lg, d), "language": lg})
    for lg in langs:
        gid, qid = 0, 0
        seq = 0
        bg = inst.background_for(form)
        if bg:
            gid += 1
            row(**{"id": gid, "class": "G", "type/scale": seq, "name": local(fm.background_heading, lg, d) or "Background",
                   "relevance": "1", "language": lg})
            seq += 1
            for b in bg:
                qid += 1
                typ = {"select_one": "L", "text": "S", "integer": "N"}[b.type]
                row(**{"id": qid, "class": "Q", "type/scale": typ, "name": inst.limesurvey_code(b.id),
                       "relevance": "1", "text": local(b.text.get(form, {}), lg, d), "help": local(b.note, lg, d),
                       "language": lg, "mandatory": "N", "other": "N", "same_default": "0"})
                for c in b.choices:
                    row(**{"id": qid, "class": "A", "type/scale": 0, "name": c.code, "text": local(c.labels, lg, d),
                           "language": lg, "assessment_value": 0})
        sq = 0
        for sec in sections(inst, form, lg):
            if sec.first_in_domain:
                gid += 1
                row(**{"id": gid, "class": "G", "type/scale": seq, "name": sec.domain_label,
                       "relevance": "1", "language": lg})
                seq += 1
            qid += 1
            rs = inst.response_scale(sec.scale.id)
            row(**{"id": qid, "class": "Q", "type/scale": "F", "name": inst.limesurvey_code(sec.scale.id),
                   "relevance": "1", "text": sec.stem, "language": lg, "mandatory": "N", "other": "N",
                   "same_default": "0"})
            for it in sec.items:
                sq += 1
                row(**{"id": 10000 + sq, "class": "SQ", "type/scale": 0, "name": inst.limesurvey_code(it.id),
                       "relevance": "1", "text": local(it.text.get(form, {}), lg, d), "language": lg})
            for o in rs.all_options():
                scored = o.code in rs.codes
                row(**{"id": qid, "class": "A", "type/scale": 0, "name": o.code, "text": local(o.labels, lg, d),
                       "language": lg, "assessment_value": o.code if scored else 0})
    return out


def render(inst, form: str = "self", lang: str | None = None) -> str:
    """The TSV text (UTF-8, tab-separated, one header row).

    >>> from qimscale.instrument import load_instrument
    >>> tsv = render(load_instrument())
    >>> tsv.splitlines()[0].split("\\t")[:5]
    ['id', 'related_id', 'class', 'type/scale', 'name']
    """
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(COLUMNS)
    for r in rows(inst, form, lang):
        w.writerow([" ".join(r[c].split()) if c in ("text", "help") else r[c] for c in COLUMNS])
    return buf.getvalue()
