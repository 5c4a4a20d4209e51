"""The command-line contract (/work/shared/cli-contract.md), command by command.

For every analysis command: ``--json`` prints exactly one JSON object holding
at least the contract's keys with the right types, and it equals the library
call (STYLE.md: "Tests check that the CLI's JSON equals the library call");
bad data gives exit 1 and one ``Error:`` line naming the file/column/value;
bad usage gives exit 2; ``-`` reads CSV from standard input; warnings appear
once each as ``Warning:`` lines on stderr; ``--help`` documents every option
with its default and shows an example; without ``--items`` the bundled
instrument's scales are used.
"""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.cli import COMMANDS, main
from qimscale.cli._common import to_jsonable

REF = Path(__file__).parents[1] / "reference"
D3 = REF / "data" / "efa_d3.csv"
D3_ITEMS = "q1,q2,q3,q4,q5,l1,l2,l3,l4,l5,i1,i2,i3,i4,i5"
HS = REF / "data" / "cfa_hs1939.csv"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"

ITEM_COMMANDS = ["reliability", "omega", "corr", "factorability", "nfactors", "efa"]
MODEL_COMMANDS = ["cfa", "invariance"]
# options each command needs to run quickly on small data
FAST = {"nfactors": ["--n-iter", "3", "--seed", "1"], "efa": ["--n-factors", "1"], "omega": ["--n-factors", "1"],
        "invariance": ["--group", "g"], "cfa": []}


def run(*args, input=None):
    """Invoke the CLI in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def run_json(*args, input=None):
    res = run(*args, "--json", input=input)
    assert res.exit_code == 0, res.stderr
    return _one_json_object(res.stdout)


def _one_json_object(stdout):
    """stdout holds exactly one JSON object and nothing else; NaN never appears."""
    assert stdout.strip().count("\n") == 0, "more than one line on stdout"
    obj = json.loads(stdout, parse_constant=lambda c: pytest.fail(f"{c} written instead of null"))
    assert isinstance(obj, dict)
    return obj


def lib_json(obj):
    """What ``emit_json`` makes of a library result, read back."""
    return json.loads(json.dumps(to_jsonable(obj), allow_nan=False))


def is_num(v):
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))


def is_matrix(v, rows=None, cols=None):
    ok = isinstance(v, list) and all(isinstance(r, list) and all(is_num(x) for x in r) for r in v)
    return ok and (rows is None or len(v) == rows) and (cols is None or all(len(r) == cols for r in v))


# --------------------------------------------------------------------------- data

@pytest.fixture(scope="module")
def d3():
    return pd.read_csv(D3)


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(HS)


# Four complete scales of the bundled instrument (two with a reverse-keyed item); the
# other scales are absent, so the default item selection must skip them.
SIM_SCALES = {
    "exp_methods": ["exp_meth_1", "exp_meth_2", "exp_meth_3", "exp_meth_4", "exp_meth_5"],
    "exp_context": ["exp_ctx_1", "exp_ctx_2", "exp_ctx_3", "exp_ctx_4"],
    "lead_sensegiving": ["lead_sense_1", "lead_sense_2", "lead_sense_3", "lead_sense_4"],
    "ip_trustworthiness": ["ip_trust_1", "ip_trust_2", "ip_trust_3", "ip_trust_4"],
}
SIM_REVERSE = {"exp_context": ["exp_ctx_4"], "ip_trustworthiness": ["ip_trust_4"]}


@pytest.fixture(scope="module")
def qim(tmp_path_factory):
    """Simulated answers (codes 1-5) to four scales of the bundled instrument, plus a text column."""
    rng = np.random.default_rng(20261126)
    n = 400
    eta = rng.multivariate_normal(np.zeros(4), 0.4 + 0.6 * np.eye(4), size=n)
    cols = {"respondent": [f"r{i:03d}" for i in range(n)]}
    for f, (scale, items) in enumerate(SIM_SCALES.items()):
        for it in items:
            sign = -1.0 if it in SIM_REVERSE.get(scale, []) else 1.0
            latent = sign * 0.75 * eta[:, f] + rng.normal(scale=0.66, size=n)
            cols[it] = np.digitize(latent, [-1.3, -0.45, 0.45, 1.3]) + 1
    df = pd.DataFrame(cols)
    path = tmp_path_factory.mktemp("qim") / "qim_responses.csv"
    df.to_csv(path, index=False)
    return path, df


def _recoded_items(df):
    """The instrument's items of the simulated scales, reverse-keyed ones recoded as 6 - x."""
    out = df[[it for items in SIM_SCALES.values() for it in items]].astype(float)
    for items in SIM_REVERSE.values():
        for it in items:
            out[it] = 6 - out[it]
    return out


