"""Correlations among scale scores with confidence intervals: Pearson, Spearman and partial."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from qimscale._core.result import Result
from qimscale.errors import DataError

from qimscale._core.checks import check_columns, check_numeric_columns

from . import _checks

CORR_COLUMNS = ["var1", "var2", "method", "r", "n", "statistic", "df", "p", "ci_lower", "ci_upper", "controls"]


@dataclass
class CorrelationsResult(Result):
    """Pairwise correlations with CIs; returned by :func:`scale_correlations`.

    Attributes
    ----------
    variables : list of str
    table : pandas.DataFrame
        One row per pair and method, columns ``var1, var2, method`` (``pearson``,
        ``spearman``, ``partial``), ``r, n, statistic, df, p, ci_lower, ci_upper, controls``.
    n_partial : int
        Rows complete on every variable (the partial correlations use these).
    level : float
    warnings : list of str
    """

    variables: list
    table: pd.DataFrame
    n_partial: int
    level: float = 0.95
    warnings: list = field(default_factory=list)
    title: str = "Correlations among scale scores"

    def to_dict(self) -> dict:
        return {"model": "correlations", "variables": list(self.variables), "level": self.level,
                "n_partial": self.n_partial, "correlations": self.table.to_dict(orient="records"),
                "warnings": list(self.warnings)}

    def tables(self) -> dict:
        return {"correlations": self.table}

    def summary(self) -> str:
        lines = [self.title]
        for method, what in (("pearson", "Pearson r (pairwise complete rows)"), ("spearman", "Spearman rho"),
                             ("partial", f"Partial r, each pair given all the others (n = {self.n_partial})")):
            if (self.table["method"] == method).any():
                m = self.matrix(method)
                low = m.where(np.tril(np.ones(m.shape, dtype=bool), k=-1)).iloc[1:, :-1]
                lines += ["", f"{what}:", low.to_string(float_format=lambda v: f"{v:.3f}", na_rep="")]
        lines += ["", f"n per pair: {int(self.table['n'].min())}-{int(self.table['n'].max())}; "
                  f"{self.level:.0%} CIs and p-values: --json (or tables()['correlations'])"]
        return "\n".join(lines + [f"Warning: {w}" for w in self.warnings])

    def matrix(self, method: str = "pearson") -> pd.DataFrame:
        """The correlations of one method as a square matrix (1 on the diagonal)."""
        m = pd.DataFrame(np.eye(len(self.variables)), index=self.variables, columns=self.variables)
        for r in self.table[self.table["method"] == method].itertuples():
            m.loc[r.var1, r.var2] = m.loc[r.var2, r.var1] = r.r
        return m


def _fisher_ci(r: float, se: float, level: float) -> tuple[float, float]:
    if abs(r) >= 1 or not math.isfinite(se):
        return math.nan, math.nan
    z = math.atanh(r)
    q = stats.norm.ppf(0.5 + level / 2)
    return math.tanh(z - q * se), math.tanh(z + q * se)


def _t_test(r: float, df: int) -> tuple[float, float]:
    if df <= 0 or abs(r) >= 1:
        return math.nan, math.nan
    t = r * math.sqrt(df / (1 - r * r))
    return t, float(2 * stats.t.sf(abs(t), df))


def scale_correlations(data: pd.DataFrame, variables, *, controls=(), level: float = 0.95,
                       source: str = "data") -> CorrelationsResult:
    """Pearson, Spearman and partial correlations among ``variables``, each with a CI and p-value.

    Parameters
    ----------
    data : pandas.DataFrame
    variables : sequence of str
        Numeric columns (for example the scale and domain scores of ``qimscale score``).
    controls : sequence of str
        Extra numeric columns partialled out of every partial correlation (they are not paired).
    level : float
        Confidence level.
    source : str
        How messages name the data.

    Returns
    -------
    CorrelationsResult

    Raises
    ------
    DataError
        A column is missing, not numeric or constant; fewer than two variables.

    Notes
    -----
    Pearson and Spearman use each pair's complete rows (pairwise; ``n`` per pair). Pearson:
    :math:`t = r\\sqrt{(n-2)/(1-r^2)}` and the Fisher-z interval
    :math:`\\tanh(\\operatorname{atanh} r \\pm z_{1-\\alpha/2}/\\sqrt{n-3})`, as ``cor.test(x, y)``.
    Spearman: the Pearson correlation of mid-ranks with the same t approximation as
    ``cor.test(x, y, method = "spearman", exact = FALSE)``, and a Fisher-z interval with the
    Bonett–Wright standard error :math:`\\sqrt{(1 + \\rho^2/2)/(n-3)}`.
    Partial: each pair given all other variables and ``controls`` (rows complete on all),
    :math:`r_{ij\\cdot} = -P_{ij}/\\sqrt{P_{ii}P_{jj}}` with :math:`P` the inverse correlation
    matrix, t on :math:`n-2-k` df and a Fisher-z interval with :math:`1/\\sqrt{n-3-k}`
    (``ppcor::pcor``'s test; :math:`k` variables partialled out).

    References
    ----------
    Bonett, D. G., & Wright, T. A. (2000). Sample size requirements for estimating Pearson, Kendall and
    Spearman correlations. *Psychometrika, 65*(1), 23–28. https://doi.org/10.1007/BF02294183

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=200)
    >>> df = pd.DataFrame({"a": x, "b": x + rng.normal(size=200), "c": rng.normal(size=200)})
    >>> res = scale_correlations(df, ["a", "b", "c"])
    >>> round(float(res.matrix("pearson").loc["a", "b"]), 3)
    0.732
    """
    variables = list(dict.fromkeys(variables))
    controls = [c for c in dict.fromkeys(controls) if c not in variables]
    if len(variables) < 2:
        raise DataError(f"{source}: correlations need at least two variables; got {variables}")
    cols = variables + controls
    check_columns(data, cols, source=source, roles={c: "a correlation variable" for c in cols})
    check_numeric_columns(data, cols, source=source, fix=_checks.numeric_fix("correlation variable"))
    x = data[cols].to_numpy(dtype=float, na_value=np.nan)
    for j, c in enumerate(cols):
        col = x[:, j][~np.isnan(x[:, j])]
        _checks.check_not_constant(col, c, source, "correlation variable")
    rows, warns = [], []
    k = len(variables)
    for i in range(k):
        for j in range(i + 1, k):
            ok = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
            n = int(ok.sum())
            if n < 4:
                warns.append(f"'{variables[i]}' and '{variables[j]}' share only {n} complete rows; no correlation")
                continue
            a, b = x[ok, i], x[ok, j]
            r = float(np.corrcoef(a, b)[0, 1])
            t, p = _t_test(r, n - 2)
            lo, hi = _fisher_ci(r, 1 / math.sqrt(n - 3), level)
            rows.append(dict(var1=variables[i], var2=variables[j], method="pearson", r=r, n=n, statistic=t,
                             df=n - 2, p=p, ci_lower=lo, ci_upper=hi, controls=""))
            rho = float(np.corrcoef(stats.rankdata(a), stats.rankdata(b))[0, 1])
            t, p = _t_test(rho, n - 2)
            lo, hi = _fisher_ci(rho, math.sqrt((1 + rho * rho / 2) / (n - 3)), level)
            rows.append(dict(var1=variables[i], var2=variables[j], method="spearman", r=rho, n=n, statistic=t,
                             df=n - 2, p=p, ci_lower=lo, ci_upper=hi, controls=""))
    complete = ~np.isnan(x).any(axis=1)
    n_p = int(complete.sum())
    npart = len(cols) - 2
    if n_p - 3 - npart > 0:
        from qimscale._core import linalg

        c = np.corrcoef(x[complete], rowvar=False)
        if linalg.is_singular(c):
            warns.append("the correlation matrix of the variables is singular (a variable is a combination of "
                         "others); partial correlations are not reported")
        else:
            prec = np.linalg.inv(c)
            for i in range(k):
                for j in range(i + 1, k):
                    r = float(-prec[i, j] / math.sqrt(prec[i, i] * prec[j, j]))
                    t, p = _t_test(r, n_p - 2 - npart)
                    lo, hi = _fisher_ci(r, 1 / math.sqrt(n_p - 3 - npart), level)
                    others = [v for v in cols if v not in (variables[i], variables[j])]
                    rows.append(dict(var1=variables[i], var2=variables[j], method="partial", r=r, n=n_p,
                                     statistic=t, df=n_p - 2 - npart, p=p, ci_lower=lo, ci_upper=hi,
                                     controls=", ".join(others)))
    else:
        warns.append(f"only {n_p} rows are complete on all {len(cols)} variables: too few for partial correlations")
    table = pd.DataFrame(rows, columns=CORR_COLUMNS)
    return CorrelationsResult(variables=variables, table=table, n_partial=n_p, level=level, warnings=warns)
