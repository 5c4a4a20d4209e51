"""Table 2 of Akmal et al. (2022): how often clinical and traditional QIMs mentioned each code.

These are counts of interviewees who mentioned a theme in a qualitative
interview study (36 clinical, 20 traditional QIMs), not scores: the tests below
describe the coded sample and do not estimate a population difference in
competencies. :func:`theme_differences` gives, per code, each group's
proportion, the risk difference with Newcombe's hybrid-score interval, Fisher's
exact test and Benjamini–Hochberg adjusted p across the codes.

Disclosure control applies to the counts of interviewees who *mentioned* a code
(1 to ``min_cell - 1`` is suppressed with its row and left out of the BH
family). The complementary count (those who did not mention it, e.g. the one
traditional QIM of 20 who did not cite a code) is not suppressed by default:
Table 2 is published with these counts (``Disclosure.count_cell(...,
complement=True)`` applies the rule to both cells for unpublished tables).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from qimscale._core.result import Result
from qimscale.analysis.compare import p_adjust
from qimscale.analysis.disclosure import DEFAULT_MIN_CELL, Disclosure
from qimscale.errors import DataError

__all__ = ["ThemesResult", "newcombe_diff_ci", "theme_differences", "wilson_ci", "QUALITATIVE_NOTE"]

QUALITATIVE_NOTE = ("These are counts of interviewees who mentioned a theme in a qualitative interview study, not "
                    "scores: proportions and tests describe who raised a code in the interviews, not how much of a "
                    "competency either group has, and the sample was not drawn to estimate population rates.")

THEME_COLUMNS = ["theme", "subtheme", "code", "label", "clinical_x", "clinical_n", "clinical_prop",
                 "traditional_y", "traditional_n", "traditional_prop", "risk_difference", "rd_ci_lower",
                 "rd_ci_upper", "fisher_p", "p_adj", "suppressed"]


def wilson_ci(x: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (no continuity correction).

    Notes
    -----
    ``(2x + z² ± z sqrt(z² + 4 x (1 - x/n))) / (2 (n + z²))``; matches
    ``prop.test(x, n, correct = FALSE)$conf.int``.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA*, 22, 209–212. https://doi.org/10.1080/01621459.1927.10502953

    Examples
    --------
    >>> [round(float(v), 6) for v in wilson_ci(15, 36)]
    [0.271406, 0.577997]
    """
    z = _st.norm.ppf(0.5 + conf_level / 2.0)
    p = x / n
    centre = 2.0 * x + z * z
    half = z * math.sqrt(z * z + 4.0 * x * (1.0 - p))
    den = 2.0 * (n + z * z)
    return (centre - half) / den, (centre + half) / den


def newcombe_diff_ci(x1: int, n1: int, x2: int, n2: int, conf_level: float = 0.95) -> tuple[float, float, float]:
    """Risk difference ``x1/n1 - x2/n2`` with Newcombe's hybrid score interval (method 10).

    Returns
    -------
    tuple
        ``(difference, lower, upper)``.

    Notes
    -----
    With Wilson limits ``(l_i, u_i)`` of each proportion:
    ``L = d - sqrt((p1 - l1)² + (u2 - p2)²)``, ``U = d + sqrt((u1 - p1)² + (p2 - l2)²)``.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. *Statistics in
    Medicine*, 17, 873–890. https://doi.org/10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I

    Examples
    --------
    >>> [round(float(v), 6) for v in newcombe_diff_ci(56, 70, 48, 80)]  # Newcombe's example: 0.0524 to 0.3339
    [0.2, 0.052431, 0.333873]
    """
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_ci(x1, n1, conf_level)
    l2, u2 = wilson_ci(x2, n2, conf_level)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


@dataclass
class ThemesResult(Result):
    """Per-code proportions and tests; returned by :func:`theme_differences`.

    Attributes
    ----------
    codes : DataFrame
        :data:`THEME_COLUMNS`, one row per code in the table's order.
    min_cell : int
    notes, warnings : list of str
    """

    codes: pd.DataFrame
    min_cell: int = DEFAULT_MIN_CELL
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    title: str = "Table 2 codes: clinical vs traditional QIMs (counts of interviewees, not scores)"

    def tables(self) -> dict:
        return {"codes": self.codes}

    def to_dict(self) -> dict:
        d = Disclosure(self.min_cell)
        recs = []
        for r in d.records(self.codes):
            r["rd_ci"] = [r.pop("rd_ci_lower"), r.pop("rd_ci_upper")]
            recs.append(r)
        return {"codes": recs, "nature": QUALITATIVE_NOTE, "min_cell": self.min_cell, "adjust": "fdr_bh",
                "suppressed_text": d.text, "notes": list(self.notes), "warnings": list(self.warnings)}

    def summary(self) -> str:
        d = Disclosure(self.min_cell)
        t = self.codes.copy()
        t["clinical"] = [("" if pd.isna(x) else f"{int(x)}") + f"/{int(n)}" for x, n in zip(t.clinical_x, t.clinical_n)]
        t["traditional"] = [("" if pd.isna(x) else f"{int(x)}") + f"/{int(n)}"
                            for x, n in zip(t.traditional_y, t.traditional_n)]
        for i in np.flatnonzero(t.suppressed.to_numpy(dtype=bool)):
            for c in ("clinical", "traditional"):
                t.loc[t.index[i], c] = d.text
        show = t[["theme", "label", "clinical", "traditional", "risk_difference", "rd_ci_lower", "rd_ci_upper",
                  "fisher_p", "p_adj", "suppressed"]]
        out = [self.title, "NOTE: " + QUALITATIVE_NOTE, "", d.render(show).to_string(index=False)]
        out += [f"Note: {n}" for n in self.notes]
        return "\n".join(out)


