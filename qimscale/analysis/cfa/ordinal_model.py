"""Model-implied thresholds and polychoric correlations (delta parameterisation).

:class:`OrdinalModel` reads a :class:`~qimscale.analysis.cfa.partable.ParTable`
whose observed variables are all ordered and returns, per group, the implied
statistics in the order of :mod:`.ordinal_stage1` and their Jacobian.

Notes
-----
For group :math:`g` with loadings :math:`\\Lambda`, factor covariance
:math:`\\Psi`, residual covariances :math:`\\Theta^{*}` (off-diagonal only),
thresholds :math:`\\tau`, intercepts :math:`\\nu`, latent means
:math:`\\alpha` and scale factors :math:`\\Delta = \\operatorname{diag}(\\delta)`
(lavaan's ``~*~`` rows, fixed to 1 in the first group):

.. math::

   \\rho_{ij} = \\delta_i\\delta_j\\,[\\Lambda\\Psi\\Lambda^\\top + \\Theta^{*}]_{ij},
   \\qquad
   \\tau^{*}_{ic} = \\delta_i\\,(\\tau_{ic} - \\nu_i - \\lambda_i^\\top\\alpha).

The residual variances of the latent responses are not parameters: they are
:math:`1/\\delta_i^2 - [\\Lambda\\Psi\\Lambda^\\top]_{ii}`, so that the implied
correlation matrix has a unit diagonal. This is lavaan's
``parameterization = "delta"``.
"""

from __future__ import annotations

import math

import numpy as np

from qimscale.errors import ModelError

__all__ = ["OrdinalModel"]


def _scatter_cols(J, cols, free):
    """J[:, free] += cols, summing columns that share a parameter."""
    if np.unique(free).size == free.size:
        J[:, free] += cols
    else:
        for k, f in enumerate(free):
            J[:, f] += cols[:, k]


