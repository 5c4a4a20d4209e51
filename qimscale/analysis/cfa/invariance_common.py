"""The shared vocabulary of measurement invariance, continuous and ordinal.

Level names, the decision criteria (Chen 2007, Cheung & Rensvold 2002, the χ²
difference test), the level-by-level decision and the result class. Both
:mod:`.invariance` (ML/MLR: configural → metric → scalar → strict) and
:mod:`.wlsmv_invariance` (WLSMV: configural → thresholds → metric → scalar)
build on it; neither imports the other's vocabulary, so the import graph stays
a tree. See :mod:`.invariance` for the criteria and their references.
"""

from __future__ import annotations

import pandas as pd

from qimscale._core.checks import check_option
from qimscale._core.result import Result

__all__ = ["LEVELS", "CRITERIA", "check_criteria", "non_invariant", "mark_held", "InvarianceResult",
           "LATENT_MEAN_COLUMNS", "latent_mean_differences"]

LEVELS = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}
CRITERIA = ("chen2007", "cheung_rensvold", "chisq")


def check_criteria(criteria: str) -> None:
    """Raise :class:`ModelError` unless ``criteria`` is one of :data:`CRITERIA`."""
    check_option("criteria", criteria, CRITERIA, "measurement_invariance")


def non_invariant(rec: dict, level: str, criteria: str) -> bool:
    """Whether the change from the previous level signals non-invariance.

    Parameters
    ----------
    rec : dict
        The level's comparison with the previous level: ``delta_cfi``,
        ``delta_rmsea``, ``delta_srmr`` and ``chisq_diff_p``.
    level : str
        The level being judged (``"metric"`` uses the looser ΔSRMR cut).
    criteria : {"chen2007", "cheung_rensvold", "chisq"}

    Returns
    -------
    bool
        ``"chen2007"``: ΔCFI ≤ −.010 and (ΔRMSEA ≥ .015 or ΔSRMR ≥ .030 for
        metric, ≥ .010 otherwise) (Chen, 2007,
        https://doi.org/10.1080/10705510701301834); ``"cheung_rensvold"``:
        ΔCFI < −.010 (Cheung & Rensvold, 2002,
        https://doi.org/10.1207/S15328007SEM0902_5); ``"chisq"``: the χ²
        difference test has p < .05 (a NaN p-value is not a failure).

    Examples
    --------
    >>> non_invariant({"delta_cfi": -0.012, "delta_rmsea": 0.004, "delta_srmr": 0.02,
    ...                "chisq_diff_p": 0.2}, "metric", "chen2007")
    False
    >>> non_invariant({"delta_cfi": -0.012, "delta_rmsea": 0.004, "delta_srmr": 0.02,
    ...                "chisq_diff_p": 0.2}, "scalar", "chen2007")
    True
    """
    if criteria == "chen2007":
        srmr_cut = 0.030 if level == "metric" else 0.010
        return bool(rec["delta_cfi"] <= -0.010
                    and (rec["delta_rmsea"] >= 0.015 or rec["delta_srmr"] >= srmr_cut))
    if criteria == "chisq":
        return bool(rec["chisq_diff_p"] < 0.05)
    return bool(rec["delta_cfi"] < -0.010)


def mark_held(recs: list, criteria: str, converged=None) -> str | None:
    """Decide, level by level, whether invariance holds; set ``rec["held"]``.

    The first level is the baseline and is taken as held. Each later level
    holds when the previous one held, :func:`non_invariant` finds no
    worsening, and its model converged.

    Parameters
    ----------
    recs : list of dict
        One comparison record per level, in fitting order (see
        :func:`non_invariant`; each needs a ``level`` key).
    criteria : {"chen2007", "cheung_rensvold", "chisq"}
    converged : sequence of bool, optional
        Convergence of each level's fit (default: all converged).

    Returns
    -------
    str or None
        The last level that holds.
    """
    converged = [True] * len(recs) if converged is None else list(converged)
    prev_held, highest = True, None
    for i, rec in enumerate(recs):
        held = i == 0 or (prev_held and converged[i]
                          and not non_invariant(rec, rec["level"], criteria))
        rec["held"] = bool(held)
        if held:
            highest = rec["level"]
        prev_held = held
    return highest


