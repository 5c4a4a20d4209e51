"""Comparison of a qimscale fit with lavaan's recorded answer, shared by the CFA/SEM tests in
``tests/analysis/cfa/`` and ``tests/analysis/cfa/wlsmv/`` (pytest's ``pythonpath`` in
``pyproject.toml`` makes it importable from both).

Two styles, both with the tolerances of issue 12 (fit measures 1e-4 relative, scaled/robust ones
2e-3, estimates and ``std.all`` 1e-4, SEs 1e-3 relative):

- the differential tests (many generated cases) collect every disagreement as a message with
  :func:`lavaan_differences` (relative with floors 1 and 1e-3 for values near zero);
- the reference tests of one R script compare fit measures with ``pytest.approx``
  (:func:`assert_fit_measures`) and estimates with ``numpy.testing.assert_allclose`` semantics
  (:func:`assert_estimates`); their messages name the case and every disagreeing row;
- the ordinal invariance levels against semTools::measEq.syntax fits (:func:`assert_fit_matches`,
  :func:`assert_estimates_match`, :func:`assert_lrt_matches`, with their own tolerances).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

#: ``tests/reference``: R scripts and the JSON/CSV they write
REF_DIR = Path(__file__).resolve().parents[2] / "reference"
#: the columns that identify a row of lavaan's ``parameterEstimates()``
KEYS = ["lhs", "op", "rhs", "group"]
#: :func:`assert_estimates` checks of the WLSMV reference tests: (column, lavaan's column, rtol, atol);
#: rtol 1e-7 is ``numpy.testing.assert_allclose``'s default, kept where only ``atol`` was given
ESTIMATE_CHECKS = (("est", "est_r", 1e-7, 1e-4), ("se", "se_r", 1e-3, 1e-6),
                   ("std_lv", "std.lv", 1e-7, 1e-4), ("std_all", "std.all", 1e-7, 1e-4))


def load_reference(name: str) -> tuple[dict, pd.DataFrame]:
    """lavaan's answers ``tests/reference/<name>.json`` and the data ``tests/reference/data/<name>.csv``."""
    return json.loads((REF_DIR / f"{name}.json").read_text()), pd.read_csv(REF_DIR / "data" / f"{name}.csv")


def load_differential(name: str, ref_dir: Path = REF_DIR) -> tuple[dict, dict, pd.DataFrame]:
    """The cases of a differential test by case id: the generator's specs (``<name>_cases.json``),
    lavaan's answers (``<name>.json``) and the data (``data/<name>.csv``) in ``ref_dir``."""

    def by_case(path):
        return {c["case"]: c for c in json.loads(path.read_text())["cases"]}

    return (by_case(ref_dir / f"{name}_cases.json"), by_case(ref_dir / f"{name}.json"),
            pd.read_csv(ref_dir / "data" / f"{name}.csv"))


def close(a, b, rel, floor):
    """``|a - b| <= rel * max(|b|, floor)``."""
    return abs(a - b) <= rel * max(abs(b), floor)


def _row_label(r) -> str:
    return f"{r.lhs} {r.op} {r.rhs} (group {r.group})"


def lavaan_estimates(ref: dict, *, single_group: bool) -> pd.DataFrame:
    """lavaan's ``parameterEstimates()`` rows of ``ref`` as qimscale lists them: ``:=`` right-hand
    sides without spaces and, for one group, without the fixed scale factors (``~*~``, 1) that
    lavaan lists and qimscale does not."""
    want = pd.DataFrame(ref["estimates"])
    want["rhs"] = np.where(want.op == ":=", want.rhs.str.replace(" ", ""), want.rhs)
    return want[want.op != "~*~"] if single_group else want


def merge_estimates(want: pd.DataFrame, pe: pd.DataFrame, *, unordered_covariances: bool = False,
                    how: str = "left") -> pd.DataFrame:
    """lavaan's rows ``want`` (columns suffixed ``_r``) joined with qimscale's ``pe`` on (lhs, op,
    rhs, group), with ``_merge`` telling which rows are not in both (``how="left"``: which lavaan
    rows qimscale lacks; ``"outer"``: also which rows lavaan lacks). With
    ``unordered_covariances`` a covariance is matched as an unordered pair (lavaan writes
    ``c1 ~~ y1`` as ``y1 ~~ c1``); both tables then list it as ``min ~~ max``."""
    if unordered_covariances:
        want, pe = want.copy(), pe.copy()
        for df in (want, pe):
            swap = (df.op == "~~") & (df.lhs > df.rhs)
            df.loc[swap, ["lhs", "rhs"]] = df.loc[swap, ["rhs", "lhs"]].to_numpy()
    return want.merge(pe, on=KEYS, suffixes=("_r", ""), how=how, indicator=True)


