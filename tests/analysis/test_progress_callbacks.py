"""Library progress hooks: ``progress(done, total)`` ends with done == total and changes no number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.cfa import CFA, measurement_invariance
from qimscale.analysis.efa import EFA
from qimscale.analysis.nfactors import number_of_factors, parallel_analysis
from qimscale.analysis.reliability import alpha, scale_reliability

DATA = Path(__file__).parents[1] / "reference" / "data"
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, done, total):
        self.calls.append((done, total))

    def check(self, total=None):
        """At least one call, done never decreasing, one total, ending with done == total."""
        assert self.calls, "progress was never called"
        dones = [d for d, _ in self.calls]
        totals = {t for _, t in self.calls}
        assert len(totals) == 1
        assert dones == sorted(dones) and dones[0] >= 0
        assert self.calls[-1][0] == self.calls[-1][1]
        if total is not None:
            assert self.calls[-1] == (total, total)


@pytest.fixture(scope="module")
def items():
    rng = np.random.default_rng(5)
    f = rng.standard_normal((250, 2))
    x = np.repeat(f, 4, axis=1) * .7 + rng.standard_normal((250, 8)) * .7
    x[rng.random(x.shape) < .03] = np.nan
    return pd.DataFrame(x, columns=[f"v{j}" for j in range(8)])


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], list) and k != "items":
            np.testing.assert_array_equal(np.asarray(a[k], dtype=float), np.asarray(b[k], dtype=float))
        else:
            assert a[k] == b[k], k


def test_parallel_analysis_progress_spans_chunks_and_keeps_numbers(items):
    rec = Recorder()
    # 600 resampled + 600 simulated sets: several chunks each
    res = parallel_analysis(items, n_iter=600, random_state=2, progress=rec)
    rec.check(1200)
    assert len(rec.calls) > 2
    _same(res.to_dict(), parallel_analysis(items, n_iter=600, random_state=2).to_dict())


def test_parallel_analysis_correlation_matrix_counts_simulation_only(items):
    rec = Recorder()
    parallel_analysis(items.corr().to_numpy(), n_obs=250, n_iter=7, random_state=1, progress=rec)
    rec.check(7)


def test_parallel_analysis_polychoric_counts_each_matrix():
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.integers(1, 4, size=(120, 4)), columns=list("abcd"))
    rec = Recorder()
    parallel_analysis(x, n_iter=3, cor="polychoric", random_state=1, progress=rec)
    rec.check(9)  # 3 polychoric matrices, 3 resampled and 3 simulated sets summarised


def test_number_of_factors_and_efa_pass_progress_on(items):
    rec = Recorder()
    res = number_of_factors(items, n_iter=10, random_state=4, progress=rec)
    rec.check(20)
    assert res.to_dict()["parallel"] == number_of_factors(items, n_iter=10, random_state=4).to_dict()["parallel"]
    rec = Recorder()
    efa = EFA("parallel", n_iter=10, random_state=4).fit(items, progress=rec)
    rec.check(10)  # EFA's parallel analysis simulates only (it passes n_obs)
    np.testing.assert_array_equal(efa.loadings_, EFA("parallel", n_iter=10, random_state=4).fit(items).loadings_)
    rec = Recorder()
    EFA(2).fit(items, progress=rec)
    assert rec.calls == []  # no parallel analysis, nothing to report


def test_alpha_bootstrap_progress(items):
    rec = Recorder()
    res = alpha(items, ci="bca", n_boot=300, seed=1, progress=rec)
    rec.check(300)
    ref = alpha(items, ci="bca", n_boot=300, seed=1)
    np.testing.assert_array_equal(res.boot, ref.boot)
    assert res.boot_bca == ref.boot_bca
    rec = Recorder()
    alpha(items, progress=rec)  # Feldt interval: no bootstrap, no calls
    assert rec.calls == []


def test_scale_reliability_progress_spans_scales(items):
    rec = Recorder()
    scales = {"A": ["v0", "v1", "v2", "v3"], "B": ["v4", "v5", "v6", "v7"]}
    out = scale_reliability(items, scales, ci="percentile", n_boot=50, seed=2, progress=rec)
    rec.check(100)
    assert (50, 100) in rec.calls
    assert out == scale_reliability(items, scales, ci="percentile", n_boot=50, seed=2)


def test_cfa_bootstrap_progress():
    res = CFA(HS).fit(pd.read_csv(DATA / "cfa_hs1939.csv"))
    rec = Recorder()
    boot = res.bootstrap(4, seed=1, progress=rec)
    assert rec.calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    pd.testing.assert_frame_equal(boot, res.bootstrap(4, seed=1))


def test_invariance_progress_per_level():
    rec = Recorder()
    measurement_invariance(HS, pd.read_csv(DATA / "cfa_hs1939.csv"), group="school",
                           levels=("configural", "metric", "scalar"), progress=rec)
    assert rec.calls == [(1, 3), (2, 3), (3, 3)]


def test_ordinal_invariance_progress_per_level():
    df = pd.read_csv(DATA / "wlsmv_ordinal.csv")
    df = df[df["group"].isin(["A", "B"])]
    rec = Recorder()
    measurement_invariance("f1 =~ y1 + y2 + y3 + y4 + y5 + y6", df, group="group", estimator="WLSMV",
                           ordered="all", progress=rec)
    assert rec.calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