class InvarianceResult(Result):
    """Fits and comparisons of the invariance levels.

    Attributes
    ----------
    levels : DataFrame
        One row per level: ``level, npar, chisq, df, pvalue, cfi, tli, rmsea,
        srmr, aic, bic`` (+ ``chisq_scaled, cfi_robust, tli_robust,
        rmsea_robust`` for MLR), ``cfi_used, rmsea_used`` (the values the
        decision uses: robust for MLR, standard otherwise), ``delta_cfi,
        delta_rmsea`` (differences of ``cfi_used``/``rmsea_used``),
        ``delta_srmr, chisq_diff, df_diff, chisq_diff_p, held``.
    highest_level_held : str
    fits : dict of level -> CFAResult
    latent_means : DataFrame
        Latent mean differences (groups 2.. vs group 1) from the highest held
        level at or above ``scalar``; empty when scalar invariance fails.
    release_tests : DataFrame
        For the first level that does not hold: score tests for freeing each
        of its equality constraints (``CFAResult.release_tests``; ``level``
        column added), the usual guide to a partial-invariance model. Empty
        when every level holds.
    """

    def __init__(self, levels, highest, fits, latent_means, criteria, estimator, release_tests=None):
        self.levels = levels
        self.release_tests = release_tests if release_tests is not None else pd.DataFrame()
        self.highest_level_held = highest
        self.fits = fits
        self.latent_means = latent_means
        self.criteria = criteria
        self.estimator = estimator

    def to_dict(self) -> dict:
        warnings = {lev: fit.warnings_ for lev, fit in self.fits.items() if fit.warnings_}
        return {"estimator": self.estimator, "criteria": self.criteria,
                "groups": [str(g) for g in next(iter(self.fits.values())).group_labels_],
                "levels": self.levels.to_dict(orient="records"),
                "highest_level_held": self.highest_level_held,
                "latent_means": self.latent_means.to_dict(orient="records"),
                "release_tests": self.release_tests.to_dict(orient="records"),
                "warnings": warnings}

    # -- the result protocol ---------------------------------------------------------------
    title = "Measurement invariance"

    @property
    def warnings(self) -> list[str]:
        """Each fit's warnings once, led by the levels it concerns unless it concerns them all
        (``to_dict()["warnings"]`` keeps them by level)."""
        by_msg: dict = {}
        for lev, fit in self.fits.items():
            for m in fit.warnings_:
                by_msg.setdefault(m, []).append(lev)
        return [m if len(levs) == len(self.fits) else f"{', '.join(levs)}: {m}" for m, levs in by_msg.items()]

    def tables(self) -> dict:
        """``"levels"`` (one row per level), ``"latent_means"`` and ``"release_tests"``."""
        return {"levels": self.levels.copy(), "latent_means": self.latent_means.copy(),
                "release_tests": self.release_tests.copy()}

    def summary(self) -> str:
        """The levels table, the highest level held and the latent mean differences."""
        cols = ["level", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "delta_cfi", "delta_rmsea", "delta_srmr",
                "chisq_diff_p", "held"]
        f4 = lambda v: f"{v:.4f}"  # noqa: E731
        lines = [self.levels[[c for c in cols if c in self.levels.columns]].to_string(index=False, float_format=f4),
                 f"\nHighest level held ({self.criteria}): {self.highest_level_held}"]
        if len(self.latent_means):
            lines += ["\nLatent mean differences (vs the first group):",
                      self.latent_means.to_string(index=False, float_format=f4)]
        return "\n".join(lines + [f"Warning: {w}" for w in self.warnings])


LATENT_MEAN_COLUMNS = ["level", "group", "reference_group", "factor", "est", "se", "z", "pvalue",
                       "std_all"]


def latent_mean_differences(estimates: pd.DataFrame, factors, group_labels, level: str) -> pd.DataFrame:
    """Latent means of groups 2, 3, ... (differences from the first group, whose means are 0).

    Parameters
    ----------
    estimates : DataFrame
        ``parameter_estimates()`` of a fit with free latent means beyond group 1
        (columns ``lhs, op, group, est, se, z, pvalue, std_all``).
    factors : collection of str
        Latent variable names.
    group_labels : sequence
        Group labels, in group order.
    level : str
        Invariance level the fit belongs to (copied to the ``level`` column).

    Returns
    -------
    DataFrame
        Columns :data:`LATENT_MEAN_COLUMNS`.
    """
    sel = estimates[(estimates.op == "~1") & estimates.lhs.isin(set(factors)) & (estimates.group > 1)]
    return pd.DataFrame({"level": level, "group": [str(group_labels[g - 1]) for g in sel.group],
                         "reference_group": str(group_labels[0]), "factor": sel.lhs.to_numpy(),
                         "est": sel.est.to_numpy(), "se": sel.se.to_numpy(), "z": sel.z.to_numpy(),
                         "pvalue": sel.pvalue.to_numpy(), "std_all": sel.std_all.to_numpy()},
                        columns=LATENT_MEAN_COLUMNS)
