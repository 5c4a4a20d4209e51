"""Modification indices (score tests for fixed parameters), as ``lavaan::modindices``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from qimscale._core.distributions import chi2_sf
from qimscale._core.linalg import STRICT_RTOL, is_singular
from qimscale.errors import ModelError

from .._threads import blas1

from .fiml import FIMLObjective
from .ml import MLObjective
from .model import RAMModel
from .partable import ParTable
from .score_tests import score_tests

__all__ = ["ModificationIndicesMixin"]


def _candidates(pt: ParTable, *, strict_exo: bool = False):
    """Parameters lavaan's ``modindices`` adds (``lav_partable_full``).

    Parameters
    ----------
    pt : ParTable
        The fitted model's parameter table.
    strict_exo : bool
        lavaan's ``strict.exo`` (``conditional.x = TRUE``, the WLSMV model with
        covariates): no candidate regresses an observed covariate. With
        ``False`` (ML, MLR, FIML with ``fixed.x``) the covariates are among the
        outcomes of the candidate regressions too (``x2 ~ x1``, ``x1 ~ y2``).

    Returns
    -------
    list of tuple
        ``(lhs, op, rhs)``: loadings of every factor on every observed variable
        that is neither a covariate nor in a regression; covariances among
        indicators and among factors; regressions among the variables of the
        regressions (``eqs``), not of a variable on itself nor of an indicator
        on a factor.

    Notes
    -----
    The moments of the fixed covariates (lavaan's ``exo`` rows) are fixed rows
    of the model, freed as candidates by
    :meth:`ModificationIndicesMixin.modification_indices` itself.
    """
    stmts = [r for r in pt.rows if r["group"] == 1]
    xs = set(pt.ov_x)
    ind = [v for v in pt.ov if any(r["op"] == "=~" and r["rhs"] == v for r in stmts)]
    eqs_y = [n for n in dict.fromkeys(r["lhs"] for r in stmts if r["op"] == "~")]
    eqs = list(dict.fromkeys(eqs_y + [r["rhs"] for r in stmts if r["op"] == "~"]))
    out = [(f, "=~", v) for f in pt.lv for v in pt.ov if v not in xs and v not in eqs]
    out += [(a, "~~", b) for i, a in enumerate(ind) for b in ind[i + 1:]]
    out += [(a, "~~", b) for i, a in enumerate(pt.lv) for b in pt.lv[i + 1:]]
    out += [(a, "~", b) for a in eqs for b in eqs
            if a != b and not (strict_exo and a in xs) and not (a in ind and b in pt.lv)]
    return out


class _FixedXJacobian:
    """The extended model seen by lavaan's expected information with ``fixed.x``.

    lavaan zeroes the rows and columns of the h1 information that belong to the
    moments of the fixed covariates (``Sigma_xx``, ``mu_x``; ``x.idx`` of the
    fitted model's sample statistics) before ``Delta' A1 Delta``; that is the
    information of a Jacobian whose ``Sigma_xx`` and ``mu_x`` entries are zero.
    """

    def __init__(self, model: RAMModel, x_index):
        self._model = model
        self._ix = np.asarray(x_index, dtype=int)

    def __getattr__(self, name):
        return getattr(self._model, name)

    def jacobian(self, theta):
        out = []
        ix = self._ix
        for dS, dm in self._model.jacobian(theta):
            dS, dm = dS.copy(), dm.copy()
            dS[:, ix[:, None], ix[None, :]] = 0.0
            dm[:, ix] = 0.0
            out.append((dS, dm))
        return out


class ModificationIndicesMixin:
    """Adds :meth:`modification_indices` to :class:`~.results.CFAResult`."""

    @blas1
    def modification_indices(self, *, minimum: float = 0.0) -> pd.DataFrame:
        """Score tests for fixed parameters (cross-loadings, residual covariances, fixed rows).

        Parameters
        ----------
        minimum : float
            Keep the rows with ``mi >= minimum`` (default: all).

        Returns
        -------
        DataFrame
            Columns ``lhs, op, rhs, group, mi, epc, sepc_all``, sorted by ``mi``
            (descending): the index, the expected parameter change and its
            completely standardized value.

        Raises
        ------
        ModelError
            The information matrix of the fitted model is singular (as lavaan's
            "could not compute modification indices"), or, with FIML, the
            implied covariance matrix is not positive definite for a pattern.

        Notes
        -----
        ``mi = N d² / (I22 - I21 I11^-1 I12)`` with ``d`` the gradient of
        ``fmin`` and ``I`` the expected information of the model extended by
        the candidate parameters; ``epc = -d / (I22 - ...)`` (Sörbom 1989,
        doi:10.1007/BF02294448). Candidates are lavaan's (see :func:`_candidates`)
        plus the model's fixed rows; parameters that would not be identified if
        freed (``I22 - ... < eps^(1/3)``, e.g. marker loadings) are dropped.
        With linear equality constraints (``a == 2*b``) the model part of ``I``
        is that of the reduced parameters ``theta*`` (:mod:`.constraints`).

        For a FIML fit (``missing = "fiml"`` with gaps in the data), ``fmin`` is
        ``-logl / N`` of the observed-data likelihood and ``I`` its *expected*
        information summed over the missing-data patterns (per pattern ``o``:
        ``n_o [0.5 tr(K dSigma_k K dSigma_l) + dmu_k' K dmu_l] / N`` with ``K =
        Sigma_oo^-1``): ``lavaan::modindices`` uses ``information = "expected"``
        whatever the fit's own information option (``"observed"`` for
        FIML). MLR gives the same indices as ML (the score test is not
        robustified).

        With fixed observed covariates (``fixed.x``, e.g. ``y1 ~ x1 + x2``) the
        candidates include regressions of the covariates (``x2 ~ y2``,
        ``x1 ~ F``) and their freed moments, and, as lavaan's, ``I`` leaves out
        the covariates' own moments (``Sigma_xx``, ``mu_x``): those rows and
        columns of the normal-theory weight are zero, so a candidate that only
        moves them (``x2 ~ x1`` in a path model) is not identified and drops out.

        Matches ``lavaan::modindices(fit)`` (lavaan 0.6-14) for ``cfa(...,
        estimator = "ML" | "MLR")`` and ``sem(...)`` with observed covariates,
        complete data or ``missing = "fiml"``, one or several groups.

        References
        ----------
        Sörbom, D. (1989). Model modification. *Psychometrika*, 54(3),
        371–384. https://doi.org/10.1007/BF02294448

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from qimscale.analysis.cfa import CFA
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
        >>> lam = np.kron(np.eye(2), np.full((1, 3), 0.7))
        >>> X = pd.DataFrame(f @ lam + rng.normal(scale=0.6, size=(300, 6)),
        ...                  columns=[f"y{i}" for i in range(1, 7)])
        >>> X = X.mask(rng.random(X.shape) < 0.05)          # 5% gaps: FIML
        >>> fit = CFA("F1 =~ y1 + y2 + y3\\nF2 =~ y4 + y5 + y6", missing="fiml").fit(X)
        >>> mi = fit.modification_indices()
        >>> list(mi.columns)
        ['lhs', 'op', 'rhs', 'group', 'mi', 'epc', 'sepc_all']
        >>> bool(fit.fiml_), bool((mi["mi"] >= 0).all())
        (True, True)
        """
        pt = self.partable_
        existing = {(r["group"], r["lhs"], r["op"], r["rhs"]) for r in pt.rows}
        existing |= {(r["group"], r["rhs"], r["op"], r["lhs"]) for r in pt.rows if r["op"] == "~~"}
        cand = []
        for g in range(1, pt.ngroups + 1):
            for lhs, op, rhs in _candidates(pt):
                if (g, lhs, op, rhs) not in existing:
                    existing.add((g, lhs, op, rhs))
                    cand.append((g, lhs, op, rhs))
        rows = [dict(r) for r in pt.rows]
        kf = pt.npar  # free indices of the table (theta); k0: the fitted vector (theta*, see .constraints)
        k0 = self.model_.npar
        fixed_rows = []
        for r in rows:
            if r["free"] == 0 and r["op"] in ("=~", "~~", "~") and not np.isnan(r["ustart"]) and r["lhs"] != r["rhs"]:
                fixed_rows.append(r)
            elif r["free"] == 0 and r["exo"] and r["op"] in ("~~", "~1"):
                # lavaan frees the fixed covariates' moments too (all.free); with fixed.x their
                # information is zero (below), so they drop out unless a candidate path makes
                # them move other moments
                fixed_rows.append(r)
        nxt = kf
        for r in fixed_rows:
            nxt += 1
            r["free"] = nxt
            r["_cand"] = True
        for g, lhs, op, rhs in cand:
            nxt += 1
            rows.append({"id": len(rows) + 1, "lhs": lhs, "op": op, "rhs": rhs, "user": 0, "group": g,
                         "free": nxt, "ustart": 0.0, "label": "", "plabel": "", "exo": 0, "_cand": True})
        ext = ParTable(rows=rows, ov=pt.ov, lv=pt.lv, ngroups=pt.ngroups, meanstructure=pt.meanstructure,
                       lin=None if pt.lin is None else pt.lin.extended(nxt - kf))
        emod = RAMModel(ext)
        theta = np.zeros(k0 + nxt - kf)
        theta[:k0] = self.theta_
        for r in rows:
            if r.get("_cand"):
                theta[k0 + r["free"] - 1 - kf] = r["ustart"]
        # FIML: the observed-data likelihood and its expected information summed over the
        # missing-data patterns (lavaan's modindices() uses information = "expected" whatever
        # the fit's own information option)
        eobj = FIMLObjective(emod, self.patterns_) if self.fiml_ else MLObjective(emod, self.groups_)
        f, grad = eobj.value_grad(theta)
        if not np.isfinite(f):  # FIML: a pattern's block of the implied covariance is not PD
            raise ModelError("could not compute modification indices: the model-implied covariance matrix "
                             "is not positive definite for every missing-data pattern")
        if pt.ov_x:  # fixed.x: lavaan's information leaves out the covariates' own moments
            xmod = _FixedXJacobian(emod, [list(pt.ov).index(v) for v in pt.ov_x])
            iobj = FIMLObjective(xmod, self.patterns_) if self.fiml_ else MLObjective(xmod, self.groups_)
            info = iobj.information(theta)
        else:
            info = eobj.information(theta)
        I11 = info[:k0, :k0]
        I12 = info[:k0, k0:]
        if is_singular(I11, STRICT_RTOL, scale=True):  # as lavaan's "information matrix is singular"
            raise ModelError("could not compute modification indices: the information matrix of the "
                             "fitted model is singular (a parameter is not identified)")
        I22 = info[k0:, k0:]
        V = np.diag(I22) - np.einsum("ij,ij->j", I12, np.linalg.solve(I11, I12))
        d = grad[k0:]
        N = self.ntotal_
        # as lavaan: a parameter that would not be identified if freed (e.g. a marker
        # loading) has V ~ 0 and no index (NA, then dropped)
        V = np.where(V < np.finfo(float).eps ** (1 / 3), np.nan, V)
        mi = N * d ** 2 / V
        epc = -d / V
        recs = []
        cand_rows = [r for r in rows if r.get("_cand")]
        sds = {}
        for r in cand_rows:
            j = r["free"] - 1 - kf
            g = r["group"] - 1
            if g not in sds:
                C, _ = self.model_.total_moments(self.theta_, g)
                A, S, M = self.model_.matrices(self.theta_, g)
                sds[g] = (np.sqrt(np.diag(C)), np.diag(S))
            sd, sdiag = sds[g]
            pos = self.model_.pos
            if r["op"] == "=~":
                sepc = epc[j] * sd[pos[r["lhs"]]] / sd[pos[r["rhs"]]]
            elif r["op"] == "~":
                sepc = epc[j] * sd[pos[r["rhs"]]] / sd[pos[r["lhs"]]]
            elif r["op"] == "~1":  # a covariate's mean (fixed.x)
                sepc = epc[j] / sd[pos[r["lhs"]]]
            elif r["lhs"] == r["rhs"]:  # a covariate's variance (fixed.x); lavaan: 0 when |epc| < sqrt(eps)
                sepc = 0.0 if abs(epc[j]) < math.sqrt(np.finfo(float).eps) else epc[j] / sd[pos[r["lhs"]]] ** 2
            else:
                sepc = epc[j] / math.sqrt(sdiag[pos[r["lhs"]]] * sdiag[pos[r["rhs"]]])
            recs.append({"lhs": r["lhs"], "op": r["op"], "rhs": r["rhs"], "group": r["group"],
                         "mi": mi[j], "epc": epc[j], "sepc_all": sepc})
        out = pd.DataFrame.from_records(recs, columns=["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all"])
        out = out[out["mi"] >= minimum].sort_values("mi", ascending=False, kind="stable").reset_index(drop=True)
        return out


    def release_tests(self) -> pd.DataFrame:
        """Score tests for releasing each equality constraint (one at a time).

        Every parameter shared by several rows (``group_equal`` or a repeated
        label) gives one test per extra row: freeing that row alone.

        Returns
        -------
        DataFrame
            Columns ``lhs, op, rhs, group, x2, df, pvalue, epc``, sorted by ``x2``
            (descending); ``epc`` is the expected change of the released row.

        Notes
        -----
        The univariate table of :func:`~.score_tests.score_tests` (complete
        data and FIML), which matches ``lavaan::lavTestScore(fit)$uni``, used to
        locate non-invariant parameters for partial invariance (Byrne,
        Shavelson & Muthén 1989, doi:10.1037/0033-2909.105.3.456).
        """
        return score_tests(self, cumulative=False).univariate
