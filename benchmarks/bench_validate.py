"""The whole validation study (``qimscale validate``) against the equivalent R script, in one run.

Data: the demo design (900 simulated QI managers, 43 competency items in 10 sub-scales,
3 countries), simulated with a fixed seed, scored, reverse-keyed and written to a CSV
that both sides read. qimscale runs :func:`qimscale.study.validate.validate_study`
in-process (item analysis, polychoric parallel analysis and MAP, polychoric EFA, WLSMV
CFA, reliability, validity, WLSMV invariance across country and across qim_type, hypotheses,
relations with the outcome) and the share of each step (CPU seconds and % of the study's
CPU time; CPU rather than wall time so a loaded machine does not distort the shares) is
reported. R runs the same analyses with psych (alpha per scale, fa.parallel and vss
on polychorics, fa with oblimin), lavaan (cfa WLSMV, the configural / thresholds /
metric / scalar chain with ``group.equal``) and semTools (compRelSEM, htmt): R's start-up
and package loading are not timed. Target (issue 16): the whole study ≤ 30 s on 2 cores.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

from benchmarks._harness import row, rscript_available, time_r


def _data(tmp: Path):
    from qimscale.instrument import load_instrument
    from qimscale.io.platform_data import write_platform
    from qimscale.scoring import score_file
    from qimscale.study.population import simulate_study

    inst = load_instrument()
    data, _ = simulate_study(900, seed=2026, instrument=inst)
    path = write_platform(inst, data, "csv", tmp / "sim.csv")
    scored = score_file(path, instrument=inst).table
    items = [it.id for s in inst.scales if s.kind == "competency" for it in inst.scale_items(s.id)]
    keyed = scored[items].astype(float).copy()
    for it in inst.scored_items():
        if it.reverse and it.id in keyed:
            keyed[it.id] = 6 - keyed[it.id]
    keyed["country"] = scored["country"].astype(str)
    keyed["qim_type"] = scored["qim_type"].astype(str)
    keyed.to_csv(tmp / "keyed.csv", index=False)
    scales = {s.id: [it.id for it in inst.scale_items(s.id)] for s in inst.scales if s.kind == "competency"}
    return inst, scored, scales


def step_shares(result) -> str:
    """Each step's CPU seconds and share of the study's CPU time, largest first."""
    total = sum(s.cpu_seconds for s in result.steps) or 1.0
    ranked = sorted(result.steps, key=lambda s: -s.cpu_seconds)
    return ", ".join(f"{s.id} {s.cpu_seconds:.1f} s ({100 * s.cpu_seconds / total:.0f} %)" for s in ranked)


def run() -> list[dict]:
    from qimscale.study.validate import validate_study

    warnings.simplefilter("ignore")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inst, scored, scales = _data(tmp)
        t0, c0 = time.perf_counter(), time.process_time()
        result = validate_study(scored, inst, groups=["country", "qim_type"], outcome="qi_performance", seed=1)
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
        shares = step_shares(result)
        model = "\\n".join(f"{s} =~ " + " + ".join(its) for s, its in scales.items())
        alphas = "; ".join(f"psych::alpha(x[, c({', '.join(repr(i) for i in its)})])" for its in scales.values())
        have_r = rscript_available(("psych", "lavaan", "semTools", "GPArotation"))
        peer = None
        if have_r:
            setup = ("suppressMessages({library(psych); library(lavaan); library(semTools); library(GPArotation)});"
                     " d <- read.csv(csv); x <- d[, setdiff(names(d), c('country', 'qim_type'))]")
            expr = (f"{alphas}; pc <- polychoric(x)$rho; fa.parallel(pc, n.obs = nrow(x), n.iter = 20, "
                    "plot = FALSE); vss(pc, n = 8, n.obs = nrow(x), plot = FALSE); "
                    "fa(pc, nfactors = 10, rotate = 'oblimin', n.obs = nrow(x)); "
                    f"m <- '{model}'; f <- cfa(m, d, ordered = TRUE, estimator = 'WLSMV', missing = 'pairwise'); "
                    "compRelSEM(f); htmt(m, x); "
                    "for (gr in c('country', 'qim_type')) g <- lapply(list(c(''), c('thresholds'), "
                    "c('thresholds', 'loadings'), c('thresholds', 'loadings', 'intercepts')), function(eq) "
                    "cfa(m, d, ordered = TRUE, estimator = 'WLSMV', missing = 'pairwise', group = gr, "
                    "group.equal = eq))")
            peer = time_r(setup, expr, repeat=1, data={"csv": tmp / "keyed.csv"})
        rows.append(row("validate: 900 x 43 items, 10 factors, invariance x 2", total,
                        "psych + lavaan + semTools script", peer, target=30.0,
                        note=f"CPU {cpu:.1f} s; target: whole study <= 30 s; steps (CPU s, share): {shares}"
                        + ("" if have_r else "; Rscript/psych/lavaan not available")))
    return rows
