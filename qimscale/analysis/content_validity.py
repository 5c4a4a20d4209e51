"""Content validity from expert ratings: I-CVI, S-CVI, modified kappa and Lawshe's CVR.

Two designs:

- **Relevance ratings** (Lynn 1986; Polit & Beck 2006): each expert rates each item's
  relevance on a 4-point scale (1 not relevant … 4 highly relevant); 3 and 4 count as
  relevant. ``I-CVI`` is the share of experts rating an item relevant; ``S-CVI/Ave`` the
  mean I-CVI; ``S-CVI/UA`` the share of items every expert rates relevant. The modified
  kappa (Polit, Beck & Owen 2007) corrects I-CVI for chance agreement:
  ``Pc = C(N, A) 0.5^N`` and ``kappa* = (I-CVI - Pc) / (1 - Pc)`` with ``A`` experts of
  ``N`` agreeing.
- **Essential ratings** (Lawshe 1975): each expert rates an item essential, useful but
  not essential, or not necessary; ``CVR = (n_e - N/2) / (N/2)`` with ``n_e`` experts
  rating it essential. The critical value is exact (Ayre & Scally 2014): the smallest
  ``n_e`` whose one-sided binomial probability ``P(X >= n_e | N, 1/2)`` is below .05.

References
----------
Lynn MR. Determination and quantification of content validity. Nurs Res. 1986;35:382-385.
Polit DF, Beck CT. The content validity index: are you sure you know what's being reported?
Res Nurs Health. 2006;29:489-497. doi:10.1002/nur.20147
Polit DF, Beck CT, Owen SV. Is the CVI an acceptable indicator of content validity?
Res Nurs Health. 2007;30:459-467. doi:10.1002/nur.20199
Lawshe CH. A quantitative approach to content validity. Pers Psychol. 1975;28:563-575.
Ayre C, Scally AJ. Critical values for Lawshe's content validity ratio. Meas Eval Couns Dev.
2014;47:79-86. doi:10.1177/0748175613513808
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale._core.checks import cell_error
from qimscale._core.result import Result
from qimscale.errors import DataError

#: columns of the ratings template (``qimscale instrument export --format ratings``) that describe the item
#: and are not experts
DESCRIPTION_COLUMNS = ("scale", "domain", "text")

LAWSHE_LABELS = {"essential": 3, "useful": 2, "useful but not essential": 2, "not necessary": 1,
                 "not essential": 1}


def chance_agreement(n_experts: int, n_agree: int) -> float:
    """Probability that ``n_agree`` of ``n_experts`` rate an item relevant by chance:
    ``C(N, A) * 0.5**N`` (Polit, Beck & Owen 2007).

    >>> round(chance_agreement(6, 5), 3)
    0.094
    """
    return math.comb(n_experts, n_agree) * 0.5 ** n_experts


def modified_kappa(i_cvi: float, n_experts: int) -> float:
    """kappa* = (I-CVI - Pc) / (1 - Pc), Pc from :func:`chance_agreement`.

    >>> round(modified_kappa(5 / 6, 6), 2)
    0.82
    """
    a = int(round(i_cvi * n_experts))
    pc = chance_agreement(n_experts, a)
    return (i_cvi - pc) / (1 - pc)


def kappa_verdict(kappa: float) -> str:
    """Polit, Beck & Owen (2007), after Cicchetti & Sparrow (1981) and Fleiss (1981):
    > .74 excellent, .60-.74 good, .40-.59 fair, < .40 poor."""
    if kappa > 0.74:
        return "excellent"
    if kappa >= 0.60:
        return "good"
    if kappa >= 0.40:
        return "fair"
    return "poor"


def i_cvi_threshold(n_experts: int) -> float:
    """Lynn (1986): I-CVI must be 1.00 with 3-5 experts and at least .78 with 6 or more."""
    return 1.0 if n_experts <= 5 else 0.78


def lawshe_critical(n_experts: int, alpha: float = 0.05) -> tuple[int, float]:
    """Exact critical number of 'essential' ratings and critical CVR (Ayre & Scally 2014).

    The smallest ``n_e`` with ``P(X >= n_e) < alpha`` for ``X ~ Binomial(N, 1/2)``; with too few
    experts for any ``n_e`` to reach it, ``(N + 1, nan)``.

    >>> lawshe_critical(8), lawshe_critical(10)
    ((7, 0.75), (9, 0.8))
    """
    n = int(n_experts)
    tail = 0.0
    crit = n + 1
    for k in range(n, -1, -1):
        tail += math.comb(n, k) * 0.5 ** n
        if tail < alpha:
            crit = k
        else:
            break
    if crit > n:
        return crit, float("nan")
    return crit, (crit - n / 2) / (n / 2)


@dataclass
class ContentValidityResult(Result):
    """Per-item content validity and the scale-level indices.

    ``items`` columns: ``item, n_experts, n_relevant, i_cvi, pc, kappa_star, verdict`` (relevance
    design) or ``item, n_experts, n_essential, cvr, cvr_critical, verdict`` (Lawshe design).
    """

    title = "Content validity"
    items: pd.DataFrame
    n_experts: int
    design: str
    s_cvi_ave: float | None = None
    s_cvi_ua: float | None = None
    criterion: str = ""
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        out = {"design": self.design, "n_experts": self.n_experts, "criterion": self.criterion,
               "items": self.items.to_dict(orient="records"), "warnings": list(self.warnings)}
        if self.design == "relevance":
            out.update({"s_cvi_ave": self.s_cvi_ave, "s_cvi_ua": self.s_cvi_ua})
        return out

    def tables(self) -> dict:
        return {"items": self.items}

    @property
    def to_revise(self) -> list:
        return self.items.loc[self.items["revise"], "item"].tolist()


def _ratings(data: pd.DataFrame, item_col: str, source: str, allowed: set, labels: dict | None):
    if item_col not in data.columns:
        raise DataError(f"{source}: no '{item_col}' column; the ratings table needs an '{item_col}' column and one "
                        "column per expert")
    experts = [c for c in data.columns if c != item_col and str(c).strip().lower() not in DESCRIPTION_COLUMNS]
    if not experts:
        raise DataError(f"{source}: no expert columns beside '{item_col}'")
    items = data[item_col].astype(str)
    dup = items[items.duplicated()].unique()
    if len(dup):
        raise DataError(f"{source}: item {dup[0]!r} is listed more than once")
    R = np.full((len(data), len(experts)), np.nan)
    for j, e in enumerate(experts):
        for i, v in enumerate(data[e].tolist()):
            if v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()):
                continue
            if labels is not None and isinstance(v, str) and v.strip().lower() in labels:
                R[i, j] = labels[v.strip().lower()]
                continue
            try:
                x = float(v)
            except (TypeError, ValueError):
                x = float("nan")
            if x not in allowed:
                raise cell_error("is not a rating", row=i, column=e, value=v, source=source,
                                 fix=f"Ratings are {', '.join(str(int(a)) for a in sorted(allowed))}"
                                     + (", or essential / useful / not necessary" if labels else "")
                                     + "; correct the cell or leave it empty.")
            R[i, j] = x
    return items.tolist(), experts, R


def _rated(ratings: np.ndarray, item, n_experts: int, source: str, warnings: list, uses: str):
    """Which experts rated ``item`` and how many; an item nobody rated is an error, blanks a warning."""
    rated = ~np.isnan(ratings)
    n = int(rated.sum())
    if n == 0:
        raise DataError(f"{source}: item {item!r} has no ratings")
    if n < n_experts:
        warnings.append(f"item {item!r}: {n_experts - n} expert(s) left it blank; {uses} the {n} who rated it")
    return rated, n


def content_validity(data: pd.DataFrame, *, scale: int = 4, item_col: str = "item",
                     source: str = "ratings") -> ContentValidityResult:
    """I-CVI, modified kappa, S-CVI/Ave and S-CVI/UA from relevance ratings.

    Parameters
    ----------
    data : DataFrame
        An ``item`` column and one column per expert holding ratings ``1..scale``; the top two
        categories count as relevant (3 and 4 on the usual 4-point scale). The template's
        descriptive columns ``scale``, ``domain`` and ``text`` are not experts and are ignored.
    scale : int
        Number of rating categories (default 4).

    Returns
    -------
    ContentValidityResult

    Notes
    -----
    A blank rating is not counted (the item's ``n_experts`` is then smaller, and a warning
    names it); I-CVI and kappa* use the experts who rated the item. Closed forms; checked
    against the worked examples of Polit & Beck (2006) and Polit, Beck & Owen (2007).

    Examples
    --------
    >>> import pandas as pd
    >>> r = content_validity(pd.DataFrame({"item": ["a", "b"], "e1": [4, 2], "e2": [3, 4], "e3": [4, 3]}))
    >>> r.items[["item", "i_cvi"]].round(3).values.tolist()
    [['a', 1.0], ['b', 0.667]]
    """
    if scale < 2:
        raise DataError(f"--scale must be at least 2; got {scale}")
    items, experts, R = _ratings(data, item_col, source, {float(k) for k in range(1, scale + 1)}, None)
    relevant = R >= scale - 1
    rows, warnings = [], []
    for i, it in enumerate(items):
        rated, n = _rated(R[i], it, len(experts), source, warnings, "its indices use")
        a = int((relevant[i] & rated).sum())
        icvi = a / n
        pc = chance_agreement(n, a)
        kappa = (icvi - pc) / (1 - pc)
        ok = icvi >= i_cvi_threshold(n) - 1e-12
        rows.append({"item": it, "n_experts": n, "n_relevant": a, "i_cvi": icvi, "pc": pc, "kappa_star": kappa,
                     "verdict": kappa_verdict(kappa), "i_cvi_threshold": i_cvi_threshold(n),
                     "revise": bool(not ok)})
    t = pd.DataFrame(rows)
    complete = ~np.isnan(R).any(axis=1)
    ua = float(np.mean([relevant[i][~np.isnan(R[i])].all() for i in range(len(items))]))
    return ContentValidityResult(items=t, n_experts=len(experts), design="relevance", s_cvi_ave=float(t["i_cvi"].mean()),
                                 s_cvi_ua=ua, warnings=warnings,
                                 criterion="I-CVI ≥ .78 with 6+ experts, 1.00 with 3-5 (Lynn 1986); S-CVI/Ave ≥ .90 "
                                           "(Polit & Beck 2006); kappa* > .74 excellent (Polit, Beck & Owen 2007)"
                                 + ("" if complete.all() else "; blank ratings not counted"))


def lawshe_cvr(data: pd.DataFrame, *, item_col: str = "item", alpha: float = 0.05,
               source: str = "ratings") -> ContentValidityResult:
    """Lawshe's content validity ratio per item with its exact critical value.

    Ratings: 3 (or ``essential``), 2 (``useful``), 1 (``not necessary``).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"item": ["a"], **{f"e{k}": ["essential"] for k in range(7)}, "e7": ["useful"]})
    >>> r = lawshe_cvr(d)
    >>> r.items[["cvr", "cvr_critical"]].values.tolist()
    [[0.75, 0.75]]
    """
    items, experts, R = _ratings(data, item_col, source, {1.0, 2.0, 3.0}, LAWSHE_LABELS)
    rows, warnings = [], []
    for i, it in enumerate(items):
        rated, n = _rated(R[i], it, len(experts), source, warnings, "CVR uses")
        ne = int((R[i][rated] == 3).sum())
        cvr = (ne - n / 2) / (n / 2)
        crit_n, crit = lawshe_critical(n, alpha)
        keep = bool(ne >= crit_n)
        rows.append({"item": it, "n_experts": n, "n_essential": ne, "cvr": cvr, "cvr_critical": crit,
                     "verdict": "retain" if keep else ("revise" if cvr > 0 else "drop"), "revise": not keep})
    if len(experts) < 5:
        warnings.append(f"{len(experts)} experts: no number of 'essential' ratings reaches p < {alpha:g}, so no item "
                        "can pass Lawshe's criterion (Ayre & Scally 2014 need at least 5)")
    return ContentValidityResult(items=pd.DataFrame(rows), n_experts=len(experts), design="lawshe",
                                 warnings=warnings,
                                 criterion=f"CVR at or above its exact critical value (one-sided binomial p < "
                                           f"{alpha:g}; Ayre & Scally 2014)")