class OrdinalModel:
    """Implied statistics and Jacobian of an all-ordinal CFA parameter table.

    Parameters
    ----------
    partable : ParTable
        Built with ``ordered=`` covering every observed variable and
        ``meanstructure=True``.
    n_thresholds : dict
        Item -> number of thresholds.

    Raises
    ------
    ModelError
        Regressions (``~``), a continuous observed variable, or free residual
        variances of ordered items (not identified under the delta
        parameterisation).
    """

    def __init__(self, partable, n_thresholds: dict):
        self.pt = partable
        self.ov = list(partable.ov)
        self.lv = list(partable.lv)
        self.ngroups = partable.ngroups
        self.npar = partable.npar
        p, m = len(self.ov), len(self.lv)
        self.p, self.m = p, m
        if getattr(partable, "defined", None):
            names = ", ".join(name for name, _ in partable.defined)
            raise ModelError(f"defined parameters (:=) are not available with WLSMV yet ({names}); "
                             "remove them from the model")
        cont = [v for v in self.ov if v not in n_thresholds]
        if cont:
            raise ModelError(f"WLSMV in qimscale needs every observed variable to be ordered; "
                             f"{cont} are not. Pass ordered='all' or list them.")
        self.nth = [int(n_thresholds[v]) for v in self.ov]
        self.th_start = np.concatenate([[0], np.cumsum(self.nth)[:-1]]).astype(int)
        self.th_item = np.repeat(np.arange(p), self.nth)
        self.n_th = int(sum(self.nth))
        self.ii = np.array([i for j in range(p - 1) for i in range(j + 1, p)], dtype=int)
        self.jj = np.array([j for j in range(p - 1) for i in range(j + 1, p)], dtype=int)
        self.pstar = len(self.ii)
        self.pair_index = -np.ones((p, p), dtype=int)
        self.pair_index[self.ii, self.jj] = np.arange(self.pstar)
        self.pair_index[self.jj, self.ii] = np.arange(self.pstar)
        ovi = {v: k for k, v in enumerate(self.ov)}
        lvi = {f: k for k, f in enumerate(self.lv)}
        # slots: (group, kind, i, j, free (0-based, -1 fixed), value)
        self.slots = []
        for r in partable.rows:
            g = r["group"] - 1
            op, lhs, rhs = r["op"], r["lhs"], r["rhs"]
            free = r["free"] - 1
            val = r["ustart"]
            if op == "=~":
                slot = ("lambda", ovi[rhs], lvi[lhs])
            elif op == "~~" and lhs in lvi and rhs in lvi:
                a, b = sorted((lvi[lhs], lvi[rhs]))
                slot = ("psi", a, b)
            elif op == "~~" and lhs in ovi and rhs in ovi:
                if lhs == rhs:
                    if free >= 0:
                        raise ModelError(f"the residual variance of ordered item {lhs!r} cannot be "
                                         "free under the delta parameterisation; remove "
                                         f"'{lhs} ~~ {lhs}' from the model")
                    continue
                a, b = ovi[lhs], ovi[rhs]
                slot = ("theta", max(a, b), min(a, b))
            elif op == "|":
                if not (rhs[:1] == "t" and rhs[1:].isdigit() and int(rhs[1:]) >= 1):
                    raise ModelError(f"threshold {lhs}|{rhs}: thresholds are named t1, t2, ... "
                                     f"(write e.g. '{lhs} | t1')")
                k = int(rhs[1:]) - 1
                if k >= self.nth[ovi[lhs]]:
                    raise ModelError(f"threshold {lhs}|{rhs}: item {lhs!r} has only "
                                     f"{self.nth[ovi[lhs]]} thresholds")
                slot = ("tau", self.th_start[ovi[lhs]] + k, 0)
            elif op == "~1":
                slot = ("nu", ovi[lhs], 0) if lhs in ovi else ("alpha", lvi[lhs], 0)
            elif op == "~*~":
                slot = ("delta", ovi[lhs], 0)
            elif op == ":=":
                continue
            else:
                raise ModelError(f"operator {op!r} ({lhs} {op} {rhs}) is not supported by the "
                                 "WLSMV estimator of qimscale (measurement models only)")
            if free < 0 and (val is None or math.isnan(val)):
                raise ModelError(f"fixed parameter {lhs} {op} {rhs} (group {g + 1}) has no value")
            self.slots.append((g,) + slot + (free, 0.0 if free >= 0 else float(val)))

    # ------------------------------------------------------------------
    def _group_slots(self, g: int) -> dict:
        """Index arrays of the slots of group ``g`` by kind (cached)."""
        cache = self.__dict__.setdefault("_slot_cache", {})
        if g not in cache:
            by = {}
            for (gg, kind, i, j, free, val) in self.slots:
                if gg == g:
                    by.setdefault(kind, []).append((i, j, free, val))
            out = {}
            for kind, lst in by.items():
                arr = np.array(lst, dtype=float)
                i = arr[:, 0].astype(int)
                j = arr[:, 1].astype(int)
                free = arr[:, 2].astype(int)
                out[kind] = (i, j, free, arr[:, 3])
            # incidence of free slots -> parameters, per kind
            cache[g] = out
        return cache[g]

    def matrices(self, theta, g: int) -> dict:
        """Model matrices of group ``g`` (0-based) at ``theta``."""
        p, m = self.p, self.m
        mats = {"lambda": np.zeros((p, m)), "psi": np.zeros((m, m)), "theta": np.zeros((p, p)),
                "tau": np.zeros(self.n_th), "nu": np.zeros(p), "alpha": np.zeros(m),
                "delta": np.ones(p)}
        theta = np.asarray(theta, dtype=float)
        for kind, (i, j, free, val) in self._group_slots(g).items():
            v = np.where(free >= 0, theta[np.maximum(free, 0)] if theta.size else 0.0, val)
            if kind == "lambda":
                mats["lambda"][i, j] = v
            elif kind in ("psi", "theta"):
                mats[kind][i, j] = v
                mats[kind][j, i] = v
            else:
                mats[kind][i] = v
        return mats

    def implied(self, theta, g: int) -> np.ndarray:
        """Implied statistics of group ``g``: thresholds then ``vech*`` correlations."""
        M = self.matrices(theta, g)
        L, P, d = M["lambda"], M["psi"], M["delta"]
        C = L @ P @ L.T + M["theta"]
        r = d[self.ii] * d[self.jj] * C[self.ii, self.jj]
        it = self.th_item
        th = d[it] * (M["tau"] - M["nu"][it] - L[it] @ M["alpha"])
        return np.concatenate([th, r])

    def implied_cor(self, theta, g: int) -> np.ndarray:
        """Implied correlation matrix of the latent responses of group ``g``."""
        R = np.eye(self.p)
        r = self.implied(theta, g)[self.n_th:]
        R[self.ii, self.jj] = r
        R[self.jj, self.ii] = r
        return R

    def jacobian(self, theta, g: int) -> np.ndarray:
        """:math:`\\partial\\sigma_g/\\partial\\theta^\\top`, shape (n_stats, npar)."""
        M = self.matrices(theta, g)
        L, P, d = M["lambda"], M["psi"], M["delta"]
        alpha, nu, tau = M["alpha"], M["nu"], M["tau"]
        ii, jj, it = self.ii, self.jj, self.th_item
        nth, pstar = self.n_th, self.pstar
        C = L @ P @ L.T + M["theta"]
        dd = d[ii] * d[jj]
        B = P @ L.T  # (m, p)
        J = np.zeros((nth + pstar, self.npar))
        Jr, Jt = J[nth:], J[:nth]
        for kind, (i, j, free, _val) in self._group_slots(g).items():
            keep = free >= 0
            if not keep.any():
                continue
            i, j, free = i[keep], j[keep], free[keep]
            cr = ct = None
            if kind == "lambda":
                cr = dd[:, None] * ((ii[:, None] == i) * B[j[None, :], jj[:, None]]
                                    + (jj[:, None] == i) * B[j[None, :], ii[:, None]])
                ct = (it[:, None] == i) * (-d[i] * alpha[j])[None, :]
            elif kind == "psi":
                half = np.where(i == j, 0.5, 1.0)
                cr = dd[:, None] * half * (L[ii][:, i] * L[jj][:, j] + L[ii][:, j] * L[jj][:, i])
            elif kind == "theta":
                np.add.at(Jr, (self.pair_index[i, j], free), dd[self.pair_index[i, j]])
            elif kind == "tau":
                np.add.at(Jt, (i, free), d[it[i]])
            elif kind == "nu":
                ct = (it[:, None] == i) * (-d[i])[None, :]
            elif kind == "alpha":
                ct = -(d[it])[:, None] * L[it][:, i]
            elif kind == "delta":
                cij = C[ii, jj]
                cr = ((ii[:, None] == i) * (d[jj] * cij)[:, None]
                      + (jj[:, None] == i) * (d[ii] * cij)[:, None])
                ct = (it[:, None] == i) * (tau - nu[it] - L[it] @ alpha)[:, None]
            if cr is not None:
                _scatter_cols(Jr, cr, free)
            if ct is not None:
                _scatter_cols(Jt, ct, free)
        return J

    def start(self, thresholds_by_group: list) -> np.ndarray:
        """Starting values: sample thresholds, loadings 0.7, variances 1, rest 0 / 1."""
        theta = np.zeros(self.npar)
        set_ = np.zeros(self.npar, dtype=bool)
        for (g, kind, i, j, free, _val) in self.slots:
            if free < 0 or set_[free]:
                continue
            if kind == "lambda":
                v = 0.7
            elif kind == "psi":
                v = 1.0 if i == j else 0.0
            elif kind == "tau":
                v = thresholds_by_group[g][i]
            elif kind == "delta":
                v = 1.0
            else:
                v = 0.0
            theta[free] = v
            set_[free] = True
        return theta
