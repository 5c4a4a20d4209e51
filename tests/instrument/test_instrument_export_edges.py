"""Review 3 of the instrument exporters: texts with line breaks and pipes in the platform files."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

import pytest

from qimscale.errors import InstrumentError
from qimscale.instrument.exporters import paper, redcap
from qimscale.instrument.loader import bundled_path, instrument_from_raw, read_raw


@pytest.fixture(scope="module")
def raw():
    return read_raw(bundled_path(), "qim-competency.yaml")


def _inst(raw, edit):
    r = copy.deepcopy(raw)
    edit(r)
    return instrument_from_raw(r, "edited.yaml")


def _multiline_texts(r):
    """Texts as a translator's worksheet or a YAML literal block leaves them: with line breaks."""
    opts = r["response_scales"][0]["options"]
    opts[2]["label"]["en"] = "Neither agree\nnor disagree"
    r["response_scales"][0]["not_applicable"]["label"]["en"] = "Not applicable /\r\ncan't judge"
    bg = next(b for b in r["background"] if b["id"] == "qim_type")
    bg["choices"][1]["label"]["en"] = "Clinical: a clinician who moved into QI,\nmostly trained on the job"
    it = next(i for i in r["items"] if i["id"] == "exp_meth_1")
    it["text"]["self"]["en"] = "I hold a formal qualification in quality improvement\nor operations management."


def _redcap_choices(text):
    rows = list(csv.reader(io.StringIO(text)))
    return {r[0]: r[5] for r in rows[1:]}


def test_redcap_choice_labels_with_line_breaks_keep_one_choice_per_code(raw):
    """REDCap reads a line break inside 'Choices' as the start of a new choice: the label
    'Neither agree\\nnor disagree' became a choice 'nor disagree' without a code, and the upload
    was rejected. Labels are written on one line."""
    inst = _inst(raw, _multiline_texts)
    ch = _redcap_choices(redcap.render(inst, "self"))
    for field in ("exp_meth_1", "lead_sys_4", "qim_type"):
        assert "\n" not in ch[field] and "\r" not in ch[field], field
    assert ch["lead_sys_4"] == ("1, Strongly disagree | 2, Disagree | 3, Neither agree nor disagree | 4, Agree | "
                                "5, Strongly agree | 9, Not applicable / can't judge")
    assert ch["qim_type"].endswith("2, Clinical: a clinician who moved into QI, mostly trained on the job")


def test_redcap_choice_label_with_a_pipe_is_an_error(raw):
    """'|' separates REDCap choices and cannot be escaped: 'Agree | mostly' was written as is and
    REDCap read a choice ' mostly' without a code. The export now stops and names the label."""
    def edit(r):
        r["response_scales"][0]["options"][3]["label"]["en"] = "Agree | mostly"

    inst = _inst(raw, edit)
    with pytest.raises(InstrumentError, match=r"Agree \| mostly"):
        redcap.render(inst, "self")


def test_markdown_table_rows_stay_on_one_line(raw):
    """A line break in an item text or an option label split the Markdown table row, so the
    paper form lost the statement and its tick boxes."""
    inst = _inst(raw, _multiline_texts)
    md = paper.render_markdown(inst, "self")
    rows = [ln for ln in md.splitlines() if ln.startswith("| ") and "<sub>" in ln]
    assert len(rows) == len(inst.items)
    assert all(ln.count("\u2610") == 6 for ln in rows)
    assert rows[0].startswith("| 1 <sub>exp_meth_1</sub> | I hold a formal qualification in quality improvement "
                              "or operations management.")
    headers = [ln for ln in md.splitlines() if ln.startswith("| # | Statement")]
    assert len(headers) == len(inst.scales)
    assert all("Neither agree nor disagree (3)" in h and "Not applicable / can't judge (9)" in h for h in headers)


def _item_with_own_scale(r):
    r["response_scales"].append({"id": "freq4", "options": [
        {"code": c, "label": {"en": lab}} for c, lab in enumerate(["Never", "Sometimes", "Often", "Always"])]})
    next(i for i in r["items"] if i["id"] == "exp_meth_2")["response"] = "freq4"


def test_item_response_scale_other_than_its_scales_is_rejected(raw):
    """Every platform shows a scale as one matrix with one set of answers (REDCap matrix group,
    LimeSurvey array, Qualtrics matrix, XLSForm grid, paper table), built from the scale's response
    scale. An item with its own ``response:`` was exported with the scale's options (1-5 agree) while
    scoring expected its own codes (0-3): answers 4 and 5 became 'out of range' problems and the other
    codes were scored on the wrong scale. The instrument is now invalid, naming the item."""
    with pytest.raises(InstrumentError, match=r"exp_meth_2.*freq4.*agree5.*exp_methods"):
        _inst(raw, _item_with_own_scale)


def test_item_naming_its_scales_response_scale_is_fine(raw):
    def edit(r):
        next(i for i in r["items"] if i["id"] == "exp_meth_2")["response"] = "agree5"

    inst = _inst(raw, edit)
    assert inst.response_scale("exp_meth_2").id == "agree5"


@pytest.mark.parametrize("where", ["not_applicable", "background"])
def test_limesurvey_answer_codes_must_be_alphanumeric(raw, where):
    """LimeSurvey stores answer codes of 1-5 letters or digits only (its Answer model rejects
    others), so a survey-research habit such as -9 for 'not applicable' gave a TSV whose answer
    rows LimeSurvey refuses. The export now stops and names the code; REDCap and XLSForm keep it."""
    from qimscale.instrument.exporters import limesurvey, xlsform

    def edit(r):
        if where == "not_applicable":
            r["response_scales"][0]["not_applicable"]["code"] = -9
        else:
            next(b for b in r["background"] if b["id"] == "org_type")["choices"][1]["code"] = -9

    inst = _inst(raw, edit)
    with pytest.raises(InstrumentError, match=r"-9.*LimeSurvey"):
        limesurvey.render(inst, "self")
    assert "-9, " in redcap.render(inst, "self")
    xlsform.render(inst, "self")


def test_limesurvey_answer_codes_of_six_digits_are_rejected(raw):
    def edit(r):
        r["response_scales"][0]["not_applicable"]["code"] = 999999

    from qimscale.instrument.exporters import limesurvey

    with pytest.raises(InstrumentError, match=r"999999"):
        limesurvey.render(_inst(raw, edit), "self")


def test_export_all_writes_the_forms_the_instrument_has(tmp_path):
    """An instrument with only the self form: --format all without --form exports it (it asked for both)."""
    import yaml
    from click.testing import CliRunner

    from qimscale.cli import main

    d = yaml.safe_load((Path(__file__).resolve().parents[2] / "instrument" / "qim-competency.yaml").read_text())

    def drop_observer(o):
        if isinstance(o, dict):
            return {k: drop_observer(v) for k, v in o.items() if k != "observer"}
        if isinstance(o, list):
            return [drop_observer(v) for v in o
                    if v != "observer" and not (isinstance(v, dict) and v.get("id") == "observer")]
        return o

    d = drop_observer(d)
    d["background"] = [dict(b, forms=["self"]) for b in d["background"] if b.get("text", {}).get("self")]
    spec = tmp_path / "self_only.yaml"
    spec.write_text(yaml.safe_dump(d, allow_unicode=True, sort_keys=False))
    res = CliRunner().invoke(main, ["instrument", "export", "--format", "all", "--instrument", str(spec),
                                    "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names and not any("observer" in n for n in names) and any("self_redcap" in n for n in names)
