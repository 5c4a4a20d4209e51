"""Whole-process times on the issue-12 design: 600 respondents x 43 competency items.

The data come from ``qimscale simulate --n 600 --seed 7`` scored with ``qimscale
score``: the bundled instrument's 43 competency items (five-point, N/A answers
missing: about 970 gaps, 127 complete rows) and the ``country`` column (NZ, UK,
AU). Reverse-keyed items are recoded in the file both programs read, and the one
category that is empty in one country (``lead_long_3`` = 1 in NZ) is merged into
its neighbour, since lavaan stops on empty categories in multi-group WLSMV.

Four command lines are timed as whole processes (start-up, reading the CSV, the
fits and the printed output), against an ``Rscript`` process doing the same with
lavaan 0.6 / semTools:

* ``qimscale cfa --ordered all`` vs ``cfa(..., ordered = TRUE, estimator = "WLSMV",
  missing = "pairwise")`` + ``summary(fit.measures = TRUE, standardized = TRUE)``;
* ``qimscale cfa --estimator mlr --missing fiml`` vs ``cfa(..., estimator = "MLR",
  missing = "fiml")`` + the same summary;
* ``qimscale invariance --ordered all --group country`` vs the four models
  configural, thresholds, metric, scalar from ``semTools::measEq.syntax(...,
  ID.cat = "Wu.Estabrook.2016", return.fit = TRUE)``, ``lavTestLRT`` and
  ``fitMeasures``;
* ``qimscale invariance --estimator mlr --missing fiml --group country`` vs
  ``cfa(..., group.equal = ...)`` at configural, metric, scalar and strict,
  ``lavTestLRT`` and ``fitMeasures``.

Run alone with ``python -m benchmarks.bench_study600`` (the lavaan FIML fits take
tens of minutes); each finished row is appended to
``benchmarks/results/study600.jsonl`` as it completes, so a long run that is
stopped keeps what it measured.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._harness import row, rscript_available

REVERSED = ("exp_ctx_4", "lead_long_4", "lead_sys_4", "lead_motiv_5", "ip_appr_5", "ip_trust_4")
RESULTS = Path(__file__).parent / "results" / "study600.jsonl"


def _qimscale() -> list[str]:
    exe = shutil.which("qimscale", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "qimscale"]


def make_data(tmp: Path) -> tuple[Path, Path]:
    """Write ``items600.csv`` and ``model.lav`` into ``tmp``; return their paths."""
    import pandas as pd

    q = _qimscale()
    subprocess.run(q + ["simulate", "--n", "600", "--seed", "7", "--out", str(tmp / "sim.csv")],
                   check=True, capture_output=True)
    subprocess.run(q + ["score", str(tmp / "sim.csv"), "--out", str(tmp / "scores.csv")],
                   check=True, capture_output=True)
    subprocess.run(q + ["instrument", "export", "--format", "lavaan", "--out", str(tmp / "qim.lav")],
                   check=True, capture_output=True)
    lines = [ln for ln in (tmp / "qim.lav").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    model = tmp / "model.lav"
    model.write_text("\n".join(lines) + "\n")
    items = [ln.split("=~")[1].replace(" ", "").split("+") for ln in lines]
    items = [i for block in items for i in block]
    d = pd.read_csv(tmp / "scores.csv")[items + ["country"]]
    for col in REVERSED:
        d[col] = 6 - d[col]
    d.loc[d["lead_long_3"] == 1, "lead_long_3"] = 2
    data = tmp / "items600.csv"
    d.to_csv(data, index=False)
    return data, model


# lavTestLRT names the models by deparsing its arguments unless model.names is given; called through
# do.call, those arguments are the fitted objects themselves, and deparsing four lavaan fits of this
# size ran for hours (a 2.8 GB text) -- an artefact of the call, not lavaan's test
_LRT = 'print(do.call(lavTestLRT, c(unname(fits), list(model.names = names(fits)))))\n'


def _r_script(kind: str, data: Path, model: Path) -> str:
    head = (f'suppressMessages({{library(lavaan); library(semTools)}})\n'
            f'd <- read.csv("{data.as_posix()}"); m <- paste(readLines("{model.as_posix()}"), collapse = "\\n")\n'
            'ov <- setdiff(names(d), "country")\n')
    if kind == "cfa_wlsmv":
        body = ('f <- cfa(m, data = d, ordered = ov, estimator = "WLSMV", missing = "pairwise")\n'
                'print(summary(f, fit.measures = TRUE, standardized = TRUE))\n')
    elif kind == "cfa_fiml":
        body = ('f <- cfa(m, data = d, estimator = "MLR", missing = "fiml")\n'
                'print(summary(f, fit.measures = TRUE, standardized = TRUE))\n')
    elif kind == "inv_wlsmv":
        body = ('eqs <- list(configural = "", thresholds = "thresholds",\n'
                '            metric = c("thresholds", "loadings"),\n'
                '            scalar = c("thresholds", "loadings", "intercepts"))\n'
                'fits <- lapply(eqs, function(e) {on.exit(message(format(Sys.time()), " level done")); measEq.syntax(configural.model = m, data = d, ordered = ov,\n'
                '  parameterization = "delta", ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",\n'
                '  group = "country", group.equal = e, estimator = "WLSMV", missing = "pairwise",\n'
                '  return.fit = TRUE)})\n'
                + _LRT +
                'print(sapply(fits, fitMeasures, c("chisq.scaled", "df", "cfi.scaled", "rmsea.scaled", "srmr")))\n')
    elif kind == "inv_fiml":
        body = ('eqs <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),\n'
                '            strict = c("loadings", "intercepts", "residuals"))\n'
                'fits <- lapply(eqs, function(e) {on.exit(message(format(Sys.time()), " level done")); cfa(m, data = d,\n'
                '  group = "country", group.equal = e, estimator = "MLR", missing = "fiml")})\n'
                + _LRT +
                'print(sapply(fits, fitMeasures, c("chisq.scaled", "df", "cfi.robust", "rmsea.robust", "srmr")))\n')
    else:
        raise ValueError(kind)
    return head + body


CASES = {
    "cfa_wlsmv": ("cfa, WLSMV (pairwise), 600 x 43", ["cfa", "{data}", "--model", "{model}", "--ordered", "all"]),
    "cfa_fiml": ("cfa, MLR + FIML, 600 x 43", ["cfa", "{data}", "--model", "{model}", "--estimator", "mlr",
                                               "--missing", "fiml"]),
    "inv_wlsmv": ("invariance, WLSMV, 3 countries", ["invariance", "{data}", "--model", "{model}", "--group",
                                                     "country", "--ordered", "all"]),
    "inv_fiml": ("invariance, MLR + FIML, 3 countries", ["invariance", "{data}", "--model", "{model}",
                                                         "--group", "country", "--estimator", "mlr",
                                                         "--missing", "fiml"]),
}


def _wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed: {res.stderr.strip()[-400:]}")
    return seconds


def run(cases: tuple[str, ...] = tuple(CASES)) -> list[dict]:
    have_r = rscript_available(("lavaan", "semTools"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data, model = make_data(tmp)
        q_times = {}
        for key in cases:
            args = [a.format(data=data, model=model) for a in CASES[key][1]]
            q_times[key] = _wall(_qimscale() + args + ["--json", "--no-progress"])
        for key in cases:
            r_s, note = None, "" if have_r else "Rscript/lavaan not available"
            if have_r:
                script = tmp / f"{key}.R"
                script.write_text(_r_script(key, data, model))
                try:
                    r_s = _wall(["Rscript", script.as_posix()])
                except RuntimeError as exc:  # a stopped or failed R run is reported, not fatal
                    note = str(exc)[:300]
            out = row(f"{CASES[key][0]} (whole process)", q_times[key], "Rscript + lavaan/semTools", r_s,
                      target=0.5, note=note)
            out["load"] = os.getloadavg()[0]
            rows.append(out)
            RESULTS.parent.mkdir(exist_ok=True)
            with RESULTS.open("a") as fh:
                fh.write(json.dumps({**out, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")
    return rows


if __name__ == "__main__":
    from benchmarks._harness import render

    print(render(run(tuple(sys.argv[1:]) or tuple(CASES))))
