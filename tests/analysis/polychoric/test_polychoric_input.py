"""Bad input to polychoric: clear errors and warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.polychoric import PolychoricWarning, polychoric, polychoric_pair, polyserial
from qimscale.errors import DataError


@pytest.fixture
def items():
    rng = np.random.default_rng(3)
    z = rng.multivariate_normal(np.zeros(3), [[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], size=200)
    return pd.DataFrame(np.digitize(z, [-1, 0, 1]) + 1.0, columns=["a", "b", "c"])


def test_constant_item(items):
    items["c"] = 3
    with pytest.raises(DataError, match="item 'c' is constant .*remove it"):
        polychoric(items)


def test_single_observed_category_with_missing(items):
    items["b"] = np.where(np.arange(len(items)) % 2 == 0, 2.0, np.nan)
    with pytest.raises(DataError, match="item 'b' is constant"):
        polychoric(items)


def test_all_missing_item(items):
    items["a"] = np.nan
    with pytest.raises(DataError, match="item 'a' has no observed responses"):
        polychoric(items)


def test_non_numeric_column(items):
    items["b"] = items["b"].astype(str)
    items.loc[5, "b"] = "Agree"
    with pytest.raises(DataError, match="polychoric: row 7, column 'b': value 'Agree' is not a number"):
        polychoric(items)


def test_non_integer_and_infinite_values(items):
    bad = items.copy()
    bad.loc[7, "a"] = 2.5
    with pytest.raises(DataError, match="polychoric: row 9, column 'a': value 2.5 is not a whole number"):
        polychoric(bad)
    bad = items.copy()
    bad.loc[4, "c"] = np.inf
    with pytest.raises(DataError, match="polychoric: row 6, column 'c': value inf is infinite"):
        polychoric(bad)


def test_too_few_items_and_too_many_categories(items):
    with pytest.raises(DataError, match="at least 2 items"):
        polychoric(items[["a"]])
    wide = items.copy()
    wide["a"] = np.arange(len(items)) % 10
    with pytest.raises(DataError, match="item 'a' has 10 distinct values.*max_categories=8"):
        polychoric(wide)
    with pytest.warns(PolychoricWarning, match="equal number of response alternatives"):
        assert polychoric(wide, max_categories=10).corr.shape == (3, 3)


def test_bad_options(items):
    with pytest.raises(DataError, match="'missing' parameter"):
        polychoric(items, missing="everything")
    with pytest.raises(DataError, match="'global_thresholds' parameter"):
        polychoric(items, global_thresholds="yes")
    with pytest.raises(DataError, match="'correct' parameter"):
        polychoric(items, correct=-1)


def test_listwise_without_complete_rows(items):
    items.loc[::2, "a"] = np.nan
    items.loc[1::2, "b"] = np.nan
    with pytest.raises(DataError, match="listwise deletion leaves no data"):
        polychoric(items, missing="listwise")
    # pairwise: a and b never co-occur -> NaN with a warning, smoothing off
    with pytest.warns(PolychoricWarning) as rec:
        res = polychoric(items)
    assert any("no complete pairs" in str(w.message) for w in rec)
    assert np.isnan(res.corr.loc["a", "b"]) and not res.smoothed
    assert any("smoothing was turned off" in w for w in res.warnings)


def test_all_missing_rows_warn(items):
    items.loc[[3, 9], :] = np.nan
    with pytest.warns(PolychoricWarning, match="2 row"):
        polychoric(items)


def test_numpy_input_and_pair_errors(items):
    res = polychoric(items.to_numpy())
    assert list(res.corr.columns) == ["V1", "V2", "V3"]
    with pytest.raises(DataError, match="same length"):
        polychoric_pair([1, 2, 3], [1, 2])
    with pytest.raises(DataError, match="threshold vectors"):
        polychoric_pair([1, 2, 3, 1], [1, 2, 1, 2], tau_x=[0.0])
    with pytest.raises(DataError, match="constant"):
        polyserial([1.0, 1.0, 1.0, 1.0], [1, 2, 1, 2])


def test_ordered_categorical_columns(items):
    labels = ["never", "rarely", "often", "always"]
    cat = items.copy()
    for c in cat.columns:
        cat[c] = pd.Categorical.from_codes(items[c].astype(int) - 1, categories=labels, ordered=True)
    np.testing.assert_allclose(polychoric(cat).corr.to_numpy(), polychoric(items).corr.to_numpy(), atol=1e-12)
    cat["a"] = cat["a"].cat.as_unordered()
    with pytest.raises(DataError, match="column 'a': value .* is in an unordered categorical column"):
        polychoric(cat)


def test_boundary_correlation_warns():
    x = np.array([1, 1, 2, 2, 3, 3, 3, 1, 2, 3] * 5, dtype=float)
    df = pd.DataFrame({"a": x, "b": x, "c": np.roll(x, 3)})
    with pytest.warns(PolychoricWarning, match="'a' and 'b' is at the boundary"):
        res = polychoric(df, smooth=False)
    # psych::polychoric gives 0.999959 (optimize's tolerance at the end of (-1, 1))
    assert res.corr.loc["a", "b"] == pytest.approx(0.999959, abs=1e-4)


def test_pairwise_thresholds_degenerate_pair_is_nan(items):
    # a and b overlap only where b == 1, so the trimmed a x b table has a single column
    items.loc[items["b"] != 1, "a"] = np.nan
    with pytest.warns(PolychoricWarning) as rec:
        res = polychoric(items, global_thresholds=False)
    assert np.isnan(res.corr.loc["a", "b"])
    assert any("'a' and 'b': with pairwise thresholds" in str(w.message) for w in rec)
    with pytest.raises(DataError, match="'max_categories' parameter"):
        polychoric(items, max_categories=1)


def test_flat_likelihood_at_boundary_warns():
    # 2 x 2 table [[0, 4], [5, 80]]: the ML estimate is -1 and the likelihood is flat below about -0.9
    # (psych::polychoric gives -0.943, polycor::polychor -0.934)
    x = np.r_[np.zeros(4), np.ones(85)]
    y = np.r_[np.ones(4), np.zeros(5), np.ones(80)]
    z = (np.arange(89) % 3 == 0).astype(float)  # all four x-z cells are filled
    df = pd.DataFrame({"x": x, "y": y, "z": z})
    with pytest.warns(PolychoricWarning) as rec:
        res = polychoric(df, smooth=False)
    msgs = [str(w.message) for w in rec]
    assert any("'x' and 'y' is at the boundary" in m and "as high at -1" in m for m in msgs)
    assert not any("'x' and 'z' is at the boundary" in m for m in msgs)
    assert -1 < res.corr.loc["x", "y"] < -0.85
