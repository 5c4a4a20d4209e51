"""Exports: REDCap dictionary, XLSForm (compiled by pyxform), codebook, and the rest."""

from __future__ import annotations

import csv
import io

import pytest

from qimscale.instrument import load_instrument
from qimscale.instrument.exporters import FORMATS, codebook, export, export_all, redcap, xlsform

from _samples import sample as real_sample  # vendored; GPL ones from shared/samples when present



@pytest.fixture(scope="module")
def inst():
    return load_instrument()


# ------------------------------------------------------------------ REDCap
def test_redcap_header_is_byte_exact_with_real_dictionary(inst):
    text = redcap.render(inst)
    header = text.split("\n", 1)[0].encode()
    sample = real_sample("redcap/REDCapR_longitudinal_dictionary.csv")
    assert header == sample.read_bytes().split(b"\n", 1)[0].rstrip(b"\r")
    assert len(next(csv.reader([header.decode()]))) == 18 and b",Identifier?," in header


def _parse_redcap(text):
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(r) == 18 for r in rows)
    return [dict(zip(redcap.COLUMNS, r)) for r in rows[1:]]


@pytest.mark.parametrize("form", ["self", "observer"])
def test_redcap_round_trip(inst, form):
    rows = _parse_redcap(redcap.render(inst, form))
    assert rows[0]["field_name"] == "record_id"
    items = [r for r in rows if r["matrix_group_name"]]
    assert [r["field_name"] for r in items] == [it.id for it in inst.items]
    for r in items:
        it = inst.get_item(r["field_name"])
        assert r["matrix_group_name"] == it.scale
        assert r["field_type"] == "radio"
        assert r["field_label"] == it.text[form]["en"]
        pairs = [p.split(",", 1) for p in r["select_choices_or_calculations"].split("|")]
        codes = {int(c.strip()): lab.strip() for c, lab in pairs}
        assert codes == {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree", 4: "Agree",
                         5: "Strongly agree", 9: "Not applicable / can't judge"}
        assert ("reverse=yes" in r["field_annotation"]) == it.reverse
        assert r["form_name"] == f"qim_competency_{form}"
    # matrix groups are consecutive rows, and each starts a block
    groups = [r["matrix_group_name"] for r in items]
    assert groups == sorted(groups, key=groups.index)
    bg = {r["field_name"]: r for r in rows if r["field_name"] in {b.id for b in inst.background}}
    assert set(bg) == {b.id for b in inst.background_for(form)}
    assert bg["org_id"]["identifier"] == "y" and bg["org_id"]["field_type"] == "text"
    assert bg["country"]["identifier"] == ""
    assert bg["qim_type"]["field_type"] in ("radio", "dropdown")
    assert bg["years_qi_role"]["select_choices_or_calculations"] == \
        "1, Less than 2 years | 2, 2 to 5 years | 3, More than 5 years"


# ------------------------------------------------------------------ XLSForm
def _xlsform_sheets(data):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


@pytest.mark.parametrize("form", ["self", "observer"])
def test_xlsform_compiles_with_pyxform(inst, form, tmp_path):
    pytest.importorskip("pyxform")
    from pyxform.xls2xform import convert

    path = tmp_path / f"{form}.xlsx"
    path.write_bytes(xlsform.render(inst, form))
    warnings: list[str] = []
    result = convert(xlsform=str(path), warnings=warnings)
    assert warnings == []
    xml = result.xform
    assert 'lang="English (en)"' in xml
    for it in inst.items:
        assert f"<{it.id}/>" in xml
    assert f"<{inst.background_for(form)[0].id}/>" in xml


def test_xlsform_read_back_through_pyxform(inst, tmp_path):
    from pyxform.xls2json_backends import xlsx_to_dict

    path = tmp_path / "f.xlsx"
    path.write_bytes(xlsform.render(inst, "self"))
    d = xlsx_to_dict(str(path))
    survey = d["survey"]
    names = [r.get("name") for r in survey if str(r.get("type", "")).startswith("select_one agree5")]
    assert [n for n in names if not n.endswith("_hdr")] == [it.id for it in inst.items]
    groups = [r for r in survey if r.get("type") == "begin_group" and r.get("appearance") == "field-list"]
    assert [g["name"] for g in groups] == [s.id for s in inst.scales]
    apps = {r["name"]: r.get("appearance") for r in survey if r.get("name")}
    assert apps["lead_sys_1"] == "list-nolabel" and apps["lead_systems_hdr"] == "label"
    choices = [(r["list_name"], str(r["name"])) for r in d["choices"]]
    assert [c for l, c in choices if l == "agree5"] == ["1", "2", "3", "4", "5", "9"]
    assert d["settings"][0]["default_language"] == "English (en)"
    assert "label::English (en)" in survey[0]


