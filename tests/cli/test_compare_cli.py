"""CLI: compare / themes / teams on the scored output of `qimscale score`, the JSON contract,
one-line errors for bad input, and the latent-mean refusal without scalar invariance."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.analysis.compare import compare_groups, latent_mean_comparison
from qimscale.cli import main
from qimscale.errors import ModelError

CONTRACT_KEYS = {"variable", "test", "statistic", "df", "p", "p_adj", "effect", "effect_size", "effect_ci"}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_error_line(res):
    assert res.exit_code == 1, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    return lines[0]


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """Raw answers to the bundled instrument, scored by `qimscale score` (identifiers kept for teams)."""
    from qimscale.instrument import load_instrument

    inst = load_instrument()
    rng = np.random.default_rng(3)
    n = 90
    qtype = rng.choice([1, 2], n)
    cols = {"qim_id": [f"P{i:03d}" for i in range(n)], "qim_type": qtype,
            "team_id": rng.choice([f"T{i}" for i in range(9)], n)}
    for sc in inst.scales:
        for it in inst.scale_items(sc.id):
            cols[it.id] = np.clip(np.round(rng.normal(3 + 0.5 * (qtype == 2), 1.0)), 1, 5).astype(int)
    d = tmp_path_factory.mktemp("scored")
    pd.DataFrame(cols).to_csv(d / "raw.csv", index=False)
    res = run("score", d / "raw.csv", "--keep-identifiers", "--out", d / "scores.csv")
    assert res.exit_code == 0, res.output
    return d / "scores.csv"


def test_compare_defaults_to_the_scale_scores_and_says_so(scored):
    res = run("compare", scored, "--group", "qim_type", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert "exp_methods" in out["variables"] and "qi_performance" in out["variables"]
    assert "exp_meth_1" not in out["variables"]
    assert any("every scale score" in n for n in out["notes"])
    assert "every scale score" in res.stderr
    for rec in out["comparisons"]:
        assert CONTRACT_KEYS <= set(rec) and len(rec["effect_ci"]) == 2
    tests = {r["test"] for r in out["comparisons"]}
    assert tests == {"welch_t", "student_t", "mann_whitney"}
    assert {r["effect"] for r in out["comparisons"]} == {"hedges_g", "rank_biserial"}
    assert "qim_id" not in res.stdout and "P001" not in res.stdout


def test_cli_json_equals_the_library_call(scored):
    res = run("compare", scored, "--group", "qim_type", "--vars", "lead_systems,ip_trustworthiness",
              "--adjust", "fdr_bh", "--json")
    lib = compare_groups(pd.read_csv(scored), "qim_type", ["lead_systems", "ip_trustworthiness"], adjust="fdr_bh")
    out = json.loads(res.stdout)
    assert out["comparisons"] == json.loads(json.dumps(lib.to_dict()["comparisons"]))


def test_compare_text_output(scored):
    res = run("compare", scored, "--group", "qim_type", "--vars", "lead_systems")
    assert res.exit_code == 0, res.output
    assert "welch_t" in res.stdout and "hedges_g" in res.stdout and "shapiro_wilk" in res.stdout


def test_three_groups_contract(tmp_path):
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"g": np.repeat(["x", "y", "z"], [15, 12, 9]), "a": rng.normal(size=36),
                       "b": rng.integers(1, 6, 36)})
    df.to_csv(tmp_path / "d.csv", index=False)
    out = json.loads(run("compare", tmp_path / "d.csv", "--group", "g", "--vars", "a,b", "--json").stdout)
    assert [r["test"] for r in out["comparisons"]][:3] == ["welch_anova", "anova", "kruskal"]
    assert {r["test"] for r in out["posthoc"]} == {"games_howell", "tukey_hsd", "dunn"}
    assert {r["check"] for r in out["assumptions"]} == {"shapiro_wilk", "levene", "brown_forsythe"}


# --------------------------------------------------------------------------- bad input

def test_group_with_one_level(tmp_path):
    pd.DataFrame({"g": ["a"] * 10, "y": range(10)}).to_csv(tmp_path / "d.csv", index=False)
    line = one_error_line(run("compare", tmp_path / "d.csv", "--group", "g", "--vars", "y"))
    assert "one level" in line and "'g'" in line and "d.csv" in line


def test_constant_outcome(tmp_path):
    pd.DataFrame({"g": ["a", "b"] * 10, "y": [3] * 20}).to_csv(tmp_path / "d.csv", index=False)
    line = one_error_line(run("compare", tmp_path / "d.csv", "--group", "g", "--vars", "y"))
    assert "'y'" in line and "every analysed value is 3" in line and "--vars" in line


def test_non_numeric_variable_names_row_and_value(tmp_path):
    y = [str(v) for v in range(20)]
    y[6] = "high"
    pd.DataFrame({"g": ["a", "b"] * 10, "y": y}).to_csv(tmp_path / "d.csv", index=False)
    line = one_error_line(run("compare", tmp_path / "d.csv", "--group", "g", "--vars", "y"))
    assert ("d.csv: row 8, column 'y': value 'high' is not a number. Compare needs numeric outcomes: recode it "
            "(qimscale score does) or leave the column out of --vars.") in line


def test_missing_column_and_no_scale_scores(tmp_path):
    pd.DataFrame({"g": ["a", "b"] * 10, "y": range(20)}).to_csv(tmp_path / "d.csv", index=False)
    line = one_error_line(run("compare", tmp_path / "d.csv", "--group", "nope", "--vars", "y"))
    assert "d.csv: column(s) 'nope' (the group column) not found in the data; its columns are 'g', 'y'." in line
    assert "qimscale score" in one_error_line(run("compare", tmp_path / "d.csv", "--group", "g"))


def test_identifier_column_refused(scored):
    line = one_error_line(run("compare", scored, "--group", "qim_id", "--vars", "lead_systems"))
    assert "identifier" in line


# --------------------------------------------------------------------------- themes and teams

def test_themes_json_contract_and_qualitative_notice():
    res = run("themes", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    keys = {"theme", "subtheme", "code", "clinical_x", "clinical_n", "traditional_y", "traditional_n",
            "risk_difference", "rd_ci", "fisher_p", "p_adj"}
    assert len(out["codes"]) == 38 and all(keys <= set(c) for c in out["codes"])
    assert "not scores" in out["nature"] and "qualitative" in out["nature"]
    first = out["codes"][0]
    assert (first["clinical_x"], first["clinical_n"], first["traditional_y"], first["traditional_n"]) == (35, 36, 18, 20)
    helptext = " ".join(run("themes", "--help").stdout.split())
    assert "not scores" in helptext and "qualitative" in helptext
    text = run("themes").stdout
    assert "not scores" in text and "qualitative" in text


def test_themes_plot(tmp_path):
    res = run("themes", "--plot", tmp_path / "t2.png")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "t2.png").stat().st_size > 1000


def test_teams_json_contract(scored):
    res = run("teams", scored, "--team", "team_id", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {"team", "n", "blau"} <= set(out["teams"][0])
    assert {"variable", "icc1", "icc2", "rwg_j_median", "n_teams_rwg_70"} <= set(out["aggregation"][0])
    assert all(t["team"].startswith("team ") for t in out["teams"])
    assert '"T1"' not in res.stdout


# --------------------------------------------------------------------------- latent means

MODEL = "f =~ x1 + x2 + x3 + x4"


def _latent_data(shift_intercept):
    rng = np.random.default_rng(11)
    parts = []
    for g, mean in (("a", 0.0), ("b", 0.5)):
        n = 250
        eta = rng.normal(mean, 1.0, n)
        x = {f"x{j}": 0.8 * eta + rng.normal(0, 0.6, n) for j in range(1, 5)}
        if g == "b":
            x["x1"] = x["x1"] + shift_intercept
            x["x2"] = x["x2"] - shift_intercept
        parts.append(pd.DataFrame({"g": g, **x}))
    return pd.concat(parts, ignore_index=True)


def test_latent_means_under_scalar_invariance():
    res = latent_mean_comparison(MODEL, _latent_data(0.0), "g")
    assert res.level in ("scalar", "strict")
    lm = res.latent_means
    assert lm.factor.tolist() == ["f"] and lm.est.iloc[0] == pytest.approx(0.5 / 1.0 * 1.0, abs=0.2)


def test_latent_means_refused_without_scalar_invariance(tmp_path):
    with pytest.raises(ModelError, match="highest invariance level held is 'metric'"):
        latent_mean_comparison(MODEL, _latent_data(1.0), "g")
    _latent_data(1.0).to_csv(tmp_path / "d.csv", index=False)
    line = one_error_line(run("compare", tmp_path / "d.csv", "--group", "g", "--latent", "--model", MODEL))
    assert "scalar invariance" in line


def test_results_follow_the_protocol():
    from qimscale._core.result import check_protocol
    from qimscale.analysis.teams import team_aggregation
    from qimscale.analysis.themes import theme_differences

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"g": np.repeat(["a", "b", "c"], 8), "y": rng.normal(size=24), "t": np.repeat(list("xyz"), 8)})
    check_protocol(compare_groups(df, "g", ["y"]))
    check_protocol(theme_differences([{"id": "c", "theme": "t", "label": "C", "clinical": 9, "traditional": 12}],
                                     36, 20))
    check_protocol(team_aggregation(df, "t", ["y"]))
    check_protocol(latent_mean_comparison(MODEL, _latent_data(0.0), "g"))


def test_latent_cli_json(tmp_path):
    _latent_data(0.0).to_csv(tmp_path / "d.csv", index=False)
    res = run("compare", tmp_path / "d.csv", "--group", "g", "--latent", "--model", MODEL, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["invariance_level"] in ("scalar", "strict")
    assert out["latent_means"][0]["factor"] == "f" and out["latent_means"][0]["group"] == "b"


def test_themes_codes_file_with_a_count_above_its_group(tmp_path):
    (tmp_path / "codes.yaml").write_text("n_clinical: 36\nn_traditional: 20\ncodes:\n"
                                         "  - {id: a, theme: t, label: A, clinical: 40, traditional: 3}\n")
    line = one_error_line(run("themes", "--codes", tmp_path / "codes.yaml"))
    assert "code 'a'" in line and "40" in line and "0..36" in line


def test_coded_group_is_explained(scored):
    out = json.loads(run("compare", scored, "--group", "qim_type", "--vars", "lead_systems", "--json").stdout)
    assert any(n.startswith("'qim_type' codes: 1 = Traditional") for n in out["notes"])


def test_default_variables_note_names_absent_and_empty_scales():
    """The CLI's default --vars are the library's pick (scoring.relate_vars.default_scale_scores), said aloud."""
    from qimscale.cli.relate_cmd import default_variables

    data = pd.DataFrame({"exp_methods": [3.0, 4.0], "lead_systems": [None, None], "qi_performance": [2.0, 5.0],
                         "age": [30, 40]})
    found, note = default_variables(data.columns, None, None, data)
    assert found == ["exp_methods", "qi_performance"]
    assert note.startswith("compared every scale score of the bundled instrument found in DATA (2): "
                           "exp_methods, qi_performance; not in DATA: ")
    assert note.endswith("; in DATA but empty: lead_systems. Use --vars to choose.")
    assert default_variables(data.columns, "age,exp_methods") == (["age", "exp_methods"], None)
