"""Closed-form power against R (tests/reference/power_closed_forms.R) and the Monte Carlo runner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qimscale.analysis.simulate.power import power_f2, power_rmsea, power_t_test, run_power, summarise

REF = json.loads((Path(__file__).parents[1] / "reference" / "power_closed_forms.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("row", REF["t_test"], ids=lambda r: f"n{r['n']}-d{r['d']}")
def test_power_t_test_matches_r(row):
    assert power_t_test(row["n"], row["d"]) == pytest.approx(row["power"], rel=1e-8)


@pytest.mark.parametrize("row", REF["f2"], ids=lambda r: f"n{r['n']}-f{r['f2']}-u{r['u']}")
def test_power_f2_matches_r(row):
    assert power_f2(row["n"], row["f2"], row["u"], k=row["k"]) == pytest.approx(row["power"], rel=1e-8)


@pytest.mark.parametrize("row", REF["rmsea"], ids=lambda r: f"n{r['n']}-df{r['df']}")
def test_power_rmsea_matches_semtools(row):
    assert power_rmsea(row["n"], row["df"], rmsea0=0.05, rmsea_a=0.08) == pytest.approx(row["close"], rel=1e-8)
    assert power_rmsea(row["n"], row["df"], rmsea0=0.05, rmsea_a=0.01) == pytest.approx(row["notclose"], rel=1e-8)


class NormalWelch:
    """Two normal groups with mean difference d (sd 1): Welch t at alpha .05."""

    def __init__(self, d):
        self.d = d

    def __call__(self, n, rng):
        from scipy import stats

        a = rng.standard_normal(n) + self.d
        b = rng.standard_normal(n)
        return stats.ttest_ind(a, b, equal_var=False).pvalue < 0.05, True


class Regression:
    """y = b x1 + 0.3 x2 + e with f2 = b^2 / var(e) for x1 (k = 2 predictors)."""

    def __init__(self, b):
        self.b = b

    def __call__(self, n, rng):
        import statsmodels.api as sm

        X = rng.standard_normal((n, 2))
        y = self.b * X[:, 0] + 0.3 * X[:, 1] + rng.standard_normal(n)
        return sm.OLS(y, sm.add_constant(X)).fit().pvalues[1] < 0.05, True


def test_monte_carlo_agrees_with_power_t_test():
    recs = run_power(NormalWelch(0.5), [40, 64], reps=600, seed=11)
    rows, _, _ = summarise(recs, [40, 64], reps=600, goal=0.8)
    for r in rows.itertuples():
        assert abs(r.power - power_t_test(r.n, 0.5)) <= 2.5 * r.mc_se, (r.n, r.power)


def test_monte_carlo_agrees_with_f2_test():
    recs = run_power(Regression(0.25), [80], reps=600, seed=12)
    rows, _, _ = summarise(recs, [80], reps=600, goal=0.8)
    want = power_f2(80, 0.25 ** 2, 1, k=2)
    assert abs(rows["power"][0] - want) <= 2.5 * rows["mc_se"][0]


def test_same_rows_whatever_the_jobs():
    serial = run_power(NormalWelch(0.4), [20, 30], reps=40, seed=5, chunk=7)
    parallel = run_power(NormalWelch(0.4), [20, 30], reps=40, seed=5, jobs=2, chunk=3)
    assert serial == parallel


def test_same_rows_on_a_dask_local_cluster():
    pytest.importorskip("distributed")
    serial = run_power(NormalWelch(0.4), [20], reps=24, seed=6)
    dask = run_power(NormalWelch(0.4), [20], reps=24, seed=6, scheduler="local:2", chunk=5)
    assert serial == dask


def test_resume_reuses_saved_replications(tmp_path):
    calls = []

    class Counting(NormalWelch):
        def __call__(self, n, rng):
            calls.append(n)
            return super().__call__(n, rng)

    first = run_power(Counting(0.4), [20], reps=10, seed=7, resume=tmp_path)
    assert len(calls) == 10
    full = run_power(Counting(0.4), [20], reps=25, seed=7, resume=tmp_path)
    assert len(calls) == 25                        # only the 15 new ones ran
    assert full[:10] == first
    assert full == run_power(NormalWelch(0.4), [20], reps=25, seed=7)
    assert len((tmp_path / "replications.jsonl").read_text().splitlines()) == 25


def test_interpolated_n_required():
    recs = [{"n": n, "rep": r, "detected": r < k, "converged": True} for n, k in [(10, 50), (20, 90)]
            for r in range(100)]
    rows, need, (lo, hi) = summarise(recs, [10, 20], reps=100, goal=0.8)
    assert need == pytest.approx(17.5)
    assert lo is not None and lo <= need and (hi is None or hi >= need)
    assert np.allclose(rows["power"], [0.5, 0.9])
