"""Full-information ML for missing data (``missing = "fiml"``).

The objective is lavaan's ``fmin = -logl / N`` up to a constant, summed over
missing-data patterns: for a pattern ``o`` with ``n_o`` cases, sample
moments ``S_o`` (divisor ``n_o``) and mean ``ybar_o`` of the observed
variables::

    -logl_o = n_o/2 [p_o log(2 pi) + log|Sigma_oo| + tr(Sigma_oo^-1 (S_o + d d'))],  d = ybar_o - mu_o

The unrestricted (H1) model is fitted by EM (Dempster, Laird & Rubin 1977,
doi:10.1111/j.2517-6161.1977.tb01600.x); ``chisq = 2 (logl_H1 - logl)``.
The independence (baseline) model factorises by variable, so its estimates
are the mean and variance (divisor ``n_j``) of each variable's observed values.
"""

from __future__ import annotations

import numpy as np

from .model import RAMModel

__all__ = ["Patterns", "FIMLObjective", "em_saturated", "fiml_loglik"]

LOG2PI = np.log(2 * np.pi)


class Patterns:
    """Missing-data patterns of one group, with per-pattern sufficient statistics."""

    def __init__(self, X: np.ndarray):
        X = np.asarray(X, dtype=float)
        self.X = X
        self.n, self.p = X.shape
        obs = ~np.isnan(X)
        keys, inv = np.unique(obs, axis=0, return_inverse=True)
        inv = np.asarray(inv).ravel()
        self.pats = []
        for k, key in enumerate(keys):
            rows = X[inv == k][:, key]
            n = rows.shape[0]
            mean = rows.mean(axis=0)
            Xc = rows - mean
            o = np.flatnonzero(key)
            self.pats.append({"idx": o, "ix": np.ix_(o, o), "n": n, "mean": mean, "cov": Xc.T @ Xc / n,
                              "rows": np.flatnonzero(inv == k)})


def fiml_loglik(pats: Patterns, Sig, mu) -> float:
    """Observed-data log-likelihood of one group (``-inf`` when a block is not PD)."""
    ll = 0.0
    for pt in pats.pats:
        o = pt["idx"]
        S = Sig[pt["ix"]]
        try:
            L = np.linalg.cholesky(S)
        except np.linalg.LinAlgError:
            return -np.inf
        Li = np.linalg.inv(L)
        Si = Li.T @ Li
        d = pt["mean"] - mu[o]
        ld = 2 * np.log(np.diag(L)).sum()
        ll += -0.5 * pt["n"] * (len(o) * LOG2PI + ld + np.sum(Si * pt["cov"]) + d @ Si @ d)
    return ll


def em_saturated(pats: Patterns, *, tol: float = 1e-12, maxiter: int = 10000):
    """EM estimates ``(Sigma, mu)`` of the saturated normal model for one group."""
    X = pats.X
    mu = np.nanmean(X, axis=0)
    Sig = np.diag(np.nanvar(X, axis=0))
    p, n = pats.p, pats.n
    ll_old = -np.inf
    for _ in range(maxiter):
        T1 = np.zeros(p)
        T2 = np.zeros((p, p))
        for pt in pats.pats:
            o = pt["idx"]
            m = np.setdiff1d(np.arange(p), o)
            Y = X[pt["rows"]]
            Yhat = np.tile(mu, (len(pt["rows"]), 1))
            Yhat[:, o] = Y[:, o]
            extra = np.zeros((p, p))
            if m.size:
                Soo = Sig[pt["ix"]]
                Smo = Sig[np.ix_(m, o)]
                B = np.linalg.solve(Soo, Smo.T).T if o.size else np.zeros((m.size, 0))
                Yhat[:, m] = mu[m] + (Y[:, o] - mu[o]) @ B.T
                extra[np.ix_(m, m)] = (Sig[np.ix_(m, m)] - B @ Smo.T) * len(pt["rows"])
            T1 += Yhat.sum(axis=0)
            T2 += Yhat.T @ Yhat + extra
        mu = T1 / n
        Sig = T2 / n - np.outer(mu, mu)
        ll = fiml_loglik(pats, Sig, mu)
        if abs(ll - ll_old) < tol * (1 + abs(ll)):
            break
        ll_old = ll
    return Sig, mu


