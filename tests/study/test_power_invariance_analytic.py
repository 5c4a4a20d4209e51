"""The analytic first answer for the invariance target (Satorra & Saris 1985) beside the simulation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from qimscale.cli import main
from qimscale.study.power import analytic, build_target, run_power_study


@pytest.fixture(scope="module")
def replicate():
    from qimscale.instrument import load_instrument
    from qimscale.study.population import build_population, read_population_file

    spec, name = read_population_file()
    pop, _ = build_population(load_instrument(), spec, name)
    return build_target("invariance", pop)[0]


def test_invariance_analytic_table_is_monotone_and_reaches_the_goal(replicate):
    grid = [30, 60, 100, 150, 250, 400]
    table, info = analytic("invariance", replicate, grid, goal=0.8, seed=1)
    assert list(table["n"]) == grid
    p = table["power"].to_numpy()
    assert np.all(np.diff(p) > 0) and p[0] > replicate.alpha and p[-1] <= 1
    assert info["df"] == 26 and info["f0"] > 0 and info["groups"] == 3
    assert "Satorra & Saris (1985)" in info["method"] and "approximately" in info["method"]
    n = info["n_required"]
    from qimscale.analysis.simulate.power import power_chisq_noncentral

    g, f0, df = info["groups"], info["f0"], info["df"]
    assert power_chisq_noncentral(g * (n - 1) * f0, df) >= 0.8 > power_chisq_noncentral(g * (n - 2) * f0, df)
    # the same seed gives the same pilot
    assert analytic("invariance", replicate, grid, seed=1)[1]["f0"] == info["f0"]
    lo, hi = info["n_required_range"]
    assert lo <= n <= hi and info["f0_range"][0] < f0 < info["f0_range"][1]


def test_invariance_analytic_agrees_with_a_small_monte_carlo():
    """Default population (lead_sys_2 shifted by 0.6 in UK), n = 100 per country, 30 replications: the
    Monte Carlo power of the scaled χ² difference test agrees with the closed form within 2.5 MC SE + 0.05
    (a run of 40 replications at n = 60/100/150, seed 3, gave .33/.65/.90 against .36/.62/.85 from a
    4000-per-country pilot)."""
    res = run_power_study("invariance", [100], reps=30, seed=3)
    mc = res.rows.iloc[0]
    an = res.analytic.iloc[0]["power"]
    assert abs(mc["power"] - an) <= 2.5 * mc["mc_se"] + 0.05
    assert res.settings["analytic"]["n_required"] > 0
    d = res.to_dict()
    assert d["analytic"][0]["n"] == 100 and "warnings" not in d["settings"]["analytic"]


def test_invariance_analytic_in_cli_text(tmp_path):
    r = CliRunner().invoke(main, ["power", "--target", "invariance", "--n", "80", "--reps", "1", "--seed", "2",
                                  "--plot", str(tmp_path / "curve.png")])
    assert r.exit_code == 0, r.output
    assert "analytic" in r.stdout and "Satorra & Saris" in r.stdout
    assert (tmp_path / "curve.png").stat().st_size > 1000
    r = CliRunner().invoke(main, ["power", "--target", "invariance", "--n", "80", "--reps", "1", "--seed", "2",
                                  "--json"])
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert out["analytic"][0]["n"] == 80 and out["settings"]["analytic"]["df"] == 26
