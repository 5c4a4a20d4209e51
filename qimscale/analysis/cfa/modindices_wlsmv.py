"""Modification indices of WLSMV (ordinal and mixed) fits, as ``lavaan::modindices``.

A researcher whose ordinal CFA fits poorly asks which fixed parameter, if
freed, would lower the χ² most: a cross-loading, a residual correlation
between two latent responses, a latent regression. Each candidate gets a
score test computed at the fitted model (Sörbom 1989), with the DWLS fit
function and its expected information in place of the normal likelihood's.

Notes
-----
Let :math:`\\theta_1` be the :math:`K` free parameters of the fitted model and
:math:`\\theta_2` the candidates, fixed at their current values (0 for a
parameter not in the model, the fixed value of a fixed row). For group
:math:`g` with :math:`n_g` cases (:math:`N = \\sum_g n_g`), sample statistics
:math:`s_g` (thresholds, polychoric/polyserial correlations; means, variances
and covariances of continuous variables), implied statistics
:math:`\\sigma_g(\\theta)`, Jacobian :math:`\\Delta_g = \\partial\\sigma_g/\\partial
\\theta^\\top` of the extended model and diagonal weight matrix
:math:`W_g = \\operatorname{diag}(\\hat\\Gamma_g)^{-1}`, the gradient of lavaan's
categorical DWLS fit function and its expected information are

.. math::

    d = -\\sum_g \\frac{n_g - 1}{N}\\,\\Delta_g^\\top W_g (s_g - \\sigma_g),\\qquad
    I = \\sum_g \\frac{n_g}{N}\\,\\Delta_g^\\top W_g \\Delta_g .

With :math:`V_j = I_{22,jj} - [I_{21} I_{11}^{-1} I_{12}]_{jj}` for candidate
:math:`j`,

.. math::

    \\mathrm{MI}_j = N\\, d_j^2 / V_j,\\qquad \\mathrm{EPC}_j = -d_j / V_j .

A candidate with :math:`V_j < \\epsilon^{1/3}` (machine :math:`\\epsilon`) would
not be identified if freed (a marker loading, the intercept of an ordered item
beside its free thresholds, the residual variance of an ordered item under the
delta parameterisation, ...): lavaan reports NA and drops the row; so does
this module. ``sepc.all`` standardises the EPC with the fitted model's total
standard deviations of the latent variables and latent responses
(:math:`1/\\delta_i` for an ordered item) and, for a covariance, with the two
residual variances (lavaan's ``cov.std = TRUE``).

Candidates are lavaan's: every parameter of ``lav_partable_full`` (loadings of
each factor on each observed variable that is not the outcome of a regression,
covariances among indicators and among latent variables, regressions among the
variables of the structural part, intercepts and latent means, thresholds and,
with several groups, scale factors ``~*~``) that is not already free, plus the
model's own fixed rows (among them, in lavaan's table, the scale factor of every
ordered item, fixed to 1); those with :math:`V_j` below the tolerance drop out.
A scale factor is identified when constraints tie its item's loading or
thresholds (``a + b == 2*c``, equal thresholds across groups).
With observed covariates (lavaan's ``conditional.x``) the statistics hold the
probit slopes too, the covariates are strictly exogenous (no candidate regresses
a covariate or frees its moments) and regressions on covariates are candidates.
lavaan also lists latent variables regressed on an observed outcome (``F ~ y``
when ``y`` is regressed on a covariate). qimscale's WLSMV model has no slot for
them, but a score test needs only the derivative of the statistics with respect
to the path at 0 (:func:`_outcome_path_jacobian`), so they are scored all the same
(ordered and continuous outcomes).

References
----------
Sörbom, D. (1989). Model modification. *Psychometrika*, 54(3), 371–384.
https://doi.org/10.1007/BF02294448

Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
*Journal of Statistical Software*, 48(2), 1–36. https://doi.org/10.18637/jss.v048.i02
(``modindices()``, lavaan 0.6-14).
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd

from qimscale._core.linalg import STRICT_RTOL, is_singular
from qimscale.errors import ModelError

from .._threads import single_thread_blas
from .modindices import _candidates
from .score_tests import _gradient_information

__all__ = ["wlsmv_modification_indices", "MI_COLUMNS"]

#: columns of the modification-index table (as :meth:`~.results.CFAResult.modification_indices`)
MI_COLUMNS = ["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all"]

#: fixed rows lavaan frees as candidates (``lav_object_extended(all.free = TRUE)``)
_FREEABLE = ("=~", "~~", "~", "~1", "|", "~*~")

#: lavaan's identification threshold for a candidate: ``.Machine$double.eps^(1/3)``
_V_TOL = np.finfo(float).eps ** (1 / 3)


def _key(g, lhs, op, rhs):
    if op == "~~" and rhs < lhs:
        lhs, rhs = rhs, lhs
    return (g, lhs, op, rhs)


def _representable(pt, lhs, op, rhs) -> bool:
    """Whether the ordinal model has a slot for the candidate: its regressions are on latent
    variables or observed covariates (not on an observed outcome or item)."""
    return op != "~" or rhs in pt.lv or rhs in pt.ov_x


def _extended(pt):
    """The parameter table with every candidate free, the candidate rows (in order) and the
    candidates the ordinal model cannot hold (``lhs ~ rhs`` with ``rhs`` an observed outcome).

    Each candidate row carries ``_start``: its value in the fitted model; the candidates take
    the free indices after the table's (after :math:`\theta^*` in the fitted vector when the
    model has linear equality constraints, :mod:`.constraints`). The covariates' own
    moments (lavaan's exo rows) are not parameters of the conditional model and are left out.
    """
    xs = set(pt.ov_x)
    rows = [dict(r) for r in pt.rows]
    existing = {_key(r["group"], r["lhs"], r["op"], r["rhs"]) for r in rows}
    nxt = pt.npar
    cand, skipped = [], []
    for r in rows:
        if (r["free"] == 0 and r["op"] in _FREEABLE and not math.isnan(r["ustart"])
                and r["lhs"] not in xs and _representable(pt, r["lhs"], r["op"], r["rhs"])):
            nxt += 1
            r["free"], r["_start"] = nxt, float(r["ustart"])
            cand.append(r)
    full = _candidates(pt, strict_exo=True) + [(v, "~1", "") for v in list(pt.ov) + list(pt.lv) if v not in xs]
    # lavaan's table of an ordinal model has a scale factor (fixed to 1) per ordered item in every
    # group; freed, it is identified when constraints tie the item's loading or thresholds
    full += [(v, "~*~", v) for v in pt.ov if v in pt.ordered]
    for g in range(1, pt.ngroups + 1):
        for lhs, op, rhs in full:
            if _key(g, lhs, op, rhs) in existing:
                continue
            existing.add(_key(g, lhs, op, rhs))
            if not _representable(pt, lhs, op, rhs):
                skipped.append((lhs, op, rhs, g))
                continue
            nxt += 1
            start = 1.0 if op == "~*~" else 0.0
            r = {"id": len(rows) + 1, "lhs": lhs, "op": op, "rhs": rhs, "user": 0, "group": g,
                 "free": nxt, "ustart": start, "label": "", "plabel": "", "exo": 0, "_start": start}
            rows.append(r)
            cand.append(r)
    # linear equality constraints (.constraints): the candidates are unconstrained parameters after theta*
    lin = None if pt.lin is None else pt.lin.extended(len(cand))
    return dataclasses.replace(pt, rows=rows, lin=lin), cand, skipped


def _outcome_paths(fit, skipped):
    """Split the candidates the model cannot hold (``lhs ~ y``, ``y`` an observed outcome).

    Returns
    -------
    held, left : list of tuple
        ``(lhs, op, rhs, group)`` scored by :func:`_outcome_path_tests` (a model with
        covariates, :class:`.ordinal_model_x.OrdinalXModel`) and those left out.
    """
    mod = fit.model
    ok = getattr(mod, "conditional_x", False)
    held, left = [], []
    for lhs, op, rhs, g in skipped:
        (held if ok and rhs in mod.ov and (lhs in mod.lv or lhs in mod.ov) else left).append((lhs, op, rhs, g))
    return held, left


def _outcome_path_jacobian(fit, paths, g):
    r"""Derivatives of group ``g``'s statistics wrt ``lhs ~ y*_i`` paths at 0 (columns, in order).

    Parameters
    ----------
    fit : WLSMVResult
        A fit with covariates (:class:`.ordinal_model_x.OrdinalXModel`).
    paths : list of tuple
        ``(lhs, op, rhs, group)`` with ``rhs`` an observed outcome and ``lhs`` a latent
        variable or another observed outcome.
    g : int
        Group (0-based); the columns of other groups' paths are zero.

    Returns
    -------
    ndarray
        ``(n_stats, len(paths))``.

    Notes
    -----
    Freeing :math:`c` in :math:`\eta_a \mathrel{+}= c\,y^*_i` (or
    :math:`y^*_l \mathrel{+}= c\,y^*_i`) changes the latent responses by
    :math:`u\,y^*_i\,dc` with :math:`u = (\Lambda A)_{\cdot a}` (or :math:`e_l`), so at
    :math:`c = 0`, with :math:`\Sigma` the implied covariance of :math:`y^*` given the covariates
    (diagonal :math:`1/\delta^2` for an ordered item), :math:`\Pi_0 = \Lambda A\Gamma + K` and
    :math:`m = \nu + \Lambda A\alpha`:
    :math:`d\tau^*_j = -\delta_j u_j m_i`, :math:`d\Pi_{jk} = \delta_j u_j \Pi_{0,ik}`,
    :math:`d\rho_{jl} = \delta_j\delta_l (u_j\Sigma_{il} + \Sigma_{ji} u_l)`; the change of the
    diagonal is absorbed by the residual variances of the ordered items (delta
    parameterisation: the variances of the latent responses given the covariates stay
    :math:`1/\delta^2`); a continuous variable (:math:`\delta = 1`, free residual variance)
    keeps its variance statistic's change :math:`2 u_j \Sigma_{ij}`. This is lavaan's extended
    model, where the outcome becomes a dummy latent variable.
    """
    mod = fit.model
    M = mod.matrices(fit.theta, g)
    L, A, d = M["lambda"], M["ib_inv"], M["delta"]
    LA = L @ A
    C = L @ M["psi_total"] @ L.T + M["theta"]
    ordd = np.setdiff1d(np.arange(mod.p), mod.num)
    C[ordd, ordd] = 1.0 / d[ordd] ** 2  # ordered items: variance 1/delta^2 given the covariates
    pi0 = LA @ M["gamma"] + M["kappa"]
    mean0 = M["nu"] + L @ M["alpha_total"]
    ovi = {v: k for k, v in enumerate(mod.ov)}
    lvi = {f: k for k, f in enumerate(mod.lv)}
    it, ii, jj, nth = mod.th_item, mod.ii, mod.jj, mod.n_th
    J = np.zeros((mod.cor_offset + mod.pstar, len(paths)))
    for t, (lhs, _op, rhs, grp) in enumerate(paths):
        if grp - 1 != g:
            continue
        i = ovi[rhs]
        u = LA[:, lvi[lhs]] if lhs in lvi else np.eye(mod.p)[ovi[lhs]]
        J[:nth, t] = -d[it] * u[it] * mean0[i]
        J[nth:mod.cor_offset, t] = (d[:, None] * u[:, None] * pi0[i][None, :]).ravel(order="F")
        J[mod.cor_offset:, t] = d[ii] * d[jj] * (u[ii] * C[i, jj] + C[ii, i] * u[jj])
    return J


def _outcome_path_tests(fit, paths, k0, I11):
    """Gradient ``d`` and ``V`` of the paths of :func:`_outcome_path_jacobian` (as the others')."""
    N = float(sum(st.n for st in fit.stats))
    d = np.zeros(len(paths))
    Icc = np.zeros(len(paths))
    I1c = np.zeros((k0, len(paths)))
    for g, (st, w, f) in enumerate(zip(fit.stats, fit.extra["w"], fit.extra["fg"])):
        Dc = _outcome_path_jacobian(fit, paths, g)
        D1 = fit.model.jacobian(fit.theta, g)
        d -= (st.n - 1.0) / N * (Dc.T @ (w * (st.s - fit.model.implied(fit.theta, g))))
        Icc += f * np.einsum("ij,ij->j", Dc, w[:, None] * Dc)
        I1c += f * (D1.T @ (w[:, None] * Dc))
    return d, Icc - np.einsum("ij,ij->j", I1c, np.linalg.solve(I11, I1c))


def _sepc_all(fit, cand, epc):
    """lavaan's ``sepc.all`` (``lav_standardize_all`` of ``|epc|`` times its sign, ``cov.std = TRUE``)."""
    ovi = {v: k for k, v in enumerate(fit.model.ov)}
    lvi = {f: k for k, f in enumerate(fit.model.lv)}
    scales = {}
    out = np.full(len(cand), np.nan)
    xi = {x: k for k, x in enumerate(getattr(fit.model, "covariates", ()))}
    for j, r in enumerate(cand):
        g = r["group"] - 1
        if g not in scales:
            sc = fit._std_scales(g, fit.theta)  # with covariates: their sds follow (WLSMVXResult)
            psi = np.diag(fit.model.matrices(fit.theta, g)["psi"])
            scales[g] = (sc[0], sc[1], sc[2], sc[3] if xi else None, psi)
        sd_y, sd_f, rv, sd_x, psi = scales[g]

        def sd(v):
            return sd_f[lvi[v]] if v in lvi else sd_x[xi[v]] if v in xi else sd_y[ovi[v]]

        lhs, op, rhs, e = r["lhs"], r["op"], r["rhs"], epc[j]
        if op == "=~":
            out[j] = e * sd(lhs) / sd(rhs)
        elif op == "~":
            out[j] = e * sd(rhs) / sd(lhs)
        elif op == "~~" and lhs == rhs:
            out[j] = e / sd(lhs) ** 2
        elif op == "~~":
            res = (lambda v: psi[lvi[v]] if v in lvi else rv[ovi[v]])
            out[j] = e / math.sqrt(abs(res(lhs)) * abs(res(rhs)))
        elif op in ("~1", "|"):
            out[j] = e / sd(lhs)
        else:  # "~*~": lavaan standardises a scale factor to 1
            out[j] = math.copysign(1.0, e)
    return out


def wlsmv_modification_indices(fit, *, minimum: float = 0.0) -> pd.DataFrame:
    """Modification indices (score tests of fixed parameters) of a WLSMV fit.

    Parameters
    ----------
    fit : WLSMVResult
        An ordinal or mixed ordinal/continuous CFA/SEM fitted by
        :func:`~.wlsmv.fit_wlsmv` or, with observed covariates, by
        :func:`~.wlsmv_x.fit_wlsmv_x`; one or several groups, with or without
        equality constraints, listwise or pairwise deletion.
    minimum : float
        Keep the rows with ``mi >= minimum``.

    Returns
    -------
    DataFrame
        Columns ``lhs, op, rhs, group, mi, epc, sepc_all`` (``group`` 1-based),
        sorted by ``mi`` (descending). ``epc`` is the expected parameter change,
        ``sepc_all`` the EPC standardised by the latent variables and latent
        responses (lavaan's ``sepc.all``).

    Raises
    ------
    ModelError
        When the information matrix of the fitted model is singular.

    Warns
    -----
    UserWarning
        Naming candidates lavaan lists that are not computed (a regression on an
        observed outcome in a model without covariates: not expected, as such
        an outcome is regressed on a covariate); they are not in the table.

    Notes
    -----
    ``mi = N d² / (I22 − I21 I11⁻¹ I12)`` and ``epc = −d / (I22 − I21 I11⁻¹ I12)``
    with ``d`` the gradient of the DWLS fit function and ``I`` its expected
    information ``Σ_g (n_g/N) Δ_g' W_g Δ_g`` (``W_g`` the diagonal weight
    matrix); see :mod:`.modindices_wlsmv` for the candidate set. Matches
    ``lavaan::modindices(fit)`` for ``fit <- cfa(model, data, ordered = ...,
    estimator = "WLSMV", group = ..., group.equal = ..., missing = ...)`` (lavaan 0.6-14),
    whose rows with NA are dropped. Like lavaan's, the index is the ordinal
    (unscaled) score statistic; it ranks candidates, it is not a robust test.

    References
    ----------
    Sörbom, D. (1989). Model modification. *Psychometrika*, 54(3), 371–384.
    https://doi.org/10.1007/BF02294448

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from qimscale.analysis.cfa.wlsmv import fit_wlsmv
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(500, 2))
    >>> y = np.hstack([f[:, [0]] * 0.7, f[:, [0]] * 0.7, f[:, [0]] * 0.7 + f[:, [1]] * 0.5,
    ...                f[:, [1]] * 0.7, f[:, [1]] * 0.7, f[:, [1]] * 0.7]) + rng.normal(scale=0.6, size=(500, 6))
    >>> d = pd.DataFrame(np.digitize(y, [-1, 0, 1]) + 1, columns=[f"y{i}" for i in range(1, 7)])
    >>> res = fit_wlsmv(d, "F1 =~ y1 + y2 + y3\\nF2 =~ y4 + y5 + y6")
    >>> mi = res.modification_indices()
    >>> mi.iloc[0][["lhs", "op", "rhs"]].tolist()
    ['F2', '=~', 'y3']
    """
    pt = fit.partable
    ext, cand, skipped = _extended(pt)
    paths, skipped = _outcome_paths(fit, skipped)
    if skipped:
        warnings.warn("modification indices not computed for " + ", ".join(
            f"{lhs} {op} {rhs}" + (f" (group {g})" if pt.ngroups > 1 else "") for lhs, op, rhs, g in skipped)
            + ": regressions on an observed outcome are scored only in a model with observed covariates "
            "(lavaan::modindices lists these when they are identified)",
            UserWarning, stacklevel=2)
    if not cand and not paths:
        return pd.DataFrame(columns=MI_COLUMNS)
    k0 = fit.model.npar  # the fitted vector (theta*, with linear equality constraints)
    theta = np.concatenate([np.asarray(fit.theta, dtype=float), [r["_start"] for r in cand]])
    with single_thread_blas():
        grad, info = _gradient_information(fit, ext, theta)
        I11, I12 = info[:k0, :k0], info[:k0, k0:]
        if is_singular(I11, STRICT_RTOL, scale=True):
            raise ModelError("could not compute modification indices: the information matrix of the "
                             "fitted model is singular (a parameter is not identified)")
        V = np.diag(info)[k0:] - np.einsum("ij,ij->j", I12, np.linalg.solve(I11, I12))
        d = grad[k0:]
        if paths:  # latent variables (or items) regressed on an ordered outcome: scored without a slot
            dp, Vp = _outcome_path_tests(fit, paths, k0, I11)
            d, V = np.concatenate([d, dp]), np.concatenate([V, Vp])
            cand = cand + [{"lhs": lhs, "op": op, "rhs": rhs, "group": g} for lhs, op, rhs, g in paths]
    keep = V >= _V_TOL
    N = float(fit.ntotal_)
    mi = N * d[keep] ** 2 / V[keep]
    epc = -d[keep] / V[keep]
    kept = [r for r, k in zip(cand, keep) if k]
    out = pd.DataFrame({"lhs": [r["lhs"] for r in kept], "op": [r["op"] for r in kept],
                        "rhs": [r["rhs"] for r in kept], "group": [int(r["group"]) for r in kept],
                        "mi": mi, "epc": epc, "sepc_all": _sepc_all(fit, kept, epc)}, columns=MI_COLUMNS)
    out = out[out["mi"] >= minimum]
    return out.sort_values("mi", ascending=False, kind="stable").reset_index(drop=True)