class FIMLObjective:
    """``fmin = -logl / N`` for incomplete data, with analytic gradient.

    ``information()`` returns the expected (Fisher) information for the
    observed-data likelihood, used only to drive the optimiser; standard errors
    use the observed information (numerical Hessian of the analytic gradient),
    as lavaan does for ``missing = "ml"``.
    """

    def __init__(self, model: RAMModel, patterns: list[Patterns]):
        self.model = model
        self.patterns = patterns
        self.ntotal = sum(p.n for p in patterns)
        self.weights = np.array([p.n / self.ntotal for p in patterns])

    def loglik(self, theta) -> float:
        return float(sum(fiml_loglik(pt, S, m) for pt, (S, m) in zip(self.patterns, self.model.implied(theta))))

    def value(self, theta) -> float:
        ll = self.loglik(theta)
        return np.inf if not np.isfinite(ll) else -ll / self.ntotal

    def value_grad(self, theta):
        f = 0.0
        grad = np.zeros(self.model.npar)
        for pats, (Sig, mu), (dS, dm) in zip(self.patterns, self.model.implied(theta),
                                             self.model.jacobian(theta)):
            G = np.zeros_like(Sig)
            gm = np.zeros_like(mu)
            for pt in pats.pats:
                o = pt["idx"]
                try:
                    L = np.linalg.cholesky(Sig[pt["ix"]])
                except np.linalg.LinAlgError:
                    return np.inf, grad
                Li = np.linalg.inv(L)
                Si = Li.T @ Li
                d = pt["mean"] - mu[o]
                n = pt["n"]
                f += 0.5 * n * (len(o) * LOG2PI + 2 * np.log(np.diag(L)).sum()
                                + np.sum(Si * pt["cov"]) + d @ Si @ d)
                G[pt["ix"]] += 0.5 * n * (Si - Si @ (pt["cov"] + np.outer(d, d)) @ Si)
                gm[o] -= n * (Si @ d)
            grad += np.einsum("kab,ab->k", dS, G) + dm @ gm
        return f / self.ntotal, grad / self.ntotal

    def information(self, theta):
        k = self.model.npar
        H = np.zeros((k, k))
        for pats, (Sig, mu), (dS, dm) in zip(self.patterns, self.model.implied(theta),
                                             self.model.jacobian(theta)):
            for pt in pats.pats:
                o = pt["idx"]
                try:
                    L = np.linalg.cholesky(Sig[pt["ix"]])
                except np.linalg.LinAlgError:
                    return np.eye(k)
                Li = np.linalg.inv(L)
                W = np.einsum("ab,kbc,dc->kad", Li, dS[:, o][:, :, o], Li).reshape(k, -1)
                Z = dm[:, o] @ Li.T
                H += pt["n"] * (0.5 * W @ W.T + Z @ Z.T)
        return H / self.ntotal

    def casewise_scores(self, theta):
        """Per-case gradients of the log-likelihood, stacked over groups (``N x k``)."""
        out = []
        for pats, (Sig, mu), (dS, dm) in zip(self.patterns, self.model.implied(theta),
                                             self.model.jacobian(theta)):
            sc = np.zeros((pats.n, self.model.npar))
            for pt in pats.pats:
                o = pt["idx"]
                Si = np.linalg.inv(Sig[pt["ix"]])
                E = pats.X[pt["rows"]][:, o] - mu[o]
                W = E @ Si
                dSo = dS[:, o][:, :, o]
                po = len(o)
                c = dSo.reshape(len(dSo), -1) @ Si.ravel()
                quad = (W[:, :, None] * W[:, None, :]).reshape(W.shape[0], po * po) @ dSo.reshape(len(dSo), -1).T
                sc[pt["rows"]] = -0.5 * (c[None, :] - quad) + W @ dm[:, o].T
            out.append(sc)
        return out
