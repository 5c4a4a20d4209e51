"""Score tests for releasing equality constraints, as ``lavaan::lavTestScore``.

A multi-group model with parameters held equal across groups (``group_equal``
or a label repeated in the syntax) is tested constraint by constraint: would
the fit improve if this one row were freed? The tests locate the non-invariant
parameters behind a failed invariance level (Byrne, Shavelson & Muthén 1989).

Notes
-----
Let every row that the constrained model shares with an earlier row get a
parameter of its own (the unconstrained parameterisation, :math:`K` parameters)
and let :math:`R` (one row per constraint :math:`\\theta_{first} - \\theta_{row}
= 0`) hold the equalities. With :math:`g` the gradient of the fit function
(per case: ``fmin``) and :math:`J` the *expected* unit information, both at
the constrained estimates,

.. math::

    Z_1 = \\begin{pmatrix} J & R_1^\\top \\\\ R_1 & 0 \\end{pmatrix},\\qquad
    X^2 = N\\, g^\\top [Z_1^{+}]_{KK}\\, g,

where :math:`R_1` keeps the constraints that stay and :math:`^{+}` is the
Moore–Penrose inverse (singular values below :math:`\\sqrt{\\epsilon}` times
the largest are dropped, as ``MASS::ginv``). Releasing one constraint gives the
univariate test (df 1); releasing the :math:`r` largest univariate ones gives
the cumulative test (df :math:`r`); releasing all gives the total test.

- ML, MLR: :math:`J` is the expected information of the normal likelihood;
- FIML: the expected information of the observed-data likelihood, summed
  over missing-data patterns;
- WLSMV: :math:`g = -\\sum_g \\frac{n_g - 1}{N}\\Delta_g^\\top W_g (s_g - \\sigma_g)` (lavaan's
  categorical fit function, whose χ² is :math:`\\sum_g (n_g - 1) F_g`) and
  :math:`J = \\sum_g f_g \\Delta_g^\\top W_g \\Delta_g` with :math:`W_g` the
  diagonal weight matrix and :math:`f_g = n_g/N`.

Linear equality constraints written in the model (``a == 2*b``, ``a + b ==
1``; :mod:`.constraints`) are rows of :math:`R` too, listed first and named by
the constraint (``op`` ``"=="``, ``group`` 0), as ``lavTestScore`` tests every
``==`` row of the parameter table.

As lavaan 0.6-14, the statistic is the ordinary (unscaled) one for every
estimator: ``lavTestScore`` falls back to it with a warning when ``se`` is not
``"standard"`` (MLR, WLSMV). It is a guide to which constraint to release, not
a robust test.

References
----------
Byrne, B. M., Shavelson, R. J., & Muthén, B. (1989). Testing for the
equivalence of factor covariance and mean structures: The issue of partial
measurement invariance. *Psychological Bulletin*, 105(3), 456–466.
https://doi.org/10.1037/0033-2909.105.3.456

Bentler, P. M., & Chou, C.-P. (1992). Some new covariance structure model
improvement statistics. *Sociological Methods & Research*, 21(2), 259–282.
https://doi.org/10.1177/0049124192021002006
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from qimscale._core.distributions import chi2_sf

from .._threads import single_thread_blas
from .fiml import FIMLObjective
from .ml import MLObjective
from .model import RAMModel

__all__ = ["score_tests", "ScoreTests", "SCORE_COLUMNS", "constraint_name"]

#: columns of the univariate and cumulative tables
SCORE_COLUMNS = ["lhs", "op", "rhs", "group", "x2", "df", "pvalue"]


def constraint_name(row) -> str:
    """The ``group_partial`` spelling of a released row: ``"x3~1"``, ``"F=~x2"``, ``"y4|t1"``.

    >>> constraint_name({"lhs": "x3", "op": "~1", "rhs": ""})
    'x3~1'
    >>> constraint_name({"lhs": "F", "op": "=~", "rhs": "x2"})
    'F=~x2'
    """
    return f"{row['lhs']}{row['op']}{row['rhs'] or ''}"


@dataclasses.dataclass
class ScoreTests:
    """Score tests for releasing equality constraints (``lavTestScore(fit, cumulative = TRUE)``).

    Attributes
    ----------
    total : dict
        ``x2, df, pvalue``: all constraints released at once.
    univariate : DataFrame
        One row per constraint (:data:`SCORE_COLUMNS` + ``epc``, the expected
        change of the released row), sorted by ``x2`` (descending). The row
        named is the one released: the parameter of group ``group`` set free
        from the first group's.
    cumulative : DataFrame
        Row ``r`` releases the ``r`` largest univariate constraints together
        (``df = r``), in the order of ``univariate``.
    """

    total: dict
    univariate: pd.DataFrame
    cumulative: pd.DataFrame

    def to_dict(self) -> dict:
        """JSON-ready: ``total``, ``univariate`` and ``cumulative`` as lists of records."""
        return {"total": dict(self.total), "univariate": self.univariate.to_dict(orient="records"),
                "cumulative": self.cumulative.to_dict(orient="records")}


def _unconstrained(pt):
    """Each free row its own parameter; the equality constraints as rows of ``R``.

    Returns the unconstrained table, the index in :math:`\\theta` (the table's
    free indices) of each new parameter, ``R``, the released row of each
    constraint and the parameter whose EPC each constraint reports. Linear
    equality constraints (``a == 2*b``, ``pt.lin``) come first, as in lavaan's
    table: their rows of ``R`` are the constraints as written, on the first row
    of each parameter; their released "row" is the constraint itself (``op``
    ``"=="``, ``group`` 0) and the EPC that of the parameter it eliminates.
    """
    rows = [dict(r) for r in pt.rows]
    first: dict = {}
    back, released, pairs = [], [], []
    k = 0
    for r in rows:
        old = r["free"]
        if old <= 0:
            continue
        back.append(old - 1)
        if old in first:
            pairs.append((first[old], k))
            released.append(r)
        else:
            first[old] = k
        k += 1
        r["free"] = k
    R = np.zeros((len(pairs), k))
    for i, (a, b) in enumerate(pairs):
        R[i, a], R[i, b] = 1.0, -1.0
    epc_at = [b for _a, b in pairs]
    lin = pt.lin
    if lin is not None:
        idx = [first[f + 1] for f in range(lin.nfull)]
        R = np.vstack([_spread(lin.C, idx, k), R])
        own = []
        for text in lin.texts:
            left, _, right = text.partition(" == ")
            own.append({"lhs": "".join(left.split()), "op": "==", "rhs": "".join(right.split()), "group": 0})
        released = own + released
        epc_at = [idx[p] for p in lin.pivots] + epc_at
    return dataclasses.replace(pt, rows=rows, lin=None), np.array(back, dtype=int), R, released, epc_at


def _spread(C, idx, k):
    """Constraint rows over :math:`\\theta` moved to the first unconstrained parameter of each element."""
    out = np.zeros((C.shape[0], k))
    out[:, idx] = C
    return out


def _gradient_information(fit, upt, theta_u):
    """``fmin`` gradient and expected unit information in the unconstrained parameterisation."""
    if hasattr(fit, "stats"):  # WLSMVResult
        om = type(fit.model)(upt, {v: k for v, k in zip(fit.model.ov, fit.model.nth)  # OrdinalModel or
                                   if v not in fit.model.continuous})  # a subclass (covariates)
        grad = np.zeros(om.npar)
        info = np.zeros((om.npar, om.npar))
        N = float(sum(st.n for st in fit.stats))
        for g, (st, w, f) in enumerate(zip(fit.stats, fit.extra["w"], fit.extra["fg"])):
            D = om.jacobian(theta_u, g)
            # lavaan's categorical WLS fit function weights group g by (n_g - 1)/N (its
            # chi-square is sum (n_g - 1) F_g), its expected information by n_g/N
            grad -= (st.n - 1.0) / N * (D.T @ (w * (st.s - om.implied(theta_u, g))))
            info += f * (D.T @ (w[:, None] * D))
        return grad, info

    model = RAMModel(upt)
    if fit.fiml_:
        obj = FIMLObjective(model, fit.objective_.patterns)
    else:
        obj = MLObjective(model, fit.groups_)
    _, grad = obj.value_grad(theta_u)
    return grad, obj.information(theta_u)


def _ginv(Z):
    """Moore–Penrose inverse of a symmetric matrix with ``MASS::ginv``'s tolerance.

    ``MASS::ginv`` keeps the singular values above ``sqrt(eps)`` times the
    largest; for a symmetric matrix they are the absolute eigenvalues.
    """
    w, V = np.linalg.eigh(Z)
    a = np.abs(w)
    keep = a > max(math.sqrt(np.finfo(float).eps) * a.max(), 0.0)
    return (V[:, keep] / w[keep]) @ V[:, keep].T


class _Bordered:
    """``N g' [ginv(Z_S)]_KK g`` for the bordered matrix with the constraints ``S`` released.

    When the matrix with every constraint kept is non-singular, deleting the
    rows/columns of ``S`` from it is a downdate of its inverse ``B``:
    ``[Z_S^-1]_KK = B_KK - B_KS B_SS^-1 B_SK`` (partitioned inverse), so each
    test costs a solve of size ``|S|`` instead of a decomposition of size
    ``K + c``. ``Z_S`` is singular exactly when ``B_SS`` is (a release that
    leaves the model unidentified); then, or when ``B_SS`` is badly
    conditioned, the test is computed from ``ginv(Z_S)`` as lavaan does.
    """

    def __init__(self, info, R, grad, N):
        self.info, self.R, self.grad, self.N = info, R, grad, N
        self.K, c = len(grad), R.shape[0]
        Z = self._matrix(np.ones(c, dtype=bool))
        w, V = np.linalg.eigh(Z)
        a = np.abs(w)
        self.B = None
        if a.min() > 1e-8 * a.max():
            B = (V / w) @ V.T
            self.B = B
            self.q0 = float(grad @ B[:self.K, :self.K] @ grad)
            self.h = B[self.K:, :self.K] @ grad
            self.Bc = B[self.K:, self.K:]
            self.scale = float(np.abs(np.diag(self.Bc)).max())

    def _matrix(self, keep):
        R1 = self.R[keep]
        c = R1.shape[0]
        return np.block([[self.info, R1.T], [R1, np.zeros((c, c))]])

    def _exact(self, released):
        keep = np.ones(self.R.shape[0], dtype=bool)
        keep[released] = False
        J = _ginv(self._matrix(keep))[:self.K, :self.K]
        return float(self.N * self.grad @ J @ self.grad), J

    def stat(self, released, *, want_epc=None):
        """Statistic with the constraints ``released`` (indices) dropped; optionally the EPC of row ``want_epc``."""
        released = np.asarray(released, dtype=int)
        if self.B is not None and released.size:
            Bss = self.Bc[np.ix_(released, released)]
            ev = np.linalg.eigvalsh(Bss)
            if np.abs(ev).min() > math.sqrt(np.finfo(float).eps) * self.scale:
                hs = self.h[released]
                sol = np.linalg.solve(Bss, hs)
                x2 = float(self.N * (self.q0 - hs @ sol))
                if want_epc is None:
                    return x2, None
                # [Z_S^-1]_KK g = B_KK g - B_KS B_SS^-1 h_S; lavaan's EPC is minus that
                BKg = self.B[:self.K, :self.K] @ self.grad
                Jg = BKg - self.B[:self.K, self.K + released] @ sol
                return x2, float(-Jg[want_epc])
        x2, J = self._exact(released)
        return x2, (None if want_epc is None else float(-(J @ self.grad)[want_epc]))


def score_tests(fit, *, cumulative: bool = True, theta=None) -> ScoreTests:
    """Score tests for releasing each equality constraint of a fitted multi-group model.

    Parameters
    ----------
    fit : CFAResult or WLSMVResult
        A fit with parameters shared across rows (``group_equal``, repeated labels)
        or with linear equality constraints (``a == 2*b``).
        ML, MLR, FIML (``missing="fiml"``) and WLSMV fits are supported.
    cumulative : bool
        Also compute the cumulative tests.
    theta : array_like, optional
        Constrained estimates to evaluate the tests at instead of the fit's
        (e.g. another program's, to check the formula apart from convergence).

    Returns
    -------
    ScoreTests
        Empty tables (and a total with ``df = 0``) when the model has no
        equality constraints.

    Notes
    -----
    Matches ``lavaan::lavTestScore(fit, cumulative = TRUE)`` (lavaan 0.6-14):
    ``$test``, ``$uni`` and ``$cumulative``; see the module docstring for the
    formula. The statistic is the unscaled one for every estimator, as lavaan's.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from qimscale.analysis.cfa import CFA
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> X = f @ np.full((1, 4), 0.8) + rng.normal(scale=0.6, size=(300, 4))
    >>> df = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(g=np.repeat(["u", "v"], 150))
    >>> res = CFA("F =~ a + b + c + d", group="g", group_equal=["loadings"]).fit(df)
    >>> st = score_tests(res)
    >>> st.total["df"], len(st.univariate)
    (3, 3)
    """
    pt = fit.partable_
    upt, back, R, released, epc_at = _unconstrained(pt)
    empty = pd.DataFrame(columns=SCORE_COLUMNS + ["epc"])
    if not released:
        return ScoreTests({"x2": 0.0, "df": 0, "pvalue": math.nan}, empty, empty.drop(columns="epc"))
    theta_u = np.asarray(fit.theta_ if theta is None else theta, dtype=float)
    if pt.lin is not None:  # theta = K theta* + c (.constraints)
        theta_u = pt.lin.expand(theta_u)
    theta_u = theta_u[back]
    N = float(fit.ntotal_)
    with single_thread_blas():
        grad, info = _gradient_information(fit, upt, theta_u)
        bz = _Bordered(info, R, grad, N)
        nc = R.shape[0]
        total = bz._exact(np.arange(nc))[0]
        uni, epc = [], []
        for i in range(nc):
            # lavaan's EPC (score = -N * grad); the released row is the second of the pair
            x2, e = bz.stat([i], want_epc=int(epc_at[i]))
            uni.append(x2)
            epc.append(e)
        cum = []
        order = np.argsort(-np.array(uni), kind="stable")
        if cumulative:
            for r in range(1, nc + 1):
                cum.append(bz.stat(order[:r])[0])

    def table(idx, x2, df):
        recs = [{"lhs": released[i]["lhs"], "op": released[i]["op"], "rhs": released[i]["rhs"],
                 "group": int(released[i]["group"]), "x2": x, "df": int(d),
                 "pvalue": float(chi2_sf(x, d))} for i, x, d in zip(idx, x2, df)]
        return pd.DataFrame.from_records(recs, columns=SCORE_COLUMNS)

    u = table(order, [uni[i] for i in order], [1] * len(order))
    u["epc"] = [epc[i] for i in order]
    c = table(order, cum, range(1, len(cum) + 1)) if cumulative else empty.drop(columns="epc")
    tot = {"x2": total, "df": int(R.shape[0]), "pvalue": float(chi2_sf(total, R.shape[0]))}
    return ScoreTests(tot, u, c)
