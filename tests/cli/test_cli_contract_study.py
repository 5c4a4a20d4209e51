"""The command-line contract (/work/shared/cli-contract.md) for the study-layer commands.

compare, relate, themes, teams, hypotheses, validate, simulate, demo, power,
content-validity, profile and items, as a pipeline relies on them: ``--json``
prints exactly one JSON object (full precision, NaN as null) holding the
contract's minimum keys; bad data exits 1 with one ``Error:`` line and no
traceback (``--debug`` shows it); bad usage exits 2; ``-`` reads CSV from
standard input; the input file is never modified; a failed run leaves no
partial output.

The data are made here: a study simulated from the bundled population model,
scored as ``qimscale score`` scores it, cached per module. ``validate`` and
``demo`` run only their first steps (the full study is tested in
tests/study/test_validate_study.py).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.cli import COMMANDS, main

VARS = "exp_methods,lead_systems"


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def one_json(stdout: str) -> dict:
    """stdout is one JSON object on one line; NaN/Infinity never appear as tokens."""
    assert stdout.strip(), "nothing on stdout"
    assert stdout.strip().count("\n") == 0, f"more than one line on stdout: {stdout[:300]!r}"
    obj = json.loads(stdout, parse_constant=lambda c: pytest.fail(f"{c} written instead of null"))
    assert isinstance(obj, dict)
    return obj


def floats(obj):
    if isinstance(obj, float):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from floats(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from floats(v)


def full_precision(obj) -> bool:
    """Some non-round number is written with more than 10 significant digits (never rounded)."""
    digits = [len(repr(abs(x)).split("e")[0].replace(".", "").lstrip("0")) for x in floats(obj)
              if math.isfinite(x) and x != round(x, 4)]
    return not digits or max(digits) > 10


def is_num(v):
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def error_only(res):
    """exit 1, nothing on stdout, exactly one line on stderr and it is the ``Error:`` line."""
    assert res.exit_code == 1, (res.exit_code, res.stdout, res.stderr)
    assert res.stdout == "", res.stdout
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    assert "Traceback" not in res.stderr
    return lines[0]


# --------------------------------------------------------------------------- data (made once)

@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """raw.csv (a simulated export), scores.csv (scored, with a 'unit' team column of 6 teams),
    ratings.csv (content-validity ratings), plus bad variants of scores.csv."""
    from qimscale.scoring import score_file
    from qimscale.study.population import simulate_study

    d = tmp_path_factory.mktemp("study")
    raw, _ = simulate_study(90, 11)
    raw.to_csv(d / "raw.csv", index=False)
    scores = score_file(d / "raw.csv").table
    scores["unit"] = [f"u{i % 6}" for i in range(len(scores))]
    scores.to_csv(d / "scores.csv", index=False)
    bad = scores.astype(object)
    bad.loc[3, ["exp_methods", "qi_performance", "expertise"]] = "abc"
    bad.to_csv(d / "text_value.csv", index=False)
    one = scores.copy()
    one["qim_type"] = 1
    one["unit"] = "u0"
    one["org_id"] = "o1"
    one.to_csv(d / "one_level.csv", index=False)
    (d / "bad.yaml").write_text("codes: [a, b\n  c: 1\n", encoding="utf-8")
    pd.DataFrame({"item": ["q1", "q2", "q3"], "e1": [4, 2, 4], "e2": [4, 3, 4], "e3": [3, 1, 4],
                  "e4": [4, 4, 4], "e5": [4, 2, 3]}).to_csv(d / "ratings.csv", index=False)
    pd.DataFrame({"item": ["q1", "q2"], "e1": [3, 1], "e2": [3, 2], "e3": [3, 3], "e4": [2, 3],
                  "e5": [3, 1]}).to_csv(d / "lawshe.csv", index=False)
    pd.DataFrame({"item": ["q1", "q2"], "e1": [4, 2], "e2": ["x", 3], "e3": [3, 1]}).to_csv(
        d / "ratings_bad.csv", index=False)
    return {"dir": d, "raw": d / "raw.csv", "scores": d / "scores.csv", "text": d / "text_value.csv",
            "one": d / "one_level.csv", "ratings": d / "ratings.csv", "lawshe": d / "lawshe.csv", "ratings_bad": d / "ratings_bad.csv",
            "first_id": str(scores["qim_id"].iloc[0])}


@pytest.fixture
def quick_validate(monkeypatch):
    """validate/demo run only their first steps (screening, item analysis): the contract, not the study."""
    import qimscale.study.validate as v

    monkeypatch.setattr(v, "validate_study", functools.partial(v.validate_study, only=("screening", "items")))


# command -> (arguments with {data}/{ratings}/{out} placeholders, the data file it reads)
HAPPY = {
    "compare": (["compare", "{scores}", "--group", "qim_type", "--vars", VARS], "scores"),
    "compare3": (["compare", "{scores}", "--group", "country", "--vars", VARS], "scores"),
    "relate": (["relate", "{scores}", "--outcome", "qi_performance", "--predictors", "expertise,leadership"],
               "scores"),
    "relate_mixed": (["relate", "{scores}", "--outcome", "qi_performance", "--predictors", "expertise",
                      "--cluster", "unit"], "scores"),
    "teams": (["teams", "{scores}", "--team", "unit", "--vars", VARS], "scores"),
    "themes": (["themes"], None),
    "hypotheses": (["hypotheses", "{scores}"], "scores"),
    "content-validity": (["content-validity", "{ratings}"], "ratings"),
    "content-validity-lawshe": (["content-validity", "{lawshe}", "--lawshe"], "lawshe"),
    "power": (["power", "--target", "ttest", "--n", "10,20", "--reps", "8", "--seed", "3"], None),
    "simulate": (["simulate", "--n", "25", "--seed", "2", "--out", "{out}/sim.csv"], None),
    "profile": (["profile", "{scores}", "--id", "{first_id}", "--out", "{out}/p.html"], "scores"),
    "items": (["items", "{scores}", "--items", "exp_meth_1,exp_meth_2,exp_meth_3"], "scores"),
    "validate": (["validate", "{scores}", "--out", "{out}/v"], "scores"),
    "demo": (["demo", "--n", "60", "--seed", "4", "--out", "{out}/demo", "--quiet"], None),
}


def fill(args, study, out):
    sub = {k: str(v) for k, v in study.items()} | {"out": str(out)}
    return [a.format(**sub) for a in args]


def check_keys(name, obj, out):
    """The contract's minimum keys for each command (cli-contract.md, 'Commands and the JSON')."""
    if name.startswith("compare"):
        rows = obj["comparisons"]
        assert rows
        for r in rows:
            for k in ("variable", "test", "statistic", "df", "p", "p_adj", "effect", "effect_size", "effect_ci"):
                assert k in r, k
            assert all(is_num(r[k]) for k in ("statistic", "df", "p", "p_adj", "effect_size"))
            assert isinstance(r["effect_ci"], list) and len(r["effect_ci"]) == 2
        tests = {r["test"] for r in rows}
        if name == "compare":
            assert {"welch_t", "mann_whitney"} <= tests
            assert {r["effect"] for r in rows if r["test"] == "welch_t"} == {"hedges_g"}
        else:
            assert {"welch_anova", "anova", "kruskal"} <= tests
    elif name.startswith("relate"):
        assert obj["model"] == ("mixed" if name == "relate_mixed" else "ols")
        assert isinstance(obj["n"], int)
        for c in obj["coefficients"]:
            for k in ("term", "estimate", "se", "statistic", "p", "ci_lower", "ci_upper"):
                assert k in c, k
        assert "Intercept" in {c["term"] for c in obj["coefficients"]}
        if name == "relate":
            assert is_num(obj["r2"]) and is_num(obj["adj_r2"])
        else:
            assert {"group_var", "residual_var"} <= set(obj["random_effects"]) and is_num(obj["icc1"])
    elif name == "teams":
        for t in obj["teams"]:
            assert {"team", "n", "blau"} <= set(t)
        for a in obj["aggregation"]:
            assert {"variable", "icc1", "icc2", "rwg_j_median", "n_teams_rwg_70"} <= set(a)
        assert [a["variable"] for a in obj["aggregation"]] == VARS.split(",")
    elif name == "themes":
        for c in obj["codes"]:
            for k in ("theme", "subtheme", "code", "clinical_x", "clinical_n", "traditional_y", "traditional_n",
                      "risk_difference", "rd_ci", "fisher_p", "p_adj"):
                assert k in c, k
            assert len(c["rd_ci"]) == 2
    elif name == "hypotheses":
        assert obj["hypotheses"]
        for h in obj["hypotheses"]:
            assert {"id", "status", "estimate", "ci", "p", "p_adj", "reason"} <= set(h)
            assert h["status"] in ("supported", "not_supported", "not_testable")
            assert isinstance(h["ci"], list) and len(h["ci"]) == 2
    elif name == "content-validity":
        assert {"items", "s_cvi_ave", "s_cvi_ua", "n_experts"} <= set(obj) and obj["n_experts"] == 5
        for it in obj["items"]:
            assert {"item", "i_cvi", "kappa_star", "verdict"} <= set(it)
    elif name == "content-validity-lawshe":
        assert obj["n_experts"] == 5
        for it in obj["items"]:
            assert {"item", "cvr", "cvr_critical", "verdict"} <= set(it)
    elif name == "power":
        assert obj["target"] == "ttest" and "n_required" in obj
        assert [r["n"] for r in obj["rows"]] == [10, 20]
        for r in obj["rows"]:
            assert {"n", "power", "mc_se", "converged"} <= set(r)
    elif name == "simulate":
        assert (out / "sim.csv").is_file() and obj["n"] == 25
    elif name == "profile":
        assert (out / "p.html").is_file()
    elif name == "validate":
        assert (out / "v" / "report.html").is_file()
        assert json.loads((out / "v" / "results.json").read_text()) == obj
    elif name == "demo":
        assert (out / "demo" / "report.html").is_file() and (out / "demo" / "results.json").is_file()


