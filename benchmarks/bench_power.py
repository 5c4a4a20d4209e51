"""Monte Carlo power for the 3-country ordinal invariance target against the equivalent lavaan loop.

One replication: simulate 3 countries × N respondents from the bundled population model (the
leadership domain's 17 items, one item shifted in one country), fit the WLSMV configural,
thresholds, metric and scalar models and test the scalar χ² difference. qimscale runs
``qimscale.study.power`` with 1 job, 2 jobs and a 2-worker Dask ``LocalCluster``; R fits the
same four models with ``lavaan::cfa(..., ordered = TRUE, estimator = "WLSMV", group.equal =
...)`` and ``lavTestLRT`` on the same simulated data sets (written once to CSV, so R's time is
fitting only). Replications per second are reported for each. The issue's target: ≤ 1/5 of R's
time on the same cores (200 replications at N = 300 per group; ``QIMSCALE_BENCH_REPS`` lowers the
count for a quick run).
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from pathlib import Path

from benchmarks._harness import row, rscript_available, time_r


def run() -> list[dict]:
    import pandas as pd

    from qimscale.analysis.simulate.power import replication_rng
    from qimscale.instrument import load_instrument
    from qimscale.study.population import build_population, read_population_file
    from qimscale.study.power import _keyed, build_target, draw
    from qimscale.study.power import run_power_study
    from qimscale.study.validate import collapse_empty_categories

    warnings.simplefilter("ignore")
    reps = int(os.environ.get("QIMSCALE_BENCH_REPS", "200"))
    n = 300
    rows = []
    times = {}
    for label, kw in [("1 job", {"jobs": 1}), ("2 jobs", {"jobs": 2}), ("Dask LocalCluster, 2 workers",
                                                                       {"scheduler": "local:2"})]:
        try:
            t0 = time.perf_counter()
            run_power_study("invariance", [n], reps=reps, seed=1, **kw)
            times[label] = time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001 - a missing optional peer is reported, not fatal
            times[label] = None
            rows.append(row(f"power invariance, {label}", float("nan"), "-", None, note=f"skipped: {exc}"))
    peer = None
    r_reps = min(reps, int(os.environ.get("QIMSCALE_BENCH_R_REPS", "10")))
    if rscript_available(("lavaan",)):
        inst = load_instrument()
        spec, name = read_population_file()
        pop, _ = build_population(inst, spec, name)
        replicate, _ = build_target("invariance", pop)
        with tempfile.TemporaryDirectory() as tmp:
            files = []
            for rep in range(r_reps):
                data, _ = draw(replicate.pop, 3 * n, replication_rng(1, n, rep), codes_dtype="float64",
                               country_n={c: n for c in replicate.countries})
                X = _keyed(data, replicate.pop)[replicate.model_items]
                # the categories qimscale merges when a category is empty in a group (lavaan stops instead)
                for item, merge in collapse_empty_categories(X, data["country"]).items():
                    X[item] = X[item].replace(merge)
                X = X.assign(country=data["country"].to_numpy())
                path = Path(tmp) / f"rep{rep}.csv"
                pd.DataFrame(X).to_csv(path, index=False)
                files.append(path.as_posix())
            model = replicate.model.replace("\n", "\\n")
            setup = ("suppressMessages(library(lavaan)); files <- c(" + ", ".join(f'"{f}"' for f in files) + ")")
            expr = (f"for (f in files) {{ d <- read.csv(f); m <- '{model}'; "
                    "fit <- function(eq) cfa(m, d, ordered = TRUE, estimator = 'WLSMV', missing = 'pairwise', group = 'country', "
                    "group.equal = eq); a <- fit(''); b <- fit('thresholds'); "
                    "c <- fit(c('thresholds', 'loadings')); e <- fit(c('thresholds', 'loadings', 'intercepts')); "
                    "lavTestLRT(a, b, c, e) }")
            peer = time_r(setup, expr, repeat=1) * reps / r_reps
    for label, t in times.items():
        if t is None:
            continue
        rows.append(row(f"power invariance, 3 x {n}, {reps} reps, {label}", t, "lavaan loop (same fits)", peer,
                        target=0.2, note=f"{reps / t:.2f} replications/s"
                        + (f"; R timed on {r_reps} reps and scaled to {reps}" if peer is not None else
                           "; Rscript/lavaan not available")))
    return rows