# --------------------------------------------------------------------------- JSON = library call

def test_reliability_json(d3):
    from qimscale.analysis.reliability import scale_reliability

    out = run_json("reliability", D3, "--scale", "q=q1,q2,q3,q4,q5", "--scale", "l=l1,l2,l3,l4,l5")
    lib = scale_reliability(d3, {"q": ["q1", "q2", "q3", "q4", "q5"], "l": ["l1", "l2", "l3", "l4", "l5"]},
                            reverse={"q": [], "l": []}, ranges={})
    assert out == lib_json(lib)
    for sc in out["scales"]:
        assert isinstance(sc["scale"], str) and isinstance(sc["n"], int) and isinstance(sc["k"], int)
        for key in ("alpha", "std_alpha", "g6", "average_r", "omega_total"):
            assert is_num(sc[key]), key
        assert len(sc["alpha_ci"]) == 2 and all(is_num(v) for v in sc["alpha_ci"])
        assert len(sc["items"]) == sc["k"] == 5
        for it in sc["items"]:
            assert isinstance(it["item"], str) and is_num(it["r_drop"]) and is_num(it["alpha_if_deleted"])


def test_reliability_bootstrap_json_equals_library(d3):
    from qimscale.analysis.reliability import scale_reliability

    out = run_json("reliability", D3, "--items", "q1,q2,q3", "--ci", "bootstrap", "--n-boot", "50",
                   "--seed", "7", "--missing", "listwise")
    lib = scale_reliability(d3, {"items": ["q1", "q2", "q3"]}, reverse={"items": []}, ranges={},
                            missing="listwise", ci="bca", n_boot=50, seed=7)
    assert out == lib_json(lib)


def test_omega_json(d3):
    from qimscale.analysis.omega import omega

    out = run_json("omega", D3, "--items", D3_ITEMS)
    lib = omega(d3, D3_ITEMS.split(","), keys=[], key_range=None, n_factors=3, poly=False, missing="pairwise")
    assert out == lib_json(lib.to_dict())
    assert all(is_num(out[k]) and out[k] is not None for k in ("omega_h", "omega_total", "alpha"))


@pytest.mark.parametrize("method", ["pearson", "spearman", "polychoric"])
def test_corr_json(d3, method):
    from qimscale.analysis.correlation import correlation

    items = ["q1", "q2", "q3", "l1"]
    out = run_json("corr", D3, "--items", ",".join(items), "--method", method)
    lib = correlation(d3, items, method=method, keys=[], key_range=None, missing="pairwise")
    assert out == lib_json(lib.to_dict())
    assert out["items"] == items and is_matrix(out["matrix"], 4, 4)
    if method == "polychoric":
        assert set(out["thresholds"]) == set(items)
        assert all(isinstance(v, list) and all(is_num(x) for x in v) for v in out["thresholds"].values())


def test_corr_polychoric_text_shows_thresholds():
    res = run("corr", D3, "--items", "q1,q2", "--method", "polychoric")
    assert res.exit_code == 0 and "Thresholds:" in res.stdout and "-1.422" in res.stdout


def test_factorability_json(d3):
    from qimscale.analysis.factorability import factorability

    out = run_json("factorability", D3, "--items", D3_ITEMS)
    assert out == lib_json(factorability(d3[D3_ITEMS.split(",")]).to_dict())
    assert is_num(out["kmo"]) and set(out["kmo_items"]) == set(D3_ITEMS.split(","))
    assert all(is_num(out[k]) for k in ("bartlett_chisq", "bartlett_df", "bartlett_p"))


def test_nfactors_json(d3):
    from qimscale.analysis.nfactors import number_of_factors

    out = run_json("nfactors", D3, "--items", D3_ITEMS, "--n-iter", "5", "--seed", "11")
    lib = number_of_factors(d3[D3_ITEMS.split(",")], n_iter=5, random_state=11)
    assert out == lib_json(lib.to_dict())
    assert isinstance(out["parallel"], int) and isinstance(out["map"], int)
    assert len(out["eigenvalues"]) == 15 and all(is_num(v) for v in out["eigenvalues"])


