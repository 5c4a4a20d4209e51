"""Results of a fitted CFA/SEM: estimates, fit measures, standardised solutions, diagnostics.

Fit measures follow ``lavaan::fitMeasures()`` (names with ``.`` turned into
``_``):

- ``chisq = 2 (logl_H1 - logl)`` (``= 2 N fmin`` for complete data), ``df`` =
  sample moments minus free parameters; the baseline is the independence model
  (free variances, and free means with a mean structure);
- ``cfi = 1 - max(X2 - df, 0) / max(X2 - df, X2_b - df_b, 0)``,
  ``tli = 1 - (X2 - df) df_b / ((X2_b - df_b) df)`` (Bentler 1990,
  doi:10.1037/0033-2909.107.2.238);
- ``rmsea = sqrt(max(X2 / (N df) - 1 / N, 0)) sqrt(G)`` with ``N`` the total
  sample size and ``G`` groups; the 90% CI inverts the non-central chi-square
  (Browne & Cudeck 1993); ``rmsea_pvalue`` tests RMSEA <= .05;
- ``srmr`` is lavaan's Bentler SRMR: per group the root mean square of
  ``(s_ij - sigma_ij) / sqrt(s_ii s_jj)`` over the lower triangle including
  the diagonal (and of ``(ybar_i - mu_i) / sqrt(s_ii)`` with a mean
  structure), weighted by ``n_g / N`` across groups;
- ``logl`` includes the ``-N p log(2 pi) / 2`` constant; ``aic = -2 logl + 2 npar``,
  ``bic = -2 logl + npar log N``, ``bic2`` uses ``(N + 2) / 24``.

For MLR the robust versions use the Yuan–Bentler scaling factor ``c``
(:mod:`.mlr`): ``chisq_scaled = X2 / c``; ``cfi_robust``, ``tli_robust`` and
``rmsea_robust`` replace ``df`` by ``c df`` (Brosseau-Liard & Savalei 2014,
doi:10.1080/00273171.2014.933697; Brosseau-Liard, Savalei & Li 2012,
doi:10.1080/00273171.2012.715252). After FIML, ``cfi_robust``, ``tli_robust``
and ``rmsea_robust`` (also for plain ML) are Zhang & Savalei's corrected
indices (doi:10.1037/met0000445): the complete-data ML statistic of the FIML
estimates at the EM moments, with its own scaling constant.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from qimscale._core.distributions import chi2_ppf, chi2_sf, ncx2_cdf, ncx2_sf, norm_ppf, norm_sf
from qimscale._core.linalg import (STRICT_RTOL, is_positive_definite, is_positive_semidefinite,
                                   is_singular, zero_tolerance)
from qimscale._core.result import Result, measure_table
from qimscale.errors import ModelError

from .._threads import blas1
from .fiml import FIMLObjective, Patterns, fiml_loglik, saturated_hessian
from .ml import MLObjective
from .bootstrap import BootstrapMixin
from .defined import compile_defined, delta_method
from .fit_indices import cfi as _cfi
from .fit_indices import rmsea as _rmsea
from .fit_indices import rmsea_ci
from .fit_indices import rmsea_close as _rmsea_close
from .fit_indices import tli as _tli
from .modindices import ModificationIndicesMixin
from .mlr import casewise_scores, saturated_basis, yuan_bentler_trace
from .ml import expected_information_normal as _expected_info
from .model import RAMModel, vech_indices
from .partable import ParTable
from .validity import ValidityMixin

__all__ = ["CFAResult", "numerical_hessian", "rmsea_ci"]


LOG2PI = math.log(2 * math.pi)
Z975 = norm_ppf(0.975)


def numerical_hessian(objective, theta, *, h: float = 1e-5) -> np.ndarray:
    """Hessian of ``objective.value``: analytic where the objective offers it
    (``observed_information``, FIML), else central differences of the analytic gradient."""
    if hasattr(objective, "observed_information"):
        return objective.observed_information(theta)
    k = len(theta)
    H = np.zeros((k, k))
    for j in range(k):
        step = h * max(1.0, abs(theta[j]))
        e = np.zeros(k)
        e[j] = step
        _, g1 = objective.value_grad(theta + e)
        _, g2 = objective.value_grad(theta - e)
        H[:, j] = (g1 - g2) / (2 * step)
    return 0.5 * (H + H.T)


def _independence_partable(pt: ParTable, groups) -> ParTable:
    """Independence model: free variances (and means); fixed-x covariates keep their sample moments."""
    rows = []
    xs = set(pt.ov_x)
    pos = {v: i for i, v in enumerate(pt.ov)}

    def add(lhs, op, rhs, g, free, value=math.nan):
        rows.append({"id": len(rows) + 1, "lhs": lhs, "op": op, "rhs": rhs, "user": 0, "group": g + 1,
                     "free": free, "ustart": value, "label": "", "plabel": "", "exo": int(not free)})

    k = 0
    for g, gd in enumerate(groups):
        for j, v in enumerate(pt.ov):
            if v in xs:
                for w in pt.ov[j:]:
                    if w in xs:
                        add(v, "~~", w, g, 0, float(gd.cov[pos[v], pos[w]]))
            else:
                k += 1
                add(v, "~~", v, g, k)
        if pt.meanstructure:
            for v in pt.ov:
                if v in xs:
                    add(v, "~1", "", g, 0, float(gd.mean[pos[v]]))
                else:
                    k += 1
                    add(v, "~1", "", g, k)
    return ParTable(rows=rows, ov=list(pt.ov), lv=[], ngroups=pt.ngroups, meanstructure=pt.meanstructure,
                    ov_x=list(pt.ov_x))


def _saturated_partable(p_names, ngroups) -> ParTable:
    rows = []
    for g in range(ngroups):
        for j, a in enumerate(p_names):
            for b in p_names[j:]:
                rows.append({"id": len(rows) + 1, "lhs": a, "op": "~~", "rhs": b, "user": 0, "group": g + 1,
                             "free": len(rows) + 1, "ustart": math.nan, "label": "", "plabel": "", "exo": 0})
        for v in p_names:
            rows.append({"id": len(rows) + 1, "lhs": v, "op": "~1", "rhs": "", "user": 0, "group": g + 1,
                         "free": len(rows) + 1, "ustart": math.nan, "label": "", "plabel": "", "exo": 0})
    return ParTable(rows=rows, ov=list(p_names), lv=[], ngroups=ngroups, meanstructure=True)


class CFAResult(ValidityMixin, ModificationIndicesMixin, BootstrapMixin, Result):
    """A fitted CFA/SEM model (returned by :meth:`CFA.fit`).

    Attributes
    ----------
    theta_ : ndarray
        Free parameter estimates (ordered by the ``free`` index of the table).
    vcov_ : ndarray
        Their covariance matrix (ML: inverse information; MLR: sandwich).
    partable_ : ParTable
    converged_ : bool
    warnings_ : list of str
        Non-convergence, Heywood cases, non-positive-definite matrices
        (also as :attr:`warnings`, the result protocol's name).
    group_labels_ : list
    """

    title = "Confirmatory factor analysis"

    @property
    def warnings(self) -> list[str]:
        """The result protocol's name for :attr:`warnings_` (the same list)."""
        return self.warnings_

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"fit"`` (``measure, value``: :meth:`fit_measures`), ``"estimates"``
        (:meth:`parameter_estimates`) and, with latent variables, ``"reliability"``
        (:meth:`reliability` of each group, with a ``group`` column)."""
        out = {"fit": measure_table(self.fit_measures()), "estimates": self.parameter_estimates()}
        if self.partable_.lv:
            try:
                out["reliability"] = _reliability_table(self, len(self.group_labels_))
            except (ValueError, KeyError, ZeroDivisionError, np.linalg.LinAlgError):
                pass  # to_dict() says why in the warnings
        return out

    def standardized_solution(self) -> pd.DataFrame:
        """The standardised estimates: ``lhs, op, rhs, group, std_lv, std_all``.

        The standardised columns of :meth:`parameter_estimates` (``lavaan::standardizedSolution``
        values; their standard errors are not computed).
        """
        return self.parameter_estimates()[["lhs", "op", "rhs", "group", "std_lv", "std_all"]]

    # ------------------------------------------------------------------ construction
    @classmethod
    def _from_fit(cls, spec, estimator, pt, model, objective, groups, labels, opt, df, fiml, patterns,
                  dropped, model_text):
        self = cls.__new__(cls)
        self.spec = spec
        self.estimator = estimator
        self.partable_ = pt
        self.model_ = model
        self.objective_ = objective
        self.groups_ = groups
        self.group_labels_ = labels
        self.theta_ = opt.theta
        self.converged_ = opt.converged
        self.iterations_ = opt.iterations
        self.df_ = df
        self.fiml_ = fiml
        #: the missing-data option asked for ("fiml" on complete data is ML with a mean structure and
        #: observed information, as lavaan's missing = "ml"; ``fiml_`` says whether cases had gaps)
        self.missing_ = "fiml" if (fiml or getattr(spec, "missing", None) == "fiml") else "listwise"
        self.patterns_ = patterns
        self.n_dropped_ = dropped
        self.model_text_ = model_text
        self.ntotal_ = sum(g.n for g in groups)
        self.warnings_ = []
        if not opt.converged:
            self.warnings_.append(f"the optimizer did not converge ({opt.message}); results are not trustworthy")
        info_kind = spec.information or ("observed" if (estimator == "MLR" or spec.missing == "fiml") else "expected")
        self.information_ = info_kind
        N = self.ntotal_
        H_exp = objective.information(self.theta_)
        if opt.converged:  # a singular information away from an optimum says nothing about identification
            self._check_identification(H_exp)
        if info_kind == "observed":
            H = numerical_hessian(objective, self.theta_)
        else:
            H = H_exp
        self._H = H
        if is_singular(H, scale=True):
            Hinv = np.full_like(H, np.nan)
            self.warnings_.append("the information matrix is singular; standard errors are not available")
        else:
            Hinv = np.linalg.inv(H)
        self._scores = None
        if estimator == "MLR":
            scores = self._casewise_scores(model, objective, self.theta_)
            self._scores = scores
            B0 = sum(s.T @ s for s in scores) / N
            self.vcov_ = Hinv @ B0 @ Hinv / N
            if is_singular(B0, scale=True):
                self.warnings_.append(_singular_meat_message(scores, labels))
        else:
            self.vcov_ = Hinv / N
        self._diagnostics()
        self._fit = None
        return self

    def _check_identification(self, H):
        """ModelError when the information matrix is (numerically) singular.

        The check runs on the information rescaled to unit diagonal, so that
        variables on very different scales do not look unidentified.
        """
        H = 0.5 * (H + H.T)
        d = np.sqrt(np.clip(np.diag(H), 0, None))
        zero = np.flatnonzero(d <= 1e-300)
        if zero.size:
            k = int(zero[0])
        else:
            w, V = np.linalg.eigh(H / np.outer(d, d))
            if not (w.size and w[0] < zero_tolerance(w, STRICT_RTOL)):
                return
            k = int(np.argmax(np.abs(V[:, 0])))
        raise ModelError(f"the model is not identified: parameter '{self.partable_.describe_fitted(k)}' "
                         "(and the parameters it trades off with) cannot be estimated uniquely; fix a "
                         "loading or a factor variance to set the scale, or add constraints")

    def _casewise_scores(self, model, objective, theta):
        if isinstance(objective, FIMLObjective):
            return objective.casewise_scores(theta)
        out = []
        for gd, (Sig, mu), (dS, dm) in zip(self.groups_, model.implied(theta), model.jacobian(theta)):
            m = mu if model.meanstructure else gd.mean
            out.append(casewise_scores(gd.X, Sig, m, dS, dm, meanstructure=model.meanstructure))
        return out

    def _diagnostics(self):
        pt = self.partable_
        est = self._row_estimates()
        ov_ok = True
        for r, e in zip(pt.rows, est):
            if r["op"] == "~~" and r["lhs"] == r["rhs"] and e < 0:
                who = "latent variance" if r["lhs"] in pt.lv else "residual variance"
                ov_ok = ov_ok and r["lhs"] in pt.lv
                grp = f" in group {r['group']}" if pt.ngroups > 1 else ""
                self.warnings_.append(f"Heywood case: negative {who} {r['lhs']} ~~ {r['lhs']} = {e:.4g}{grp}")
        for g in range(pt.ngroups):
            # as lavaan's post-check: the residual covariance matrix of the observed variables (theta),
            # when no residual variance is negative (that is a Heywood case, reported above)
            theta_g = self.model_.matrices(self.theta_, g)[1][:self.model_.p, :self.model_.p]
            if ov_ok and np.any(np.triu(theta_g, k=1)) and not is_positive_semidefinite(theta_g):
                grp = f" in group {g + 1}" if pt.ngroups > 1 else ""
                self.warnings_.append(f"the covariance matrix of the residuals of the observed variables "
                                      f"(theta) is not positive definite{grp}: a residual correlation is "
                                      "beyond +/-1, an improper solution")
            C, _ = self.model_.total_moments(self.theta_, g)
            grp = f" in group {g + 1}" if pt.ngroups > 1 else ""
            if self.model_.m:
                psi = C[self.model_.p:, self.model_.p:]
                if not is_positive_semidefinite(psi, rtol=STRICT_RTOL):
                    self.warnings_.append(f"the covariance matrix of the latent variables is not positive "
                                          f"definite{grp}")
            if not is_positive_definite(C[:self.model_.p, :self.model_.p]):
                self.warnings_.append(f"the model-implied covariance matrix is not positive definite{grp}")

    # ------------------------------------------------------------------ helpers
    def _row_estimates(self, theta=None):
        theta = self.theta_ if theta is None else theta
        if self.partable_.lin is not None:  # linear constraints: theta = K theta* + c
            theta = self.partable_.lin.expand(theta)
        return np.array([theta[r["free"] - 1] if r["free"] > 0 else
                         (0.0 if np.isnan(r["ustart"]) else r["ustart"]) for r in self.partable_.rows])

    def _row_se(self):
        V = self.vcov_ if self.partable_.lin is None else self.partable_.lin.vcov(self.vcov_)
        se = np.sqrt(np.clip(np.diag(V), 0, None))
        return np.array([se[r["free"] - 1] if r["free"] > 0 else 0.0 for r in self.partable_.rows])

    def _label_values(self, values):
        out = {}
        for r, v in zip(self.partable_.rows, values):
            if r["label"] and r["label"] not in out:
                out[r["label"]] = v
        return out

    def _x_index(self):
        return np.array([i for i, v in enumerate(self.partable_.ov) if v in set(self.partable_.ov_x)], dtype=int)

    # ------------------------------------------------------------------ log-likelihoods
    def _logliks(self):
        """(logl, logl_h1, logl_baseline, per-group chisq) for the fitted model."""
        model, theta = self.model_, self.theta_
        if self.fiml_:
            imp = model.implied(theta)
            ll_g = [fiml_loglik(p, S, m) for p, (S, m) in zip(self.patterns_, imp)]
            h1_g = [fiml_loglik(p, g.cov, g.mean) for p, g in zip(self.patterns_, self.groups_)]
            b_g = []
            xi = self._x_index()
            yi = np.setdiff1d(np.arange(self.model_.p), xi)
            for p, g in zip(self.patterns_, self.groups_):
                X = p.X[:, yi]
                mu = np.nanmean(X, axis=0)
                var = np.nanvar(X, axis=0)
                ok = ~np.isnan(X)
                b = float(np.sum(np.where(ok, -0.5 * (LOG2PI + np.log(var) + (X - mu) ** 2 / var), 0.0)))
                if xi.size:  # fixed.x: the covariates keep their joint (saturated) distribution
                    b += fiml_loglik(Patterns(p.X[:, xi]), g.cov[np.ix_(xi, xi)], g.mean[xi])
                b_g.append(b)
            if xi.size:  # fixed.x: lavaan reports the likelihood conditional on the covariates
                lx = sum(fiml_loglik(Patterns(p.X[:, xi]), g.cov[np.ix_(xi, xi)], g.mean[xi])
                         for p, g in zip(self.patterns_, self.groups_))
                return (sum(ll_g) - lx, sum(h1_g) - lx, sum(b_g) - lx,
                        [2 * (h - l) for h, l in zip(h1_g, ll_g)])
            return sum(ll_g), sum(h1_g), sum(b_g), [2 * (h - l) for h, l in zip(h1_g, ll_g)]
        ll = h1 = bl = 0.0
        chis = []
        for gd, (Sig, mu) in zip(self.groups_, model.implied(theta)):
            p = len(mu)
            Si = np.linalg.inv(Sig)
            d = gd.mean - mu if model.meanstructure else np.zeros(p)
            l0 = -0.5 * gd.n * (p * LOG2PI + np.linalg.slogdet(Sig)[1] + np.sum(Si * gd.cov) + d @ Si @ d)
            l1 = -0.5 * gd.n * (p * LOG2PI + np.linalg.slogdet(gd.cov)[1] + p)
            xi = self._x_index()
            yi = np.setdiff1d(np.arange(p), xi)
            ld_x = np.linalg.slogdet(gd.cov[np.ix_(xi, xi)])[1] if xi.size else 0.0
            lb = -0.5 * gd.n * (p * LOG2PI + np.sum(np.log(np.diag(gd.cov)[yi])) + ld_x + p)
            # fixed.x: lavaan reports the likelihood conditional on the covariates
            lx = -0.5 * gd.n * (xi.size * LOG2PI + ld_x + xi.size) if xi.size else 0.0
            ll, h1, bl = ll + l0 - lx, h1 + l1 - lx, bl + lb - lx
            chis.append(2 * (l1 - l0))
        return ll, h1, bl, chis

    def _scaling(self, model, objective, theta, df, H_obs=None):
        """Yuan–Bentler (Mplus) scaling factor for a fitted model (MLR)."""
        N = self.ntotal_
        if H_obs is None:
            H_obs = numerical_hessian(objective, theta)
        E_inv = np.linalg.inv(H_obs)
        scores = self._casewise_scores(model, objective, theta)
        B0 = [s.T @ s / gd.n for s, gd in zip(scores, self.groups_)]
        weights = [gd.n / N for gd in self.groups_]
        if self.fiml_:
            trace = self._fiml_h1_trace() - sum(fg * float(np.sum(b * E_inv.T)) for fg, b in zip(weights, B0))
        else:
            if getattr(self, "_h1_trace_complete", None) is None:
                h1 = [(gd.cov, gd.mean) for gd in self.groups_]
                zero = [np.zeros_like(b) for b in B0]
                self._h1_trace_complete, _, _ = yuan_bentler_trace(
                    self.groups_, h1, zero, E_inv, model.meanstructure, weights, x_index=self._x_index())
            trace = self._h1_trace_complete - sum(fg * float(np.sum(b * E_inv.T)) for fg, b in zip(weights, B0))
        return trace / df if df > 0 else math.nan, trace

    def _fiml_h1_info(self):
        """Per group ``(Wm, Jm)``: observed and first-order information of the saturated FIML model.

        Parameters are ordered as ``model.vech_indices`` then the means.
        """
        if getattr(self, "_h1_info", None) is None:
            out = []
            for pat, gd in zip(self.patterns_, self.groups_):
                smod = RAMModel(_saturated_partable(self.partable_.ov, 1))
                sobj = FIMLObjective(smod, [pat])
                th = np.concatenate([_vech_rowwise(gd.cov), gd.mean])
                sc = sobj.casewise_scores(th)[0]
                out.append((saturated_hessian(pat, gd.cov, gd.mean), sc.T @ sc / gd.n))
            self._h1_info = out
        return self._h1_info

    def _h1_keep(self):
        """Mask of the saturated moments (vech, then means) that are not fixed-x covariate moments."""
        p = self.model_.p
        r, c = vech_indices(p)
        xs = set(int(i) for i in self._x_index())
        return np.array([not (a in xs and b in xs) for a, b in zip(r, c)] + [i not in xs for i in range(p)])

    def _fiml_h1_trace(self):
        keep = np.ix_(self._h1_keep(), self._h1_keep())
        return sum(float(np.sum(B1[keep] * np.linalg.inv(A1[keep]).T)) for A1, B1 in self._fiml_h1_info())

    def _fiml_corrected(self, scaled: bool):
        """Zhang & Savalei (2023) corrected ingredients for robust RMSEA/CFI after FIML.

        Returns ``(XX3, c3, XX3_null, c3_null)``: the complete-data ML statistic
        of the FIML estimates evaluated at the EM (saturated) moments and its
        scaling constant (``V3`` when the test is scaled, ``V6`` otherwise), as
        lavaan's ``lav_fit_fiml_corrected``.
        """
        from scipy.linalg import block_diag  # lazily: only FIML's corrected test needs scipy.linalg

        N = self.ntotal_
        fg = np.array([gd.n / N for gd in self.groups_])
        p = self.model_.p
        r, c = vech_indices(p)
        keep = self._h1_keep()
        info = [(A[np.ix_(keep, keep)], B[np.ix_(keep, keep)]) for A, B in self._fiml_h1_info()]
        Wm = [w * A for w, (A, _) in zip(fg, info)]
        dS_b, dm_b = saturated_basis(p, True)
        dS_b, dm_b = dS_b[keep], dm_b[keep]
        Wc = [w * _expected_info(gd.cov, dS_b, dm_b) for w, gd in zip(fg, self.groups_)]
        Gam = [np.linalg.solve(A, np.linalg.solve(A, B).T).T / w for w, (A, B) in zip(fg, info)]
        # tr(Wc Gamma) and tr(Wm^-1 Wc) do not depend on the model
        t_wg = sum(float(np.sum(a * g.T)) for a, g in zip(Wc, Gam))
        t_wmi = sum(float(np.trace(np.linalg.solve(a, c))) for a, c in zip(Wm, Wc))

        def k_trace(model, theta):
            # information of the model "observed from h1": Delta' Wm Delta (lavaan's observed.information = "h1");
            # U = Wm - Wm D E^-1 D' Wm with E = D' Wm D, all other matrices block-diagonal by group, so
            # tr(U Wm^-1 Wc Wm^-1 U Gamma) = tr(Wc G) - 2 tr(E^-1 D'Wm G Wc D) + tr(E^-1 D'Wc D E^-1 D'Wm G Wm D)
            # and tr(Wc Wm^-1 U Wm^-1) = tr(Wm^-1 Wc) - tr(E^-1 D'Wc D): no (G p^2)^3 products
            Delta = block_diag(*[np.hstack([dS[:, r, c], dm]).T[keep] for dS, dm in model.jacobian(theta)])
            Delta = _collapse_groups(Delta, model)
            blocks = np.split(Delta, len(Wm))
            E = sum(D.T @ (a @ D) for a, D in zip(Wm, blocks))
            E_inv = np.linalg.inv(E)
            DcD = sum(D.T @ (c @ D) for c, D in zip(Wc, blocks))
            if not scaled:
                return t_wmi - float(np.sum(E_inv * DcD.T))
            WmD = [a @ D for a, D in zip(Wm, blocks)]
            cross = sum(wd.T @ (g @ (c @ D)) for wd, g, c, D in zip(WmD, Gam, Wc, blocks))
            DgD = sum(wd.T @ (g @ wd) for wd, g in zip(WmD, Gam))
            return float(t_wg - 2.0 * np.sum(E_inv * cross.T) + np.trace(E_inv @ DcD @ E_inv @ DgD))

        def complete_chisq(model, theta):
            x2 = 0.0
            for gd, (Sig, mu) in zip(self.groups_, model.implied(theta)):
                Si = np.linalg.inv(Sig)
                d = gd.mean - mu
                x2 += gd.n * (np.linalg.slogdet(Sig)[1] + np.sum(Si * gd.cov) - np.linalg.slogdet(gd.cov)[1]
                              - p + d @ Si @ d)
            return x2

        df = self.df_
        XX3 = complete_chisq(self.model_, self.theta_)
        c3 = k_trace(self.model_, self.theta_) / df if df > 0 else math.nan  # saturated: undefined
        bpt = _independence_partable(self.partable_, self.groups_)
        bmod = RAMModel(bpt)
        keep_b = np.array([v not in set(self.partable_.ov_x) for v in self.partable_.ov])
        thb = np.concatenate([np.concatenate([np.nanvar(pt.X, axis=0)[keep_b], np.nanmean(pt.X, axis=0)[keep_b]])
                              for pt in self.patterns_])
        df_b = self._baseline_df()
        XX3_b = complete_chisq(bmod, thb)
        c3_b = k_trace(bmod, thb) / df_b
        return XX3, c3, XX3_b, c3_b

    # ------------------------------------------------------------------ fit measures
    @blas1
    def fit_measures(self) -> dict:
        """Fit measures with lavaan's names (``.`` → ``_``).

        Returns
        -------
        dict
            ``npar, fmin, chisq, df, pvalue, baseline_chisq, baseline_df,
            baseline_pvalue, cfi, tli, nnfi, rfi, nfi, pnfi, ifi, rni, logl,
            unrestricted_logl, aic, bic, ntotal, bic2, rmsea, rmsea_ci_lower,
            rmsea_ci_upper, rmsea_ci_level, rmsea_pvalue, rmsea_close_h0,
            rmsea_notclose_pvalue, rmsea_notclose_h0, srmr, srmr_bentler,
            srmr_bentler_nomean``; for MLR also ``chisq_scaled, df_scaled,
            pvalue_scaled, chisq_scaling_factor, baseline_chisq_scaled, ...,
            cfi_scaled, tli_scaled, cfi_robust, tli_robust, rmsea_scaled,
            rmsea_ci_lower_scaled, rmsea_ci_upper_scaled, rmsea_pvalue_scaled,
            rmsea_robust, rmsea_ci_lower_robust, rmsea_ci_upper_robust,
            rmsea_pvalue_robust``; after FIML the ``*_robust`` indices are
            always given (Zhang & Savalei 2023). Also ``rmr, crmr, gfi, agfi,
            pgfi, cn_05, cn_01, mfi, ecvi`` (GFI family only for complete data
            without fixed exogenous covariates).

        Notes
        -----
        Matches ``lavaan::fitMeasures(fit)``.
        """
        if self._fit is not None:
            return dict(self._fit)
        N, G = self.ntotal_, self.partable_.ngroups
        npar = self.model_.npar
        df = self.df_
        ll, h1, bl, chis = self._logliks()
        X2 = max(2 * (h1 - ll), 0.0) if df > 0 else 2 * (h1 - ll)
        df_b = self._baseline_df()
        X2b = 2 * (h1 - bl)
        out = {"npar": npar, "fmin": X2 / (2 * N), "chisq": X2, "df": df,
               "pvalue": float(chi2_sf(X2, df)) if df > 0 else math.nan}
        if self.estimator == "MLR":
            c, trace = self._scaling(self.model_, self.objective_, self.theta_, df,
                                     self._H if self.information_ == "observed" else None)
            cb, trace_b = self._baseline_scaling()
            # a saturated model (df = 0) has no scaling factor; lavaan reports the
            # standard statistic as the scaled one
            X2s = X2 / c if df > 0 else X2
            out.update({"chisq_scaled": X2s, "df_scaled": df,
                        "pvalue_scaled": float(chi2_sf(X2s, df)) if df > 0 else math.nan,
                        "chisq_scaling_factor": c if df > 0 else math.nan})
        out.update({"baseline_chisq": X2b, "baseline_df": df_b, "baseline_pvalue": float(chi2_sf(X2b, df_b))})
        if self.estimator == "MLR":
            out.update({"baseline_chisq_scaled": X2b / cb, "baseline_df_scaled": df_b,
                        "baseline_pvalue_scaled": float(chi2_sf(X2b / cb, df_b)),
                        "baseline_chisq_scaling_factor": cb})
        out["cfi"] = _cfi(X2, df, X2b, df_b)
        out["tli"] = _tli(X2, df, X2b, df_b)
        if self.estimator == "MLR":
            out["cfi_scaled"] = _cfi(X2s, df, X2b / cb, df_b)
            out["tli_scaled"] = _tli(X2s, df, X2b / cb, df_b)
            if not self.fiml_:
                # lavaan: NA for a saturated model (no scaling factor)
                out["cfi_robust"] = _cfi(X2, df, X2b, df_b, c, cb) if df > 0 else math.nan
                out["tli_robust"] = _tli(X2, df, X2b, df_b, c, cb) if df > 0 else math.nan
        if self.fiml_:
            corr = self._fiml_corrected(scaled=self.estimator == "MLR")
            if df > 0:
                out["cfi_robust"] = _cfi(corr[0], df, corr[2], df_b, corr[1], corr[3])
                out["tli_robust"] = _tli(corr[0], df, corr[2], df_b, corr[1], corr[3])
            else:  # saturated: perfect fit, as lavaan
                out["cfi_robust"] = out["tli_robust"] = 1.0
        out["nnfi"] = out["tli"]
        out["rfi"] = (1.0 if (X2b / df_b - X2 / df) < 0 else (X2b / df_b - X2 / df) / (X2b / df_b)) if df > 0 else 1.0
        out["nfi"] = (X2b - X2) / X2b if df > 0 else 1.0
        out["pnfi"] = (df / df_b) * (X2b - X2) / X2b
        out["ifi"] = (X2b - X2) / (X2b - df)
        out["rni"] = 1 - (X2 - df) / (X2b - df_b)
        out.update({"logl": ll, "unrestricted_logl": h1, "aic": -2 * ll + 2 * npar, "bic": -2 * ll + npar * math.log(N),
                    "ntotal": N, "bic2": -2 * ll + npar * math.log((N + 2) / 24)})
        out["rmsea"] = _rmsea(X2, df, N, G)
        lo, hi = rmsea_ci(X2, df, N, G)
        out.update({"rmsea_ci_lower": lo, "rmsea_ci_upper": hi, "rmsea_ci_level": 0.90})
        out["rmsea_pvalue"] = float(ncx2_sf(X2, df, N * df * 0.05 ** 2 / G)) if df > 0 else math.nan
        out["rmsea_close_h0"] = 0.05
        out["rmsea_notclose_pvalue"] = float(ncx2_cdf(X2, df, N * df * 0.08 ** 2 / G)) if df > 0 else math.nan
        out["rmsea_notclose_h0"] = 0.08
        if self.estimator == "MLR":
            # "scaled": the unscaled X2 against df2 = c df (lavaan's lav_fit_rmsea_lavobject)
            out["rmsea_scaled"] = _rmsea(X2, c * df, N, G)
            lo, hi = rmsea_ci(X2, c * df, N, G)
            out["rmsea_ci_lower_scaled"], out["rmsea_ci_upper_scaled"] = lo, hi
            out["rmsea_pvalue_scaled"] = _rmsea_close(X2, c * df, N, G, 1.0, 0.05)
            out["rmsea_notclose_pvalue_scaled"] = 1 - _rmsea_close(X2, c * df, N, G, 1.0, 0.08)
        robust = None
        if self.fiml_:
            robust = (corr[0], corr[1])
        elif self.estimator == "MLR":
            robust = (X2, c)
        if robust is not None:
            x3, c3 = robust
            out["rmsea_robust"] = _rmsea(x3, df, N, G, c3)
            lo, hi = rmsea_ci(x3 / c3, df, N, G, c_hat=c3) if df > 0 else (0.0, 0.0)
            out["rmsea_ci_lower_robust"], out["rmsea_ci_upper_robust"] = lo, hi
            out["rmsea_pvalue_robust"] = _rmsea_close(x3 / c3, df, N, G, c3, 0.05)
            out["rmsea_notclose_pvalue_robust"] = 1 - _rmsea_close(x3 / c3, df, N, G, c3, 0.08)
        srmr, srmr_nm, rmr, rmr_nm, crmr, crmr_nm = self._residual_indices()
        out.update({"rmr": rmr, "rmr_nomean": rmr_nm, "srmr": srmr, "srmr_bentler": srmr,
                    "srmr_bentler_nomean": srmr_nm, "crmr": crmr, "crmr_nomean": crmr_nm})
        if df > 0 and X2 > 0:
            out["cn_05"] = float(chi2_ppf(0.95, df) / (X2 / N) + 1)
            out["cn_01"] = float(chi2_ppf(0.99, df) / (X2 / N) + 1)
        if not self.fiml_ and not self.partable_.ov_x:  # lavaan's GFI for FIML / fixed.x differs: omitted
            gfi = self._gfi()
            nel = df + npar
            out.update({"gfi": gfi, "agfi": 1 - (nel / df) * (1 - gfi) if df > 0 else math.nan,
                        "pgfi": (df / nel) * gfi})
        out["mfi"] = math.exp(-0.5 * (X2 - df) / N)
        out["ecvi"] = X2 / N + 2 * npar / N
        self._fit = out
        return dict(out)

    def _baseline_df(self) -> int:
        """df of the independence model: covariances among non-covariates, per group."""
        p, nx = self.model_.p, len(self.partable_.ov_x)
        return self.partable_.ngroups * (p * (p - 1) // 2 - nx * (nx - 1) // 2)

    def _baseline_scaling(self):
        bpt = _independence_partable(self.partable_, self.groups_)
        bmod = RAMModel(bpt)
        theta = []
        keep = np.array([v not in set(self.partable_.ov_x) for v in self.partable_.ov])
        for gd in self.groups_:
            var = np.diag(gd.cov) if not self.fiml_ else np.nanvar(gd.X, axis=0)
            theta.extend(var[keep])
            if bpt.meanstructure:
                mean = gd.mean if not self.fiml_ else np.nanmean(gd.X, axis=0)
                theta.extend(mean[keep])
        theta = np.array(theta)
        if self.fiml_:
            bobj = FIMLObjective(bmod, self.patterns_)
        else:
            bobj = MLObjective(bmod, self.groups_)
        return self._scaling(bmod, bobj, theta, self._baseline_df())

    def _gfi(self):
        """GFI with the normal-theory weight at the implied moments, weighted by ``n_g / N``.

        ``1 - [0.5 tr((Sigma^-1 (S - Sigma))^2) + d' Sigma^-1 d] / [0.5 tr((Sigma^-1 S)^2) + ybar' Sigma^-1 ybar]``
        (mean terms only with a mean structure; Jöreskog & Sörbom 1984).
        """
        total = 0.0
        for gd, (Sig, mu) in zip(self.groups_, self.model_.implied(self.theta_)):
            W = np.linalg.inv(Sig)
            E = W @ (gd.cov - Sig)
            F = W @ gd.cov
            num, den = 0.5 * np.sum(E * E.T), 0.5 * np.sum(F * F.T)
            if self.model_.meanstructure:
                d = gd.mean - mu
                num += d @ W @ d
                den += gd.mean @ W @ gd.mean
            total += gd.n / self.ntotal_ * (1 - num / den)
        return float(total)

    def _residual_indices(self):
        """(srmr, srmr_nomean, rmr, rmr_nomean, crmr, crmr_nomean), each weighted by ``n_g / N``.

        ``srmr``: residuals ``(s_ij - sigma_ij) / sqrt(s_ii s_jj)`` over the lower
        triangle with the diagonal; ``rmr``: raw residuals; ``crmr``: residual
        correlations ``r_ij - rho_ij`` without the diagonal. With a mean
        structure the mean residuals (standardised by ``sqrt(s_ii)`` for srmr
        and crmr, raw for rmr) are included.
        """
        out = np.zeros(6)
        ms = self.model_.meanstructure
        for gd, (Sig, mu) in zip(self.groups_, self.model_.implied(self.theta_)):
            w = gd.n / self.ntotal_
            p = len(mu)
            sd = np.sqrt(np.diag(gd.cov))
            sdi = np.sqrt(np.diag(Sig))
            r, c = np.tril_indices(p)
            off = r != c
            res = gd.cov - Sig
            dm = gd.mean - mu
            pieces = [
                ((res / np.outer(sd, sd))[r, c], dm / sd),
                (res[r, c], dm),
                ((gd.cov / np.outer(sd, sd) - Sig / np.outer(sdi, sdi))[r[off], c[off]], dm / sd),
            ]
            for j, (cov_part, mean_part) in enumerate(pieces):
                nomean = math.sqrt(np.mean(cov_part ** 2))
                withmean = math.sqrt((np.sum(cov_part ** 2) + np.sum(mean_part ** 2)) / (len(cov_part) + p)) \
                    if ms else nomean
                out[2 * j] += w * withmean
                out[2 * j + 1] += w * nomean
        return tuple(float(v) for v in out)

    # ------------------------------------------------------------------ standardised solutions
    def _std_values(self, theta, kind):
        pt, model = self.partable_, self.model_
        est = self._row_estimates(theta)
        out = np.empty(len(est))
        cache = {}
        for i, (r, e) in enumerate(zip(pt.rows, est)):
            g = r["group"] - 1
            if g not in cache:
                C, _ = model.total_moments(theta, g)
                A, S, M = model.matrices(theta, g)
                var = np.diag(C)
                # a negative (Heywood) variance has no standard deviation: NaN, as lavaan
                sd = np.sqrt(np.where(var > 0, var, np.nan))
                if kind == "lv":
                    sd = np.where(np.arange(len(sd)) < model.p, 1.0, sd)
                cache[g] = (sd, np.diag(S))
            sd, sdiag = cache[g]
            pos = model.pos
            op, lhs, rhs = r["op"], r["lhs"], r["rhs"]
            if op == "=~":
                v = e * sd[pos[lhs]] / sd[pos[rhs]]
            elif op == "~":
                v = e * sd[pos[rhs]] / sd[pos[lhs]]
            elif op == "~~":
                i1, i2 = pos[lhs], pos[rhs]
                if i1 == i2:
                    v = e / sd[i1] ** 2
                else:
                    # covariances are scaled by the (residual) variances of the same matrix, as lavaan;
                    # std_lv leaves observed variables unscaled
                    s1 = sdiag[i1] if (kind == "all" or i1 >= model.p) else 1.0
                    s2 = sdiag[i2] if (kind == "all" or i2 >= model.p) else 1.0
                    v = e / math.sqrt(s1 * s2) if s1 > 0 and s2 > 0 else math.nan
            elif op == "~1":
                v = e / sd[pos[lhs]]
            else:
                v = math.nan
            out[i] = v
        return out

    # ------------------------------------------------------------------ defined parameters
    def _defined_evaluator(self):
        """``(compiled, at)``: the ``:=`` definitions and ``at(theta, kind=None) -> values``."""
        compiled, evaluate = compile_defined(self.partable_)

        def at(theta, kind=None):
            vals = self._row_estimates(theta) if kind is None else self._std_values(theta, kind)
            return evaluate(self._label_values(vals))

        return compiled, at

    def _defined(self):
        """List of (name, expression, est, se, std_lv, std_all); SEs by the delta method."""
        if not self.partable_.defined:
            return []
        compiled, at = self._defined_evaluator()
        est, se = delta_method(at, self.theta_, self.vcov_)
        slv = at(self.theta_, "lv")
        sall = at(self.theta_, "all")
        return [(n, e_, a, b, c, d) for (n, e_, _), a, b, c, d in zip(compiled, est, se, slv, sall)]

    # ------------------------------------------------------------------ tables
    @blas1
    def parameter_estimates(self, *, level: float = 0.95) -> pd.DataFrame:
        """All parameters with SEs, tests, CIs and standardised values.

        Returns
        -------
        DataFrame
            Columns ``lhs, op, rhs, group, label, est, se, z, pvalue, ci_lower,
            ci_upper, std_lv, std_all``: fixed parameters have ``se = 0`` and
            ``z``/``pvalue`` NaN; ``:=`` rows use the delta method.

        Notes
        -----
        Matches ``lavaan::parameterEstimates(fit, standardized = TRUE)``.
        """
        zc = norm_ppf(1 - (1 - level) / 2)
        pt = self.partable_
        est = self._row_estimates()
        se = self._row_se()
        slv = self._std_values(self.theta_, "lv")
        sall = self._std_values(self.theta_, "all")
        recs = []
        for r, e, s, a, b in zip(pt.rows, est, se, slv, sall):
            free = r["free"] > 0
            z = e / s if free and s > 0 else math.nan
            recs.append({"lhs": r["lhs"], "op": r["op"], "rhs": r["rhs"], "group": r["group"],
                         "label": r["label"], "est": e, "se": s if free else 0.0, "z": z,
                         "pvalue": 2 * norm_sf(abs(z)) if free and s > 0 else math.nan,
                         "ci_lower": e - zc * s, "ci_upper": e + zc * s, "std_lv": a, "std_all": b})
        for name, expr, e, s, a, b in self._defined():
            z = e / s if s > 0 else math.nan
            recs.append({"lhs": name, "op": ":=", "rhs": "".join(expr.split()), "group": 1, "label": name, "est": e, "se": s,
                         "z": z, "pvalue": 2 * norm_sf(abs(z)) if s > 0 else math.nan,
                         "ci_lower": e - zc * s, "ci_upper": e + zc * s, "std_lv": a, "std_all": b})
        return pd.DataFrame.from_records(recs)

    def implied(self):
        """Model-implied ``(Sigma, mu)`` per group as DataFrame/Series."""
        ov = self.partable_.ov
        return [(pd.DataFrame(S, index=ov, columns=ov), pd.Series(m, index=ov))
                for S, m in self.model_.implied(self.theta_)]

    def residual_correlations(self) -> list[pd.DataFrame]:
        """Observed minus implied correlations per group (``lavResiduals(fit, type = "cor.bollen")``)."""
        ov = self.partable_.ov
        out = []
        for gd, (S, _) in zip(self.groups_, self.model_.implied(self.theta_)):
            ds = np.sqrt(np.diag(gd.cov))
            di = np.sqrt(np.diag(S))
            R = gd.cov / np.outer(ds, ds) - S / np.outer(di, di)
            out.append(pd.DataFrame(R, index=ov, columns=ov))
        return out

    def summary(self) -> str:
        """A lavaan-like text summary: fit measures, then estimates."""
        from qimscale._core.formatting import format_p, p_text

        fm = self.fit_measures()
        lines = [f"qimscale CFA ({self.estimator}{', FIML' if self.fiml_ else ''}); "
                 f"converged: {self.converged_} after {self.iterations_} iterations",
                 f"N = {self.ntotal_}, groups = {self.partable_.ngroups}, free parameters = {fm['npar']}",
                 f"chisq = {fm['chisq']:.3f}, df = {fm['df']}, {p_text(fm['pvalue'])}"]
        if "chisq_scaled" in fm:
            lines.append(f"scaled chisq = {fm['chisq_scaled']:.3f} (scaling factor {fm['chisq_scaling_factor']:.4f})")
        lines.append(f"CFI = {fm['cfi']:.3f}, TLI = {fm['tli']:.3f}, RMSEA = {fm['rmsea']:.3f} "
                     f"[{fm['rmsea_ci_lower']:.3f}, {fm['rmsea_ci_upper']:.3f}], SRMR = {fm['srmr']:.3f}")
        lines.append(f"logl = {fm['logl']:.3f}, AIC = {fm['aic']:.3f}, BIC = {fm['bic']:.3f}")
        # warnings are not part of the text: they are in ``warnings_`` (the CLI prints them once, on stderr)
        pe = self.parameter_estimates()
        pe["pvalue"] = pe["pvalue"].map(format_p)  # text shows p < .001; to_dict keeps the numbers
        lines.append("")
        lines.append(pe.drop(columns=["ci_lower", "ci_upper"]).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready dict of the fit (what ``qimscale cfa --json`` prints).

        Returns
        -------
        dict
            ``estimator, missing, ntotal, n_dropped, groups, converged, fit``
            (:meth:`fit_measures`), ``estimates`` (:meth:`parameter_estimates`
            records), ``reliability`` (``{factor: {omega, ave}}``, first group;
            with several groups also ``reliability_by_group``, ``{group:
            {factor: {omega, ave}}}``, as ``semTools::compRelSEM`` gives one row
            per group), ``validity`` (``htmt`` and ``fornell_larcker`` of the
            first group as nested ``{factor: {factor: value}}``, when there are
            two or more factors) and ``warnings``.
        """
        pe = self.parameter_estimates()
        by_group, validity = [], {}
        if self.partable_.lv:
            try:
                for g in range(len(self.group_labels_)):
                    r = self.reliability(group=g)
                    by_group.append({f: {"omega": float(r.loc[f, "omega"]), "ave": float(r.loc[f, "ave"])}
                                     for f in r.index})
                if len(r.index) >= 2:
                    validity = {"htmt": self.htmt().to_dict(), "fornell_larcker": self.fornell_larcker().to_dict()}
            except (ValueError, KeyError, ZeroDivisionError, np.linalg.LinAlgError) as exc:
                self.warnings_.append(f"reliability/validity could not be computed: {exc}")
        out = {"estimator": self.estimator, "missing": self.missing_,
               "ntotal": self.ntotal_, "n_dropped": self.n_dropped_,
               "groups": [None if g is None else str(g) for g in self.group_labels_],
               "converged": bool(self.converged_), "fit": self.fit_measures(),
               "estimates": pe.to_dict(orient="records"), "reliability": by_group[0] if by_group else {},
               "validity": validity, "warnings": list(self.warnings_)}
        if len(by_group) > 1:
            out["reliability_by_group"] = {str(lab): d for lab, d in zip(self.group_labels_, by_group)}
        return out


def _reliability_table(res, ngroups: int) -> pd.DataFrame:
    """``factor, group, omega, ave`` for every group (``res.reliability(group=g)``)."""
    parts = []
    for g in range(ngroups):
        r = res.reliability(group=g)
        parts.append(pd.DataFrame({"factor": list(r.index), "group": g + 1, "omega": r["omega"].to_numpy(),
                                   "ave": r["ave"].to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def _collapse_groups(Delta_bd, model):
    """Turn a block-diagonal per-group Jacobian (each block npar wide) into one with shared columns."""
    G, k = model.ngroups, model.npar
    rows = Delta_bd.shape[0]
    out = np.zeros((rows, k))
    for g in range(G):
        out += Delta_bd[:, g * k:(g + 1) * k]
    return out


def _vech_rowwise(S):
    """Lower triangle in the order used by :func:`_saturated_partable` (column by column)."""
    p = S.shape[0]
    return np.array([S[i, j] for j in range(p) for i in range(j, p)])


def _singular_meat_message(scores, labels) -> str:
    """The warning for a singular sandwich "meat" (the casewise scores' cross-products).

    A group's scores have at most ``n_g - 1`` independent directions at the optimum (they sum to
    zero), so a group with fewer cases than the parameters its scores depend on makes the robust
    covariance matrix of the estimates singular; lavaan then warns that the vcov "does not appear
    to be positive definite".

    >>> import numpy as np
    >>> _singular_meat_message([np.ones((3, 4))], ["AU"])
    "the robust (sandwich) covariance matrix of the estimates is singular (group 'AU': 3 cases for 4 parameters): robust standard errors and tests are unreliable (lavaan warns that the vcov does not appear to be positive definite); use fewer parameters per group or estimator ML"
    """
    thin = [(lab, s.shape[0], int(np.count_nonzero(np.any(s != 0, axis=0)))) for lab, s in zip(labels, scores)]
    detail = "; ".join(f"group {str(lab)!r}: {n} cases for {k} parameters" if lab is not None else
                       f"{n} cases for {k} parameters" for lab, n, k in thin if n - 1 < k)
    return ("the robust (sandwich) covariance matrix of the estimates is singular"
            + (f" ({detail})" if detail else "") + ": robust standard errors and tests are unreliable "
            "(lavaan warns that the vcov does not appear to be positive definite); use fewer parameters "
            "per group or estimator ML")
