"""Latent paths: competency factors → outcome through the CFA/SEM engine, standardised paths reported."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from qimscale._core.result import Result
from qimscale.errors import ModelError

PATH_COLUMNS = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all"]


@dataclass
class LatentPathsResult(Result):
    """Structural paths of a latent model; returned by :func:`latent_paths`.

    Attributes
    ----------
    paths : pandas.DataFrame
        The regressions (``op == "~"``) and defined parameters (``:=``): ``lhs, op, rhs, label,
        est, se, z, pvalue, ci_lower, ci_upper, std_all`` (``std_all``: completely standardised,
        as lavaan's ``standardizedSolution``).
    r2 : dict
        Explained variance of each endogenous variable.
    fit : dict
        lavaan ``fitMeasures`` names (``.`` → ``_``).
    estimator : str
    n : int
    cfa : CFAResult
        The full fit (loadings, variances, everything else).
    warnings : list of str
    """

    paths: pd.DataFrame
    r2: dict
    fit: dict
    estimator: str
    n: int
    cfa: object = None
    warnings: list = field(default_factory=list)
    title: str = "Latent paths (SEM)"

    def to_dict(self) -> dict:
        return {"model": "sem", "estimator": self.estimator, "n": self.n,
                "paths": self.paths.to_dict(orient="records"), "r2": dict(self.r2), "fit": dict(self.fit),
                "warnings": list(self.warnings)}

    def tables(self) -> dict:
        return {"paths": self.paths}

    def summary(self) -> str:
        keys = [k for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr") if k in self.fit]
        fit = ", ".join(f"{k} = {self.fit[k]:.4g}" for k in keys if self.fit[k] is not None)
        lines = [f"{self.title}, estimator {self.estimator}, n = {self.n}", f"Fit: {fit}", "",
                 "Structural paths (std_all: completely standardised):",
                 self.paths.to_string(index=False, float_format=lambda v: f"{v:.4f}")]
        if self.r2:
            lines.append("R²: " + ", ".join(f"{k} = {v:.4f}" for k, v in self.r2.items()))
        return "\n".join(lines + [f"Warning: {w}" for w in self.warnings])


def latent_paths(model: str, data: pd.DataFrame, *, estimator: str = "ML", missing: str = "listwise",
                 ordered=None, level: float = 0.95) -> LatentPathsResult:
    """Fit a structural model (factors measured by items, regressions among them) and report its paths.

    Parameters
    ----------
    model : str
        lavaan syntax with measurement (``=~``) and structural (``~``) parts, e.g.
        ``"IP =~ ip1 + ip2 + ip3\\nLEAD =~ l1 + l2 + l3\\nqi_performance ~ IP + LEAD"``.
    data : pandas.DataFrame
    estimator : {"ML", "MLR"}
        WLSMV (ordered items) needs structural paths in the ordinal engine, which are not available
        yet: asking for it is a :class:`~qimscale.errors.ModelError`.
    missing : {"listwise", "fiml"}
    ordered : sequence of str, optional
        Refused for now (see ``estimator``).
    level : float

    Returns
    -------
    LatentPathsResult

    Notes
    -----
    Estimates, standard errors and ``std_all`` come from :class:`qimscale.analysis.cfa.CFA` with
    ``kind="sem"``, which matches ``lavaan::sem(model, data, estimator = ...)`` and
    ``standardizedSolution``.
    """
    from qimscale.analysis.cfa import CFA

    est = str(estimator).upper()
    if ordered or est == "WLSMV":
        raise ModelError("latent paths with ordered items (WLSMV) are not available yet: the ordinal engine does "
                         "not estimate structural paths; treat the items as continuous with --estimator ML or MLR, "
                         "or relate the scale scores with OLS (drop --latent)")
    if est not in ("ML", "MLR"):
        raise ModelError(f"--estimator for latent paths must be ML or MLR; got {estimator!r}")
    res = CFA(model, estimator=est, missing=missing, kind="sem").fit(data)
    pe = res.parameter_estimates(level=level)
    paths = pe[pe["op"].isin(["~", ":="])][[c for c in PATH_COLUMNS if c in pe.columns]].reset_index(drop=True)
    if paths.empty:
        raise ModelError("the model has no structural path ('~'): write one, e.g. 'qi_performance ~ F1 + F2'")
    # R² of each endogenous variable: 1 - its standardised residual variance (lavaan's inspect(fit, "r2"))
    resid = pe[(pe["op"] == "~~") & (pe["lhs"] == pe["rhs"])].set_index("lhs")["std_all"]
    r2 = {y: float(1.0 - resid[y]) for y in dict.fromkeys(pe.loc[pe["op"] == "~", "lhs"]) if y in resid.index}
    fit = res.fit_measures()
    n = int(res.ntotal_)
    return LatentPathsResult(paths=paths, r2=r2, fit=fit, estimator=est, n=n, cfa=res,
                             warnings=list(getattr(res, "warnings_", [])))
