"""Group-comparison benchmark: ``compare`` on 10 scale scores x 3 groups (issue 15).

qimscale's ``compare_groups`` runs, per scale, Welch's ANOVA, the one-way ANOVA
(η², ω²), Kruskal–Wallis (ε²), Games–Howell, Tukey HSD and Dunn pairs,
Shapiro–Wilk per group and Levene / Brown–Forsythe, with disclosure control and
the p adjustment across scales. Peers in the same run (R start-up not timed):

1. the issue's peer, a loop of ``oneway.test`` and ``kruskal.test`` over the 10 scales;
2. the R loop that computes what qimscale reports where base R has it
   (``oneway.test`` twice, ``aov`` + ``TukeyHSD``, ``kruskal.test``,
   ``shapiro.test`` per group, Levene by ``aov`` on absolute deviations, ``p.adjust``).

Data: N = 600 (250 / 220 / 130), scale scores on a 0.25 grid (ties) with 2% missing.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._harness import best_time, row, rscript_available, time_r

SCALES = [f"scale_{i:02d}" for i in range(1, 11)]


def make_data(seed: int = 15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(["clinical", "mixed", "traditional"], [250, 220, 130])
    df = pd.DataFrame({"qim_type": g})
    for j, s in enumerate(SCALES):
        y = rng.normal(3.2 + 0.1 * j * (g == "traditional"), 0.7, g.size)
        y = np.clip(np.round(y * 4) / 4, 1, 5)
        y[rng.random(g.size) < 0.02] = np.nan
        df[s] = y
    return df


R_MINIMAL = """for (v in vars) { y <- d[[v]]; oneway.test(y ~ g); kruskal.test(y ~ g) }"""
R_FULL = """p <- list()
for (v in vars) {
  ok <- !is.na(d[[v]]); y <- d[[v]][ok]; gg <- g[ok]
  p$w <- c(p$w, oneway.test(y ~ gg)$p.value); p$a <- c(p$a, oneway.test(y ~ gg, var.equal = TRUE)$p.value)
  fit <- aov(y ~ gg); TukeyHSD(fit); p$k <- c(p$k, kruskal.test(y ~ gg)$p.value)
  for (l in levels(gg)) shapiro.test(y[gg == l])
  summary(aov(abs(y - ave(y, gg, FUN = mean)) ~ gg)); summary(aov(abs(y - ave(y, gg, FUN = median)) ~ gg))
}
lapply(p, p.adjust, method = "holm")"""


def run() -> list[dict]:
    from qimscale.analysis.compare import compare_groups

    warnings.simplefilter("ignore")
    df = make_data()
    q = best_time(lambda: compare_groups(df, "qim_type", SCALES), repeat=10)
    have_r = rscript_available()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "compare.csv"
        df.to_csv(path, index=False)
        setup = (f'd <- read.csv(data); g <- factor(d$qim_type); vars <- c({", ".join(repr(s) for s in SCALES)})'
                 .replace("'", '"'))
        p1 = time_r(setup, R_MINIMAL, repeat=10, data={"data": path}) if have_r else None
        p2 = time_r(setup, R_FULL, repeat=10, data={"data": path}) if have_r else None
    note = "" if have_r else "Rscript not available"
    rows.append(row("compare 10 scales x 3 groups (all tests)", q, "R oneway.test+kruskal loop", p1, target=0.5,
                    note=note or "qimscale also runs ANOVA, post hoc pairs, effect sizes, checks"))
    q0 = best_time(lambda: compare_groups(df, "qim_type", SCALES, posthoc=False), repeat=10)
    rows.append(row("compare 10 x 3, no post hoc (--no-posthoc)", q0, "R oneway.test+kruskal loop", p1,
                    target=0.5, note=note or "qimscale: Welch+ANOVA+Kruskal, effect sizes, Shapiro, Levene/BF"))
    rows.append(row("compare 10 scales x 3 groups (all tests)", q, "R same tests (base R)", p2, target=0.5,
                    note=note or "R: oneway.test x2, aov+TukeyHSD, kruskal, shapiro, Levene/BF, p.adjust; "
                                 "no Games-Howell/Dunn/effect sizes"))
    return rows


if __name__ == "__main__":  # pragma: no cover
    from benchmarks._harness import render

    print(render(run()))