@pytest.mark.parametrize("method,rotation", [("minres", "oblimin"), ("ml", "varimax"), ("pa", "promax")])
def test_efa_json(d3, method, rotation):
    from qimscale.analysis.efa import EFA

    out = run_json("efa", D3, "--items", D3_ITEMS, "--n-factors", "3", "--method", method, "--rotation", rotation)
    lib = EFA(3, method=method, rotation=rotation).fit(d3[D3_ITEMS.split(",")]).results_
    assert out == lib_json(lib.to_dict())
    assert out["items"] == D3_ITEMS.split(",")
    assert is_matrix(out["loadings"], 15, 3) and is_matrix(out["phi"], 3, 3)
    assert len(out["communalities"]) == 15 and all(is_num(v) for v in out["communalities"])


FIT_KEYS = {"chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr", "aic",
            "bic"}
SCALED_KEYS = {"chisq_scaled", "df_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "cfi_robust",
               "tli_robust", "rmsea_robust"}


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_cfa_json(hs, estimator):
    from qimscale.analysis.cfa import CFA

    res = run("cfa", HS, "--model", HS_MODEL, "--estimator", estimator, "--json")
    assert res.exit_code == 0, res.stderr
    assert "NaN" not in res.stdout
    out = _one_json_object(res.stdout)
    lib = CFA(HS_MODEL, estimator=estimator, missing="listwise", group=None, group_equal=(), group_partial=(),
              std_lv=False, ordered=None).fit(hs)
    assert out == lib_json(lib.to_dict())
    want = FIT_KEYS | (SCALED_KEYS if estimator == "MLR" else set())
    assert want <= set(out["fit"]) and all(is_num(out["fit"][k]) for k in want)
    for row in out["estimates"]:
        assert {"lhs", "op", "rhs", "group", "est", "se", "z", "pvalue", "std_all"} <= set(row)
        assert all(is_num(row[k]) for k in ("est", "se", "z", "pvalue", "std_all"))
    fixed = [r for r in out["estimates"] if r["op"] == "=~" and r["rhs"] == "x1"]
    assert fixed and fixed[0]["z"] is None  # NaN (fixed loading) is written as null
    assert set(out["reliability"]) == {"visual", "textual", "speed"}
    assert all(is_num(v["omega"]) and is_num(v["ave"]) for v in out["reliability"].values())


def test_invariance_json(hs):
    from qimscale.analysis.cfa import measurement_invariance

    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"
    out = run_json("invariance", HS, "--model", model, "--group", "school")
    lib = measurement_invariance(model, hs, group="school", estimator="ML", missing="listwise", std_lv=False,
                                 group_partial=(), criteria="chen2007", ordered=None)
    assert out == lib_json(lib.to_dict())
    assert [lv["level"] for lv in out["levels"]] == ["configural", "metric", "scalar", "strict"]
    for lv in out["levels"]:
        for key in ("chisq", "df", "cfi", "tli", "rmsea", "srmr", "delta_cfi", "delta_rmsea", "chisq_diff_p"):
            assert key in lv and is_num(lv[key]), key
    assert out["levels"][0]["delta_cfi"] is None  # no previous level: NaN written as null
    assert out["highest_level_held"] in {"none", "configural", "metric", "scalar", "strict"}


def test_cfa_ordered_defaults_to_wlsmv():
    # as lavaan: ordinal items without --estimator are fitted with WLSMV (ML/MLR with them is exit 2)
    path = REF / "data" / "wlsmv_ordinal.csv"
    model = "f1 =~ y1 + y2 + y3 + y4"
    out = run_json("cfa", path, "--model", model, "--ordered", "all")
    assert out["estimator"] == "WLSMV"
    assert out == run_json("cfa", path, "--model", model, "--ordered", "all", "--estimator", "wlsmv")
    assert {"chisq_scaled", "cfi_scaled", "rmsea_scaled"} <= set(out["fit"])


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_cfa_fiml_saturated_model(estimator):
    # df = 0 used to end in 'internal error: ZeroDivisionError' (FIML-corrected fit measures)
    out = run_json("cfa", REF / "data" / "cfa_hs1939_missing.csv", "--model", "F =~ x1 + x2 + x3", "--missing",
                   "fiml", "--estimator", estimator)
    assert out["missing"] == "fiml" and out["fit"]["df"] == 0 and out["ntotal"] == 301


