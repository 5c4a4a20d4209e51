"""Confidentiality: a group of 3 never appears with its statistics in any output (table, JSON, figure)
and cannot be recovered by subtraction; identifier columns never reach an output.

"Cannot be recovered" is tested in its strongest form: every output is *identical* whatever values the
small group's members have, and whatever its size below the threshold (2, 3 or 4 members). No
function of the outputs, subtraction included, can then reveal anything about them.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.analysis.compare import compare_groups
from qimscale.analysis.disclosure import Disclosure, drop_identifiers
from qimscale.analysis.teams import team_aggregation
from qimscale.analysis.themes import theme_differences
from qimscale.cli import main
from qimscale.errors import DataError

SMALL = "rural"


def make(small_n=3, seed=0, small_seed=99, k_big=2):
    rng = np.random.default_rng(seed)
    sizes = {"metro": 22, "regional": 17, "district": 12}
    big = list(sizes)[:k_big]
    parts = []
    for g in big:
        n = sizes[g]
        parts.append(pd.DataFrame({"qim_id": [f"{g}{i}" for i in range(n)], "org_type": g,
                                   "lead_systems": rng.normal(3.2, 0.6, n).round(2),
                                   "ip_approachability": rng.normal(3.5, 0.5, n).round(2)}))
    srng = np.random.default_rng(small_seed)
    parts.append(pd.DataFrame({"qim_id": [f"s{i}" for i in range(small_n)], "org_type": SMALL,
                               "lead_systems": srng.normal(1.0, 2.0, small_n).round(2),
                               "ip_approachability": srng.normal(4.9, 0.1, small_n).round(2)}))
    return pd.concat(parts, ignore_index=True)


VARS = ["lead_systems", "ip_approachability"]


def _numbers(obj):
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _numbers(v)]
    if isinstance(obj, (list, tuple)):
        return [x for v in obj for x in _numbers(v)]
    return [float(obj)] if isinstance(obj, (int, float)) and not isinstance(obj, bool) else []


def js(res):
    return json.dumps(res.to_dict(), default=str, sort_keys=True)


@pytest.mark.parametrize("k_big", [1, 2, 3])
def test_outputs_do_not_depend_on_the_small_group(k_big):
    base = compare_groups(make(3, k_big=k_big), "org_type", VARS)
    for small_n, small_seed in [(3, 1), (3, 2), (2, 5), (4, 7)]:
        other = compare_groups(make(small_n, small_seed=small_seed, k_big=k_big), "org_type", VARS)
        assert js(other) == js(base)
        assert other.summary() == base.summary()


def test_small_group_statistics_never_printed():
    df = make(3)
    res = compare_groups(df, "org_type", VARS)
    small = df[df.org_type == SMALL]
    d = res.to_dict()
    for rec in d["descriptives"] + d["groups"]:
        if rec["group"] == SMALL:
            assert rec["suppressed"] is True
            assert all(rec[k] is None for k in ("n", "mean", "sd", "median") if k in rec)
    numbers = np.array(_numbers(d))
    for v in VARS:
        for stat in (small[v].mean(), small[v].std(), small[v].median()):
            assert f"{stat:.3f}" not in res.summary()
            assert not np.any(np.isclose(numbers, stat, rtol=1e-12, atol=0))
    assert "suppressed (n < 5)" in res.summary()
    assert all(SMALL not in rec["groups_compared"] for rec in d["comparisons"])


def test_two_groups_one_suppressed_suppresses_every_test():
    res = compare_groups(make(3, k_big=1), "org_type", VARS)
    d = res.to_dict()
    assert {r["test"] for r in d["comparisons"]} == {"welch_t", "student_t", "mann_whitney"}
    for r in d["comparisons"]:
        assert r["suppressed"] is True
        assert r["statistic"] is None and r["p"] is None and r["p_adj"] is None and r["effect_ci"] == [None, None]
    assert res.warnings


def test_three_groups_one_suppressed_compares_the_other_two():
    res = compare_groups(make(3, k_big=2), "org_type", VARS)
    assert set(res.comparisons.test) == {"welch_t", "student_t", "mann_whitney"}
    assert not res.comparisons.suppressed.any()
    assert set(res.comparisons.n) == {39.0}  # 22 + 17: the small group is not in any total


def test_group_small_for_one_variable_only():
    df = make(3, k_big=3)
    df.loc[df.org_type == "district", "lead_systems"] = np.nan  # district: 12 rows, 0 values of lead_systems
    df.loc[df.index[df.org_type == "district"][:3], "lead_systems"] = [1.0, 2.0, 3.0]
    res = compare_groups(df, "org_type", VARS)
    desc = res.descriptives.set_index(["variable", "group"])
    assert desc.loc[("lead_systems", "district"), "suppressed"]
    assert not desc.loc[("ip_approachability", "district"), "suppressed"]
    ls = res.comparisons[res.comparisons.variable == "lead_systems"]
    assert set(ls.test) == {"welch_t", "student_t", "mann_whitney"}
    assert not any("district" in n and "missing" in n for n in res.notes)  # its missing count is not shown


def test_cli_json_and_text_hide_the_small_group(tmp_path):
    p1, p2 = tmp_path / "a.csv", tmp_path / "b.csv"
    make(3).to_csv(p1, index=False)
    make(4, small_seed=3).to_csv(p2, index=False)
    outs = []
    for p in (p1, p2):
        r = CliRunner().invoke(main, ["compare", str(p), "--group", "org_type", "--vars", ",".join(VARS), "--json"])
        assert r.exit_code == 0, r.output
        outs.append(r.stdout)
        t = CliRunner().invoke(main, ["compare", str(p), "--group", "org_type", "--vars", ",".join(VARS)])
        outs.append(t.stdout)
    assert outs[0] == outs[2] and outs[1] == outs[3]
    assert "qim_id" not in outs[0] and "metro0" not in outs[0]


def test_themes_small_count_suppressed_and_not_in_the_bh_family():
    codes = [{"id": "a", "theme": "t", "label": "A", "clinical": 30, "traditional": 5},
             {"id": "b", "theme": "t", "label": "B", "clinical": 10, "traditional": 18},
             {"id": "c", "theme": "t", "label": "C", "clinical": 3, "traditional": 12}]
    res = theme_differences(codes, 36, 20)
    other = theme_differences([*codes[:2], {**codes[2], "clinical": 1, "traditional": 19}], 36, 20)
    assert js(res).replace('"label": "C"', "") == js(other).replace('"label": "C"', "")
    rec = res.to_dict()["codes"][2]
    assert rec["suppressed"] and rec["clinical_x"] is None and rec["fisher_p"] is None and rec["p_adj"] is None
    assert "suppressed (n < 5)" in res.summary()


def test_themes_figure_leaves_out_suppressed_rows():
    pytest.importorskip("matplotlib")
    from qimscale.report.themes_figure import theme_dot_plot

    codes = [{"id": "a", "theme": "t", "label": "A", "clinical": 30, "traditional": 5},
             {"id": "c", "theme": "t", "label": "C", "clinical": 3, "traditional": 12}]
    fig = theme_dot_plot(theme_differences(codes, 36, 20))
    ax = fig.axes[0]
    points = np.concatenate([c.get_offsets() for c in ax.collections])
    assert len(points) == 2  # one code, two groups
    assert not np.any(np.isclose(points[:, 0], 3 / 36)) and not np.any(np.isclose(points[:, 0], 12 / 20))
    assert any(t.get_text() == "suppressed (n < 5)" for t in ax.texts)


def _teams(small_n=3, seed=4):
    rng = np.random.default_rng(1)
    rows = []
    for t, n in (("A", 6), ("B", 7), ("C", 8)):
        rows += [{"team_id": t, "qim_type": rng.integers(1, 3), "s": rng.normal(3, 1),
                  **{f"i{j}": rng.integers(1, 6) for j in range(3)}} for _ in range(n)]
    srng = np.random.default_rng(seed)
    rows += [{"team_id": "Z", "qim_type": srng.integers(1, 3), "s": srng.normal(9, 1),
              **{f"i{j}": srng.integers(1, 6) for j in range(3)}} for _ in range(small_n)]
    return pd.DataFrame(rows)


def test_teams_small_team_cannot_be_recovered():
    kw = dict(items={"s": ["i0", "i1", "i2"]}, n_options={"s": 5}, type_col="qim_type", pseudonymise=True)
    base = team_aggregation(_teams(3), "team_id", ["s"], **kw)
    for n, seed in ((3, 8), (2, 9), (4, 10)):
        assert js(team_aggregation(_teams(n, seed), "team_id", ["s"], **kw)) == js(base)
    rec = base.to_dict()["teams"][-1]
    assert rec["suppressed"] and rec["n"] is None and rec["blau"] is None and rec["rwg_j"] == {"s": None}
    assert '"A"' not in js(base) and "team 1" in js(base)


def test_identifiers_never_analysed():
    df = make(6)
    with pytest.raises(DataError, match="identifier"):
        compare_groups(df, "org_type", ["qim_id"], identifiers=["qim_id"])
    with pytest.raises(DataError, match="identifier"):
        compare_groups(df, "qim_id", VARS, identifiers=["qim_id"])
    assert drop_identifiers(df, ["qim_id"])[1] == ["qim_id"]


def test_group_counts_hide_a_second_group_when_one_is_small():
    d = Disclosure(5)
    shown = d.group_counts(pd.Series({"A": 30, "B": 2, "C": 12, "D": 12}))
    assert shown == {"A": 30, "B": None, "C": None, "D": 12}          # the next-smallest, first label on a tie
    assert d.group_counts({"A": 3, "B": 4, "C": 9}) == {"A": None, "B": None, "C": 9}   # two hidden already
    assert d.group_counts({"A": 3}) == {"A": None} and d.group_counts({"A": 5, "B": 6}) == {"A": 5, "B": 6}


def test_disclosure_records_and_render():
    d = Disclosure(5)
    t = d.mask(pd.DataFrame({"g": ["a", "b"], "n": [10.0, 3.0], "m": [1.5, 2.5]}), [False, True], ["n", "m"])
    assert d.records(t)[1] == {"g": "b", "n": None, "m": None, "suppressed": True}
    assert d.render(t).iloc[1].tolist() == ["b", "suppressed (n < 5)", "suppressed (n < 5)"]
    with pytest.raises(DataError):
        Disclosure(0)


# --------------------------------------------------------------------------- property: any data, any small group

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(big=st.lists(st.integers(5, 30), min_size=1, max_size=3), small_n=st.integers(1, 4),
       seed=st.integers(0, 10_000), other_seed=st.integers(0, 10_000), other_n=st.integers(1, 4))
def test_no_output_depends_on_a_group_below_the_threshold(big, small_n, seed, other_seed, other_n):
    def build(n_small, s_seed):
        rng = np.random.default_rng(seed)
        parts = [pd.DataFrame({"g": f"g{i}", "y": rng.normal(i, 1, n).round(1), "z": rng.integers(1, 6, n)})
                 for i, n in enumerate(big)]
        srng = np.random.default_rng(s_seed)
        parts.append(pd.DataFrame({"g": "tiny", "y": srng.normal(50, 9, n_small), "z": srng.integers(1, 6, n_small)}))
        return pd.concat(parts, ignore_index=True)

    def out(df):
        try:
            return js(compare_groups(df, "g", ["y", "z"]))
        except DataError as exc:  # e.g. a constant outcome among the kept groups: same error either way
            return f"error: {exc}"

    assert out(build(small_n, other_seed)) == out(build(other_n, other_seed + 1))
