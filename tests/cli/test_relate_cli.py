"""``qimscale relate``: the JSON contract, defaults said aloud, listwise deletion reported, bad input
as one ``Error:`` line that says what to do."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.analysis.relate import relate
from qimscale.cli import main

HERE = Path(__file__).parents[1] / "reference"
DATA = HERE / "data" / "relate_sim.csv"
SIM = pd.read_csv(DATA)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def error_line(res) -> str:
    assert res.exit_code == 1, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    return lines[0]


def write(tmp_path, df, name="d.csv") -> Path:
    p = tmp_path / name
    df.to_csv(p, index=False)
    return p


def test_json_contract_and_equal_to_library():
    res = run("relate", DATA, "--outcome", "qi_performance", "--predictors", "expertise,leadership,qim_type",
              "--robust", "HC3", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key in ("model", "n", "coefficients", "r2", "adj_r2"):
        assert key in out
    assert out["model"] == "ols"
    row = out["coefficients"][0]
    assert set(["term", "estimate", "se", "statistic", "p", "ci_lower", "ci_upper"]) <= set(row)
    terms = [r["term"] for r in out["coefficients"]]
    assert terms == ["Intercept", "qim_type[T.mixed]", "qim_type[T.traditional]", "expertise", "leadership"]
    lib = relate(SIM, "qi_performance", ["expertise", "leadership", "qim_type"], robust="HC3")
    assert out["coefficients"][3]["se"] == lib.coefficients["se"].iloc[3]
    assert out["deletion"]["n_dropped"] == lib.deletion["n_dropped"] > 0
    assert "listwise deletion: 26 of 430 rows dropped" in res.stderr


def test_mixed_json_contract():
    res = run("relate", DATA, "--outcome", "qi_performance", "--predictors", "expertise", "--cluster", "org",
              "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["model"] == "mixed"
    assert set(out["random_effects"]) >= {"group_var", "residual_var"}
    assert 0 < out["icc1"] < 1 and 0 < out["icc2"] < 1
    assert out["convergence"]["converged"] is True


def test_interaction_term_uses_patsy_name():
    res = run("relate", DATA, "--outcome", "qi_performance", "--predictors", "expertise",
              "--interaction", "expertise:interpersonal", "--center", "--json")
    out = json.loads(res.stdout)
    assert "expertise:interpersonal" in [r["term"] for r in out["coefficients"]]
    assert [s["at"] for s in out["simple_slopes"]] == ["-1 SD", "mean", "+1 SD"]
    assert out["johnson_neyman"]["significant"] in ("inside", "outside", "everywhere", "nowhere")


def test_defaults_from_scored_output_are_announced(tmp_path):
    rng = np.random.default_rng(5)
    n = 60
    df = pd.DataFrame({d: rng.normal(3.5, 0.5, n) for d in ("expertise", "leadership", "interpersonal")})
    df["qi_performance"] = 0.4 * df["expertise"] + rng.normal(0, 0.5, n)
    df["performance"] = df["qi_performance"]
    df["exp_methods"] = df["expertise"] + rng.normal(0, 0.2, n)
    res = run("relate", write(tmp_path, df), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["defaults"] == {"predictors": ["expertise", "leadership", "interpersonal"], "outcome": "qi_performance"}
    assert "Note: predictors not given" in res.stderr and "Note: outcome not given" in res.stderr
    res = run("relate", write(tmp_path, df), "--correlations", "--json")
    out = json.loads(res.stdout)
    assert out["variables"] == ["exp_methods", "qi_performance"]


def test_mediation_progress_and_seed():
    args = ["relate", DATA, "--outcome", "qi_performance", "--predictors", "expertise", "--mediator", "engagement",
            "--n-boot", "300", "--seed", "4", "--json"]
    a, b = json.loads(run(*args).stdout), json.loads(run(*args).stdout)
    assert a["indirect"] == b["indirect"] and a["model"] == "mediation"


def test_org_outcomes_merge_lists_unmatched_keys(tmp_path):
    orgs = sorted(SIM["org"].unique())
    org = pd.DataFrame({"org": orgs[:-2] + ["org99"], "audit": np.linspace(0.2, 0.9, len(orgs) - 1)})
    org_file = write(tmp_path, org, "org.csv")
    res = run("relate", DATA, "--outcome", "audit", "--predictors", "expertise",
              "--org-outcomes", org_file, "--org-key", "org", "--json")
    assert res.exit_code == 0, res.output
    assert "measured per organisation" in res.stderr
    out = json.loads(res.stdout)
    unmatched = {u["key"]: u["rows"] for u in out["org_merge"]["unmatched_data_keys"]}
    assert set(unmatched) == set(orgs[-2:])
    assert out["org_merge"]["unmatched_org_keys"] == ["org99"]
    assert "org99" in res.stderr and orgs[-1] in res.stderr
    assert out["deletion"]["missing_by_column"]["audit"] == sum(unmatched.values())
    line = error_line(run("relate", DATA, "--outcome", "audit", "--predictors", "expertise", "--cluster", "org",
                          "--org-outcomes", org_file, "--org-key", "org"))
    assert "constant within every cluster of 'org'" in line


def test_org_file_with_repeated_key_is_an_error(tmp_path):
    org = pd.DataFrame({"org": ["org01", "org02", "org01"], "audit": [1, 2, 3]})
    line = error_line(run("relate", DATA, "--outcome", "audit", "--predictors", "expertise",
                          "--org-outcomes", write(tmp_path, org, "org.csv"), "--org-key", "org"))
    assert "row 4, column 'org'" in line and "repeats the key of row 2" in line


def test_constant_outcome(tmp_path):
    df = SIM.assign(qi_performance=3.0)
    line = error_line(run("relate", write(tmp_path, df), "--outcome", "qi_performance", "--predictors", "expertise"))
    assert "column 'qi_performance' (outcome) is constant" in line and "choose another outcome" in line


def test_all_clusters_singletons(tmp_path):
    df = SIM.assign(single=np.arange(len(SIM)))
    line = error_line(run("relate", write(tmp_path, df), "--outcome", "qi_performance", "--predictors", "expertise",
                          "--cluster", "single"))
    assert "single analysed row" in line and "drop --cluster" in line


def test_collinear_predictors(tmp_path):
    df = SIM.assign(lead2=2 * SIM["leadership"] + 1)
    line = error_line(run("relate", write(tmp_path, df), "--outcome", "qi_performance", "--predictors",
                          "expertise,leadership,lead2"))
    assert "collinear" in line and "'lead2'" in line and "'leadership'" in line and "leave one" in line


def test_text_in_numeric_predictor(tmp_path):
    df = SIM.copy()
    df["tenure"] = df["tenure"].astype(object)
    df.loc[13, "tenure"] = "12 yrs"
    line = error_line(run("relate", write(tmp_path, df), "--outcome", "qi_performance", "--predictors",
                          "expertise,tenure"))
    assert "d.csv: row 15, column 'tenure': value '12 yrs' is text in a column of numbers. Recode it" in line
    assert "--categorical tenure" in line


def test_free_text_predictor(tmp_path):
    df = SIM.assign(comment=[f"free text {i}" for i in range(len(SIM))])
    line = error_line(run("relate", write(tmp_path, df), "--outcome", "qi_performance", "--predictors",
                          "expertise,comment"))
    assert "column 'comment'" in line and "identifier" in line


def test_unknown_column_and_usage_errors():
    line = error_line(run("relate", DATA, "--outcome", "qi_performance", "--predictors", "expertise,nope"))
    assert "relate_sim.csv: column(s) 'nope' (a predictor (--predictors)) not found in the data" in line
    assert run("relate", DATA, "--interaction", "a").exit_code == 2
    assert run("relate", DATA, "--org-key", "org").exit_code == 2
    assert run("relate", DATA, "--center").exit_code == 2
    assert run("relate", DATA, "--correlations", "--latent").exit_code == 2


def test_latent_ordered_is_a_clear_error(tmp_path):
    line = error_line(run("relate", DATA, "--latent", "--model", "F =~ expertise + leadership + interpersonal\n"
                          "qi_performance ~ F", "--estimator", "WLSMV"))
    assert "not available yet" in line and "ML or MLR" in line


def test_infinite_value_is_named(tmp_path):
    df = SIM.copy()
    df.loc[6, "expertise"] = np.inf
    line = error_line(run("relate", write(tmp_path, df), "--outcome", "qi_performance", "--predictors", "expertise"))
    assert "d.csv: row 8, column 'expertise': value inf is infinite. Use an empty cell" in line


def test_standard_input():
    res = CliRunner().invoke(main, ["relate", "-", "--outcome", "qi_performance", "--predictors", "expertise",
                                    "--json"], input=DATA.read_text())
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["n"] == 409


def test_input_file_is_not_modified_and_human_output(tmp_path):
    p = write(tmp_path, SIM)
    before = p.read_bytes()
    res = run("relate", p, "--outcome", "qi_performance", "--predictors", "expertise,leadership",
              "--covariates", "tenure", "--block", "interpersonal", "--robust", "HC3")
    assert res.exit_code == 0, res.output
    assert "Hierarchical steps" in res.stdout and "classical ones" in res.stderr
    assert p.read_bytes() == before
