"""Seeded generator of random WLSMV cases with ordered *and* continuous observed variables.

Run from the repository root::

    .venv/bin/python tests/reference/sem_differential_mixed_gen.py
    Rscript tests/reference/sem_differential_mixed.R

The first writes ``tests/reference/data/sem_differential_mixed.csv`` (column ``case``) and
``tests/reference/sem_differential_mixed_cases.json``; the second fits every case with
``lavaan::sem(..., ordered = <the ordered columns>, estimator = "WLSMV")`` and writes
``tests/reference/sem_differential_mixed.json``; ``tests/analysis/cfa/test_sem_differential_mixed.py``
fits them with qimscale and compares.

The data come from :func:`sem_differential_gen._simulate` (continuous items), after which the
ordered items are cut at random thresholds. Random cases: measurement models with one or two
continuous indicators per factor, a continuous outcome regressed on factors, latent paths with
``:=``, two groups (configural or loadings + thresholds + intercepts equal), pairwise gaps and
small samples. Designed cases: a continuous marker, continuous indicators on very different
scales, a residual covariance between a continuous and an ordered variable, a single ordered
variable, ordered codes with a gap, a constant continuous variable, a second-order factor with
``:=``, a continuous cross-loading, an ordered outcome of a factor, and a continuous indicator with an
observed covariate (lavaan's ``conditional.x``: a clean ModelError in qimscale).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("sem_differential_gen", HERE / "sem_differential_gen.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

SEED = 20261207
N_RANDOM = 30


def _cut(x, rng, k):
    """An ordered item with ``k`` categories from a continuous column (thresholds as the base generator)."""
    z = (x - np.nanmean(x)) / np.nanstd(x)
    cuts = np.sort(rng.uniform(-1.3, 1.3, size=k - 1))
    while k > 2 and np.min(np.diff(cuts)) < 0.35:
        cuts = np.sort(rng.uniform(-1.3, 1.3, size=k - 1))
    out = (np.searchsorted(cuts, z) + 1).astype(float)
    out[np.isnan(x)] = np.nan
    return out


def _mixed(rng, d, continuous):
    """Cut every item column not in ``continuous`` into 2-5 ordered categories."""
    d = d.copy()
    ordered = [c for c in d.columns if c.startswith("y") and c not in continuous]
    for c in ordered:
        d[c] = _cut(d[c].to_numpy(dtype=float), rng, int(rng.integers(2, 6)))
    return d, ordered


def _random_case(rng, cid):
    kind = str(rng.choice(["cfa", "outcome", "paths", "groups", "pairwise", "small"],
                          p=[.25, .2, .15, .15, .15, .1]))
    nf = int(rng.integers(1, 4)) if kind in ("cfa", "groups", "small", "pairwise") else 2
    item_no = iter(range(1, 40))
    factors = {f"F{k + 1}": [f"y{next(item_no)}" for _ in range(int(rng.choice([3, 4, 4, 5])))]
               for k in range(nf)}
    continuous = []
    for items in factors.values():  # 0-2 continuous indicators per factor, never all of them
        continuous += list(rng.choice(items, size=int(rng.integers(0 if nf > 1 else 1, 3)), replace=False))
    lines = [f"{f} =~ {' + '.join(items)}" for f, items in factors.items()]
    paths = []
    sim_factors = dict(factors)
    if kind == "outcome":
        out = f"y{next(item_no)}"
        continuous.append(out)
        sim_factors["P"] = [out]
        paths = [("P", "F1", rng.uniform(.3, .6)), ("P", "F2", rng.uniform(.1, .4))]
        lines.append(f"{out} ~ F1 + F2")
    elif kind == "paths":
        paths = [("F2", "F1", rng.uniform(.3, .6))]
        lines += ["F2 ~ a*F1", "a2 := 2*a"]
    n = int(rng.integers(60, 110)) if kind == "small" else int(rng.integers(150, 400))
    if kind == "groups":
        seed = int(rng.integers(2 ** 31))
        d = pd.concat([gen._simulate(rng, n, sim_factors, paths, {}, [], False, {},
                                     prm=np.random.default_rng(seed)).assign(g=1),
                       gen._simulate(rng, n, sim_factors, paths, {}, [], False, {}, group_shift=0.3,
                                     prm=np.random.default_rng(seed)).assign(g=2)], ignore_index=True)
    else:
        d = gen._simulate(rng, n, sim_factors, paths, {}, [], False, {})
    if kind == "pairwise":
        items = [c for c in d.columns if c.startswith("y")]
        d[items] = d[items].mask(rng.random((len(d), len(items))) < rng.uniform(0.03, 0.1))
    d, ordered = _mixed(rng, d, continuous)
    geq = []
    if kind == "groups" and rng.random() < 0.5:
        geq = ["loadings", "thresholds", "intercepts"]
    return {"case": cid, "kind": kind, "model": "\n".join(lines), "ordered": ordered,
            "missing": "pairwise" if kind == "pairwise" else "listwise",
            "group": "g" if kind == "groups" else None, "group_equal": geq,
            "std_lv": bool(rng.random() < 0.2)}, d


def _designed(rng, start):
    out = []

    def add(kind, model, d, continuous, **kw):
        d, ordered = _mixed(rng, d, continuous)
        for col, fn in kw.pop("after", {}).items():
            d[col] = fn(d[col])
        out.append(({"case": start + len(out), "kind": kind, "model": model, "ordered": ordered,
                     "missing": "listwise", "group": None, "group_equal": [], "std_lv": False}, d))

    one = {"F1": ["y1", "y2", "y3", "y4", "y5"]}
    add("continuous_marker", "F1 =~ y1 + y2 + y3 + y4 + y5", gen._simulate(rng, 300, one, [], {}, [], False, {}),
        ["y1"])
    d = gen._simulate(rng, 300, one, [], {}, [], False, {})
    d["y4"] = d["y4"] * 1000.0
    d["y5"] = d["y5"] / 100.0
    add("scales_apart", "F1 =~ y1 + y2 + y3 + y4 + y5", d, ["y4", "y5"])
    add("resid_cov_mixed", "F1 =~ y1 + y2 + y3 + y4 + y5\ny2 ~~ y5",
        gen._simulate(rng, 350, one, [], {}, [], False, {}), ["y5"])
    add("one_ordered", "F1 =~ y1 + y2 + y3 + y4 + y5", gen._simulate(rng, 300, one, [], {}, [], False, {}),
        ["y2", "y3", "y4", "y5"])
    add("gap_in_codes", "F1 =~ y1 + y2 + y3 + y4 + y5", gen._simulate(rng, 200, one, [], {}, [], False, {}),
        ["y5"], after={"y1": lambda v: v.where(v != v.max(), v.max() + 1)})  # a gap in the codes: both recode the observed levels
    add("constant_continuous", "F1 =~ y1 + y2 + y3 + y4 + y5",
        gen._simulate(rng, 200, one, [], {}, [], False, {}), ["y5"], after={"y5": lambda v: v * 0 + 3.0})
    three = {"F1": ["y1", "y2", "y3"], "F2": ["y4", "y5", "y6"], "F3": ["y7", "y8", "y9"]}
    add("second_order_defined", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6\nF3 =~ y7 + y8 + y9\n"
        "G =~ F1 + a*F2 + b*F3\nab := a*b", gen._simulate(rng, 500, three, [], {"G": ["F1", "F2", "F3"]}, [],
                                                       False, {}), ["y3", "y6"])
    two = {"F1": ["y1", "y2", "y3", "y4"], "F2": ["y5", "y6", "y7", "y8"]}
    add("cross_loading_continuous", "F1 =~ y1 + y2 + y3 + y4 + y8\nF2 =~ y5 + y6 + y7 + y8",
        gen._simulate(rng, 400, two, [], {}, [], False, {}), ["y8"])
    d = gen._simulate(rng, 400, {"F1": ["y1", "y2", "y3", "y4"], "P": ["y5"]}, [("P", "F1", 0.5)], {}, [],
                      False, {})
    add("ordered_outcome_of_factor", "F1 =~ y1 + y2 + y3 + y4\ny5 ~ F1", d, ["y2"])
    d = gen._simulate(rng, 300, one, [], {}, [("F1", "x1", 0.4)], False, {})
    add("covariate_conditional_x", "F1 =~ y1 + y2 + y3 + y4 + y5\nF1 ~ x1", d, ["y5"])
    return out


def main():
    rng = np.random.default_rng(SEED)
    random = (_random_case(rng, cid) for cid in range(1, N_RANDOM + 1))
    gen.write_cases("sem_differential_mixed", SEED, [*random, *_designed(rng, N_RANDOM + 1)])


if __name__ == "__main__":
    main()
