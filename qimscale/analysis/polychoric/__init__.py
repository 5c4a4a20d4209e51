"""Polychoric and polyserial correlations by two-step maximum likelihood.

Public functions
----------------
polychoric(data, ...)
    The polychoric correlation matrix of ordinal items, matching
    ``psych::polychoric(x)`` (default) and ``lavaan::lavCor(x, ordered=names(x))``
    (``correct=0, global_thresholds=True``).
polyserial(x, y)
    Polyserial correlation of a continuous and an ordinal variable, matching
    ``polycor::polyserial(x, y)``.

Lower-level pieces (reused by WLSMV's first stage)
--------------------------------------------------
ordinal_codes(x)
    Codes ``0..K-1`` for the sorted observed categories of one item (-1 = missing).
univariate_thresholds(x)
    Thresholds :math:`\\tau_c = \\Phi^{-1}(\\text{cumulative proportion})`.
cell_probabilities(tau_x, tau_y, rho)
    The :math:`K_x \\times K_y` cell probabilities of the discretised bivariate normal.
cell_probability_derivatives(tau_x, tau_y, rho)
    Their derivatives with respect to ``rho`` and both threshold vectors.
polychoric_pair(x, y, tau_x=None, tau_y=None, correct=0)
    ML estimate of one correlation with thresholds fixed.
pair_scores(x, y, tau_x, tau_y, rho), threshold_scores(x, tau)
    Per-case score contributions of one pair / one item's thresholds (for
    robust/WLSMV weight matrices).
threshold_bounds, stacked_cell_probabilities, fit_polychoric_tables
    The vectorised engine on stacks of padded tables (all pairs at once).

Modules
-------
thresholds
    ordinal codes and univariate thresholds.
cells
    cell probabilities of the discretised bivariate normal and their derivatives.
engine
    the vectorised Newton engine on stacks of padded tables.
pair
    one pair (thresholds fixed) and per-case scores.
tables
    the pairs' contingency tables, lavaan's 2 x 2 rule, psych's pairwise thresholds.
matrix
    :func:`polychoric`, :class:`PolychoricResult`, :func:`cor_smooth`.
serial
    :func:`polyserial`.
"""

from __future__ import annotations

from qimscale.analysis.polychoric.cells import cell_probabilities, cell_probability_derivatives
from qimscale.analysis.polychoric.engine import (TablesFit, fit_polychoric_tables, stacked_cell_probabilities,
                                                threshold_bounds)
from qimscale.analysis.polychoric.matrix import PolychoricResult, PolychoricWarning, cor_smooth, polychoric
from qimscale.analysis.polychoric.pair import PolychoricPair, pair_scores, polychoric_pair, threshold_scores
from qimscale.analysis.polychoric.serial import polyserial
from qimscale.analysis.polychoric.thresholds import ordinal_codes, univariate_thresholds

__all__ = [
    "PolychoricResult",
    "PolychoricPair",
    "PolychoricWarning",
    "polychoric",
    "polyserial",
    "ordinal_codes",
    "univariate_thresholds",
    "cell_probabilities",
    "cell_probability_derivatives",
    "polychoric_pair",
    "pair_scores",
    "threshold_scores",
    "cor_smooth",
    "TablesFit",
    "threshold_bounds",
    "stacked_cell_probabilities",
    "fit_polychoric_tables",
]
