"""WLSMV stage 1 (thresholds, polychorics, Gamma) against lavaan 0.6.x."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.cfa.ordinal_stage1 import encode_ordinal, ordinal_stage1
from qimscale.analysis.cfa.wlsmv import collapse_categories, prepare_ordinal_data
from qimscale.errors import DataError, ModelError

REF = Path(__file__).parents[3] / "reference"


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "wlsmv_reference.json").read_text())


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "data" / "wlsmv_ordinal.csv")


@pytest.fixture(scope="module")
def six(ref, data):
    items = ref["stage1"]["items"]
    codes, lv = encode_ordinal(data, items)
    return ordinal_stage1(codes, [len(lv[i]) for i in items], items)


def test_thresholds_match_lavaan(six, ref):
    np.testing.assert_allclose(np.concatenate(six.thresholds), ref["stage1"]["th"], atol=1e-10)


def test_polychorics_match_lavaan(six, ref):
    np.testing.assert_allclose(six.cor, np.array(ref["stage1"]["cor"]), atol=1e-6)


def test_gamma_matches_lavaan(six, ref):
    G = np.array(ref["stage1"]["gamma"])
    assert six.gamma.shape == G.shape == (39, 39)
    np.testing.assert_allclose(six.gamma, G, rtol=1e-6, atol=1e-6 * np.abs(G).max())
    np.testing.assert_allclose(1 / np.diag(six.gamma), ref["stage1"]["wls_v_diag"], rtol=1e-6)


def test_statistics_order_is_lavaans(six, ref):
    # thresholds item by item, then vech(cor) below the diagonal, column-wise
    p = len(six.items)
    r = six.s[six.n_thresholds:]
    expect = [six.cor[i, j] for j in range(p - 1) for i in range(j + 1, p)]
    np.testing.assert_allclose(r, expect)


def test_weights_18_items(ref, data):
    items = ref["items"]
    by, labels, levels, dropped = prepare_ordinal_data(data, items)
    st = ordinal_stage1(by[0], [len(levels[i]) for i in items], items)
    assert dropped == 0 and labels == [None]
    np.testing.assert_allclose(st.cor, np.array(ref["single"]["cor"]), atol=1e-6)
    np.testing.assert_allclose(1 / np.diag(st.gamma), ref["single"]["wls_v_diag"], rtol=1e-5)


def test_empty_category_is_an_error_naming_item_and_group(data):
    d = data[~((data.group == "B") & (data.y4 == 5))]
    by, labels, levels, _ = prepare_ordinal_data(d, ["y1", "y2", "y4"], "group")
    with pytest.raises(DataError, match=r"item 'y4' in group 'B': category 5 of 5 is empty"):
        for c, lab in zip(by, labels):
            ordinal_stage1(c, [len(levels[v]) for v in ["y1", "y2", "y4"]], ["y1", "y2", "y4"],
                           group_label=lab)


def test_explicit_collapse_is_a_copy(data):
    out = collapse_categories(data, {"y4": {5: 4}})
    assert (out.y4 == 5).sum() == 0
    assert (data.y4 == 5).sum() > 0  # input untouched


def test_sparse_category_warns(data):
    d = data.copy()
    keep = ~((d.y1 == 1) & (d.index > 3))
    d = d[keep | (d.index < 0)]
    d = pd.concat([d, data[data.y1 == 1].head(3)])
    codes, lv = encode_ordinal(d, ["y1", "y2"])
    with pytest.warns(UserWarning, match="fewer than 5 responses"):
        ordinal_stage1(codes, [5, 5], ["y1", "y2"])


def test_missing_rows_are_dropped_and_counted(data):
    d = data.head(300).copy().astype({"y1": float})
    d.loc[[3, 7], "y1"] = np.nan
    by, _, _, dropped = prepare_ordinal_data(d, ["y1", "y2"])
    assert dropped == 2 and by[0].shape == (298, 2)


def test_unknown_column_is_an_error(data):
    with pytest.raises(DataError, match="not found"):
        prepare_ordinal_data(data, ["y1", "nope"])


def test_binary_items_with_an_empty_2x2_cell():
    # lavaan adds 0.5 to the empty cell (keeping the margins) before estimating rho
    ref = json.loads((REF / "wlsmv_binary.json").read_text())
    d = pd.read_csv(REF / "data" / "wlsmv_binary.csv")
    items = list(d.columns)
    codes, lv = encode_ordinal(d, items)
    st = ordinal_stage1(codes, [2] * len(items), items)
    np.testing.assert_allclose(st.cor, np.array(ref["cor"]), atol=1e-6)
    G = np.array(ref["gamma"])
    np.testing.assert_allclose(st.gamma, G, rtol=1e-5, atol=1e-6 * np.abs(G).max())

    from qimscale.analysis.cfa.wlsmv import fit_wlsmv

    res = fit_wlsmv(d, "f =~ b1 + b2 + b3 + b4 + b5", ordered="all")
    for k in ("chisq", "df", "chisq_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "srmr"):
        assert res.fit[k] == pytest.approx(ref["fit"][k.replace("_", ".")], rel=2e-5, abs=1e-8), k


def test_text_categories_need_an_order(data):
    d = data[["y1", "y2"]].head(50).astype({"y1": str})
    with pytest.raises(DataError, match=r"'y1' is not numeric \(e.g. value '"):
        encode_ordinal(d, ["y1", "y2"])
    lab = ["never", "rarely", "sometimes", "often", "always"]
    d = data[["y1", "y2"]].head(200).copy()
    d["y1"] = pd.Categorical.from_codes(d.y1 - 1, lab, ordered=True)
    codes, lv = encode_ordinal(d, ["y1", "y2"])
    assert lv["y1"] == lab and (codes[:, 0] == data.y1.head(200) - 1).all()


@pytest.fixture(scope="module")
def pairwise_ref():
    return json.loads((REF / "wlsmv_pairwise.json").read_text())


def test_pairwise_missing_matches_lavaan(pairwise_ref):
    from qimscale.analysis.cfa.wlsmv import fit_wlsmv

    ref = pairwise_ref
    d = pd.read_csv(REF / "data" / "wlsmv_pairwise.csv")
    res = fit_wlsmv(d, "f1 =~ y1 + y2 + y3 + y4 + y5 + y6", ordered="all", missing="pairwise")
    st = res.stats[0]
    np.testing.assert_allclose(np.concatenate(st.thresholds), ref["single"]["th"], atol=1e-10)
    np.testing.assert_allclose(st.cor, np.array(ref["single"]["cor"]), atol=1e-6)
    G = np.array(ref["single"]["gamma"])
    np.testing.assert_allclose(st.gamma, G, rtol=1e-5, atol=1e-6 * np.abs(G).max())
    for k, v in ref["single"]["fit"].items():
        assert res.fit[k.replace(".", "_")] == pytest.approx(v, rel=1e-5, abs=1e-8), k
    res = fit_wlsmv(d, "f1 =~ y1 + y2 + y3 + y4 + y5 + y6", ordered="all", missing="pairwise",
                    group="group", group_equal=["thresholds", "loadings"])
    for k, v in ref["group"]["fit"].items():
        assert res.fit[k.replace(".", "_")] == pytest.approx(v, rel=1e-5, abs=1e-8), k
    with pytest.raises(ModelError, match="missing"):
        fit_wlsmv(d, "f1 =~ y1 + y2 + y3", ordered="all", missing="fiml")
