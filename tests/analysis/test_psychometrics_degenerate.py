"""Degenerate and awkward inputs versus psych 2.2.9 (review 3).

Reference values come from R 4.2.2 / psych 2.2.9: tests/reference/psychometrics_review3.R
(re-run from the repository root) reads the data below, saved as
tests/reference/data/psychometrics_review3_d30.csv, and writes
tests/reference/psychometrics_review3.json.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.nfactors import velicer_map
from qimscale.analysis.omega import omega
from qimscale.analysis.splithalf import split_half

D30 = pd.DataFrame({
    "i1": [5, 3, 3, 1, 3, 4, 1, 4, 3, 4, 2, 4, 1, 1, 2, 3, 2, 2, 3, 2, 3, 2, 5, 2, 1, 1, 4, 2, 4, 2],
    "i2": [5, 5, 3, 2, 3, 4, 3, 2, 4, 3, 4, 3, 5, 3, 3, 5, 4, 2, 3, 3, 2, 3, 3, 4, 1, 1, 2, 3, 4, 2],
    "i3": [2, 3, 3, 1, 3, 3, 2, 5, 3, 2, 1, 4, 2, 4, 3, 4, 5, 3, 2, 1, 2, 2, 5, 3, 1, 2, 3, 3, 5, 4],
    "i4": [4, 4, 2, 2, 4, 1, 1, 3, 3, 3, 2, 3, 2, 2, 2, 4, 3, 2, 4, 3, 3, 4, 4, 5, 1, 2, 2, 4, 2, 4],
    "i5": [3, 4, 3, 1, 3, 4, 3, 2, 4, 4, 3, 3, 3, 3, 1, 4, 2, 4, 2, 1, 3, 4, 5, 3, 1, 2, 3, 3, 3, 3],
    "i6": [3, 3, 3, 2, 3, 4, 2, 4, 3, 3, 2, 4, 2, 3, 2, 4, 3, 3, 1, 4, 2, 3, 5, 4, 1, 1, 4, 1, 5, 4],
})
REF = json.loads((Path(__file__).parents[1] / "reference" / "psychometrics_review3.json").read_text())


def test_map_with_two_identical_items_has_no_numpy_warning_and_matches_psych():
    # vss(d, n=5)$map with d$i6 <- d$i5
    want = REF["map_identical_items"]
    d = D30.assign(i6=D30["i5"])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = velicer_map(d, n=5)
    assert not [x for x in w if issubclass(x.category, RuntimeWarning)]
    assert any("singular" in str(x.message) and "undefined (NaN) for 5 component" in str(x.message) for x in w)
    np.testing.assert_allclose(res.map[:3], want[:3], rtol=1e-8)
    assert abs(res.map[3] - want[3]) < 1e-6
    assert np.isnan(res.map[4]) and want[4] is None
    assert res.n_factors == 1


def test_omega_one_factor_warns_that_omega_h_is_not_meaningful():
    # psych::omega(d, nfactors=1) warns "Omega_h for 1 factor is not meaningful, just omega_t"
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = omega(D30, n_factors=1)
    assert any("not meaningful" in m for m in res.warnings)
    assert any("not meaningful" in str(x.message) for x in w)


def test_omega_three_factors_has_no_one_factor_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = omega(D30, n_factors=3)
    assert not any("not meaningful" in m for m in res.warnings)


def test_split_half_two_items_matches_psych():
    # splitHalf(d[1:20, 1:2]): one split, so maxrb = minrb = meanr = alpha = lambda2, lambda6 = av.r = med.r
    want = REF["split_half_two_items"]
    d = D30.iloc[:20][["i1", "i2"]]
    res = split_half(d)
    for key, r_key in (("lambda4", "maxrb"), ("min_split", "minrb"), ("mean_split", "meanr"), ("alpha", "alpha"),
                       ("lambda2", "lambda2"), ("lambda6", "lambda6"), ("average_r", "av.r"),
                       ("median_r", "med.r")):
        assert getattr(res, key) == pytest.approx(want[r_key], abs=1e-10), key
    assert res.n_splits == 1 and res.k == 2


def _with_half_point():
    d = D30.astype(float)
    d.loc[3, "i2"] = 2.5   # the 4th data row
    return d


def test_polychoric_fraction_error_names_the_data_row():
    from qimscale.analysis.polychoric import polychoric
    from qimscale.errors import DataError

    with pytest.raises(DataError, match=r"row 5, column 'i2': value 2.5 is not a whole number"):
        polychoric(_with_half_point())


def test_efa_and_nfactors_polychoric_errors_name_the_item_not_v2():
    from qimscale.analysis.efa import EFA
    from qimscale.analysis.nfactors import parallel_analysis
    from qimscale.errors import DataError

    with pytest.raises(DataError, match=r"row 5, column 'i2': value 2.5"):
        EFA(n_factors=1, cor="polychoric").fit(_with_half_point())
    with pytest.raises(DataError, match=r"row 5, column 'i2': value 2.5"):
        parallel_analysis(_with_half_point(), n_iter=1, cor="polychoric", random_state=1)


def test_ml_efa_on_a_singular_matrix_is_an_error_as_in_psych():
    # psych::fa(d, 1, fm="ml") with d$i6 <- d$i5: "L-BFGS-B needs finite values of 'fn'".
    # qimscale returned loadings from an optimiser that never moved, with numpy's log warning.
    from qimscale.analysis.efa import EFA
    from qimscale.errors import DataError

    d = D30.assign(i6=D30["i5"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(DataError, match="positive definite.*minres"):
            EFA(n_factors=1, method="ml").fit(d)


N5 = D30.iloc[[0, 1, 2, 3, 4]].assign(
    i1=[5, 3, 3, 1, 3], i2=[5, 5, 3, 2, 3], i3=[2, 3, 3, 1, 3], i4=[4, 4, 2, 2, 4],
    i5=[3, 4, 3, 1, 3], i6=[3, 3, 3, 2, 3])


@pytest.mark.parametrize("call", ["corr", "efa"])
def test_undefined_polychoric_pair_error_gives_the_reason(call):
    # psych::polychoric on these 5 rows fails too ("Something is wrong in polycor"); qimscale said
    # "the correlation of items 'i1' and 'i2' is undefined (5 rows answer both)", which contradicts itself.
    from qimscale.analysis.correlation import correlation
    from qimscale.analysis.efa import EFA
    from qimscale.errors import DataError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError, match=r"'i1' and 'i2'.*5 rows answer both.*fewer than 2 non-empty rows"):
            if call == "corr":
                correlation(N5, method="polychoric")
            else:
                EFA(n_factors=1, cor="polychoric").fit(N5)
