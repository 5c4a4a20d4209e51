"""EFA input edge cases found in review."""

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.efa import EFA
from qimscale.analysis.factorability import factorability
from qimscale.errors import DataError

RNG = np.random.default_rng(11)
_Z = RNG.multivariate_normal(np.zeros(6), 0.5 * np.eye(6) + 0.5, size=150)
DATA = pd.DataFrame(np.digitize(_Z, [-1, -0.3, 0.3, 1]) + 1, columns=list("abcdef"))


@pytest.mark.parametrize("fit", [lambda d: EFA(n_factors=1).fit(d), factorability])
def test_infinite_value_is_an_error_naming_column_and_row(fit):
    bad = DATA.astype(float)
    bad.loc[9, "d"] = np.inf
    with pytest.raises(DataError, match=r"row 11, column 'd': value inf is infinite"):
        fit(bad)


def test_scores_work_on_the_fitted_frame_when_column_names_are_not_strings():
    data = DATA.set_axis(range(6), axis=1)
    res = EFA(n_factors=1).fit(data).results_
    by_int = res.scores(data)
    by_str = EFA(n_factors=1).fit(DATA).results_.scores(DATA)
    np.testing.assert_allclose(by_int.to_numpy(), by_str.to_numpy(), atol=1e-12)


def test_scores_reject_an_array_of_the_wrong_width():
    res = EFA(n_factors=1).fit(DATA).results_
    with pytest.raises(DataError, match=r"6 item columns.*got shape \(150, 4\)"):
        res.scores(DATA.to_numpy()[:, :4])


def test_scores_do_not_silently_convert_text_columns():
    res = EFA(n_factors=1).fit(DATA).results_
    with pytest.raises(DataError, match=r"scores: row 2, column .*is a number stored as text"):
        res.scores(DATA.astype(str))


@pytest.mark.parametrize("n", [0, -2])
def test_map_needs_at_least_one_component(n):
    from qimscale.analysis.nfactors import velicer_map

    with pytest.raises(DataError, match=r"'n' parameter of velicer_map"):
        velicer_map(DATA, n=n)


@pytest.mark.parametrize("n_obs", [0, -5, 2, 2.5, "100", True])
def test_bad_sample_size_is_an_error_not_a_silent_fit(n_obs):
    from qimscale.analysis.factorability import bartlett_sphericity
    from qimscale.analysis.nfactors import parallel_analysis
    from qimscale.errors import ModelError

    R = DATA.corr()
    for call in (lambda: EFA(n_factors=1).fit(R, n_obs=n_obs),
                 lambda: bartlett_sphericity(R, n_obs=n_obs),
                 lambda: parallel_analysis(R, n_obs=n_obs, n_iter=2)):
        with pytest.raises(ModelError, match=r"'n_obs' parameter.*integer >= 3"):
            call()


def test_integral_float_sample_size_is_accepted():
    R = DATA.corr()
    a = EFA(n_factors=1, method="ml").fit(R, n_obs=150.0).results_.to_dict()
    b = EFA(n_factors=1, method="ml").fit(R, n_obs=150).results_.to_dict()
    assert a == b


def test_duplicated_column_names_are_named_not_called_non_numeric():
    data = DATA.set_axis(["a", "b", "c", "d", "e", "a"], axis=1)
    with pytest.raises(DataError, match=r"column name\(s\) 'a' appear more than once"):
        EFA(n_factors=1).fit(data)


@pytest.mark.parametrize("as_array", [False, True])
def test_correlation_matrix_item_names_must_match_the_columns(as_array):
    from qimscale.analysis.efa import correlation_matrix

    data = DATA.to_numpy() if as_array else DATA
    with pytest.raises(DataError, match=r"2 item name\(s\) for 6 columns"):
        correlation_matrix(data, items=["a", "b"])
