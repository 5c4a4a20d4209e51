"""simulate: the population model, determinism, round trips through every platform shape, recovery."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.analysis.simulate import Population, draw
from qimscale.cli import main
from qimscale.errors import ModelError
from qimscale.instrument import load_instrument
from qimscale.io.platform_data import FORMATS, SUFFIX, write_platform
from qimscale.scoring import score_file
from qimscale.study.population import simulate_study


@pytest.fixture(scope="module")
def inst():
    return load_instrument()


@pytest.fixture(scope="module")
def study(inst):
    return simulate_study(240, seed=11, instrument=inst)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_file(tmp_path):
    runner = CliRunner()
    for name in ("a.csv", "b.csv"):
        r = runner.invoke(main, ["simulate", "--n", "120", "--seed", "5", "--format", "qualtrics",
                                 "--out", str(tmp_path / name)])
        assert r.exit_code == 0, r.output
    assert _sha(tmp_path / "a.csv") == _sha(tmp_path / "b.csv")
    r = runner.invoke(main, ["simulate", "--n", "120", "--seed", "6", "--out", str(tmp_path / "c.csv")])
    assert r.exit_code == 0
    assert _sha(tmp_path / "c.csv") != _sha(tmp_path / "a.csv")


def test_study_shape(study, inst):
    data, info = study
    items = [it.id for it in inst.scored_items()]
    assert list(data.columns[-len(items):]) == items
    codes = data[items].stack().dropna().astype(int)
    assert set(codes.unique()) <= {1, 2, 3, 4, 5, 9}
    assert set(data["qim_type"].unique()) == {1, 2}
    assert set(data["country"].unique()) == {"NZ", "AU", "UK"}
    # organisations are nested in countries
    assert (data.groupby("org_id")["country"].nunique() == 1).all()
    assert data["org_id"].nunique() <= 45


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_platform_shape_scores_back_to_the_same_codes(tmp_path, inst, study, fmt):
    data, _ = study
    path = write_platform(inst, data, fmt, tmp_path / f"export{SUFFIX[fmt]}")
    res = score_file(path, instrument=inst)
    assert res.log["n_rows"] == len(data)
    assert len(res.problems) == 0, res.problems.head()
    na = inst.na_code()
    for it in inst.scored_items():
        want = pd.to_numeric(data[it.id]).astype(float).where(lambda s: s != na).to_numpy()
        got = pd.to_numeric(res.table[it.id]).astype(float).to_numpy()
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{fmt} {it.id}")
        np.testing.assert_array_equal(got[~np.isnan(got)], want[~np.isnan(want)], err_msg=f"{fmt} {it.id}")
    assert list(res.table["qim_type"].astype(float)) == list(data["qim_type"].astype(float))


def test_failed_write_leaves_nothing(tmp_path, inst, study):
    data, _ = study
    with pytest.raises(Exception):
        write_platform(inst, data, "spss", tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []


def _clean_population(n_items=4, lam=0.7, shift=0.0):
    items = [f"y{i}" for i in range(1, n_items + 1)] + [f"z{i}" for i in range(1, n_items + 1)]
    return Population(
        items=items, item_factor={i: ("f" if i[0] == "y" else "g") for i in items},
        loadings={i: lam for i in items}, thresholds={i: [-1.5, -0.5, 0.5, 1.5] for i in items},
        factors=["f", "g"], factor_corr=np.array([[1, 0.4], [0.4, 1]]), domains={"f": ["f"], "g": ["g"]},
        groups={"a": 0.5, "b": 0.5}, group_means={"f": 0.5},
        countries={"X": 0.5, "Y": 0.5}, non_invariance=[{"country": "Y", "item": "y1", "shift": shift}])


def test_recovers_loadings_and_group_difference():
    """At large N the generating values come back: polychoric r = lambda^2, group difference d."""
    from qimscale.analysis.polychoric import polychoric

    data, truth = draw(_clean_population(), 6000, seed=3)
    r = np.asarray(polychoric(data[["y2", "y3", "y4", "z2", "z3"]].astype(float)).corr)
    assert abs(r[0, 1] - 0.49) < 0.03 and abs(r[1, 2] - 0.49) < 0.03
    assert abs(r[0, 3] - 0.7 * 0.7 * 0.4) < 0.03
    f = truth["factors"]["f"]
    d = f[data["group"] == "a"].mean() - f[data["group"] == "b"].mean()
    assert abs(d - 0.5) < 0.06


def test_planted_non_invariance_shifts_one_item_in_one_country():
    data, _ = draw(_clean_population(shift=0.8), 6000, seed=4)
    m = data.groupby("country")[["y1", "y2"]].mean()
    assert (m.loc["Y", "y1"] - m.loc["X", "y1"]) - (m.loc["Y", "y2"] - m.loc["X", "y2"]) > 0.4


def test_recovers_interaction_in_the_outcome(inst, tmp_path):
    """The latent outcome regression recovers its effects, product term included (truth scores)."""
    import statsmodels.api as sm

    _, info = simulate_study(8000, seed=9, instrument=inst)
    pop, F = info["population"], info["truth"]["factors"]
    comp = {d: F[fs].mean(axis=1) for d, fs in pop.domains.items()}
    comp = {d: (v - v.mean()) / v.std(ddof=0) for d, v in comp.items()}
    X = pd.DataFrame({"expertise": comp["expertise"], "leadership": comp["leadership"],
                      "interpersonal": comp["interpersonal"],
                      "ixe": comp["interpersonal"] * comp["expertise"]})
    fit = sm.OLS(F[pop.outcome_factor], sm.add_constant(X)).fit()
    for name, b in [("expertise", .30), ("leadership", .25), ("interpersonal", .20), ("ixe", .15)]:
        assert abs(fit.params[name] - b) < 3 * fit.bse[name] + 0.01, (name, fit.params[name])


def test_population_errors(tmp_path):
    with pytest.raises(ModelError, match="not positive definite"):
        Population(items=["a"], item_factor={"a": "f"}, loadings={"a": .5}, thresholds={"a": [0.0]},
                   factors=["f", "g"], factor_corr=np.array([[1, 1.0], [1.0, 1]]))
    with pytest.raises(ModelError, match="loading must lie in"):
        Population(items=["a"], item_factor={"a": "f"}, loadings={"a": 1.2}, thresholds={"a": [0.0]},
                   factors=["f"], factor_corr=np.eye(1))
    bad = tmp_path / "pop.yaml"
    bad.write_text("schema: qimscale-population/1\nloadings: {defualt: 0.7}\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["simulate", "--model", str(bad), "--out", str(tmp_path / "o.csv")])
    assert r.exit_code == 1
    assert "unknown key(s) 'defualt'" in r.output and str(bad) in r.output
    assert not (tmp_path / "o.csv").exists()


def test_simulate_json_and_help(tmp_path):
    r = CliRunner().invoke(main, ["simulate", "--n", "60", "--out", str(tmp_path / "s.csv"), "--json"])
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert out["n"] == 60 and sum(out["groups"].values()) == 60
    r = CliRunner().invoke(main, ["simulate", "--help"])
    assert "population.yaml" in r.output and "Example" in r.output
