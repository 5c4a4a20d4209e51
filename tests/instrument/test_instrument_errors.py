"""Broken instrument files: one-line errors that name the file, the object and the field."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from qimscale.instrument.loader import dump_yaml, parse_yaml

from qimscale.errors import InstrumentError
from qimscale.instrument import load_instrument, validate_instrument
from qimscale.instrument.loader import bundled_path


@pytest.fixture(scope="module")
def raw():
    return parse_yaml(bundled_path().read_text(encoding="utf-8"))


def write(tmp_path, data, name="inst.yaml") -> Path:
    p = tmp_path / name
    p.write_text(dump_yaml(data), encoding="utf-8")
    # keep the Table 2 code list next to it so source codes are checked too
    (tmp_path / "akmal2022-table2-codes.yaml").write_text(
        (bundled_path().parent / "akmal2022-table2-codes.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return p


def test_unknown_scale_message(tmp_path, raw):
    d = copy.deepcopy(raw)
    d["items"][22]["scale"] = "systems"
    assert d["items"][22]["id"] == "lead_sys_2"
    p = write(tmp_path, d)
    with pytest.raises(InstrumentError) as exc:
        load_instrument(p)
    msg = str(exc.value)
    assert msg.startswith(f"{p}: item 'lead_sys_2': unknown scale 'systems'; known scales: exp_methods, ")
    assert "\n" not in msg


def test_duplicate_id(tmp_path, raw):
    d = copy.deepcopy(raw)
    d["items"][1]["id"] = d["items"][0]["id"]
    with pytest.raises(InstrumentError, match=r"item 'exp_meth_1': duplicate item id 'exp_meth_1'"):
        load_instrument(write(tmp_path, d))


def test_missing_file(tmp_path):
    with pytest.raises(InstrumentError, match=r"nope\.yaml: instrument file not found"):
        load_instrument(tmp_path / "nope.yaml")


def test_yaml_syntax_error(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("id: x\nitems: [\n  - id: a\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"bad\.yaml: YAML syntax error at line \d+, column \d+"):
        load_instrument(p)


def test_not_a_mapping(tmp_path):
    p = tmp_path / "list.yaml"
    p.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match="expected a mapping"):
        load_instrument(p)


def test_schema_errors_name_item_and_field(tmp_path, raw):
    d = copy.deepcopy(raw)
    d["items"][3]["revers"] = True
    with pytest.raises(InstrumentError, match=r"item 'exp_meth_4': field 'revers': unknown field"):
        load_instrument(write(tmp_path, d))
    d = copy.deepcopy(raw)
    del d["items"][5]["scale"]
    with pytest.raises(InstrumentError, match=r"item 'exp_impl_1': field 'scale': required field is missing"):
        load_instrument(write(tmp_path, d))
    d = copy.deepcopy(raw)
    d["background"][2]["type"] = "radio"
    with pytest.raises(InstrumentError, match=r"background field 'qim_type': field 'type': must be"):
        load_instrument(write(tmp_path, d))


def test_empty_text_and_unknown_source_code(tmp_path, raw):
    d = copy.deepcopy(raw)
    d["items"][0]["text"]["self"]["en"] = "   "
    with pytest.raises(InstrumentError, match=r"item 'exp_meth_1': empty text in language 'en'"):
        load_instrument(write(tmp_path, d))
    d = copy.deepcopy(raw)
    d["items"][0]["source_codes"] = ["six_sigmaa"]
    with pytest.raises(InstrumentError, match=r"unknown source code 'six_sigmaa'"):
        load_instrument(write(tmp_path, d))


def test_na_code_inside_scored_range(tmp_path, raw):
    d = copy.deepcopy(raw)
    d["response_scales"][0]["not_applicable"]["code"] = 3
    with pytest.raises(InstrumentError, match="not-applicable code 3 lies inside the scored range"):
        load_instrument(write(tmp_path, d))


def test_warnings_are_reported_not_raised(tmp_path, raw):
    d = copy.deepcopy(raw)
    # a 2-item scale, a bad platform name, a declared language without texts
    d["items"] = [it for it in d["items"] if it["id"] not in ("lead_sys_3", "lead_sys_4")]
    d["items"][0]["id"] = "Exp-Meth-1"
    d["languages"].append({"code": "mi", "name": "Te reo Maori"})
    inst = load_instrument(write(tmp_path, d))
    probs = validate_instrument(inst)
    msgs = [str(p) for p in probs]
    assert all(p.severity == "warning" for p in probs)
    assert any("scale 'lead_systems': scale has 2 item(s)" in m for m in msgs)
    assert any("'Exp-Meth-1' is not a valid REDCap/SPSS/XLSForm name" in m for m in msgs)
    assert any("missing translation for declared language 'mi'" in m for m in msgs)


def test_limesurvey_code_collision(tmp_path, raw):
    d = copy.deepcopy(raw)
    d["items"][0]["id"] = "expmeth_2"  # collides with exp_meth_2 once '_' is dropped
    probs = validate_instrument(load_instrument(write(tmp_path, d)))
    assert any("collides" in p.message for p in probs)
