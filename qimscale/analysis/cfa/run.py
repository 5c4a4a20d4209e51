"""One call for a whole CFA/SEM run: category merges, the fit and an optional bootstrap.

:func:`run_cfa` is the library call behind ``qimscale cfa``: it returns a
:class:`CFARun` whose :meth:`~CFARun.to_dict` is the command's JSON and whose
:meth:`~CFARun.summary` is its text.
"""

from __future__ import annotations

import pandas as pd

from qimscale._core.result import Result
from qimscale.errors import ModelError

__all__ = ["CFARun", "run_cfa"]


class CFARun(Result):
    """A fitted CFA/SEM with what was done around the fit; returned by :func:`run_cfa`.

    Attributes
    ----------
    fit : CFAResult or WLSMVResult
        The fitted model.
    collapsed : dict
        The category merges applied before the fit, ``{item: {old: new}}`` (empty: none).
    bootstrap : pandas.DataFrame or None
        :meth:`CFAResult.bootstrap` percentile intervals, or None without a bootstrap.
    n_boot : int or None
        Replicates asked for.
    modindices : pandas.DataFrame or None
        The fit's :meth:`modification_indices` of at least the minimum asked for, or None
        when not asked for.
    mi_minimum : float or None
        The minimum asked for.
    """

    title = "Confirmatory factor analysis"

    def __init__(self, fit, collapsed=None, bootstrap=None, n_boot=None, modindices=None, mi_minimum=0.0):
        self.fit = fit
        self.collapsed = dict(collapsed or {})
        self.bootstrap = bootstrap
        self.n_boot = n_boot
        self.modindices = modindices
        self.mi_minimum = mi_minimum
        self._fit_dict = None

    def _fit_json(self) -> dict:
        # fit.to_dict() once: it may add a warning (reliability not computable) to the fit
        if self._fit_dict is None:
            self._fit_dict = self.fit.to_dict()
        return self._fit_dict

    @property
    def warnings(self) -> list[str]:
        """The merges applied (when any), then the fit's warnings."""
        from .ordinal_stage1 import category_label

        merged = ["categories merged as asked: " + "; ".join(  # in --collapse syntax: y4:1=2,5=4
            f"{item}:" + ",".join(f"{category_label(a)}={category_label(b)}" for a, b in m.items())
            for item, m in self.collapsed.items())] if self.collapsed else []
        return merged + list(self.fit.warnings_)

    def to_dict(self) -> dict:
        """``fit.to_dict()``, plus ``collapsed`` (``{item: {"old": new}}``) after merges and
        ``bootstrap`` (records of :attr:`bootstrap`) after a bootstrap: the ``qimscale cfa --json``
        object."""
        out = dict(self._fit_json())
        if self.collapsed:
            out["collapsed"] = {item: {str(k): v for k, v in m.items()} for item, m in self.collapsed.items()}
        if self.bootstrap is not None:
            out["bootstrap"] = self.bootstrap.to_dict(orient="records")
        if self.modindices is not None:
            out["modification_indices"] = self.modindices.to_dict(orient="records")
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        """The fit's tables, plus ``"bootstrap"`` after a bootstrap."""
        out = self.fit.tables()
        if self.bootstrap is not None:
            out["bootstrap"] = self.bootstrap.copy()
        if self.modindices is not None:
            out["modification_indices"] = self.modindices.copy()
        return out

    def summary(self) -> str:
        """The fit's summary, the bootstrap intervals and the reliability per factor (and group)."""
        lines = [self.fit.summary()]
        if self.bootstrap is not None:
            lines.append(f"\nBootstrap percentile CIs ({self.n_boot} replicates):")
            lines.append(self.bootstrap.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        out = self._fit_json()
        by_group = out.get("reliability_by_group") or ({None: out["reliability"]} if out["reliability"] else {})
        for label, rel in by_group.items():
            lines.append("\nReliability (compRelSEM omega, AVE)" + (f", group {label}:" if label is not None else ":"))
            for f, v in rel.items():
                lines.append(f"  {f:20s} omega = {v['omega']:.3f}  AVE = {v['ave']:.3f}")
        if self.modindices is not None:
            lines.append(f"\nModification indices (mi >= {self.mi_minimum:g}, largest first):")
            lines.append(self.modindices.to_string(index=False, float_format=lambda v: f"{v:.3f}")
                         if len(self.modindices) else "  none")
        return "\n".join(lines)


def run_cfa(data: pd.DataFrame, model: str, *, estimator: str | None = None, ordered=None,
            missing: str = "listwise", collapse: dict | None = None, group: str | None = None,
            group_equal=(), group_partial=(), std_lv: bool = False, n_boot: int | None = None, seed=None,
            progress=None, modindices: float | None = None) -> CFARun:
    """Merge categories (when asked), fit a CFA/SEM and bootstrap it (when asked).

    Matches ``lavaan::cfa(model, data, estimator=, missing=, group=, group.equal=,
    group.partial=, std.lv=, ordered=)`` (see :class:`~qimscale.analysis.cfa.CFA`) and,
    with ``n_boot``, ``parameterEstimates(..., boot.ci.type = "perc")`` of a bootstrap
    (see :meth:`~qimscale.analysis.cfa.results.CFAResult.bootstrap`).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per case; never modified.
    model : str
        lavaan model syntax.
    estimator, ordered, missing, group, group_equal, group_partial, std_lv
        As :class:`~qimscale.analysis.cfa.CFA`.
    collapse : dict, optional
        ``{item: {old: new}}`` category merges for ordinal items, applied to a copy of
        ``data`` before the fit (:func:`~qimscale.analysis.cfa.wlsmv.collapse_categories`)
        and reported in :attr:`CFARun.warnings` and ``to_dict()["collapsed"]``.
    n_boot : int, optional
        Bootstrap replicates (default: no bootstrap).
    seed : int, optional
        Seed of the bootstrap.
    progress : callable, optional
        ``progress(done, total)`` over the bootstrap replicates.
    modindices : float, optional
        List the modification indices of at least this value
        (:meth:`~qimscale.analysis.cfa.results.CFAResult.modification_indices`, ML/MLR, and
        :func:`~qimscale.analysis.cfa.modindices_wlsmv.wlsmv_modification_indices`, WLSMV;
        ``lavaan::modindices(fit, minimum.value = modindices)``); default: not computed.

    Returns
    -------
    CFARun

    Raises
    ------
    DataError
        As :meth:`CFA.fit`; a merge naming an item that is not a column.
    ModelError
        As :meth:`CFA.fit`; a bootstrap of a WLSMV fit (not available, said before fitting).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> d = pd.DataFrame(f @ np.full((1, 3), 0.8) + rng.normal(scale=0.6, size=(200, 3)), columns=["a", "b", "c"])
    >>> run = run_cfa(d, "F =~ a + b + c")
    >>> run.to_dict()["fit"]["df"]
    0
    """
    from .fit import CFA
    from .wlsmv import WLSMV_NO_BOOTSTRAP, collapse_categories

    wlsmv = (estimator or "").upper() == "WLSMV" or (estimator is None and bool(ordered))
    if n_boot and wlsmv:
        raise ModelError(WLSMV_NO_BOOTSTRAP)
    if collapse:
        data = collapse_categories(data, collapse)
    res = CFA(model, estimator=estimator, missing=missing, group=group, group_equal=group_equal,
              group_partial=group_partial, std_lv=std_lv, ordered=ordered).fit(data)
    boot = res.bootstrap(n_boot, seed=seed, progress=progress) if n_boot else None
    mi = None if modindices is None else res.modification_indices(minimum=modindices)
    return CFARun(res, collapse, boot, n_boot, mi, modindices)