# ------------------------------------------------------------------ codebook
def test_codebook(inst):
    rows = list(csv.DictReader(io.StringIO(codebook.render(inst))))
    assert len(rows) == len(inst.items)
    for col in ("item", "scale", "domain", "reverse", "min", "max", "text"):
        assert col in rows[0]
    by = {r["item"]: r for r in rows}
    assert by["perf_3"]["reverse"] == "true" and by["perf_1"]["reverse"] == "false"
    assert (by["perf_3"]["min"], by["perf_3"]["max"], by["perf_3"]["na_code"]) == ("1", "5", "9")
    assert by["lead_sys_1"]["limesurvey"] == "leadsystems[leadsys1]"
    assert by["lead_sys_1"]["qualtrics"] == "lead_systems_1"
    obs = list(csv.DictReader(io.StringIO(codebook.render(inst, "observer"))))
    assert obs[0]["text"].startswith("This QI manager")


def test_export_all_writes_every_format(inst, tmp_path):
    paths = export_all(inst, tmp_path / "out")
    names = sorted(p.name for p in paths)
    assert "qim_competency_codebook.csv" in names
    for fmt in FORMATS:
        assert any(fmt in n or (fmt in ("markdown", "html") and n.endswith((".md", ".html"))) for n in names), fmt
    assert len(names) == 15  # 6 per-form formats x 2 forms + 1 codebook + 1 lavaan model + 1 ratings template
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


def test_unknown_language_and_form_are_errors(inst):
    from qimscale.errors import InstrumentError

    with pytest.raises(InstrumentError, match="language 'xx' is not declared"):
        export(inst, "redcap", lang="xx")
    with pytest.raises(InstrumentError, match="unknown form 'peer'"):
        export(inst, "redcap", form="peer")


# ------------------------------------------------------------------ LimeSurvey
def _ls_rows(text):
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def test_limesurvey_columns_follow_real_export(inst):
    from qimscale.instrument.exporters import limesurvey

    header, _ = _ls_rows(limesurvey.render(inst))
    sample = real_sample("limesurvey/limonaid_export-of-minimal-survey-as-tsv.txt")  # skipped if absent
    real = sample.read_text(encoding="utf-8-sig").split("\n", 1)[0].rstrip("\r").split("\t")
    assert all(c in real for c in header)
    assert [c for c in real if c in header] == header  # same relative order
    assert real[:14] == header[:14]


