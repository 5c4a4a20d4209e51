"""Group comparisons of several variables: :func:`compare_groups` and :class:`CompareResult`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale._core.result import Result
from qimscale.analysis.compare.adjust import ADJUST_METHODS, p_adjust
from qimscale.analysis.compare.assumptions import _levene, _shapiro
from qimscale.analysis.compare.checks import _check_column, _check_constant, _check_numeric, _group_codes
from qimscale.analysis.compare.k_groups import _Groups, eta_sq_ci, kruskal_wallis, oneway_anova, welch_anova
from qimscale.analysis.compare.posthoc import _dunn_cols, _finish_studentized, _games_howell_parts, _tukey_parts
from qimscale.analysis.compare.two_groups import hedges_g, mann_whitney, rank_biserial, t_test
from qimscale.analysis.disclosure import DEFAULT_MIN_CELL, Disclosure, check_not_identifier
from qimscale.errors import DataError

__all__ = ["COMPARISON_COLUMNS", "POSTHOC_COLUMNS", "DESCRIPTIVE_COLUMNS", "ASSUMPTION_COLUMNS", "CompareResult",
           "compare_groups"]


COMPARISON_COLUMNS = ["variable", "test", "groups_compared", "n", "statistic", "df", "df2", "p", "p_adj",
                      "estimate", "estimate_ci_lower", "estimate_ci_upper", "effect", "effect_size",
                      "effect_ci_lower", "effect_ci_upper", "omega_sq", "suppressed"]
POSTHOC_COLUMNS = ["variable", "test", "group1", "group2", "diff", "se", "statistic", "df", "p", "p_adj",
                   "ci_lower", "ci_upper", "suppressed"]
DESCRIPTIVE_COLUMNS = ["variable", "group", "n", "mean", "sd", "median", "suppressed"]
ASSUMPTION_COLUMNS = ["variable", "check", "group", "statistic", "df", "df2", "p", "suppressed"]

_NAN = math.nan
_TEXT_COLS = {"variable", "test", "group1", "group2"}
#: comparison columns left out of the printed table (they are in the JSON)
_TEXT_HIDDEN = {"groups_compared", "estimate", "estimate_ci_lower", "estimate_ci_upper"}


@dataclass
class CompareResult(Result):
    """Group comparisons of several variables; returned by :func:`compare_groups`.

    Attributes
    ----------
    group : str
        The grouping column.
    groups : DataFrame
        ``group, n`` (rows with a value of the grouping column), ``suppressed``.
    variables : list of str
    adjust : str
    min_cell : int
    comparisons : DataFrame
        :data:`COMPARISON_COLUMNS`: one row per variable and test.
    descriptives, posthoc, assumptions : DataFrame
        Per group ``n, mean, sd, median``; post hoc pairs; Shapiro–Wilk per
        group, Levene and Brown–Forsythe.
    notes, warnings : list of str
    """

    group: str
    groups: pd.DataFrame
    variables: list
    adjust: str
    min_cell: int
    comparisons: pd.DataFrame
    descriptives: pd.DataFrame
    posthoc: pd.DataFrame
    assumptions: pd.DataFrame
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    title: str = "Group comparisons"

    def tables(self) -> dict:
        return {"groups": self.groups, "comparisons": self.comparisons, "descriptives": self.descriptives,
                "posthoc": self.posthoc, "assumptions": self.assumptions}

    def to_dict(self) -> dict:
        d = Disclosure(self.min_cell)
        comps = []
        for rec in d.records(self.comparisons):
            rec["effect_ci"] = [rec.pop("effect_ci_lower"), rec.pop("effect_ci_upper")]
            rec["estimate_ci"] = [rec.pop("estimate_ci_lower"), rec.pop("estimate_ci_upper")]
            comps.append(rec)
        return {"group": self.group, "groups": d.records(self.groups), "variables": list(self.variables),
                "adjust": self.adjust, "min_cell": self.min_cell, "suppressed_text": d.text,
                "comparisons": comps, "descriptives": d.records(self.descriptives),
                "posthoc": d.records(self.posthoc), "assumptions": d.records(self.assumptions),
                "notes": list(self.notes), "warnings": list(self.warnings)}

    def summary(self) -> str:
        d = Disclosure(self.min_cell)
        parts = [f"{self.title} by '{self.group}' (p_adj: {self.adjust} across {len(self.variables)} "
                 f"variable(s); cells with n < {self.min_cell} suppressed)"]
        shown = dict(self.tables())
        shown["comparisons"] = self.comparisons[[c for c in COMPARISON_COLUMNS if c not in _TEXT_HIDDEN]]
        for name, table in shown.items():
            if len(table):
                parts.append(f"\n{name}\n{d.render(table).to_string(index=False)}")
        parts += [f"Note: {n}" for n in self.notes]
        return "\n".join(parts)


def compare_groups(data: pd.DataFrame, group: str, variables: Sequence[str], *, adjust: str = "holm",
                   min_cell: int = DEFAULT_MIN_CELL, conf_level: float = 0.95, posthoc: bool = True,
                   identifiers: Sequence[str] = ()) -> CompareResult:
    """Compare groups on each variable with every test of its kind, effect sizes and checks.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    group : str
        Grouping column (any labels; levels sorted as R's ``factor``).
    variables : sequence of str
        Numeric outcome columns (for example scale scores from ``qimscale score``).
    adjust : {"holm", "fdr_bh", "bonferroni", "none"}
        Multiple-testing adjustment of each omnibus test's p across the
        variables (``p_adj``), and of Dunn's pairs within a variable.
    min_cell : int
        Disclosure threshold: a group with fewer values of a variable is left
        out of that variable's statistics and shown as suppressed.
    conf_level : float
        Level of every interval.
    posthoc : bool
        Compute the pairwise tests when more than two groups are compared.
    identifiers : sequence of str
        Identifier columns: naming one as group or variable is an error.

    Returns
    -------
    CompareResult

    Raises
    ------
    DataError
        A missing or identifier column, a non-numeric variable (row and value
        named), a grouping column with one level, a constant outcome.

    Notes
    -----
    Tests per variable, all reported: two groups, ``welch_t`` and
    ``student_t`` (both with Hedges' g, :func:`hedges_g`) and ``mann_whitney``
    (rank-biserial r); more groups, ``welch_anova`` (ω² from F), ``anova``
    (η², ω²) and ``kruskal`` (ε²), then Games–Howell, Tukey HSD and Dunn.
    Missing values are left out per variable (counted in ``notes``).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"g": np.repeat(["a", "b"], 20), "y": rng.normal(size=40)})
    >>> res = compare_groups(df, "g", ["y"])
    >>> res.comparisons.test.tolist()
    ['welch_t', 'student_t', 'mann_whitney']
    """
    if adjust not in ADJUST_METHODS:
        raise DataError(f"adjust must be one of {', '.join(ADJUST_METHODS)}; got {adjust!r}")
    disc = Disclosure(min_cell)
    variables = list(dict.fromkeys(variables))
    if not variables:
        raise DataError("no variables to compare; give --vars (or score the data with qimscale score first)")
    check_not_identifier([group], identifiers, role="group")
    check_not_identifier(variables, identifiers)
    _check_column(data, group, "group")
    for v in variables:
        _check_column(data, v, "variable")
        if v == group:
            raise DataError(f"column '{v}' is the group column; it cannot also be compared")
        _check_numeric(data, v)
    codes, labels = _group_codes(data, group)
    notes, warns = [], []
    if len(labels) > 10:
        warns.append(f"group column '{group}' has {len(labels)} levels; check that it is a grouping variable "
                     "and not a score or an identifier")
    no_group = int((codes < 0).sum())
    if no_group:
        notes.append(f"{no_group} row(s) without a value of '{group}' were left out")
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    group_tab = pd.DataFrame({"group": labels, "n": counts.astype(float)})
    small = [disc.is_small(c) for c in counts]
    group_tab = disc.mask(group_tab, small, ["n"])
    if any(small):
        notes.append(f"group(s) {', '.join(repr(lab) for lab, s in zip(labels, small) if s)} have fewer than "
                     f"{min_cell} respondents: {disc.text}; they take no part in any statistic")

    comp_rows, desc_rows, post_cols, assum_rows, studentized = [], [], [], [], []
    k_all = len(labels)
    for v in variables:
        y = data[v].to_numpy(dtype=float, na_value=np.nan)
        has = (codes >= 0) & ~np.isnan(y)
        cnt = np.bincount(codes[has], minlength=k_all)
        kept = [i for i in range(k_all) if not small[i] and not disc.is_small(cnt[i])]
        n_missing = int(sum(counts[i] - cnt[i] for i in kept))
        if n_missing:
            notes.append(f"'{v}': {n_missing} missing value(s) in the compared groups were left out")
        dropped = [labels[i] for i in range(k_all) if not small[i] and i not in kept]
        if dropped:
            notes.append(f"'{v}': group(s) {', '.join(map(repr, dropped))} have fewer than {min_cell} values: "
                         f"{disc.text}; left out of this variable's statistics")
        in_kept = np.zeros(k_all + 1, dtype=bool)  # the last slot answers code -1 (no group)
        in_kept[kept] = True
        sel = has & in_kept[codes]
        ys, cs = y[sel], codes[sel]
        gs = _Groups(ys[np.lexsort((ys, cs))], cnt[kept]) if kept else _Groups(np.zeros(0), [])
        gn, gm, gv = gs.moments
        pos = {i: j for j, i in enumerate(kept)}
        for i in range(k_all):
            j = pos.get(i)
            desc_rows.append({"variable": v, "group": labels[i], "n": _NAN if j is None else gn[j],
                              "mean": _NAN if j is None else gm[j], "sd": _NAN if j is None else math.sqrt(gv[j]),
                              "median": _NAN if j is None else gs.medians[j], "suppressed": j is None})
        glabels = [labels[i] for i in kept]
        two = (len(kept) == 2) if len(kept) >= 2 else (k_all == 2)
        tests = ("welch_t", "student_t", "mann_whitney") if two else ("welch_anova", "anova", "kruskal")
        if len(kept) < 2:
            for t in tests:
                comp_rows.append(_row(v, t, glabels, _NAN, suppressed=True))
            warns.append(f"'{v}': fewer than two groups have {min_cell} or more values, so every statistic "
                         f"of this variable is {disc.text}")
            continue
        _check_constant(v, gs.values)
        for i, x in zip(kept, gs):
            if x[-1] == x[0]:
                warns.append(f"'{v}': every value in group '{labels[i]}' is {x[0]:g} (no variance); Welch "
                             "tests and Games-Howell are undefined for it")
        nn = float(gs.values.size)
        if two:
            a, b = gs
            g = hedges_g(a, b, conf_level=conf_level)
            for t, eq in (("welch_t", False), ("student_t", True)):
                r = t_test(a, b, equal_var=eq, conf_level=conf_level)
                comp_rows.append(_row(v, t, glabels, nn, statistic=r["statistic"], df=r["df"], p=r["p"],
                                      estimate=r["estimate"], estimate_ci_lower=r["ci_lower"],
                                      estimate_ci_upper=r["ci_upper"], effect="hedges_g", effect_size=g["g"],
                                      effect_ci_lower=g["ci_lower"], effect_ci_upper=g["ci_upper"]))
            mw = mann_whitney(a, b)
            rb = rank_biserial(a, b, conf_level=conf_level)
            comp_rows.append(_row(v, "mann_whitney", glabels, nn, statistic=mw["statistic"], p=mw["p"],
                                  effect="rank_biserial", effect_size=rb["r"], effect_ci_lower=rb["ci_lower"],
                                  effect_ci_upper=rb["ci_upper"]))
        else:
            w = welch_anova(gs)
            comp_rows.append(_row(v, "welch_anova", glabels, nn, statistic=w["statistic"], df=w["df"],
                                  df2=w["df2"], p=w["p"], effect="omega_sq", effect_size=w["omega_sq"]))
            a = oneway_anova(gs)
            elo, ehi = eta_sq_ci(a["statistic"], a["df"], a["df2"], conf_level)
            comp_rows.append(_row(v, "anova", glabels, nn, statistic=a["statistic"], df=a["df"], df2=a["df2"],
                                  p=a["p"], effect="eta_sq", effect_size=a["eta_sq"], effect_ci_lower=elo,
                                  effect_ci_upper=ehi, omega_sq=a["omega_sq"]))
            kw = kruskal_wallis(gs)
            comp_rows.append(_row(v, "kruskal", glabels, nn, statistic=kw["statistic"], df=kw["df"], p=kw["p"],
                                  effect="epsilon_sq", effect_size=kw["epsilon_sq"]))
            if posthoc:
                for part, name in ((_games_howell_parts(gs, glabels), "games_howell"),
                                   (_tukey_parts(gs, glabels), "tukey_hsd")):
                    part.cols.update(variable=[v] * part.q.size, test=[name] * part.q.size)
                    studentized.append(part)  # p and intervals filled in after the loop, in one batch
                    post_cols.append(part.cols)
                dn = _dunn_cols(gs, glabels, adjust)
                dn.update(variable=[v] * len(dn["p"]), test=["dunn"] * len(dn["p"]))
                post_cols.append(dn)
        for i, x in zip(kept, gs):
            wst, wp = _shapiro(x)
            assum_rows.append({"variable": v, "check": "shapiro_wilk", "group": labels[i], "statistic": wst,
                               "df": _NAN, "df2": _NAN, "p": wp, "suppressed": False})
        for check, center in (("levene", "mean"), ("brown_forsythe", "median")):
            r = _levene(gs, center)
            assum_rows.append({"variable": v, "check": check, "group": None, "suppressed": False, **r})

    for t in dict.fromkeys(r["test"] for r in comp_rows):  # each test's family: the variables
        fam = [r for r in comp_rows if r["test"] == t]
        for r, pa in zip(fam, p_adjust([r["p"] for r in fam], adjust)):
            r["p_adj"] = float(pa)
    comps = pd.DataFrame(comp_rows, columns=COMPARISON_COLUMNS)
    if studentized:
        _finish_studentized(studentized, conf_level)
        for part in studentized:
            part.cols["p_adj"] = part.cols["p"]  # Tukey and Games-Howell p are adjusted for the pairs already
    post = pd.DataFrame({c: np.concatenate([np.asarray(pc[c], dtype=object if c in _TEXT_COLS else float)
                                            for pc in post_cols]) if post_cols else []
                         for c in POSTHOC_COLUMNS if c != "suppressed"}).assign(suppressed=False)
    for c in POSTHOC_COLUMNS:
        if c not in _TEXT_COLS and c != "suppressed":
            post[c] = post[c].astype(float)
    return CompareResult(group=group, groups=group_tab, variables=variables, adjust=adjust, min_cell=int(min_cell),
                         comparisons=comps, descriptives=pd.DataFrame(desc_rows, columns=DESCRIPTIVE_COLUMNS),
                         posthoc=post, assumptions=pd.DataFrame(assum_rows, columns=ASSUMPTION_COLUMNS),
                         notes=notes, warnings=warns)


def _row(variable, test, glabels, n, *, suppressed=False, **values) -> dict:
    row = dict.fromkeys(COMPARISON_COLUMNS, _NAN)
    row.update(variable=variable, test=test, groups_compared=", ".join(glabels), n=n, effect=None,
               suppressed=suppressed)
    row.update(values)
    return row
