"""Model matrices, implied moments and their analytic Jacobian.

Each group is written in RAM form over the vector ``v`` of all variables
(observed first, in :attr:`ParTable.ov` order, then latent)::

    v = A v + u,   Cov(u) = S,   E(u) = M
    Sigma = F (I - A)^-1 S (I - A)^-T F',   mu = F (I - A)^-1 M

which is lavaan's LISREL model with ``A`` holding Λ (``f =~ x`` at
``A[x, f]``) and B (``y ~ x`` at ``A[y, x]``), ``S`` holding Θ and Ψ, and
``M`` holding ν and α.

With ``E = (I - A)^-1`` and ``C = E S E'`` the derivatives are closed form:

- ``dSigma/dA[i, j] = u v' + v u'`` with ``u = (F E)[:, i]``, ``v = (F C)[:, j]``,
  and ``dmu/dA[i, j] = (F E)[:, i] (E M)[j]``;
- ``dSigma/dS[i, j] = (F E)[:, i] (F E)[:, j]' + (F E)[:, j] (F E)[:, i]'`` (once for ``i = j``);
- ``dmu/dM[i] = (F E)[:, i]``.

Columns of slots sharing a free index are summed, which is how equality
constraints (shared labels, ``group_equal``) enter. Linear equality
constraints (``a == 2*b``) enter through the map
:math:`\\theta = K\\theta^* + c` of :mod:`.constraints`: every method takes
:math:`\\theta^*` (``npar`` long) and Jacobians are :math:`\\Delta K`.
"""

from __future__ import annotations

import numpy as np

from qimscale.errors import ModelError

from .partable import ParTable

__all__ = ["RAMModel", "vech_indices"]


def vech_indices(p: int):
    """Row/column indices of the lower triangle (column-major vech order, as lavaan)."""
    rows, cols = [], []
    for j in range(p):
        for i in range(j, p):
            rows.append(i)
            cols.append(j)
    return np.array(rows), np.array(cols)


class _GroupSpec:
    """Slots of one group: which matrix entries are free and what they map to."""

    def __init__(self, p, m):
        self.p, self.m = p, m
        n = p + m
        self.A0 = np.zeros((n, n))
        self.S0 = np.zeros((n, n))
        self.M0 = np.zeros(n)
        self.a_i, self.a_j, self.a_k = [], [], []
        self.s_i, self.s_j, self.s_k = [], [], []
        self.m_i, self.m_k = [], []


