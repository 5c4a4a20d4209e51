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
    with pytest.raises(DataError, match=r"'d'.*row 10.*infinite"):
        fit(bad)
