"""``qimscale score``: JSON contract, outputs in every format, atomicity, privacy, strict mode, flags."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.cli import main
from qimscale.cli._common import to_jsonable
from qimscale.scoring import score_file

ROOT = Path(__file__).resolve().parents[2]
SYN = ROOT / "tests" / "data" / "synthetic"
QUALTRICS = SYN / "qualtrics_current_matrix_choicetext.csv"
QUALTRICS_IDS = ["IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
                 "LocationLatitude", "LocationLongitude"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_json_contract_equals_library_call():
    res = run("score", QUALTRICS, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {"n_rows", "n_scored", "scales", "problems"} <= set(out)
    lib = to_jsonable(score_file(QUALTRICS).summary())
    lib["outputs"] = {}
    assert out == lib
    assert out["n_rows"] == 12 and out["n_scored"] == 12
    assert set(out["scales"]) >= {"exp_methods", "lead_systems", "qi_performance", "ext_orientation"}
    assert [p["row"] for p in out["problems"]] == [11, 13]
    assert set(out["problems"][0]) == {"row", "column", "item", "value", "problem"}
    assert "Note: dropped direct identifiers: IPAddress" in res.stderr


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx", ".sav", ".dta"])
def test_outputs_every_format_identifiers_dropped(tmp_path, suffix):
    out = tmp_path / f"scores{suffix}"
    res = run("score", QUALTRICS, "--out", out)
    assert res.exit_code == 0, res.output
    assert out.is_file()
    assert (tmp_path / "scores.problems.csv").is_file() and (tmp_path / "scores.log.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, "scores.problems.csv", "scores.log.json"])
    from qimscale.io import read_data

    df = read_data(out)
    assert not set(QUALTRICS_IDS) & set(df.columns)
    assert "lead_systems" in df.columns and "qc_flagged" in df.columns
    ref = score_file(QUALTRICS).table
    np.testing.assert_allclose(df["lead_systems"].to_numpy(dtype=float), ref["lead_systems"].to_numpy(dtype=float))
    if suffix == ".sav":
        import pyreadstat

        _, meta = pyreadstat.read_sav(str(out), metadataonly=True)
        assert meta.variable_value_labels["exp_meth_1"][5.0] == "Strongly agree"
        assert meta.variable_value_labels["exp_meth_1"][9.0] == "Not applicable / can't judge"
        assert meta.column_names_to_labels["exp_meth_1"].endswith("(for example a certificate, diploma or degree).")
        assert meta.variable_value_labels["org_type"][1.0] == "Metropolitan"


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_spss_stata_variable_labels_from_the_instrument(tmp_path, suffix):
    """A plain CSV has no variable labels: items get their texts, scores and flags their names."""
    import pyreadstat

    from qimscale.instrument import load_instrument

    inst = load_instrument()
    items = [it.id for it in inst.items]
    src = tmp_path / "plain.csv"
    rows = [",".join(["id", "qim_type"] + items)]
    rng = np.random.default_rng(3)
    rows += [",".join([str(i), "1"] + [str(c) for c in rng.integers(1, 6, len(items))]) for i in range(1, 120)]
    src.write_text("\n".join(rows) + "\n")
    out = tmp_path / f"s{suffix}"
    res = run("score", src, "--out", out, "--sums")
    assert res.exit_code == 0, res.output
    read = pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta
    _, meta = read(str(out), metadataonly=True)
    lab = meta.column_names_to_labels
    limit = 256 if suffix == ".sav" else 80
    assert lab["exp_meth_1"] == inst.get_item("exp_meth_1").text_for("self")[:limit]
    assert lab["lead_systems"] == inst.get_scale("lead_systems").label
    assert lab["leadership"] == "Leadership"
    assert lab["lead_systems_sum"] == f"{inst.get_scale('lead_systems').label} (sum score)"
    assert lab["qc_mahad_flag"].startswith("Flag: D-squared")
    assert lab["qim_type"]


def test_variable_labels_when_a_domain_has_the_id_of_a_scale():
    """The scale keeps its label; the domain's label goes to its column ``<domain>_domain``."""
    from qimscale.instrument import load_instrument
    from qimscale.scoring import score_codes
    from qimscale.scoring.pipeline import _variable_labels
    from qimscale.scoring.spec import ScoringSpec

    inst = copy.deepcopy(load_instrument())  # the loaded instrument is cached: change a copy
    dom = next(d for d in inst.domains if d.id == "performance")
    dom.id = "qi_performance"  # the domain's one scale has this id
    for sc in inst.scales:
        if sc.domain == "performance":
            sc.domain = "qi_performance"
    spec = ScoringSpec.from_instrument(inst)
    scores, _ = score_codes(pd.DataFrame(np.ones((3, len(spec.items))), columns=list(spec.items)), spec,
                            sums=True)
    lab = _variable_labels(scores.columns, spec)
    assert lab["qi_performance"] == inst.get_scale("qi_performance").label
    assert lab["qi_performance_sum"] == f"{inst.get_scale('qi_performance').label} (sum score)"
    assert lab["qi_performance_domain"] == dom.label
    assert lab["leadership"] == "Leadership"


