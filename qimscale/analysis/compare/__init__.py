"""Group comparisons of scale scores: t tests, one-way ANOVAs, rank tests, post hoc pairs.

:func:`compare_groups` is the library call behind ``qimscale compare``. For each
variable it runs every test of its kind side by side (never choosing one from
the assumption checks): two groups get Welch's and Student's t with Hedges' g
and the Mann–Whitney test with the rank-biserial correlation; more groups get
Welch's ANOVA, the one-way ANOVA (η², ω²), Kruskal–Wallis (ε²) and the
Games–Howell, Tukey HSD and Dunn post hoc pairs. The omnibus p-values are
adjusted across the family of variables (``p_adj``). Shapiro–Wilk per group and
Levene / Brown–Forsythe are reported beside the tests.

Disclosure control (:mod:`qimscale.analysis.disclosure`) is applied before any
statistic is computed: a group with fewer than ``min_cell`` values of a variable
takes no part in that variable's tests, and is shown as suppressed.

:func:`latent_mean_comparison` compares factor means through the CFA engine and
refuses unless scalar invariance holds.

Every statistic names the R call it matches; ``tests/reference/compare_r.R``
holds the reference values.

Modules
-------
adjust
    :func:`p_adjust` (R's ``p.adjust``).
two_groups
    t tests, Hedges' g, Mann–Whitney and the rank-biserial correlation.
k_groups
    Welch's ANOVA, the one-way ANOVA, Kruskal–Wallis.
posthoc
    ``qtukey``, Tukey HSD, Games–Howell, Dunn.
assumptions
    Shapiro–Wilk, Levene, Brown–Forsythe.
checks
    input checks with the house message format.
groups
    :func:`compare_groups` and :class:`CompareResult`.
latent
    :func:`latent_mean_comparison`.
"""

from __future__ import annotations

from qimscale.analysis.compare.adjust import ADJUST_METHODS, p_adjust
# re-exported for qimscale.analysis.teams
from qimscale.analysis.compare.checks import _check_column, _check_numeric, _label  # noqa: F401
from qimscale.analysis.compare.groups import (ASSUMPTION_COLUMNS, COMPARISON_COLUMNS, DESCRIPTIVE_COLUMNS,  # noqa: F401
                                             POSTHOC_COLUMNS, CompareResult, compare_groups)
from qimscale.analysis.compare.k_groups import eta_sq_ci, kruskal_wallis, oneway_anova, welch_anova
from qimscale.analysis.compare.latent import LatentCompareResult, latent_mean_comparison
from qimscale.analysis.compare.posthoc import dunn, games_howell, qtukey, tukey_hsd
from qimscale.analysis.compare.two_groups import hedges_g, mann_whitney, rank_biserial, t_test

__all__ = ["ADJUST_METHODS", "CompareResult", "LatentCompareResult", "compare_groups", "eta_sq_ci", "games_howell",
           "hedges_g", "kruskal_wallis", "latent_mean_comparison", "mann_whitney", "oneway_anova",
           "p_adjust", "qtukey", "rank_biserial", "t_test", "tukey_hsd", "dunn", "welch_anova"]
