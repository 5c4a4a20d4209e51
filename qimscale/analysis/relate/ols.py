"""Ordinary least squares for ``relate``: coefficients, HC3, standardised betas, hierarchical steps, moderation.

Every number here is checked against R in ``tests/reference/relate_r.R``:
``lm`` + ``summary.lm``; ``sandwich::vcovHC(fit, type = "HC3")`` with t tests on the
residual degrees of freedom (as ``lmtest::coeftest``); ``anova(previous, step)`` for
the F change of a hierarchical step; simple slopes and Johnson–Neyman by closed form.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from qimscale.errors import DataError

from .design import Design, design_matrix, parse_interaction, term_name

COEF_COLUMNS = ["term", "estimate", "se", "statistic", "p", "ci_lower", "ci_upper", "std_estimate"]


def ols_fit(y: np.ndarray, x: pd.DataFrame, *, robust: str | None = None):
    """Fit OLS with statsmodels; ``robust="HC3"`` gives HC3 covariances with t tests on n - p df."""
    import statsmodels.api as sm

    model = sm.OLS(y, x)
    if robust is None:
        return model.fit(method="qr")  # full column rank is checked before (check_collinear)
    if robust.upper() != "HC3":
        raise DataError(f"--robust must be HC3; got {robust!r}")
    return model.fit(method="qr", cov_type="HC3", use_t=True)


def coefficient_table(fit, x: pd.DataFrame, y: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """One row per design column: ``term, estimate, se, statistic, p, ci_lower, ci_upper, std_estimate``.

    ``std_estimate`` is :math:`b_j\\,s_{x_j}/s_y` on the design columns (dummies and
    products standardised as columns, as ``lm.beta::lm.beta``); the intercept has none.
    Matches ``summary(lm(...))$coefficients`` and ``confint()``; with HC3,
    ``lmtest::coeftest(fit, vcov = sandwich::vcovHC(fit, type = "HC3"))`` (t on the residual df).
    """
    b = np.asarray(fit.params, dtype=float)
    se = np.asarray(fit.bse, dtype=float)
    t = b / se
    df = fit.df_resid
    q = stats.t.ppf(0.5 + level / 2, df)
    sx = x.to_numpy().std(axis=0, ddof=1)
    std = b * sx / np.std(y, ddof=1)
    std[sx == 0] = np.nan
    return pd.DataFrame({"term": list(x.columns), "estimate": b, "se": se, "statistic": t,
                         "p": 2 * stats.t.sf(np.abs(t), df), "ci_lower": b - q * se, "ci_upper": b + q * se,
                         "std_estimate": std})


def hierarchical_steps(design: Design, blocks: list[list[str]]) -> pd.DataFrame:
    """R², ΔR² and the F change of each step of a hierarchical regression.

    Parameters
    ----------
    design : Design
        The full model (its rows are the analysed rows of every step).
    blocks : list of list of str
        The terms entering at each step, in order (patsy spelling).

    Returns
    -------
    pandas.DataFrame
        ``step, terms, r2, delta_r2, f_change, df1, df2, p``: each step compared with the
        one before (the first with the intercept-only model).

    Notes
    -----
    :math:`F = \\frac{\\Delta R^2/\\Delta k}{(1-R^2_s)/(n-p_s)}` with :math:`p_s` the
    number of coefficients of step :math:`s`; equals ``anova(previous, step)`` in R.
    """
    y = design.y
    tss = float(np.sum((y - y.mean()) ** 2))
    rows, prev_r2, prev_p, used = [], 0.0, 1, []
    for s, block in enumerate(blocks, start=1):
        used = used + list(block)
        x = design_matrix(used, design.frame).to_numpy()
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        rss = float(np.sum((y - x @ beta) ** 2))
        r2 = 1.0 - rss / tss
        p = x.shape[1]
        df1, df2 = p - prev_p, design.n - p
        dr2 = r2 - prev_r2
        f = (dr2 / df1) / ((1.0 - r2) / df2) if df1 > 0 else math.nan
        rows.append({"step": s, "terms": ", ".join(block), "r2": r2, "delta_r2": dr2, "f_change": f,
                     "df1": df1, "df2": df2, "p": float(stats.f.sf(f, df1, df2)) if df1 > 0 else math.nan})
        prev_r2, prev_p = r2, p
    return pd.DataFrame(rows)


def simple_slopes(coefs: pd.DataFrame, cov: np.ndarray, df: float, design: Design, interaction: str,
                  level: float = 0.95) -> tuple[pd.DataFrame, dict]:
    """Simple slopes of the focal predictor at the moderator's mean − 1 SD, mean, mean + 1 SD, and the
    Johnson–Neyman interval.

    Parameters
    ----------
    coefs : pandas.DataFrame
        The coefficient table (``term``, ``estimate``).
    cov : numpy.ndarray
        Their covariance matrix (classical, HC3 or mixed-model: the slopes use it).
    df : float
        Degrees of freedom of the t tests (``inf``: z tests, as for a mixed model).
    design : Design
    interaction : str
        ``"focal:moderator"``; both numeric.

    Returns
    -------
    slopes : pandas.DataFrame
        ``at`` (``-1 SD``, ``mean``, ``+1 SD``), ``moderator_value`` (as analysed, centred when
        ``--center``), ``moderator_value_raw`` (original scale), ``slope, se, statistic, p,
        ci_lower, ci_upper``.
    jn : dict
        ``bounds`` ([lo, hi] on the analysed scale, ``None`` when no real root),
        ``bounds_raw`` (original scale), ``significant`` (``"inside"`` or ``"outside"`` the
        bounds, ``"everywhere"`` or ``"nowhere"``), ``moderator_range`` (observed, analysed
        scale), ``alpha``.

    Notes
    -----
    Slope at :math:`w`: :math:`b_1 + b_3 w`, variance :math:`V_{11} + 2wV_{13} + w^2V_{33}`,
    t on the residual df (Aiken & West, 1991). Johnson–Neyman: the roots of
    :math:`(b_1+b_3w)^2 - t^2_{crit}(V_{11}+2wV_{13}+w^2V_{33}) = 0` (Bauer & Curran, 2005),
    which bound the moderator values where the slope differs from 0 at ``1 - level``.

    References
    ----------
    Aiken, L. S., & West, S. G. (1991). *Multiple regression: Testing and interpreting interactions*. Sage.
    Bauer, D. J., & Curran, P. J. (2005). Probing interactions in fixed and multilevel regression.
    *Multivariate Behavioral Research, 40*(3), 373–400. https://doi.org/10.1207/s15327906mbr4003_5
    """
    focal, moder = parse_interaction(interaction)
    names = list(coefs["term"])
    f_, i_ = names.index(term_name(focal)), names.index(f"{term_name(focal)}:{term_name(moder)}")
    b = coefs["estimate"].to_numpy(dtype=float)
    v = np.asarray(cov, dtype=float)
    q = float(stats.t.ppf(0.5 + level / 2, df))
    w_all = design.frame[moder].to_numpy(dtype=float)
    m, sd = float(w_all.mean()), float(w_all.std(ddof=1))
    shift = design.centered.get(moder, 0.0)
    ws = np.array([m - sd, m, m + sd])
    est = b[f_] + b[i_] * ws
    se = np.sqrt(v[f_, f_] + 2 * ws * v[f_, i_] + ws ** 2 * v[i_, i_])
    t = est / se
    slopes = pd.DataFrame({"at": ["-1 SD", "mean", "+1 SD"], "moderator_value": ws,
                           "moderator_value_raw": ws + shift, "slope": est, "se": se, "statistic": t,
                           "p": 2 * stats.t.sf(np.abs(t), df), "ci_lower": est - q * se, "ci_upper": est + q * se})
    a2 = b[i_] ** 2 - q ** 2 * v[i_, i_]
    a1 = 2 * (b[f_] * b[i_] - q ** 2 * v[f_, i_])
    a0 = b[f_] ** 2 - q ** 2 * v[f_, f_]
    disc = a1 ** 2 - 4 * a2 * a0
    bounds = None
    if a2 != 0 and disc >= 0:
        r = np.sort([(-a1 - math.sqrt(disc)) / (2 * a2), (-a1 + math.sqrt(disc)) / (2 * a2)])
        bounds = [float(r[0]), float(r[1])]
        # the quadratic is positive (slope significant) where its sign matches a2's
        region = "outside" if a2 > 0 else "inside"
    else:
        region = "everywhere" if a0 > 0 else "nowhere"
    jn = {"focal": focal, "moderator": moder, "bounds": bounds,
          "bounds_raw": None if bounds is None else [bounds[0] + shift, bounds[1] + shift],
          "significant": region, "alpha": 1 - level,
          "moderator_range": [float(w_all.min()), float(w_all.max())]}
    return slopes, jn


def jn_sentence(jn: dict) -> str:
    """The Johnson–Neyman result in words (original scale of the moderator)."""
    f, m, a = jn["focal"], jn["moderator"], jn["alpha"]
    if jn["bounds_raw"] is None:
        return (f"the slope of '{f}' is significant (alpha {a:g}) at every value of '{m}'" if jn["significant"] ==
                "everywhere" else f"the slope of '{f}' is not significant (alpha {a:g}) at any value of '{m}'")
    lo, hi = jn["bounds_raw"]
    where = "below {:.4g} or above {:.4g}" if jn["significant"] == "outside" else "between {:.4g} and {:.4g}"
    return f"the slope of '{f}' is significant (alpha {a:g}) where '{m}' is " + where.format(lo, hi)
