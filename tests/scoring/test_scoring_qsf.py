"""Qualtrics recode values from a .qsf are turned back into instrument codes when scoring.

The samples (QualtricsTools' single-answer-matrix survey, its .qsf and its exports)
are NOT the QIM instrument: these tests score them with a small stand-in
instrument of 4-point items (``ScoringSpec.simple``) and an explicit column map.
Question Q4 ("RecodeValues") exports its answers 1..4 as 10..13; Q5 also has
ChoiceDataExportTags (columns ``Q5_question_one``...); Q2 has no recodes.
"""

import numpy as np
import pandas as pd
import pytest

from qimscale.errors import DataError
from qimscale.io import read_survey
from qimscale.scoring import ScoringSpec, score_file

from _samples import sample

QSF = sample("qualtrics/QualtricsTools_Single_Answer_Matrix.qsf")
EXPORT = sample("qualtrics/QualtricsTools_Single_Answer_Matrix_insights2016.csv")
LEGACY = sample("qualtrics/QualtricsTools_Single_Answer_Matrix_legacy.csv")

#: stand-in instrument (not QIM): three 4-point scales for the sample's three matrix questions
SPEC = ScoringSpec.simple({"plain": ["p1", "p2", "p3"], "recoded": ["r1", "r2", "r3"],
                           "tagged": ["t1", "t2", "t3"]}, codes=(1, 2, 3, 4), reverse=["r3"])
MAP = {"Q2_1": "p1", "Q2_2": "p2", "Q2_3": "p3", "Q4_1": "r1", "Q4_2": "r2", "Q4_3": "r3",
       "Q5_question_one": "t1", "Q5_question_two": "t2", "Q5_question_three": "t3"}


def test_recode_values_become_instrument_codes():
    raw = read_survey(EXPORT).data
    res = score_file(EXPORT, instrument=SPEC, mapping=MAP, dictionary=QSF, quality=False)
    assert len(res.problems) == 0
    for col, item in MAP.items():
        expect = raw[col].to_numpy(dtype=float)
        if col.startswith(("Q4", "Q5")):
            expect = expect - 9  # 10..13 -> 1..4
        np.testing.assert_array_equal(res.table[item].to_numpy(dtype=float), expect)
    # independent scale scores: r3 reverse-keyed as 1 + 4 - x
    r = raw[["Q4_1", "Q4_2", "Q4_3"]].to_numpy(dtype=float) - 9
    r[:, 2] = 5 - r[:, 2]
    np.testing.assert_allclose(res.table["recoded"].to_numpy(), r.mean(axis=1), rtol=1e-12)
    log = res.log["validation"]["qualtrics_recodes"]
    assert log["items"]["r1"]["values"] == {10: 1, 11: 2, 12: 3, 13: 4}
    assert log["items"]["t2"]["question"] == "Q5"
    assert "p1" in log["items"] and log["items"]["p1"]["values"] == {1: 1, 2: 2, 3: 3, 4: 4}


def test_without_the_qsf_the_exported_values_are_out_of_range():
    res = score_file(EXPORT, instrument=SPEC, mapping=MAP, quality=False)
    assert set(res.problems["column"]) == {c for c in MAP if c.startswith(("Q4", "Q5"))}
    assert res.table["recoded"].isna().all()


def test_legacy_export_by_column_name():
    res = score_file(LEGACY, instrument=SPEC, mapping={"Q4_1": "r1", "Q4_2": "r2", "Q4_3": "r3"},
                     dictionary=QSF, quality=False)
    raw = read_survey(LEGACY).data
    np.testing.assert_array_equal(res.table["r2"].to_numpy(dtype=float), raw["Q4_2"].to_numpy(dtype=float) - 9)


def test_a_value_that_is_not_an_exported_value_is_a_problem(tmp_path):
    h = read_survey(EXPORT).header_rows
    raw = pd.read_csv(EXPORT, dtype=str, keep_default_na=False)
    raw.loc[h, "Q4_1"] = "2"  # 2nd respondent: a valid instrument code, but not a value this question exports
    p = tmp_path / "export.csv"
    raw.to_csv(p, index=False)
    res = score_file(p, instrument=SPEC, mapping=MAP, dictionary=QSF, quality=False)
    assert len(res.problems) == 1
    prob = res.problems.iloc[0]
    assert (prob["column"], prob["item"], prob["value"], prob["row"]) == ("Q4_1", "r1", "2", h + 2)
    assert "exported values 10, 11, 12, 13" in prob["problem"]
    assert pd.isna(res.table["r1"][1])


def test_cli_passes_a_qsf_dictionary_to_the_qsf_reader(tmp_path):
    from click.testing import CliRunner

    from qimscale.cli import main

    bad = tmp_path / "survey.qsf"
    bad.write_text('{"SurveyEntry": {}}')
    r = CliRunner().invoke(main, ["score", str(EXPORT), "--dictionary", str(bad)])
    assert r.exit_code == 1
    assert r.output.strip().splitlines()[-1] == f"Error: {bad}: not a Qualtrics .qsf file (no SurveyElements)"


def test_not_a_qsf(tmp_path):
    p = tmp_path / "x.qsf"
    p.write_text("{}")
    with pytest.raises(DataError, match="not a Qualtrics .qsf"):
        score_file(EXPORT, instrument=SPEC, mapping=MAP, dictionary=p, quality=False)
