"""Modification indices (score tests for fixed parameters), as ``lavaan::modindices``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from qimscale._core.distributions import chi2_sf
from qimscale.errors import ModelError

from .._threads import blas1

from .ml import MLObjective
from .model import RAMModel
from .partable import ParTable
from .score_tests import score_tests

__all__ = ["ModificationIndicesMixin"]


def _candidates(pt: ParTable):
    """Parameters lavaan's ``modindices`` adds (``lav_partable_full`` with fixed.x).

    Loadings of every factor on every observed variable that is neither a
    fixed-x covariate nor a dependent variable of a regression; covariances
    among indicators and among factors; regressions among the variables of
    the structural part (not of an indicator on a factor, not of a covariate).
    """
    stmts = [r for r in pt.rows if r["group"] == 1]
    xs = set(pt.ov_x)
    ind = [v for v in pt.ov if any(r["op"] == "=~" and r["rhs"] == v for r in stmts)]
    eqs_y = [n for n in dict.fromkeys(r["lhs"] for r in stmts if r["op"] == "~")]
    eqs = list(dict.fromkeys(eqs_y + [r["rhs"] for r in stmts if r["op"] == "~"]))
    out = [(f, "=~", v) for f in pt.lv for v in pt.ov if v not in xs and v not in eqs_y]
    out += [(a, "~~", b) for i, a in enumerate(ind) for b in ind[i + 1:]]
    out += [(a, "~~", b) for i, a in enumerate(pt.lv) for b in pt.lv[i + 1:]]
    out += [(a, "~", b) for a in eqs for b in eqs
            if a != b and a not in xs and not (a in ind and b in pt.lv)]
    return out


class ModificationIndicesMixin:
    """Adds :meth:`modification_indices` to :class:`~.results.CFAResult`."""

    @blas1
    def modification_indices(self, *, minimum: float = 0.0) -> pd.DataFrame:
        """Score tests for fixed parameters (cross-loadings, residual covariances, fixed rows).

        Returns
        -------
        DataFrame
            Columns ``lhs, op, rhs, group, mi, epc, sepc_all``, sorted by ``mi``
            (descending).

        Notes
        -----
        ``mi = N d² / (I22 - I21 I11^-1 I12)`` with ``d`` the gradient of
        ``fmin`` and ``I`` the expected information of the model extended by
        the candidate parameters; ``epc = -d / (I22 - ...)`` (Sörbom 1989,
        doi:10.1007/BF02294448). Candidates are lavaan's (see :func:`_candidates`)
        plus the model's fixed rows; parameters that would not be identified if
        freed (``I22 - ... < eps^(1/3)``, e.g. marker loadings) are dropped.
        Matches ``lavaan::modindices(fit)`` for ML.
        """
        pt = self.partable_
        if self.fiml_:
            raise ModelError("modification indices are implemented for complete data only")
        existing = {(r["group"], r["lhs"], r["op"], r["rhs"]) for r in pt.rows}
        existing |= {(r["group"], r["rhs"], r["op"], r["lhs"]) for r in pt.rows if r["op"] == "~~"}
        cand = []
        for g in range(1, pt.ngroups + 1):
            cand += [(g, lhs, op, rhs) for lhs, op, rhs in _candidates(pt)
                     if (g, lhs, op, rhs) not in existing]
        rows = [dict(r) for r in pt.rows]
        kf = pt.npar  # free indices of the table (theta); k0: the fitted vector (theta*, see .constraints)
        k0 = self.model_.npar
        fixed_rows = []
        for r in rows:
            if r["free"] == 0 and r["op"] in ("=~", "~~", "~") and not np.isnan(r["ustart"]) and r["lhs"] != r["rhs"]:
                fixed_rows.append(r)
        nxt = kf
        for r in fixed_rows:
            nxt += 1
            r["free"] = nxt
            r["_cand"] = True
        for g, lhs, op, rhs in cand:
            nxt += 1
            rows.append({"id": len(rows) + 1, "lhs": lhs, "op": op, "rhs": rhs, "user": 0, "group": g,
                         "free": nxt, "ustart": 0.0, "label": "", "plabel": "", "exo": 0, "_cand": True})
        ext = ParTable(rows=rows, ov=pt.ov, lv=pt.lv, ngroups=pt.ngroups, meanstructure=pt.meanstructure,
                       lin=None if pt.lin is None else pt.lin.extended(nxt - kf))
        emod = RAMModel(ext)
        theta = np.zeros(k0 + nxt - kf)
        theta[:k0] = self.theta_
        for r in rows:
            if r.get("_cand"):
                theta[k0 + r["free"] - 1 - kf] = r["ustart"]
        eobj = MLObjective(emod, self.groups_)
        _, grad = eobj.value_grad(theta)
        info = eobj.information(theta)
        I11 = info[:k0, :k0]
        I12 = info[:k0, k0:]
        I22 = info[k0:, k0:]
        V = np.diag(I22) - np.einsum("ij,ij->j", I12, np.linalg.solve(I11, I12))
        d = grad[k0:]
        N = self.ntotal_
        # as lavaan: a parameter that would not be identified if freed (e.g. a marker
        # loading) has V ~ 0 and no index (NA, then dropped)
        V = np.where(V < np.finfo(float).eps ** (1 / 3), np.nan, V)
        mi = N * d ** 2 / V
        epc = -d / V
        recs = []
        cand_rows = [r for r in rows if r.get("_cand")]
        sds = {}
        for r in cand_rows:
            j = r["free"] - 1 - kf
            g = r["group"] - 1
            if g not in sds:
                C, _ = self.model_.total_moments(self.theta_, g)
                A, S, M = self.model_.matrices(self.theta_, g)
                sds[g] = (np.sqrt(np.diag(C)), np.diag(S))
            sd, sdiag = sds[g]
            pos = self.model_.pos
            if r["op"] == "=~":
                sepc = epc[j] * sd[pos[r["lhs"]]] / sd[pos[r["rhs"]]]
            elif r["op"] == "~":
                sepc = epc[j] * sd[pos[r["rhs"]]] / sd[pos[r["lhs"]]]
            else:
                sepc = epc[j] / math.sqrt(sdiag[pos[r["lhs"]]] * sdiag[pos[r["rhs"]]])
            recs.append({"lhs": r["lhs"], "op": r["op"], "rhs": r["rhs"], "group": r["group"],
                         "mi": mi[j], "epc": epc[j], "sepc_all": sepc})
        out = pd.DataFrame.from_records(recs, columns=["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all"])
        out = out[out["mi"] >= minimum].sort_values("mi", ascending=False, kind="stable").reset_index(drop=True)
        return out


    def release_tests(self) -> pd.DataFrame:
        """Score tests for releasing each equality constraint (one at a time).

        Every parameter shared by several rows (``group_equal`` or a repeated
        label) gives one test per extra row: freeing that row alone.

        Returns
        -------
        DataFrame
            Columns ``lhs, op, rhs, group, x2, df, pvalue, epc``, sorted by ``x2``
            (descending); ``epc`` is the expected change of the released row.

        Notes
        -----
        The univariate table of :func:`~.score_tests.score_tests` (complete
        data and FIML), which matches ``lavaan::lavTestScore(fit)$uni``, used to
        locate non-invariant parameters for partial invariance (Byrne,
        Shavelson & Muthén 1989, doi:10.1037/0033-2909.105.3.456).
        """
        return score_tests(self, cumulative=False).univariate
