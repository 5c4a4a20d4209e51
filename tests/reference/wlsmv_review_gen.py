"""Seeded generator for an independent review of the WLSMV engine against lavaan (issue 12).

Run from the repository root::

    .venv/bin/python tests/reference/wlsmv_review_gen.py
    Rscript tests/reference/wlsmv_review.R

The first writes ``tests/reference/data/wlsmv_review.csv`` (column ``case``) and
``tests/reference/wlsmv_review_cases.json``; the second fits every case with
``lavaan::sem(..., ordered = <the ordered columns>, estimator = "WLSMV")`` and writes
``tests/reference/wlsmv_review.json``; ``tests/analysis/cfa/test_wlsmv_review.py`` compares.

Written independently of ``sem_differential*_gen.py`` (its own simulator: latent scores from a
linear structural model, indicators with cross-loadings and correlated residuals, ordered items
cut at thresholds that may be skewed so that extreme categories are sparse). It aims at what the
earlier generators leave out: 7-category and all-binary items, 2-indicator factors,
cross-loadings, residual covariances (ordered-ordered and ordered-continuous), mediation with
two mediators and several ``:=``, labels shared between parameters, ``==`` constraints, fixed
loadings and covariances, three groups and other ``group.equal`` sets, pairwise gaps with mixed
variables, N = 60-150, near-Heywood loadings and ``std.lv`` with structural paths. Designed
problem cases: an under-identified model, empty categories in one group, a constant ordered
item, a continuous variable with a huge variance, a single-category-pair table with an empty
cell, a negative df model, an unknown variable, a duplicate element and a Heywood case; then
other ``group.equal`` sets (regressions, means, residual covariances, lv (co)variances), equal
threshold labels, ``NA*`` markers, fixed covariances and ordered/continuous outcomes with ``:=``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 4242_2026
N_RANDOM = 56
HERE = Path(__file__).resolve().parent


def _thresholds(rng, k, skew):
    """``k - 1`` increasing thresholds; ``skew`` pushes them to one side (sparse top categories)."""
    while True:
        t = np.sort(np.clip(rng.normal(skew, 0.9, size=k - 1), -1.9, 1.9))
        if k == 2 or np.min(np.diff(t)) > 0.15:
            return t


def simulate(rng, n, loadings, beta, psi_extra=None, resid_cov=(), shift=0.0):
    """Latent scores ``eta = (I - B)^-1 zeta`` and indicators ``y = Lambda eta + e``.

    ``loadings``: {item: {factor: lambda}}; ``beta``: {(lhs, rhs): b} (lhs ~ rhs);
    ``psi_extra``: {(f, g): cov} among the disturbances; ``resid_cov``: [(item, item, r)].
    Items come back standardised-ish (continuous scale), to be cut or rescaled by the caller.
    """
    facs = sorted({f for lam in loadings.values() for f in lam} | {x for pair in beta for x in pair})
    k = len(facs)
    idx = {f: i for i, f in enumerate(facs)}
    B = np.zeros((k, k))
    for (lhs, rhs), b in beta.items():
        B[idx[lhs], idx[rhs]] = b
    psi = np.eye(k) * 0.8
    for (f, g), c in (psi_extra or {}).items():
        psi[idx[f], idx[g]] = psi[idx[g], idx[f]] = c
    zeta = rng.multivariate_normal(np.zeros(k), psi, size=n)
    eta = np.linalg.solve(np.eye(k) - B, zeta.T).T
    eta = eta / eta.std(axis=0) + shift  # unit variances: the loadings are standardised ones
    items = list(loadings)
    e = rng.normal(size=(n, len(items)))
    for a, b, r in resid_cov:
        ia, ib = items.index(a), items.index(b)
        e[:, ib] = r * e[:, ia] + np.sqrt(1 - r * r) * e[:, ib]
    out = {}
    for j, it in enumerate(items):
        signal = sum(lam * eta[:, idx[f]] for f, lam in loadings[it].items())
        size = sum(lam ** 2 for lam in loadings[it].values())
        out[it] = signal + e[:, j] * np.sqrt(max(1.0 - min(size, 0.95), 0.05))
    return pd.DataFrame(out)


def discretise(rng, d, ordered, ncat, skew, cuts=None):
    """Cut ``ordered`` columns into ``ncat[item]`` categories (1..k); others rescaled and rounded."""
    d = d.copy()
    cuts = {} if cuts is None else cuts
    for c in d.columns:
        x = d[c].to_numpy(dtype=float)
        if c in ordered:
            if c not in cuts:
                cuts[c] = _thresholds(rng, ncat[c], skew)
            z = (x - np.nanmean(x)) / np.nanstd(x)
            v = (np.searchsorted(cuts[c], z) + 1).astype(float)
            v[np.isnan(x)] = np.nan
            d[c] = v
        else:
            d[c] = np.round(x * rng.uniform(0.5, 3.0) + rng.uniform(-2, 5), 4)
    return d, cuts


def _measurement(rng, nf, *, sizes=(2, 3, 3, 4, 5), cross=0.0, heywood=False):
    factors = [f"F{k + 1}" for k in range(nf)]
    loadings, item_of, no = {}, {}, 1
    for f in factors:
        size = int(rng.choice(sizes)) if nf > 1 else int(rng.choice([3, 4, 5, 6]))
        item_of[f] = []
        for _ in range(size):
            it = f"y{no}"
            no += 1
            lam = rng.uniform(0.5, 0.85)
            if heywood and not item_of[f]:
                lam = 0.97
            loadings[it] = {f: lam}
            item_of[f].append(it)
    xload = []
    if cross and nf > 1:
        for _ in range(int(rng.integers(1, 3))):
            f, g = rng.choice(factors, size=2, replace=False)
            it = str(rng.choice(item_of[f]))
            if g not in loadings[it] and len(item_of[f]) > 2:
                loadings[it][str(g)] = round(float(rng.uniform(0.2, 0.4)), 3)
                xload.append((str(g), it))
    return factors, loadings, item_of, xload


def _lines(item_of, xload, *, labels=None, fixed=None):
    lines = []
    for f, items in item_of.items():
        terms = []
        for i, it in enumerate(items):
            pre = ""
            if fixed and (f, it) in fixed:
                pre = f"{fixed[(f, it)]}*"
            elif labels and (f, it) in labels:
                pre = f"{labels[(f, it)]}*"
            terms.append(pre + it)
        terms += [it for g, it in xload if g == f]
        lines.append(f"{f} =~ {' + '.join(terms)}")
    return lines


def _random_case(rng, cid):
    kind = str(rng.choice(["ord_cfa", "mixed_cfa", "mediation", "second", "constraints", "groups",
                           "pairwise", "small"], p=[.15, .13, .13, .12, .12, .17, .1, .08]))
    nf = {"mediation": 3, "second": int(rng.choice([3, 4]))}.get(kind, int(rng.integers(1, 4)))
    cross = 0.5 if kind in ("ord_cfa", "mixed_cfa") and rng.random() < 0.5 else 0.0
    factors, loadings, item_of, xload = _measurement(
        rng, nf, sizes=(3, 3, 4) if kind in ("second", "groups") else (2, 3, 3, 4, 5), cross=cross,
        heywood=kind == "ord_cfa" and rng.random() < 0.25)
    beta, psi_extra, extra_lines, resid_cov = {}, {}, [], []
    labels, fixed = {}, {}
    std_lv = bool(rng.random() < 0.3)
    if nf > 1 and kind not in ("mediation", "second"):
        for i in range(nf):
            for j in range(i):
                psi_extra[(factors[i], factors[j])] = round(float(rng.uniform(0.1, 0.5)), 3)
    if kind == "mediation":
        two_med = rng.random() < 0.5
        if two_med:  # X -> M1, M2 -> Y: F1 -> F2, F3 -> F4
            factors, loadings, item_of, xload = _measurement(rng, 4, sizes=(3, 3, 4))
            beta = {("F2", "F1"): .5, ("F3", "F1"): .4, ("F4", "F2"): .4, ("F4", "F3"): .3, ("F4", "F1"): .1}
            extra_lines = ["F2 ~ a1*F1", "F3 ~ a2*F1", "F4 ~ b1*F2 + b2*F3 + c*F1", "F2 ~~ F3",
                           "ind1 := a1*b1", "ind2 := a2*b2", "diff := ind1 - ind2",
                           "total := c + a1*b1 + a2*b2"]
        else:
            beta = {("F2", "F1"): rng.uniform(.3, .6), ("F3", "F2"): rng.uniform(.3, .6),
                    ("F3", "F1"): rng.uniform(0, .3)}
            extra_lines = ["F2 ~ a*F1", "F3 ~ b*F2 + cp*F1", "ab := a*b", "total := cp + a*b",
                           "prop := a*b/(cp + a*b)"]
    elif kind == "second":
        g = rng.uniform(0.6, 0.9, size=nf)
        # second-order: first-order factors correlate through G
        for i in range(nf):
            for j in range(i):
                psi_extra[(factors[i], factors[j])] = round(float(g[i] * g[j] * 0.8), 3)
        extra_lines = ["G =~ " + " + ".join(factors)]
        if rng.random() < 0.5:
            extra_lines[0] = "G =~ " + factors[0] + " + " + " + ".join(f"l{i}*{f}" for i, f in
                                                                     enumerate(factors[1:], 2))
            extra_lines.append("lsum := " + " + ".join(f"l{i}" for i in range(2, nf + 1)))
    elif kind == "constraints":
        f0 = factors[0]
        its = item_of[f0]
        choice = rng.integers(0, 4)
        if choice == 0 and len(its) >= 3:  # a shared label: equal loadings
            labels = {(f0, its[1]): "q", (f0, its[2]): "q"}
        elif choice == 1 and len(its) >= 3:  # an explicit == between two labels
            labels = {(f0, its[1]): "p1", (f0, its[2]): "p2"}
            extra_lines.append("p1 == p2")
        elif choice == 2:  # a fixed loading that is not the marker
            fixed = {(f0, its[-1]): 0.8}
            std_lv = False
        else:  # a fixed factor covariance (std.lv) or a fixed value of a free loading
            if nf > 1:
                std_lv = True
                extra_lines.append(f"{factors[0]} ~~ 0.3*{factors[1]}")
            else:
                fixed = {(f0, its[1]): 1.0}
                std_lv = False
    items = list(loadings)
    if rng.random() < 0.35 and len(items) >= 4:
        a, b = (str(x) for x in rng.choice(items, size=2, replace=False))
        if not any(a in item_of[f] and b in item_of[f] and len(item_of[f]) == 2 for f in item_of):
            resid_cov.append((a, b, 0.3))
            extra_lines.append(f"{a} ~~ {b}")
    lines = _lines(item_of, xload, labels=labels, fixed=fixed) + extra_lines
    # scale: 2-7 categories; some cases all binary, some all 7-category
    style = rng.choice(["mixcat", "binary", "seven"], p=[.6, .2, .2])
    ncat = {it: int({"binary": 2, "seven": 7}.get(str(style), rng.integers(2, 8))) for it in items}
    continuous = []
    if kind in ("mixed_cfa", "pairwise") or (kind in ("mediation", "groups", "second") and rng.random() < 0.4):
        for f, its in item_of.items():
            k = int(rng.integers(0, 2 if len(its) <= 3 else 3))
            continuous += list(rng.choice(its, size=min(k, len(its) - 1), replace=False))
        if not continuous:
            continuous = [item_of[factors[0]][0]]
    ordered = [it for it in items if it not in continuous]
    skew = float(rng.choice([0.0, 0.0, 0.5, 1.0])) if kind != "small" else float(rng.choice([0.6, 1.0]))
    n = int(rng.integers(60, 151)) if kind == "small" else int(rng.integers(150, 450))
    group, geq, ngroups = None, [], 1
    if kind == "groups":
        ngroups = int(rng.choice([2, 2, 3]))
        blocks, cuts = [], {}
        for gi in range(ngroups):
            raw = simulate(rng, n, loadings, beta, psi_extra, resid_cov, shift=0.25 * gi)
            d, cuts = discretise(rng, raw, ordered, ncat, skew, cuts)
            blocks.append(d.assign(g=gi + 1))
        d = pd.concat(blocks, ignore_index=True)
        group = "g"
        geq = [str(x) for x in rng.choice(
            ["", "loadings", "thresholds", "loadings,thresholds", "loadings,thresholds,intercepts",
             "loadings,thresholds,residuals", "loadings,thresholds,lv.variances"])
            .split(",") if x]
        # every category present in every group, or lavaan refuses (that is a designed case)
        for it in ordered:
            if any(set(b[it].dropna().unique()) != set(d[it].dropna().unique()) for _, b in d.groupby("g")):
                ncat[it] = 0
        bad = [it for it in ordered if ncat[it] == 0]
        for it in bad:  # re-cut the item as binary at the median of the pooled data
            v = d[it]
            d[it] = (v > v.median()).astype(float) + 1
            if d.groupby("g")[it].nunique().min() < 2:
                d[it] = (v >= v.median()).astype(float) + 1
    else:
        raw = simulate(rng, n, loadings, beta, psi_extra, resid_cov)
        d, _ = discretise(rng, raw, ordered, ncat, skew)
    if kind == "pairwise":
        mask = rng.random((len(d), len(items))) < rng.uniform(0.03, 0.12)
        d[items] = d[items].mask(mask)
    # categories that were never observed: recode to consecutive codes (as a user would)
    for it in ordered:
        levels = sorted(d[it].dropna().unique())
        d[it] = d[it].map({v: i + 1 for i, v in enumerate(levels)})
    ordered = [it for it in ordered if d[it].nunique() >= 2]
    return {"case": cid, "kind": kind, "model": "\n".join(lines), "ordered": ordered,
            "missing": "pairwise" if kind == "pairwise" else "listwise", "group": group,
            "group_equal": geq, "std_lv": std_lv, "style": str(style)}, d


def _adder(out, start):
    """``add(kind, model, data, ordered, **options)`` appending a designed case to ``out``."""
    def add(kind, model, d, ordered, **kw):
        out.append(({"case": start + len(out), "kind": kind, "model": model, "ordered": ordered,
                     "missing": kw.get("missing", "listwise"), "group": kw.get("group"),
                     "group_equal": kw.get("group_equal", []), "std_lv": kw.get("std_lv", False),
                     "style": "designed"}, d))
    return add


def _designed(rng, start):
    out = []
    add = _adder(out, start)

    one = {f"y{i}": {"F1": lam} for i, lam in enumerate([.7, .6, .65, .55, .75], 1)}
    two = {**{f"y{i}": {"F1": .7} for i in (1, 2, 3)}, **{f"y{i}": {"F2": .65} for i in (4, 5, 6)}}
    all5 = [f"y{i}" for i in range(1, 6)]
    all6 = [f"y{i}" for i in range(1, 7)]

    # under-identified: a free intercept of an ordered item next to its thresholds
    d, _ = discretise(rng, simulate(rng, 300, one, {}), all5, dict.fromkeys(all5, 4), 0.0)
    add("under_identified", "F1 =~ y1 + y2 + y3 + y4 + y5\ny2 ~ 1", d, all5)
    # under-identified: two factors, one with a single indicator and a free residual
    d, _ = discretise(rng, simulate(rng, 300, two, {}), all6[:4], dict.fromkeys(all6, 3), 0.0)
    add("single_indicator_free_residual", "F1 =~ y1 + y2 + y3\nF2 =~ y4\nF2 ~~ F2\ny4 ~~ y4",
        d[["y1", "y2", "y3", "y4"]], ["y1", "y2", "y3"])
    # an empty category in one group (lavaan stops)
    blocks = []
    for gi in (1, 2):
        b, _ = discretise(rng, simulate(rng, 200, one, {}), all5, dict.fromkeys(all5, 4), 0.0,
                          cuts={it: np.array([-1.0, 0.0, 1.0]) for it in all5})
        blocks.append(b.assign(g=gi))
    d = pd.concat(blocks, ignore_index=True)
    d.loc[(d.g == 2) & (d.y3 == 4), "y3"] = 3
    add("empty_category_in_group", "F1 =~ y1 + y2 + y3 + y4 + y5", d, all5, group="g",
        group_equal=["loadings", "thresholds"])
    # a constant ordered item
    d, _ = discretise(rng, simulate(rng, 200, one, {}), all5, dict.fromkeys(all5, 3), 0.0)
    d["y4"] = 2.0
    add("constant_ordered", "F1 =~ y1 + y2 + y3 + y4 + y5", d, all5)
    # a continuous variable with a huge variance beside ordered items
    d, _ = discretise(rng, simulate(rng, 300, one, {}), all5[:4], dict.fromkeys(all5, 5), 0.0)
    d["y5"] = d["y5"] * 1e5
    add("huge_variance_continuous", "F1 =~ y1 + y2 + y3 + y4 + y5", d, all5[:4])
    # sparse binary items: an empty cell in a 2x2 table
    d, _ = discretise(rng, simulate(rng, 120, one, {}), all5, dict.fromkeys(all5, 2), 0.0,
                      cuts={"y1": np.array([1.6]), "y2": np.array([-1.6])})
    d.loc[(d.y1 == 2) & (d.y2 == 1), "y2"] = 2
    add("empty_cell_binary", "F1 =~ y1 + y2 + y3 + y4 + y5", d, all5)
    # seven categories, N = 70: many empty cells in the bivariate tables
    d, _ = discretise(rng, simulate(rng, 70, two, {}), all6, dict.fromkeys(all6, 7), 0.0)
    for it in all6:
        levels = sorted(d[it].unique())
        d[it] = d[it].map({v: i + 1 for i, v in enumerate(levels)})
    add("seven_small", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6", d, all6)
    # negative df: one factor with two binary items and a free residual covariance
    d, _ = discretise(rng, simulate(rng, 200, {"y1": {"F1": .7}, "y2": {"F1": .7}}, {}), ["y1", "y2"],
                      {"y1": 2, "y2": 2}, 0.0)
    add("negative_df", "F1 =~ y1 + y2", d, ["y1", "y2"])
    # a model variable that is not in the data
    d, _ = discretise(rng, simulate(rng, 200, one, {}), all5, dict.fromkeys(all5, 3), 0.0)
    add("unknown_variable", "F1 =~ y1 + y2 + y3 + y4 + y9", d, all5)
    # a duplicated element
    add("duplicate_element", "F1 =~ y1 + y2 + y3 + y4 + y5\ny2 ~~ y3\ny2 ~~ y3", d, all5)
    # a Heywood case on a continuous indicator (its residual variance estimate < 0)
    raw = simulate(rng, 150, {"y1": {"F1": .95}, "y2": {"F1": .95}, "y3": {"F1": .4}, "y4": {"F1": .4}}, {})
    raw["y1"] = raw["y2"] + rng.normal(scale=0.02, size=150)
    d, _ = discretise(rng, raw, ["y3", "y4"], {"y3": 4, "y4": 4}, 0.0)
    d["y2"] = raw["y2"].round(4)
    add("heywood_continuous", "F1 =~ y1 + y2 + y3 + y4", d, ["y3", "y4"])
    # an ordered item with codes 0/5/10 (three levels, not 1..k)
    d, _ = discretise(rng, simulate(rng, 250, one, {}), all5, dict.fromkeys(all5, 3), 0.0)
    d["y2"] = (d["y2"] - 1) * 5
    add("codes_0_5_10", "F1 =~ y1 + y2 + y3 + y4 + y5", d, all5)
    # == between a loading and a number times another
    d, _ = discretise(rng, simulate(rng, 300, one, {}), all5, dict.fromkeys(all5, 4), 0.0)
    add("equality_scaled", "F1 =~ y1 + a*y2 + b*y3 + y4 + y5\na == 2*b", d, all5)
    # three groups, std.lv, latent path
    blocks, cuts = [], {}
    for gi in (1, 2, 3):
        b, cuts = discretise(rng, simulate(rng, 180, two, {("F2", "F1"): 0.5}, shift=0.2 * gi), all6,
                             dict.fromkeys(all6, 3), 0.0, cuts)
        blocks.append(b.assign(g=gi))
    add("three_groups_path_stdlv", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6\nF2 ~ F1",
        pd.concat(blocks, ignore_index=True), all6, group="g", std_lv=True)
    # pairwise missingness: an item missing for a whole block of rows beside another's gaps
    d, _ = discretise(rng, simulate(rng, 260, two, {}), all6[:5], dict.fromkeys(all6, 4), 0.0)
    d.loc[:80, "y1"] = np.nan
    d.loc[60:140, "y6"] = np.nan
    add("pairwise_block_mixed", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6", d, all6[:5], missing="pairwise")
    out += _designed_more(rng, start + len(out))
    return out


def _groups(rng, ngroups, n, loadings, ordered, ncat, beta=None, missing=0.0):
    """``ngroups`` blocks (column ``g``) sharing the thresholds; every category seen in every group."""
    cuts, blocks = {}, []
    for gi in range(ngroups):
        b, cuts = discretise(rng, simulate(rng, n, loadings, beta or {}, shift=0.3 * gi), ordered, ncat, 0.0,
                             cuts)
        blocks.append(b.assign(g=gi + 1))
    d = pd.concat(blocks, ignore_index=True)
    if missing:
        items = [c for c in d.columns if c != "g"]
        d[items] = d[items].mask(rng.random((len(d), len(items))) < missing)
    return d


def _designed_more(rng, start):
    """Second set of designed cases: other group.equal sets, threshold labels, NA* markers, fixed
    covariances, ordered outcomes of factors with ``:=``."""
    out = []
    add = _adder(out, start)

    two = {**{f"y{i}": {"F1": .7} for i in (1, 2, 3)}, **{f"y{i}": {"F2": .65} for i in (4, 5, 6)}}
    all6 = [f"y{i}" for i in range(1, 7)]
    d = _groups(rng, 2, 300, two, all6, dict.fromkeys(all6, 4), beta={("F2", "F1"): 0.5})
    add("groups_regressions_means", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6\nF2 ~ F1", d, all6, group="g",
        group_equal=["loadings", "thresholds", "regressions", "means"])
    d = _groups(rng, 2, 300, two, all6, dict.fromkeys(all6, 2))
    add("binary_groups_residual_cov", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6\ny1 ~~ y4", d, all6, group="g",
        group_equal=["loadings", "thresholds", "residual.covariances"])
    d = _groups(rng, 2, 250, two, all6[:4], dict.fromkeys(all6, 3), missing=0.06)
    add("groups_pairwise_mixed", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6", d, all6[:4], group="g",
        group_equal=["loadings", "thresholds"], missing="pairwise")
    d = _groups(rng, 2, 300, two, all6, dict.fromkeys(all6, 5))
    add("groups_std_lv_loadings", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6", d, all6, group="g",
        group_equal=["loadings"], std_lv=True)
    d = _groups(rng, 3, 220, two, all6, dict.fromkeys(all6, 7))
    add("seven_three_groups_equal", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6", d, all6, group="g",
        group_equal=["loadings", "thresholds", "lv.variances", "lv.covariances"])
    d, _ = discretise(rng, simulate(rng, 350, two, {}), all6, dict.fromkeys(all6, 3), 0.0)
    add("threshold_labels", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6\ny1 | a*t1\ny2 | a*t1", d, all6)
    add("na_marker_fixed_variance", "F1 =~ NA*y1 + y2 + y3\nF2 =~ NA*y4 + y5 + y6\nF1 ~~ 1*F1\nF2 ~~ 1*F2",
        d, all6)
    add("orthogonal_and_fixed_residual_cov", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6\nF1 ~~ 0*F2\n"
        "y2 ~~ 0.1*y5", d, all6)
    med = {**{f"y{i}": {"F1": .7} for i in (1, 2, 3)}, **{f"y{i}": {"F2": .7} for i in (4, 5, 6)},
           "y7": {"P": 1.0}}
    raw = simulate(rng, 400, med, {("F2", "F1"): 0.5, ("P", "F2"): 0.5})
    d, _ = discretise(rng, raw, all6 + ["y7"], dict.fromkeys(all6 + ["y7"], 2), 0.0)
    add("ordered_outcome_mediation", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6\nF2 ~ a*F1\ny7 ~ b*F2 + c*F1\n"
        "ab := a*b\ntot := c + a*b", d, all6 + ["y7"])
    d, _ = discretise(rng, raw, all6, dict.fromkeys(all6, 4), 0.0)
    add("continuous_outcome_mediation", "F1 =~ y1 + y2 + y3\nF2 =~ y4 + y5 + y6\nF2 ~ a*F1\ny7 ~ b*F2 + c*F1\n"
        "ab := a*b\ntot := c + a*b", d, all6)
    return out


def main(seed=SEED, out=HERE):
    """Write the cases; another ``seed`` and directory (``argv[1:3]``) give a fresh batch to explore."""
    rng = np.random.default_rng(seed)
    items = [_random_case(rng, cid) for cid in range(1, N_RANDOM + 1)] + _designed(rng, N_RANDOM + 1)
    cases, blocks = [], []
    for case, d in items:
        case["columns"] = list(d.columns)
        cases.append(case)
        blocks.append(d.assign(case=case["case"]))
    data = pd.concat(blocks, ignore_index=True)
    cols = ["case"] + sorted((c for c in data.columns if c != "case"),
                             key=lambda c: (c[0], int(c[1:]) if c[1:].isdigit() else 0))
    (out / "data").mkdir(exist_ok=True)
    data[cols].to_csv(out / "data" / "wlsmv_review.csv", index=False)
    (out / "wlsmv_review_cases.json").write_text(json.dumps({"seed": seed, "cases": cases}, indent=1))
    print(f"{len(cases)} cases, {len(data)} rows")


if __name__ == "__main__":
    import sys

    main(*(int(sys.argv[1]), Path(sys.argv[2])) if len(sys.argv) > 2 else ())