def theme_differences(codes: Sequence[Mapping], n_clinical: int, n_traditional: int, *,
                      min_cell: int = DEFAULT_MIN_CELL, conf_level: float = 0.95) -> ThemesResult:
    """Compare how often the two groups mentioned each code (Table 2).

    Parameters
    ----------
    codes : sequence of mapping
        One entry per code with ``id``, ``theme``, ``label``, ``parent``
        (the sub-theme, or None), ``clinical`` and ``traditional`` counts
        (``traditional`` may be None when the source does not print it).
    n_clinical, n_traditional : int
        Group sizes (36 and 20 in the paper).
    min_cell : int
        A count of 1 to ``min_cell - 1`` interviewees is suppressed, with the
        row's statistics, and left out of the BH family; a group smaller than
        ``min_cell`` suppresses every row.
    conf_level : float

    Returns
    -------
    ThemesResult

    Raises
    ------
    DataError
        A count below 0 or above its group size.

    Notes
    -----
    Risk difference clinical minus traditional with :func:`newcombe_diff_ci`;
    two-sided Fisher exact test of the 2×2 table (``fisher.test``); ``p_adj``
    is ``p.adjust(p, "BH")`` over the codes that could be tested.

    Examples
    --------
    >>> res = theme_differences([{"id": "six_sigma", "theme": "expertise", "label": "Six Sigma",
    ...                           "clinical": 5, "traditional": 18}], 36, 20)
    >>> r = res.codes.iloc[0]
    >>> round(float(r.risk_difference), 4), bool(r.fisher_p < 1e-6)
    (-0.7611, True)
    """
    disc = Disclosure(min_cell)
    rows, notes = [], []
    small_group = disc.is_small(n_clinical) or disc.is_small(n_traditional)
    for c in codes:
        x, y = c.get("clinical"), c.get("traditional")
        for val, n, who in ((x, n_clinical, "clinical"), (y, n_traditional, "traditional")):
            if val is not None and not (0 <= int(val) <= n):
                raise DataError(f"code '{c['id']}': {who} count {val!r} is outside 0..{n}; correct the codes file")
        row = {"theme": c.get("theme"), "subtheme": c.get("parent"), "code": c["id"], "label": c.get("label"),
               "clinical_x": x, "clinical_n": n_clinical, "traditional_y": y, "traditional_n": n_traditional}
        hide = small_group or disc.count_cell(x) or disc.count_cell(y)
        if x is None or y is None:
            notes.append(f"code '{c['id']}': the source prints no {'clinical' if x is None else 'traditional'} "
                         "count, so it is not tested")
        if hide or x is None or y is None:
            row.update(clinical_prop=math.nan if hide or x is None else x / n_clinical,
                       traditional_prop=math.nan if hide or y is None else y / n_traditional,
                       risk_difference=math.nan, rd_ci_lower=math.nan, rd_ci_upper=math.nan, fisher_p=math.nan)
            if hide:
                row.update(clinical_x=None, traditional_y=None)
        else:
            d, lo, hi = newcombe_diff_ci(x, n_clinical, y, n_traditional, conf_level)
            p = _st.fisher_exact([[x, n_clinical - x], [y, n_traditional - y]]).pvalue
            row.update(clinical_prop=x / n_clinical, traditional_prop=y / n_traditional, risk_difference=d,
                       rd_ci_lower=lo, rd_ci_upper=hi, fisher_p=float(p))
        row["suppressed"] = bool(hide)
        rows.append(row)
    t = pd.DataFrame(rows)
    t["clinical_x"] = pd.to_numeric(t.clinical_x)
    t["traditional_y"] = pd.to_numeric(t.traditional_y)
    t["p_adj"] = p_adjust(t.fisher_p.to_numpy(dtype=float), "fdr_bh")
    if t.suppressed.any():
        notes.append(f"{int(t.suppressed.sum())} code(s) mentioned by 1 to {min_cell - 1} interviewees in a group: "
                     f"{disc.text}; left out of the BH family")
    return ThemesResult(codes=t[THEME_COLUMNS], min_cell=int(min_cell), notes=notes)
