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

from .model import RAMModel, vech_indices

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
        # patterns stacked by number of observed variables, for batched linear algebra
        self.batches = []
        for size in sorted({len(pt["idx"]) for pt in self.pats}):
            if size == 0:
                continue
            sel = [pt for pt in self.pats if len(pt["idx"]) == size]
            idx = np.array([pt["idx"] for pt in sel])
            self.batches.append({"idx": idx, "r": idx[:, :, None], "c": idx[:, None, :],
                                 "flat": (idx[:, :, None] * self.p + idx[:, None, :]).ravel(),
                                 "n": np.array([pt["n"] for pt in sel], dtype=float),
                                 "mean": np.array([pt["mean"] for pt in sel]),
                                 "cov": np.array([pt["cov"] for pt in sel])})


def _batch_terms(pats: Patterns, Sig, mu, *, grad: bool):
    """-logl (times 1) and optionally the gradient wrt Sigma (G) and mu (gm), batched by pattern size."""
    f = 0.0
    G = np.zeros_like(Sig) if grad else None
    gm = np.zeros_like(mu) if grad else None
    for b in pats.batches:
        S = Sig[b["r"], b["c"]]
        L = np.linalg.cholesky(S)  # raises LinAlgError when a block is not PD
        Li = np.linalg.inv(L)
        Si = np.swapaxes(Li, 1, 2) @ Li
        d = b["mean"] - mu[b["idx"]]
        Sid = np.einsum("bij,bj->bi", Si, d)
        ld = 2 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
        tr = np.einsum("bij,bji->b", Si, b["cov"])
        size = b["idx"].shape[1]
        f += float(0.5 * b["n"] @ (size * LOG2PI + ld + tr + np.einsum("bi,bi->b", d, Sid)))
        if grad:
            A = b["cov"] + d[:, :, None] * d[:, None, :]
            Gb = 0.5 * b["n"][:, None, None] * (Si - Si @ A @ Si)
            G += np.bincount(b["flat"], weights=Gb.ravel(), minlength=G.size).reshape(G.shape)
            gm -= np.bincount(b["idx"].ravel(), weights=(b["n"][:, None] * Sid).ravel(), minlength=gm.size)
    return f, G, gm


def fiml_loglik(pats: Patterns, Sig, mu) -> float:
    """Observed-data log-likelihood of one group (``-inf`` when a block is not PD)."""
    try:
        f, _, _ = _batch_terms(pats, Sig, mu, grad=False)
    except np.linalg.LinAlgError:
        return -np.inf
    return -f


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
            try:
                fg, G, gm = _batch_terms(pats, Sig, mu, grad=True)
            except np.linalg.LinAlgError:
                return np.inf, grad
            f += fg
            grad += dS.reshape(dS.shape[0], -1) @ G.ravel() + dm @ gm
        return f / self.ntotal, grad / self.ntotal

    def information(self, theta):
        k = self.model.npar
        H = np.zeros((k, k))
        for pats, (Sig, mu), (dS, dm) in zip(self.patterns, self.model.implied(theta),
                                             self.model.jacobian(theta)):
            for bt in pats.batches:
                try:
                    L = np.linalg.cholesky(Sig[bt["r"], bt["c"]])
                except np.linalg.LinAlgError:
                    return np.eye(k)
                Li = np.linalg.inv(L)                                 # (B, s, s)
                w = np.sqrt(bt["n"])[None, :, None, None]
                W = Li[None] @ dS[:, bt["r"], bt["c"]] @ np.swapaxes(Li, 1, 2)[None] * w
                Wf = W.reshape(k, -1)
                Z = (np.einsum("bij,kbj->kbi", Li, dm[:, bt["idx"]]) * w[..., 0]).reshape(k, -1)
                H += 0.5 * Wf @ Wf.T + Z @ Z.T
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


def saturated_hessian(pats: Patterns, Sig, mu) -> np.ndarray:
    """Analytic Hessian of ``-logl / n`` of the saturated model wrt ``(vech Sigma, mu)``.

    Parameters are ordered as :func:`~.model.vech_indices` (column-major lower
    triangle) followed by the means. Per pattern ``o`` (``K = Sigma_oo^-1``,
    ``A = S_o + d d'``, ``E_a`` the symmetric unit matrix of ``sigma_a``)::

        d2/dsigma_a dsigma_b = n/2 [-tr(K E_a K E_b) + 2 tr(K E_a K E_b K A)]   (symmetrised)
        d2/dsigma_a dmu      = n K E_a K d,     d2/dmu dmu' = n K
    """
    p = pats.p
    r, c = vech_indices(p)
    ks = len(r)
    H = np.zeros((ks + p, ks + p))
    for pt in pats.pats:
        o = pt["idx"]
        po = len(o)
        loc = -np.ones(p, dtype=int)
        loc[o] = np.arange(po)
        sel = np.flatnonzero((loc[r] >= 0) & (loc[c] >= 0))
        E = np.zeros((sel.size, po, po))
        E[np.arange(sel.size), loc[r[sel]], loc[c[sel]]] = 1.0
        E[np.arange(sel.size), loc[c[sel]], loc[r[sel]]] = 1.0
        K = np.linalg.inv(Sig[pt["ix"]])
        d = pt["mean"] - mu[o]
        A = pt["cov"] + np.outer(d, d)
        n = pt["n"]
        M = K @ E @ K                                   # K E_a K
        t1 = M.reshape(sel.size, -1) @ E.reshape(sel.size, -1).T
        N = E @ (K @ A)                                 # E_b K A
        t2 = M.reshape(sel.size, -1) @ N.transpose(0, 2, 1).reshape(sel.size, -1).T
        Hss = 0.5 * n * (-t1 + t2 + t2.T)
        H[np.ix_(sel, sel)] += Hss
        cross = n * (M @ d)                             # (k_o, po)
        mi = ks + o
        H[np.ix_(sel, mi)] += cross
        H[np.ix_(mi, sel)] += cross.T
        H[np.ix_(mi, mi)] += n * K
    return H / pats.n
