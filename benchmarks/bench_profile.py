"""Profile benchmarks: the numbers of every respondent's profile, and the whole ``profile --all`` run.

Data: a simulated study of 300 respondents (the bundled population model, seed 5),
scored by qimscale. The numbers (Cronbach's alpha of 11 sub-scales and 3 domains, SD,
SEM, band and mid-rank percentile of every respondent on every score) are timed
against the same computation in R (``psych::alpha`` per score and ``rank`` for the
percentiles) in the same run. The full run (numbers, a chart and an HTML page per
respondent) has no peer; its pages per second are reported.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from benchmarks._harness import best_time, row, rscript_available, time_r

N = 300


def _data(tmp: Path):
    from qimscale.instrument import load_instrument
    from qimscale.io.platform_data import write_platform
    from qimscale.scoring import score_file
    from qimscale.study.population import simulate_study

    inst = load_instrument()
    data, _ = simulate_study(N, seed=5, instrument=inst)
    path = write_platform(inst, data, "csv", tmp / "sim.csv")
    out = tmp / "scores.csv"
    score_file(path, instrument=inst, keep_identifiers=True).table.to_csv(out, index=False)
    return inst, out


def _r_code(inst, rows) -> str:
    """R code computing alpha, SD, SEM, band and mid-rank percentile for every score."""
    parts = []
    for r in rows:
        its = ", ".join(f'"{i}"' for i in r["items"])
        keys = ", ".join(f'"{i}"' for i in r["items"] if inst.get_item(i).reverse) or ""
        parts.append(f'list(id = "{r["id"]}", items = c({its}), keys = c({keys}))')
    return ("specs <- list(" + ", ".join(parts) + ")\n"
            "prof <- function() lapply(specs, function(s) {\n"
            "  x <- d[, s$items]; for (k in s$keys) x[[k]] <- 6 - x[[k]]\n"
            "  a <- psych::alpha(x, check.keys = FALSE, warnings = FALSE)$total$raw_alpha\n"
            "  sc <- d[[s$id]]; sem <- sd(sc, na.rm = TRUE) * sqrt(1 - a)\n"
            "  n <- sum(!is.na(sc)); pr <- (rank(sc, na.last = 'keep', ties.method = 'average') - 0.5) / n * 100\n"
            "  data.frame(score = sc, lower = sc - 1.959964 * sem, upper = sc + 1.959964 * sem, pct = pr)\n"
            "})")


def run() -> list[dict]:
    from qimscale.analysis.profile import respondent_profile
    from qimscale.study.profile import _scales_and_domains, load_profile_data, prepare_reference, run_profiles

    warnings.simplefilter("ignore")
    rows_out = []
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        inst, scores = _data(tmp)
        pdata = load_profile_data(scores)

        def numbers():
            ref, _, _, _ = prepare_reference(pdata, inst)
            scores = pdata.table[[s.id for s in ref.scales]].astype(float).to_dict(orient="records")
            for k in range(len(pdata.table)):
                respondent_profile(ref, scores[k])

        q = best_time(numbers, repeat=3)
        have_r = rscript_available(("psych",))
        p = None
        if have_r:
            spec_rows, _ = _scales_and_domains(inst, set(pdata.table.columns))
            p = time_r("suppressMessages(library(psych)); d <- read.csv(scores)\n" + _r_code(inst, spec_rows),
                       "prof()", repeat=3, data={"scores": scores})
        rows_out.append(row(f"profile numbers, {N} respondents x 14 scores", q, "psych::alpha + rank", p,
                            note="" if have_r else "Rscript/psych not available"))
        out = tmp / "pages"
        full = best_time(lambda: run_profiles(scores, out=out, generated="bench"), repeat=1, warmup=0)
        rows_out.append(row(f"profile --all, {N} HTML pages", full, "none", None,
                            note=f"{N / full:.1f} pages per second; no peer renders profiles"))
    return rows_out


if __name__ == "__main__":  # pragma: no cover
    from benchmarks._harness import render

    print(render(run()))
