"""Polychoric/polyserial input edge cases found in review."""

import numpy as np
import pytest

from qimscale.analysis.polychoric import polyserial
from qimscale.errors import DataError

RNG = np.random.default_rng(3)
Y_CONT = RNG.normal(size=60)
X_ORD = (np.arange(60) % 3) + 1


@pytest.mark.parametrize("which", ["continuous", "ordinal"])
def test_polyserial_infinite_value_is_an_error(which):
    x, y = Y_CONT.copy(), X_ORD.astype(float)
    (x if which == "continuous" else y)[7] = np.inf
    with pytest.raises(DataError, match=r"infinite.*position 8"):
        polyserial(x, y)


def test_polychoric_pair_infinite_value_is_an_error_not_a_category():
    from qimscale.analysis.polychoric import polychoric_pair

    y = X_ORD.astype(float)
    y[2] = np.inf
    with pytest.raises(DataError, match=r"infinite.*position 3"):
        polychoric_pair(X_ORD, y)
