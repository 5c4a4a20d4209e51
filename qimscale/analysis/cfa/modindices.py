"""Modification indices (score tests for fixed parameters), as ``lavaan::modindices``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._threads import blas1
from qimscale.errors import ModelError

from .ml import MLObjective
from .model import RAMModel
from .partable import ParTable

__all__ = ["ModificationIndicesMixin"]


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
        doi:10.1007/BF02294448). Matches ``lavaan::modindices(fit)`` for ML.
        """
        pt = self.partable_
        if self.fiml_:
            raise ModelError("modification indices are implemented for complete data only")
        existing = {(r["group"], r["lhs"], r["op"], r["rhs"]) for r in pt.rows}
        existing |= {(r["group"], r["rhs"], r["op"], r["lhs"]) for r in pt.rows if r["op"] == "~~"}
        cand = []
        for g in range(1, pt.ngroups + 1):
            for f in pt.lv:
                for v in pt.ov:
                    if (g, f, "=~", v) not in existing:
                        cand.append((g, f, "=~", v))
            for i, a in enumerate(pt.ov):
                for b in pt.ov[i + 1:]:
                    if (g, a, "~~", b) not in existing:
                        cand.append((g, a, "~~", b))
        rows = [dict(r) for r in pt.rows]
        k0 = pt.npar
        fixed_rows = []
        for r in rows:
            if r["free"] == 0 and r["op"] in ("=~", "~~", "~") and not np.isnan(r["ustart"]) and r["lhs"] != r["rhs"]:
                fixed_rows.append(r)
        nxt = k0
        for r in fixed_rows:
            nxt += 1
            r["free"] = nxt
            r["_cand"] = True
        for g, lhs, op, rhs in cand:
            nxt += 1
            rows.append({"id": len(rows) + 1, "lhs": lhs, "op": op, "rhs": rhs, "user": 0, "group": g,
                         "free": nxt, "ustart": 0.0, "label": "", "plabel": "", "exo": 0, "_cand": True})
        ext = ParTable(rows=rows, ov=pt.ov, lv=pt.lv, ngroups=pt.ngroups, meanstructure=pt.meanstructure)
        emod = RAMModel(ext)
        theta = np.zeros(nxt)
        theta[:k0] = self.theta_
        for r in rows:
            if r.get("_cand"):
                theta[r["free"] - 1] = r["ustart"]
        eobj = MLObjective(emod, self.groups_)
        _, grad = eobj.value_grad(theta)
        info = eobj.information(theta)
        I11 = info[:k0, :k0]
        I12 = info[:k0, k0:]
        I22 = info[k0:, k0:]
        V = np.diag(I22) - np.einsum("ij,ij->j", I12, np.linalg.solve(I11, I12))
        d = grad[k0:]
        N = self.ntotal_
        with np.errstate(divide="ignore", invalid="ignore"):
            mi = N * d ** 2 / V
            epc = -d / V
        recs = []
        cand_rows = [r for r in rows if r.get("_cand")]
        sds = {}
        for r in cand_rows:
            j = r["free"] - 1 - k0
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
        out = pd.DataFrame.from_records(recs)
        out = out[out["mi"] >= minimum].sort_values("mi", ascending=False, kind="stable").reset_index(drop=True)
        return out

