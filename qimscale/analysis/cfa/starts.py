"""Starting values, in the spirit of lavaan's ``start = "simple"``/``"default"``.

Loadings come from the first principal axis of each factor's indicators
(scaled to the marker, or to unit factor variance with ``std_lv``), factor
variances from the marker's explained variance, residual variances are half
the observed variances (as lavaan), intercepts the sample means, and every
other free parameter starts at 0. Fixed values stay as given.
"""

from __future__ import annotations

import numpy as np

from .ml import GroupData
from .partable import ParTable

__all__ = ["start_values"]


def start_values(pt: ParTable, groups: list[GroupData]) -> np.ndarray:
    """Return a starting vector for the free parameters of ``pt``."""
    theta = np.zeros(pt.npar)
    seen = np.zeros(pt.npar, dtype=bool)
    ovpos = {v: i for i, v in enumerate(pt.ov)}
    for gi, gd in enumerate(groups):
        S, mean = gd.cov, gd.mean
        rows = [r for r in pt.rows if r["group"] == gi + 1]
        load = {}
        lvvar = {}
        for f in pt.lv:
            ind = [r for r in rows if r["op"] == "=~" and r["lhs"] == f]
            obs = [r["rhs"] for r in ind if r["rhs"] in ovpos]
            if len(obs) >= 2:
                idx = [ovpos[v] for v in obs]
                sub = S[np.ix_(idx, idx)]
                w, V = np.linalg.eigh(sub)
                lam = V[:, -1] * np.sqrt(max(w[-1], 1e-6))
                if lam.sum() < 0:
                    lam = -lam
                lam = dict(zip(obs, lam))
            else:
                lam = {v: 1.0 for v in obs}
            marker = next((r for r in ind if r["free"] == 0 and not np.isnan(r["ustart"])
                           and r["ustart"] != 0), None)
            if marker is not None and marker["rhs"] in lam and abs(lam[marker["rhs"]]) > 1e-8:
                scale = lam[marker["rhs"]] / marker["ustart"]
                lvvar[f] = scale ** 2
                for r in ind:
                    load[r["rhs"]] = lam.get(r["rhs"], 1.0) / scale
            else:
                lvvar[f] = 1.0
                for r in ind:
                    load[r["rhs"]] = lam.get(r["rhs"], 1.0)
        for r in rows:
            k = r["free"] - 1
            if k < 0 or seen[k]:
                continue
            op, lhs, rhs = r["op"], r["lhs"], r["rhs"]
            if not np.isnan(r["ustart"]) and r["free"] > 0 and r["user"]:
                val = r["ustart"]
            elif op == "=~":
                val = load.get(rhs, 1.0)
            elif op == "~~" and lhs == rhs:
                if lhs in ovpos:
                    val = 0.5 * S[ovpos[lhs], ovpos[lhs]]
                else:
                    val = lvvar.get(lhs, 1.0) if not pt.std_lv else 1.0
            elif op == "~1" and lhs in ovpos:
                val = mean[ovpos[lhs]]
            else:
                val = 0.0
            theta[k] = val
            seen[k] = True
    return theta
