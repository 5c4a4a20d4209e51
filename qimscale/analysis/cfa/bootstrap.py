"""Nonparametric bootstrap of a fitted CFA/SEM (percentile CIs, e.g. for indirect effects)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._threads import blas1
from .fiml import FIMLObjective, Patterns
from .ml import MLObjective, group_data, minimize

__all__ = ["BootstrapMixin"]


class BootstrapMixin:
    """Adds :meth:`bootstrap` to :class:`~.results.CFAResult`."""

    @blas1
    def bootstrap(self, n_boot: int = 1000, *, seed=None, level: float = 0.95, progress=None) -> pd.DataFrame:
        """Nonparametric bootstrap of the free and defined parameters.

        Cases are resampled with replacement within each group and the model
        is refitted from the estimates; replicates that fail to converge are
        dropped (their number is in ``n_failed``).

        Parameters
        ----------
        n_boot : int
            Number of bootstrap replicates.
        seed : int or numpy Generator, optional
        level : float
            Coverage of the percentile intervals.
        progress : callable, optional
            ``progress(done, total)``, called after each replicate (failed ones
            included), ending with ``done == n_boot``; it does not change any number.

        Returns
        -------
        DataFrame
            One row per free parameter (first row of each equality set) and
            per ``:=`` definition: ``lhs, op, rhs, group, est, boot_se,
            ci_lower, ci_upper, n_boot, n_failed`` (percentile intervals).

        Notes
        -----
        Matches ``lavaan::parameterEstimates(sem(..., se = "bootstrap"),
        boot.ci.type = "perc")`` up to Monte Carlo error (Efron & Tibshirani
        1993; for indirect effects Preacher & Hayes 2008,
        doi:10.3758/BRM.40.3.879).
        """
        rng = np.random.default_rng(seed)
        compiled, at = self._defined_evaluator() if self.partable_.defined else ([], None)
        draws = []
        failed = 0
        lin = self.partable_.lin  # linear equality constraints: report theta = K theta* + c

        def full(theta):
            return theta if lin is None else lin.expand(theta)

        for b in range(int(n_boot)):
            if progress is not None and b:
                progress(b, int(n_boot))
            if self.fiml_:
                pats = [Patterns(p.X[rng.integers(0, p.n, p.n)]) for p in self.patterns_]
                obj = FIMLObjective(self.model_, pats)
            else:
                gds = [group_data(g.X[rng.integers(0, g.n, g.n)]) for g in self.groups_]
                obj = MLObjective(self.model_, gds)
            try:
                opt = minimize(obj, self.theta_)
            except (np.linalg.LinAlgError, ValueError):
                failed += 1
                continue
            if not opt.converged:
                failed += 1
                continue
            vals = list(full(opt.theta))
            if at is not None:
                vals += list(at(opt.theta))
            draws.append(vals)
        if progress is not None:
            progress(int(n_boot), int(n_boot))
        draws = np.array(draws)
        alpha = (1 - level) / 2
        est = list(full(self.theta_)) + (list(at(self.theta_)) if at is not None else [])
        names = [(r["lhs"], r["op"], r["rhs"], r["group"]) for r in self.partable_.free_rows()]
        names += [(n, ":=", "".join(e.split()), 1) for n, e, _ in compiled]
        recs = []
        for j, (lhs, op, rhs, g) in enumerate(names):
            col = draws[:, j] if len(draws) else np.array([math.nan])
            recs.append({"lhs": lhs, "op": op, "rhs": rhs, "group": g, "est": est[j],
                         "boot_se": float(np.std(col, ddof=1)) if len(col) > 1 else math.nan,
                         "ci_lower": float(np.quantile(col, alpha)), "ci_upper": float(np.quantile(col, 1 - alpha)),
                         "n_boot": len(draws), "n_failed": failed})
        return pd.DataFrame.from_records(recs)

