"""WLSMV (ordinal CFA) and ordinal invariance: qimscale vs lavaan in the same run.

Data: ``tests/reference/data/wlsmv_ordinal.csv`` (18 five-point items, 3 factors,
3 groups x 400). Rows:

- single-group WLSMV CFA, N = 1200 (issue target: ≤ 1/2 of lavaan's time);
- multi-group WLSMV CFA with ``group.equal = c("thresholds", "loadings")``;
- the Wu & Estabrook invariance sequence configural → thresholds → metric →
  scalar with the three difference tests (lavaan: ``semTools::measEq.syntax``
  fits + ``lavTestLRT``);
- mixed indicators: two factors of four ordered items each and a continuous
  outcome regressed on both (``perf ~ F_exp + F_lead``), N = 700
  (``tests/reference/wlsmv_mixed_data.csv``; polyserial correlations, means and
  variances in the WLS fit).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks._harness import best_time, row, rscript_available, time_r

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "reference" / "data" / "wlsmv_ordinal.csv"
MODEL = ("f1 =~ y1 + y2 + y3 + y4 + y5 + y6\n"
         "f2 =~ y7 + y8 + y9 + y10 + y11 + y12\n"
         "f3 =~ y13 + y14 + y15 + y16 + y17 + y18")
R_MODEL = MODEL.replace("\n", "\\n")

R_SETUP = f"""
suppressPackageStartupMessages({{library(lavaan); library(semTools)}})
dat <- read.csv(path)
items <- paste0("y", 1:18)
model <- "{R_MODEL}"
"""
R_SINGLE = 'cfa(model, data = dat, ordered = items, estimator = "WLSMV")'
R_GROUP = ('cfa(model, data = dat, ordered = items, estimator = "WLSMV", group = "group", '
           'group.equal = c("thresholds", "loadings"))')
R_INV = """
fits <- lapply(list("configural", "thresholds", c("thresholds", "loadings"),
                    c("thresholds", "loadings", "intercepts")), function(ge)
  measEq.syntax(configural.model = model, data = dat, ordered = items,
    parameterization = "delta", ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
    group = "group", group.equal = ge, estimator = "WLSMV", return.fit = TRUE))
lavTestLRT(fits[[1]], fits[[2]], fits[[3]], fits[[4]])
"""
MIXED_DATA = ROOT / "tests" / "reference" / "wlsmv_mixed_data.csv"
MIXED_MODEL = "F_exp =~ e1 + e2 + e3 + e4\nF_lead =~ l1 + l2 + l3 + l4\nperf ~ F_exp + F_lead"
MIXED_ORDERED = ["e1", "e2", "e3", "e4", "l1", "l2", "l3", "l4"]
R_MIXED_MODEL = MIXED_MODEL.replace("\n", "\\n")
R_MIXED_SETUP = f"""
suppressPackageStartupMessages(library(lavaan))
dat <- read.csv(path)
model <- "{R_MIXED_MODEL}"
"""
R_MIXED = f'sem(model, data = dat, ordered = c({", ".join(repr(v) for v in MIXED_ORDERED)}), estimator = "WLSMV")'


def _mixed_row(have_r) -> dict:
    from qimscale.analysis.cfa import CFA

    data = pd.read_csv(MIXED_DATA)
    name = "WLSMV mixed: 8 ordered + continuous outcome, N=700"
    q = best_time(lambda: CFA(MIXED_MODEL, estimator="WLSMV", ordered=MIXED_ORDERED).fit(data), repeat=3)
    if have_r:
        return row(name, q, "lavaan 0.6 WLSMV", time_r(R_MIXED_SETUP, R_MIXED, repeat=3, data={"path": MIXED_DATA}))
    return row(name, q, "lavaan 0.6 WLSMV", None, note="Rscript with lavaan not available")


def run() -> list[dict]:
    from qimscale.analysis.cfa import CFA
    from qimscale.analysis.cfa.wlsmv_invariance import ordinal_invariance

    data = pd.read_csv(DATA)
    cases = [
        ("WLSMV CFA 18 items, N=1200", 0.5, R_SINGLE, 3,
         lambda: CFA(MODEL, estimator="WLSMV", ordered="all").fit(data)),
        ("WLSMV 3-group, equal thresholds+loadings", None, R_GROUP, 3,
         lambda: CFA(MODEL, estimator="WLSMV", ordered="all", group="group",
                     group_equal=["thresholds", "loadings"]).fit(data)),
        ("ordinal invariance 3 groups (4 levels+LRT)", None, R_INV, 1,
         lambda: ordinal_invariance(data, MODEL, "group", criteria="chisq")),
    ]
    have_r = rscript_available(("lavaan", "semTools"))
    rows = []
    for name, target, rexpr, rrep, fn in cases:
        q = best_time(fn, repeat=3)
        if have_r:
            r = time_r(R_SETUP, rexpr, repeat=rrep, data={"path": DATA})
            rows.append(row(name, q, "lavaan 0.6 WLSMV", r, target=target))
        else:
            rows.append(row(name, q, "lavaan 0.6 WLSMV", None, target=target,
                            note="Rscript with lavaan/semTools not available"))
    rows.append(_mixed_row(have_r))
    return rows


if __name__ == "__main__":  # pragma: no cover
    from benchmarks._harness import render

    print(render(run()))
