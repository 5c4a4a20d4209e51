"""Item descriptives: the first table of a validation paper (:func:`item_descriptives`).

Per item (and per group): how many answered, how many said "not applicable",
how many left it blank, how the answers spread over the categories, floor and
ceiling effects, and the mean, SD, skew and kurtosis of the answers, as
``psych::describe`` computes them.

References
----------
Joanes, D. N., & Gill, C. A. (1998). Comparing measures of sample skewness and
kurtosis. *Journal of the Royal Statistical Society: Series D, 47*(1), 183-189.
https://doi.org/10.1111/1467-9884.00122

Terwee, C. B., Bot, S. D. M., de Boer, M. R., et al. (2007). Quality criteria
were proposed for measurement properties of health status questionnaires.
*Journal of Clinical Epidemiology, 60*(1), 34-42.
https://doi.org/10.1016/j.jclinepi.2006.03.012 (floor/ceiling effects: more than
15 % of respondents at the lowest or highest possible answer)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale._core.result import Result
from qimscale.errors import DataError

__all__ = ["ItemDescriptives", "item_descriptives", "skewness", "kurtosis", "FLOOR_CEILING_PCT"]

#: a floor or ceiling effect: more than this share (%) of answers at the lowest / highest possible code
FLOOR_CEILING_PCT = 15.0


def _moments(x):
    """``(n, m2, m3, m4)``: the number of non-missing values and their central moments 2 to 4."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return 0, 0.0, 0.0, 0.0
    d = x - x.mean()
    d2 = d * d
    return x.size, float(d2.mean()), float((d2 * d).mean()), float((d2 * d2).mean())


def _skew(n, m2, m3, type):  # noqa: A002
    if n < 3 or m2 <= 0:
        return float("nan")
    g1 = m3 / m2 ** 1.5
    if type == 1:
        return float(g1)
    if type == 2:
        return float(g1 * np.sqrt(n * (n - 1)) / (n - 2))
    if type == 3:
        return float(g1 * ((n - 1) / n) ** 1.5)
    raise ValueError(f"skew type must be 1, 2 or 3; got {type!r}")


def _kurt(n, m2, m4, type):  # noqa: A002
    if n < 4 or m2 <= 0:
        return float("nan")
    g2 = m4 / m2 ** 2 - 3.0
    if type == 1:
        return float(g2)
    if type == 2:
        return float(((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3)))
    if type == 3:
        return float((g2 + 3.0) * (1 - 1 / n) ** 2 - 3.0)
    raise ValueError(f"kurtosis type must be 1, 2 or 3; got {type!r}")


def skewness(x: np.ndarray, type: int = 3) -> float:  # noqa: A002 - psych's argument name
    """Sample skewness of the non-missing values, as ``psych::skew(x, type=type)``.

    Type 1: :math:`g_1 = m_3 / m_2^{3/2}`; type 2: :math:`G_1 = g_1 \\sqrt{n(n-1)}/(n-2)`
    (SAS, SPSS); type 3 (psych's default): :math:`b_1 = m_3 / s^3 = g_1 ((n-1)/n)^{3/2}`,
    with :math:`m_r` the r-th central moment and :math:`s` the SD with :math:`n - 1`.

    >>> round(skewness(np.array([1, 2, 2, 3, 5.0])), 6)  # R: psych::skew(c(1, 2, 2, 3, 5))
    0.536678
    """
    n, m2, m3, _ = _moments(x)
    return _skew(n, m2, m3, type)


def kurtosis(x: np.ndarray, type: int = 3) -> float:  # noqa: A002 - psych's argument name
    """Sample excess kurtosis of the non-missing values, as ``psych::kurtosi(x, type=type)``.

    Type 1: :math:`g_2 = m_4/m_2^2 - 3`; type 2:
    :math:`G_2 = ((n+1) g_2 + 6)(n-1)/((n-2)(n-3))`; type 3 (psych's default):
    :math:`b_2 = m_4/s^4 - 3 = (g_2 + 3)(1 - 1/n)^2 - 3`.

    >>> round(kurtosis(np.array([1, 2, 2, 3, 5.0])), 6)  # R: psych::kurtosi(c(1, 2, 2, 3, 5))
    -1.487108
    """
    n, m2, _, m4 = _moments(x)
    return _kurt(n, m2, m4, type)