def test_scoring_log_records_rules(tmp_path):
    out = tmp_path / "s.csv"
    assert run("score", QUALTRICS, "--out", out, "--min-answered", "0.5").exit_code == 0
    log = json.loads((tmp_path / "s.log.json").read_text())
    assert log["scoring"]["min_answered"] == 0.5
    assert log["scoring"]["reverse_rule"] == "min + max - x"
    assert len(log["scoring"]["reverse_keyed_items"]) == 7
    assert log["privacy"]["identifiers_dropped"] == QUALTRICS_IDS
    assert log["validation"]["not_applicable_set_missing"] == 2
    assert log["quality"]["min_seconds"] == 2.0 * 55
    assert log["read"]["format"] == "qualtrics" and log["read"]["header_rows"] == 3
    probs = pd.read_csv(tmp_path / "s.problems.csv")
    assert list(probs.columns) == ["row", "column", "item", "value", "problem"] and len(probs) == 2


def test_keep_identifiers(tmp_path):
    out = tmp_path / "s.csv"
    res = run("score", QUALTRICS, "--out", out, "--keep-identifiers")
    assert res.exit_code == 0 and "dropped" not in res.stderr
    assert set(QUALTRICS_IDS) <= set(pd.read_csv(out).columns)


def test_study_codes_kept_personal_fields_dropped(tmp_path):
    """The instrument's study codes (identifier: study_code) stay for the multilevel analyses; a field
    declared personal data (identifier: pii) is dropped, as the platform's PII is."""
    from qimscale.instrument import load_instrument
    from qimscale.scoring.spec import ScoringSpec

    p = tmp_path / "d.csv"
    p.write_text("qim_id,team_id,org_id,exp_meth_1,exp_meth_2\nQ1,T9,O1,4,5\nQ2,T9,O1,3,3\n")
    res = score_file(p)
    assert res.identifiers_dropped == []
    assert {"qim_id", "team_id", "org_id"} <= set(res.table.columns)
    assert res.log["privacy"]["study_codes_kept"] == ["qim_id", "org_id", "team_id"]
    inst = copy.deepcopy(load_instrument())  # the bundled instrument is cached: never change it in place
    inst.background[[b.id for b in inst.background].index("team_id")].identifier = "pii"
    res = score_file(p, instrument=ScoringSpec.from_instrument(inst))
    assert res.identifiers_dropped == ["team_id"]
    assert "team_id" not in res.table and "qim_id" in res.table


def test_strict_exits_1_naming_first_problems(tmp_path):
    res = run("score", QUALTRICS, "--strict", "--out", tmp_path / "s.csv")
    assert res.exit_code == 1
    line = res.stderr.strip()
    assert line.count("\n") == 0 and line.startswith("Error: ")
    assert "2 problem(s)" in line and "row 11" in line and "'Agreee'" in line and "row 13" in line
    assert list(tmp_path.iterdir()) == []  # a failed run leaves nothing


def test_failed_write_leaves_nothing(tmp_path):
    (tmp_path / "s.problems.csv").mkdir()
    res = run("score", QUALTRICS, "--out", tmp_path / "s.csv")
    assert res.exit_code == 1 and "is a folder" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.problems.csv"]


def test_input_never_modified_and_never_overwritten(tmp_path):
    src = tmp_path / "in.csv"
    shutil.copy(SYN / "codes.csv", src)
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    assert run("score", src, "--out", tmp_path / "o.parquet").exit_code == 0
    res = run("score", src, "--out", src)
    assert res.exit_code == 1 and "refusing to overwrite the input" in res.stderr
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before


