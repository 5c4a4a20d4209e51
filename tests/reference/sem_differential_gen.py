"""Seeded generator of random SEM cases for the differential test against lavaan.

Run from the repository root::

    .venv/bin/python tests/reference/sem_differential_gen.py
    Rscript tests/reference/sem_differential.R

The first writes ``tests/reference/data/sem_differential.csv`` (one block of rows
per case, column ``case``) and ``tests/reference/sem_differential_cases.json``
(model, estimator and options per case); the second fits every case with
lavaan and writes ``tests/reference/sem_differential.json``;
``tests/analysis/cfa/test_sem_differential.py`` fits them with qimscale and compares.

Cases: random measurement models, latent paths with labelled effects and
``:=``, second-order factors, observed covariates (ML), two groups with
equality constraints, MCAR gaps (FIML), small samples, continuous (ML/MLR)
and ordinal (WLSMV) items, plus designed problem cases (two-indicator
factors, an under-identified model, a weak factor, a repeated element, ``==``
constraints, a Heywood case, too few moments).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261206
N_RANDOM = 40
HERE = Path(__file__).resolve().parent


def _simulate(rng, n, factors, paths, higher, covars, ordinal, ncat, group_shift=0.0, prm=None):
    """Data for a model: factors {F: [items]}, paths [(lhs, rhs, b)], higher {G: [F...]},
    covars [(F, x, b)]; returns a DataFrame of the items (and covariates).

    ``prm`` draws the loadings, thresholds and scales (pass the same seeded generator
    state for both groups of a case so that they share them); default ``rng``.
    """
    prm = rng if prm is None else prm
    lat = {}
    xs = {x: rng.normal(size=n) for _, x, _ in covars}
    for g, subs in higher.items():
        lat[g] = rng.normal(size=n)
        for f in subs:
            lat[f] = rng.uniform(0.6, 0.9) * lat[g] + rng.normal(scale=0.6, size=n)
    order = [f for f in factors if f not in lat]
    for f in order:  # paths are listed so that predictors come first
        val = rng.normal(size=n) * 0.8 + group_shift
        for lhs, rhs, b in paths:
            if lhs == f:
                val = val + b * lat[rhs]
        for lhs, x, b in covars:
            if lhs == f:
                val = val + b * xs[x]
        lat[f] = val
    cols = {}
    for f, items in factors.items():
        z = (lat[f] - lat[f].mean()) / lat[f].std()
        for it in items:
            lam = prm.uniform(0.45, 0.85)
            y = lam * z + rng.normal(scale=np.sqrt(1 - lam ** 2), size=n)
            if ordinal:
                k = ncat[it]
                # thresholds in (-1.3, 1.3), at least 0.35 apart: no category below ~10%, so the
                # 2-way tables are not so sparse that the polychorics sit on the boundary
                cuts = np.sort(prm.uniform(-1.3, 1.3, size=k - 1))
                while k > 2 and np.min(np.diff(cuts)) < 0.35:
                    cuts = np.sort(prm.uniform(-1.3, 1.3, size=k - 1))
                cols[it] = np.searchsorted(cuts, y) + 1
            else:
                cols[it] = np.round(y * prm.uniform(0.5, 2.0) + prm.uniform(-1, 3), 3)
    for x, v in xs.items():
        cols[x] = np.round(v, 3)
    return pd.DataFrame(cols)


def _random_case(rng, cid):
    kind = rng.choice(["cfa", "paths", "second", "groups", "missing", "covariate", "small"],
                      p=[.2, .2, .15, .15, .12, .1, .08])
    ordinal = kind not in ("missing", "covariate") and rng.random() < 0.5
    nf = int(rng.integers(1, 4)) if kind in ("cfa", "groups", "small") else 3
    item_no = iter(range(1, 40))
    factors, paths, higher, covars, defined = {}, [], {}, [], []
    for k in range(nf):
        size = int(rng.choice([3, 3, 4, 5]))
        factors[f"F{k + 1}"] = [f"y{next(item_no)}" for _ in range(size)]
    lines = [f"{f} =~ {' + '.join(items)}" for f, items in factors.items()]
    if kind == "paths":
        paths = [("F2", "F1", rng.uniform(.3, .6)), ("F3", "F2", rng.uniform(.3, .6)),
                 ("F3", "F1", rng.uniform(0, .3))]
        lines += ["F2 ~ a*F1", "F3 ~ b*F2 + c*F1", "ind := a*b", "tot := c + a*b"]
    elif kind == "second":
        higher = {"G": list(factors)}
        lines.append("G =~ " + " + ".join(factors))
        if rng.random() < 0.5:
            factors["F4"] = [f"y{next(item_no)}" for _ in range(3)]
            paths = [("F4", "G", rng.uniform(.3, .6))]
            lines += [f"F4 =~ {' + '.join(factors['F4'])}", "F4 ~ g*G", "g2 := 2*g"]
    elif kind == "covariate":
        covars = [("F1", "x1", rng.uniform(.2, .5)), ("F2", "x1", rng.uniform(0, .3)),
                  ("F2", "x2", rng.uniform(.2, .4))]
        lines += ["F1 ~ x1", "F2 ~ x1 + x2"]
    ncat = {it: int(rng.integers(2, 6)) for items in factors.values() for it in items}
    n = int(rng.integers(40, 90)) if kind == "small" else int(rng.integers(120, 350))
    if kind == "groups":
        seed = int(rng.integers(2 ** 31))
        d = pd.concat([_simulate(rng, n, factors, paths, higher, covars, ordinal, ncat,
                                 prm=np.random.default_rng(seed)).assign(g=1),
                       _simulate(rng, n, factors, paths, higher, covars, ordinal, ncat, group_shift=0.3,
                                 prm=np.random.default_rng(seed)).assign(g=2)], ignore_index=True)
    else:
        d = _simulate(rng, n, factors, paths, higher, covars, ordinal, ncat)
    if kind == "missing":
        items = [c for c in d.columns if c.startswith("y")]
        mask = rng.random((len(d), len(items))) < rng.uniform(0.03, 0.12)
        d[items] = d[items].mask(mask)
    if ordinal:
        estimator, missing = "WLSMV", "listwise"
    elif kind == "missing":
        estimator, missing = str(rng.choice(["ML", "MLR"])), "fiml"
    else:
        estimator, missing = str(rng.choice(["ML", "MLR"])), "listwise"
    geq = []
    if kind == "groups":
        geq = (["loadings", "thresholds"] if ordinal else
               ["loadings"] if rng.random() < 0.5 else ["loadings", "intercepts"])
    case = {"case": cid, "kind": str(kind), "model": "\n".join(lines), "estimator": estimator,
            "missing": missing, "ordered": bool(ordinal), "group": "g" if kind == "groups" else None,
            "group_equal": geq, "std_lv": bool(rng.random() < 0.2)}
    return case, d


def _exact(z, cov):
    """Rows whose sample covariance is exactly ``cov`` (as ``MASS::mvrnorm(empirical = TRUE)``)."""
    z = z - z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T)).T)
    return z @ np.linalg.cholesky(cov).T


def _designed(rng, start):
    """Targeted problem cases, one each."""
    out = []

    def add(kind, model, d, estimator="ML", ordered=False, **kw):
        case = {"case": start + len(out), "kind": kind, "model": model, "estimator": estimator,
                "missing": kw.get("missing", "listwise"), "ordered": ordered, "group": None,
                "group_equal": [], "std_lv": kw.get("std_lv", False)}
        out.append((case, d))

    two = {"F1": ["y1", "y2", "y3"], "F2": ["y4", "y5"]}
    d = _simulate(rng, 400, two, [], {}, [], True, {f"y{i}": 4 for i in range(1, 6)})
    add("two_indicator_wlsmv", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5", d, "WLSMV", True)
    d = _simulate(rng, 300, {"F1": ["y1", "y2", "y3", "y4"]}, [], {}, [], True,
                  {f"y{i}": 3 for i in range(1, 5)})
    add("not_identified_wlsmv", "F1 =~ y1 + y2 + y3 + y4\ny1 ~ 1", d, "WLSMV", True)
    cov = np.array([[1, .05, .03], [.05, 1, .07], [.03, .07, 1]])
    x = _exact(rng.normal(size=(318, 3)), cov) * [2.0, 0.5, 1.0]
    add("weak_factor_ml", "F1 =~ y1 + y2 + y3", pd.DataFrame(np.round(x, 4), columns=["y1", "y2", "y3"]))
    one = {"F1": ["y1", "y2", "y3", "y4"]}
    d = _simulate(rng, 300, one, [], {}, [], False, {})
    add("duplicate_element", "F1 =~ y1 + y2 + y3\nF1 =~ y3 + y4", d)
    add("equality_ml", "F1 =~ y1 + a*y2 + b*y3 + y4\na == b", d)
    add("equality_fixed_ml", "F1 =~ y1 + a*y2 + y3 + y4\na == 1.2", d, std_lv=False)
    add("too_few_moments", "F1 =~ y1 + y2", d)
    d = _simulate(rng, 300, one, [], {}, [], True, {f"y{i}": 4 for i in range(1, 5)})
    add("equality_wlsmv", "F1 =~ y1 + a*y2 + b*y3 + y4\na == b", d, "WLSMV", True)
    heyw = np.array([[1, .3, -.3], [.3, 1, .3], [-.3, .3, 1]])
    x = _exact(rng.normal(size=(300, 3)), heyw)
    add("heywood_ml", "F1 =~ y1 + y2 + y3", pd.DataFrame(np.round(x, 4), columns=["y1", "y2", "y3"]))
    d = _simulate(rng, 300, one, [], {}, [], False, {})
    d["y4"] = 2.5
    add("constant_item", "F1 =~ y1 + y2 + y3 + y4", d)
    three = {"F1": ["y1", "y2", "y3"], "F2": ["y4", "y5", "y6"], "F3": ["y7", "y8", "y9"]}
    d = _simulate(rng, 500, three, [], {"G": ["F1", "F2", "F3"]}, [], True,
                  {f"y{i}": 5 for i in range(1, 10)})
    add("second_order_defined_wlsmv", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6\nF3 =~ y7 + y8 + y9\n"
        "G =~ F1 + a*F2 + b*F3\nab := a*b", d, "WLSMV", True)
    return out


def write_cases(name: str, seed: int, items) -> None:
    """Write ``data/<name>.csv`` (every case's rows, with its ``case`` id) and ``<name>_cases.json``
    from ``items``, an iterable of ``(case, data)`` pairs generated in order."""
    cases, blocks = [], []
    for case, d in items:
        case["columns"] = list(d.columns)
        cases.append(case)
        blocks.append(d.assign(case=case["case"]))
    data = pd.concat(blocks, ignore_index=True)
    cols = ["case"] + sorted((c for c in data.columns if c != "case"),
                             key=lambda c: (c[0], int(c[1:]) if c[1:].isdigit() else 0))
    data[cols].to_csv(HERE / "data" / f"{name}.csv", index=False)
    (HERE / f"{name}_cases.json").write_text(json.dumps({"seed": seed, "cases": cases}, indent=1))
    print(f"{len(cases)} cases, {len(data)} rows")


def main():
    rng = np.random.default_rng(SEED)
    random = (_random_case(rng, cid) for cid in range(1, N_RANDOM + 1))
    write_cases("sem_differential", SEED, [*random, *_designed(rng, N_RANDOM + 1)])


if __name__ == "__main__":
    main()
