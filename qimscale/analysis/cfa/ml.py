"""Normal-theory maximum likelihood (``estimator = "ML"``) and the optimiser.

The discrepancy function is lavaan's::

    fmin = sum_g (n_g / N) * 0.5 * [log|Sigma_g| + tr(S_g Sigma_g^-1) - log|S_g| - p
                                     + (ybar_g - mu_g)' Sigma_g^-1 (ybar_g - mu_g)]

with ``S_g`` the sample covariance with divisor ``n_g`` (``likelihood = "normal"``),
so that ``chisq = 2 N fmin``. Without a mean structure ``mu_g = ybar_g``.

Gradient (per group, ``d = ybar - mu``, ``G = Sigma^-1 - Sigma^-1 (S + d d') Sigma^-1``)::

    dfmin/dtheta_k = 0.5 tr(G dSigma_k) - d' Sigma^-1 dmu_k

Expected (Fisher) information of ``fmin`` per group::

    H_kl = 0.5 tr(Sigma^-1 dSigma_k Sigma^-1 dSigma_l) + dmu_k' Sigma^-1 dmu_l

The estimator interface (shared with MLR, FIML and the ordinal DWLS
estimator): an object with ``value(theta)``, ``value_grad(theta)`` and
``information(theta)`` (the expected Hessian of the objective, per case),
and the attribute ``ntotal``. :func:`minimize` runs Fisher scoring with a
back-tracking line search and falls back to BFGS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qimscale._core.linalg import is_positive_definite

from .model import RAMModel

__all__ = ["GroupData", "group_data", "MLObjective", "minimize", "OptimResult"]


@dataclass
class GroupData:
    """Sample statistics of one group.

    Attributes
    ----------
    n : int
        Cases used.
    cov : ndarray
        Sample covariance with divisor ``n`` (lavaan's ``likelihood = "normal"``).
    mean : ndarray
    X : ndarray or None
        The raw data (``n x p``), kept for casewise scores (MLR) and FIML.
    """

    n: int
    cov: np.ndarray
    mean: np.ndarray
    X: np.ndarray | None = None


def group_data(X: np.ndarray) -> GroupData:
    """Sample statistics of a complete data matrix."""
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    mean = X.mean(axis=0)
    Xc = X - mean
    return GroupData(n=n, cov=Xc.T @ Xc / n, mean=mean, X=X)


def _inv_logdet(S):
    try:
        L = np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        return None, np.nan
    Li = np.linalg.inv(L)
    return Li.T @ Li, 2.0 * np.log(np.diag(L)).sum()


class MLObjective:
    """lavaan's ML discrepancy function for complete data (one or more groups).

    Parameters
    ----------
    model : RAMModel
    groups : list of GroupData
    """

    def __init__(self, model: RAMModel, groups: list[GroupData]):
        self.model = model
        self.groups = groups
        self.ntotal = sum(g.n for g in groups)
        self.weights = np.array([g.n / self.ntotal for g in groups])
        self.logdetS = []
        for g in groups:
            self.logdetS.append(np.linalg.slogdet(g.cov)[1] if is_positive_definite(g.cov) else np.nan)

    def group_values(self, theta):
        """Per-group ``fx_g`` (without the ``n_g/N`` weight); ``inf`` when Sigma is not PD."""
        out = []
        for (Sig, mu), g, lds in zip(self.model.implied(theta), self.groups, self.logdetS):
            Si, ld = _inv_logdet(Sig)
            if Si is None:
                return None
            d = g.mean - mu if self.model.meanstructure else np.zeros_like(mu)
            p = len(mu)
            out.append(0.5 * (ld + np.sum(Si * g.cov) - lds - p + d @ Si @ d))
        return np.array(out)

    def value(self, theta) -> float:
        v = self.group_values(theta)
        return np.inf if v is None else float(self.weights @ v)

    def value_grad(self, theta):
        f = 0.0
        grad = np.zeros(self.model.npar)
        jac = self.model.jacobian(theta)
        for (Sig, mu), (dS, dm), g, w, lds in zip(self.model.implied(theta), jac, self.groups,
                                                   self.weights, self.logdetS):
            Si, ld = _inv_logdet(Sig)
            if Si is None:
                return np.inf, grad
            p = len(mu)
            d = g.mean - mu if self.model.meanstructure else np.zeros(p)
            f += w * 0.5 * (ld + np.sum(Si * g.cov) - lds - p + d @ Si @ d)
            G = Si - Si @ (g.cov + np.outer(d, d)) @ Si
            grad += w * (0.5 * (dS.reshape(dS.shape[0], -1) @ G.ravel()))
            if self.model.meanstructure:
                grad -= w * (dm @ (Si @ d))
        return f, grad

    def information(self, theta, *, per_group: bool = False):
        """Expected information of ``fmin`` (weighted by ``n_g/N``), or a list per group (unweighted)."""
        k = self.model.npar
        out = []
        for (Sig, mu), (dS, dm) in zip(self.model.implied(theta), self.model.jacobian(theta)):
            H = expected_information_normal(Sig, dS, dm if self.model.meanstructure else None)
            out.append(H)
        if per_group:
            return out
        total = np.zeros((k, k))
        for w, H in zip(self.weights, out):
            total += w * H
        return total


def expected_information_normal(Sig, dS, dm=None):
    """``0.5 tr(Si dS_k Si dS_l) + dm_k' Si dm_l`` for all pairs (k, l)."""
    L = np.linalg.cholesky(Sig)
    Li = np.linalg.inv(L)
    # Li dS Li' is symmetric; tr(Si A Si B) = <Li A Li', Li B Li'>
    W = Li @ dS @ Li.T
    Wf = W.reshape(W.shape[0], -1)
    H = 0.5 * Wf @ Wf.T
    if dm is not None:
        Z = dm @ Li.T
        H += Z @ Z.T
    return H


@dataclass
class OptimResult:
    theta: np.ndarray
    fmin: float
    grad: np.ndarray
    iterations: int
    converged: bool
    message: str


def minimize(objective, theta0, *, maxiter: int = 500, gtol: float = 1e-9, n_scoring: int = 4) -> OptimResult:
    """Minimise ``objective``: Fisher scoring, then BFGS updates of the Fisher matrix.

    The first ``n_scoring`` steps use the expected information; later steps
    update the last information matrix with BFGS (superlinear convergence
    even when the model is misspecified, where pure scoring is only linear).
    Each step is backtracked (Armijo). Falls back to scipy's BFGS if the
    line search fails away from an optimum.

    Parameters
    ----------
    objective
        Provides ``value``, ``value_grad`` and ``information``.
    theta0 : ndarray
        Starting values.

    Returns
    -------
    OptimResult
    """
    theta = np.array(theta0, dtype=float)
    f, g = objective.value_grad(theta)
    if not np.isfinite(f):
        return _bfgs(objective, theta, "starting values give a non-positive-definite implied matrix")
    H = None
    it = 0
    for it in range(1, maxiter + 1):
        if H is None or it <= n_scoring:
            H = objective.information(theta)
        try:
            step = np.linalg.solve(H, -g)
        except np.linalg.LinAlgError:
            step, *_ = np.linalg.lstsq(H, -g, rcond=None)
        slope = g @ step
        if slope >= 0:  # not a descent direction: restart from the information matrix
            H = objective.information(theta)
            step, *_ = np.linalg.lstsq(H, -g, rcond=None)
            slope = g @ step
            if slope >= 0:
                step, slope = -g, -(g @ g)
        t = 1.0
        while True:
            cand = theta + t * step
            fc = objective.value(cand)
            if np.isfinite(fc) and fc <= f + 1e-4 * t * slope:
                break
            t *= 0.5
            if t < 1e-12:
                break
        if t < 1e-12:
            if np.max(np.abs(g)) < 1e-6:
                return OptimResult(theta, f, g, it, True, "converged (line search stalled at optimum)")
            return _bfgs(objective, theta, "Fisher scoring stalled")
        f_old, g_old = f, g
        f, g = objective.value_grad(cand)
        s_vec, y_vec = cand - theta, g - g_old
        theta = cand
        sy = s_vec @ y_vec
        if it >= n_scoring and sy > 1e-16:
            Hs = H @ s_vec
            H = H + np.outer(y_vec, y_vec) / sy - np.outer(Hs, Hs) / (s_vec @ Hs)
        if np.max(np.abs(g)) < gtol or (abs(f_old - f) < 1e-15 * max(1.0, abs(f))
                                       and np.max(np.abs(g)) < 1e-6):
            return OptimResult(theta, f, g, it, True, "converged")
    return _bfgs(objective, theta, f"no convergence after {maxiter} iterations")


def _bfgs(objective, theta, why):
    # imported here to keep start-up fast: scipy.optimize (~0.2 s) is needed only when Fisher
    # scoring fails, which a well-specified model never meets
    from scipy import optimize

    def fun(x):
        f, g = objective.value_grad(x)
        if not np.isfinite(f):
            return 1e10, np.zeros_like(x)
        return f, g

    res = optimize.minimize(fun, theta, jac=True, method="BFGS", options={"gtol": 1e-8, "maxiter": 5000})
    f, g = objective.value_grad(res.x)
    ok = bool(np.isfinite(f) and np.max(np.abs(g)) < 1e-5)
    return OptimResult(res.x, f, g, int(res.nit), ok, f"{why}; BFGS: {res.message}")
