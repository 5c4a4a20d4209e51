"""``qimscale cfa --ordered`` on cases of the WLSMV review (``tests/reference/wlsmv_review*``):
exit codes, one JSON object, one-line errors, each warning once on stderr, lavaan's numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.cli import main

REF = Path(__file__).parents[1] / "reference"
SPEC = {c["case"]: c for c in json.loads((REF / "wlsmv_review_cases.json").read_text())["cases"]}
LAV = {c["case"]: c for c in json.loads((REF / "wlsmv_review.json").read_text())["cases"]}
DATA = pd.read_csv(REF / "data" / "wlsmv_review.csv")


def _run(tmp_path, case_id, *extra):
    c = SPEC[case_id]
    data = tmp_path / f"case{case_id}.csv"
    DATA.loc[DATA.case == case_id, c["columns"]].to_csv(data, index=False)
    model = tmp_path / "model.lav"
    model.write_text(c["model"])
    args = ["cfa", str(data), "--model", str(model), "--ordered", ",".join(c["ordered"]), "--json",
            "--no-progress", "--missing", c["missing"]]
    if c["group"]:
        args += ["--group", c["group"]]
    if c["group_equal"]:
        args += ["--equal", ",".join(c["group_equal"])]
    if c["std_lv"]:
        args.append("--std-lv")
    return CliRunner().invoke(main, args + list(extra))


def _case(kind):
    return next(k for k, c in SPEC.items() if c["kind"] == kind)


@pytest.mark.parametrize("kind", ["second", "mediation", "groups_pairwise_mixed"])
def test_fitted_cases_print_one_json_object_with_lavaans_fit(tmp_path, kind):
    k = _case(kind)
    res = _run(tmp_path, k)
    assert res.exit_code == 0, res.stderr
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == len(set(lines))  # each warning once
    out = json.loads(res.stdout)
    want = LAV[k]["fit"]["chisq.scaled"]
    got = out["fit"]["chisq_scaled"]
    assert abs(got - want) <= 2e-3 * max(abs(want), 1.0)


@pytest.mark.parametrize("kind, words", [("constant_ordered", "y4"), ("empty_category_in_group", "--collapse"),
                                         ("unknown_variable", "y9"), ("under_identified", "not identified")])
def test_lavaans_errors_are_one_line(tmp_path, kind, words):
    k = _case(kind)
    res = _run(tmp_path, k, *(["--ordered", "y1,y2,y3,y4"] if kind == "unknown_variable" else []))
    assert res.exit_code == 1
    lines = [ln for ln in res.stderr.splitlines() if ln.strip() and not ln.startswith("Note:")]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], res.stderr
    assert res.stdout == ""


def test_a_heywood_case_on_continuous_variables_is_reported_once_in_their_terms(tmp_path):
    # review case: y1 and y2 are continuous and nearly identical (lavaan: "correlation between
    # variables y2 and y1 is (nearly) 1.0", "some estimated ov variances are negative")
    res = _run(tmp_path, _case("heywood_continuous"))
    assert res.exit_code == 0, res.stderr
    near_one = [ln for ln in res.stderr.splitlines() if "nearly" in ln]
    assert len(near_one) == 1, res.stderr
    assert "polychoric" not in res.stderr and "latent response of ['y1'" not in res.stderr
    assert "negative residual variance" in res.stderr
