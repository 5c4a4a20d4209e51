"""qimscale power on the population model: targets, the analytic answer beside, the CLI contract."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qimscale.cli import main
from qimscale.study.power import run_power_study


def test_ttest_target_agrees_with_its_closed_form():
    res = run_power_study("ttest", [50], reps=300, seed=4, effect=0.5)
    mc = res.rows.iloc[0]
    an = res.analytic.iloc[0]["power"]
    assert abs(mc["power"] - an) <= 2.5 * mc["mc_se"] + 0.01
    assert res.settings["per_group"] is True


@pytest.mark.parametrize("target,grid,reps", [("moderation", [120], 6), ("multilevel", [120], 3),
                                              ("cfa_fit", [150], 2), ("invariance", [120], 2)])
def test_every_target_runs(target, grid, reps):
    res = run_power_study(target, grid, reps=reps, seed=2)
    assert list(res.rows["n"]) == grid and res.rows["n_reps"].iloc[0] == reps
    assert 0 <= res.rows["converged"].iloc[0] <= 1


def test_cli_json_contract_and_determinism(tmp_path):
    args = ["power", "--target", "ttest", "--n", "20,40", "--reps", "30", "--seed", "9", "--json"]
    # identical rows across process pools are checked at the library level
    # (tests/analysis/test_power_closed_forms.py); here the same seed twice through the CLI
    r1 = CliRunner().invoke(main, args)
    r2 = CliRunner().invoke(main, args + ["--jobs", "1"])
    assert r1.exit_code == 0, r1.output
    assert r2.exit_code == 0, (r2.output, r2.exception)
    a, b = json.loads(r1.stdout), json.loads(r2.stdout)
    assert {"target", "rows", "n_required"} <= set(a)
    assert {"n", "power", "mc_se", "converged"} <= set(a["rows"][0])
    assert a["rows"] == b["rows"]
    r = CliRunner().invoke(main, ["power", "--target", "ttest", "--n", "20", "--reps", "5", "--plot",
                                  str(tmp_path / "curve.png")])
    assert r.exit_code == 0 and (tmp_path / "curve.png").stat().st_size > 1000


def test_cli_errors():
    r = CliRunner().invoke(main, ["power", "--target", "ttest", "--n", "ten"])
    assert r.exit_code == 2
    r = CliRunner().invoke(main, ["power", "--target", "ttest", "--n", "20", "--scale", "nope", "--reps", "2"])
    assert r.exit_code == 1 and r.output.count("Error:") == 1


def test_cfa_fit_replications_agree_with_a_lavaan_loop():
    """The same replications (seed 1, N = 200) fitted by lavaan (tests/reference/power_cfa_fit.R): every
    replication's robust CFI/RMSEA and detection agree."""
    from pathlib import Path

    from qimscale.analysis.simulate.power import replication_rng
    from qimscale.instrument import load_instrument
    from qimscale.study.population import build_population, read_population_file
    from qimscale.study.power import build_target

    ref = json.loads((Path(__file__).parents[1] / "reference" / "power_cfa_fit.json").read_text(encoding="utf-8"))
    spec, name = read_population_file()
    pop, _ = build_population(load_instrument(), spec, name)
    replicate, _ = build_target("cfa_fit", pop)
    for r in ref["reps"][:3]:
        detected, converged = replicate(ref["n"], replication_rng(ref["seed"], ref["n"], r["rep"]))
        assert converged and detected == r["detected"]
        fm = replicate.last_fit_measures
        for key in ("cfi_robust", "rmsea_robust", "cfi_scaled", "rmsea_scaled"):
            assert fm[key] == pytest.approx(r[key], rel=2e-4, abs=1e-6), (r["rep"], key)


def _invariance_replicate():
    from qimscale.instrument import load_instrument
    from qimscale.study.population import build_population, read_population_file
    from qimscale.study.power import build_target

    spec, name = read_population_file()
    pop, _ = build_population(load_instrument(), spec, name)
    return build_target("invariance", pop)[0]


def test_invariance_replication_agrees_with_a_stand_alone_fit():
    """Warm starts and reused parameter tables give the stand-alone ``measurement_invariance`` numbers on
    the same data, within the fit's convergence tolerance (Gauss-Newton steps < 1e-10)."""
    import numpy as np

    from qimscale.analysis.cfa import measurement_invariance
    from qimscale.analysis.simulate.power import replication_rng

    rep = _invariance_replicate()
    cols = ["chisq", "chisq_scaled", "cfi_scaled", "rmsea_scaled", "srmr", "chisq_diff", "chisq_diff_p"]
    for r in (0, 1):
        res = rep.fit(150, replication_rng(3, 150, r))
        X, coll = rep.data(150, replication_rng(3, 150, r))
        ref = measurement_invariance(rep.model, X, group="country", estimator="WLSMV", ordered="all",
                                     missing="pairwise", collapse=coll or None)
        np.testing.assert_allclose(res.levels[cols].to_numpy(float), ref.levels[cols].to_numpy(float),
                                   rtol=1e-7, atol=1e-9)
        assert list(res.levels["held"]) == list(ref.levels["held"])
        for level, fit in res.fits.items():
            np.testing.assert_allclose(fit.theta, ref.fits[level].theta, rtol=1e-7, atol=1e-8)
    # the warm start saves iterations over the cold start of each level after the first
    assert sum(f.iterations for f in res.fits.values()) <= sum(f.iterations for f in ref.fits.values())


def test_invariance_replication_does_not_depend_on_the_one_before():
    """A replication gives bit-identical numbers whether its process ran another replication before it
    (as a worker does) or not: the reused structures and warm starts carry nothing from one to the next."""
    from qimscale.analysis.simulate.power import replication_rng

    fresh = _invariance_replicate().fit(150, replication_rng(5, 150, 1)).levels
    used = _invariance_replicate()
    used.fit(150, replication_rng(5, 150, 0))
    after = used.fit(150, replication_rng(5, 150, 1)).levels
    assert fresh.equals(after)


def test_replication_warnings_are_counted_not_repeated():
    """Each replication's sparse-category warnings become one counted line, not one per replication."""
    import warnings

    with warnings.catch_warnings(record=True) as raw:
        warnings.simplefilter("always")
        res = run_power_study("invariance", [60], reps=3, seed=3)
    assert not [w for w in raw if "fewer than 5 responses" in str(w.message)]
    lines = [w for w in res.warnings if "replications warned" in w]
    assert lines and lines[0].startswith("3 of 3 replications warned: ")
    assert len(lines) == len(set(lines))