def test_instrument_export_codebook_stdout_equals_library():
    from qimscale.instrument import exporters, load_instrument

    res = run("instrument", "export", "--format", "codebook", "--out", "-")
    assert res.exit_code == 0, res.stderr
    assert res.stdout == exporters.export(load_instrument(None), "codebook", form="self", lang=None)
    header = res.stdout.splitlines()[0].split(",")
    assert {"item", "scale", "domain", "reverse", "min", "max", "text"} <= set(header)


def test_instrument_export_json(tmp_path):
    out = run_json("instrument", "export", "--format", "redcap", "--form", "observer", "--out",
                   tmp_path / "dd.csv")
    assert out["written"] == [str(tmp_path / "dd.csv")] and (tmp_path / "dd.csv").stat().st_size > 0
    assert out["format"] == "redcap" and out["form"] == "observer"


def test_instrument_validate_json_equals_library():
    from qimscale.instrument import load_instrument, validate_instrument

    out = run_json("instrument", "validate")
    problems = validate_instrument(load_instrument(None, check=False))
    assert out["problems"] == lib_json([p.to_dict() for p in problems])
    assert out["valid"] is True and out["n_errors"] == 0


def test_instrument_translate_template_json(tmp_path):
    out = run_json("instrument", "translate", "--template", "--lang", "mi", "--out", tmp_path / "mi.xlsx")
    assert out == {"template": str(tmp_path / "mi.xlsx"), "lang": "mi"}
    assert (tmp_path / "mi.xlsx").exists()


# --------------------------------------------------------------------------- bad input -> exit 1

@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "empty.csv").write_text("")
    (d / "text.csv").write_text("a,b,c,g\n1,2,3,x\n2,3,oops,x\n3,4,5,y\n4,5,1,y\n2,2,2,x\n")
    (d / "ok.csv").write_text("a,b,c,g\n1,2,3,x\n2,3,4,x\n3,4,5,y\n4,5,1,y\n2,2,2,x\n")
    return d


def _bad_args(cmd, case, d):
    """Arguments that make ``cmd`` fail for ``case``, and the strings the Error line must name."""
    model_cmd = cmd in MODEL_COMMANDS
    sel = ["--model", "F =~ a + b + c"] if model_cmd else ["--items", "a,b,c"]
    extra = FAST.get(cmd, [])
    if case == "missing_file":
        return [cmd, d / "nope.csv", *sel, *extra], [str(d / "nope.csv")]
    if case == "empty_file":
        return [cmd, d / "empty.csv", *sel, *extra], [str(d / "empty.csv")]
    if case == "non_numeric":
        return [cmd, d / "text.csv", *sel, *extra], [str(d / "text.csv"), "'c'", "'oops'"]
    if case == "unknown_item":
        sel = ["--model", "F =~ a + b + zz"] if model_cmd else ["--items", "a,b,zz"]
        return [cmd, d / "ok.csv", *sel, *extra], [str(d / "ok.csv"), "'zz'"]
    if case == "reverse_no_range":
        return [cmd, d / "ok.csv", "--scale", "s=a,b,-c", *extra], ["scale 's'", "'c'", "--min"]
    raise AssertionError(case)


BAD_CASES = [(cmd, case) for cmd in ITEM_COMMANDS + MODEL_COMMANDS
             for case in ("missing_file", "empty_file", "non_numeric", "unknown_item", "reverse_no_range")
             if not (cmd in MODEL_COMMANDS and case == "reverse_no_range")]


@pytest.mark.parametrize("cmd,case", BAD_CASES)
def test_bad_input_one_error_line(bad, cmd, case):
    args, names = _bad_args(cmd, case, bad)
    res = run(*args)
    assert res.exit_code == 1, (res.stdout, res.stderr)
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    for name in names:
        assert name in lines[0], (name, lines[0])
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("cmd", ITEM_COMMANDS)
def test_value_outside_the_response_range(cmd):
    # q4 holds 5s: reverse keying with --max 4 would turn them into 0 (silently, before this check)
    res = run(cmd, D3, "--scale", "s=q1,q2,q3,-q4,q5", "--min", "1", "--max", "4", *FAST.get(cmd, []))
    assert res.exit_code == 1
    assert res.stderr.count("\n") == 1 and res.stderr.startswith(f"Error: {D3}: ")
    assert "outside the response range 1-4" in res.stderr and "row 8, column 'q2': 5" in res.stderr