def assert_fit_measures(res, ref_fit: dict, case: str, *, exact=("npar", "df", "baseline_df", "ntotal"),
                        scaled=("scal",)) -> None:
    """Every fit measure of lavaan's ``ref_fit`` against ``res.fit_measures()``: counts in ``exact``
    equal, measures whose name contains one of ``scaled`` within 2e-3 relative or 1e-4 absolute, the
    others within 1e-4 relative or 1e-6 absolute (``pytest.approx``: the larger of the two)."""
    fm = res.fit_measures()
    bad = []
    for key, want in ref_fit.items():
        k = key.replace(".", "_")
        got = fm[k]
        if k in exact:
            ok = got == want
        elif any(s in k for s in scaled):
            ok = got == pytest.approx(want, rel=2e-3, abs=1e-4)
        else:
            ok = got == pytest.approx(want, rel=1e-4, abs=1e-6)
        if not ok:
            bad.append(f"{k}: {got} vs lavaan {want}")
    assert not bad, f"case {case}: fit measures differ from lavaan's\n" + "\n".join(bad)


def assert_estimates(m: pd.DataFrame, case: str, checks) -> None:
    """Columns of the merged table ``m`` (:func:`merge_estimates`) against lavaan's: every row in
    both tables, and for each ``(column, lavaan column, rtol, atol)`` of ``checks``
    ``numpy.testing.assert_allclose`` semantics (``|got - want| <= atol + rtol * |want|``, NaN
    equal to NaN). The message names the case and every disagreeing row."""
    lacking = m[m._merge != "both"]
    assert lacking.empty, f"case {case}: rows not in both (left_only: lavaan's)\n{lacking[[*KEYS, '_merge']]}"
    bad = []
    for col, ref_col, rtol, atol in checks:
        got, want = m[col].to_numpy(float), m[ref_col].to_numpy(float)
        off = ~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
        bad += [f"{col} {_row_label(r)}: {g} vs lavaan {w}"
                for r, g, w in zip(m[off].itertuples(), got[off], want[off])]
    assert not bad, f"case {case}: {len(bad)} values differ from lavaan's\n" + "\n".join(bad[:30])


def assert_r_squared(res, ref_r2: list, case: str) -> None:
    """``res.r_squared()`` against lavaan's ``inspect(fit, "r2")`` (``ref_r2``: one dict per group):
    the same variables, each within 1e-4 absolute; lavaan's NA (a negative residual variance) must
    be NaN."""
    r2 = res.r_squared()
    for g, want in enumerate(ref_r2, start=1):
        got = r2[r2.group == g].set_index("variable").r2
        where = f"case {case}, group {g}"
        assert set(got.index) == set(want), f"{where}: R² of {sorted(got.index)}, lavaan's of {sorted(want)}"
        for v, val in want.items():
            if val is None:
                assert np.isnan(got[v]), f"{where}, {v}: R² {got[v]} vs lavaan NA"
            else:
                assert got[v] == pytest.approx(val, abs=1e-4), f"{where}, {v}: R² {got[v]} vs lavaan {val}"


#: invariance levels against semTools::measEq.syntax fits (:func:`assert_fit_matches`): counts
#: equal, the chi-square 1e-5 relative, scaled measures 1e-3 relative, the others 1e-4 absolute
MEASEQ_EXACT = ("npar", "df", "df_scaled")
MEASEQ_REL = ("chisq",)
MEASEQ_SCALED = ("chisq_scaled", "pvalue_scaled", "chisq_scaling_factor", "cfi_scaled", "tli_scaled", "rmsea_scaled")


def assert_fit_matches(fm, ref, label: str) -> None:
    """fit_measures() ``fm`` of a WLSMV fit against lavaan's fitMeasures ``ref`` (tolerances of
    :data:`MEASEQ_EXACT`, :data:`MEASEQ_REL`, :data:`MEASEQ_SCALED`); ``label`` names the case."""
    for key, want in ref.items():
        k = key.replace(".", "_")
        if k in MEASEQ_EXACT:
            assert fm[k] == want, f"{label}: {k}"
        elif k in MEASEQ_REL:
            assert fm[k] == pytest.approx(want, rel=1e-5), f"{label}: {k}"
        elif k in MEASEQ_SCALED:
            assert fm[k] == pytest.approx(want, rel=1e-3, abs=1e-4), f"{label}: {k}"
        else:
            assert fm[k] == pytest.approx(want, abs=1e-4), f"{label}: {k}"


def assert_estimates_match(pe, ref, label: str) -> None:
    """Every row of parameter_estimates() ``pe`` against parameterEstimates ``ref`` and back (est
    and se within 1e-4 absolute); ``label`` names the case."""
    m = merge_estimates(pd.DataFrame(ref), pe, how="outer")
    assert_estimates(m, label, (("est", "est_r", 1e-7, 1e-4), ("se", "se_r", 1e-7, 1e-4)))