class RAMModel:
    """Implied moments and Jacobians of a parameter table.

    Parameters
    ----------
    partable : ParTable

    Attributes
    ----------
    npar : int
        Number of free parameters (length of ``theta``; with linear equality
        constraints the length of :math:`\\theta^*`, see :mod:`.constraints`).
    nfull : int
        Number of free indices of the parameter table (``partable.npar``).
    ov, lv : list of str
        Observed and latent variable names (matrix order).
    """

    def __init__(self, partable: ParTable):
        self.pt = partable
        self.ov = list(partable.ov)
        self.lv = list(partable.lv)
        self.p = len(self.ov)
        self.m = len(self.lv)
        self.lin = partable.lin
        self.nfull = partable.npar
        self.npar = partable.npar if self.lin is None else self.lin.nstar
        self.ngroups = partable.ngroups
        self.meanstructure = partable.meanstructure
        pos = {v: i for i, v in enumerate(self.ov + self.lv)}
        self.pos = pos
        self.groups = [_GroupSpec(self.p, self.m) for _ in range(self.ngroups)]
        for r in partable.rows:
            g = self.groups[r["group"] - 1]
            op, k = r["op"], r["free"] - 1
            val = r["ustart"]
            if op == "=~":
                i, j = pos[r["rhs"]], pos[r["lhs"]]
                self._slot(g, "a", i, j, k, val)
            elif op == "~":
                i, j = pos[r["lhs"]], pos[r["rhs"]]
                self._slot(g, "a", i, j, k, val)
            elif op == "~~":
                i, j = pos[r["lhs"]], pos[r["rhs"]]
                if i < j:
                    i, j = j, i
                self._slot(g, "s", i, j, k, val)
            elif op == "~1":
                self._slot(g, "m", pos[r["lhs"]], None, k, val)
            # "|" and "~*~" rows are handled by the ordinal estimator
        for g in self.groups:
            for name in ("a_i", "a_j", "a_k", "s_i", "s_j", "s_k", "m_i", "m_k"):
                setattr(g, name, np.asarray(getattr(g, name), dtype=int))
        n = self.p + self.m
        self.F = np.eye(self.p, n)

    @staticmethod
    def _slot(g: _GroupSpec, kind, i, j, k, val):
        if k < 0:
            v = 0.0 if np.isnan(val) else val
            if kind == "a":
                g.A0[i, j] = v
            elif kind == "s":
                g.S0[i, j] = g.S0[j, i] = v
            else:
                g.M0[i] = v
            return
        if kind == "a":
            g.a_i.append(i), g.a_j.append(j), g.a_k.append(k)
        elif kind == "s":
            g.s_i.append(i), g.s_j.append(j), g.s_k.append(k)
        else:
            g.m_i.append(i), g.m_k.append(k)

    # ------------------------------------------------------------------ matrices
    def matrices(self, theta, group: int):
        """Return ``(A, S, M)`` of ``group`` (0-based) at ``theta``."""
        g = self.groups[group]
        if self.lin is not None:
            theta = self.lin.expand(theta)
        A = g.A0.copy()
        S = g.S0.copy()
        M = g.M0.copy()
        if g.a_k.size:
            A[g.a_i, g.a_j] = theta[g.a_k]
        if g.s_k.size:
            S[g.s_i, g.s_j] = theta[g.s_k]
            S[g.s_j, g.s_i] = theta[g.s_k]
        if g.m_k.size:
            M[g.m_i] = theta[g.m_k]
        return A, S, M

    def _core(self, theta, group):
        A, S, M = self.matrices(theta, group)
        n = A.shape[0]
        try:
            E = np.linalg.inv(np.eye(n) - A)
        except np.linalg.LinAlgError as exc:  # pragma: no cover - recursive model with I - B singular
            raise ModelError("the structural part is singular: (I - B) cannot be inverted") from exc
        C = E @ S @ E.T
        return A, S, M, E, C

    def total_moments(self, theta, group: int):
        """Covariance matrix and mean vector of all variables (observed + latent)."""
        A, S, M, E, C = self._core(theta, group)
        return C, E @ M

    def implied(self, theta):
        """Model-implied ``(Sigma, mu)`` of the observed variables, one pair per group."""
        out = []
        p = self.p
        for gi in range(self.ngroups):
            A, S, M, E, C = self._core(theta, gi)
            out.append((C[:p, :p], (E @ M)[:p]))
        return out

    def jacobian(self, theta):
        """Derivatives of the implied moments wrt ``theta``, one pair per group.

        Returns
        -------
        list of (dSigma, dmu)
            ``dSigma`` has shape ``(npar, p, p)`` (full symmetric matrices),
            ``dmu`` has shape ``(npar, p)``.
        """
        out = []
        p, k = self.p, self.nfull
        for gi, g in enumerate(self.groups):
            A, S, M, E, C = self._core(theta, gi)
            FE = E[:p, :]
            FC = C[:p, :]
            EM = E @ M
            dS = np.zeros((k, p, p))
            dm = np.zeros((k, p))
            if g.a_k.size:
                U = FE[:, g.a_i]
                V = FC[:, g.a_j]
                slots = np.einsum("as,bs->sab", U, V)
                slots = slots + slots.transpose(0, 2, 1)
                np.add.at(dS, g.a_k, slots)
                np.add.at(dm, g.a_k, (U * EM[g.a_j]).T)
            if g.s_k.size:
                U = FE[:, g.s_i]
                V = FE[:, g.s_j]
                slots = np.einsum("as,bs->sab", U, V)
                off = g.s_i != g.s_j
                slots[off] = slots[off] + slots[off].transpose(0, 2, 1)
                np.add.at(dS, g.s_k, slots)
            if g.m_k.size:
                np.add.at(dm, g.m_k, FE[:, g.m_i].T)
            if self.lin is not None:
                K = self.lin.K
                dS = (K.T @ dS.reshape(k, -1)).reshape(-1, p, p)
                dm = K.T @ dm
            out.append((dS, dm))
        return out

    def second_derivative_term(self, theta, group: int, G, gm=None):
        """``d2/dtheta dtheta' [tr(G Sigma(theta)) + gm' mu(theta)]`` for fixed ``G``, ``gm``.

        The part of an observed information that the Jacobian alone misses:
        with ``G`` and ``gm`` the gradient of a discrepancy wrt ``Sigma`` (as a
        symmetric matrix of independent entries) and ``mu``, the Hessian wrt
        ``theta`` is ``J' H_sat J`` plus this term.

        Notes
        -----
        With ``E = (I - A)^-1``, ``C = E S E'``, ``Gh = F' G F``, ``P = E' Gh E``,
        ``R = C Gh E``, ``g = E' F' gm`` and ``m = E M``, for slots
        ``A[i, j]``, ``A[s, t]``, ``S[s, t]`` (symmetric unit) and ``M[q]``::

            A,A: 2 (E_js R_ti + E_ti R_js) + 2 C_jt P_is + g_i E_js m_t + g_s E_ti m_j
            A,S: 2 (E_js P_ti + E_jt P_si [s != t])
            A,M: g_i E_jq

        and zero for the other pairs (``Sigma`` is linear in ``S``, ``mu`` in ``M``).
        """
        A, S, M, E, C = self._core(theta, group)
        g = self.groups[group]
        p, n, k = self.p, A.shape[0], self.nfull
        Gh = np.zeros((n, n))
        Gh[:p, :p] = G
        P = E.T @ Gh @ E
        R = C @ Gh @ E
        H = np.zeros((k, k))
        if not g.a_k.size:
            return H if self.lin is None else self.lin.K.T @ H @ self.lin.K
        i, j = g.a_i[:, None], g.a_j[:, None]
        s, t = g.a_i[None, :], g.a_j[None, :]
        phi = 2 * (E[j, s] * R[t, i] + E[t, i] * R[j, s]) + 2 * C[j, t] * P[i, s]
        means = self.meanstructure and gm is not None
        if means:
            gv = np.zeros(n)
            gv[:p] = gm
            gE = gv @ E
            m = E @ M
            phi = phi + gE[i] * E[j, s] * m[t] + gE[s] * E[t, i] * m[j]
        _scatter2(H, g.a_k, g.a_k, phi)
        if g.s_k.size:
            ss, st = g.s_i[None, :], g.s_j[None, :]
            off = (g.s_i != g.s_j)[None, :]
            phi = 2 * (E[j, ss] * P[st, i] + off * E[j, st] * P[ss, i])
            _scatter2(H, g.a_k, g.s_k, phi)
            _scatter2(H, g.s_k, g.a_k, phi.T)
        if means and g.m_k.size:
            phi = gE[i] * E[j, g.m_i[None, :]]
            _scatter2(H, g.a_k, g.m_k, phi)
            _scatter2(H, g.m_k, g.a_k, phi.T)
        return H if self.lin is None else self.lin.K.T @ H @ self.lin.K

    def jacobian_vech(self, theta):
        """As :meth:`jacobian` but with ``Sigma`` in vech form: ``(p*(p+1)/2, npar)`` and ``(p, npar)``."""
        r, c = vech_indices(self.p)
        return [(dS[:, r, c].T, dm.T) for dS, dm in self.jacobian(theta)]


def _scatter2(H, rows, cols, values):
    """``H[rows[a], cols[b]] += values[a, b]``, summing slots that share a parameter."""
    k = H.shape[0]
    T_r = np.zeros((k, len(rows)))
    T_r[rows, np.arange(len(rows))] = 1.0
    T_c = np.zeros((k, len(cols)))
    T_c[cols, np.arange(len(cols))] = 1.0
    H += T_r @ values @ T_c.T
