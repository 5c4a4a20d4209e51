"""XLSForm (ODK / KoboToolbox) workbook: ``survey``, ``choices`` and ``settings`` sheets.

Every declared language gets its own columns (``label::English (en)``,
``hint::English (en)``) in both the survey and the choices sheets, and
``default_language`` is set to the instrument's default (``--lang`` changes it).
Each scale is a ``begin_group`` with appearance ``field-list``: a header row
(``select_one agree5``, appearance ``label``, named ``<scale>_hdr``; it shows the
response labels once and stores nothing useful) followed by the items with
appearance ``list-nolabel``. Choice names are the numeric codes (1-5, 9 = not
applicable). The result compiles with ``pyxform`` (the ODK validator's front end).
"""

from __future__ import annotations

import io

from qimscale.instrument.exporters._common import check_form, check_lang, local, sections

EXTENSION = ".xlsx"


def _lang_cols(inst, base: str) -> list[str]:
    return [f"{base}::{lang.xlsform_name}" for lang in inst.languages]


def sheets(inst, form: str = "self", lang: str | None = None) -> dict[str, list[list]]:
    """The three sheets as lists of rows (first row = header)."""
    check_form(inst, form)
    lang = check_lang(inst, lang)
    langs = inst.language_codes
    d = inst.default_language
    fm = inst.get_form(form)

    def texts(mapping):  # one cell per language
        return [local(mapping, code, d) if mapping else "" for code in langs]

    survey_header = ["type", "name", *_lang_cols(inst, "label"), *_lang_cols(inst, "hint"), "appearance", "required"]
    survey: list[list] = [survey_header]

    def srow(typ, name, label_map=None, hint_map=None, appearance="", required=""):
        survey.append([typ, name, *texts(label_map or {}), *texts(hint_map or {}), appearance, required])

    choices_header = ["list_name", "name", *_lang_cols(inst, "label")]
    choices: list[list] = [choices_header]

    srow("note", "instructions", fm.instructions)
    bg = inst.background_for(form)
    if bg:
        srow("begin_group", "background", fm.background_heading)
        for b in bg:
            if b.type == "select_one":
                srow(f"select_one {b.id}", b.id, b.text.get(form, {}), b.note)
                for c in b.choices:
                    choices.append([b.id, str(c.code), *texts(c.labels)])
            elif b.type == "integer":
                srow("integer", b.id, b.text.get(form, {}), b.note)
            else:
                srow("text", b.id, b.text.get(form, {}), b.note)
        srow("end_group", "")
    used_lists = set()
    for sec in sections(inst, form, lang):
        rs = inst.response_scale(sec.scale.id)
        if rs.id not in used_lists:
            used_lists.add(rs.id)
            for o in rs.all_options():
                choices.append([rs.id, str(o.code), *texts(o.labels)])
        stem_map = sec.scale.stem.get(form) or fm.stem
        if sec.first_in_domain:
            dom = inst.get_domain(sec.scale.domain)
            group_label = {code: f"{local(dom.labels, code, d)}: {local(stem_map, code, d)}" for code in langs}
        else:
            group_label = stem_map
        srow("begin_group", sec.scale.id, group_label, appearance="field-list")
        srow(f"select_one {rs.id}", f"{sec.scale.id}_hdr", {code: "" for code in langs}, appearance="label")
        for it in sec.items:
            srow(f"select_one {rs.id}", it.id, it.text.get(form, {}), appearance="list-nolabel")
        srow("end_group", "")
    default_name = inst.language(lang).xlsform_name
    settings = [
        ["form_title", "form_id", "version", "default_language"],
        [f"{local(inst.title, lang, d)} - {local(fm.labels, lang, d)}", f"{inst.id}_{form}",
         inst.version, default_name],
    ]
    return {"survey": survey, "choices": choices, "settings": settings}


def render(inst, form: str = "self", lang: str | None = None) -> bytes:
    """The XLSForm workbook as ``.xlsx`` bytes.

    >>> from qimscale.instrument import load_instrument
    >>> data = render(load_instrument())
    >>> data[:2]
    b'PK'
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets(inst, form, lang).items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
