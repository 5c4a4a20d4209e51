"""Competencies → outcomes: regression, moderation, mediation, multilevel models, correlations, latent paths.

Public API:

- :func:`relate` (``relate(data, outcome, predictors, ...) -> RelateResult``): OLS with classical or
  HC3 standard errors, standardised coefficients, hierarchical blocks, moderation with simple slopes
  and the Johnson–Neyman interval, mediation with bootstrap intervals, random-intercept/slope models;
- :func:`scale_correlations` (Pearson, Spearman, partial, with CIs);
- :func:`latent_paths` (competency factors → outcome through the CFA/SEM engine);
- :func:`merge_org_outcomes` (organisation-level indicators by key, unmatched keys listed).

Layout: ``design`` (checks, listwise deletion, patsy design), ``ols``, ``mixed``, ``mediation``,
``correlations``, ``latent``, ``model`` (the :class:`RelateResult` and :func:`relate`).
"""

from .correlations import CorrelationsResult, scale_correlations
from .design import merge_org_outcomes
from .latent import LatentPathsResult, latent_paths
from .model import RelateResult, relate

__all__ = ["relate", "RelateResult", "scale_correlations", "CorrelationsResult", "latent_paths",
           "LatentPathsResult", "merge_org_outcomes"]
