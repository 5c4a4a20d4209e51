"""Intraclass correlations (Shrout & Fleiss) for test–retest and inter-rater reliability, as ``psych::ICC``."""

from __future__ import annotations

import warnings as _warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale._core.checks import check_columns, numeric_matrix, spreadsheet_row
from qimscale._core.distributions import f_ppf, f_sf
from qimscale._core.result import Result, row_table
from qimscale.errors import DataError

__all__ = ["ICCResult", "icc"]

_DESCRIPTIONS = {
    "ICC1": "Single_raters_absolute",
    "ICC2": "Single_random_raters",
    "ICC3": "Single_fixed_raters",
    "ICC1k": "Average_raters_absolute",
    "ICC2k": "Average_random_raters",
    "ICC3k": "Average_fixed_raters",
}


@dataclass
class ICCResult(Result):
    """Six Shrout–Fleiss ICCs with F tests and confidence intervals; returned by :func:`icc`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per form: ``type`` (ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k),
        ``description``, ``icc``, ``f``, ``df1``, ``df2``, ``p``, ``lower``,
        ``upper`` (psych's ``results``).
    n_subjects, n_raters : int
    ms : dict
        Mean squares ``msb`` (subjects), ``msj`` (raters/occasions), ``mse``
        (residual), ``msw`` (within subjects).
    conf_level : float
    warnings : list of str
    """

    table: pd.DataFrame
    n_subjects: int
    n_raters: int
    ms: dict
    conf_level: float = 0.95
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain-type summary."""
        return {"n_subjects": self.n_subjects, "n_raters": self.n_raters, "conf_level": self.conf_level,
                "icc": self.table.to_dict(orient="records"), "mean_squares": dict(self.ms),
                "warnings": list(self.warnings)}

    title = "Intraclass correlations"

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"icc"`` (the six forms, :attr:`table`) and ``"mean_squares"`` (one row)."""
        return {"icc": self.table.copy(),
                "mean_squares": row_table({"n_subjects": self.n_subjects, "n_raters": self.n_raters, **self.ms})}

    def summary(self) -> str:
        """The ICC table as text."""
        return (f"n_subjects={self.n_subjects} n_occasions={self.n_raters}\n"
                + self.table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


def _wide(data, subject, rater, value, columns):
    if subject is None and rater is None and value is None:
        if columns is None:
            return data, []
        return data[check_columns(data, columns, context="icc")], []
    if subject is None or rater is None or value is None:
        raise DataError("icc: long input needs all of subject=, rater= (or occasion) and value=")
    check_columns(data, [subject, rater, value], context="icc",
                  roles={subject: "subject=", rater: "rater=", value: "value="})
    numeric_matrix(data, [value], context="icc")   # rows named as in the long file
    dup = data.duplicated([subject, rater], keep=False)
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(f"icc: subject {data[subject].iloc[pos]!r} has more than one value for "
                        f"{rater} {data[rater].iloc[pos]!r} (row {spreadsheet_row(pos)}); keep one row per "
                        "subject and rater/occasion")
    wide = data.pivot(index=subject, columns=rater, values=value)
    return wide, []


def icc(data, columns: Sequence[str] | None = None, *, subject: str | None = None, rater: str | None = None,
        value: str | None = None, conf_level: float = 0.95) -> ICCResult:
    """Intraclass correlation coefficients ICC(1), ICC(2), ICC(3) and their averages.

    Matches ``psych::ICC(x, lmer=FALSE)`` (two-way ANOVA). With complete
    data ``psych::ICC``'s default (``lmer=TRUE``) estimates the same variance
    components by REML and agrees to its optimiser's precision.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide (one row per subject, one column per rater or occasion) or long
        (one row per rating; give ``subject``, ``rater`` and ``value``).
    columns : sequence of str, optional
        Wide input: the rater/occasion columns (default: all).
    subject, rater, value : str, optional
        Long input: the columns naming the subject, the rater or occasion and
        the score.
    conf_level : float, default 0.95

    Returns
    -------
    ICCResult
        ``table`` lists the columns.

    Raises
    ------
    DataError
        Non-numeric or infinite scores, a column not found or named twice, fewer than 2
        raters or 2 subjects, duplicated
        ratings in long input, or nothing left after dropping incomplete
        subjects.

    Notes
    -----
    From the two-way ANOVA of ``n`` subjects × ``k`` raters with mean squares
    MSB (subjects), MSJ (raters), MSE (residual) and MSW (within subjects):
    ICC1 :math:`= (MSB - MSW)/(MSB + (k-1)MSW)`, ICC2 :math:`= (MSB - MSE)/(MSB
    + (k-1)MSE + k(MSJ - MSE)/n)`, ICC3 :math:`= (MSB - MSE)/(MSB + (k-1)MSE)`;
    the ``k`` forms are Spearman–Brown step-ups. Confidence limits are
    Shrout & Fleiss's F-based bounds, with the Satterthwaite degrees of
    freedom for ICC2 exactly as psych computes them. Subjects with a missing
    rating are dropped, with a warning (``psych::ICC(lmer=FALSE)`` refuses
    them).

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: Uses in
    assessing rater reliability. *Psychological Bulletin, 86*(2), 420–428.
    https://doi.org/10.1037/0033-2909.86.2.420

    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some
    intraclass correlation coefficients. *Psychological Methods, 1*(1), 30–46.
    https://doi.org/10.1037/1082-989X.1.1.30

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t1": [9, 6, 8, 7, 10, 6], "t2": [2, 1, 4, 1, 5, 2],
    ...                    "t3": [5, 3, 6, 2, 6, 4], "t4": [8, 2, 8, 6, 9, 7]})
    >>> icc(df).table[["type", "icc"]].round(2).to_dict("list")
    {'type': ['ICC1', 'ICC2', 'ICC3', 'ICC1k', 'ICC2k', 'ICC3k'], 'icc': [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]}
    """
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(np.asarray(data))
    if not 0.0 < conf_level < 1.0:
        raise DataError(f"conf_level must lie between 0 and 1; got {conf_level!r}")
    wide, msgs = _wide(data, subject, rater, value, columns)
    twice = sorted({str(c) for c in wide.columns[wide.columns.duplicated()]})
    if twice:
        raise DataError(f"icc: column(s) {', '.join(map(repr, twice))} appear more than once; "
                        "give every rater/occasion its own column")
    x = numeric_matrix(wide, context="icc")
    incomplete = np.isnan(x).any(axis=1)
    if incomplete.any():
        msgs.append(f"icc: {int(incomplete.sum())} subject(s) with a missing rating were dropped "
                    "(the ANOVA needs every subject rated on every occasion)")
        x = x[~incomplete]
    n, k = x.shape
    if k < 2:
        raise DataError(f"icc: need at least 2 raters/occasions; got {k}")
    if n < 2:
        raise DataError(f"icc: need at least 2 subjects with complete ratings; got {n}")
    grand = x.mean()
    ss_tot = ((x - grand) ** 2).sum()
    ss_b = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_j = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_e = ss_tot - ss_b - ss_j
    msb, msj = ss_b / (n - 1), ss_j / (k - 1)
    mse = ss_e / ((n - 1) * (k - 1))
    msw = (ss_j + ss_e) / (n * (k - 1))
    if mse <= 0 and msw <= 0:
        raise DataError("icc: the ratings have no within-subject variation; ICC is undefined")

    icc1 = (msb - msw) / (msb + (k - 1) * msw)
    icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
    icc3 = (msb - mse) / (msb + (k - 1) * mse)
    icc1k = (msb - msw) / msb
    icc2k = (msb - mse) / (msb + (msj - mse) / n)
    icc3k = (msb - mse) / msb
    f11, df11n, df11d = msb / msw, n - 1, n * (k - 1)
    f21, df21n, df21d = msb / mse, n - 1, (n - 1) * (k - 1)
    p11 = f_sf(f11, df11n, df11d)
    p21 = f_sf(f21, df21n, df21d)
    a = 1.0 - conf_level
    f1l = f11 / f_ppf(1 - a / 2, df11n, df11d)
    f1u = f11 * f_ppf(1 - a / 2, df11d, df11n)
    f3l = f21 / f_ppf(1 - a / 2, df21n, df21d)
    f3u = f21 * f_ppf(1 - a / 2, df21d, df21n)
    fj = msj / mse
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    fu2 = f_ppf(1 - a / 2, n - 1, v)
    fl2 = f_ppf(1 - a / 2, v, n - 1)
    den = k * msj + (k * n - k - n) * mse
    l2 = n * (msb - fu2 * mse) / (fu2 * den + n * msb)
    u2 = n * (fl2 * msb - mse) / (den + n * fl2 * msb)
    rows = [
        ("ICC1", icc1, f11, df11n, df11d, p11, (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)),
        ("ICC2", icc2, f21, df21n, df21d, p21, l2, u2),
        ("ICC3", icc3, f21, df21n, df21d, p21, (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)),
        ("ICC1k", icc1k, f11, df11n, df11d, p11, 1 - 1 / f1l, 1 - 1 / f1u),
        ("ICC2k", icc2k, f21, df21n, df21d, p21, l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))),
        ("ICC3k", icc3k, f21, df21n, df21d, p21, 1 - 1 / f3l, 1 - 1 / f3u),
    ]
    table = pd.DataFrame(rows, columns=["type", "icc", "f", "df1", "df2", "p", "lower", "upper"])
    table.insert(1, "description", [_DESCRIPTIONS[t] for t in table["type"]])
    for m in msgs:
        _warnings.warn(m, UserWarning, stacklevel=2)
    return ICCResult(table, n, k, {"msb": msb, "msj": msj, "mse": mse, "msw": msw}, conf_level, msgs)
