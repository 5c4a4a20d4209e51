"""The parameter table: the single source of truth of a CFA/SEM model.

:func:`build_partable` turns parsed statements (:mod:`.syntax`) into a flat
table of parameters, one row per parameter and group, with lavaan's column
names: ``id, lhs, op, rhs, user, group, free, ustart, label, plabel, exo``.
``free`` is the 1-based index of the free parameter a row maps to (0 = fixed);
rows sharing a ``free`` index are constrained equal (shared labels,
``group_equal``). ``ustart`` holds the value of fixed rows (``nan`` for rows
whose value another stage computes, e.g. ordinal residual variances).

Defaults follow ``lavaan::cfa()`` / ``lavaan::sem()`` (``auto.fix.first``,
``auto.var``, ``auto.cov.lv.x``, ``auto.cov.y``, ``int.ov.free``,
``int.lv.free = FALSE``) and, for several groups, ``group.equal`` /
``group.partial``: with equal intercepts the latent means are free in every
group but the first; with ``std_lv`` and equal loadings the latent variances
are free in every group but the first.

Ordinal items (``ordered``) get threshold rows ``x | t1, t2, ...`` (op ``"|"``)
and, with several groups, delta-parameterisation scale rows ``x ~*~ x``
(fixed to 1, except in groups 2, 3, ... when ``group_equal`` holds the
thresholds equal, as lavaan; binary items included); their
intercepts are fixed to 0 and their residual variances are
fixed rows with ``ustart = nan`` (computed by the ordinal estimator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from qimscale.errors import ModelError

from .syntax import Statement, parse_model

__all__ = ["ParTable", "build_partable", "GROUP_EQUAL_TYPES"]

GROUP_EQUAL_TYPES = ("loadings", "intercepts", "means", "residuals", "residual.covariances",
                     "lv.variances", "lv.covariances", "regressions", "thresholds")


@dataclass
class ParTable:
    """Parameter table plus the variable lists the later stages need.

    Attributes
    ----------
    rows : list of dict
        One dict per parameter row (see module docstring for the keys).
    ov : list of str
        Observed variables, in order of first appearance in the model.
    lv : list of str
        Latent variables (left of ``=~``).
    ngroups : int
    meanstructure : bool
    ordered : dict
        Ordered item -> number of thresholds.
    defined : list of (name, expression)
        ``:=`` definitions, in order.
    ov_x : list of str
        Fixed exogenous observed covariates (``fixed.x``).
    lin : LinearMap or None
        The reparameterisation :math:`\\theta = K\\theta^* + c` of linear
        equality constraints such as ``a == 2*b`` (:mod:`.constraints`);
        ``None`` without them. ``npar`` counts :math:`\\theta` (the ``free``
        indices); the estimators optimise the ``nstar`` elements of
        :math:`\\theta^*`.
    """

    rows: list[dict]
    ov: list[str]
    lv: list[str]
    ngroups: int
    meanstructure: bool
    ordered: dict = field(default_factory=dict)
    defined: list = field(default_factory=list)
    std_lv: bool = False
    ov_x: list = field(default_factory=list)
    lin: object = None

    @property
    def npar(self) -> int:
        """Number of distinct free parameters."""
        return max((r["free"] for r in self.rows), default=0)

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame (lavaan's ``parTable()`` layout)."""
        return pd.DataFrame(self.rows)

    def free_rows(self) -> list[dict]:
        """The first row of each free parameter, in index order."""
        first: dict[int, dict] = {}
        for r in self.rows:
            if r["free"] > 0 and r["free"] not in first:
                first[r["free"]] = r
        return [first[k] for k in sorted(first)]

    def describe_fitted(self, k: int) -> str:
        """As :meth:`describe` for element ``k`` (0-based) of the fitted vector: :math:`\\theta^*`
        with linear equality constraints (``lin``), else :math:`\\theta`."""
        return self.describe((k if self.lin is None else int(self.lin.keep[k])) + 1)

    def describe(self, index: int) -> str:
        """Human-readable name of free parameter ``index`` (1-based), for messages."""
        rows = [r for r in self.rows if r["free"] == index]
        if not rows:
            return f"parameter {index}"
        r = rows[0]
        txt = f"{r['lhs']} {r['op']} {r['rhs']}".strip()
        if self.ngroups > 1:
            txt += f" (group {r['group']})"
        return txt


