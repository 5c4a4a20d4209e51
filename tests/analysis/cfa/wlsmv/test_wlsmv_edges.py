"""Edge cases found in review of the WLSMV front end (groups emptied by deletion, estimator choice)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.cfa import CFA, measurement_invariance
from qimscale.errors import DataError, ModelError

DATA = Path(__file__).parents[3] / "reference" / "data"
MODEL = "F1 =~ y1 + y2 + y3 + y4 + y5 + y6\nF2 =~ y7 + y8 + y9 + y10 + y11 + y12"


@pytest.fixture(scope="module")
def ordinal():
    return pd.read_csv(DATA / "wlsmv_ordinal.csv")


def test_group_emptied_by_listwise_deletion_is_an_error_not_dropped(ordinal):
    d = ordinal.copy()
    d.loc[d.group == "A", "y3"] = np.nan
    with pytest.raises(DataError, match="group 'A': 0 case"):
        CFA(MODEL, ordered="all", group="group").fit(d)


def test_item_without_values_in_a_group_named_under_pairwise(ordinal):
    d = ordinal.copy()
    d.loc[d.group == "A", "y3"] = np.nan
    with pytest.raises(DataError, match="item 'y3' in group 'A' has no observed values"):
        CFA(MODEL, ordered="all", group="group", missing="pairwise").fit(d)


def test_ordered_without_estimator_is_wlsmv(ordinal):
    assert CFA(MODEL, ordered="all").fit(ordinal).estimator == "WLSMV"


@pytest.mark.parametrize("estimator", ["ML", "MLR", "mlr"])
def test_ordered_with_a_continuous_estimator_is_a_model_error(ordinal, estimator):
    with pytest.raises(ModelError, match="ordered items need estimator 'WLSMV'"):
        CFA(MODEL, ordered="all", estimator=estimator).fit(ordinal)
    with pytest.raises(ModelError, match="ordered items need estimator 'WLSMV'"):
        measurement_invariance(MODEL, ordinal, group="group", ordered="all", estimator=estimator)


def test_ordered_true_means_all_items_as_lavaan(ordinal):
    a = CFA(MODEL, ordered=True).fit(ordinal).fit_measures()
    b = CFA(MODEL, ordered="all").fit(ordinal).fit_measures()
    assert a["chisq"] == b["chisq"] and a["df"] == b["df"]


def test_duplicated_item_column_is_a_data_error(ordinal):
    d = pd.concat([ordinal, ordinal[["y2"]]], axis=1)
    with pytest.raises(DataError, match="'y2'.*appear more than once"):
        CFA(MODEL, ordered="all").fit(d)


@pytest.mark.parametrize("thr", ["t0", "q1", "tx"])
def test_badly_named_threshold_is_a_model_error_saying_so(ordinal, thr):
    # was "the model is not identified" (t0, q1) or a ValueError from int() (tx)
    with pytest.raises(ModelError, match="thresholds are named t1, t2"):
        CFA(f"F1 =~ y1 + y2 + y3 + y4\ny1 | {thr}", ordered="all").fit(ordinal)


def test_group_column_that_is_an_item_is_a_model_error(ordinal):
    with pytest.raises(ModelError, match="group column 'y1' is also a variable of the model"):
        CFA(MODEL, ordered="all", group="y1").fit(ordinal)