@dataclass
class ItemDescriptives(Result):
    """Item descriptives (see :func:`item_descriptives`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per item (per group): ``item, group, n_rows, n, n_na, pct_na,
        n_missing, pct_missing, mean, sd, median, min, max, skew, kurtosis,
        floor_pct, ceiling_pct, floor_effect, ceiling_effect``.
    frequencies : pandas.DataFrame
        ``item, group, category, n, pct`` (percent of the answers, N/A and blanks excluded).
    skew_type : int
    range : dict
        Item -> ``(min, max)`` possible codes used for floor and ceiling.
    group : str or None
    warnings : list of str
    """

    table: pd.DataFrame
    frequencies: pd.DataFrame
    skew_type: int = 3
    range: dict = field(default_factory=dict)
    group: str | None = None
    warnings: list = field(default_factory=list)
    title: str = "Item descriptives"

    def tables(self) -> dict:
        return {"items": self.table, "frequencies": self.frequencies}

    def to_dict(self) -> dict:
        """``{"items": [...], "frequencies": [...], "skew_type", "group", "range", "warnings"}``."""
        def records(df):
            return df.astype(object).where(df.notna(), None).to_dict(orient="records")

        return {"items": records(self.table), "frequencies": records(self.frequencies),
                "skew_type": self.skew_type, "group": self.group,
                "range": {k: list(v) for k, v in self.range.items()},
                "floor_ceiling_cut_pct": FLOOR_CEILING_PCT, "warnings": list(self.warnings)}

    def summary(self) -> str:
        """Text table: one line per item, then the response frequencies (% of answers)."""
        cols = ["item"] + (["group"] if self.group else []) + [
            "n", "pct_na", "pct_missing", "mean", "sd", "skew", "kurtosis", "floor_pct", "ceiling_pct"]
        lines = [f"Item descriptives (skew and kurtosis: psych::describe type {self.skew_type}; "
                 f"floor/ceiling: % of answers at the lowest/highest possible code, "
                 f"> {FLOOR_CEILING_PCT:g} % marked *)"]
        t = self.table[cols].copy()
        for c, flag in (("floor_pct", "floor_effect"), ("ceiling_pct", "ceiling_effect")):
            t[c] = [f"{v:.1f}{'*' if f else ''}" if pd.notna(v) else "-"
                    for v, f in zip(self.table[c], self.table[flag])]
        lines.append(t.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        wide = self.frequencies.pivot_table(index=["item"] + (["group"] if self.group else []),
                                            columns="category", values="pct", sort=False)
        wide = wide.reindex(pd.unique(self.frequencies["item"]), level=0) if not self.group else wide
        lines.append("\nResponse frequencies (% of answers):")
        lines.append(wide.to_string(float_format=lambda v: f"{v:.1f}"))
        return "\n".join(lines)


def _category_name(v) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def item_descriptives(data: pd.DataFrame, items, *, group: str | None = None, na_codes=None, ranges=None,
                      skew_type: int = 3) -> ItemDescriptives:
    """Response frequencies, % N/A, % missing, floor/ceiling, mean, SD, skew and kurtosis per item.

    Parameters
    ----------
    data : pandas.DataFrame
        Answers as codes, one column per item.
    items : list of str
        Item columns.
    group : str, optional
        A column: the table is repeated for each of its values (blank values
        form no group; they are counted in a warning).
    na_codes : dict or number, optional
        The "not applicable" code of each item (``{item: code}``) or of all:
        such answers count as N/A, not as answers or missing (default: none).
    ranges : dict, optional
        ``{item: (min, max)}`` possible codes, for floor and ceiling (default:
        the lowest and highest code observed, said in a warning).
    skew_type : {1, 2, 3}
        ``psych::describe``'s ``type`` for skew and kurtosis (default 3, psych's).

    Returns
    -------
    ItemDescriptives

    Raises
    ------
    DataError
        A missing or non-numeric item column, or an answer outside the given range.

    Notes
    -----
    ``pct_na`` and ``pct_missing`` are percentages of all rows (of the group);
    frequencies, ``floor_pct`` and ``ceiling_pct`` percentages of the answers.
    ``mean``, ``sd`` (:math:`n - 1`), ``median``, ``skew`` and ``kurtosis``
    match ``psych::describe(x, type = skew_type)`` (``psych::describeBy`` per
    group) on the answers with N/A set missing -- except type-1 kurtosis,
    which matches ``psych::kurtosi`` on each item's answers: ``describe``'s
    data-frame form of type 1 counts the rows with a blank answer in
    :math:`n`.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 2, 5, 9, None], "b": [4, 4, 5, 5, 3, 2]})
    >>> res = item_descriptives(df, ["a", "b"], na_codes=9, ranges={"a": (1, 5), "b": (1, 5)})
    >>> res.table[["item", "n", "n_na", "n_missing", "mean", "ceiling_pct"]].round(2).to_dict("records")[0]
    {'item': 'a', 'n': 4, 'n_na': 1, 'n_missing': 1, 'mean': 2.5, 'ceiling_pct': 25.0}
    """
    items = [str(i) for i in items]
    absent = [i for i in items + ([group] if group else []) if i not in data.columns]
    if absent:
        raise DataError(f"column(s) {', '.join(map(repr, absent))} not found")
    if skew_type not in (1, 2, 3):
        raise DataError(f"skew type must be 1, 2 or 3; got {skew_type!r}")
    warnings: list[str] = []
    na = {i: (na_codes.get(i) if isinstance(na_codes, dict) else na_codes) for i in items}
    X = {}
    for it in items:
        col = data[it]
        if not (pd.api.types.is_numeric_dtype(col) or col.isna().all()):
            num = pd.to_numeric(col, errors="coerce")
            bad = num.isna() & col.notna()
            if bad.any():
                r = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataError(f"column '{it}' is not numeric: data row {r + 1} holds {col.iloc[r]!r}")
            col = num
        X[it] = col.to_numpy(dtype=float, na_value=np.nan)
    ranges = dict(ranges or {})
    observed = []
    for it in items:
        x = X[it]
        ans = x[~np.isnan(x) & (x != na[it] if na[it] is not None else True)]
        if it in ranges and ranges[it] is not None:
            lo, hi = ranges[it]
            out = np.flatnonzero(~np.isnan(x) & ((x < lo) | (x > hi)) & (x != na[it] if na[it] is not None else True))
            if out.size:
                raise DataError(f"column '{it}' data row {out[0] + 1} holds {x[out[0]]:g}, outside the response "
                                f"range {lo:g}-{hi:g}" + (f" (N/A code {na[it]:g})" if na[it] is not None else ""))
        elif ans.size:
            ranges[it] = (float(ans.min()), float(ans.max()))
            observed.append(it)
        else:
            ranges[it] = (np.nan, np.nan)
    if observed:
        warnings.append(f"no response range known for {', '.join(observed[:5])}{' ...' if len(observed) > 5 else ''}:"
                        " floor and ceiling are the lowest and highest codes observed")
    if group:
        g = data[group]
        if g.isna().any():
            warnings.append(f"{int(g.isna().sum())} row(s) without a value in the group column '{group}' are "
                            "left out of the per-group tables")
        labels = list(pd.unique(g.dropna()))
        groups = [(lab, (g == lab).to_numpy()) for lab in labels]
    else:
        groups = [(None, np.ones(len(data), dtype=bool))]
    rows, freq = [], []
    for lab, mask in groups:
        glab = None if lab is None else (lab.item() if isinstance(lab, np.generic) else lab)
        for it in items:
            x = X[it][mask]
            is_na = (x == na[it]) if na[it] is not None else np.zeros(x.size, dtype=bool)
            miss = np.isnan(x)
            ans = x[~miss & ~is_na]
            n_rows, n = int(x.size), int(ans.size)
            lo, hi = ranges[it]
            cats = np.arange(lo, hi + 1) if np.isfinite(lo) and float(lo).is_integer() and float(hi).is_integer() \
                and hi - lo <= 20 else np.unique(ans)
            cats = np.union1d(cats, np.unique(ans))
            for c in cats:
                k = int(np.sum(ans == c))
                freq.append({"item": it, "group": glab, "category": _category_name(c), "n": k,
                             "pct": 100.0 * k / n if n else np.nan})
            mom = _moments(ans)
            floor = 100.0 * np.mean(ans == lo) if n else np.nan
            ceil = 100.0 * np.mean(ans == hi) if n else np.nan
            rows.append({
                "item": it, "group": glab, "n_rows": n_rows, "n": n,
                "n_na": int(is_na.sum()), "pct_na": 100.0 * is_na.sum() / n_rows if n_rows else np.nan,
                "n_missing": int(miss.sum()), "pct_missing": 100.0 * miss.sum() / n_rows if n_rows else np.nan,
                "mean": float(ans.mean()) if n else np.nan,
                "sd": float(ans.std(ddof=1)) if n > 1 else np.nan,
                "median": float(np.median(ans)) if n else np.nan,
                "min": float(ans.min()) if n else np.nan, "max": float(ans.max()) if n else np.nan,
                "skew": _skew(n, mom[1], mom[2], skew_type), "kurtosis": _kurt(n, mom[1], mom[3], skew_type),
                "floor_pct": floor, "ceiling_pct": ceil,
                "floor_effect": bool(n and floor > FLOOR_CEILING_PCT),
                "ceiling_effect": bool(n and ceil > FLOOR_CEILING_PCT),
            })
            if n == 0:
                warnings.append(f"item '{it}'" + (f" in group '{glab}'" if glab is not None else "")
                                + " has no answers")
    table = pd.DataFrame(rows)
    frequencies = pd.DataFrame(freq, columns=["item", "group", "category", "n", "pct"])
    if not group:
        table = table.drop(columns="group")
        frequencies = frequencies.drop(columns="group")
    return ItemDescriptives(table, frequencies, skew_type, ranges, group, warnings)
