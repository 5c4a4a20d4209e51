"""Seeded generator of random ordinal SEM cases with observed covariates (WLSMV, conditional.x).

Run from the repository root::

    .venv/bin/python tests/reference/sem_differential_x_gen.py
    Rscript tests/reference/sem_differential_x.R

The first writes ``tests/reference/data/sem_differential_x.csv`` (one block of rows per
case, column ``case``) and ``tests/reference/sem_differential_x_cases.json``; the second
fits every case with ``lavaan::sem(..., ordered = items, estimator = "WLSMV")`` (lavaan's
default ``conditional.x = TRUE``) and writes ``tests/reference/sem_differential_x.json``;
``tests/analysis/cfa/test_sem_differential_x.py`` fits them with qimscale and compares.

Random cases: one to three factors with 2-5 category items, each regressed on a random
subset of one to three covariates (continuous or 0/1), sometimes a latent path, a mediation
with ``:=``, a second-order factor regressed on the covariates, direct
effects of a binary covariate on items (DIF), two groups with equality constraints,
pairwise missingness (with rows missing a covariate), small samples, ``std.lv``. The latent
part is simulated by ``sem_differential_gen._simulate``. Designed problem cases: collinear
and constant covariates, an under-identified model, a covariate that separates an item's
categories, a category empty in a small sample.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261208
N_RANDOM = 44
HERE = Path(__file__).resolve().parent

_spec = importlib.util.spec_from_file_location("sem_differential_gen", HERE / "sem_differential_gen.py")
_gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_gen)
_simulate = _gen._simulate


def _add_dif(rng, d, items, x, ncat):
    """Shift the responses of ``items`` up one category where the 0/1 covariate ``x`` is 1 (DIF)."""
    for it in items:
        up = (d[x].to_numpy() > 0.5) & (rng.random(len(d)) < 0.5)
        d.loc[up, it] = np.minimum(d.loc[up, it] + 1, ncat[it])
    return d


def _random_case(rng, cid):
    kind = str(rng.choice(["mimic", "dif", "paths", "mediate", "second", "groups", "missing", "small"],
                          p=[.2, .15, .1, .1, .1, .15, .12, .08]))
    nf = 2 if kind in ("paths", "mediate") else 3 if kind == "second" else int(rng.integers(1, 3))
    item_no = iter(range(1, 40))
    factors = {f"F{k + 1}": [f"y{next(item_no)}" for _ in range(int(rng.choice([3, 4, 4, 5])))]
               for k in range(nf)}
    nx = int(rng.integers(1, 4))
    xs = [f"x{k + 1}" for k in range(nx)]
    binary = [x for x in xs if rng.random() < 0.4]
    covars, paths, higher, lines = [], [], {}, [f"{f} =~ {' + '.join(it)}" for f, it in factors.items()]
    if kind == "second":  # a second-order factor regressed on the covariates
        higher = {"G": list(factors)}
        chosen = [x for x in xs if rng.random() < 0.7] or [xs[0]]
        covars = [("G", x, 0.0) for x in chosen]
        lines += ["G =~ " + " + ".join(factors), f"G ~ {' + '.join(chosen)}"]
    for f in factors if kind != "second" else []:
        chosen = [x for x in xs if rng.random() < 0.7] or [xs[0]]
        if kind == "mediate" and f == "F1":
            chosen = [xs[0]]
        covars += [(f, x, float(rng.uniform(-0.5, 0.5))) for x in chosen]
        lhs = [f"a*{x}" if kind == "mediate" and f == "F1" else x for x in chosen]
        lines.append(f"{f} ~ {' + '.join(lhs)}")
    if kind in ("paths", "mediate"):
        paths = [("F2", "F1", float(rng.uniform(.3, .6)))]
        lines[-1] = lines[-1].replace("F2 ~ ", "F2 ~ b*F1 + ")
    if kind == "mediate":
        lines += ["ind := a*b"]
    # every covariate must be used (lavaan drops unused columns; so does qimscale)
    used = {x for _, x, _ in covars}
    xs = [x for x in xs if x in used]
    binary = [x for x in binary if x in used]
    ncat = {it: int(rng.integers(2, 6)) for items in factors.values() for it in items}
    n = int(rng.integers(80, 140)) if kind == "small" else int(rng.integers(200, 450))
    if kind == "groups":
        seed = int(rng.integers(2 ** 31))
        d = pd.concat([_simulate(rng, n, factors, paths, higher, covars, True, ncat,
                                 prm=np.random.default_rng(seed)).assign(g=1),
                       _simulate(rng, n, factors, paths, higher, covars, True, ncat, group_shift=0.3,
                                 prm=np.random.default_rng(seed)).assign(g=2)], ignore_index=True)
    else:
        d = _simulate(rng, n, factors, paths, higher, covars, True, ncat)
    for x in binary:
        d[x] = (d[x] > 0).astype(int)
    if kind == "dif":
        xb = binary[0] if binary else xs[0]
        if not binary:
            d[xb] = (d[xb] > 0).astype(int)
            binary = [xb]
        dif_items = [factors["F1"][int(rng.integers(1, len(factors["F1"])))]]
        d = _add_dif(rng, d, dif_items, xb, ncat)
        lines += [f"{it} ~ {xb}" for it in dif_items]
    missing = "listwise"
    if kind == "missing":
        items = [c for c in d.columns if c.startswith("y")]
        mask = rng.random((len(d), len(items))) < rng.uniform(0.03, 0.10)
        d[items] = d[items].mask(mask)
        d.loc[rng.random(len(d)) < 0.02, xs[0]] = np.nan
        missing = "pairwise"
    geq = []
    if kind == "groups":
        geq = [[], ["loadings", "thresholds"], ["loadings", "thresholds", "regressions"]][int(rng.integers(3))]
    case = {"case": cid, "kind": kind, "model": "\n".join(lines), "missing": missing,
            "group": "g" if kind == "groups" else None, "group_equal": geq,
            "std_lv": bool(rng.random() < 0.25), "covariates": xs}
    return case, d


def _designed(rng, start):
    """Targeted problem cases, one each."""
    out = []

    def add(kind, model, d, xs, **kw):
        case = {"case": start + len(out), "kind": kind, "model": model, "missing": kw.get("missing", "listwise"),
                "group": kw.get("group"), "group_equal": [], "std_lv": False, "covariates": xs}
        out.append((case, d))

    one = {"F1": ["y1", "y2", "y3", "y4"]}
    ncat = {f"y{i}": 4 for i in range(1, 5)}
    d = _simulate(rng, 300, one, [], {}, [("F1", "x1", 0.4), ("F1", "x2", 0.3)], True, ncat)
    d["x3"] = np.round(d.x1 - 2 * d.x2, 3)
    add("collinear_covariates", "F1 =~ y1 + y2 + y3 + y4\nF1 ~ x1 + x2 + x3", d, ["x1", "x2", "x3"])
    d = _simulate(rng, 300, one, [], {}, [("F1", "x1", 0.4)], True, ncat).assign(x2=1.0)
    add("constant_covariate", "F1 =~ y1 + y2 + y3 + y4\nF1 ~ x1 + x2", d, ["x1", "x2"])
    d = _simulate(rng, 300, one, [], {}, [("F1", "x1", 0.4)], True, ncat)
    add("not_identified", "F1 =~ y1 + y2 + y3 + y4\nF1 ~ x1\ny1 ~ x1\ny2 ~ x1\ny3 ~ x1\ny4 ~ x1", d, ["x1"])
    d = _simulate(rng, 250, one, [], {}, [("F1", "x1", 0.4)], True, ncat)
    d["x2"] = (d.y1 >= 3).astype(int)  # separates y1's categories {1, 2} from {3, 4}
    add("separating_covariate", "F1 =~ y1 + y2 + y3 + y4\nF1 ~ x1\ny1 ~ x2", d, ["x1", "x2"])
    d = _simulate(rng, 60, one, [], {}, [("F1", "x1", 0.4)], True, {f"y{i}": 5 for i in range(1, 5)})
    d.loc[d.y2 == 5, "y2"] = 4
    d.loc[d.index[0], "y2"] = 5  # a category with one response: sparse but not empty
    add("sparse_small", "F1 =~ y1 + y2 + y3 + y4\nF1 ~ x1", d, ["x1"])
    return out


def main():
    rng = np.random.default_rng(SEED)
    random = (_random_case(rng, cid) for cid in range(1, N_RANDOM + 1))
    _gen.write_cases("sem_differential_x", SEED, [*random, *_designed(rng, N_RANDOM + 1)])


if __name__ == "__main__":
    main()