def _key(lhs: str, op: str, rhs: str) -> tuple:
    if op == "~~" and rhs < lhs:
        lhs, rhs = rhs, lhs
    return (lhs, op, rhs)


def _normalise_partial(spec: str) -> tuple:
    s = "".join(spec.split())
    for op in ("=~", "~~", "~1", "~*~", "~", "|"):
        if op in s:
            lhs, _, rhs = s.partition(op)
            if op == "~1":
                return (lhs, "~1", "")
            if op == "~" and rhs == "1":
                return (lhs, "~1", "")
            return _key(lhs, op, rhs)
    raise ModelError(f"cannot read the group_partial entry {spec!r}; write it like 'x3 ~ 1' or 'F =~ x2'")


def build_partable(model, *, ngroups: int | None = 1, std_lv: bool = False, meanstructure: bool = False,
                   group_equal=(), group_partial=(), ordered: dict | None = None,
                   auto_cov_y: bool = True, fixed_x: bool = True) -> ParTable:
    """Build the parameter table of a lavaan-syntax model.

    Parameters
    ----------
    model : str or list of Statement
        lavaan model syntax (or its parse).
    ngroups : int or None
        Number of groups; every parameter gets one row per group. ``None``
        builds a one-group layout when the number of groups is not known yet
        (to learn the variables), without checking that ``c(...)`` modifiers
        give one value per group.
    std_lv : bool
        Identify factors by fixing their variances to 1 (instead of fixing the
        first loading), as ``lavaan::cfa(std.lv = TRUE)``.
    meanstructure : bool
        Add intercepts of observed variables (free) and latent means (fixed
        to 0, or free beyond group 1 when intercepts are equal).
    group_equal : sequence of str
        Any of :data:`GROUP_EQUAL_TYPES`.
    group_partial : sequence of str
        Parameters released from ``group_equal``, e.g. ``"x3 ~ 1"``.
    ordered : dict, optional
        Ordered item -> number of thresholds.
    auto_cov_y : bool
        Free residual covariances among dependent (latent or observed)
        variables that predict nothing (``lavaan::sem()`` default).
    fixed_x : bool
        Observed exogenous covariates (predictors in ``~`` that are neither
        dependent nor indicators) have their variances, covariances and means
        fixed to the sample values (rows with ``exo = 1`` and ``ustart = nan``,
        filled by the fitting stage), as lavaan's ``fixed.x = TRUE``.

    Returns
    -------
    ParTable

    Raises
    ------
    ModelError
        Unknown ``group_equal`` types, latent variables without indicators,
        a modifier with the wrong number of per-group values.

    Examples
    --------
    >>> pt = build_partable("F =~ x1 + x2 + x3")
    >>> [(r["lhs"], r["op"], r["rhs"], r["free"]) for r in pt.rows][:4]
    [('F', '=~', 'x1', 0), ('F', '=~', 'x2', 1), ('F', '=~', 'x3', 2), ('x1', '~~', 'x1', 3)]
    >>> pt.npar
    6
    """
    stmts: list[Statement] = parse_model(model) if isinstance(model, str) else list(model)
    ordered = dict(ordered or {})
    bad = [g for g in group_equal if g not in GROUP_EQUAL_TYPES]
    if bad:
        raise ModelError(f"group_equal must be among {', '.join(GROUP_EQUAL_TYPES)}; got {', '.join(bad)}")
    partial = {_normalise_partial(s) for s in group_partial}
    if ordered and {"thresholds", "intercepts"} & set(group_equal):
        # as lavaan (lav_options_set): with ordered items equal thresholds and equal intercepts imply each other
        group_equal = list(dict.fromkeys([*group_equal, "thresholds", "intercepts"]))

    probe = ngroups is None
    ngroups = 1 if probe else ngroups
    for st in [] if probe else stmts:  # c(...): one value per group (lavaan: "wrong number of arguments")
        for t in st.rhs:
            for m in t.modifiers:
                if len(m.values) > 1 and len(m.values) != ngroups:
                    raise ModelError(f"line {st.line}: the modifier c({', '.join('NA' if v is None else str(v) for v in m.values)}) of "
                                     f"{t.name!r} has {len(m.values)} values but the model has {ngroups} "
                                     f"group(s); give one value per group")
    lv: list[str] = []
    for st in stmts:
        if st.op == "=~":
            for name in st.lhs:
                if name not in lv:
                    lv.append(name)
    ov: list[str] = []

    def add_ov(name):
        if name not in lv and name not in ov and name not in ("1", "0"):
            ov.append(name)

    for st in stmts:
        if st.op in (":=", "=="):
            continue
        if st.op in ("=~",):
            for t in st.rhs:
                add_ov(t.name)
        elif st.op in ("~", "~~"):
            for name in st.lhs:
                add_ov(name)
            for t in st.rhs:
                add_ov(t.name)
        elif st.op in ("~1", "|", "~*~"):
            for name in st.lhs:
                add_ov(name)
    for name in ordered:
        if name not in ov:
            raise ModelError(f"ordered item {name!r} is not an observed variable of the model")

    reg_lhs = {n for st in stmts if st.op == "~" for n in st.lhs}
    reg_rhs = {t.name for st in stmts if st.op == "~" for t in st.rhs}
    indicators = {t.name for st in stmts if st.op == "=~" for t in st.rhs}
    lv_x = [f for f in lv if f not in reg_lhs and f not in indicators]
    # dependent variables that predict nothing: their residuals covary (lavaan's auto.cov.y)
    y_pure = ([f for f in lv if f in reg_lhs and f not in reg_rhs and f not in indicators]
              + [v for v in ov if v in reg_lhs and v not in reg_rhs and v not in indicators])
    ov_x = [v for v in ov if v in reg_rhs and v not in reg_lhs and v not in indicators]

    # lavaan names a covariance lhs-first in this order (lav_partable_covariance_reorder): latent
    # variables, then indicators, dependent and independent observed variables, then the others
    var_order = {n: i for i, n in enumerate(dict.fromkeys(
        lv + [t.name for st in stmts if st.op == "=~" for t in st.rhs]
        + [n for st in stmts if st.op == "~" for n in st.lhs]
        + [t.name for st in stmts if st.op == "~" for t in st.rhs] + ov))}
    rows: list[dict] = []
    seen: set = set()

    def add(lhs, op, rhs, g, *, free=True, ustart=math.nan, label="", user=0, exo=0):
        k = (g,) + _key(lhs, op, rhs)
        if k in seen:
            return
        seen.add(k)
        rows.append({"id": len(rows) + 1, "lhs": lhs, "op": op, "rhs": rhs, "user": user, "group": g + 1,
                     "free": 1 if free else 0, "ustart": float(ustart) if ustart is not None else math.nan,
                     "label": label, "plabel": f".p{len(rows) + 1}.", "exo": exo})

    for g in range(ngroups):
        # user statements
        first_indicator: dict[str, bool] = {}
        stated: dict = {}
        for st in stmts:
            if st.op in (":=", "=="):
                continue
            for lhs in st.lhs:
                for t in st.rhs:
                    rhs = "" if st.op == "~1" else t.name
                    k = _key(lhs, st.op, rhs)
                    if stated.setdefault(k, (id(st), st.line))[0] != id(st):
                        txt = f"{lhs} {st.op} {rhs}".strip()
                        raise ModelError(f"duplicate model element '{txt}' (line {st.line} repeats line "
                                         f"{stated[k][1]}; lavaan stops with 'duplicate model element'): "
                                         "state each parameter once")
                    fixed = t.fixed(g)
                    label = t.label(g)
                    if st.op == "=~" and lhs not in first_indicator:
                        first_indicator[lhs] = True
                        if fixed is ... and not std_lv:
                            fixed = 1.0
                    if st.op == "~*~" and fixed is ... and g == 0:
                        fixed = 1.0
                    a, b = lhs, rhs
                    if st.op == "~~" and var_order.get(lhs, -1) > var_order.get(rhs, -1):
                        a, b = rhs, lhs
                    if fixed is ... or fixed is None:
                        add(a, st.op, b, g, free=True, label=label, user=1)
                    else:
                        add(a, st.op, b, g, free=False, ustart=fixed, label=label, user=1)
        # residual / latent variances
        for v in ov:
            if v in ordered:
                add(v, "~~", v, g, free=False, ustart=math.nan)
            elif v in ov_x:
                add(v, "~~", v, g, free=not fixed_x, exo=int(fixed_x))
            else:
                add(v, "~~", v, g)
        for f in lv:
            if std_lv:
                free_var = g > 0 and "loadings" in group_equal and "lv.variances" not in group_equal
                add(f, "~~", f, g, free=free_var, ustart=math.nan if free_var else 1.0)
            else:
                add(f, "~~", f, g)
        for i, a in enumerate(lv_x):
            for b in lv_x[i + 1:]:
                add(a, "~~", b, g)
        if auto_cov_y:
            for i, a in enumerate(y_pure):
                for b in y_pure[i + 1:]:
                    add(a, "~~", b, g)
        for i, a in enumerate(ov_x):
            for b in ov_x[i + 1:]:
                add(a, "~~", b, g, free=not fixed_x, exo=int(fixed_x))
        # ordinal: thresholds and scale factors
        for v, nthr in ordered.items():
            for k in range(1, nthr + 1):
                add(v, "|", f"t{k}", g)
            if ngroups > 1:
                # as lavaan: free beyond group 1 only when the thresholds are held
                # equal (binary items too)
                free_delta = g > 0 and "thresholds" in group_equal
                add(v, "~*~", v, g, free=free_delta, ustart=math.nan if free_delta else 1.0)
        if meanstructure:
            for v in ov:
                if v in ordered:
                    add(v, "~1", "", g, free=False, ustart=0.0)
                elif v in ov_x:
                    add(v, "~1", "", g, free=not fixed_x, exo=int(fixed_x))
                else:
                    add(v, "~1", "", g)
            for f in lv:
                free_mean = (g > 0 and ("intercepts" in group_equal or "thresholds" in group_equal)
                             and "means" not in group_equal)
                add(f, "~1", "", g, free=free_mean, ustart=math.nan if free_mean else 0.0)

    # ----- equality constraints and free indices
    lvset, ovset = set(lv), set(ov)

    def eq_type(r) -> str | None:
        op, lhs, rhs = r["op"], r["lhs"], r["rhs"]
        if op == "=~":
            return "loadings"
        if op == "~":
            return "regressions"
        if op == "|":
            return "thresholds"
        if op == "~1":
            return "means" if lhs in lvset else "intercepts"
        if op == "~~":
            if lhs in lvset and rhs in lvset:
                return "lv.variances" if lhs == rhs else "lv.covariances"
            if lhs in ovset and rhs in ovset:
                return "residuals" if lhs == rhs else "residual.covariances"
        return None

    if partial:
        known = {_key(r["lhs"], r["op"], r["rhs"]) for r in rows}
        unknown = [" ".join(k).strip() for k in partial if k not in known]
        if unknown:
            raise ModelError(f"group_partial names parameter(s) not in the model: {', '.join(unknown)}; "
                             "write them like 'x3 ~ 1' or 'F =~ x2'")

    keymap: dict = {}
    counter = 0
    first_plabel: dict = {}
    for r in rows:
        if r["free"] == 0:
            continue
        if r["label"]:
            key = ("label", r["label"])
        elif ngroups > 1 and eq_type(r) in group_equal and _key(r["lhs"], r["op"], r["rhs"]) not in partial:
            key = ("eq",) + _key(r["lhs"], r["op"], r["rhs"])
        else:
            key = ("row", r["id"])
        if key not in keymap:
            counter += 1
            keymap[key] = counter
            first_plabel[key] = r["plabel"]
        elif key[0] == "eq":
            r["label"] = first_plabel[key]
            first = next(x for x in rows if x["plabel"] == first_plabel[key])
            first["label"] = first_plabel[key]
        r["free"] = keymap[key]
    # a label on a fixed row fixes every row sharing it
    fixed_labels = {r["label"]: r["ustart"] for r in rows if r["free"] == 0 and r["label"]}
    for lab in fixed_labels:
        if ("label", lab) in keymap:
            raise ModelError(f"label {lab!r} is used for both a fixed and a free parameter")

    # the probe layout (ngroups=None) only learns the variables: per-group labels c(a1, a2) do not exist yet
    lin = None if probe else _apply_equalities(rows, [st for st in stmts if st.op == "=="])
    for f in lv:
        if f not in {r["lhs"] for r in rows if r["op"] == "=~"}:
            raise ModelError(f"latent variable {f!r} has no indicators")
    defined = [(st.lhs[0], st.expression) for st in stmts if st.op == ":="]
    return ParTable(rows=rows, ov=ov, lv=lv, ngroups=ngroups, meanstructure=meanstructure,
                    ordered=ordered, defined=defined, std_lv=std_lv, ov_x=ov_x if fixed_x else [],
                    lin=lin)


