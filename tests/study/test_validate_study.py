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
    table["site"] = np.where(np.arange(len(table)) < 3, EVIL, np.where(np.arange(len(table)) % 2, "A", "B"))
    out = tmp / "scores.csv"
    table.to_csv(out, index=False)
    return out, table


@pytest.fixture(scope="module")
def run(scored, tmp_path_factory):
    path, _ = scored
    out = tmp_path_factory.mktemp("report") / "study"
    r = CliRunner().invoke(main, ["validate", str(path), "--group", "qim_type", "--group", "site", "--out",
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
    assert "Left out" in " ".join(inv["notes"]) or inv["status"] != "ok"
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


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_report_renders_in_a_browser(run, tmp_path):
    out, _ = run
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,1600",
                    (out / "report.html").as_uri()], check=True, timeout=120, capture_output=True)
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert img.std() > 10        # not blank
