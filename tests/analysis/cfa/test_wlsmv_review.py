"""Independent review of the WLSMV engine against lavaan 0.6 (issue 12's last acceptance line).

Cases: ``tests/reference/wlsmv_review_gen.py`` (seeded, its own simulator; all-ordinal and mixed
ordered/continuous indicators, binary and 7-category items, 2-indicator factors, cross-loadings,
residual covariances, mediation with ``:=``, second-order factors, labels, ``==``, fixed values,
2-3 groups with ``group.equal``, pairwise gaps, small N, sparse categories and designed problem
cases). lavaan's answers: ``tests/reference/wlsmv_review.R`` (``sem(..., ordered =,
estimator = "WLSMV")``). Every case lavaan fits cleanly must agree (fit measures 1e-4 relative,
scaled ones 2e-3, estimates and ``std.all`` 1e-4, SEs 1e-3 relative); every case where lavaan stops
or warns must end in a clean qimscale error or carry a warning. No raw numpy warning may escape.
"""

from __future__ import annotations

import warnings

import pytest
from differential_compare import REF_DIR, assert_flagged, assert_lavaan_agrees, fit_wlsmv_case, load_differential

from qimscale.analysis.cfa import sem
from qimscale.errors import QimscaleError


SPEC, LAV, DATA = load_differential("wlsmv_review")
# disagreements whose cause is known and not fixed here (see the reasons)
XFAIL: dict[int, str] = {
}


def _param(ids):
    return [pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=XFAIL[k])) if k in XFAIL else k
            for k in ids]


CLEAN = _param([k for k, c in LAV.items() if c["status"] == "ok"])
FLAGGED = _param([k for k, c in LAV.items() if c["status"] != "ok"])


def _fit(case_id):
    return fit_wlsmv_case(SPEC[case_id], DATA)


def test_the_review_covers_what_it_claims():
    kinds = {c["kind"] for c in SPEC.values()}
    assert {"ord_cfa", "mixed_cfa", "mediation", "second", "constraints", "groups", "pairwise", "small"} <= kinds
    assert {c["style"] for c in SPEC.values()} >= {"binary", "seven", "mixcat"}
    assert len(CLEAN) >= 45 and len(SPEC) >= 70


@pytest.mark.parametrize("case_id", CLEAN)
def test_clean_lavaan_cases_agree(case_id):
    spec = SPEC[case_id]
    res = _fit(case_id)
    with warnings.catch_warnings():  # what the CLI renders must not fail nor print numpy's warnings
        warnings.simplefilter("error", RuntimeWarning)
        res.to_dict(), res.summary(), res.tables()
    assert_lavaan_agrees(res, LAV[case_id], f"case {case_id} ({spec['kind']})", na_is_nan=True)


@pytest.mark.parametrize("case_id", FLAGGED)
def test_lavaan_errors_and_warnings_are_flagged(case_id):
    assert_flagged(lambda: _fit(case_id), LAV[case_id], f"case {case_id} ({SPEC[case_id]['kind']})")


def test_a_continuous_column_declared_ordered_gives_short_messages():
    # found by the review: '--ordered all' on data with a continuous column listed its hundreds of
    # sparse "categories" in one warning line of several thousand characters
    c = SPEC[2]  # mixed: y2 is continuous (4 decimals)
    d = DATA.loc[DATA.case == 2, c["columns"]].dropna()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            sem(c["model"], d, estimator="WLSMV", ordered=list(d.columns))
        except QimscaleError as e:
            caught.append(warnings.WarningMessage(str(e), UserWarning, "", 0))
    msgs = [str(w.message) for w in caught]
    assert msgs and max(len(m) for m in msgs) < 400, max(msgs, key=len)[:500]


def test_an_undetermined_polychoric_is_warned():
    """Case 7: empty cells leave the y10-y13 likelihood flat up to the bound; lavaan is silent and
    stops at 0.855 by nlminb's relative-function-convergence rule, which qimscale now follows too
    (the case agrees), but qimscale also says that the value is arbitrary instead of hiding it."""
    spec = SPEC[7]
    d = DATA.loc[DATA.case == 7, spec["columns"]]
    with pytest.warns(UserWarning, match=r"'y13' and 'y10' is not determined by the data: empty cells"):
        sem(spec["model"], d, estimator="WLSMV", ordered=spec["ordered"], std_lv=True)
    clean = DATA.loc[DATA.case == 1, SPEC[1]["columns"]]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        sem(SPEC[1]["model"], clean, estimator="WLSMV", ordered=SPEC[1]["ordered"], std_lv=SPEC[1]["std_lv"],
            missing=SPEC[1]["missing"], group=SPEC[1]["group"], group_equal=SPEC[1]["group_equal"] or ())
    assert not [x for x in w if "not determined" in str(x.message)]


# Fresh batches of the generator (seeds 9001 and 9002, 162 cases) agreed with lavaan except for the
# cases below, fixed since and kept here with lavaan's answers (tests/reference/review_extra/,
# written by the same wlsmv_review.R). Case 36 of seed 9001 is not kept: there lavaan's nlminb stops
# 1.6e-6 above the minimum qimscale reaches (chi-square 74.4948210 vs 74.4948194), and a residual
# correlation of -1.21 (now warned as improper) magnifies the 7e-6 difference in estimates to 1e-4.
EXTRA_SPEC, EXTRA_LAV, EXTRA_DATA = load_differential("wlsmv_review", REF_DIR / "review_extra")


@pytest.mark.parametrize("case_id", sorted(EXTRA_SPEC))
def test_fixed_disagreements_of_fresh_batches_agree(case_id):
    assert EXTRA_LAV[case_id]["status"] == "ok"
    res = fit_wlsmv_case(EXTRA_SPEC[case_id], EXTRA_DATA)
    assert_lavaan_agrees(res, EXTRA_LAV[case_id], f"case {case_id}: {EXTRA_SPEC[case_id]['found']}", na_is_nan=True)
