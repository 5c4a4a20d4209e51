"""Implied statistics of an ordinal SEM with observed exogenous covariates (conditional.x).

:class:`OrdinalXModel` extends :class:`~.ordinal_model.OrdinalModel` with
regressions of latent variables (``F ~ x``) and of ordered items (``y ~ x``,
a direct effect, e.g. MIMIC DIF) on observed covariates whose means and
covariances are fixed at their sample values. Its statistics are those of
:mod:`.ordinal_stage1_x`: thresholds, probit slopes, residual correlations.

Notes
-----
With :math:`\\Gamma` the regressions of the latent variables on the
covariates and :math:`K` those of the latent responses, the model for the
latent responses given :math:`x` is
:math:`y^{*} = \\nu + \\Lambda\\eta + Kx + \\epsilon`,
:math:`\\eta = \\alpha + B\\eta + \\Gamma x + \\zeta`. With
:math:`A = (I - B)^{-1}` and the scale factors :math:`\\Delta`,

.. math::

   \\Pi = \\Delta(\\Lambda A\\Gamma + K), \\qquad
   \\tau^{*} = \\Delta(\\tau - \\nu - \\Lambda A\\alpha), \\qquad
   \\rho = \\operatorname{offdiag}\\,\\Delta(\\Lambda A\\Psi A^\\top\\Lambda^\\top + \\Theta)\\Delta,

where :math:`\\Psi` is the covariance of the disturbances :math:`\\zeta`;
the residual variances of the latent responses are
:math:`1/\\delta_i^2 - [\\Lambda A\\Psi A^\\top\\Lambda^\\top]_{ii}` (the delta
parameterisation fixes the variance of :math:`y^{*}` *given x*). This is the
reduced form behind lavaan's ``res.th``, ``res.slopes`` and ``res.cov``
(``lavInspect(fit, "implied")`` of ``sem(..., ordered = ..., estimator =
"WLSMV")`` with covariates).

A continuous endogenous variable (:func:`.ordinal_stage1_x.mixed_stage1_x`)
has :math:`\\delta = 1`: its threshold slot holds minus its implied intercept
:math:`-(\\nu + \\Lambda A\\alpha)`, its row of :math:`\\Pi` its regression slopes, and
its residual variance :math:`[\\Lambda A\\Psi A^\\top\\Lambda^\\top]_{kk} + \\theta_{kk}`
follows the slopes (lavaan's ``res.int``, ``res.slopes``, ``res.var``).
"""

from __future__ import annotations

import numpy as np

from qimscale.errors import ModelError

from .ordinal_model import OrdinalModel, _scatter_cols

__all__ = ["OrdinalXModel"]


