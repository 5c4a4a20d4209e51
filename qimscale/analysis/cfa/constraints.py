"""Linear equality constraints (``a == 2*b``, ``a + b == 1``) as a reparameterisation.

The parameter table's ``free`` column indexes the vector :math:`\\theta`
(length ``ParTable.npar``) that the model matrices are filled from. ``r``
independent linear constraints :math:`C\\theta = d` leave
:math:`\\theta^*` (length ``npar - r``) free, with

.. math::

    \\theta = K\\theta^* + c,

where the columns of :math:`K` span the null space of :math:`C` and :math:`c`
is a particular solution, as lavaan does (``lav_constraints_parse``: the
``eq.constraints.K`` / ``eq.constraints.k0`` reparameterisation). Here
:math:`C` is brought to reduced row-echelon form: each constraint eliminates
one of its parameters (a *pivot*, preferably one named left of ``==``), and
:math:`\\theta^*` is the vector of the other parameters, so ``K`` holds an
identity in their rows. Everything that is optimised, differentiated or
counted (``npar``, ``df``) works with :math:`\\theta^*`: gradients become
:math:`K^\\top g`, information :math:`K^\\top I K`, Jacobians
:math:`\\Delta K`; the rows of the table report :math:`\\theta` with
:math:`\\operatorname{vcov}(\\theta) = K \\operatorname{vcov}(\\theta^*) K^\\top`.

The simple forms keep their cheaper treatment in :mod:`.partable`:
``a == b`` shares one free index and ``a == 0.5`` fixes the rows; only the
other linear forms reach :class:`LinearMap`. Without them the table's ``lin``
is ``None`` and nothing changes on the fitting path.

Fits with such constraints match ``lavaan::cfa()`` / ``lavaan::sem()``
(``estimator = "ML"``, ``"MLR"``, ``missing = "fiml"``, ``ordered = ...,
estimator = "WLSMV"``; fit measures, ``parameterEstimates(standardized =
TRUE)``), ``lavTestScore()`` (which tests the ``==`` constraints too) and
``modindices()``; see ``tests/reference/linear_constraints.R``.

References
----------
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
*Journal of Statistical Software*, 48(2). https://doi.org/10.18637/jss.v048.i02
"""

from __future__ import annotations

import ast
import re

import numpy as np

from qimscale.errors import ModelError

__all__ = ["LinearMap", "linear_form", "build_linear_map"]

_NAME_RE = r"(?<![A-Za-z0-9_.])[A-Za-z_.][A-Za-z0-9_.]*"


class _NotLinear(Exception):
    pass


