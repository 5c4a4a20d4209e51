"""validate: the whole study on simulated data, the report's safety, and agreement with the commands."""

from __future__ import annotations

import html.parser
import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.cli import main
from qimscale.instrument import load_instrument
from qimscale.io.platform_data import write_platform
from qimscale.scoring import score_file
from qimscale.study.population import simulate_study
from qimscale.study.validate import validate_study

EVIL = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    inst = load_instrument()
    data, _ = simulate_study(500, seed=21, instrument=inst)
    tmp = tmp_path_factory.mktemp("val")
    path = write_platform(inst, data, "csv", tmp / "sim.csv")
    table = score_file(path, instrument=inst).table
    # 'site' is the QIM type (two groups of 30 or more) plus a group of 3 named with hostile text: the
    # invariance step leaves the small group out and runs on the other two, which the invariance command
    # reproduces; 'unit' has one group of 30 or more, so its invariance step cannot run (and says why).
    # One WLSMV invariance sequence serves every check (each costs about 10 s).
    table["site"] = np.where(np.arange(len(table)) < 3, EVIL, "type" + table["qim_type"].astype(str))
    table["unit"] = np.where(np.arange(len(table)) < 10, "u2", "u1")
    out = tmp / "scores.csv"
    table.to_csv(out, index=False)
    return out, table


