"""Items with gaps in their categories (1,2,4,5) and missing values versus psych
(tests/reference/review_gaps.R): polychoric, alpha, omega total and a polychoric EFA."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.efa import EFA
from qimscale.analysis.omega import omega_total
from qimscale.analysis.polychoric import polychoric
from qimscale.analysis.reliability import alpha

REF_DIR = Path(__file__).parents[2] / "reference"
REF = json.loads((REF_DIR / "review_gaps.json").read_text())
DATA = pd.read_csv(REF_DIR / "data" / "review_gaps.csv")


def test_data_has_the_gaps():
    assert sorted(DATA["q2"].dropna().unique()) == [1, 2, 4, 5]
    assert sorted(DATA["q4"].dropna().unique()) == [1, 3, 4, 5]


def test_polychoric_with_category_gaps_matches_psych():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = polychoric(DATA)
    # psych optimises rho with optimize() (tolerance ~1e-4)
    np.testing.assert_allclose(res.corr.to_numpy(), np.array(REF["rho"]), atol=1e-4)


def test_alpha_and_omega_with_category_gaps_match_psych():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = alpha(DATA)
        om = omega_total(DATA)
    assert a.raw_alpha == pytest.approx(REF["raw_alpha"], abs=1e-8)
    assert a.std_alpha == pytest.approx(REF["std_alpha"], abs=1e-8)
    assert om == pytest.approx(REF["omega_total"], abs=1e-6)


def test_polychoric_efa_with_category_gaps_matches_psych():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = EFA(n_factors=2, cor="polychoric", rotation="oblimin").fit(DATA)
    np.testing.assert_allclose(np.asarray(e.loadings_), np.array(REF["fa_poly_loadings"]), atol=1e-3)