def _lin(node) -> tuple[dict, float]:
    """``({name: coefficient}, constant)`` of an expression tree, or :class:`_NotLinear`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return {}, float(node.value)
    if isinstance(node, ast.Name):
        return {node.id: 1.0}, 0.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        co, k = _lin(node.operand)
        s = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return {n: s * v for n, v in co.items()}, s * k
    if isinstance(node, ast.BinOp):
        (ca, ka), (cb, kb) = _lin(node.left), _lin(node.right)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            s = 1.0 if isinstance(node.op, ast.Add) else -1.0
            out = dict(ca)
            for n, v in cb.items():
                out[n] = out.get(n, 0.0) + s * v
            return out, ka + s * kb
        if isinstance(node.op, ast.Mult) and not (ca and cb):
            if ca:
                return {n: v * kb for n, v in ca.items()}, ka * kb
            return {n: v * ka for n, v in cb.items()}, ka * kb
        if isinstance(node.op, ast.Div) and not cb and kb != 0:
            return {n: v / kb for n, v in ca.items()}, ka / kb
        if isinstance(node.op, ast.Pow) and not ca and not cb:
            return {}, float(ka ** kb)
    raise _NotLinear


def linear_form(left: str, right: str) -> tuple[dict, float, list]:
    """The constraint ``left == right`` as ``sum(coef[name] * name) + const = 0``.

    Returns ``(coef, const, names)`` with ``names`` the labels in order of
    appearance (left side first); labels whose coefficients cancel are dropped
    from ``coef``.

    Raises
    ------
    ModelError
        A side that is not linear in the labels (``b^2``, ``a*b``, ``exp(a)``).

    Examples
    --------
    >>> linear_form("a", "2*b + 0.5")
    ({'a': 1.0, 'b': -2.0}, -0.5, ['a', 'b'])
    >>> linear_form("a - b", "0.3")[0:2]
    ({'a': 1.0, 'b': -1.0}, -0.3)
    """
    names = list(dict.fromkeys(re.findall(_NAME_RE, f"{left} {right}")))
    alias = {n: f"_v{i}_" for i, n in enumerate(names)}
    back = {v: k for k, v in alias.items()}

    def parse(txt):
        py = re.sub(_NAME_RE, lambda m: alias[m.group(0)], txt.replace("^", "**"))
        try:
            return _lin(ast.parse(py, mode="eval").body)
        except SyntaxError:
            raise ModelError(f"cannot read the constraint '{left} == {right}'") from None

    try:
        (ca, ka), (cb, kb) = parse(left), parse(right)
    except _NotLinear:
        raise ModelError(f"the constraint '{left} == {right}' is not linear in the labels: qimscale takes "
                         "linear equality constraints such as 'a == 2*b', 'a - b == 0.3' or 'a + b == 1'; "
                         "write it in a linear form or fix the parameters instead") from None
    coef = dict(ca)
    for n, v in cb.items():
        coef[n] = coef.get(n, 0.0) - v
    coef = {back[n]: v for n, v in coef.items() if v != 0.0}
    return coef, ka - kb, names


class LinearMap:
    """The map :math:`\\theta = K\\theta^* + c` of linear equality constraints.

    Attributes
    ----------
    K : ndarray, shape (nfull, nstar)
    c : ndarray, shape (nfull,)
    keep : ndarray of int
        Positions in :math:`\\theta` of the elements of :math:`\\theta^*`
        (``K[keep] = I``), so :meth:`reduce` is a selection.
    nfull, nstar : int
    C : ndarray, shape (n_constraints, nfull)
        The constraints as written (:math:`C\\theta = d`, before reduction),
        for the score tests of releasing them (:mod:`.score_tests`).
    texts : list of str
        Each constraint as written, ``"a == 2*b"``.
    pivots : list of int
        The element of :math:`\\theta` each constraint eliminates.
    """

    def __init__(self, K, c, keep, C=None, texts=(), pivots=()):
        self.K = np.asarray(K, dtype=float)
        self.c = np.asarray(c, dtype=float)
        self.keep = np.asarray(keep, dtype=int)
        self.nfull, self.nstar = self.K.shape
        self.C = np.zeros((0, self.nfull)) if C is None else np.asarray(C, dtype=float)
        self.texts, self.pivots = list(texts), list(pivots)

    def expand(self, theta) -> np.ndarray:
        """:math:`\\theta` from :math:`\\theta^*` (a vector already of full length is returned as is)."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape[0] == self.nfull:
            return theta
        return self.K @ theta + self.c

    def reduce(self, theta_full) -> np.ndarray:
        """:math:`\\theta^*` from :math:`\\theta` (start values: the kept elements)."""
        return np.asarray(theta_full, dtype=float)[self.keep]

    def jacobian(self, J) -> np.ndarray:
        """A Jacobian wrt :math:`\\theta` (last axis) turned into one wrt :math:`\\theta^*`."""
        return J @ self.K

    def vcov(self, V) -> np.ndarray:
        """:math:`K V K^\\top`: the covariance of :math:`\\theta` from that of :math:`\\theta^*`."""
        return self.K @ V @ self.K.T

    def extended(self, n_new: int) -> "LinearMap":
        """The map of :math:`\\theta` followed by ``n_new`` unconstrained parameters."""
        K = np.zeros((self.nfull + n_new, self.nstar + n_new))
        K[: self.nfull, : self.nstar] = self.K
        K[self.nfull:, self.nstar:] = np.eye(n_new)
        keep = np.concatenate([self.keep, self.nfull + np.arange(n_new)])
        C = np.hstack([self.C, np.zeros((self.C.shape[0], n_new))])
        return LinearMap(K, np.concatenate([self.c, np.zeros(n_new)]), keep, C, self.texts, self.pivots)


