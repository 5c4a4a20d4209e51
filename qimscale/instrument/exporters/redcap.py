"""REDCap data dictionary (Designer -> Data Dictionary upload CSV).

One instrument (REDCap "form") per questionnaire form: ``qim_competency_self`` or
``qim_competency_observer``. The file has the 18 standard columns, with the header
row byte-for-byte as REDCap writes it. A ``record_id`` text field comes first (REDCap
needs a record-id field), then a descriptive field with the instructions, the
background block (radio or dropdown for categories; text fields with
``Identifier? = y`` where the field can identify someone), then one matrix group per
scale: ``radio`` fields with identical choices ``1, Strongly disagree | ... | 5,
Strongly agree | 9, Not applicable / can't judge`` and ``Matrix Group Name`` = the
scale id. The first matrix of each domain carries the domain heading and stem as
its Section Header. ``Field Annotation`` records the scale and keying for
re-import; REDCap shows it to designers only.

REDCap holds one language per dictionary; export one file per language.
"""

from __future__ import annotations

import csv
import io

from qimscale.errors import InstrumentError
from qimscale.instrument.exporters._common import check_form, check_lang, local, sections

#: The 18 headers exactly as REDCap writes them (note the unquoted ``Identifier?``).
HEADER = (
    '"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
    '"Choices, Calculations, OR Slider Labels","Field Note","Text Validation Type OR Show Slider Number",'
    '"Text Validation Min","Text Validation Max",Identifier?,"Branching Logic (Show field only if...)",'
    '"Required Field?","Custom Alignment","Question Number (surveys only)","Matrix Group Name",'
    '"Matrix Ranking?","Field Annotation"'
)
COLUMNS = [
    "field_name", "form_name", "section_header", "field_type", "field_label",
    "select_choices_or_calculations", "field_note", "text_validation_type_or_show_slider_number",
    "text_validation_min", "text_validation_max", "identifier", "branching_logic", "required_field",
    "custom_alignment", "question_number", "matrix_group_name", "matrix_ranking", "field_annotation",
]
EXTENSION = ".csv"


def choices_string(pairs, where: str = "") -> str:
    """``[(1, 'Yes'), (0, 'No')]`` -> ``'1, Yes | 0, No'``.

    REDCap splits choices on ``|`` and on line breaks, so each label is written
    on one line, and a label holding ``|`` (which cannot be escaped) is an error.
    """
    out = []
    for code, label in pairs:
        label = " ".join(str(label).split())
        if "|" in label:
            raise InstrumentError(f"{where}choice {code} '{label}': REDCap separates choices with '|', so a choice "
                                  f"label cannot contain it; reword the label (for example with '/')")
        out.append(f"{code}, {label}")
    return " | ".join(out)


def form_name(inst, form: str) -> str:
    return f"{inst.id}_{form}"


def rows(inst, form: str = "self", lang: str | None = None) -> list[dict]:
    """Dictionary rows as dicts keyed by the API (snake_case) column names."""
    check_form(inst, form)
    lang = check_lang(inst, lang)
    d = inst.default_language
    fname = form_name(inst, form)
    fm = inst.get_form(form)

    def row(**kw):
        r = dict.fromkeys(COLUMNS, "")
        r["form_name"] = fname
        r.update(kw)
        return r

    out = [row(field_name="record_id", field_type="text", field_label="Record ID")]
    out.append(row(field_name="instructions", field_type="descriptive",
                   field_label=local(fm.instructions, lang, d)))
    heading = local(fm.background_heading, lang, d)
    for k, b in enumerate(inst.background_for(form)):
        label = local(b.text.get(form, {}), lang, d)
        note = local(b.note, lang, d)
        sec = heading if k == 0 else ""
        ident = "y" if b.identifying else ""
        if b.type == "select_one":
            widget = b.widget or ("radio" if len(b.choices) <= 5 else "dropdown")
            out.append(row(field_name=b.id, section_header=sec, field_type=widget, field_label=label,
                           select_choices_or_calculations=choices_string(
                               ((c.code, local(c.labels, lang, d)) for c in b.choices),
                               f"{inst.path}: background field '{b.id}': "),
                           field_note=note, identifier=ident))
        else:
            out.append(row(field_name=b.id, section_header=sec, field_type="text", field_label=label,
                           field_note=note, identifier=ident,
                           text_validation_type_or_show_slider_number="integer" if b.type == "integer" else ""))
    for sec in sections(inst, form, lang):
        rs = inst.response_scale(sec.scale.id)
        ch = choices_string(((o.code, local(o.labels, lang, d)) for o in rs.all_options()),
                            f"{inst.path}: response scale '{rs.id}': ")
        header = f"{sec.domain_label}: {sec.stem}" if sec.first_in_domain else sec.stem
        for k, it in enumerate(sec.items):
            out.append(row(field_name=it.id, section_header=header if k == 0 else "", field_type="radio",
                           field_label=local(it.text.get(form, {}), lang, d),
                           select_choices_or_calculations=ch, matrix_group_name=sec.scale.id,
                           field_annotation=f"qimscale: scale={sec.scale.id}; "
                                            f"reverse={'yes' if it.reverse else 'no'}"))
    return out


def render(inst, form: str = "self", lang: str | None = None) -> str:
    """The data dictionary CSV as text (UTF-8, ``\\n`` line endings).

    Examples
    --------
    >>> from qimscale.instrument import load_instrument
    >>> text = render(load_instrument())
    >>> text.splitlines()[0].startswith('"Variable / Field Name","Form Name"')
    True
    >>> [ln for ln in text.splitlines() if ln.startswith("lead_sys_4,")][0][:60]
    'lead_sys_4,qim_competency_self,,radio,My improvement work ra'
    """
    buf = io.StringIO()
    buf.write(HEADER + "\n")
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    for r in rows(inst, form, lang):
        w.writerow([r[c] for c in COLUMNS])
    return buf.getvalue()
