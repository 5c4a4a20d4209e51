"""Starting values, in the spirit of lavaan's ``start = "simple"``/``"default"``.

Loadings of a factor with three or more observed indicators come from
FABIN 3 (Hägglund, 1982; lavaan's default too) with the factor variance
they imply; otherwise from the first principal axis of the indicators'
correlations, rescaled to their standard deviations (so one item with a large
variance cannot carry the factor). Loadings are scaled to the marker, or to
unit factor variance with ``std_lv``. Residual variances start at the
variance the factor leaves unexplained (half the observed variance, as
lavaan, when that is not clearly positive), intercepts at the sample means,
and every other free parameter at 0. Fixed values stay as given.
"""

from __future__ import annotations

import numpy as np

from .ml import GroupData
from .partable import ParTable

__all__ = ["start_values"]


def start_values(pt: ParTable, groups: list[GroupData]) -> np.ndarray:
    """Return a starting vector for the free parameters of ``pt``.

    With linear equality constraints (``pt.lin``) the vector is
    :math:`\\theta^*`: the elements the constraints leave free.
    """
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
            marker = next((r for r in ind if r["free"] == 0 and not np.isnan(r["ustart"])
                           and r["ustart"] != 0), None)
            fab = _fabin(S, [ovpos[v] for v in obs]) if len(obs) >= 3 else None
            if fab is not None:
                rel, psi1 = fab  # loadings relative to the first indicator, its factor variance
                ref = obs.index(marker["rhs"]) if marker is not None and marker["rhs"] in obs else None
                if ref is not None:
                    v = marker["ustart"]
                    lvvar[f] = psi1 * rel[ref] ** 2 / v ** 2
                    scale = v / rel[ref]
                    for r in ind:
                        load[r["rhs"]] = rel[obs.index(r["rhs"])] * scale if r["rhs"] in obs else 1.0
                else:
                    lvvar[f] = 1.0
                    for r in ind:
                        load[r["rhs"]] = rel[obs.index(r["rhs"])] * np.sqrt(psi1) if r["rhs"] in obs else 1.0
                continue
            if len(obs) >= 2:
                idx = [ovpos[v] for v in obs]
                sub = S[np.ix_(idx, idx)]
                sd = np.sqrt(np.diag(sub))
                # first principal axis of the correlations, back on the covariance scale, so that
                # an item with a large variance does not carry the factor alone
                w, V = np.linalg.eigh(sub / np.outer(sd, sd))
                lam = V[:, -1] * np.sqrt(max(w[-1], 1e-6)) * sd
                if lam.sum() < 0:
                    lam = -lam
                lam = dict(zip(obs, lam))
            else:
                lam = {v: 1.0 for v in obs}
            if marker is not None and marker["rhs"] in lam and abs(lam[marker["rhs"]]) > 1e-8:
                scale = lam[marker["rhs"]] / marker["ustart"]
                lvvar[f] = scale ** 2
                for r in ind:
                    load[r["rhs"]] = lam.get(r["rhs"], 1.0) / scale
            else:
                lvvar[f] = 1.0
                for r in ind:
                    load[r["rhs"]] = lam.get(r["rhs"], 1.0)
        # variance an item shares with its factor(s) at these starts (covariances ignored)
        common: dict = {}
        for r in rows:
            if r["op"] == "=~" and r["rhs"] in ovpos and r["rhs"] in load and r["lhs"] in lvvar:
                common[r["rhs"]] = common.get(r["rhs"], 0.0) + load[r["rhs"]] ** 2 * lvvar[r["lhs"]]
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
                    s_jj = S[ovpos[lhs], ovpos[lhs]]
                    val = s_jj - common.get(lhs, s_jj)
                    if val < 0.05 * s_jj:  # no usable common part: half the variance, as lavaan
                        val = 0.5 * s_jj
                else:
                    val = lvvar.get(lhs, 1.0) if not pt.std_lv else 1.0
            elif op == "~1" and lhs in ovpos:
                val = mean[ovpos[lhs]]
            else:
                val = 0.0
            theta[k] = val
            seen[k] = True
    return theta if pt.lin is None else pt.lin.reduce(theta)


def _fabin(S, idx):
    """FABIN 3 loadings (Hägglund, 1982) of one factor relative to its first indicator.

    For indicator ``i`` (not the first, ``m``) with instruments ``Z`` (the
    other indicators): ``lambda_i = s_mZ S_ZZ^-1 s_Zi / s_mZ S_ZZ^-1 s_Zm``.
    The factor variance (in the first indicator's metric) is the mean of
    ``s_jk / (lambda_j lambda_k)`` over pairs. Returns ``None`` when a
    denominator vanishes or the variance is not in ``(0, s_mm)`` (a negative
    one leads the optimiser into the wrong basin), so the caller falls back
    to a principal axis.

    References
    ----------
    Hägglund, G. (1982). Factor analysis by instrumental variables methods.
    *Psychometrika*, 47(2), 209–222. https://doi.org/10.1007/BF02296276
    """
    k = len(idx)
    sub = S[np.ix_(idx, idx)]
    rel = np.ones(k)
    for i in range(1, k):
        z = [j for j in range(1, k) if j != i]
        Szz = sub[np.ix_(z, z)]
        try:
            a = np.linalg.solve(Szz, sub[z, 0])
        except np.linalg.LinAlgError:
            return None
        den = sub[0, z] @ a
        if abs(den) < 1e-12 * sub[0, 0] * max(np.max(np.diag(Szz)), 1e-300):
            return None
        rel[i] = (sub[i, z] @ a) / den
    pairs = [sub[j, l] / (rel[j] * rel[l]) for j in range(k) for l in range(j + 1, k)
             if abs(rel[j] * rel[l]) > 1e-8]
    psi = float(np.mean(pairs)) if pairs else 0.0
    if not (0 < psi < sub[0, 0]) or not np.all(np.isfinite(rel)):
        return None
    return rel, psi