def _apply_equalities(rows: list[dict], constraints: list):
    """Apply the ``==`` constraints; return the :class:`.LinearMap` of the general ones (or ``None``).

    Each constraint is read as a linear form in the labels
    (:func:`.constraints.linear_form`) and, in the order written:

    - ``a == b`` (two labels, equal): the rows labelled ``b`` take the free
      index of ``a`` (the same model as a shared label);
    - ``a == 0.5`` (one label): the rows labelled ``a`` are fixed to the value;
    - any other linear form (``a == 2*b``, ``2*a == b``, ``a == b/2 + 0.3``,
      ``a - b == 0.3``, ``a + b == 1``, ``a == b + c``): kept as a linear
      constraint over the free indices; together they give the
      reparameterisation :math:`\\theta = K\\theta^* + c` (lavaan's treatment
      of linear equality constraints, ``lav_constraints_parse``), whose
      parameters the estimators optimise.

    Free indices are renumbered compactly afterwards. A label fixed by an
    earlier ``a == 0.5`` enters later constraints as its value.

    Raises
    ------
    ModelError
        Unknown labels (as lavaan: "unknown label(s) in equality
        constraint(s)"); a constraint on a parameter fixed in the syntax; a
        non-linear constraint (``a == b^2``, ``a*b == 1``); a redundant or
        contradictory set of constraints.
    """
    if not constraints:
        return None
    from .constraints import build_linear_map, linear_form

    labels = {r["label"] for r in rows if r["label"]}
    fixed_by_eq: dict = {}
    general = []
    for st in constraints:
        left, right = st.lhs[0], st.expression
        text = f"{left} == {right}"
        coef, const, names = linear_form(left, right)
        unknown = [x for x in names if x not in labels]
        if unknown:
            raise ModelError(f"unknown label(s) in equality constraint(s): {' '.join(unknown)} "
                             f"(line {st.line}); label the parameters first, e.g. 'f =~ a*x2 + b*x3'")
        for lab in list(coef):
            if lab in fixed_by_eq:
                const += coef.pop(lab) * fixed_by_eq[lab]
        fixed = [lab for lab in coef if next(r["free"] for r in rows if r["label"] == lab) == 0]
        if fixed:
            raise ModelError(f"the constraint '{text}' (line {st.line}) involves the fixed parameter(s) "
                             f"{', '.join(fixed)}: constrain free parameters only (free them, or fix "
                             "every parameter the constraint names)")
        if not coef:
            raise ModelError(f"the constraint '{text}' (line {st.line}) "
                             + ("holds whatever the estimates (it is redundant); remove it"
                                if abs(const) < 1e-12 else "can never hold; correct it"))
        if len(coef) == 1:
            (lab, v), = coef.items()
            value = -const / v
            k = next(r["free"] for r in rows if r["label"] == lab)
            for r in rows:  # every row equal to it (an earlier 'a == b', a shared label) is fixed too
                if r["free"] == k:
                    r["free"], r["ustart"] = 0, float(value)
                    if r["label"]:
                        fixed_by_eq[r["label"]] = value
        elif len(coef) == 2 and const == 0.0 and sorted(coef.values()) == [-1.0, 1.0]:
            a, b = sorted(coef, key=names.index)
            keep = next(r["free"] for r in rows if r["label"] == a)
            drop = next(r["free"] for r in rows if r["label"] == b)
            for r in rows:
                if r["free"] == drop:
                    r["free"] = keep
        else:
            general.append((coef, const, names, text, st.line))
    mapping: dict = {}
    for r in rows:
        if r["free"] > 0:
            r["free"] = mapping.setdefault(r["free"], len(mapping) + 1)
    if not general:
        return None
    index = {r["label"]: r["free"] - 1 for r in rows if r["label"]}
    lin_rows = []
    for coef, const, names, text, line in general:
        by_free: dict = {}
        for lab, v in coef.items():
            if index[lab] < 0:
                raise ModelError(f"the constraint '{text}' (line {line}) involves the parameter {lab}, "
                                 "fixed by another constraint; write the constraints without it")
            by_free[index[lab]] = by_free.get(index[lab], 0.0) + v
        preferred = list(dict.fromkeys(index[lab] for lab in names if lab in coef))
        lin_rows.append((by_free, -const, preferred, text, line))
    return build_linear_map(len(mapping), lin_rows)
