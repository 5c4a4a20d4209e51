"""Readers: every real sample (vendored in tests/data/samples; GPL ones from shared/samples), encodings,
delimiters, containers, row numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qimscale.errors import DataError
from qimscale.io import read_data, read_survey
from qimscale.io.definitions import (qsf_value_labels, read_limesurvey_structure, read_qsf, read_xlsform,
                                     xlsform_languages)
from qimscale.io.platforms import parse_redcap_choices, read_redcap_dictionary, redcap_checkbox_column
from qimscale.io.survey import detect_platform

from _samples import sample  # vendored samples; the GPL ones from shared/samples when present


# ------------------------------------------------------------------ real samples: Qualtrics

def test_qualtrics_current_sample_german_row2_and_importids():
    s = read_survey(sample("qualtrics/qualtRics_sample.csv"))
    assert (s.format, s.variant, s.header_rows) == ("qualtrics", "current", 3)
    assert s.data.shape == (1, 20)
    assert s.column_labels["Duration (in seconds)"] == "Dauer (in Sekunden)"
    assert s.import_ids["Q1"] == "QID1" and s.import_ids["ResponseId"] == "_recordId"
    assert s.import_ids["Q2"] == "QID2_TEXT"
    assert s.data.loc[0, "Q2"] == "Hello World!"
    assert s.duration_seconds.tolist() == [38.0]
    assert set(s.identifiers) == {"IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                                  "ExternalReference", "LocationLatitude", "LocationLongitude"}
    assert s.id_columns == ["ResponseId"]
    assert s.row_number(0) == 4


def test_qualtrics_legacy_sample_bom_v_columns_trailing_comma():
    s = read_survey(sample("qualtrics/qualtRics_sample_legacy.csv"))
    assert (s.format, s.variant, s.header_rows) == ("qualtrics", "legacy", 2)
    assert list(s.data.columns[:3]) == ["ResponseID", "ResponseSet", "Name"]
    assert s.data.shape == (1, 15)  # trailing comma column dropped
    assert s.data.loc[0, "ResponseID"] == "R_2YPOQ602ER1jkf1"
    assert s.data.loc[0, "Q1"] == 2
    assert s.duration_seconds.tolist() == [39.0]  # EndDate - StartDate
    assert "EmailAddress" in s.identifiers and "IPAddress" in s.identifiers


def test_qualtrics_legacy_matrix_repeated_export_tags():
    s = read_survey(sample("qualtrics/QualtricsTools_Single_Answer_Matrix_legacy.csv"))
    assert s.variant == "legacy"
    assert "question_one" in s.data.columns and "question_one__2" in s.data.columns
    assert any("question_one" in n for n in s.notes)
    assert set(pd.to_numeric(s.data["Q4_1"]).dropna()) <= {10, 11, 12, 13}  # recodes 10-13


def test_qualtrics_insights2016_dict_style_importids():
    s = read_survey(sample("qualtrics/QualtricsTools_Single_Answer_Matrix_insights2016.csv"))
    assert s.variant == "insights2016" and s.header_rows == 3
    assert s.import_ids["Q2_1"] == "QID2-1"
    assert "question_one" in s.item_hints["Q3_question_one"]


def test_qualtrics_qsf_recodes_and_export_tags():
    qs = read_qsf(sample("qualtrics/QualtricsTools_Single_Answer_Matrix.qsf"))
    q5 = next(q for q in qs if q["tag"] == "Q5")
    assert q5["type"] == "Matrix" and q5["selector"] == "Likert"
    assert q5["recodes"] == {"1": "10", "2": "11", "3": "12", "4": "13"}
    assert q5["export_tags"]["1"] == "question_one"
    assert qsf_value_labels(qs)["Q5"]["13"] == "Click to write Scale point 4"


# ------------------------------------------------------------------ real samples: REDCap

@pytest.mark.parametrize("name, ids", [
    ("REDCapR_survey_data_raw.csv", ["participant_id"]),
    ("REDCapR_checkboxes-1_data_raw.csv", ["record_id"]),
    ("REDCapR_longitudinal_data_raw.csv", ["study_id", "redcap_event_name"]),
    ("REDCapR_repeating-instruments_data_raw.csv", ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"]),
    ("REDCapR_blank-for-gray-status_data_raw_dag.csv", ["record_id"]),
    ("redcapAPI_data_raw.csv", ["record_id", "redcap_event_name"]),
])
def test_redcap_raw_samples(name, ids):
    s = read_survey(sample(f"redcap/{name}"))
    assert s.format == "redcap" and s.variant == "raw"
    assert s.id_columns == ids
    assert all(c.endswith("_complete") or c.startswith("redcap_") or c.endswith("_timestamp")
               for c in s.metadata_columns)
    assert any(c.endswith("_complete") for c in s.metadata_columns)


def test_redcap_survey_timestamps_and_not_completed():
    s = read_survey(sample("redcap/REDCapR_survey_data_raw.csv"))
    assert "prescreening_survey_timestamp" in s.metadata_columns
    assert any("[not completed]" in n for n in s.notes)
    assert s.duration_seconds is not None  # three survey timestamps


def test_redcap_checkbox_columns_and_dictionary_identifiers():
    s = read_survey(sample("redcap/REDCapR_survey_data_raw.csv"),
                    dictionary=sample("redcap/REDCapR_survey_dictionary.csv"))
    # Identifier? = y fields present in the data
    assert {"email", "first_name", "last_name", "address", "telephone_1"} <= set(s.identifiers)
    assert s.value_labels["consent___1"] == {1: "Checked", 0: "Unchecked"}
    assert s.value_labels["has_diabetes"] == {"1": "True", "0": "False"}


def test_redcap_dictionaries_both_header_styles():
    d1 = read_redcap_dictionary(sample("redcap/REDCapR_longitudinal_dictionary.csv"))
    d2 = read_redcap_dictionary(sample("redcap/redcapAPI_metadata_api_format.csv"))
    assert list(d1.columns[:2]) == list(d2.columns[:2]) == ["field_name", "form_name"]
    chk = d2.set_index("field_name").loc["prereq_checkbox", "choices"]
    assert "ABC" in chk
    assert redcap_checkbox_column("prereq_checkbox", "ABC") in read_data(sample("redcap/redcapAPI_data_raw.csv"))


def test_redcap_dictionaries_identifiers_matrix_groups_choices():
    d1 = read_redcap_dictionary(sample("redcap/REDCapR_longitudinal_dictionary.csv"))
    assert list(d1.columns[:2]) == ["field_name", "form_name"]
    assert set(d1.loc[d1["identifier"] == "y", "field_name"]) >= {"first_name", "email"}
    assert (d1["matrix_group_name"] == "weekly_schedule").sum() == 4
    race = d1.set_index("field_name").loc["race", "choices"]
    assert race["6"] == "Unknown / Not Reported"
    for name in ("REDCapR_checkboxes-1_dictionary.csv", "REDCapR_repeating-instruments_dictionary.csv",
                 "REDCapR_survey_dictionary.csv"):
        assert len(read_redcap_dictionary(sample(f"redcap/{name}"))) > 3
    ck = read_redcap_dictionary(sample("redcap/REDCapR_checkboxes-1_dictionary.csv")).set_index("field_name")
    assert ck.loc["check_one", "choices"] == {"1": "one", "2": "two", "3": "three", "4": "four"}


def test_redcap_choice_parsing_commas_and_negative_codes():
    assert parse_redcap_choices("1, a, b | -99, Refused") == {"1": "a, b", "-99": "Refused"}
    assert redcap_checkbox_column("race", "-99") == "race____99"


# ------------------------------------------------------------------ real samples: LimeSurvey, XLSForm, Kobo, SPSS

def test_limesurvey_r_data_file_full_headings_bom():
    s = read_survey(sample("limesurvey/limonaid_survey_100001_R_data_file.csv"))
    assert (s.format, s.variant) == ("limesurvey", "full")
    assert s.data.columns[0] == "Response ID"
    assert s.data.shape[0] == 3
    assert s.duration_source == "Date last action - Date started"
    bar = next(c for c in s.data.columns if c.endswith("[Bar]"))
    assert set(pd.to_numeric(s.data[bar]).dropna()) <= {0, 1}  # multiple choice as 1/0


@pytest.mark.parametrize("name, langs", [
    ("limonaid_export-of-minimal-survey-as-tsv.txt", {"en"}),
    ("limonaid_export-of-en-and-nl-survey-with-one-question-as-tsv.txt", {"en", "nl"}),
    ("limonaid_testing-multilingual-slider-export.txt", {"en", "nl"}),
])
def test_limesurvey_structure_files(name, langs):
    d = read_limesurvey_structure(sample(f"limesurvey/{name}"))
    assert langs <= set(d["language"].dropna())
    assert {"G", "Q"} <= set(d["class"])
    sub = d[d["class"].isin(["SQ", "A"])]
    assert sub["question"].notna().all()


def test_limesurvey_multilingual_blocks_share_codes():
    d = read_limesurvey_structure(sample("limesurvey/limonaid_export-of-en-and-nl-survey-with-one-question-as-tsv.txt"))
    a = d[d["class"] == "A"]
    assert sorted(a[a["language"] == "en"]["name"]) == sorted(a[a["language"] == "nl"]["name"]) == ["1", "2"]


def test_xlsform_samples():
    spec = read_xlsform(sample("xlsform/pyxform_xlsform_spec_test.xlsx"))
    assert {"english", "chinese"} <= set(xlsform_languages(spec["survey"]))
    assert "form_id" in spec["settings"].columns
    grid = read_xlsform(sample("xlsform/pyxform_table-list.xls"))
    assert "list_name" in grid["choices"].columns  # legacy 'list name' header
    assert grid["survey"]["type"].str.contains("select").any()
    widgets = read_xlsform(sample("xlsform/pyxform_widgets.csv"))
    assert "my_int" in set(widgets["survey"]["name"])
    yn = read_xlsform(sample("xlsform/pyxform_yes_or_no_question.xlsx"))
    assert len(yn["choices"]) == 2


def test_kobo_formpack_json_submissions():
    s = read_survey(sample("xlsform/formpack_grouped_translated_v1.json"))
    assert s.format == "kobo" and s.id_columns == ["_uuid"]
    assert any("/" in c for c in s.data.columns)
    assert "_submission_time" in s.metadata_columns
    c = read_survey(sample("xlsform/formpack_customer_satisfaction_v1.json"))
    assert c.data.shape[0] == 3
    assert c.data["_validation_status"].astype(str).str.startswith("{").any()  # object kept as JSON


def test_spss_samples_labels_and_user_missing():
    s = read_survey(sample("spss/pyreadstat_sample_missing.sav"))
    assert s.format == "sav" and s.header_rows == 0
    assert s.user_missing["mynum"] == [{"lo": 2000.0, "hi": 3000.0}, {"lo": -1.0, "hi": -1.0}]
    # user-missing codes are kept as values (distinct from system-missing NaN)
    assert 2500.0 in s.data["mynum"].tolist() and -1.0 in s.data["mylabl"].tolist()
    assert s.data["mylabl"].isna().sum() == 1
    assert s.value_labels["myord"][3.0] == "high"
    m = read_survey(sample("spss/pyreadstat_missing_test.sav"))
    assert m.data["var1"].tolist() == [1.0, 2.0]  # code 1 = "missing" not silently NaN
    assert m.encoding == "windows-1252"
    for name in ("pyreadstat_sample.sav", "pyreadstat_ordered_category.sav"):
        assert read_data(sample(f"spss/{name}")).shape[0] > 0


# ------------------------------------------------------------------ containers, encodings, delimiters

def test_windows_1252_and_bom(tmp_path):
    p = tmp_path / "w.csv"
    p.write_bytes("name,l1\nJosé Müller,4\nRenée,5\n".encode("cp1252"))
    s = read_survey(p)
    assert s.encoding == "windows-1252" and s.data["name"].tolist() == ["José Müller", "Renée"]
    b = tmp_path / "b.csv"
    b.write_bytes(b"\xef\xbb\xbfl1,l2\n1,2\n")
    s = read_survey(b)
    assert list(s.data.columns) == ["l1", "l2"] and s.encoding == "utf-8-sig"
    u16 = tmp_path / "u16.csv"
    u16.write_bytes("l1\tl2\n3\t4\n".encode("utf-16"))
    assert read_data(u16).values.tolist() == [[3, 4]]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_sniffing(tmp_path, sep):
    p = tmp_path / "d.csv"
    p.write_text(sep.join(["a", "b", '"c, d; e"']) + "\n" + sep.join(["1", "2", '"x; y, z"']) + "\n")
    s = read_survey(p)
    assert s.delimiter == sep and list(s.data.columns) == ["a", "b", "c, d; e"]


def test_missing_markers(tmp_path):
    p = tmp_path / "na.csv"
    p.write_text("a,b\nNA,1\nN/A,\n-99,3\n")
    df = read_survey(p).data  # scoring: only empty cells are missing, markers are reported later
    assert df["a"].tolist() == ["NA", "N/A", "-99"]
    assert df["b"].isna().tolist() == [False, True, False]
    df = read_data(p)  # analysis: R's NA and the usual markers are missing too
    assert df["a"].isna().tolist() == [True, True, False] and df["b"].isna().tolist() == [False, True, False]


def test_multiline_quoted_cells(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text('id,comment,l1\n1,"two\nlines",4\n2,x,5\n')
    assert read_data(p)["l1"].tolist() == [4, 5]


def test_xlsx_parquet_dta_roundtrip(tmp_path):
    df = pd.DataFrame({"id": ["a", "b", "c"], "l1": [1.0, 5.0, np.nan], "l2": [2, 3, 4]})
    df.to_excel(tmp_path / "x.xlsx", index=False)
    x = read_data(tmp_path / "x.xlsx")
    assert x["id"].tolist() == ["a", "b", "c"] and x["l1"].isna().tolist() == [False, False, True]
    df.to_parquet(tmp_path / "x.parquet")
    pd.testing.assert_frame_equal(read_data(tmp_path / "x.parquet"), df)
    import pyreadstat

    pyreadstat.write_dta(df, str(tmp_path / "x.dta"))
    assert read_data(tmp_path / "x.dta")["l2"].tolist() == [2, 3, 4]


def test_format_override(tmp_path):
    p = tmp_path / "data.dat"
    p.write_text("StartDate,ResponseId,Finished,l1\n2020-01-01,R_1,1,4\n")
    with pytest.raises(DataError, match="suffix"):
        read_survey(p)
    assert read_survey(p, format="csv").format == "csv"
    q = tmp_path / "q.csv"
    q.write_text("StartDate,ResponseId,Finished,l1\n2020-01-01,R_1,1,4\n")
    assert read_survey(q).format == "qualtrics"
    assert read_survey(q, format="csv").format == "csv"  # a container format means: no platform rules
    with pytest.raises(DataError, match="unknown format"):
        read_survey(q, format="spss")


def test_detect_platform_rules():
    assert detect_platform([["id", "submitdate", "lastpage", "startlanguage", "Q1[SQ001]"]]) == "limesurvey"
    assert detect_platform([["SubmissionDate", "g1-q1", "meta-instanceID", "KEY"]]) == "odk"
    assert detect_platform([["grp/q1", "_uuid"]]) == "kobo"
    assert detect_platform([["a", "b"]]) is None


def test_limesurvey_code_hints_and_odk_paths(tmp_path):
    p = tmp_path / "ls.csv"
    p.write_text("id,submitdate,lastpage,startlanguage,G1[SQ001],G1_SQ002,123456X1X2SQ003\n1,,1,en,1,2,3\n")
    s = read_survey(p)
    assert s.item_hints["G1[SQ001]"] == ["G1[SQ001]", "G1_SQ001", "SQ001"]
    assert "SQ002" in s.item_hints["G1_SQ002"] and "SQ003" in s.item_hints["123456X1X2SQ003"]
    o = tmp_path / "odk.csv"
    o.write_text("SubmissionDate,grp-l1,grp.l2,meta-instanceID,KEY,SubmitterName\n2020,4,5,uuid:1,uuid:1,ann\n")
    s = read_survey(o)
    assert s.format == "odk" and s.item_hints["grp-l1"][-1] == "l1" and s.item_hints["grp.l2"][-1] == "l2"
    assert s.identifiers == ["SubmitterName"] and s.id_columns == ["KEY"]


def test_header_rows_counted_in_row_numbers(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("a\n1\n2\n")
    s = read_survey(p)
    assert s.row_number(np.arange(2)).tolist() == [2, 3]


def test_xlsx_with_several_sheets_reads_the_first_and_says_so(tmp_path):
    import openpyxl
    from click.testing import CliRunner

    from qimscale.cli import main

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append(["id", "exp_meth_1", "exp_meth_2"])
    ws.append([1, 4, 5])
    wb.create_sheet("Codebook").append(["item", "text"])
    wb.create_sheet("Notes")
    p = tmp_path / "two.xlsx"
    wb.save(p)
    s = read_survey(p)
    assert list(s.data.columns) == ["id", "exp_meth_1", "exp_meth_2"]
    assert s.notes == ["the workbook has 3 sheets; read the first ('Responses'), not 'Codebook', 'Notes' "
                       "(save the sheet you need first, or as .csv)"]
    res = CliRunner().invoke(main, ["score", str(p)])
    assert res.exit_code == 0 and f"Note: {p}: the workbook has 3 sheets" in res.stderr
