"""Latent mean comparison through the CFA engine, refused unless scalar invariance holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale._core.result import Result
from qimscale.analysis.compare.checks import _check_column, _group_codes
from qimscale.analysis.disclosure import DEFAULT_MIN_CELL, Disclosure, check_not_identifier
from qimscale.errors import DataError, ModelError

__all__ = ["LatentCompareResult", "latent_mean_comparison"]


@dataclass
class LatentCompareResult(Result):
    """Latent mean differences under (at least) scalar invariance; see :func:`latent_mean_comparison`.

    Attributes
    ----------
    group : str
    level : str
        The highest invariance level held (``scalar`` or ``strict``).
    latent_means : DataFrame
        ``level, group, reference_group, factor, est, se, z, pvalue, std_all``.
    levels : DataFrame
        The invariance table the decision rests on.
    """

    group: str
    level: str
    latent_means: pd.DataFrame
    levels: pd.DataFrame
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    title: str = "Latent mean comparison"

    def tables(self) -> dict:
        return {"latent_means": self.latent_means, "invariance": self.levels}

    def to_dict(self) -> dict:
        return {"group": self.group, "invariance_level": self.level,
                "latent_means": self.latent_means.to_dict(orient="records"),
                "invariance": self.levels.to_dict(orient="records"), "notes": list(self.notes),
                "warnings": list(self.warnings)}


def latent_mean_comparison(model: str, data: pd.DataFrame, group: str, *, estimator: str | None = None,
                           ordered=None, min_cell: int = DEFAULT_MIN_CELL, identifiers: Sequence[str] = (),
                           criteria: str = "chen2007") -> LatentCompareResult:
    """Compare factor means across groups, only where scalar invariance holds.

    Parameters
    ----------
    model : str
        lavaan syntax of the measurement model.
    data : DataFrame
    group : str
    estimator, ordered, criteria
        Passed to :func:`qimscale.analysis.cfa.measurement_invariance`.
    min_cell : int
        Groups with fewer respondents are left out before fitting (disclosure).
    identifiers : sequence of str

    Returns
    -------
    LatentCompareResult

    Raises
    ------
    ModelError
        Scalar invariance does not hold (the message names the highest level
        reached): latent means are not comparable.

    Notes
    -----
    The scalar model (equal loadings and intercepts/thresholds) frees the
    latent means of groups 2.. with group 1 fixed at 0, as
    ``lavaan::cfa(model, group = g, group.equal = c("loadings", "intercepts"))``.
    """
    from qimscale.analysis.cfa import measurement_invariance

    disc = Disclosure(min_cell)
    check_not_identifier([group], identifiers, role="group")
    _check_column(data, group, "group")
    codes, labels = _group_codes(data, group)
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    kept = [lab for lab, c in zip(labels, counts) if not disc.is_small(c)]
    notes = []
    if len(kept) < len(labels):
        notes.append(f"group(s) {', '.join(repr(lab) for lab in labels if lab not in kept)}: {disc.text}; left "
                     "out of the latent model")
    if len(kept) < 2:
        raise DataError(f"group column '{group}': fewer than two groups have {min_cell} or more respondents; "
                        "latent means cannot be compared without disclosing a small group")
    sub = data[np.isin(codes, [i for i, lab in enumerate(labels) if lab in kept])]
    inv = measurement_invariance(model, sub, group=group, estimator=estimator, ordered=ordered, criteria=criteria)
    level = inv.highest_level_held
    if level not in ("scalar", "strict"):
        raise ModelError(f"latent means of '{group}' are not comparable: the highest invariance level held is "
                         f"'{level or 'none'}', and comparing factor means needs scalar invariance (equal "
                         "loadings and intercepts); run 'qimscale invariance' to see which level fails and "
                         "compare observed scale scores instead, or fit a partial-invariance model")
    lm = inv.latent_means
    return LatentCompareResult(group=group, level=level, latent_means=lm, levels=inv.levels, notes=notes)