class OrdinalXModel(OrdinalModel):
    """Ordinal SEM with regressions on observed exogenous covariates.

    Parameters
    ----------
    partable : ParTable
        Built with ``ordered=`` for the items and ``fixed_x=True`` (the
        covariates in ``partable.ov_x``), ``meanstructure=True``.
    n_thresholds : dict
        Item -> number of thresholds.

    Raises
    ------
    ModelError
        A covariate regressed on something, an item predicting another
        observed variable, or covariances involving a covariate that are not
        its fixed sample moments.
    """

    conditional_x = True

    def __init__(self, partable, n_thresholds: dict):
        self.covariates = tuple(partable.ov_x)
        if not self.covariates:
            raise ModelError("the model has no observed exogenous covariates")
        self.q = len(self.covariates)
        super().__init__(partable, n_thresholds)
        self.n_slopes = self.p * self.q

    def _other_slot(self, row, ovi, lvi, message):
        op, lhs, rhs = row["op"], row["lhs"], row["rhs"]
        xi = {x: k for k, x in enumerate(self.covariates)}
        if lhs in xi and (op in ("~~", "~1")) and (op == "~1" or rhs in xi):
            return None  # the covariates' fixed moments (exo rows): not part of the fitted statistics
        if op == "~" and rhs in xi and lhs in lvi:
            return ("gamma", lvi[lhs], xi[rhs])
        if op == "~" and rhs in xi and lhs in ovi:
            return ("kappa", ovi[lhs], xi[rhs])
        if op == "~" and lhs in xi:
            raise ModelError(f"'{lhs} ~ {rhs}': the covariate {lhs!r} is exogenous (lavaan's conditional.x); "
                             "it cannot be regressed on another variable")
        return super()._other_slot(row, ovi, lvi, message)

    @property
    def n_base(self) -> int:
        """Thresholds and slopes: the baseline model leaves both free (lavaan's independence model)."""
        return self.n_uni + self.n_slopes

    @property
    def cor_offset(self) -> int:
        """The residual correlations follow the thresholds and the slopes."""
        return self.n_th + self.n_slopes

    def matrices(self, theta, g: int) -> dict:
        """As :meth:`.OrdinalModel.matrices`, plus ``gamma`` (m x q) and ``kappa`` (p x q)."""
        M = super().matrices(theta, g)
        M["gamma"] = np.zeros((self.m, self.q))
        M["kappa"] = np.zeros((self.p, self.q))
        theta = np.asarray(theta, dtype=float) if self.lin is None else self.lin.expand(theta)
        slots = self._group_slots(g)
        for kind in ("gamma", "kappa"):
            if kind in slots:
                i, j, free, val = slots[kind]
                M[kind][i, j] = np.where(free >= 0, theta[np.maximum(free, 0)] if theta.size else 0.0, val)
        return M

    def slopes(self, theta, g: int, M=None) -> np.ndarray:
        """Implied probit slopes :math:`\\Pi = \\Delta(\\Lambda A\\Gamma + K)` (p x q)."""
        M = self.matrices(theta, g) if M is None else M
        return M["delta"][:, None] * (M["lambda"] @ M["ib_inv"] @ M["gamma"] + M["kappa"])

    def implied(self, theta, g: int) -> np.ndarray:
        """Thresholds, ``vec`` of the slopes (covariate by covariate), then ``vech*`` correlations."""
        base = super().implied(theta, g)
        pi = self.slopes(theta, g)
        return np.concatenate([base[: self.n_th], pi.ravel(order="F"), base[self.n_th:]])

    def implied_cor(self, theta, g: int) -> np.ndarray:
        """Implied residual correlation matrix of the latent responses (given the covariates)."""
        R = np.eye(self.p)
        r = self.implied(theta, g)[self.cor_offset:]
        R[self.ii, self.jj] = r
        R[self.jj, self.ii] = r
        return R

    def _jacobian_full(self, theta, g: int) -> np.ndarray:
        """:math:`\\partial\\sigma_g/\\partial\\theta^\\top` with the slope rows inserted."""
        base = super()._jacobian_full(theta, g)
        M = self.matrices(theta, g)
        p, q, m = self.p, self.q, self.m
        d, L, A = M["delta"], M["lambda"], M["ib_inv"]
        LA = L @ A
        AG = A @ M["gamma"]
        core = L @ AG + M["kappa"]
        Js = np.zeros((p, q, self.nfull))  # d Pi[i, k] / d theta
        for kind, (i, j, free, _val) in self._group_slots(g).items():
            keep = free >= 0
            if not keep.any():
                continue
            i, j, free = i[keep], j[keep], free[keep]
            if kind == "kappa":
                cols = np.zeros((p, q, i.size))
                cols[i, j, np.arange(i.size)] = d[i]
            elif kind == "gamma":
                # d Pi[:, k] / d Gamma[a, k] = delta * (L A)[:, a]
                cols = np.zeros((p, q, i.size))
                for t, (a, k) in enumerate(zip(i, j)):
                    cols[:, k, t] = d * LA[:, a]
            elif kind == "lambda":
                cols = np.zeros((p, q, i.size))
                for t, (r, f) in enumerate(zip(i, j)):
                    cols[r, :, t] = d[r] * AG[f, :]
            elif kind == "beta":
                # d A / d B[a, b] = A e_a e_b' A
                cols = (d[:, None, None] * LA[:, i][:, None, :]) * AG[j, :].T[None, :, :]
            elif kind == "delta":
                cols = np.zeros((p, q, i.size))
                for t, r in enumerate(i):
                    cols[r, :, t] = core[r, :]
            else:
                continue
            # vec order: column k of Pi, item i -> row k * p + i
            flat = cols.transpose(1, 0, 2).reshape(p * q, -1)
            tmp = np.zeros((p * q, self.nfull))
            _scatter_cols(tmp, flat, free)
            Js += tmp.reshape(q, p, self.nfull).transpose(1, 0, 2)
        rows_s = Js.transpose(1, 0, 2).reshape(p * q, self.nfull)
        return np.vstack([base[: self.n_th], rows_s, base[self.n_th:]])