# --------------------------------------------------------------------------- --json: one object, keys

@pytest.mark.parametrize("name", list(HAPPY))
def test_json_is_one_object_with_the_contract_keys(name, study, tmp_path, quick_validate):
    args, reads = HAPPY[name]
    before = sha(study[reads]) if reads else None
    res = run(*fill(args, study, tmp_path), "--json")
    assert res.exit_code == 0, res.stderr
    obj = one_json(res.stdout)
    check_keys(name, obj, tmp_path)
    assert full_precision(obj), "numbers rounded in --json"
    assert "Traceback" not in res.stderr
    for line in res.stderr.splitlines():  # stderr holds messages only, never the result
        assert line.startswith(("Warning: ", "Note: ", "  ")) or not line.strip() or line.startswith("["), line
    if reads:
        assert sha(study[reads]) == before, "the input file was modified"


def test_compare_json_equals_the_library_call_at_full_precision(study):
    from qimscale._core.jsonable import to_jsonable
    from qimscale.analysis.compare import compare_groups

    out = one_json(run("compare", study["scores"], "--group", "qim_type", "--vars", VARS, "--json").stdout)
    lib = compare_groups(pd.read_csv(study["scores"]), "qim_type", VARS.split(","))
    assert out["comparisons"] == json.loads(json.dumps(to_jsonable(lib.to_dict())))["comparisons"]


