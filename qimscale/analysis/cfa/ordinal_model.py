"""Model-implied thresholds and polychoric correlations (delta parameterisation).

:class:`OrdinalModel` reads a :class:`~qimscale.analysis.cfa.partable.ParTable`
whose observed variables are ordered (or ordered and continuous) and returns, per
group, the implied statistics in the order of :mod:`.ordinal_stage1` (or
:mod:`.ordinal_stage1_mixed`) and their Jacobian.

Notes
-----
For group :math:`g` with loadings :math:`\\Lambda`, regressions among the
latent variables and second-order loadings :math:`B` (lavaan's ``beta``),
latent (disturbance) covariances :math:`\\Psi`, residual covariances
:math:`\\Theta^{*}` (off-diagonal only), thresholds :math:`\\tau`, intercepts
:math:`\\nu`, latent means :math:`\\alpha` and scale factors
:math:`\\Delta = \\operatorname{diag}(\\delta)` (lavaan's ``~*~`` rows, fixed
to 1 in the first group), the total latent covariance and means are
:math:`\\Psi^{*} = (I - B)^{-1}\\Psi(I - B)^{-\\top}` and
:math:`\\alpha^{*} = (I - B)^{-1}\\alpha`, and

.. math::

   \\rho_{ij} = \\delta_i\\delta_j\\,[\\Lambda\\Psi^{*}\\Lambda^\\top + \\Theta^{*}]_{ij},
   \\qquad
   \\tau^{*}_{ic} = \\delta_i\\,(\\tau_{ic} - \\nu_i - \\lambda_i^\\top\\alpha^{*}).

The residual variances of the latent responses are not parameters: they are
:math:`1/\\delta_i^2 - [\\Lambda\\Psi^{*}\\Lambda^\\top]_{ii}`, so that the implied
correlation matrix has a unit diagonal. This is lavaan's
``parameterization = "delta"``.

A continuous observed variable :math:`k` has no thresholds and no scale factor
(:math:`\\delta_k = 1`): its slot among the thresholds holds minus its implied mean,
:math:`-(\\nu_k + \\lambda_k^\\top\\alpha^{*})`, its implied variance
:math:`[\\Lambda\\Psi^{*}\\Lambda^\\top]_{kk} + \\theta_{kk}` (a free residual
variance) follows the thresholds, and its covariances with ordered items are
:math:`\\delta_i\\,[\\Lambda\\Psi^{*}\\Lambda^\\top + \\Theta]_{ik}` (lavaan's
``WLS.est`` with numeric variables). An observed variable regressed on latent
variables (``perf ~ F``) is a loading of that variable.
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
    """Implied statistics and Jacobian of an ordinal (or mixed) CFA/SEM parameter table.

    Parameters
    ----------
    partable : ParTable
        Built with ``ordered=`` and ``meanstructure=True``; observed variables
        not in ``n_thresholds`` are continuous.
    n_thresholds : dict
        Ordered item -> number of thresholds.

    Raises
    ------
    ModelError
        Regressions on observed variables other than covariates (those are
        :class:`.ordinal_model_x.OrdinalXModel`'s), thresholds of a continuous variable, or free
        residual variances of ordered items (not identified under the delta
        parameterisation).
    """

    #: observed exogenous covariates (none here; see :class:`.ordinal_model_x.OrdinalXModel`)
    covariates: tuple = ()
    #: whether the statistics hold probit slopes on covariates (lavaan's conditional.x)
    conditional_x = False

    def __init__(self, partable, n_thresholds: dict):
        self.pt = partable
        self.ov = [v for v in partable.ov if v not in self.covariates]
        self.lv = list(partable.lv)
        self.ngroups = partable.ngroups
        # linear equality constraints (a == 2*b): theta = K theta* + c (.constraints); the public
        # methods take theta* (npar long), the slots index theta (nfull long)
        self.lin = partable.lin
        self.nfull = partable.npar
        self.npar = partable.npar if self.lin is None else self.lin.nstar
        p, m = len(self.ov), len(self.lv)
        self.p, self.m = p, m
        # continuous observed variables (mixed indicators, see .ordinal_stage1_mixed): one 'threshold'
        # slot each (minus the mean, as lavaan's WLS.obs), then one variance slot each before the
        # covariances; the variance slots are the pairs (k, k) at the front of ii/jj
        self.continuous = [v for v in self.ov if v not in n_thresholds]
        self.num = np.array([k for k, v in enumerate(self.ov) if v not in n_thresholds], dtype=int)
        self.n_var = len(self.num)
        self.nth = [int(n_thresholds.get(v, 1)) for v in self.ov]
        self.th_start = np.concatenate([[0], np.cumsum(self.nth)[:-1]]).astype(int)
        self.th_item = np.repeat(np.arange(p), self.nth)
        self.n_th = int(sum(self.nth))
        self.n_uni = self.n_th + self.n_var  # thresholds/means and variances: free in the baseline model
        self.ii = np.array(list(self.num) + [i for j in range(p - 1) for i in range(j + 1, p)], dtype=int)
        self.jj = np.array(list(self.num) + [j for j in range(p - 1) for i in range(j + 1, p)], dtype=int)
        self.pstar = len(self.ii)
        self.pair_index = -np.ones((p, p), dtype=int)
        self.pair_index[self.ii, self.jj] = np.arange(self.pstar)
        self.pair_index[self.jj, self.ii] = np.arange(self.pstar)
        ovi = {v: k for k, v in enumerate(self.ov)}
        lvi = {f: k for k, f in enumerate(self.lv)}
        # slots: (group, kind, i, j, free (0-based, -1 fixed), value)
        self.slots = []
        self.higher = set()  # (group, i, j) of beta slots that are second-order loadings
        for r in partable.rows:
            g = r["group"] - 1
            op, lhs, rhs = r["op"], r["lhs"], r["rhs"]
            free = r["free"] - 1
            val = r["ustart"]
            if op == "=~" and rhs in lvi:  # second-order factor: a regression of rhs on lhs
                slot = ("beta", lvi[rhs], lvi[lhs])
                self.higher.add((g, lvi[rhs], lvi[lhs]))
            elif op == "=~":
                slot = ("lambda", ovi[rhs], lvi[lhs])
            elif op == "~" and lhs in lvi and rhs in lvi:
                slot = ("beta", lvi[lhs], lvi[rhs])
            elif op == "~" and lhs in ovi and rhs in lvi:  # an observed outcome of a latent: a loading
                slot = ("lambda", ovi[lhs], lvi[rhs])
            elif op == "~":
                slot = self._other_slot(r, ovi, lvi, (
                    f"the regression '{lhs} ~ {rhs}' involves an observed variable: under "
                    "WLSMV qimscale fits regressions among latent variables and of latent variables or "
                    "ordered items on observed exogenous covariates (lavaan's conditional.x = TRUE); "
                    "regress on latent variables or covariates, or use estimator 'ML'/'MLR'"))
                if slot is None:
                    continue
            elif op == "~~" and lhs in lvi and rhs in lvi:
                a, b = sorted((lvi[lhs], lvi[rhs]))
                slot = ("psi", a, b)
            elif op == "~~" and lhs in ovi and rhs in ovi:
                if lhs == rhs and lhs not in self.continuous:  # a continuous one's is a parameter
                    if free >= 0:
                        raise ModelError(f"the residual variance of ordered item {lhs!r} cannot be "
                                         "free under the delta parameterisation; remove "
                                         f"'{lhs} ~~ {lhs}' from the model")
                    continue
                a, b = ovi[lhs], ovi[rhs]
                slot = ("theta", max(a, b), min(a, b))
            elif op == "|":
                if lhs in self.continuous:
                    raise ModelError(f"threshold {lhs}|{rhs}: {lhs!r} is continuous; list it among the "
                                     "ordered variables or remove the threshold")
                if not (rhs[:1] == "t" and rhs[1:].isdigit() and int(rhs[1:]) >= 1):
                    raise ModelError(f"threshold {lhs}|{rhs}: thresholds are named t1, t2, ... "
                                     f"(write e.g. '{lhs} | t1')")
                k = int(rhs[1:]) - 1
                if k >= self.nth[ovi[lhs]]:
                    raise ModelError(f"threshold {lhs}|{rhs}: item {lhs!r} has only "
                                     f"{self.nth[ovi[lhs]]} thresholds")
                slot = ("tau", self.th_start[ovi[lhs]] + k, 0)
            elif op == "~1" and (lhs in ovi or lhs in lvi):
                slot = ("nu", ovi[lhs], 0) if lhs in ovi else ("alpha", lvi[lhs], 0)
            elif op == "~*~":
                slot = ("delta", ovi[lhs], 0)
            elif op == ":=":
                continue
            else:
                slot = self._other_slot(r, ovi, lvi, (
                    f"'{lhs} {op} {rhs}' is not supported by the WLSMV estimator of qimscale "
                    "(covariances are taken between two latent variables or between two "
                    "items; '~' between latent variables)"))
                if slot is None:
                    continue
            if free < 0 and (val is None or math.isnan(val)):
                raise ModelError(f"fixed parameter {lhs} {op} {rhs} (group {g + 1}) has no value")
            self.slots.append((g,) + slot + (free, 0.0 if free >= 0 else float(val)))

    def _other_slot(self, row, ovi, lvi, message):
        """Slot of a row the ordinal model does not know; here a :class:`ModelError` (``message``).

        Subclasses return a slot tuple ``(kind, i, j)`` or ``None`` to skip the row.
        """
        raise ModelError(message)

    @property
    def n_base(self) -> int:
        """Leading statistics the baseline model leaves free (thresholds; means and variances of
        continuous variables)."""
        return self.n_uni

    @property
    def cor_offset(self) -> int:
        """Where the pair statistics (indexed by ``ii``/``jj``) start in the statistics vector."""
        return self.n_th

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
        r"""Model matrices of group ``g`` (0-based) at ``theta``.

        Besides the parameter matrices (``lambda``, ``beta``, ``psi``, ``theta``,
        ``tau``, ``nu``, ``alpha``, ``delta``) the dict holds ``ib_inv``
        :math:`(I - B)^{-1}`, the total latent covariance ``psi_total``
        :math:`(I-B)^{-1}\Psi(I-B)^{-\top}` and latent means ``alpha_total``.
        """
        p, m = self.p, self.m
        mats = {"lambda": np.zeros((p, m)), "beta": np.zeros((m, m)), "psi": np.zeros((m, m)),
                "theta": np.zeros((p, p)), "tau": np.zeros(self.n_th), "nu": np.zeros(p),
                "alpha": np.zeros(m), "delta": np.ones(p)}
        theta = np.asarray(theta, dtype=float) if self.lin is None else self.lin.expand(theta)
        for kind, (i, j, free, val) in self._group_slots(g).items():
            v = np.where(free >= 0, theta[np.maximum(free, 0)] if theta.size else 0.0, val)
            if kind in ("lambda", "beta"):
                mats[kind][i, j] = v
            elif kind in ("psi", "theta"):
                mats[kind][i, j] = v
                mats[kind][j, i] = v
            elif kind in mats:  # a subclass's own kinds are filled by the subclass
                mats[kind][i] = v
        B = mats["beta"]
        if B.any():
            try:
                E = np.linalg.inv(np.eye(m) - B)
            except np.linalg.LinAlgError:
                raise ModelError("the structural part is singular: (I - B) cannot be inverted "
                                 "(check for cycles among the regressions)") from None
            mats["ib_inv"] = E
            mats["psi_total"] = E @ mats["psi"] @ E.T
            mats["alpha_total"] = E @ mats["alpha"]
        else:
            mats["ib_inv"] = np.eye(m)
            mats["psi_total"] = mats["psi"]
            mats["alpha_total"] = mats["alpha"]
        return mats

    def implied(self, theta, g: int) -> np.ndarray:
        """Implied statistics of group ``g``: thresholds then ``vech*`` correlations."""
        M = self.matrices(theta, g)
        L, P, d = M["lambda"], M["psi_total"], M["delta"]
        C = L @ P @ L.T + M["theta"]
        r = d[self.ii] * d[self.jj] * C[self.ii, self.jj]
        it = self.th_item
        th = d[it] * (M["tau"] - M["nu"][it] - L[it] @ M["alpha_total"])
        return np.concatenate([th, r])

    def implied_cor(self, theta, g: int) -> np.ndarray:
        """Implied correlation matrix of the latent responses of group ``g``."""
        R = np.eye(self.p)
        r = self.implied(theta, g)[self.n_th:]
        R[self.ii, self.jj] = r
        R[self.jj, self.ii] = r
        return R

    def jacobian(self, theta, g: int) -> np.ndarray:
        """:math:`\\partial\\sigma_g/\\partial\\theta^\\top`, shape (n_stats, npar).

        With linear equality constraints the derivative wrt :math:`\\theta^*`:
        :math:`\\Delta K` (:mod:`.constraints`).
        """
        J = self._jacobian_full(theta, g)
        return J if self.lin is None else self.lin.jacobian(J)

    def _jacobian_full(self, theta, g: int) -> np.ndarray:
        """The Jacobian wrt the ``nfull`` free indices of the table."""
        M = self.matrices(theta, g)
        L, P, d = M["lambda"], M["psi_total"], M["delta"]
        alpha, nu, tau = M["alpha_total"], M["nu"], M["tau"]
        LE = L @ M["ib_inv"]  # loadings on the latent disturbances
        LP = L @ P
        ii, jj, it = self.ii, self.jj, self.th_item
        nth, pstar = self.n_th, self.pstar
        C = L @ P @ L.T + M["theta"]
        dd = d[ii] * d[jj]
        B = P @ L.T  # (m, p)
        J = np.zeros((nth + pstar, self.nfull))
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
                cr = dd[:, None] * half * (LE[ii][:, i] * LE[jj][:, j] + LE[ii][:, j] * LE[jj][:, i])
            elif kind == "beta":
                # d psi_total / d B[i, j] = E[:, i] psi_total[j, :] + (.)'
                cr = dd[:, None] * (LE[ii][:, i] * LP[jj][:, j] + LP[ii][:, j] * LE[jj][:, i])
                ct = -(d[it])[:, None] * LE[it][:, i] * alpha[j][None, :]
            elif kind == "theta":
                np.add.at(Jr, (self.pair_index[i, j], free), dd[self.pair_index[i, j]])
            elif kind == "tau":
                np.add.at(Jt, (i, free), d[it[i]])
            elif kind == "nu":
                ct = (it[:, None] == i) * (-d[i])[None, :]
            elif kind == "alpha":
                ct = -(d[it])[:, None] * LE[it][:, i]
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

    def start(self, thresholds_by_group: list, cors_by_group: list | None = None) -> np.ndarray:
        """Starting values from the sample statistics.

        Thresholds start at the sample thresholds. With the sample polychoric
        correlations (``cors_by_group``, the ``vech*`` part of the stage-1
        statistics), each first-order factor gets the loadings of the first
        principal axis of its items (scaled to the fixed marker), factor
        covariances the mean cross-correlation divided by the loadings, and
        second-order loadings and latent regressions the values these
        covariances imply; so no factor starts uncorrelated with the rest (a
        factor with two indicators would otherwise give a singular system).
        Without correlations: loadings 0.7, variances 1, everything else 0.
        With linear equality constraints the start is :math:`\\theta^*`, the
        unconstrained elements (:meth:`.LinearMap.reduce`).
        """
        theta = np.zeros(self.nfull)
        set_ = np.zeros(self.nfull, dtype=bool)
        guess = [self._start_guess(g, None if cors_by_group is None else cors_by_group[g])
                 for g in range(self.ngroups)]
        for (g, kind, i, j, free, _val) in self.slots:
            if free < 0 or set_[free]:
                continue
            lam, phi, beta, psi = guess[g]
            if kind == "lambda":
                v = lam[i, j]
            elif kind == "beta":
                v = beta[i, j]
            elif kind == "psi":
                v = psi[i, j]
            elif kind == "tau":
                v = thresholds_by_group[g][i]
            elif kind == "delta":
                v = 1.0
            elif kind == "theta" and i == j:  # continuous variable: half its variance, as lavaan
                v = 0.5 * (cors_by_group[g][self.pair_index[i, i]] if cors_by_group is not None else 1.0)
            elif kind == "nu" and i in self.num:  # continuous variable: its mean (the slot holds -mean)
                v = -thresholds_by_group[g][self.th_start[i]]
            else:
                v = 0.0
            theta[free] = v
            set_[free] = True
        return theta if self.lin is None else self.lin.reduce(theta)

    def _start_guess(self, g: int, cors):
        """``(lambda, phi, beta, psi)`` start matrices of group ``g`` (see :meth:`start`)."""
        p, m = self.p, self.m
        lam = np.zeros((p, m))
        beta = np.zeros((m, m))
        fixed = {}
        lam_rows, beta_rows = {}, {}
        for (gg, kind, i, j, free, val) in self.slots:
            if gg != g:
                continue
            if kind == "lambda":
                lam_rows.setdefault(j, []).append((i, free, val))
            elif kind == "beta" and (g, i, j) in self.higher:
                beta_rows.setdefault(j, []).append((i, free, val))
            elif kind == "psi" and free < 0:
                fixed[(i, j)] = val
        if cors is None:
            for f, rows in lam_rows.items():
                for i, free, val in rows:
                    lam[i, f] = 0.7 if free >= 0 else val
            phi = np.eye(m)
            return lam, phi, beta, np.eye(m)
        R = np.eye(p)
        R[self.ii, self.jj] = cors
        R[self.jj, self.ii] = cors
        phi = np.eye(m)
        for f, rows in lam_rows.items():
            load, var = _one_factor(R, rows, fixed.get((f, f)))
            lam[[i for i, _, _ in rows], f] = load
            phi[f, f] = var
        # covariances of first-order factors: mean r_ij / (lambda_i lambda_f)
        first = sorted(lam_rows)
        for a_i, a in enumerate(first):
            for b in first[a_i + 1:]:
                vals = [R[i, k] / (lam[i, a] * lam[k, b]) for i, _, _ in lam_rows[a]
                        for k, _, _ in lam_rows[b] if i != k and abs(lam[i, a] * lam[k, b]) > 1e-3]
                c = float(np.mean(vals)) if vals else 0.0
                lim = 0.9 * math.sqrt(phi[a, a] * phi[b, b])
                phi[a, b] = phi[b, a] = min(max(c, -lim), lim)
        # second-order factors: one factor on the covariances of their factor indicators
        for h, rows in beta_rows.items():
            idx = [i for i, _, _ in rows]
            if not all(i in lam_rows for i in idx):
                for i, free, val in rows:
                    beta[i, h] = 0.7 if free >= 0 else val
                continue
            load, var = _one_factor(phi, rows, fixed.get((h, h)))
            beta[idx, h] = load
            phi[h, h] = var
            for a in first:
                if a not in idx:
                    phi[a, h] = phi[h, a] = float(np.mean([phi[a, i] / bl for i, bl in zip(idx, load)
                                                           if abs(bl) > 1e-3] or [0.0]))
        # latent regressions (not second-order): coefficients implied by phi
        preds: dict = {}
        for (gg, kind, i, j, free, val) in self.slots:
            if gg == g and kind == "beta" and (g, i, j) not in self.higher:
                preds.setdefault(i, []).append(j)
        for y, xs in preds.items():
            Sxx = phi[np.ix_(xs, xs)]
            try:
                b = np.linalg.solve(Sxx, phi[xs, y])
            except np.linalg.LinAlgError:
                b = np.zeros(len(xs))
            beta[y, xs] = b
        # disturbance covariance implied by phi: (I - B) phi (I - B)'
        IB = np.eye(m) - beta
        psi = IB @ phi @ IB.T
        for f in range(m):  # keep disturbance variances clearly positive
            psi[f, f] = max(psi[f, f], 0.05 * phi[f, f])
        endo = np.flatnonzero(np.abs(beta).sum(axis=1) > 0)
        psi[endo, :] = np.where(np.eye(m)[endo, :] > 0, psi[endo, :], 0.0)
        psi[:, endo] = np.where(np.eye(m)[:, endo] > 0, psi[:, endo], 0.0)
        return lam, phi, beta, psi


def _one_factor(S, rows, fixed_var):
    """Loadings and factor variance from the first principal axis of ``S`` over ``rows``.

    ``rows`` are ``(index, free, value)`` of the indicators; a fixed non-zero
    loading is the marker (the factor variance carries the scale); without a
    marker (``std_lv``) the variance is ``fixed_var`` or 1.
    """
    idx = [i for i, _, _ in rows]
    # on the correlation scale (a continuous indicator with a large variance would otherwise
    # dominate the first axis and inflate the factor variance), then back to the indicators' scales
    sd = np.sqrt(np.clip(np.diag(S)[idx], 1e-12, None))
    sub = S[np.ix_(idx, idx)] / np.outer(sd, sd)
    if len(idx) >= 2:
        w, V = np.linalg.eigh(sub)
        load = V[:, -1] * math.sqrt(max(w[-1], 1e-6))
        if len(idx) == 2:  # one off-diagonal: split it evenly
            r = max(abs(sub[0, 1]), 0.05)
            load = np.sqrt(r * np.diag(sub)) * (np.sign(sub[0, 1]) if sub[0, 1] < 0 else 1.0)
            load[0] = abs(load[0])
        elif load.sum() < 0:
            load = -load
    else:
        load = np.full(len(idx), 0.7)
    load = np.where(np.abs(load) < 0.1, 0.1, load) * sd
    marker = next(((k, val) for k, (_, free, val) in enumerate(rows) if free < 0 and val != 0), None)
    if marker is not None:
        k, val = marker
        scale = load[k] / val
        var = scale ** 2
        load = load / scale
    else:
        var = 1.0 if fixed_var is None or not np.isfinite(fixed_var) else float(fixed_var)
        load = load / math.sqrt(var)
    for k, (_, free, val) in enumerate(rows):
        if free < 0:
            load[k] = val
    return load, var
