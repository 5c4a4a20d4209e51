"""The estimator front end: :class:`CFA` and the ``cfa()`` / ``sem()`` conveniences."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qimscale._core.checks import check_option, numeric_matrix
from qimscale._core.linalg import STRICT_RTOL, is_positive_definite
from qimscale.errors import DataError, ModelError

from .._threads import single_thread_blas
from .fiml import FIMLObjective, Patterns, em_saturated
from .ml import GroupData, MLObjective, group_data, minimize
from .model import RAMModel
from .partable import GROUP_EQUAL_TYPES, build_partable
from .results import CFAResult
from .starts import start_values
from .syntax import parse_model, read_model_text

__all__ = ["CFA", "cfa", "sem", "read_model_text"]

ESTIMATORS = ("ML", "MLR", "WLSMV")
MISSING = ("listwise", "fiml", "pairwise")


class CFA:
    """Confirmatory factor analysis / structural equation model.

    Parameters
    ----------
    model : str
        lavaan model syntax (``=~``, ``~``, ``~~``, ``~1``, ``:=``, modifiers,
        linear equality constraints between labels such as ``a == b``,
        ``a == 2*b``, ``a - b == 0.3``, ``a + b == 1``).
    estimator : {"ML", "MLR", "WLSMV"}, optional
        Default: ``"WLSMV"`` with ``ordered`` items, else ``"ML"`` (as lavaan).
        ``"MLR"``: ML estimates with Huber–White SEs and the Yuan–Bentler
        (Mplus variant) scaled test. ``"WLSMV"`` is provided by the ordinal
        module (``qimscale.analysis.cfa.wlsmv``).
    missing : {"listwise", "fiml", "pairwise"}
        ``"fiml"`` uses every observed value (casewise ML; ML/MLR only).
        ``"pairwise"`` is for WLSMV only (ordered items: thresholds and
        polychorics from the available cases, as lavaan's
        ``missing = "pairwise"``).
    group : str, optional
        Column defining the groups of a multi-group model.
    group_equal : sequence of str
        Parameter types held equal across groups (``loadings``, ``intercepts``,
        ``residuals``, ``lv.variances``, ``means``, ...).
    group_partial : sequence of str
        Parameters freed again, e.g. ``"x3 ~ 1"``.
    std_lv : bool
        Fix factor variances to 1 instead of the first loading.
    ordered : sequence of str, optional
        Ordinal items (handled by the WLSMV module).
    meanstructure : bool, optional
        Default: ``True`` for several groups, FIML or when the model has ``~1``.
    information : {"expected", "observed"}, optional
        Default: expected for ML with complete data, observed for MLR and FIML (lavaan's defaults).
    kind : {"cfa", "sem"}
        Only affects defaults that differ between ``lavaan::cfa`` and ``lavaan::sem`` (none at present).

    Returns
    -------
    CFAResult
        From :meth:`fit`: ``fit_measures()``, ``parameter_estimates()``
        (``lhs, op, rhs, group, label, est, se, z, pvalue, ci_lower, ci_upper,
        std_lv, std_all``), ``summary()``, ``modification_indices()``,
        ``residual_correlations()``, ``reliability()``, ``htmt()``,
        ``fornell_larcker()``, ``bootstrap()``, ``to_dict()``.

    Raises
    ------
    ModelError
        Bad syntax or options, a non-identified model (the message names a
        parameter involved).
    DataError
        Missing, non-numeric, constant or collinear columns.

    Notes
    -----
    ML minimises lavaan's ``fmin`` (see :mod:`.ml`) with analytic gradients;
    SEs come from the expected information (ML, complete data) or the
    observed information (MLR sandwich, FIML), as lavaan's defaults.
    Observed exogenous covariates are ``fixed.x`` and single-group models
    without ``~1`` have no mean structure, as in lavaan.
    Linear equality constraints are a reparameterisation
    :math:`\\theta = K\\theta^* + c` (:mod:`.constraints`): each one removes a
    free parameter (``npar``) and adds a degree of freedom, as lavaan.

    Matches ``lavaan::cfa(model, data, estimator=, missing=, group=,
    group.equal=, group.partial=, std.lv=)``; see :mod:`qimscale.analysis.cfa`.

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
    *Journal of Statistical Software*, 48(2). doi:10.18637/jss.v048.i02

    Jöreskog, K. G. (1969). A general approach to confirmatory maximum
    likelihood factor analysis. *Psychometrika*, 34, 183–202. doi:10.1007/BF02289343

    Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean
    and covariance structure analysis with nonnormal missing data.
    *Sociological Methodology*, 30, 165–200. doi:10.1111/0081-1750.00078

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> df = pd.DataFrame(f @ [[.8, .7, .6, .5]] + rng.normal(scale=.6, size=(300, 4)),
    ...                   columns=["a", "b", "c", "d"])
    >>> res = CFA("F =~ a + b + c + d").fit(df)
    >>> res.fit_measures()["df"]
    2
    """

    def __init__(self, model: str, *, estimator: str | None = None, missing: str = "listwise",
                 group: str | None = None, group_equal=(), group_partial=(), std_lv: bool = False,
                 ordered=None, meanstructure: bool | None = None, information: str | None = None,
                 kind: str = "cfa"):
        self.model = model
        self.estimator = estimator
        self.missing = missing
        self.group = group
        self.group_equal = group_equal
        self.group_partial = group_partial
        self.std_lv = std_lv
        self.ordered = ordered
        self.meanstructure = meanstructure
        self.information = information
        self.kind = kind

    # ------------------------------------------------------------------ validation
    def _validate(self):
        est = ("WLSMV" if self.ordered else "ML") if self.estimator is None else str(self.estimator).upper()
        if est not in ESTIMATORS:
            check_option("estimator", self.estimator, ESTIMATORS, "CFA")
        if self.ordered and est != "WLSMV":
            raise ModelError(f"ordered items need estimator 'WLSMV' (or no estimator); estimator {est!r} "
                             "treats items as continuous: drop ordered= to do that")
        check_option("missing", self.missing, MISSING, "CFA")
        if self.missing == "pairwise" and est != "WLSMV" and not self.ordered:
            raise ModelError(f"missing='pairwise' is only available with estimator 'WLSMV' (ordered "
                             f"items); with estimator {est!r} use 'listwise' or 'fiml'.")
        geq = [self.group_equal] if isinstance(self.group_equal, str) else list(self.group_equal)
        bad = [g for g in geq if g not in GROUP_EQUAL_TYPES]
        if bad:
            raise ModelError(f"The 'group_equal' parameter of CFA must be among {', '.join(GROUP_EQUAL_TYPES)}. "
                             f"Got {', '.join(map(repr, bad))} instead.")
        if self.information not in (None, "expected", "observed"):
            raise ModelError("The 'information' parameter of CFA must be 'expected' or 'observed'. "
                             f"Got {self.information!r} instead.")
        partial = [self.group_partial] if isinstance(self.group_partial, str) else list(self.group_partial)
        return est, geq, partial

    def _prepare_data(self, data: pd.DataFrame, ov: list[str], ov_x=()):
        """Per-group data matrices of ``ov``: ``(labels, [X_g], n_dropped, n_without_group)``.

        Listwise deletion drops cases with any missing value; FIML drops empty
        cases and, as lavaan with ``fixed.x = TRUE``, cases missing a fixed
        exogenous covariate (``ov_x``).
        """
        if not isinstance(data, pd.DataFrame):
            raise DataError("data must be a pandas DataFrame with one column per observed variable")
        missing_cols = [v for v in ov if v not in data.columns]
        if missing_cols:
            raise DataError(f"model variable(s) {', '.join(map(repr, missing_cols))} not found in the data; "
                            f"available columns: {', '.join(map(str, list(data.columns)[:30]))}")
        dup = sorted({str(c) for c in data.columns[data.columns.duplicated()]} & set(ov + [self.group]))
        if dup:
            raise DataError(f"column(s) {', '.join(map(repr, dup))} appear more than once in the data; "
                            "rename or drop the duplicates")
        X = numeric_matrix(data, ov)   # the house's item validator: row, column, value and the fix
        if self.group is not None:
            if self.group not in data.columns:
                raise DataError(f"group column {self.group!r} not found in the data")
            if self.group in ov:
                raise ModelError(f"the group column {self.group!r} is also a variable of the model; "
                                 "group by another column or drop it from the model")
            gcol = data[self.group]
            keep = gcol.notna().to_numpy()
            dropped_group = int((~keep).sum())
            labels = list(pd.unique(gcol[keep]))
            gidx = [np.flatnonzero((gcol == lab).to_numpy()) for lab in labels]
        else:
            labels = [None]
            gidx = [np.arange(len(data))]
            dropped_group = 0
        labels = [lab.item() if isinstance(lab, np.generic) else lab for lab in labels]
        xcols = np.array([ov.index(v) for v in ov_x], dtype=int)
        out = []
        dropped = dropped_group
        for lab, idx in zip(labels, gidx):
            Xg = X[idx]
            where = "" if lab is None else f" in group {lab}"
            if self.missing == "listwise":
                ok = ~np.isnan(Xg).any(axis=1)
            else:
                ok = ~np.isnan(Xg).all(axis=1)
                if xcols.size:
                    ok &= ~np.isnan(Xg[:, xcols]).any(axis=1)
            dropped += int((~ok).sum())
            Xg = Xg[ok]
            if Xg.shape[0] < 2:
                raise DataError(f"fewer than 2 usable cases{where} ({Xg.shape[0]} left after dropping "
                                "cases with missing values)")
            empty = [v for v, seen in zip(ov, (~np.isnan(Xg)).any(axis=0)) if not seen]
            if empty:
                raise DataError(f"variable(s) {', '.join(map(repr, empty))} have no observed values{where}; "
                                "drop them from the model or check the data")
            out.append(Xg)
        return labels, out, dropped, dropped_group

    # ------------------------------------------------------------------ fit
    def fit(self, data: pd.DataFrame):
        """Fit the model to ``data`` and return a :class:`~qimscale.analysis.cfa.results.CFAResult`.

        BLAS runs single-threaded during the fit: the matrices are small, and
        threaded BLAS on them is slower (much slower on a busy machine).

        Raises
        ------
        ModelError
            Invalid syntax or options, a non-identified model.
        DataError
            Missing or non-numeric columns, too few cases.
        """
        with single_thread_blas():
            return self._fit(data)

    def _fit(self, data: pd.DataFrame):
        est, geq, partial = self._validate()
        text = read_model_text(self.model)
        stmts = parse_model(text)
        _check_latent_names(stmts, data)
        res = self._fit_parsed(data, est, geq, partial, text, stmts)
        res.warnings_.extend(mixed_sign_warnings(res.parameter_estimates()))
        return res

    def _fit_parsed(self, data, est, geq, partial, text, stmts):
        if est == "WLSMV":
            try:  # lazily: an ML/MLR fit never loads the ordinal engine (start-up)
                from . import wlsmv
            except ImportError as exc:  # pragma: no cover - depends on the ordinal module
                raise ModelError("estimator 'WLSMV' / ordered items need qimscale.analysis.cfa.wlsmv, "
                                 "which is not available") from exc
            if build_partable(stmts, ngroups=None).ov_x:  # observed covariates: lavaan's conditional.x
                from . import wlsmv_x

                return wlsmv_x.fit(self, data)
            return wlsmv.fit(self, data)
        has_means = any(st.op == "~1" for st in stmts)
        probe = build_partable(stmts, ngroups=None)
        labels, Xs, dropped, no_group = self._prepare_data(data, probe.ov, probe.ov_x)
        ngroups = len(labels)
        if self.meanstructure is None:
            meanstructure = ngroups > 1 or self.missing == "fiml" or has_means
        else:
            meanstructure = bool(self.meanstructure)
        pt = build_partable(stmts, ngroups=ngroups, std_lv=self.std_lv, meanstructure=meanstructure,
                            group_equal=geq if ngroups > 1 else (), group_partial=partial)
        if self.missing == "fiml" and any(np.isnan(X).any() for X in Xs):
            for lab, X in zip(labels, Xs):
                _check_variances(np.nanvar(X, axis=0), probe.ov, lab)
            patterns = [Patterns(X) for X in Xs]
            singular = DataError("the saturated (EM) covariance matrix is singular: too few cases for the "
                                 "number of variables, or variables that are linear combinations of "
                                 f"others (N = {sum(X.shape[0] for X in Xs)}, {len(probe.ov)} variables)")
            # Decided before EM and after it with the package's tolerance, never by whether a
            # BLAS solve happened to raise on an exactly singular block (that depends on the CPU).
            if any(X.shape[0] < len(probe.ov) for X in Xs):
                raise singular
            try:
                h1 = [em_saturated(pat) for pat in patterns]
            except np.linalg.LinAlgError as exc:  # an exactly singular block met inside EM
                raise singular from exc
            if not all(is_positive_definite(S) for S, _ in h1):
                raise singular
            groups = [GroupData(n=X.shape[0], cov=S, mean=m, X=X) for X, (S, m) in zip(Xs, h1)]
            fiml = True
        else:
            groups = [group_data(X) for X in Xs]
            fiml = False
            patterns = None
        if not fiml:
            for lab, gd in zip(labels, groups):
                _check_sample_cov(gd, probe.ov, lab)
        _fill_fixed_x(pt, groups)
        model = RAMModel(pt)
        objective = FIMLObjective(model, patterns) if fiml else MLObjective(model, groups)
        p, nx = model.p, len(pt.ov_x)
        n_moments = ngroups * (p * (p + 1) // 2 + (p if meanstructure else 0)
                               - nx * (nx + 1) // 2 - (nx if meanstructure else 0))
        df = n_moments - model.npar
        if df < 0:
            raise ModelError(f"the model is not identified: it has {model.npar} free parameters but the data "
                             f"give only {n_moments} sample moments (df = {df}); fix or constrain parameters")
        theta0 = start_values(pt, groups)
        opt = minimize(objective, theta0)
        _flag_runaway(objective, theta0, opt)
        res = CFAResult._from_fit(self, est, pt, model, objective, groups, labels, opt, df, fiml,
                                  patterns, dropped, text)
        if no_group:  # as lavaan's "group variable contains missing values"
            res.warnings_.append(f"{no_group} case(s) without a value in the group column {self.group!r} "
                                 "were dropped")
        if dropped > no_group:  # lavaan reports "used" vs "total" observations; say it outright
            total = len(data) - no_group
            why = (f"with a missing value in a model variable were dropped (listwise deletion: "
                   f"{dropped - no_group} of {total}, {100 * (dropped - no_group) / max(total, 1):.0f} %); "
                   "missing='fiml' uses them (Mplus's default), as does WLSMV with ordered items and "
                   "pairwise deletion" if self.missing == "listwise" else
                   "without any observed model variable (or with a missing exogenous covariate) were dropped")
            res.warnings_.append(f"{dropped - no_group} case(s) {why}")
        return res


def _singular_information(objective, theta) -> bool | None:
    """Whether the information at ``theta`` is singular (scaled to unit diagonal); None if not computable."""
    try:
        H = objective.information(theta)
    except (np.linalg.LinAlgError, ValueError):
        return None
    if not np.all(np.isfinite(H)):
        return None
    d = np.sqrt(np.clip(np.diag(H), 0, None))
    if np.any(d <= 1e-300):
        return True
    w = np.linalg.eigvalsh((H / np.outer(d, d) + (H / np.outer(d, d)).T) / 2)
    return bool(w[0] < 1e-10)


def _flag_runaway(objective, theta0, opt) -> None:
    """Report a 'solution' on a ridge as non-convergence, not as non-identification.

    When the information is regular at the start values but singular where the
    optimiser stopped, the estimates ran off towards a boundary (a factor
    variance going to 0 while its loadings grow, as lavaan's "the optimizer
    warns that a solution has NOT been found"); the model itself is identified.
    A model whose information is singular at the start values too is left to
    the identification check.
    """
    if not opt.converged or not _singular_information(objective, opt.theta):
        return
    if _singular_information(objective, theta0) is False:
        opt.converged = False
        opt.message = ("the estimates drift towards a boundary where the information matrix is singular "
                       "(e.g. a factor variance going to 0 while its loadings grow): no proper solution "
                       "was found")


def _check_latent_names(stmts, data) -> None:
    """ModelError when a latent variable has the name of a column of the data (lavaan refuses it too:
    "some latent variable names collide with observed variable names")."""
    latent = list(dict.fromkeys(name for st in stmts if st.op == "=~" for name in st.lhs))
    cols = {str(c) for c in getattr(data, "columns", [])}
    clash = [name for name in latent if name in cols]
    if clash:
        raise ModelError(f"latent variable name(s) {', '.join(map(repr, clash))} are also column(s) of the data; "
                         "lavaan refuses this too (a latent variable is not observed): rename the factor(s) in "
                         "the model, e.g. '" + clash[0] + "_f =~ ...'")


def mixed_sign_warnings(estimates: pd.DataFrame) -> list[str]:
    """Warnings for factors whose standardised loadings have both signs, naming the items.

    A factor measured by items keyed in opposite directions has loadings of
    both signs; composite reliability (omega, AVE) and sum scores then mean
    little. The usual cause is reverse-keyed items left unrecoded. Loadings
    below .10 in absolute value are ignored (they carry no sign worth
    reporting).

    >>> pe = pd.DataFrame({"lhs": ["F"] * 3, "op": ["=~"] * 3, "rhs": ["a", "b", "c"],
    ...                    "std_all": [0.7, 0.6, -0.5]})
    >>> mixed_sign_warnings(pe)[0][:60]
    "factor 'F' has loadings of both signs: negative for c (-0.50"
    """
    out = []
    pe = estimates[estimates["op"] == "=~"]
    col = "std_all" if "std_all" in pe.columns else "est"
    for factor, rows in pe.groupby("lhs", sort=False):
        vals = rows.drop_duplicates("rhs").set_index("rhs")[col].astype(float)
        vals = vals[vals.abs() >= 0.10]
        neg, pos = vals[vals < 0], vals[vals > 0]
        if len(neg) and len(pos):
            few, many = (neg, pos) if len(neg) <= len(pos) else (pos, neg)
            sign = "negative" if few is neg else "positive"
            shown = ", ".join(f"{k} ({v:.2f})" for k, v in few.items())
            out.append(f"factor '{factor}' has loadings of both signs: {sign} for {shown}, against "
                       f"{len(many)} item(s) of the other sign. Reverse-keyed items? Recode them as min + max - x "
                       "before fitting (the instrument's model does this); omega and AVE assume loadings of one "
                       "sign")
    return out


def _check_sample_cov(gd, names, label):
    """DataError when the sample covariance matrix cannot be inverted (constant or collinear items)."""
    where = "" if label is None else f" in group {label!r}"
    _check_variances(np.diag(gd.cov), names, label)
    corr = gd.cov / np.sqrt(np.outer(np.diag(gd.cov), np.diag(gd.cov)))
    if not is_positive_definite(corr, rtol=STRICT_RTOL):
        raise DataError(f"the sample covariance matrix{where} is not positive definite (N = {gd.n}): some "
                        "items are linear combinations of others, or there are fewer cases than items")


def _check_variances(variances, names, label):
    """DataError naming the variables without variance (in a group)."""
    const = [n for n, v in zip(names, variances) if not v > 0]
    if const:
        where = "" if label is None else f" in group {label!r}"
        raise DataError(f"variable(s) {', '.join(map(repr, const))} have no variance{where}; drop them from "
                        "the model")


def _fill_fixed_x(pt, groups):
    """Set the fixed exogenous-covariate rows (``exo = 1``) to the sample moments of each group."""
    if not pt.ov_x:
        return
    pos = {v: i for i, v in enumerate(pt.ov)}
    for r in pt.rows:
        if r["exo"] and r["free"] == 0:
            gd = groups[r["group"] - 1]
            if r["op"] == "~~":
                r["ustart"] = float(gd.cov[pos[r["lhs"]], pos[r["rhs"]]])
            elif r["op"] == "~1":
                r["ustart"] = float(gd.mean[pos[r["lhs"]]])


def cfa(model: str, data: pd.DataFrame, **kwargs):
    """Fit a CFA model; shorthand for ``CFA(model, **kwargs).fit(data)``. Matches ``lavaan::cfa()``."""
    return CFA(model, **kwargs).fit(data)


def sem(model: str, data: pd.DataFrame, **kwargs):
    """Fit a structural equation model; shorthand for ``CFA(model, kind='sem', **kwargs).fit(data)``.

    Matches ``lavaan::sem()`` (latent regressions, ``:=`` defined parameters).
    """
    kwargs.setdefault("kind", "sem")
    return CFA(model, **kwargs).fit(data)
