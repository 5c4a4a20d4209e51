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
        self.pat_n = np.array([pt["n"] for pt in self.pats], dtype=float)
        # patterns stacked by number of observed variables, for batched linear algebra
        self.batches = []
        for size in sorted({len(pt["idx"]) for pt in self.pats}):
            if size == 0:
                continue
            pick = [b for b, pt in enumerate(self.pats) if len(pt["idx"]) == size]
            sel = [self.pats[b] for b in pick]
            idx = np.array([pt["idx"] for pt in sel])
            midx = np.array([np.setdiff1d(np.arange(self.p), pt["idx"]) for pt in sel], dtype=int)
            midx = midx.reshape(len(sel), self.p - size)
            rows = np.concatenate([pt["rows"] for pt in sel])
            row_pat = np.repeat(np.arange(len(sel)), [len(pt["rows"]) for pt in sel])
            self.batches.append({"idx": idx, "r": idx[:, :, None], "c": idx[:, None, :],
                                 "pat": np.array(pick), "midx": midx, "rows": rows, "row_pat": row_pat,
                                 "Yo": X[rows[:, None], idx[row_pat]],
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
    """EM estimates ``(Sigma, mu)`` of the saturated normal model for one group.

    Each E-step works from one factorisation of the full ``Sigma``: with
    ``Omega = Sigma^-1``, a pattern missing the set ``m`` has conditional
    covariance ``Omega_mm^-1`` and regression ``-Omega_mm^-1 Omega_mo`` of the
    missing on the observed variables, and ``log|Sigma_oo| = log|Sigma| +
    log|Omega_mm|``; so each pattern costs a ``|m| x |m|`` inverse, batched
    over the patterns with the same number of gaps. Iterates until the
    observed-data log-likelihood changes by less than ``tol`` (relative).
    """
    X = pats.X
    mu = np.nanmean(X, axis=0)
    Sig = np.diag(np.nanvar(X, axis=0))
    p, n = pats.p, pats.n
    ll_old = -np.inf
    for _ in range(maxiter):
        T1 = np.zeros(p)
        T2 = np.zeros((p, p))
        sign, logdet = np.linalg.slogdet(Sig)
        Om = np.linalg.inv(Sig)
        ll = 0.0
        for b in pats.batches:
            o, m, rp = b["idx"], b["midx"], b["row_pat"]
            po, q = o.shape[1], m.shape[1]
            Koo = Om[b["r"], b["c"]]
            ld = np.full(len(o), logdet)
            Yhat = np.empty((len(rp), p))
            Yhat[np.arange(len(rp))[:, None], o[rp]] = b["Yo"]
            if q:
                Cmm = np.linalg.inv(Om[m[:, :, None], m[:, None, :]])          # Var(y_m | y_o)
                Omo = Om[m[:, :, None], o[:, None, :]]
                Bc = -Cmm @ Omo                                                  # regression m on o
                Dy = b["Yo"] - mu[o[rp]]
                Yhat[np.arange(len(rp))[:, None], m[rp]] = mu[m[rp]] + np.einsum("rqo,ro->rq", Bc[rp], Dy)
                ext = Cmm * b["n"][:, None, None]
                T2 += np.bincount((m[:, :, None] * p + m[:, None, :]).ravel(), weights=ext.ravel(),
                                  minlength=p * p).reshape(p, p)
                Koo = Koo + np.swapaxes(Omo, 1, 2) @ Bc                         # Sigma_oo^-1
                ld = ld + np.linalg.slogdet(Om[m[:, :, None], m[:, None, :]])[1]
            d = b["mean"] - mu[o]
            quad = np.einsum("bij,bji->b", Koo, b["cov"]) + np.einsum("bi,bij,bj->b", d, Koo, d)
            ll -= 0.5 * float(b["n"] @ (po * LOG2PI + ld + quad))
            T1 += Yhat.sum(axis=0)
            T2 += Yhat.T @ Yhat
        if abs(ll - ll_old) < tol * (1 + abs(ll)):
            break
        ll_old = ll
        mu = T1 / n
        Sig = T2 / n - np.outer(mu, mu)
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
        """Expected information of ``fmin`` summed over patterns (drives the optimiser).

        Per pattern ``o``: ``n_o [0.5 tr(K dS_k K dS_l) + dm_k' K dm_l] / N`` with
        ``K = Sigma_oo^-1``. With the padded ``K_o`` the sum over patterns is one
        Gram matrix ``sum_o n_o vec(K_o) vec(K_o)'`` (:func:`_pattern_gram`), so the
        cost does not grow with the number of patterns beyond one BLAS call.
        """
        k = self.model.npar
        H = np.zeros((k, k))
        for pats, (Sig, mu), (dS, dm) in zip(self.patterns, self.model.implied(theta),
                                             self.model.jacobian(theta)):
            p = pats.p
            try:
                Kp = _padded_inverses(pats, Sig)
            except np.linalg.LinAlgError:
                return np.eye(k)
            n = pats.pat_n
            if p <= GRAM_MAX_P:
                G4 = _pattern_gram(Kp, Kp, n).reshape(p, p, p, p)   # [i, j, m, l] = sum n K_ij K_ml
                Q = G4.transpose(1, 2, 3, 0).reshape(p * p, p * p)   # [(j, m), (l, i)]
                dSf = dS.reshape(k, p * p)
                H += 0.5 * dSf @ Q @ dSf.T
            else:  # very many variables: per pattern, without the p^4 Gram matrix
                for b, pt in enumerate(pats.pats):
                    o = pt["idx"]
                    L = np.linalg.cholesky(Sig[pt["ix"]])
                    Li = np.linalg.inv(L)
                    W = (Li @ dS[:, o][:, :, o] @ Li.T).reshape(k, -1)
                    H += 0.5 * n[b] * (W @ W.T)
            H += dm @ np.tensordot(n, Kp, axes=1) @ dm.T
        return H / self.ntotal

    def observed_information(self, theta):
        """Observed information of ``fmin`` (its analytic Hessian), as lavaan's for ``missing = "ml"``.

        ``(1/N) sum_g [J_g' H_g J_g + d2/dtheta2 (tr(G_g Sigma_g) + gm_g' mu_g)]``: ``H_g`` the
        Hessian of ``-logl`` wrt ``(vech Sigma, mu)`` at the implied moments
        (:func:`saturated_hessian`), ``J_g`` the model Jacobian, ``G_g``/``gm_g`` the
        gradient of ``-logl`` wrt ``Sigma``/``mu`` (the second-order term,
        :meth:`~.model.RAMModel.second_derivative_term`). lavaan differentiates its
        analytic gradient numerically; this is the same matrix without ``2k``
        gradient evaluations.
        """
        k = self.model.npar
        H = np.zeros((k, k))
        jac = self.model.jacobian_vech(theta)
        for g, (pats, (Sig, mu), (dSv, dmv)) in enumerate(zip(self.patterns, self.model.implied(theta), jac)):
            J = np.vstack([dSv, dmv])
            H += J.T @ (saturated_hessian(pats, Sig, mu) * pats.n) @ J
            _, G, gm = _batch_terms(pats, Sig, mu, grad=True)
            H += self.model.second_derivative_term(theta, g, G, gm)
        H = H / self.ntotal
        return 0.5 * (H + H.T)

    def casewise_scores(self, theta):
        """Per-case gradients of the log-likelihood, stacked over groups (``N x k``).

        For case ``i`` of pattern ``o`` with ``w_i = K (y_io - mu_o)``:
        ``0.5 vec(w_i w_i' - K)' vec(dSigma_k) + w_i' dmu_k``, on matrices padded
        to all ``p`` variables so that every pattern uses the same ``dSigma``.
        """
        out = []
        k = self.model.npar
        for pats, (Sig, mu), (dS, dm) in zip(self.patterns, self.model.implied(theta),
                                             self.model.jacobian(theta)):
            p = pats.p
            dSf = dS.reshape(k, p * p)
            Kp = _padded_inverses(pats, Sig)
            sc = np.zeros((pats.n, k))
            for b, pt in enumerate(pats.pats):
                o = pt["idx"]
                Wp = np.zeros((len(pt["rows"]), p))
                Wp[:, o] = (pats.X[pt["rows"]][:, o] - mu[o]) @ Kp[b][pt["ix"]]
                M = (Wp[:, :, None] * Wp[:, None, :]).reshape(len(Wp), p * p)
                sc[pt["rows"]] = 0.5 * (M @ dSf.T - (dSf @ Kp[b].ravel())[None, :]) + Wp @ dm.T
            out.append(sc)
        return out


#: largest number of variables for which pattern sums use the (p^2 x p^2) Gram matrix
GRAM_MAX_P = 60


def _padded_inverses(pats: Patterns, Sig) -> np.ndarray:
    """``(n_patterns, p, p)``: ``Sigma_oo^-1`` of each pattern, zero outside its observed block.

    Raises
    ------
    numpy.linalg.LinAlgError
        A block is not positive definite.
    """
    p = pats.p
    out = np.zeros((len(pats.pats), p, p))
    for b in pats.batches:
        L = np.linalg.cholesky(Sig[b["r"], b["c"]])
        Li = np.linalg.inv(L)
        K = np.swapaxes(Li, 1, 2) @ Li
        out[b["pat"][:, None, None], b["r"], b["c"]] = K
    return out


def _pattern_gram(X, Y, n) -> np.ndarray:
    """``sum_o n_o vec(X_o) vec(Y_o)'`` as a ``(p^2, p^2)`` matrix (``[(i,k),(j,l)] = sum n X_ik Y_jl``)."""
    B, p, _ = X.shape
    return (X.reshape(B, p * p) * n[:, None]).T @ Y.reshape(B, p * p)


def saturated_hessian(pats: Patterns, Sig, mu) -> np.ndarray:
    """Analytic Hessian of ``-logl / n`` of the saturated model wrt ``(vech Sigma, mu)``.

    Parameters are ordered as :func:`~.model.vech_indices` (column-major lower
    triangle) followed by the means. Per pattern ``o`` (``K = Sigma_oo^-1``,
    ``A = S_o + d d'``, ``E_a`` the symmetric unit matrix of ``sigma_a``)::

        d2/dsigma_a dsigma_b = n/2 [-tr(K E_a K E_b) + 2 tr(K E_a K E_b K A)]   (symmetrised)
        d2/dsigma_a dmu      = n K E_a K d,     d2/dmu dmu' = n K

    With ``tr(X E_a Y E_b)`` a sum of products ``X_tr Y_cs`` over the (up to)
    four orientations of ``a = (r, c)`` and ``b = (s, t)``, the sums over
    patterns are entries of the Gram matrices ``sum_o n_o vec(X_o) vec(Y_o)'``
    of the padded ``K_o`` and ``K_o A_o K_o``: two BLAS calls instead of one
    ``O(p^6)`` product per pattern.
    """
    p = pats.p
    r, c = vech_indices(p)
    ks = len(r)
    if p > GRAM_MAX_P:
        return _saturated_hessian_by_pattern(pats, Sig, mu)
    Kp = _padded_inverses(pats, Sig)
    n = pats.pat_n
    Wp = np.zeros_like(Kp)
    V = np.zeros((len(pats.pats), p))
    for b, pt in enumerate(pats.pats):
        o = pt["idx"]
        K = Kp[b][pt["ix"]]
        d = pt["mean"] - mu[o]
        Wp[b][pt["ix"]] = K @ (pt["cov"] + np.outer(d, d)) @ K
        V[b, o] = K @ d
    Gkk = _pattern_gram(Kp, Kp, n)
    Gwk = _pattern_gram(Wp, Kp, n)
    off = (r != c).astype(float)
    ra, ca = r[:, None], c[:, None]
    sb, tb = r[None, :], c[None, :]

    def trace_pairs(G):
        # tr(X E_a Y E_b) for all vech pairs (a, b) from G[(i,k),(j,l)] = sum n X_ik Y_jl
        T = G[tb * p + ra, ca * p + sb]
        T = T + G[sb * p + ra, ca * p + tb] * off[None, :]
        T = T + G[tb * p + ca, ra * p + sb] * off[:, None]
        return T + G[sb * p + ca, ra * p + tb] * (off[:, None] * off[None, :])

    t2 = trace_pairs(Gwk)
    H = np.zeros((ks + p, ks + p))
    H[:ks, :ks] = 0.5 * (-trace_pairs(Gkk) + t2 + t2.T)
    Q = (Kp.reshape(len(n), p * p) * n[:, None]).T @ V       # [(m, i), j] = sum n K_mi v_j
    m = np.arange(p)[None, :]
    cross = Q[m * p + ra, ca] + Q[m * p + ca, ra] * off[:, None]
    H[:ks, ks:] = cross
    H[ks:, :ks] = cross.T
    H[ks:, ks:] = np.tensordot(n, Kp, axes=1)
    return H / pats.n


def _saturated_hessian_by_pattern(pats: Patterns, Sig, mu) -> np.ndarray:
    """:func:`saturated_hessian` pattern by pattern (for more than :data:`GRAM_MAX_P` variables)."""
    from .model import vech_indices

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