def renumbered(lin: LinearMap | None, new_index: list, nfull: int) -> LinearMap | None:
    """``lin`` after the table's free indices were renumbered.

    ``new_index[k]`` is the new 0-based index of old element ``k`` (``-1``:
    fixed now); new indices that no old element maps to are new unconstrained
    parameters.

    Raises
    ------
    ModelError
        A parameter named by a constraint was fixed.
    """
    if lin is None:
        return None
    new_index = np.asarray(new_index, dtype=int)
    gone = np.flatnonzero(new_index < 0)
    if np.abs(lin.C[:, gone]).sum() > 0:
        raise ModelError("a parameter of a linear equality constraint was fixed by the model's "
                         "identification; constrain free parameters only")
    fresh = np.setdiff1d(np.arange(nfull), new_index[new_index >= 0])
    live = new_index >= 0
    cols = live[lin.keep]  # a fixed element was unconstrained: its column goes with it
    n_old = int(cols.sum())
    K = np.zeros((nfull, n_old + fresh.size))
    c = np.zeros(nfull)
    C = np.zeros((lin.C.shape[0], nfull))
    K[new_index[live], :n_old] = lin.K[live][:, cols]
    c[new_index[live]] = lin.c[live]
    C[:, new_index[live]] = lin.C[:, live]
    K[fresh, n_old + np.arange(fresh.size)] = 1.0
    keep = np.concatenate([new_index[lin.keep[cols]], fresh])
    order = np.argsort(keep, kind="stable")  # theta* in the order of the new indices
    return LinearMap(K[:, order], c, keep[order], C, lin.texts, [int(new_index[p]) for p in lin.pivots])


def build_linear_map(nfull: int, constraints: list) -> LinearMap:
    """Reduce linear constraints over free indices to :class:`LinearMap`.

    Parameters
    ----------
    nfull : int
        Length of :math:`\\theta`.
    constraints : list of (coef, rhs, preferred, text, line)
        ``coef`` maps 0-based free indices to coefficients of
        :math:`\\sum_k coef_k\\theta_k = rhs`; ``preferred`` lists the indices
        to eliminate first; ``text`` and ``line`` name the constraint in
        messages.

    Returns
    -------
    LinearMap

    Raises
    ------
    ModelError
        A constraint that follows from the others (redundant) or contradicts
        them.

    Examples
    --------
    >>> lin = build_linear_map(3, [({0: 1.0, 1: -2.0}, 0.0, [0], "a == 2*b", 3)])
    >>> lin.nstar, lin.keep.tolist(), lin.expand([0.5, 7.0]).tolist()
    (2, [1, 2], [1.0, 0.5, 7.0])
    """
    C = np.zeros((len(constraints), nfull))
    d = np.zeros(len(constraints))
    for i, (coef, *_rest) in enumerate(constraints):
        for k, v in coef.items():
            C[i, k] += v
    written = C.copy()
    pivots: list[int] = []
    rows: list[int] = []
    for i, (coef, rhs, preferred, text, line) in enumerate(constraints):
        d[i] = rhs
        scale = max(np.abs(C[i]).max(), 1.0)
        for prow, pcol in zip(rows, pivots):  # eliminate the earlier pivots
            f = C[i, pcol]
            if f != 0.0:
                C[i] -= f * C[prow]
                d[i] -= f * d[prow]
        nz = np.abs(C[i]) > 1e-10 * scale
        C[i, ~nz] = 0.0
        if not nz.any():
            if abs(d[i]) <= 1e-10 * max(abs(rhs), 1.0):
                raise ModelError(f"the constraint '{text}' (line {line}) follows from the other constraints (it is "
                                 "redundant); remove it")
            raise ModelError(f"the constraint '{text}' (line {line}) contradicts the other constraints; remove or "
                             "correct one of them")
        order = [k for k in preferred if nz[k]] + [k for k in np.flatnonzero(nz) if k not in preferred]
        col = order[0]
        d[i] /= C[i, col]
        C[i] /= C[i, col]
        for prow in rows:  # reduced row-echelon form: clear the new pivot from earlier rows
            f = C[prow, col]
            if f != 0.0:
                C[prow] -= f * C[i]
                d[prow] -= f * d[i]
        rows.append(i)
        pivots.append(col)
    keep = np.array([k for k in range(nfull) if k not in set(pivots)], dtype=int)
    K = np.zeros((nfull, keep.size))
    K[keep, np.arange(keep.size)] = 1.0
    c = np.zeros(nfull)
    for prow, pcol in zip(rows, pivots):
        K[pcol] = 0.0 - C[prow, keep]
        c[pcol] = d[prow]
    return LinearMap(K, c, keep, written, [t for *_x, t, _line in constraints], pivots)