def assert_lrt_matches(row, lrt, label: str) -> None:
    """A row of InvarianceResult.levels against lavTestLRT (scaled-shifted difference)."""
    assert row["df_diff"] == lrt["df_diff"], label
    assert row["chisq_diff"] == pytest.approx(lrt["chisq_diff"], rel=1e-3, abs=1e-6), label
    if lrt["p"] is not None:
        assert row["chisq_diff_p"] == pytest.approx(lrt["p"], rel=1e-3, abs=1e-6), label

def lavaan_differences(res, ref: dict, *, na_is_nan: bool = False, scaled=("scaled", "robust"),
                       std_lv: bool = False) -> tuple[list, pd.DataFrame]:
    """Disagreements of ``res`` with lavaan's ``ref`` (``fit`` and ``estimates`` of one case).

    Returns the list of messages and the lavaan rows that ``res`` lacks. With ``na_is_nan`` a fit
    measure that lavaan reports as NA must be NaN in ``res`` too; otherwise it is skipped. Fit
    measures whose name contains one of ``scaled`` are compared at 2e-3, the others at 1e-4. With
    ``std_lv`` the ``std.lv`` column is compared too (1e-4, as ``std.all``).
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
        tol = 2e-3 if any(s in k for s in scaled) else 1e-4
        if not close(float(got), float(want), tol, 1.0):
            bad.append(f"{k}: {got} vs lavaan {want}")
    want = lavaan_estimates(ref, single_group=res.partable_.ngroups == 1)
    want = want[~want.op.isin(["==", "<", ">"])].rename(columns={"std.all": "std_all_r", "std.lv": "std_lv_r"})
    m = merge_estimates(want, res.parameter_estimates())
    missing = m[m._merge != "both"]
    standardized = (("std_all", "std.all"), ("std_lv", "std.lv")) if std_lv else (("std_all", "std.all"),)
    for r in m[m._merge == "both"].itertuples():
        label = _row_label(r)
        if not close(r.est, r.est_r, 1e-4, 1.0):
            bad.append(f"est {label}: {r.est} vs {r.est_r}")
        if r.se_r is not None and np.isfinite(r.se_r) and r.se_r > 0 and not close(r.se, r.se_r, 1e-3, 1e-3):
            bad.append(f"se {label}: {r.se} vs {r.se_r}")
        for col, name in standardized:
            got, sa = getattr(r, col), getattr(r, col + "_r")
            if sa is not None and not (isinstance(sa, float) and math.isnan(sa)) and not close(got, sa, 1e-4, 1.0):
                bad.append(f"{name} {label}: {got} vs {sa}")
    return bad, missing


def assert_lavaan_agrees(res, ref: dict, label: str, **options) -> None:
    """No disagreement of ``res`` with lavaan's ``ref`` (:func:`lavaan_differences` with ``options``):
    every lavaan row present, every compared value within tolerance; ``label`` names the case."""
    bad, missing = lavaan_differences(res, ref, **options)
    assert missing.empty, f"{label}: lavaan rows missing from qimscale's\n{missing[KEYS]}"
    more = f"\n(+{len(bad) - 15} more)" if len(bad) > 15 else ""
    assert not bad, f"{label}:\n" + "\n".join(bad[:15]) + more


def assert_flagged(fit, ref: dict, label: str) -> None:
    """``fit()``, a case lavaan stopped or warned on, ends in a clean qimscale error or carries a
    warning (:func:`unflagged`)."""
    msg = unflagged(fit, ref, label)
    assert msg is None, msg


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


def fit_case(spec: dict, data: pd.DataFrame, *, ordered, estimator: str = "WLSMV"):
    """Fit one generated case (``spec`` of a ``*_cases.json``, ``data`` with its ``case`` column) with
    ``qimscale.analysis.cfa.sem``, turning numpy's raw RuntimeWarnings into errors."""
    import warnings

    from qimscale.analysis.cfa import sem

    d = data.loc[data.case == spec["case"], spec["columns"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # numpy's raw warnings must not escape
        warnings.filterwarnings("ignore", category=UserWarning)
        return sem(spec["model"], d, estimator=estimator, missing=spec["missing"], ordered=ordered,
                   group=spec["group"], group_equal=spec["group_equal"] or (), std_lv=spec["std_lv"])


def fit_wlsmv_case(spec: dict, data: pd.DataFrame):
    """:func:`fit_case` under WLSMV with the case's own ``ordered`` list."""
    return fit_case(spec, data, ordered=spec["ordered"])