def test_instrument_missing_code_is_an_error(qim, tmp_path):
    _, df = qim
    df = df.copy()
    df.loc[10, "exp_ctx_4"] = 9  # the instrument's "not applicable" code left in the data
    path = tmp_path / "with_na_code.csv"
    df.to_csv(path, index=False)
    for cmd in ("reliability", "efa"):
        res = run(cmd, path, *FAST.get(cmd, []))
        assert res.exit_code == 1 and res.stderr.count("\n") == 1
        assert "row 12, column 'exp_ctx_4': 9" in res.stderr and "1-5" in res.stderr


def test_non_numeric_reverse_keyed_item_is_a_data_error(bad):
    # reverse keying must not hit the text before the check (it used to be an internal TypeError)
    for cmd in ("efa", "reliability"):
        res = run(cmd, bad / "text.csv", "--scale", "s=a,b,-c", "--min", "1", "--max", "5", *FAST.get(cmd, []))
        assert res.exit_code == 1
        assert res.stderr.startswith("Error: ") and "'oops'" in res.stderr and "internal" not in res.stderr


@pytest.mark.parametrize("cmd", ITEM_COMMANDS + MODEL_COMMANDS)
def test_debug_reraises_the_error(bad, cmd):
    from qimscale.errors import DataError

    args, _ = _bad_args(cmd, "non_numeric", bad)
    res = run("--debug", *args)
    assert res.exit_code == 1 and isinstance(res.exception, DataError)
    assert str(bad / "text.csv") in str(res.exception)