@pytest.fixture(scope="module")
def run(scored, tmp_path_factory):
    path, _ = scored
    out = tmp_path_factory.mktemp("report") / "study"
    r = CliRunner().invoke(main, ["validate", str(path), "--group", "site", "--group", "unit", "--out",
                                  str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    return out, json.loads((out / "results.json").read_text(encoding="utf-8"))


class _Collect(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]


def test_outputs_and_every_step(run):
    out, res = run
    assert (out / "report.html").is_file() and list((out / "tables").glob("*.csv"))
    assert len(list((out / "figures").glob("*.png"))) == len(list((out / "figures").glob("*.svg"))) >= 5
    ids = [s["id"] for s in res["steps"]]
    assert ids[:8] == ["screening", "items", "factorability", "nfactors", "efa", "cfa", "reliability", "validity"]
    assert ids[-2:] == ["hypotheses", "relations"]
    steps = {s["id"]: s for s in res["steps"]}
    assert steps["hypotheses"]["status"] == "ok" and steps["relations"]["status"] == "ok"
    assert steps["relations"]["values"]["outcome"] == "qi_performance"
    assert {s["id"]: s["status"] for s in res["steps"]}["cfa"] == "ok"
    meta = res["meta"]
    assert meta["instrument_version"] and len(meta["input_sha256"]) == 64 and meta["seed"] == 1
    for v in res["summary"]:
        assert v["verdict"] in ("meets", "does not meet", "mixed", "not assessable")
        assert v["source"] and v["threshold"]


def test_cfa_step_lists_the_modification_indices_of_the_ordinal_fit(run):
    """The WLSMV fit's modification indices (lavaan's modindices): those of 10 or more, the 20 largest."""
    _, res = run
    cfa = next(s for s in res["steps"] if s["id"] == "cfa")
    assert cfa["values"]["estimator"] == "WLSMV"
    mi = pd.DataFrame(cfa["tables"]["modification_indices"])
    assert list(mi.columns) == ["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all"]
    assert len(mi) <= 20 and (mi["mi"] >= 10).all() and mi["mi"].is_monotonic_decreasing
    assert not any("Modification indices are not available" in n for n in cfa["notes"])


def test_report_is_self_contained_and_escaped(run):
    out, _ = run
    text = (out / "report.html").read_text(encoding="utf-8")
    p = _Collect()
    p.feed(text)
    assert "script" not in p.tags and "link" not in p.tags
    for tag, k, v in p.attrs:
        if k in ("src", "href"):
            assert v.startswith("data:") or v.startswith("#"), (tag, k, v[:40])
    assert EVIL not in text and "@import" not in text and "url(" not in text


def test_small_group_is_suppressed_everywhere(run):
    out, res = run
    sizes = res["steps"][0]["values"]["group_sizes"]["site"]
    assert sizes[EVIL] is None
    assert list(sizes.values()).count(None) >= 2      # complementary suppression
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "suppressed (n &lt; 5)" in text
    inv = next(s for s in res["steps"] if s["id"] == "invariance_site")
    assert inv["status"] == "ok" and "Left out" in " ".join(inv["notes"])
    unit = next(s for s in res["steps"] if s["id"] == "invariance_unit")
    assert unit["status"] == "not run" and "fewer than two groups of 'unit'" in unit["reason"]
    for table in (out / "tables").glob("*.csv"):
        t = pd.read_csv(table, dtype=str)
        mask = t.apply(lambda c: c.str.contains("script", na=False))
        assert not mask.to_numpy().any() or "suppressed" in " ".join(t.to_numpy().ravel().astype(str))


def test_numbers_equal_the_commands(run, scored, tmp_path):
    out, res = run
    path, table = scored
    steps = {s["id"]: s for s in res["steps"]}
    inst = load_instrument()
    items = [i.id for i in inst.scale_items("exp_methods")]
    r = CliRunner().invoke(main, ["reliability", str(path), "--scale", "exp_methods=" + ",".join(items), "--json"])
    assert r.exit_code == 0, r.output
    cli_alpha = json.loads(r.stdout)["scales"][0]["alpha"]
    row = next(x for x in steps["items"]["tables"]["scales"] if x["scale"] == "exp_methods")
    assert row["alpha"] == pytest.approx(cli_alpha, rel=1e-12)
    model = tmp_path / "m.lav"
    model.write_text(steps["cfa"]["values"]["model"], encoding="utf-8")
    rev = [f"{i.id}" for i in inst.scored_items() if i.reverse]
    keyed = table.copy()
    for c in rev:
        keyed[c] = 6 - keyed[c]
    keyed_path = tmp_path / "keyed.csv"
    # the item columns only: the scored file also holds the scale scores under the factors' names, and a
    # latent variable named like a data column is an error (as in lavaan; issue 13)
    keyed[[i.id for i in inst.scored_items()]].to_csv(keyed_path, index=False)
    r = CliRunner().invoke(main, ["cfa", str(keyed_path), "--model", str(model), "--estimator", "WLSMV",
                                  "--ordered", "all", "--missing", "pairwise", "--json"])
    assert r.exit_code == 0, r.output
    fit = json.loads(r.stdout)["fit"]
    for key in ("cfi_scaled", "rmsea_scaled", "srmr", "chisq_scaled"):
        assert steps["cfa"]["values"][key] == pytest.approx(fit[key], rel=1e-9)
    r = CliRunner().invoke(main, ["factorability", str(keyed_path), "--items", ",".join(
        steps["factorability"]["tables"]["kmo_items"][i]["item"] for i in range(43)), "--json"])
    assert r.exit_code == 0, r.output


def _cli_json(*args):
    r = CliRunner().invoke(main, [str(a) for a in args] + ["--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def keyed(scored, tmp_path_factory):
    """The competency items reverse-keyed (as validate analyses them), the groups, and the CFA model file."""
    _, table = scored
    inst = load_instrument()
    items = [i.id for s in inst.scales if s.kind == "competency" and not s.exploratory for i in inst.scale_items(s.id)]
    k = table[items].astype(float).copy()
    for it in inst.scored_items():
        if it.reverse and it.id in k:
            k[it.id] = 6 - k[it.id]
    k["qim_type"] = table["qim_type"].astype(str)
    k["site"] = table["site"].where(table["site"] != EVIL)   # the group validate leaves out: no group here
    path = tmp_path_factory.mktemp("keyed") / "keyed.csv"
    k.to_csv(path, index=False)
    return path, items


def test_screening_equals_items_command(run, scored):
    _, res = run
    path, table = scored
    steps = {s["id"]: s for s in res["steps"]}
    cli = {r["item"]: r for r in _cli_json("items", path)["items"]}
    rows = steps["screening"]["tables"]["items"]
    assert len(rows) == 43
    for r in rows:
        c = cli[r["item"]]
        assert r["pct_missing"] == pytest.approx(c["pct_missing"], abs=1e-12)
        assert r["floor_pct"] == pytest.approx(c["floor_pct"], abs=1e-12)
        assert r["ceiling_pct"] == pytest.approx(c["ceiling_pct"], abs=1e-12)
    # scale-level floor and ceiling: on the scored scale scores, as 'qimscale items' gives for those columns
    scales = [r["scale"] for r in steps["screening"]["tables"]["floor_ceiling"]]
    cli = {r["item"]: r for r in _cli_json("items", path, "--items", ",".join(scales), "--min", 1, "--max", 5)["items"]}
    for r in steps["screening"]["tables"]["floor_ceiling"]:
        assert r["n"] == cli[r["scale"]]["n"]
        assert r["floor_pct"] == pytest.approx(cli[r["scale"]]["floor_pct"], abs=1e-12)
        assert r["ceiling_pct"] == pytest.approx(cli[r["scale"]]["ceiling_pct"], abs=1e-12)


def test_factorability_equals_its_command(run, scored):
    _, res = run
    path, _ = scored
    v = {s["id"]: s for s in res["steps"]}["factorability"]
    cli = _cli_json("factorability", path, "--cor", v["values"]["correlations"])
    assert v["values"]["kmo"] == pytest.approx(cli["kmo"], rel=1e-10)
    assert v["values"]["bartlett_chisq"] == pytest.approx(cli["bartlett_chisq"], rel=1e-10)
    assert v["values"]["n_obs"] == cli["n_obs"]
    for r in v["tables"]["kmo_items"]:
        assert r["kmo"] == pytest.approx(cli["kmo_items"][r["item"]], rel=1e-10)


def test_nfactors_equals_its_command(run, scored):
    _, res = run
    path, _ = scored
    v = {s["id"]: s for s in res["steps"]}["nfactors"]["values"]
    cli = _cli_json("nfactors", path, "--cor", v["correlations"], "--n-iter", v["n_iter"], "--seed", v["seed"])
    assert v["parallel"] == cli["parallel"] and v["map"] == cli["map"]
    np.testing.assert_allclose(v["eigenvalues"], cli["eigenvalues"], rtol=1e-10)
    np.testing.assert_allclose(v["fa_resampled_quantile"], cli["parallel_detail"]["fa_resampled_quantile"],
                               rtol=1e-10)


def test_efa_equals_its_command(run, scored):
    _, res = run
    path, _ = scored
    step = {s["id"]: s for s in res["steps"]}["efa"]
    v = step["values"]
    cli = _cli_json("efa", path, "--cor", v["correlations"], "--n-factors", v["n_factors"], "--rotation",
                    v["rotation"], "--method", v["method"])
    L = np.array(cli["loadings"])
    mine = pd.DataFrame(step["tables"]["loadings"]).set_index("item").loc[cli["items"]]
    np.testing.assert_allclose(mine[[f"F{j + 1}" for j in range(L.shape[1])]].to_numpy(), L, atol=1e-8)
    np.testing.assert_allclose(mine["communality"].to_numpy(), cli["communalities"], atol=1e-8)


def test_reliability_and_validity_equal_the_cfa_command(run, keyed, tmp_path):
    _, res = run
    path, _ = keyed
    steps = {s["id"]: s for s in res["steps"]}
    model = tmp_path / "m.lav"
    model.write_text(steps["cfa"]["values"]["model"], encoding="utf-8")
    cli = _cli_json("cfa", path, "--model", model, "--estimator", "WLSMV", "--ordered", "all", "--missing",
                    "pairwise")
    rel = {r["name"]: r for r in steps["reliability"]["tables"]["reliability"] if r["level"] == "scale"}
    for f, d in cli["reliability"].items():
        assert rel[f]["omega"] == pytest.approx(d["omega"], rel=1e-9)
    val = {r["factor"]: r for r in steps["validity"]["tables"]["convergent_discriminant"]}
    for f, d in cli["reliability"].items():
        assert val[f]["ave"] == pytest.approx(d["ave"], rel=1e-9)
        assert val[f]["cr"] == pytest.approx(d["omega"], rel=1e-9)
    ht = {r["factor"]: r for r in steps["validity"]["tables"]["htmt"]}
    for a, col in cli["validity"]["htmt"].items():
        for b, x in col.items():
            assert ht[b][a] == pytest.approx(x, rel=1e-9)
    fl = cli["validity"]["fornell_larcker"]
    for f, r in val.items():
        assert r["sqrt_ave"] == pytest.approx(fl[f][f], rel=1e-9)
        others = max(abs(fl[g][f]) for g in fl if g != f)
        assert r["max_r"] == pytest.approx(others, rel=1e-9)


def test_invariance_equals_its_command(run, keyed, tmp_path):
    _, res = run
    path, _ = keyed
    steps = {s["id"]: s for s in res["steps"]}
    step = steps["invariance_site"]
    assert step["status"] == "ok", step["reason"]
    model = tmp_path / "m.lav"
    model.write_text(steps["cfa"]["values"]["model"], encoding="utf-8")
    extra = [a for it, m in step["values"].get("collapse", {}).items()
             for a in ("--collapse", f"{it}:" + ",".join(f"{o}={n}" for o, n in m.items()))]
    cli = _cli_json("invariance", path, "--model", model, "--group", "site", "--estimator", "WLSMV",
                    "--ordered", "all", "--missing", "pairwise", *extra)
    mine = {r["level"]: r for r in step["tables"]["levels"]}
    assert [r["level"] for r in cli["levels"]] == list(mine)
    for r in cli["levels"]:
        for key in ("chisq", "df", "cfi", "rmsea", "srmr", "delta_cfi", "delta_rmsea", "chisq_diff_p"):
            if r.get(key) is None:
                assert mine[r["level"]].get(key) is None
            else:
                assert mine[r["level"]][key] == pytest.approx(r[key], rel=1e-8, abs=1e-12), (r["level"], key)
    assert step["values"]["highest_level_held"] == cli["highest_level_held"]


def test_hypotheses_and_relations_equal_their_commands(run, scored):
    out, res = run
    path, _ = scored
    steps = {s["id"]: s for s in res["steps"]}
    r = CliRunner().invoke(main, ["hypotheses", str(path), "--json"])
    assert r.exit_code == 0, r.output
    cli = {h["id"]: h for h in json.loads(r.stdout)["hypotheses"]}
    for h in steps["hypotheses"]["tables"]["hypotheses"]:
        assert h["status"] == cli[h["id"]]["status"]
        if h["estimate"] is not None:
            assert h["estimate"] == pytest.approx(cli[h["id"]]["estimate"], rel=1e-12)
    r = CliRunner().invoke(main, ["relate", str(path), "--outcome", "qi_performance", "--predictors",
                                  "expertise,leadership,interpersonal", "--interaction", "interpersonal:expertise",
                                  "--center", "--robust", "HC3", "--json"])
    assert r.exit_code == 0, r.output
    cli = {c["term"]: c for c in json.loads(r.stdout)["coefficients"]}
    for c in steps["relations"]["tables"]["ols"]:
        assert c["estimate"] == pytest.approx(cli[c["term"]]["estimate"], rel=1e-10)
        assert c["se"] == pytest.approx(cli[c["term"]]["se"], rel=1e-10)


def test_step_that_cannot_run_is_reported(scored):
    _, table = scored
    t = table.assign(one="x")
    res = validate_study(t, groups=["one"], seed=2, only=["screening", "items", "invariance"])
    inv = res.step("invariance_one")
    assert inv.status == "not run" and "two" in inv.reason
    assert res.step("items").status == "ok"
    assert res.step("cfa").status == "not run" and res.step("cfa").reason == "not requested"


def test_bad_input_leaves_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"a": [1, 2, 3], "b": [3, 2, 1]}).to_csv(bad, index=False)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["validate", str(bad), "--out", str(out)])
    assert r.exit_code == 1
    assert r.output.count("Error:") == 1
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_tiny_sample_reports_each_step_and_runs_the_rest(tmp_path):
    inst = load_instrument()
    data, _ = simulate_study(40, seed=5, instrument=inst)
    table = score_file(write_platform(inst, data, "csv", tmp_path / "tiny.csv"), instrument=inst).table
    res = validate_study(table, inst, groups=["qim_type"], outcome="qi_performance", seed=1)
    status = {s.id: s for s in res.steps}
    for sid in ("factorability", "nfactors", "efa", "cfa"):
        assert status[sid].status == "not run" and "40 respondents for 43 items" in status[sid].reason
    assert status["validity"].status == "not run" and "CFA" in status["validity"].reason
    assert status["invariance_qim_type"].status == "not run" and "30 or more" in status["invariance_qim_type"].reason
    for sid in ("screening", "items", "reliability", "hypotheses", "relations"):
        assert status[sid].status == "ok", (sid, status[sid].reason)
    n_total = next(v for v in status["screening"].verdicts if v.criterion.startswith("Sample size"))
    assert n_total.verdict == "does not meet"
    assert "could not be carried out" in res.methods and "factorability" in res.methods
    from qimscale.report.outputs import write_study

    write_study(res, tmp_path / "out")
    text = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "This step not run: 40 respondents for 43 items" in text


def test_cfa_that_does_not_converge_is_reported(scored, monkeypatch):
    """The engine converges on every data set the simulator makes, so its ConvergenceError is raised on
    purpose: the CFA's section says why, the steps that need it say so, the others still run."""
    from qimscale.analysis.cfa.fit import CFA
    from qimscale.errors import ConvergenceError

    def no(self, *a, **k):
        raise ConvergenceError("WLSMV did not converge in 200 Gauss-Newton iterations")

    monkeypatch.setattr(CFA, "fit", no)
    _, table = scored
    res = validate_study(table, seed=1, only=["screening", "items", "cfa", "reliability", "validity", "hypotheses"])
    assert res.step("cfa").status == "not run" and "did not converge" in res.step("cfa").reason
    assert res.step("validity").status == "not run" and "CFA" in res.step("validity").reason
    rel = res.step("reliability")
    assert rel.status == "ok" and rel.tables_["reliability"]["omega"].isna().all()
    assert [v.criterion for v in rel.verdicts] == ["Cronbach's α (lowest scale)"]
    assert res.step("hypotheses").status == "ok"


def test_a_step_that_raises_anything_else_is_recorded_as_failed(scored, monkeypatch):
    import qimscale.study.validate as V

    def broken(step, study):
        raise KeyError("boom")

    monkeypatch.setattr(V, "STEPS", [("items", "2. Item analysis", broken)] + V.STEPS[2:3])
    _, table = scored
    res = validate_study(table, seed=1, only=["items", "factorability"])
    assert res.step("items").status == "failed" and "KeyError" in res.step("items").reason
    assert res.step("factorability").status == "ok"


def _chromium(tmp_path, *args):
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", *args], check=True, timeout=180, capture_output=True)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_report_prints_to_pdf_with_a_page_per_section(run, tmp_path):
    out, res = run
    pdf = tmp_path / "report.pdf"
    _chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", (out / "report.html").as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    import re

    pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
    # the print style sheet starts every step (and the methods) on a new page
    assert pages > len(res["steps"])


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_report_renders_in_a_browser(run, tmp_path):
    out, _ = run
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", (out / "report.html").as_uri())
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert img.std() > 10        # not blank