@pytest.mark.parametrize("form", ["self", "observer"])
def test_limesurvey_structure(inst, form):
    from qimscale.instrument.exporters import limesurvey

    _, rows = _ls_rows(limesurvey.render(inst, form))
    classes = [r["class"] for r in rows]
    assert {"S", "SL", "G", "Q", "SQ", "A"} <= set(classes)
    # positional relationships: a Q follows a G; SQ/A follow their Q
    current_q = None
    sq_by_q: dict[str, list] = {}
    a_by_q: dict[str, list] = {}
    seen_g = False
    for r in rows:
        if r["class"] == "G":
            seen_g = True
        elif r["class"] == "Q":
            assert seen_g
            current_q = r
        elif r["class"] == "SQ":
            sq_by_q.setdefault(current_q["name"], []).append(r)
        elif r["class"] == "A":
            a_by_q.setdefault(current_q["name"], []).append(r)
    arrays = [r for r in rows if r["class"] == "Q" and r["type/scale"] == "F"]
    assert [q["name"] for q in arrays] == [inst.limesurvey_code(s.id) for s in inst.scales]
    for sc in inst.scales:
        code = inst.limesurvey_code(sc.id)
        assert [r["name"] for r in sq_by_q[code]] == [inst.limesurvey_code(it.id) for it in inst.scale_items(sc.id)]
        assert [r["text"] for r in sq_by_q[code]] == [it.text[form]["en"] for it in inst.scale_items(sc.id)]
        answers = [(r["name"], r["assessment_value"]) for r in a_by_q[code]]
        assert answers == [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5"), ("9", "0")]
    for q in (r for r in rows if r["class"] == "Q"):
        assert q["name"].isalnum() and len(q["name"]) <= 20 and q["name"][0].isalpha()
    for r in rows:
        if r["class"] == "A":
            assert len(r["name"]) <= 5  # LimeSurvey answer codes are at most 5 characters
    bg_lists = [r for r in rows if r["class"] == "Q" and r["type/scale"] == "L"]
    assert "qimtype" in [q["name"] for q in bg_lists]


# ------------------------------------------------------------------ Qualtrics
@pytest.mark.parametrize("form", ["self", "observer"])
def test_qualtrics_advanced_format(inst, form):
    from qimscale.instrument.exporters import qualtrics

    txt = qualtrics.render(inst, form)
    lines = txt.splitlines()
    assert lines[0] == "[[AdvancedFormat]]"
    assert txt.count("[[Question:Matrix:SingleAnswer]]") == len(inst.scales)
    # each matrix: [[ID:scale]], stem, [[Choices]] items, [[Answers]] options
    for sc in inst.scales:
        i = lines.index(f"[[ID:{sc.id}]]")
        assert lines[i - 1] == "[[Question:Matrix:SingleAnswer]]"
        assert lines[i + 2] == "[[Choices]]"
        n = len(inst.scale_items(sc.id))
        assert lines[i + 3:i + 3 + n] == [it.text[form]["en"] for it in inst.scale_items(sc.id)]
        assert lines[i + 3 + n] == "[[Answers]]"
        assert lines[i + 4 + n:i + 10 + n] == ["Strongly disagree", "Disagree", "Neither agree nor disagree",
                                               "Agree", "Strongly agree", "Not applicable / can't judge"]
    assert qualtrics.qualtrics_na_code(inst) == 6
    for b in inst.background_for(form):
        assert f"[[ID:{b.id}]]" in lines
    # every tag line is a known Advanced-Format tag
    tags = {ln.split(":")[0] + ("]]" if ":" in ln else "") for ln in lines if ln.startswith("[[")}
    assert tags <= {"[[AdvancedFormat]]", "[[Block]]", "[[Question]]", "[[ID]]", "[[Choices]]", "[[Answers]]"}


# ------------------------------------------------------------------ paper forms
def test_markdown_paper_form(inst):
    from qimscale.instrument.exporters import paper

    md = paper.render_markdown(inst, "self")
    table_rows = [ln for ln in md.splitlines() if ln.startswith("| ") and "<sub>" in ln]
    assert len(table_rows) == len(inst.items)
    assert table_rows[0].startswith("| 1 <sub>exp_meth_1</sub> | I hold a formal qualification")
    assert all(ln.count("\u2610") == 6 for ln in table_rows)
    assert "## About you and your role" in md and "rater_role" not in md
    assert "rater_role" in paper.render_markdown(inst, "observer")


def test_html_paper_form_is_self_contained(inst):
    from html.parser import HTMLParser

    from qimscale.instrument.exporters import paper

    page = paper.render_html(inst, "observer")

    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows = 0
            self.external = []

        def handle_starttag(self, tag, attrs):
            d = dict(attrs)
            if tag == "tr":
                self.rows += 1
            for a in ("src", "href"):
                if a in d:
                    self.external.append(d[a])

    p = P()
    p.feed(page)
    assert p.external == []  # no scripts, fonts, images or style sheets from elsewhere
    assert p.rows == len(inst.items) + len(inst.scales)  # one header row per table
    assert "@page" in page and "@media print" in page
    assert "This QI manager" in page and "&#x27;" in page  # texts are escaped


# ------------------------------------------------------------------ the io layer reads our exports back
def test_io_readers_read_our_exports(inst, tmp_path):
    from qimscale.io import definitions, platforms
    from qimscale.instrument.exporters import limesurvey

    rc = tmp_path / "rc.csv"
    rc.write_text(redcap.render(inst, "observer"), encoding="utf-8")
    df = platforms.read_redcap_dictionary(rc)
    items = df[df["matrix_group_name"] != ""]
    assert list(items["field_name"]) == [it.id for it in inst.items]
    assert items.iloc[0]["choices"] == {"1": "Strongly disagree", "2": "Disagree", "3": "Neither agree nor disagree",
                                        "4": "Agree", "5": "Strongly agree", "9": "Not applicable / can't judge"}
    assert set(df.loc[df["identifier"] == "y", "field_name"]) == {"qim_id", "org_id", "team_id"}

    ls = tmp_path / "ls.txt"
    ls.write_text(limesurvey.render(inst), encoding="utf-8")
    t = definitions.read_limesurvey_structure(ls)
    sq = t[t["class"] == "SQ"]
    assert list(sq["name"]) == [inst.limesurvey_code(it.id) for it in inst.items]
    assert list(sq["question"].unique()) == [inst.limesurvey_code(s.id) for s in inst.scales]

    xf = tmp_path / "f.xlsx"
    xf.write_bytes(xlsform.render(inst))
    sheets = definitions.read_xlsform(xf)
    assert definitions.xlsform_languages(sheets["survey"]) == ["English (en)"]
    names = list(sheets["survey"]["name"])
    assert all(it.id in names for it in inst.items)