def test_debug_prints_a_traceback(bad):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    cmd = [sys.executable, "-c", "from qimscale.cli import run; run()", "--debug", "efa", str(bad / "text.csv"),
           "--items", "a,b,c"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr and "DataError" in proc.stderr
    plain = subprocess.run([c for c in cmd if c != "--debug"], capture_output=True, text=True, env=env,
                           timeout=120)
    assert plain.returncode == 1 and plain.stderr.count("\n") == 1 and "Traceback" not in plain.stderr


# --------------------------------------------------------------------------- usage errors -> exit 2

@pytest.mark.parametrize("args", [
    ["reliability", D3, "--missing", "casewise"],
    ["reliability", D3, "--ci", "normal"],
    ["omega", D3, "--n-factors", "0"],
    ["corr", D3, "--method", "kendall"],
    ["factorability", D3, "--format", "json"],
    ["nfactors", D3, "--cor", "tetrachoric"],
    ["efa", D3, "--method", "uls"],
    ["efa", D3, "--rotation", "varmax"],
    ["efa", D3, "--n-factors", "zero"],
    ["efa", D3, "--scale", "s=q1,q2,-q3", "--min", "5", "--max", "1"],
    ["cfa", HS, "--model", "F =~ x1 + x2 + x3", "--estimator", "GLS"],
    ["cfa", HS, "--model", "F =~ x1 + x2 + x3", "--kind", "all"],
    ["invariance", HS, "--model", "F =~ x1 + x2 + x3"],
    ["cfa", HS, "--model", "F =~ x1 + x2 + x3", "--ordered", "all", "--estimator", "ML"],
    ["invariance", HS, "--model", "F =~ x1 + x2 + x3", "--group", "school", "--ordered", "all",
     "--estimator", "MLR"],
    ["cfa", HS, "--model", "F =~ x1 + x2 + x3", "--equal", "loadings"],
    ["cfa", HS, "--model", "F =~ x1 + x2 + x3", "--partial", "x3~1"],
    ["cfa", HS, "--model", "F =~ x1 + x2 + x3", "--group", "school", "--equal", "loadingz"],
    ["instrument", "export", "--format", "pdf", "--out", "x"],
    ["reliability"],
    ["efa", D3, "--items", "q1,q1,q2,q3"],
    ["reliability", D3, "--scale", "s=q1,q2,-q2"],
    ["corr", D3, "--items", "q1,q2", "--scale", "s=q1,q2"],
    ["reliability", D3, "--items", "q1,q2", "--icc", "q1,q2"],
])
def test_usage_errors_exit_2(args):
    res = run(*args)
    assert res.exit_code == 2, res.stderr
    assert "Error" in res.stderr and res.stdout == ""


# --------------------------------------------------------------------------- DATA '-' is stdin

@pytest.mark.parametrize("cmd,args", [
    ("reliability", ["--items", "q1,q2,q3"]),
    ("omega", ["--items", D3_ITEMS]),
    ("corr", ["--items", "q1,q2,q3"]),
    ("factorability", ["--items", D3_ITEMS]),
    ("nfactors", ["--items", D3_ITEMS, "--n-iter", "3", "--seed", "2"]),
    ("efa", ["--items", D3_ITEMS, "--n-factors", "3"]),
])
def test_stdin_equals_file(cmd, args):
    from_file = run_json(cmd, D3, *args)
    from_stdin = run_json(cmd, "-", *args, input=D3.read_text())
    assert from_stdin == from_file


@pytest.mark.parametrize("suffix", ["tsv", "xlsx", "parquet", "sav", "dta"])
def test_other_formats_equal_csv(tmp_path, d3, suffix):
    import pyreadstat

    df = d3[["q1", "q2", "q3", "q4"]].head(120)
    path = tmp_path / f"data.{suffix}"
    write = {"tsv": lambda p: df.to_csv(p, sep="\t", index=False), "xlsx": lambda p: df.to_excel(p, index=False),
             "parquet": lambda p: df.to_parquet(p), "sav": lambda p: pyreadstat.write_sav(df, str(p)),
             "dta": lambda p: df.to_stata(p, write_index=False)}
    write[suffix](path)
    df.to_csv(tmp_path / "data.csv", index=False)
    want = run_json("corr", tmp_path / "data.csv", "--items", "q1,q2,q3,q4")
    assert run_json("corr", path, "--items", "q1,q2,q3,q4") == want
    # --format overrides detection from the suffix
    (tmp_path / "data.txt").write_text((tmp_path / "data.csv").read_text())
    assert run_json("corr", tmp_path / "data.txt", "--items", "q1,q2,q3,q4", "--format", "csv") == want


def test_stdin_cfa_and_errors_name_stdin():
    out = run_json("cfa", "-", "--model", HS_MODEL, input=HS.read_text())
    assert out == run_json("cfa", HS, "--model", HS_MODEL)
    res = run("efa", "-", "--items", "a,b", input="a,b\n1,x\n2,3\n")
    assert res.exit_code == 1 and res.stderr.startswith("Error: ") and "standard input" in res.stderr
    assert res.stderr.count("\n") == 1


# --------------------------------------------------------------------------- warnings: once, on stderr

def _warning_lines(stderr):
    lines = [line for line in stderr.splitlines() if not line.startswith("Note: ")]  # choices made, stated
    assert all(line.startswith("Warning: ") for line in lines), stderr
    assert len(lines) == len(set(lines)), f"repeated warning:\n{stderr}"
    return lines


@pytest.mark.parametrize("cmd", ["corr", "reliability", "omega"])
def test_blank_row_warning_once(tmp_path, d3, cmd):
    df = d3[["q1", "q2", "q3", "q4", "q5"]].head(60).astype(float)
    df.iloc[5] = np.nan
    path = tmp_path / "blank_row.csv"
    df.to_csv(path, index=False)
    res = run(cmd, path, "--items", "q1,q2,q3,q4,q5", "--json", *FAST.get(cmd, []))
    assert res.exit_code == 0, res.stderr
    _one_json_object(res.stdout)
    lines = _warning_lines(res.stderr)
    assert len([w for w in lines if "answer none of the items" in w]) == 1
    assert "UserWarning" not in res.stderr


def test_warnings_once_in_text_mode_too(tmp_path, d3):
    df = d3[["q1", "q2", "q3"]].head(60).astype(float)
    df.iloc[3] = np.nan
    path = tmp_path / "blank_row.csv"
    df.to_csv(path, index=False)
    res = run("corr", path, "--items", "q1,q2,q3")
    assert res.exit_code == 0
    assert len(_warning_lines(res.stderr)) == 1 and "q1" in res.stdout


def _heywood_csv(path, r):
    """500 rows whose sample correlations are exactly ``r`` (a Heywood case for one factor)."""
    r = np.array(r)
    z = np.random.default_rng(3).normal(size=(500, 3))
    z = (z - z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, bias=True))).T
    pd.DataFrame(z @ np.linalg.cholesky(r).T, columns=["a", "b", "c"]).to_csv(path, index=False)
    return path


