"""A few hundred seeded fuzz cases in the normal test suite (``make fuzz`` runs 10,000)."""

from __future__ import annotations

import collections

from tests.fuzz import runner

#: cases per test run; different cases each day would make failures hard to reproduce, so the seed is fixed
N_CASES = 200


def test_fuzz_cases_are_clean():
    results = runner.run_serial(N_CASES, seed=20261206, quick=True, subprocess_every=60)
    rep = runner.report(results)
    unclean = [(o.number, o.verdict, o.case["seed_file"], o.case["mutators"], o.detail[:200])
               for o in results if o.verdict != "clean"]
    assert not unclean, (rep, unclean[:5])
    assert rep["subprocess_runs"] >= 3 and rep["subprocess_clean"] == rep["subprocess_runs"]
    kinds = collections.Counter(m for o in results for m in o.case["mutators"])
    assert len(kinds) >= 8  # the mix covers most mutator classes


def test_mutators_are_deterministic():
    import numpy as np

    from tests.fuzz import mutators

    data = b"id,exp_meth_1,exp_meth_2\n1,4,5\n2,3,3\n"
    for name, (fn, _) in mutators.MUTATORS.items():
        if name in ("wide", "long", "parquet_damage"):
            continue
        a = fn(data, ".csv", np.random.default_rng(3))
        b = fn(data, ".csv", np.random.default_rng(3))
        assert a == b, name
