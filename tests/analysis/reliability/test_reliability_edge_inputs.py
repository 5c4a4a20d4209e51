"""Input edge cases found in review: non-finite values, pandas dtypes, indexes."""

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.correlation import correlation
from qimscale.analysis.omega import omega_total
from qimscale.analysis.reliability import alpha, item_matrix
from qimscale.analysis.splithalf import split_half
from qimscale.errors import DataError

RNG = np.random.default_rng(7)
_Z = RNG.multivariate_normal(np.zeros(5), 0.5 * np.eye(5) + 0.5, size=120)
DATA = pd.DataFrame(np.digitize(_Z, [-1, -0.3, 0.3, 1]) + 1, columns=list("abcde"))


@pytest.mark.parametrize("value", [np.inf, -np.inf])
@pytest.mark.parametrize("func", [item_matrix, alpha, omega_total, split_half, correlation])
def test_infinite_value_is_an_error_naming_column_and_row(func, value):
    bad = DATA.astype(float)
    bad.loc[4, "c"] = value
    with pytest.raises(DataError, match=r"row 6, column 'c': value -?inf is infinite"):
        func(bad)


def test_infinite_in_whole_column_is_not_mistaken_for_a_constant_item():
    bad = DATA.astype(float).assign(a=np.inf)
    with pytest.raises(DataError, match=r"column 'a'.*inf"):
        alpha(bad)


ICC_DF = pd.DataFrame({"t1": [1, 2, 3, 4, 5.0], "t2": [2, 2, 4, 5, 5], "t3": [1, 3, 3, 4, 6]})


def test_icc_unknown_column_is_a_data_error_not_a_key_error():
    from qimscale.analysis.icc import icc

    with pytest.raises(DataError, match=r"icc: column\(s\) 'zz' not found"):
        icc(ICC_DF, ["t1", "zz"])


def test_icc_infinite_rating_is_an_error_not_nan():
    from qimscale.analysis.icc import icc

    with pytest.raises(DataError, match=r"icc: row 3, column 't2': value inf is infinite"):
        icc(ICC_DF.assign(t2=[2, np.inf, 4, 5, 5]))


def test_scale_reliability_split_half_with_a_dropped_reverse_keyed_item():
    # alpha leaves out the constant item 'd' (with a warning); ω and split-half must do the same
    # instead of failing on "reverse-keyed item(s) d are not among the items"
    from qimscale.analysis.reliability import scale_reliability

    data = DATA.assign(d=3)
    ref = split_half(DATA[["a", "b", "c", "e"]])
    out = scale_reliability(data, {"s": ["a", "b", "c", "d", "e"]}, reverse={"s": ["d"]},
                            ranges={"s": (1, 5)}, split_half=True)["scales"][0]
    assert out["k"] == 4
    assert out["split_half"]["lambda4"] == pytest.approx(ref.lambda4, abs=1e-12)
    assert out["omega_total"] == pytest.approx(omega_total(DATA[["a", "b", "c", "e"]]), abs=1e-12)


def test_icc_duplicated_column_names_are_a_data_error():
    from qimscale.analysis.icc import icc

    with pytest.raises(DataError, match=r"icc: column\(s\) 't1' appear more than once"):
        icc(ICC_DF.set_axis(["t1", "t2", "t1"], axis=1))


@pytest.mark.parametrize("n_sample", [0, -1, 2.5, True])
def test_split_half_bad_n_sample_is_a_data_error(n_sample):
    wide = pd.concat([DATA, DATA.add_suffix("2"), DATA.add_suffix("3")], axis=1)  # 15 items: sampled
    with pytest.raises(DataError, match=r"n_sample must be a positive integer"):
        split_half(wide, n_sample=n_sample)


@pytest.mark.parametrize("n_factors", [True, 2.0, 0])
def test_omega_n_factors_must_be_a_positive_integer_not_a_bool(n_factors):
    from qimscale.analysis.omega import omega
    from qimscale.errors import ModelError

    with pytest.raises(ModelError, match="n_factors must be a positive integer"):
        omega(DATA, n_factors=n_factors)


@pytest.mark.parametrize("func", [alpha, omega_total, split_half, correlation])
@pytest.mark.parametrize("n_rows", [1, 2])
def test_too_few_rows_say_so_instead_of_calling_every_item_constant(func, n_rows):
    with pytest.raises(DataError, match=rf"only {n_rows} usable row\(s\); at least 3 respondents"):
        func(DATA.iloc[:n_rows])


def test_icc_long_input_names_the_data_row_of_a_non_numeric_rating():
    from qimscale.analysis.icc import icc

    long = ICC_DF.assign(id=range(5)).melt(id_vars="id", var_name="occ", value_name="y")
    long["y"] = long["y"].astype(object)
    long.loc[7, "y"] = "x"          # subject 2, occasion t2
    with pytest.raises(DataError, match=r"icc: row 9, column 'y': value 'x' is not a number"):
        icc(long, subject="id", rater="occ", value="y")
