"""``qimscale instrument`` commands: validate, export, translate; error contract."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from qimscale.instrument.loader import dump_yaml, parse_yaml
from click.testing import CliRunner

from qimscale.cli import main
from qimscale.instrument import load_instrument
from qimscale.instrument.loader import bundled_path


@pytest.fixture(scope="module")
def raw():
    return parse_yaml(bundled_path().read_text(encoding="utf-8"))


def _write(path: Path, data) -> Path:
    path.write_text(dump_yaml(data), encoding="utf-8")
    _codes_beside(path)
    return path


def _codes_beside(path: Path) -> None:
    """Copy the Table 2 code list next to an instrument copy, so its source codes are checked."""
    src = bundled_path().parent / "akmal2022-table2-codes.yaml"
    (path.parent / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")


@pytest.fixture()
def broken(tmp_path, raw):
    dup = copy.deepcopy(raw)
    dup["items"][1]["id"] = dup["items"][0]["id"]
    unk = copy.deepcopy(raw)
    unk["items"][22]["scale"] = "systems"
    bad = tmp_path / "syntax.yaml"
    bad.write_text("id: x\nitems: [\n", encoding="utf-8")
    return {
        "duplicate": (_write(tmp_path / "dup.yaml", dup), "duplicate item id 'exp_meth_1'"),
        "unknown_scale": (_write(tmp_path / "unk.yaml", unk), "item 'lead_sys_2': unknown scale 'systems'"),
        "missing": (tmp_path / "missing.yaml", "instrument file not found"),
        "syntax": (bad, "YAML syntax error at line"),
    }


def _invoke(*args):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("case", ["duplicate", "unknown_scale", "missing", "syntax"])
@pytest.mark.parametrize("cmd", ["export", "validate"])
def test_broken_instrument_gives_one_line_error(broken, case, cmd, tmp_path):
    path, expected = broken[case]
    if cmd == "export":
        out = tmp_path / "o.csv"
        res = _invoke("instrument", "export", "--format", "redcap", "--instrument", str(path), "--out", str(out))
        assert not out.exists()
    else:
        res = _invoke("instrument", "validate", str(path))
    assert res.exit_code == 1
    err = res.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: ") and expected in err[0]
    assert "Traceback" not in res.output


@pytest.mark.parametrize("case", ["duplicate", "missing", "syntax"])
def test_broken_instrument_subprocess(broken, case, tmp_path):
    path, expected = broken[case]
    proc = subprocess.run([sys.executable, "-m", "qimscale", "instrument", "export", "--format", "codebook",
                           "--instrument", str(path), "--out", str(tmp_path / "cb.csv")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("Error: ") and expected in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "cb.csv").exists()


def test_validate_bundled_ok_and_json():
    res = _invoke("instrument", "validate")
    assert res.exit_code == 0 and "OK (version 1.0.0" in res.stdout
    res = _invoke("instrument", "validate", str(bundled_path()), "--json")
    data = json.loads(res.stdout)
    assert data["valid"] and data["problems"] == [] and data["version"] == "1.0.0"


def test_validate_reports_warnings(tmp_path, raw):
    d = copy.deepcopy(raw)
    d["items"] = [it for it in d["items"] if it["id"] != "lead_sys_4" and it["id"] != "lead_sys_3"]
    p = _write(tmp_path / "short.yaml", d)
    res = _invoke("instrument", "validate", str(p))
    assert res.exit_code == 1 and "scale has 2 item(s)" in res.stdout
    assert res.stderr.startswith("Error: ") and "0 error(s), 1 warning(s)" in res.stderr
    assert _invoke("instrument", "validate", str(p), "--allow-warnings").exit_code == 0


@pytest.mark.parametrize("fmt,suffix", [("redcap", ".csv"), ("xlsform", ".xlsx"), ("qualtrics", ".txt"),
                                        ("limesurvey", ".txt"), ("markdown", ".md"), ("html", ".html"),
                                        ("codebook", ".csv")])
def test_export_each_format(tmp_path, fmt, suffix):
    out = tmp_path / f"x{suffix}"
    res = _invoke("instrument", "export", "--format", fmt, "--form", "observer", "--out", str(out), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["written"] == [str(out)]
    assert out.stat().st_size > 1000
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_export_all_and_stdout(tmp_path):
    res = _invoke("instrument", "export", "--format", "all", "--out", str(tmp_path / "out"))
    assert res.exit_code == 0
    assert len(list((tmp_path / "out").iterdir())) == 15  # 6 per-form formats x 2 forms + codebook + lavaan model + ratings template
    res = _invoke("instrument", "export", "--format", "codebook", "--out", "-")
    assert res.exit_code == 0 and res.stdout.startswith("item,scale,domain")
    res = _invoke("instrument", "export", "--format", "xlsform", "--out", "-")
    assert res.exit_code == 2


def test_failed_export_leaves_nothing(tmp_path):
    res = _invoke("instrument", "export", "--format", "all", "--lang", "xx", "--out", str(tmp_path / "out"))
    assert res.exit_code == 1 and "language 'xx' is not declared" in res.stderr
    assert not (tmp_path / "out").exists()
    res = _invoke("instrument", "export", "--format", "redcap", "--out", str(tmp_path / "nodir" / "a.csv"))
    assert res.exit_code == 1 and "does not exist" in res.stderr


def test_usage_errors_exit_2():
    assert _invoke("instrument", "export", "--format", "spss", "--out", "x").exit_code == 2
    assert _invoke("instrument", "translate", "--lang", "mi").exit_code == 2


# ------------------------------------------------------------------ translation workflow
FIXTURE_LANG = "qaa"  # ISO 639-2 "reserved for local use": a test-only pseudo-language, not a translation


def _fill(sheet: Path, status="reviewed", skip=()):
    from openpyxl import load_workbook

    wb = load_workbook(sheet)
    ws = wb["translation"]
    header = [c.value for c in ws[1]]
    k, s, t, st = (header.index(c) for c in ("key", "source", "target", "status"))
    for row in ws.iter_rows(min_row=2):
        if row[k].value in skip:
            continue
        row[t].value = f"[{FIXTURE_LANG}] {row[s].value}"
        row[st].value = status
    wb.save(sheet)


def test_translation_round_trip(tmp_path):
    sheet = tmp_path / "qaa.xlsx"
    res = _invoke("instrument", "translate", "--template", "--lang", FIXTURE_LANG, "--name", "Pseudo",
                  "--out", str(sheet))
    assert res.exit_code == 0, res.output
    _fill(sheet)
    copy_path = tmp_path / "inst.yaml"
    _codes_beside(copy_path)
    res = _invoke("instrument", "translate", "--merge", str(sheet), "--out", str(copy_path), "--json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["lang"] == FIXTURE_LANG and summary["missing"] == 0
    assert summary["status_counts"]["reviewed"] == summary["merged"] > 55 * 2
    assert copy_path.read_text(encoding="utf-8").startswith("# QI Manager Competency Scale")

    inst = load_instrument(copy_path)
    assert inst.language_codes == ["en", FIXTURE_LANG]
    assert inst.item_text("lead_sys_2", "observer", FIXTURE_LANG).startswith("[qaa] This QI manager")
    assert inst.translation_status[FIXTURE_LANG]["item.lead_sys_2.self"] == "reviewed"
    assert _invoke("instrument", "validate", str(copy_path)).exit_code == 0

    # exports accept --lang; XLSForm carries every language and still compiles
    out = tmp_path / "rc.csv"
    assert _invoke("instrument", "export", "--format", "redcap", "--lang", FIXTURE_LANG, "--instrument",
                   str(copy_path), "--out", str(out)).exit_code == 0
    assert "[qaa] I hold a formal qualification" in out.read_text(encoding="utf-8")
    assert "9, [qaa] Not applicable / can't judge" in out.read_text(encoding="utf-8")
    xf = tmp_path / "f.xlsx"
    assert _invoke("instrument", "export", "--format", "xlsform", "--instrument", str(copy_path),
                   "--out", str(xf)).exit_code == 0
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    xml = convert(xlsform=str(xf), warnings=warnings).xform
    assert 'lang="Pseudo (qaa)"' in xml and 'lang="English (en)"' in xml
    # pyxform only notes that the reserved-for-local-use code is not in its language registry
    assert all("Pseudo (qaa)" in w for w in warnings)
    ls = tmp_path / "ls.txt"
    assert _invoke("instrument", "export", "--format", "limesurvey", "--instrument", str(copy_path),
                   "--out", str(ls)).exit_code == 0
    langs = {ln.split("\t")[8] for ln in ls.read_text(encoding="utf-8").splitlines()[1:]
             if ln.split("\t")[2] in ("G", "Q", "SQ", "A")}
    assert langs == {"en", FIXTURE_LANG}


def test_translation_partial_and_bad_status(tmp_path):
    sheet = tmp_path / "qaa.xlsx"
    assert _invoke("instrument", "translate", "--template", "--lang", FIXTURE_LANG, "--out",
                   str(sheet)).exit_code == 0
    _fill(sheet, skip={"item.ext_5.self"})
    p = tmp_path / "inst.yaml"
    res = _invoke("instrument", "translate", "--merge", str(sheet), "--out", str(p))
    assert res.exit_code == 0 and "1 left untranslated" in res.stdout
    res = _invoke("instrument", "validate", str(p))
    assert res.exit_code == 1 and "missing translation for declared language 'qaa'" in res.stdout
    _fill(sheet, status="machine")
    p2 = tmp_path / "inst2.yaml"
    res = _invoke("instrument", "translate", "--merge", str(sheet), "--out", str(p2))
    assert res.exit_code == 1 and "status 'machine' must be one of" in res.stderr and "row 2" in res.stderr
    assert not p2.exists()


def test_merge_into_bundled_needs_out(tmp_path):
    sheet = tmp_path / "qaa.xlsx"
    assert _invoke("instrument", "translate", "--template", "--lang", FIXTURE_LANG, "--out",
                   str(sheet)).exit_code == 0
    res = _invoke("instrument", "translate", "--merge", str(sheet))
    assert res.exit_code == 1 and "needs --out" in res.stderr


def test_info_json_matches_library():
    res = _invoke("instrument", "info", "--json")
    assert res.exit_code == 0
    assert json.loads(res.stdout) == load_instrument().summary()
    assert "lead_systems" in _invoke("instrument", "info").stdout
