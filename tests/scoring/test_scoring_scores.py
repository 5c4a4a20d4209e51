"""Scores against an independent computation; mapping and validation of every platform fixture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from qimscale.errors import DataError
from qimscale.scoring import ScoringSpec, map_columns, score_codes, score_file
from qimscale.scoring.spec import normalise_label

ROOT = Path(__file__).resolve().parents[2]
SYN = ROOT / "tests" / "data" / "synthetic"
YAML = ROOT / "instrument" / "qim-competency.yaml"


def independent_scores(codes: pd.DataFrame, min_answered=0.75) -> pd.DataFrame:
    """Scores straight from the YAML file with plain pandas (no qimscale code)."""
    doc = yaml.safe_load(YAML.read_text())
    opts = doc["response_scales"][0]
    lo = min(o["code"] for o in opts["options"])
    hi = max(o["code"] for o in opts["options"])
    na = opts["not_applicable"]["code"]
    x = codes.apply(pd.to_numeric, errors="coerce").where(lambda d: (d >= lo) & (d <= hi) & (d != na))
    out = {}
    for sc in doc["scales"]:
        items = [it["id"] for it in doc["items"] if it["scale"] == sc["id"]]
        sub = x[items].copy()
        for it in doc["items"]:
            if it["scale"] == sc["id"] and it.get("reverse"):
                sub[it["id"]] = lo + hi - sub[it["id"]]
        n_ans = sub.notna().sum(axis=1)
        out[sc["id"]] = sub.mean(axis=1).where(n_ans / len(items) >= min_answered)
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def reference():
    codes = pd.read_csv(SYN / "codes.csv", dtype=str, keep_default_na=False).replace("", np.nan)
    return codes, independent_scores(codes)


@pytest.mark.parametrize("fixture", ["codes.csv", "qualtrics_current_matrix_choicetext.csv",
                                     "qualtrics_current_numeric_txtexport.csv", "redcap_labels.csv",
                                     "limesurvey_codes.csv", "kobo_groups.csv"])
def test_every_platform_fixture_scores_like_the_independent_computation(fixture, reference):
    codes, expected = reference
    res = score_file(SYN / fixture)
    assert res.log["mapping"]["absent_items"] == []
    got = res.table[expected.columns]
    if fixture == "qualtrics_current_matrix_choicetext.csv":
        # the fixture answers row 7, item 5 with '  strongly AGREE ' (code 5)
        codes = codes.copy()
        codes.iloc[7, 4] = "5"
        expected = independent_scores(codes)
    # the planted invalid cells are missing in qimscale's input: blank them in the reference too
    planted = res.problems.dropna(subset=["row"])
    planted = planted[planted["item"].isin(codes.columns)]
    if len(planted):
        c2 = codes.copy()
        for r in planted.itertuples():
            c2.loc[r.row - res.log["read"]["header_rows"] - 1, r.item] = np.nan
        expected = independent_scores(c2)
    np.testing.assert_allclose(got.to_numpy(dtype=float), expected.to_numpy(dtype=float), rtol=0, atol=1e-12)


def test_planted_problems_are_all_found():
    q = score_file(SYN / "qualtrics_current_matrix_choicetext.csv").problems
    assert q[["row", "value"]].values.tolist() == [[11, "Agreee"], [13, "Suburban"]]
    assert q["problem"].iloc[0].startswith("unknown label")
    assert q["problem"].iloc[1].startswith("unknown label")
    r = score_file(SYN / "redcap_labels.csv").problems
    assert r[["row", "value", "item"]].values.tolist() == [[10, "7", "exp_ctx_2"]]
    assert r["problem"].iloc[0].startswith("out of range")
    ls = score_file(SYN / "limesurvey_codes.csv").problems
    assert ls["row"].tolist() == [12] and "row 4" in ls["problem"].iloc[0]
    k = score_file(SYN / "kobo_groups.csv").problems
    assert k[["row", "value"]].values.tolist() == [[8, "3.5"]]


def test_qualtrics_txt_export_columns_and_na_code():
    res = score_file(SYN / "qualtrics_current_numeric_txtexport.csv")
    assert res.log["mapping"]["columns"]["lead_sys_2"] == "lead_systems_2"
    assert res.log["validation"]["not_applicable_set_missing"] == 2  # one 6, one 9
    assert res.log["validation"]["qualtrics_txt_na_codes"]["lead_sys_2"] == [6]
    assert len(res.problems) == 0


def test_mapping_methods_per_platform():
    how = score_file(SYN / "kobo_groups.csv").log["mapping"]["how"]
    assert set(how.values()) == {"hint"}
    how = score_file(SYN / "limesurvey_codes.csv").log["mapping"]["how"]
    assert set(how.values()) == {"hint"}  # LimeSurvey code = id without underscores
    how = score_file(SYN / "redcap_labels.csv").log["mapping"]
    assert set(v for k, v in how["how"].items() if not k.startswith(("qim_", "org"))) == {"text"}


def test_not_applicable_and_labels_counted():
    log = score_file(SYN / "qualtrics_current_matrix_choicetext.csv").log["validation"]
    assert log["not_applicable_set_missing"] == 2
    assert log["labels_converted_to_codes"] > 500
    assert log["items"]["exp_meth_5"]["from_labels"] == 12  # '  strongly AGREE ' matched too


def test_reverse_keying_min_answered_and_prorating():
    spec = ScoringSpec.simple({"s": ["a", "b", "c", "d", "e"]}, reverse=["e"])
    codes = pd.DataFrame({"a": [5, 5, 5, np.nan], "b": [4, 4, np.nan, np.nan], "c": [3, 3, 3, 3],
                          "d": [2, np.nan, np.nan, 2], "e": [1, 1, 1, 1]}, dtype=float)
    scores, log = score_codes(codes, spec)  # 0.8 of 5 items = 4
    # row 0: 5,4,3,2,(6-1=5) -> 19/5; row 1: 5,4,3,5 -> 17/4; rows 2,3: 3 answered -> missing
    np.testing.assert_allclose(scores["s"].to_numpy(), [19 / 5, 17 / 4, np.nan, np.nan])
    assert log["scales"]["s"]["n_prorated"] == 1 and log["scales"]["s"]["min_items_answered"] == 4
    scores, _ = score_codes(codes, spec, min_answered=0.6, sums=True)
    np.testing.assert_allclose(scores["s"].to_numpy(), [19 / 5, 17 / 4, 13 / 3, 10 / 3])
    np.testing.assert_allclose(scores["s_sum"].to_numpy(), [19, 17 / 4 * 5, 13 / 3 * 5, 10 / 3 * 5])
    with pytest.raises(DataError, match="min-answered"):
        score_codes(codes, spec, min_answered=1.5)


def test_domain_scores_pool_items_and_skip_exploratory():
    spec = ScoringSpec.simple({"s1": ["a", "b"], "s2": ["c", "d"], "x": ["e"]},
                              domains={"s1": "dom", "s2": "dom", "x": "ext"})
    spec.scales[2].exploratory = True
    codes = pd.DataFrame({"a": [1.0], "b": [2.0], "c": [3.0], "d": [np.nan], "e": [5.0]})
    scores, log = score_codes(codes, spec, min_answered=0.5)
    assert scores["dom"].tolist() == [2.0] and "ext" not in scores
    assert log["domains"]["dom"]["n_prorated"] == 1


def test_norms_t_scores_and_percentiles(tmp_path):
    spec = ScoringSpec.simple({"s": ["a", "b"]})
    codes = pd.DataFrame({"a": [3.0, 5.0], "b": [3.0, 4.0]})
    norms = pd.DataFrame({"scale": ["s"], "mean": [3.0], "sd": [0.5]})
    scores, log = score_codes(codes, spec, norms=norms)
    np.testing.assert_allclose(scores["s_t"], [50.0, 50 + 10 * 1.5 / 0.5])
    np.testing.assert_allclose(scores["s_pct"], [50.0, 99.86501019683699], rtol=1e-12)
    with pytest.raises(DataError, match="not a scale"):
        score_codes(codes, spec, norms=pd.DataFrame({"scale": ["zz"], "mean": [1], "sd": [1]}))


def test_labels_in_every_language_case_whitespace_insensitive_never_fuzzy():
    spec = ScoringSpec.simple({"s": ["a"]}, labels={"Agree": 4, "D'accord": 4, "Not applicable": 9}, na_code=9)
    from qimscale.io import SurveyData
    from qimscale.scoring import validate

    df = pd.DataFrame({"a": ["agree", " AGREE  ", "d'accord", "Agre", "Not  applicable", "4", ""]})
    s = SurveyData(df, "x.csv", "csv", "csv")
    cm = map_columns(s, spec)
    v = validate(s, spec, cm)
    assert v.codes["a"].tolist()[:3] == [4.0, 4.0, 4.0]
    assert np.isnan(v.codes["a"].iloc[3]) and v.problems["value"].tolist() == ["Agre"]
    assert v.counts["a"]["not_applicable"] == 1 and v.codes["a"].iloc[5] == 4.0
    assert normalise_label(" Not\tapplicable ") == "not applicable"


def test_user_missing_kept_distinct_from_system_missing(tmp_path):
    import pyreadstat

    df = pd.DataFrame({"a": [1.0, 99.0, np.nan, 5.0], "b": [2.0, 3.0, 4.0, 98.0]})
    p = tmp_path / "um.sav"
    pyreadstat.write_sav(df, str(p), missing_ranges={"a": [99], "b": [{"lo": 98, "hi": 99}]})
    spec = ScoringSpec.simple({"s": ["a", "b"]})
    res = score_file(p, instrument=spec, min_answered=0.5)
    assert res.log["validation"]["items"]["a"]["user_missing"] == 1
    assert res.log["validation"]["items"]["b"]["user_missing"] == 1
    assert res.log["validation"]["user_missing_set_missing"] == 2
    assert len(res.problems) == 0
    np.testing.assert_allclose(res.table["s"], [1.5, 3.0, 4.0, 5.0])


def test_explicit_map_csv_and_yaml(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("Q1_1,Q1_2,other\n1,2,x\n4,5,y\n")
    spec = ScoringSpec.simple({"s": ["a", "b"]})
    with pytest.raises(DataError, match="no column matches"):
        score_file(p, instrument=spec)
    m = tmp_path / "map.csv"
    m.write_text("column,item\nQ1_1,a\nQ1_2,b\n")
    assert score_file(p, instrument=spec, mapping=m).table["s"].tolist() == [1.5, 4.5]
    y = tmp_path / "map.yaml"
    y.write_text("Q1_1: a\nQ1_2: b\n")
    assert score_file(p, instrument=spec, mapping=y).log["mapping"]["how"] == {"a": "map", "b": "map"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("Q9_9: a\n")
    with pytest.raises(DataError, match="Q9_9"):
        score_file(p, instrument=spec, mapping=bad)


def test_ambiguous_columns_need_a_map(tmp_path):
    p = tmp_path / "k.csv"
    p.write_text("g1/a,g2/a,b,_uuid\n1,2,3,u\n")
    with pytest.raises(DataError, match="both match item 'a'"):
        score_file(p, instrument=ScoringSpec.simple({"s": ["a", "b"]}))


def test_absent_items_and_background_checks(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("id,exp_meth_1,exp_meth_2,org_type\n1,4,5,1\n2,3,3,7\n")
    res = score_file(p)
    absent = res.problems[res.problems["row"].isna()]
    assert len(absent) == len(res.log["mapping"]["absent_items"]) > 40
    assert absent["problem"].str.startswith("item absent from the file").all()
    bg = res.problems.dropna(subset=["row"])
    assert bg[["row", "column", "value"]].values.tolist() == [[3, "org_type", "7"]]
    assert "outside the field's categories" in bg["problem"].iloc[0]


def test_compact_integer_fast_path_equals_general_path(tmp_path):
    from qimscale.io import read_survey
    from qimscale.scoring import validate

    p = tmp_path / "ints.csv"
    p.write_text("id,a,b\n1,1,5\n2,9,0\n3,,7\n4,-99,3\n5,127,-128\n6,4,\n")
    spec = ScoringSpec.simple({"s": ["a", "b"]}, na_code=9)
    fast = read_survey(p, compact=True)
    slow = read_survey(p)
    assert str(fast.data["a"].dtype) == "Int8" and str(slow.data["a"].dtype) == "float64"
    vf = validate(fast, spec, map_columns(fast, spec))
    vs = validate(slow, spec, map_columns(slow, spec))
    pd.testing.assert_frame_equal(vf.codes, vs.codes)
    pd.testing.assert_frame_equal(vf.problems, vs.problems)
    assert vf.counts == vs.counts
    assert vf.problems["value"].tolist() == ["-99", "127", "0", "7", "-128"]
    from qimscale.scoring.pipeline import _compact_codes

    for j, item in enumerate(("a", "b")):  # the output codes of both paths are the same
        assert vf.output_column(j).tolist() == list(_compact_codes(vs.codes[item].to_numpy()))
        assert vs.output_column(j).tolist() == vf.output_column(j).tolist()


def test_limesurvey_sq001_codes_with_map_and_full_headings(tmp_path):
    from qimscale.instrument import load_instrument

    inst = load_instrument()
    items = [it.id for it in inst.scale_items("lead_systems")]
    p = tmp_path / "ls.csv"
    head = ["id", "submitdate", "lastpage", "startlanguage"] + [f"G7[SQ00{k}]" for k in range(1, len(items) + 1)]
    p.write_text(",".join(head) + "\n" + "1,2026-01-01,2,en," + ",".join(["4"] * len(items)) + "\n")
    m = tmp_path / "map.csv"
    m.write_text("column,item\n" + "".join(f"G7[SQ00{k}],{i}\n" for k, i in enumerate(items, start=1)))
    res = score_file(p, mapping=m)
    assert res.table["lead_systems"].tolist() == [4.0 if not any(inst.get_item(i).reverse for i in items) else
                                                   np.mean([2.0 if inst.get_item(i).reverse else 4.0 for i in items])]
    # full headings: "Question [Subquestion text]" matched on the item text, case/space-insensitively
    f = tmp_path / "full.csv"
    cols = ["Response ID", "Date submitted", "Last page", "Start language"] + [
        f'"Stem text [{inst.item_text(i, "self").upper()}]"' for i in items]
    f.write_text(",".join(cols) + "\n" + "1,2026-01-01,2,en," + ",".join(["5"] * len(items)) + "\n")
    res = score_file(f)
    assert set(res.log["mapping"]["how"][i] for i in items) == {"text"}
    assert res.log["read"]["variant"] == "full"


def test_qualtrics_export_as_xlsx_scores_and_numbers_rows_the_same(tmp_path):
    import csv

    import openpyxl

    wb = openpyxl.Workbook()
    for r in csv.reader(open(SYN / "qualtrics_current_matrix_choicetext.csv", encoding="utf-8")):
        wb.active.append(r)
    wb.save(tmp_path / "q.xlsx")
    x = score_file(tmp_path / "q.xlsx")
    c = score_file(SYN / "qualtrics_current_matrix_choicetext.csv")
    assert x.log["read"]["format"] == "qualtrics" and x.log["read"]["header_rows"] == 3
    pd.testing.assert_frame_equal(x.problems, c.problems)
    np.testing.assert_allclose(x.table["lead_systems"], c.table["lead_systems"])


def test_duplicate_ids_in_plain_files_and_redcap_id_heuristic(tmp_path):
    p = tmp_path / "plain.csv"
    p.write_text("respondent_id,exp_meth_1,exp_meth_2\nA,4,5\nB,3,3\nA,2,2\n")
    probs = score_file(p).problems.dropna(subset=["row"])
    assert probs[["row", "column", "value"]].values.tolist() == [[4, "respondent_id", "A"]]
    assert "row 2" in probs["problem"].iloc[0]
    q = tmp_path / "redcapish.csv"  # a '_complete' column makes it REDCap, but column 1 is no record id
    q.write_text("exp_meth_1,exp_meth_2,qim_complete\n4,5,2\n4,3,2\n")
    res = score_file(q)
    assert res.log["read"]["format"] == "redcap" and res.log["read"]["id_columns"] == []
    assert res.problems.dropna(subset=["row"]).empty


def test_stata_extended_missing_is_user_missing(tmp_path):
    import pyreadstat

    df = pd.DataFrame({"a": [1.0, 2.0, "a", 4.0], "b": [5.0, 4.0, 3.0, 2.0]}, dtype=object)
    df["b"] = df["b"].astype(float)
    p = tmp_path / "m.dta"
    pyreadstat.write_dta(df, str(p), missing_user_values={"a": ["a"]})
    res = score_file(p, instrument=ScoringSpec.simple({"s": ["a", "b"]}), min_answered=0.5)
    assert len(res.problems) == 0
    assert res.log["validation"]["items"]["a"]["user_missing"] == 1
    np.testing.assert_allclose(res.table["s"], [3.0, 3.0, 3.0, 3.0])
