"""Keyed bfi scales with missing values against psych (tests/reference/review3_reliability_keys.R).

Three scales with two reverse-keyed items each (C4/C5, E1/E2, O2/O5): psych::alpha
pairwise and on na.omit(x), with and without an explicit response range; psych::omega
with three group factors on the 15 items, letting psych flip the reversed items and
with the items reversed beforehand (also ``poly=TRUE``, compared at psych's polychoric
precision, 1e-4); psych::splitHalf of keyed scales of 5 and 10 items; and the CLI's
``reliability``/``omega --json`` for the same keyed scales.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.analysis.omega import omega
from qimscale.analysis.reliability import alpha
from qimscale.analysis.splithalf import split_half
from qimscale.cli import main

REF_DIR = Path(__file__).parents[2] / "reference"
REF = json.loads((REF_DIR / "review3_reliability_keys.json").read_text())
DATA = REF_DIR / "reliability_bfi_data.csv"
BFI = pd.read_csv(DATA)
SCALES = REF["scales"]
ITEMS15 = [i for s in SCALES.values() for i in s["items"]]
KEYS15 = [k for s in SCALES.values() for k in s["keys"]]
TOL = 1e-8  # closed forms

TOTAL = {"raw_alpha": "raw_alpha", "std.alpha": "std_alpha", "G6(smc)": "g6", "average_r": "average_r",
         "S/N": "signal_noise", "ase": "ase", "mean": "mean", "sd": "sd", "median_r": "median_r"}
STATS = {"n": "n", "raw.r": "raw_r", "std.r": "std_r", "r.cor": "r_cor", "r.drop": "r_drop", "mean": "mean",
         "sd": "sd"}
DROP = {"raw_alpha": "raw_alpha", "std.alpha": "std_alpha", "G6(smc)": "g6", "average_r": "average_r",
        "S/N": "signal_noise", "alpha se": "alpha_se", "var.r": "var_r", "med.r": "median_r"}
OMEGA = {"omega_h": "omega_h", "omega_tot": "omega_total", "alpha": "alpha", "G6": "g6",
         "omega_lim": "omega_lim", "ECV": "ecv"}


@pytest.mark.parametrize("key_range", [None, (1, 6)])
@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
@pytest.mark.parametrize("scale", list(SCALES))
def test_alpha_with_two_reverse_keys(scale, missing, key_range):
    sp = SCALES[scale]
    ref = REF[f"alpha_{scale}" + ("_listwise" if missing == "listwise" else "")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # listwise announces the rows it dropped
        res = alpha(BFI, sp["items"], keys=sp["keys"], missing=missing, key_range=key_range)
    for rname, attr in TOTAL.items():
        assert getattr(res, attr) == pytest.approx(ref["total"][rname], abs=TOL), rname
    assert res.items == [i.rstrip("-") for i in ref["items"]]
    assert list(res.keys) == sp["keys"]
    for rname, col in STATS.items():
        np.testing.assert_allclose(res.item_stats[col], ref["item_stats"][rname], atol=TOL, rtol=0, err_msg=rname)
    for rname, col in DROP.items():
        np.testing.assert_allclose(res.alpha_drop[col], np.array(ref["alpha_drop"][rname], dtype=float),
                                   atol=TOL, rtol=0, err_msg=rname)
    assert res.feldt == pytest.approx((ref["feldt"]["lower"], ref["feldt"]["upper"]), abs=1e-6)


KEYED = {"keys": KEYS15, "key_range": (1, 6)}


@pytest.mark.parametrize("name,kw,tol", [("omega3_flip", {}, 1e-6), ("omega3_keyed", KEYED, 1e-6),
                                         ("omega3_poly_keyed", {**KEYED, "poly": True}, 1e-4)])
def test_omega_three_group_factors(name, kw, tol):
    ref = REF[name]
    res = omega(BFI, ITEMS15, n_factors=3, **kw)
    for rk, attr in OMEGA.items():
        assert getattr(res, attr) == pytest.approx(ref[rk], abs=tol), rk
    assert res.items == ref["items"]  # psych's flip marks the reflected items with '-'
    assert list(res.sl.columns) == ref["sl_cols"]
    np.testing.assert_allclose(res.sl.to_numpy(), np.array(ref["sl"]), atol=tol)
    np.testing.assert_allclose(res.phi, np.array(ref["phi"]), atol=tol)
    grp = ref["group"]
    assert list(res.group.index) == grp["rows"]
    for col in ("total", "general", "group"):
        np.testing.assert_allclose(res.group[col], grp[col], atol=tol, err_msg=col)


@pytest.mark.parametrize("name,scales,n_splits", [("split_C", ["C"], 5), ("split_CE", ["C", "E"], 126)])
def test_split_half_of_keyed_scales(name, scales, n_splits):
    items = [i for s in scales for i in SCALES[s]["items"]]
    keys = [k for s in scales for k in SCALES[s]["keys"]]
    res, ref = split_half(BFI, items, keys=keys, key_range=(1, 6)), REF[name]
    assert res.n_splits == n_splits  # psych: all splits, only half of them for an odd number of items
    for rk, attr in {"maxrb": "lambda4", "minrb": "min_split", "meanr": "mean_split", "av_r": "average_r",
                     "med_r": "median_r", "alpha": "alpha", "lambda2": "lambda2", "lambda6": "lambda6"}.items():
        assert getattr(res, attr) == pytest.approx(ref[rk], abs=TOL), rk


def _scale_args():
    args = []
    for name, sp in SCALES.items():
        args += ["--scale", name + "=" + ",".join(("-" if i in sp["keys"] else "") + i for i in sp["items"])]
    return args


def test_cli_reliability_json_for_keyed_scales():
    res = CliRunner().invoke(main, ["reliability", str(DATA), *_scale_args(), "--min", "1", "--max", "6", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)["scales"]
    assert [s["scale"] for s in out] == list(SCALES)
    for s in out:
        ref, sp = REF[f"alpha_{s['scale']}"], SCALES[s["scale"]]
        assert s["n"] == len(BFI) and s["k"] == 5 and s["reverse"] == sp["keys"]
        assert s["alpha"] == pytest.approx(ref["total"]["raw_alpha"], abs=TOL)
        assert s["std_alpha"] == pytest.approx(ref["total"]["std.alpha"], abs=TOL)
        assert s["g6"] == pytest.approx(ref["total"]["G6(smc)"], abs=TOL)
        assert s["alpha_ci"] == pytest.approx([ref["feldt"]["lower"], ref["feldt"]["upper"]], abs=1e-6)
        assert s["omega_total"] == pytest.approx(REF[f"omega1_{s['scale']}"], abs=1e-6)
        assert [i["item"] for i in s["items"]] == sp["items"]
        np.testing.assert_allclose([i["r_drop"] for i in s["items"]], ref["item_stats"]["r.drop"], atol=TOL)
        np.testing.assert_allclose([i["alpha_if_deleted"] for i in s["items"]], ref["alpha_drop"]["raw_alpha"],
                                   atol=TOL)
        assert [i["n"] for i in s["items"]] == ref["item_stats"]["n"]


def test_cli_reliability_json_listwise():
    res = CliRunner().invoke(main, ["reliability", str(DATA), *_scale_args(), "--min", "1", "--max", "6",
                                    "--missing", "listwise", "--json"])
    assert res.exit_code == 0, res.output
    for s in json.loads(res.stdout)["scales"]:
        ref = REF[f"alpha_{s['scale']}_listwise"]
        assert s["missing"] == "listwise" and s["n"] == ref["item_stats"]["n"][0]
        assert s["alpha"] == pytest.approx(ref["total"]["raw_alpha"], abs=TOL)
        assert s["omega_total"] == pytest.approx(REF[f"omega1_{s['scale']}_listwise"], abs=1e-6)


def test_cli_omega_json_for_keyed_scales():
    res = CliRunner().invoke(main, ["omega", str(DATA), *_scale_args(), "--min", "1", "--max", "6",
                                    "--n-factors", "3", "--json"])
    assert res.exit_code == 0, res.output
    out, ref = json.loads(res.stdout), REF["omega3_keyed"]
    assert out["omega_h"] == pytest.approx(ref["omega_h"], abs=1e-6)
    assert out["omega_total"] == pytest.approx(ref["omega_tot"], abs=1e-6)
    assert out["alpha"] == pytest.approx(ref["alpha"], abs=1e-8)
    assert sorted(out["reverse"]) == sorted(KEYS15)