def test_nan_is_written_as_null(study):
    # a 3-group omnibus test has no effect CI: written as null, never NaN
    out = one_json(run("compare", study["scores"], "--group", "country", "--vars", VARS, "--json").stdout)
    assert any(v is None for r in out["comparisons"] for v in r["effect_ci"])


def test_counts_are_whole_numbers(study):
    """n, counts and group sizes are JSON integers (``38``, not ``38.0``)."""
    out = one_json(run("compare", study["scores"], "--group", "qim_type", "--vars", VARS, "--json").stdout)
    assert all(isinstance(g["n"], int) for g in out["groups"])
    assert all(isinstance(r["n"], int) for r in out["comparisons"])
    out = one_json(run("teams", study["scores"], "--team", "unit", "--vars", VARS, "--json").stdout)
    assert all(isinstance(t["n"], int) for t in out["teams"])
    out = one_json(run("themes", "--json").stdout)
    assert all(c[k] is None or isinstance(c[k], int) for c in out["codes"]  # None: a suppressed small count
               for k in ("clinical_x", "clinical_n", "traditional_y", "traditional_n"))


# --------------------------------------------------------------------------- bad data: exit 1, one Error line

BAD = {
    "compare missing column": (["compare", "{scores}", "--group", "nope", "--vars", VARS], "'nope'"),
    "compare text value": (["compare", "{text}", "--group", "qim_type", "--vars", "exp_methods"], "'abc'"),
    "compare one level": (["compare", "{one}", "--group", "qim_type", "--vars", VARS], "one level"),
    "compare missing file": (["compare", "{dir}/absent.csv", "--group", "qim_type"], "absent.csv"),
    "relate missing column": (["relate", "{scores}", "--outcome", "nope", "--predictors", "expertise"], "'nope'"),
    "relate text value": (["relate", "{text}"], "'abc'"),
    "relate one cluster": (["relate", "{one}", "--outcome", "qi_performance", "--predictors", "expertise",
                            "--cluster", "org_id"], "org_id"),
    "relate unscored data": (["relate", "{ratings}"], "no --predictors given"),
    "relate unscored data, correlations": (["relate", "{ratings}", "--correlations"], "no --vars given"),
    "relate missing file": (["relate", "{dir}/absent.csv"], "absent.csv"),
    "relate missing org file": (["relate", "{scores}", "--org-outcomes", "{dir}/absent.csv", "--org-key", "org_id"],
                                "absent.csv"),
    "teams missing column": (["teams", "{scores}", "--team", "nope", "--vars", VARS], "'nope'"),
    "teams text value": (["teams", "{text}", "--team", "unit", "--vars", "exp_methods"], "'abc'"),
    "teams one team": (["teams", "{one}", "--team", "unit", "--vars", VARS], "unit"),
    "teams missing file": (["teams", "{dir}/absent.csv", "--team", "unit"], "absent.csv"),
    "themes missing codes file": (["themes", "--codes", "{dir}/absent.yaml"], "absent.yaml"),
    "themes codes file not YAML": (["themes", "--codes", "{dir}/bad.yaml"], "not valid YAML"),
    "profile out folder missing": (["profile", "{scores}", "--id", "x", "--out", "{dir}/none/p.html"],
                                   "Error: {dir}/none/p.html: the folder"),
    "validate out folder missing": (["validate", "{scores}", "--out", "{dir}/none/v", "--quiet"], "none"),
    "hypotheses text value": (["hypotheses", "{text}"], "'abc'"),
    "hypotheses missing file": (["hypotheses", "{dir}/absent.csv"], "absent.csv"),
    "hypotheses missing hypotheses file": (["hypotheses", "{scores}", "--file", "{dir}/absent.yaml"], "absent.yaml"),
    "content-validity text value": (["content-validity", "{ratings_bad}"], "'x'"),
    "content-validity missing file": (["content-validity", "{dir}/absent.csv"], "absent.csv"),
    "profile unknown id": (["profile", "{scores}", "--id", "nobody", "--out", "{out}/p.html"], "qim_id"),
    "profile missing file": (["profile", "{dir}/absent.csv", "--all", "--out", "{out}/pp"], "absent.csv"),
    "items missing column": (["items", "{scores}", "--items", "exp_meth_1,nope"], "nope"),
    "validate missing file": (["validate", "{dir}/absent.csv", "--out", "{out}/v"], "absent.csv"),
    "simulate missing model": (["simulate", "--n", "20", "--model", "{dir}/absent.yaml", "--out", "{out}/s.csv"],
                               "absent.yaml"),
    "power missing model": (["power", "--target", "ttest", "--n", "10", "--reps", "2",
                             "--model", "{dir}/absent.yaml"], "absent.yaml"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_data_is_one_error_line_and_exit_1(case, study, tmp_path):
    args, named = BAD[case]
    files = [study[k] for k in ("scores", "text", "one", "ratings_bad")]
    before = [sha(f) for f in files]
    for as_json in ([], ["--json"]):
        line = error_only(run(*fill(args, study, tmp_path), *as_json))
        assert fill([named], study, tmp_path)[0] in line, line
    assert [sha(f) for f in files] == before
    assert list(tmp_path.iterdir()) == [], "a failed run left output behind"


def test_debug_shows_the_traceback(study):
    from qimscale.errors import QimscaleError

    res = run("--debug", "compare", study["scores"], "--group", "nope", "--vars", VARS)
    assert isinstance(res.exception, QimscaleError)  # re-raised, so Python prints the traceback
    proc = subprocess.run([sys.executable, "-m", "qimscale", "--debug", "compare", str(study["scores"]),
                           "--group", "nope", "--vars", VARS], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback (most recent call last)" in proc.stderr


# --------------------------------------------------------------------------- bad usage: exit 2

USAGE = [
    ["compare", "{scores}"],  # --group is required
    ["compare", "{scores}", "--group", "qim_type", "--adjust", "nonsense"],
    ["relate", "{scores}", "--interaction", "a"],
    ["teams", "{scores}"],
    ["themes", "--min-cell", "0"],
    ["hypotheses"],
    ["validate", "{scores}"],  # --out is required
    ["simulate", "--n", "1", "--out", "{out}/s.csv"],
    ["demo", "--n", "abc"],
    ["power", "--target", "nonsense", "--n", "10"],
    ["power", "--target", "ttest", "--n", "ten"],
    ["power", "--target", "ttest", "--n", "10", "--effect", "nan"],
    ["content-validity", "{ratings}", "--scale", "1"],
    ["profile", "{scores}", "--out", "{out}/p.html"],  # neither --id nor --all
    ["items", "{scores}", "--no-such-option"],
]


@pytest.mark.parametrize("args", USAGE, ids=lambda a: " ".join(a))
def test_bad_usage_exits_2(args, study, tmp_path):
    res = run(*fill(args, study, tmp_path))
    assert res.exit_code == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr and res.stdout == ""
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- '-' reads CSV from stdin

STDIN = {
    "compare": (["compare", "-", "--group", "qim_type", "--vars", VARS], "scores", "comparisons"),
    "relate": (["relate", "-", "--outcome", "qi_performance", "--predictors", "expertise"], "scores", "coefficients"),
    "teams": (["teams", "-", "--team", "unit", "--vars", VARS], "scores", "aggregation"),
    "hypotheses": (["hypotheses", "-"], "scores", "hypotheses"),
    "content-validity": (["content-validity", "-"], "ratings", "items"),
    "items": (["items", "-", "--items", "exp_meth_1,exp_meth_2"], "scores", None),
    "profile": (["profile", "-", "--id", "{first_id}", "--out", "{out}/p.html"], "scores", None),
    "validate": (["validate", "-", "--out", "{out}/v"], "scores", "steps"),
    "validate_raw": (["validate", "-", "--out", "{out}/v"], "raw", "steps"),
}


@pytest.mark.parametrize("name", list(STDIN))
def test_dash_reads_csv_from_stdin(name, study, tmp_path, quick_validate):
    args, reads, key = STDIN[name]
    text = Path(study[reads]).read_text()
    res = run(*fill(args, study, tmp_path), "--json", input=text)
    assert res.exit_code == 0, res.stderr
    obj = one_json(res.stdout)
    if key:
        (tmp_path / "f").mkdir()
        file_args = [str(study[reads]) if a == "-" else a for a in fill(args, study, tmp_path / "f")]
        ref = one_json(run(*file_args, "--json").stdout)
        timing = ("figures", "seconds", "cpu_seconds")  # run-dependent, not the study's numbers
        strip = (lambda o: [{k: v for k, v in s.items() if k not in timing} for s in o]) \
            if key == "steps" else (lambda o: o)
        assert strip(obj[key]) == strip(ref[key])


# --------------------------------------------------------------------------- outputs: atomic, no partial files

def test_plot_failure_leaves_nothing_and_is_checked_before_the_work(study, tmp_path):
    for args in (["themes", "--plot", "{out}/t.xyz"], ["themes", "--plot", "{out}/none/t.png"],
                 ["power", "--target", "ttest", "--n", "10", "--reps", "2", "--plot", "{out}/p.xyz"],
                 ["power", "--target", "ttest", "--n", "10", "--reps", "2", "--plot", "{out}/none/p.png"]):
        res = run(*fill(args, study, tmp_path), "--json")
        error_only(res)
        assert list(tmp_path.iterdir()) == []


def test_validate_failure_leaves_no_folder(study, tmp_path, monkeypatch):
    import qimscale.study.validate as v
    from qimscale.errors import DataError

    def boom(*a, **k):
        raise DataError("simulated failure")

    monkeypatch.setattr(v, "validate_study", boom)
    error_only(run("validate", study["scores"], "--out", tmp_path / "v"))
    assert list(tmp_path.iterdir()) == []


def test_validate_checks_its_out_folder_before_the_study(study, tmp_path, monkeypatch):
    import qimscale.study.validate as v

    def never(*a, **k):
        raise AssertionError("the study ran before --out was checked")

    monkeypatch.setattr(v, "validate_study", never)
    out = tmp_path / "none" / "v"
    line = error_only(run("validate", study["scores"], "--out", out, "--quiet"))
    assert line == f"Error: {out}: the folder {out.parent} does not exist"


def test_validate_prints_the_steps_warnings_on_stderr(study, tmp_path, monkeypatch):
    import qimscale.study.validate as v

    real = v.validate_study

    def with_warnings(*a, **k):
        res = real(*a, **{**k, "only": ("screening",)})
        res.steps[0].warnings[:] = ["first problem", "second problem"]
        return res

    monkeypatch.setattr(v, "validate_study", with_warnings)
    res = run("validate", study["scores"], "--out", tmp_path / "v", "--quiet", "--json")
    assert res.exit_code == 0, res.stderr
    one_json(res.stdout)
    assert res.stderr.splitlines() == ["Warning: 1. Sample and screening: first problem (and 1 more warning(s) in "
                                       "results.json and the report)"]


def test_simulate_failure_while_writing_leaves_nothing(tmp_path, monkeypatch):
    import qimscale.io.writers as writers

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writers.os, "replace", full_disk)
    res = run("simulate", "--n", "20", "--out", tmp_path / "s.csv")
    assert res.exit_code == 1 and "Traceback" not in res.stderr, res.stderr
    assert list(tmp_path.iterdir()) == [], "a failed run left output behind"


# --------------------------------------------------------------------------- qimscale --help

def test_main_help_lists_every_command_with_a_whole_one_line_summary():
    res = run("--help")
    assert res.exit_code == 0
    body = res.stdout.split("Commands:", 1)[1]
    from qimscale.cli import _available

    for name in _available():
        cmd = main.get_command(None, name)
        summary = cmd.get_short_help_str(limit=45)
        assert summary and not summary.endswith("..."), f"{name}: summary cut short: {summary!r}"
        assert f"  {name} " in body, name
    assert set(_available()) == set(COMMANDS)
