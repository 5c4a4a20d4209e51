"""Comparison of a qimscale fit with lavaan's recorded answer, shared by the differential tests
(``test_sem_differential.py``, ``test_sem_differential_mixed.py``).

Tolerances of issue 12: fit measures 1e-4 relative (scaled/robust ones 2e-3), estimates and
``std.all`` 1e-4, SEs 1e-3 relative (floors 1 and 1e-3 for values near zero).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def close(a, b, rel, floor):
    """``|a - b| <= rel * max(|b|, floor)``."""
    return abs(a - b) <= rel * max(abs(b), floor)


def lavaan_differences(res, ref: dict, *, na_is_nan: bool = False) -> tuple[list, pd.DataFrame]:
    """Disagreements of ``res`` with lavaan's ``ref`` (``fit`` and ``estimates`` of one case).

    Returns the list of messages and the lavaan rows that ``res`` lacks. With ``na_is_nan`` a fit
    measure that lavaan reports as NA must be NaN in ``res`` too; otherwise it is skipped.
    """
    fm = res.fit_measures()
    bad = []
    for key, want in (ref.get("fit") or {}).items():
        k = key.replace(".", "_")
        got = fm.get(k)
        if want is None:
            if na_is_nan and got is not None and np.isfinite(got):
                bad.append(f"{k}: {got} vs lavaan NA")
            continue
        if got is None or not np.isfinite(got):
            continue
        tol = 2e-3 if ("scaled" in k or "robust" in k) else 1e-4
        if not close(float(got), float(want), tol, 1.0):
            bad.append(f"{k}: {got} vs lavaan {want}")
    pe = res.parameter_estimates()
    want = pd.DataFrame(ref["estimates"]).rename(columns={"std.all": "std_all_r"})
    want = want[~want.op.isin(["==", "<", ">"])]
    if res.partable_.ngroups == 1:
        want = want[want.op != "~*~"]
    want["rhs"] = np.where(want.op == ":=", want.rhs.str.replace(" ", ""), want.rhs)
    m = want.merge(pe, on=["lhs", "op", "rhs", "group"], suffixes=("_r", ""), how="left", indicator=True)
    missing = m[m._merge != "both"]
    for r in m[m._merge == "both"].itertuples():
        label = f"{r.lhs} {r.op} {r.rhs} (group {r.group})"
        if not close(r.est, r.est_r, 1e-4, 1.0):
            bad.append(f"est {label}: {r.est} vs {r.est_r}")
        if r.se_r is not None and np.isfinite(r.se_r) and r.se_r > 0 and not close(r.se, r.se_r, 1e-3, 1e-3):
            bad.append(f"se {label}: {r.se} vs {r.se_r}")
        sa = r.std_all_r
        if sa is not None and not (isinstance(sa, float) and math.isnan(sa)) and not close(r.std_all, sa, 1e-4, 1.0):
            bad.append(f"std.all {label}: {r.std_all} vs {sa}")
    return bad, missing


def unflagged(fit, ref: dict, label: str) -> str | None:
    """None when ``fit()`` (a case lavaan stopped or warned on) ends in a clean qimscale error or
    carries a warning; else the message saying that it fitted silently."""
    from qimscale.errors import QimscaleError

    try:
        res = fit()
    except QimscaleError:
        return None
    if res.warnings_:
        return None
    return f"{label}: lavaan {ref['status']} ({ref['error'] or ref['warnings']}) but qimscale fitted without a warning"


def fit_wlsmv_case(spec: dict, data: pd.DataFrame):
    """Fit one WLSMV case (``spec`` of a ``*_cases.json``, ``data`` with its ``case`` column) with
    ``qimscale.analysis.cfa.sem``, turning numpy's raw RuntimeWarnings into errors."""
    import warnings

    from qimscale.analysis.cfa import sem

    d = data.loc[data.case == spec["case"], spec["columns"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # numpy's raw warnings must not escape
        warnings.filterwarnings("ignore", category=UserWarning)
        return sem(spec["model"], d, estimator="WLSMV", missing=spec["missing"], ordered=spec["ordered"],
                   group=spec["group"], group_equal=spec["group_equal"] or (), std_lv=spec["std_lv"])
