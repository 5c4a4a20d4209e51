"""SMCs and EFA starting values on a nearly singular matrix, against psych."""

import json
from pathlib import Path

import numpy as np
from qimscale.analysis.efa import fit_factors, smc

REF = json.loads((Path(__file__).parents[2] / "reference" / "efa_smc.json").read_text())


def test_smc_uses_psych_pseudo_inverse():
    # psych's Pinv drops singular values below sqrt(eps) * the largest
    np.testing.assert_allclose(smc(np.array(REF["R"])), REF["smc"], atol=1e-8)


def test_minres_from_psych_start_matches_fa():
    loadings, _u, _info = fit_factors(np.array(REF["R"]), 1)  # a Heywood case, as in psych
    np.testing.assert_allclose(loadings[:, 0], REF["loadings"], atol=1e-4)
