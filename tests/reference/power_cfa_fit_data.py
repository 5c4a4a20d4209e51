"""Write the data sets of 6 replications of `qimscale power --target cfa_fit` (seed 1, N = 200) for
tests/reference/power_cfa_fit.R, from the same per-replication generators the power run uses.

Run from the repository root:  .venv/bin/python tests/reference/power_cfa_fit_data.py
"""

from __future__ import annotations

import pandas as pd

from qimscale.analysis.simulate.power import replication_rng
from qimscale.instrument import load_instrument
from qimscale.study.population import build_population, read_population_file
from qimscale.study.power import _keyed, build_target, draw

SEED, N, REPS = 1, 200, 6


def main():
    inst = load_instrument()
    spec, name = read_population_file()
    pop, _ = build_population(inst, spec, name)
    replicate, _ = build_target("cfa_fit", pop)
    frames = []
    for rep in range(REPS):
        data, _ = draw(replicate.pop, N, replication_rng(SEED, N, rep), codes_dtype="float64")
        frames.append(_keyed(data, replicate.pop).assign(rep=rep))
    out = pd.concat(frames, ignore_index=True)
    out.to_csv("tests/reference/data/power_cfa_fit.csv", index=False)
    with open("tests/reference/data/power_cfa_fit.lav", "w", encoding="utf-8") as fh:
        fh.write(replicate.model + "\n")


if __name__ == "__main__":
    main()
