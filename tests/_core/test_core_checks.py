"""The shared item validator, option checker and numerical policy (qimscale/_core)."""

import numpy as np
import pandas as pd
import pytest

from qimscale._core.checks import (check_columns, check_finite, check_numeric_columns, check_option, check_range,
                                   numeric_matrix, show_value)
from qimscale._core.linalg import is_positive_definite, is_positive_semidefinite, is_singular, rank
from qimscale.errors import DataError, ModelError


def test_message_names_file_context_spreadsheet_row_column_value_and_fix():
    df = pd.DataFrame({"a": [1, 2, 3], "b": [1, "Agree", 2]})
    with pytest.raises(DataError) as exc:
        numeric_matrix(df, ["a", "b"], source="resp.csv", context="scale 'lead'")
    assert str(exc.value).startswith("resp.csv: scale 'lead': row 3, column 'b': value 'Agree' is not a number. "
                                     "Recode the answers")


def test_long_values_are_cut_to_80_characters_with_their_length():
    text = "x" * 200
    shown = show_value(text)
    assert shown.startswith("'" + "x" * 80 + "…'") and shown.endswith("(200 characters)")
    with pytest.raises(DataError, match=r"\(200 characters\) is not a number"):
        numeric_matrix(pd.DataFrame({"a": [1.0, 2.0], "b": [text, None]}))


@pytest.mark.parametrize("values, problem", [
    (["1", "2"], "is a number stored as text"),        # never converted silently
    ([1, "2"], "is a number stored as text"),
    ([1.0, "n/a"], "is not a number"),
])
def test_text_is_never_converted(values, problem):
    with pytest.raises(DataError, match=problem):
        numeric_matrix(pd.DataFrame({"a": pd.Series(values, dtype=object)}))


def test_numbers_in_any_numeric_dtype_are_read():
    df = pd.DataFrame({"i": [1, 2], "f": [1.5, np.nan], "b": [True, False],
                       "n": pd.array([3, None], dtype="Int64"), "o": pd.Series([4, None], dtype=object),
                       "e": pd.Series([None, None], dtype=object)})
    x = numeric_matrix(df)
    np.testing.assert_array_equal(x, [[1, 1.5, 1, 3, 4, np.nan], [2, np.nan, 0, np.nan, np.nan, np.nan]])


def test_infinite_fractional_and_out_of_range_values():
    with pytest.raises(DataError, match=r"^row 3, column 'a': value -inf is infinite\. Use an empty cell"):
        numeric_matrix(pd.DataFrame({"a": [1.0, -np.inf]}))
    with pytest.raises(DataError, match=r"row 2, column 'a': value 2.5 is not a whole number"):
        numeric_matrix(pd.DataFrame({"a": [2.5, 1.0]}), integer=True)
    with pytest.raises(DataError, match=r"2 value\(s\) lie outside the response range 1-5 "
                                        r"\(row 2, column 'a': 0; row 4, column 'b': 9\)"):
        check_range(np.array([[0.0, 1.0], [1.0, 2.0], [3.0, 9.0]]), (1, 5), ["a", "b"])


def test_columns_missing_or_listed_twice():
    df = pd.DataFrame({"a": [1], "b": [2]})
    with pytest.raises(DataError, match=r"column\(s\) 'z' not found"):
        numeric_matrix(df, ["a", "z"])
    with pytest.raises(DataError, match=r"item\(s\) 'a' listed more than once"):
        numeric_matrix(df, ["a", "a"])


def test_categoricals_only_when_ordered_and_asked_for():
    cat = pd.Categorical(["lo", "hi", None], categories=["lo", "hi"], ordered=True)
    df = pd.DataFrame({"a": cat})
    np.testing.assert_array_equal(numeric_matrix(df, ordered_categorical=True)[:, 0], [1, 2, np.nan])
    with pytest.raises(DataError, match="ordered categorical column"):
        numeric_matrix(df)


def test_option_checker_uses_the_scikit_learn_template():
    with pytest.raises(ModelError, match=r"^The 'rotation' parameter of efa must be one of "
                                         r"\{'oblimin', 'varimax'\}\. Got 'varmax' instead\.$"):
        check_option("rotation", "varmax", ["oblimin", "varimax"], "efa")
    with pytest.raises(DataError):
        check_option("missing", ["x"], ("pairwise",), "alpha", error=DataError)   # unhashable value
    check_option("global_thresholds", True, (True, False, "auto"), "polychoric")


@pytest.mark.parametrize("eps", [-1e-17, 0.0, 1e-17])
def test_singularity_does_not_depend_on_the_sign_of_round_off(eps):
    # two identical items: one eigenvalue is zero up to round-off, whose sign is the BLAS kernel's choice
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    R = q @ np.diag([2.0, 1.0, 1.0, eps]) @ q.T
    assert is_singular(R) and not is_positive_definite(R) and is_positive_semidefinite(R) and rank(R) == 3


def test_information_matrices_are_judged_on_unit_diagonal():
    H = np.array([[1e8, 0.5], [0.5, 1e-8]])       # parameters on scales 10^8 apart, correlation 0.5
    assert is_singular(H) and not is_singular(H, scale=True)
    assert is_singular(np.array([[1.0, 0.0], [0.0, 0.0]]), scale=True)



def test_missing_column_names_its_role_and_the_data_columns():
    df = pd.DataFrame({"a": [1], "b": [2]})
    with pytest.raises(DataError, match=r"^d\.csv: column\(s\) 'y' \(the outcome\) not found in the data; its "
                                        r"columns are 'a', 'b'\. Check the spelling"):
        check_columns(df, ["a", "y"], source="d.csv", roles={"y": "the outcome"})


def test_finite_check_of_the_kept_rows_names_the_data_row_and_a_caller_fix():
    x = np.array([[1.0], [np.inf], [2.0], [-np.inf]])
    check_finite(x, ["a"], rows=[True, False, True, False])  # the infinite rows are not analysed
    with pytest.raises(DataError, match=r"^row 5, column 'a': value -inf is infinite\."):
        check_finite(x, ["a"], rows=[True, False, True, True])
    with pytest.raises(DataError, match=r"^row 3, column 'a': value 'x' is not a number\. The outcome must"):
        check_numeric_columns(pd.DataFrame({"a": [1, "x"]}), fix="The outcome must be numeric.")