def test_real_process_stdin_json_and_one_warning(d3):
    # outside pytest's warning capture: a library UserWarning must not also be printed by Python
    df = d3[["q1", "q2", "q3"]].head(40).astype(float)
    df.iloc[4] = np.nan
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    proc = subprocess.run([sys.executable, "-c", "from qimscale.cli import run; run()", "corr", "-", "--items",
                           "q1,q2,q3", "--json"], input=df.to_csv(index=False), capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith("}\n") and proc.stdout.count("\n") == 1
    assert json.loads(proc.stdout)["items"] == ["q1", "q2", "q3"]
    assert proc.stderr.splitlines() == [f"Warning: {json.loads(proc.stdout)['warnings'][0]}"]


@pytest.mark.parametrize("as_json", [True, False])
def test_efa_python_warnings_become_warning_lines(tmp_path, as_json):
    path = _heywood_csv(tmp_path / "heywood.csv", [[1, .9, .9], [.9, 1, .7], [.9, .7, 1]])
    res = run("efa", path, "--items", "a,b,c", "--n-factors", "1", *(["--json"] if as_json else []))
    assert res.exit_code == 0, res.stderr
    if as_json:
        assert _one_json_object(res.stdout)["heywood"] == ["a"]
    lines = _warning_lines(res.stderr)
    assert len([w for w in lines if w.startswith("Warning: Heywood case: item(s) a ")]) == 1
    assert "HeywoodWarning" not in res.stderr and "warnings.warn" not in res.stderr


@pytest.mark.parametrize("as_json", [True, False])
def test_cfa_warnings_go_to_stderr_once(tmp_path, as_json):
    path = _heywood_csv(tmp_path / "heywood.csv", [[1, .8, .8], [.8, 1, .5], [.8, .5, 1]])
    res = run("cfa", path, "--model", "F =~ a + b + c", *(["--json"] if as_json else []))
    assert res.exit_code == 0, res.stderr
    lines = _warning_lines(res.stderr)
    assert len([w for w in lines if "Heywood" in w and "a ~~ a" in w]) == 1
    if as_json:
        assert len(_one_json_object(res.stdout)["warnings"]) == len(lines)


def test_invariance_warnings_once_not_per_level(tmp_path):
    # 80 answers per group leave some categories with < 5 answers: each warning is printed once,
    # not once per invariance level (it used to be repeated for every level)
    d = pd.read_csv(REF / "data" / "wlsmv_ordinal.csv")
    path = tmp_path / "sparse.csv"
    pd.concat([g.head(80) for _, g in d.groupby("group")]).to_csv(path, index=False)
    res = run("invariance", path, "--model", "F =~ y1 + y2 + y3 + y4", "--group", "group",
              "--estimator", "WLSMV", "--ordered", "all", "--json")
    assert res.exit_code == 0, res.stderr
    out = _one_json_object(res.stdout)
    lines = _warning_lines(res.stderr)
    sparse = [w for w in lines if "fewer than 5 responses" in w]
    # one line per group, naming every sparse item of that group
    assert sparse and all(re.match(r"Warning: (item '|\d+ items in group)", w) for w in sparse)
    assert len({w.split("group '")[1].split("'")[0] for w in sparse}) == len(sparse)
    every_level = set.intersection(*(set(ws) for ws in out["warnings"].values()))
    assert len(sparse) == len({w for w in every_level if "fewer than 5" in w})


# --------------------------------------------------------------------------- --help

def _all_commands():
    from qimscale.cli import _available

    names = [n for n in _available() if n != "instrument"]
    return [[n] for n in names] + [["instrument", s] for s in ("export", "validate", "translate", "info")]


_OTHER_OWNERS = {"score"}


@pytest.mark.parametrize("path", _all_commands(), ids=lambda p: " ".join(p))
def test_help_documents_options_and_example(path):
    import click

    res = run(*path, "--help")
    assert res.exit_code == 0 and res.stdout.startswith("Usage: ")
    if path[0] in _OTHER_OWNERS:
        return
    assert "Example" in res.stdout, "no example line"
    cmd = main
    for name in path:
        cmd = cmd.get_command(None, name) if isinstance(cmd, click.Group) else cmd
    for p in cmd.params:
        if not isinstance(p, click.Option) or p.name == "help":
            continue
        assert p.help, f"{p.name}: no help"
        documented = p.show_default or p.required or p.is_flag or "default" in p.help.lower()
        assert documented, f"{' '.join(path)} {p.opts[0]}: default not documented"


def test_help_of_a_command_imports_no_numerics():
    code = ("import sys; from click.testing import CliRunner; from qimscale.cli import main; "
            "[CliRunner().invoke(main, [c, '--help']) for c in ('reliability', 'efa', 'cfa')]; "
            "print(sorted(m for m in ('numpy', 'pandas', 'scipy') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stderr


# --------------------------------------------------------------------------- default items: the instrument

def test_reliability_defaults_to_instrument_scales(qim):
    from qimscale.analysis.reliability import scale_reliability

    path, df = qim
    out = run_json("reliability", path)
    assert [s["scale"] for s in out["scales"]] == list(SIM_SCALES)
    lib = scale_reliability(df, SIM_SCALES, reverse={s: SIM_REVERSE.get(s, []) for s in SIM_SCALES},
                            ranges={s: (1, 5) for s in SIM_SCALES})
    assert out == lib_json(lib)
    assert all(s["alpha"] > 0.6 for s in out["scales"])  # reverse keys applied: no negative item-total r
    assert all(it["r_drop"] > 0 for s in out["scales"] for it in s["items"])


def test_efa_commands_default_to_instrument_items(qim):
    from qimscale.analysis.efa import EFA
    from qimscale.analysis.factorability import factorability
    from qimscale.analysis.nfactors import number_of_factors

    path, df = qim
    X = _recoded_items(df)
    assert run_json("factorability", path) == lib_json(factorability(X).to_dict())
    out = run_json("nfactors", path, "--n-iter", "5", "--seed", "3")
    assert out == lib_json(number_of_factors(X, n_iter=5, random_state=3).to_dict())
    assert out["parallel"] == 4
    efa = run_json("efa", path, "--n-factors", "4")
    assert efa == lib_json(EFA(4).fit(X).results_.to_dict())
    assert efa["items"] == list(X.columns)
    L = np.array(efa["loadings"])
    assert (L.max(axis=1) > 0.4).all()  # reverse-keyed items load positively after recoding


def test_instrument_gives_the_range_for_explicit_scales(qim):
    # contract: "--min/--max give the response range. The instrument provides them when --instrument is used."
    from qimscale.analysis.reliability import scale_reliability

    path, df = qim
    spec = "ctx=exp_ctx_1,exp_ctx_2,exp_ctx_3,-exp_ctx_4"
    inst = Path(__file__).parents[2] / "instrument" / "qim-competency.yaml"
    assert run("reliability", path, "--scale", spec).exit_code == 1  # no range known
    out = run_json("reliability", path, "--scale", spec, "--instrument", inst)
    lib = scale_reliability(df, {"ctx": SIM_SCALES["exp_context"]}, reverse={"ctx": ["exp_ctx_4"]},
                            ranges={"ctx": (1, 5)})
    assert out == lib_json(lib)
    efa = run_json("efa", path, "--scale", spec, "--instrument", inst, "--n-factors", "1")
    assert min(row[0] for row in efa["loadings"]) > 0.4  # exp_ctx_4 recoded as 6 - x


def test_incomplete_instrument_scale_is_reported(qim, tmp_path):
    _, df = qim
    path = tmp_path / "no_meth_5.csv"
    df.drop(columns="exp_meth_5").to_csv(path, index=False)
    for cmd in ("reliability", "factorability"):
        res = run(cmd, path, "--json")
        assert res.exit_code == 0, res.stderr
        warn = [ln for ln in res.stderr.splitlines() if not ln.startswith("Note: ")]
        assert warn == ["Warning: scale 'exp_methods' left out: column(s) 'exp_meth_5' not "
                        "found (pass --scale to analyse the items that are there)"]
        assert "Note: analysing the instrument's competency scales" in res.stderr
    out = _one_json_object(res.stdout)
    assert "exp_meth_1" not in out["kmo_items"] and "exp_ctx_1" in out["kmo_items"]


def test_default_items_absent_is_an_error(d3):
    res = run("efa", D3)
    assert res.exit_code == 1 and res.stderr.count("\n") == 1
    assert str(D3) in res.stderr and "--items" in res.stderr


def test_every_contract_command_is_registered():
    for name in ITEM_COMMANDS + MODEL_COMMANDS + ["instrument"]:
        assert name in COMMANDS