def test_too_fast_flag_from_qualtrics_duration_and_exclusion(tmp_path):
    res = score_file(QUALTRICS)
    t = res.table
    assert t.loc[t["qc_too_fast"], "ResponseId"].tolist() == ["R_fake0004"]  # 45 s < 2 s x 55 items
    assert t["qc_duration_s"].iloc[4] == 45
    assert t["qc_longstring"].iloc[5] == 55 and bool(t["qc_longstring_flag"].iloc[5])  # straight-liner
    assert t["qc_irv"].iloc[5] == 0
    ex = score_file(QUALTRICS, exclude_flagged=True)
    flagged_rows = (np.flatnonzero(t["qc_flagged"]) + 4).tolist()
    assert ex.log["excluded_rows"] == flagged_rows and len(ex.table) == 12 - len(flagged_rows)
    assert 8 in flagged_rows and 9 in flagged_rows  # rows of respondents 4 and 5
    out = json.loads(run("score", QUALTRICS, "--exclude-flagged", "--json").stdout)
    assert out["excluded_rows"] == flagged_rows and out["n_rows"] == 12


def test_text_output_mentions_problems():
    res = run("score", SYN / "kobo_groups.csv")
    assert res.exit_code == 0
    assert "12 rows read (kobo), 12 scored" in res.stdout and "3.5" in res.stdout


def test_redcap_dictionary_option(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("record_id,email,exp_meth_1,exp_meth_2,qim_survey_complete\n1,a@b.org,4,5,2\n")
    d = tmp_path / "dict.csv"
    d.write_text("field_name,form_name,section_header,field_type,field_label,select_choices_or_calculations,"
                 "field_note,text_validation_type_or_show_slider_number,text_validation_min,text_validation_max,"
                 "identifier,branching_logic,required_field,custom_alignment,question_number,matrix_group_name,"
                 "matrix_ranking,field_annotation\n"
                 "record_id,qim_survey,,text,Record ID,,,,,,,,,,,,,\n"
                 "email,qim_survey,,text,E-mail,,,email,,,y,,,,,,,\n")
    res = run("score", p, "--dictionary", d, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["identifiers_dropped"] == ["email"]


def test_csv_from_stdin():
    data = (SYN / "codes.csv").read_text()
    res = CliRunner().invoke(main, ["score", "-", "--json"], input=data)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["n_rows"] == 12 and out["source_format"] == "csv"


def test_attention_checks_declared_in_the_spec(tmp_path):
    from qimscale.scoring.spec import AttentionCheck, ScoringSpec

    spec = ScoringSpec.simple({"s1": ["a", "b"], "s2": ["c", "d"], "s3": ["e", "f"]})
    spec.attention_checks = [AttentionCheck("attn_1", [2])]
    p = tmp_path / "d.csv"
    p.write_text("a,b,c,d,e,f,attn_1\n1,2,3,4,5,4,2\n2,2,3,3,4,4,5\n3,4,3,4,3,4,\n")
    res = score_file(p, instrument=spec)
    assert res.table["qc_attention_failed"].tolist() == [0, 1, 1]
    assert res.table["qc_attention_flag"].tolist() == [False, True, True]
    assert res.log["quality"]["counts"]["qc_attention_flag"] == 2


def test_no_quality_flags(tmp_path):
    res = run("score", QUALTRICS, "--no-quality-flags", "--out", tmp_path / "s.csv")
    assert res.exit_code == 0, res.output
    cols = pd.read_csv(tmp_path / "s.csv").columns
    assert not [c for c in cols if c.startswith("qc_")] and "lead_systems" in cols
    res = run("score", QUALTRICS, "--no-quality-flags", "--exclude-flagged")
    assert res.exit_code == 1 and "needs the quality flags" in res.stderr


@pytest.mark.parametrize("name, message", [("s.txt", "cannot write .txt"), ("nodir/s.csv", "does not exist")])
def test_bad_output_path_fails_before_scoring(tmp_path, name, message):
    res = run("score", QUALTRICS, "--out", tmp_path / name)
    assert res.exit_code == 1 and message in res.stderr and res.stdout == ""
