"""Teams: within-team agreement and between-team reliability of scale scores, and QIM-type diversity.

:func:`team_aggregation` is the library call behind ``qimscale teams``. Before
scale scores are averaged to teams, the aggregation statistics say whether that
is defensible (Bliese 2000): ICC(1) (how much of a score's variance lies
between teams), ICC(2) (how reliable a team mean is) and rwg(j) (how closely
the members of each team agree, against a uniform null; James, Demaree & Wolf
1984). The Blau index of the QIM types in each team measures how mixed the
team is (the paper's question about traditional and clinical QIMs working
together).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from qimscale._core.result import Result
from qimscale.analysis.compare import _check_column, _check_numeric, _label
from qimscale.analysis.disclosure import DEFAULT_MIN_CELL, Disclosure, check_not_identifier
from qimscale.errors import DataError

__all__ = ["TeamsResult", "blau_index", "icc_aggregation", "rwg_j", "team_aggregation"]

AGGREGATION_COLUMNS = ["variable", "n_teams", "n", "mean_team_size", "icc1", "icc2", "f", "df1", "df2", "p",
                       "rwg_j_median", "n_teams_rwg_70", "n_items", "n_options"]


def blau_index(labels) -> float:
    """Blau's index of heterogeneity ``1 - Σ p_k²`` of category labels (missing ignored).

    References
    ----------
    Blau, P. M. (1977). *Inequality and heterogeneity*. Free Press.

    Examples
    --------
    >>> blau_index(["clinical"] * 3 + ["traditional"] * 3)
    0.5
    >>> blau_index(["clinical"] * 4)
    0.0
    """
    s = pd.Series(list(labels)).dropna()
    if s.empty:
        return math.nan
    p = s.value_counts(normalize=True).to_numpy()
    return float(1.0 - (p ** 2).sum())


def icc_aggregation(y, team_codes) -> dict:
    """ICC(1) and ICC(2) of a score nested in teams, from the one-way ANOVA (Bliese 2000).

    Parameters
    ----------
    y : array_like
        Scores (no missing values).
    team_codes : array_like of int
        Team of each score.

    Returns
    -------
    dict
        ``icc1, icc2, f, df1, df2, p, mean_team_size``.

    Notes
    -----
    ``ICC(1) = (MS_B - MS_W) / (MS_B + (k̄ - 1) MS_W)`` with ``k̄`` the mean team
    size; ``ICC(2) = (MS_B - MS_W) / MS_B``. Matches ``multilevel::ICC1`` and
    ``ICC2`` on ``aov(y ~ as.factor(team))``.

    References
    ----------
    Bliese, P. D. (2000). Within-group agreement, non-independence, and
    reliability. In K. J. Klein & S. W. J. Kozlowski (Eds.), *Multilevel theory,
    research, and methods in organizations* (pp. 349–381). Jossey-Bass.

    Examples
    --------
    >>> r = icc_aggregation([1., 2, 3, 4, 5, 6, 7, 9], [0, 0, 0, 1, 1, 1, 2, 2])
    >>> round(float(r["icc1"]), 6), round(float(r["icc2"]), 6)
    (0.866319, 0.945299)
    """
    y = np.asarray(y, float)
    codes = np.asarray(team_codes)
    _, inv = np.unique(codes, return_inverse=True)
    k = int(inv.max()) + 1
    n = np.bincount(inv, minlength=k).astype(float)
    s = np.bincount(inv, weights=y, minlength=k)
    m = s / n
    grand = y.mean()
    ssb = float((n * (m - grand) ** 2).sum())
    ssw = float(((y - m[inv]) ** 2).sum())
    df1, df2 = k - 1.0, y.size - k
    msb, msw = ssb / df1, ssw / df2
    kbar = float(n.mean())
    f = msb / msw if msw > 0 else math.nan
    return {"icc1": (msb - msw) / (msb + (kbar - 1.0) * msw), "icc2": (msb - msw) / msb if msb > 0 else math.nan,
            "f": f, "df1": df1, "df2": df2, "p": float(special.fdtrc(df1, df2, f)) if msw > 0 else math.nan,
            "mean_team_size": kbar}


def rwg_j(items, n_options: int) -> float:
    """Within-team agreement rwg(j) over ``J`` items against the uniform null.

    Parameters
    ----------
    items : array_like, shape (members, J)
        One team's item answers (rows with a missing answer are left out).
    n_options : int
        Number of response options ``A`` (5 for a 1–5 scale).

    Returns
    -------
    float
        NaN for fewer than two complete members.

    Notes
    -----
    ``rwg(j) = J (1 - s̄²/σ²_EU) / (J (1 - s̄²/σ²_EU) + s̄²/σ²_EU)`` with ``s̄²``
    the mean of the item variances and ``σ²_EU = (A² - 1) / 12``; set to 0 when
    ``s̄² >= σ²_EU`` (more disagreement than the uniform null; LeBreton & Senter
    2008). Matches ``multilevel::rwg.j(x, grpid, ranvar = (A^2 - 1)/12)``.

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). Estimating within-group
    interrater reliability with and without response bias. *Journal of Applied
    Psychology*, 69, 85–98. https://doi.org/10.1037/0021-9010.69.1.85

    Examples
    --------
    >>> round(rwg_j([[4, 4, 5], [4, 5, 5], [5, 4, 4]], 5), 6)
    0.9375
    """
    x = np.asarray(items, float)
    x = x[~np.isnan(x).any(axis=1)]
    if x.shape[0] < 2:
        return math.nan
    j = x.shape[1]
    ratio = float(x.var(axis=0, ddof=1).mean()) / ((n_options ** 2 - 1.0) / 12.0)
    if ratio >= 1.0:
        return 0.0
    return j * (1.0 - ratio) / (j * (1.0 - ratio) + ratio)


@dataclass
class TeamsResult(Result):
    """Per-team size, diversity and agreement, and the aggregation statistics; see :func:`team_aggregation`.

    Attributes
    ----------
    teams : DataFrame
        ``team, n, blau, suppressed`` and ``rwg_j:<variable>`` per variable.
    aggregation : DataFrame
        :data:`AGGREGATION_COLUMNS`, one row per variable.
    """

    team: str
    teams: pd.DataFrame
    aggregation: pd.DataFrame
    min_cell: int = DEFAULT_MIN_CELL
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    title: str = "Team aggregation"

    def tables(self) -> dict:
        return {"teams": self.teams, "aggregation": self.aggregation}

    def to_dict(self) -> dict:
        d = Disclosure(self.min_cell)
        recs = []
        for r in d.records(self.teams):
            r["rwg_j"] = {k.split(":", 1)[1]: r.pop(k) for k in list(r) if k.startswith("rwg_j:")}
            recs.append(r)
        return {"team_column": self.team, "teams": recs, "aggregation": d.records(self.aggregation),
                "min_cell": self.min_cell, "suppressed_text": d.text, "notes": list(self.notes),
                "warnings": list(self.warnings)}

    def summary(self) -> str:
        d = Disclosure(self.min_cell)
        return "\n".join([f"{self.title} by '{self.team}' (teams with n < {self.min_cell} suppressed)", "",
                          "aggregation", d.render(self.aggregation).to_string(index=False), "", "teams",
                          d.render(self.teams).to_string(index=False)] + [f"Note: {n}" for n in self.notes])


def team_aggregation(data: pd.DataFrame, team: str, variables: Sequence[str], *,
                     items: Mapping[str, Sequence[str]] | None = None, n_options: Mapping[str, int] | None = None,
                     type_col: str | None = None, min_cell: int = DEFAULT_MIN_CELL,
                     identifiers: Sequence[str] = (), pseudonymise: bool = False) -> TeamsResult:
    """Per-team n, Blau index and rwg(j); ICC(1), ICC(2) and rwg(j) summaries per variable.

    Parameters
    ----------
    data : DataFrame
    team : str
        Team column (it may be an identifier such as ``team_id``: it groups
        rows, and with ``pseudonymise`` its values are replaced by ``team 1,
        team 2, ...`` in sorted order).
    variables : sequence of str
        Numeric scores (scale scores) for ICC(1)/ICC(2).
    items : mapping, optional
        ``{variable: [item columns]}`` for rwg(j); a variable without items
        gets rwg(j) over the score itself (J = 1) when ``n_options`` is known.
    n_options : mapping, optional
        ``{variable: A}``, the number of response options of its items.
    type_col : str, optional
        QIM type column for the Blau index.
    min_cell : int
        Teams with fewer members are suppressed and left out of every statistic.
    identifiers : sequence of str
    pseudonymise : bool

    Returns
    -------
    TeamsResult

    Raises
    ------
    DataError
        Missing or non-numeric columns; fewer than two teams left to compare.

    Notes
    -----
    ``n_teams_rwg_70`` counts the teams with rwg(j) >= .70, the usual
    threshold for aggregating (LeBreton & Senter 2008); ``rwg_j_median`` is
    their median.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame({"team": np.repeat(["a", "b", "c", "d"], 6), "qim_type": rng.integers(1, 3, 24),
    ...                    "i1": rng.integers(3, 6, 24), "i2": rng.integers(3, 6, 24)})
    >>> df["score"] = df[["i1", "i2"]].mean(axis=1)
    >>> res = team_aggregation(df, "team", ["score"], items={"score": ["i1", "i2"]}, n_options={"score": 5},
    ...                        type_col="qim_type")
    >>> list(res.aggregation.columns[:6])
    ['variable', 'n_teams', 'n', 'mean_team_size', 'icc1', 'icc2']
    """
    disc = Disclosure(min_cell)
    items = dict(items or {})
    n_options = dict(n_options or {})
    check_not_identifier(list(variables) + [c for v in variables for c in items.get(v, [])]
                         + ([type_col] if type_col else []), identifiers)
    _check_column(data, team, "team")
    for v in variables:
        _check_column(data, v, "variable")
        _check_numeric(data, v, "teams needs numeric scores")
        for it in items.get(v, []):
            _check_column(data, it, "item")
            _check_numeric(data, it, "rwg(j) needs numeric item answers", "leave its scale out of --vars")
    if type_col:
        _check_column(data, type_col, "type")
    tcol = data[team]
    labels = sorted(tcol.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
    codes = pd.Categorical(tcol, categories=labels).codes
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    kept = np.array([not disc.is_small(c) for c in counts])
    shown = [f"team {i + 1}" for i in range(len(labels))] if pseudonymise else [_label(v) for v in labels]
    notes = []
    if pseudonymise:
        notes.append(f"'{team}' is an identifier column: teams are shown as 'team 1', 'team 2', ... (sorted order)")
    if (codes < 0).any():
        notes.append(f"{int((codes < 0).sum())} row(s) without a team were left out")
    if (~kept).any():
        notes.append(f"{int((~kept).sum())} team(s) with fewer than {min_cell} members: {disc.text}; left out of "
                     "every statistic (lower --min-cell only if the teams agreed to be identifiable)")
    if kept.sum() < 2:
        raise DataError(f"team column '{team}': fewer than two teams have {min_cell} or more members, so nothing "
                        "can be aggregated without disclosing a small team; check the column or lower --min-cell")
    rows = []
    for i in range(len(labels)):
        sel = codes == i
        rows.append({"team": shown[i], "n": float(counts[i]),
                     "blau": blau_index(data.loc[sel, type_col]) if type_col else math.nan})
    tab = pd.DataFrame(rows)
    agg = []
    in_kept = (codes >= 0) & kept[np.maximum(codes, 0)]
    for v in variables:
        y = data[v].to_numpy(dtype=float, na_value=np.nan)
        ok = in_kept & ~np.isnan(y)
        rec = {"variable": v, "n_teams": float(len(np.unique(codes[ok]))), "n": float(ok.sum())}
        if len(np.unique(codes[ok])) >= 2 and ok.sum() > len(np.unique(codes[ok])):
            rec.update(icc_aggregation(y[ok], codes[ok]))
        its = list(items.get(v) or [v])
        a = n_options.get(v)
        rw = np.full(len(labels), np.nan)
        if a:
            x = data[its].to_numpy(dtype=float, na_value=np.nan)
            for i in np.flatnonzero(kept):
                rw[i] = rwg_j(x[codes == i], a)
        tab[f"rwg_j:{v}"] = rw
        good = rw[kept & ~np.isnan(rw)]
        rec.update(rwg_j_median=float(np.median(good)) if good.size else math.nan,
                   n_teams_rwg_70=float((good >= 0.70).sum()) if a else math.nan,
                   n_items=float(len(its)) if a else math.nan, n_options=float(a) if a else math.nan)
        if not a:
            notes.append(f"'{v}': the number of response options is unknown, so rwg(j) is not computed")
        agg.append(rec)
    aggregation = pd.DataFrame(agg).reindex(columns=AGGREGATION_COLUMNS)
    tab = disc.mask(tab, ~kept, [c for c in tab.columns if c != "team"])
    return TeamsResult(team=team, teams=tab, aggregation=aggregation.assign(suppressed=False),
                       min_cell=int(min_cell), notes=notes)
