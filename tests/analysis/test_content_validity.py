"""Content validity: closed forms against the published worked examples and critical values."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.analysis.content_validity import (
    chance_agreement,
    content_validity,
    lawshe_critical,
    lawshe_cvr,
    modified_kappa,
)
from qimscale.cli import main

# Polit, Beck & Owen (2007), Table 2: (experts, agreeing) -> (I-CVI, Pc, kappa*), as printed (2-3 decimals).
POLIT_2007 = {(3, 3): (1.00, .125, 1.00), (3, 2): (.67, .375, .47), (4, 4): (1.00, .063, 1.00),
              (4, 3): (.75, .25, .67), (5, 5): (1.00, .031, 1.00), (5, 4): (.80, .156, .76),
              (6, 6): (1.00, .016, 1.00), (6, 5): (.83, .094, .82), (6, 4): (.67, .234, .56),
              (8, 6): (.75, .109, .72), (9, 7): (.78, .070, .76)}

# Ayre & Scally (2014), Table 2: N -> (critical number of 'essential' ratings, critical CVR).
AYRE_SCALLY = {5: (5, 1.0), 6: (6, 1.0), 7: (7, 1.0), 8: (7, .75), 9: (8, .778), 10: (9, .80), 11: (9, .636),
               12: (10, .667), 13: (10, .538), 14: (11, .571), 15: (12, .60), 16: (12, .50), 17: (13, .529),
               18: (13, .444), 19: (14, .474), 20: (15, .50)}


@pytest.mark.parametrize("case", sorted(POLIT_2007))
def test_modified_kappa_matches_polit_beck_owen(case):
    n, a = case
    icvi, pc, kappa = POLIT_2007[case]
    assert round(a / n, 2) == pytest.approx(icvi, abs=1e-10)
    assert round(chance_agreement(n, a), 3) == pytest.approx(pc, abs=1.01e-3)
    assert round(modified_kappa(a / n, n), 2) == pytest.approx(kappa, abs=1e-10)
    # the closed form itself, exactly
    p_exact = {(6, 5): 6 / 64, (3, 2): 3 / 8, (8, 6): 28 / 256}.get(case)
    if p_exact is not None:
        assert chance_agreement(n, a) == pytest.approx(p_exact, abs=1e-15)
        assert modified_kappa(a / n, n) == pytest.approx((a / n - p_exact) / (1 - p_exact), abs=1e-12)


@pytest.mark.parametrize("n", sorted(AYRE_SCALLY))
def test_lawshe_critical_values_match_ayre_scally(n):
    crit, cvr = lawshe_critical(n)
    assert crit == AYRE_SCALLY[n][0]
    assert round(cvr, 3) == pytest.approx(AYRE_SCALLY[n][1], abs=1e-10)


def test_too_few_experts_for_lawshe():
    crit, cvr = lawshe_critical(4)
    assert crit == 5 and cvr != cvr


def test_scale_indices_by_hand():
    # 10 items, 2 experts who both rate 8 items relevant and both rate 2 not relevant:
    # S-CVI/UA = 8/10 and S-CVI/Ave = mean(I-CVI) = 8/10 (the definitions of Polit & Beck 2006)
    d = pd.DataFrame({"item": [f"i{k}" for k in range(10)],
                      "e1": [4, 4, 3, 4, 3, 4, 4, 3, 2, 1], "e2": [3, 4, 4, 4, 3, 3, 4, 4, 2, 2]})
    r = content_validity(d)
    assert r.s_cvi_ua == pytest.approx(0.8, abs=1e-12)
    assert r.s_cvi_ave == pytest.approx(0.8, abs=1e-12)
    assert r.to_revise == ["i8", "i9"]


def test_cli_json_and_errors(tmp_path):
    ratings = tmp_path / "r.csv"
    pd.DataFrame({"item": ["a", "b", "c"], "e1": [4, 4, 1], "e2": [4, 3, 2], "e3": [3, 4, 4],
                  "e4": [4, 4, 3], "e5": [4, 2, 4], "e6": [4, 4, 4]}).to_csv(ratings, index=False)
    r = CliRunner().invoke(main, ["content-validity", str(ratings), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["n_experts"] == 6 and {"s_cvi_ave", "s_cvi_ua", "items"} <= set(out)
    first = out["items"][0]
    assert {"item", "i_cvi", "kappa_star", "verdict"} <= set(first) and first["i_cvi"] == 1.0
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"item": ["a", "b"], "e1": [4, 5], "e2": [4, 4]}).to_csv(bad, index=False)
    r = CliRunner().invoke(main, ["content-validity", str(bad)])
    assert r.exit_code == 1
    assert ("bad.csv: row 3, column 'e1': value 5 is not a rating. Ratings are 1, 2, 3, 4; correct the cell "
            "or leave it empty.") in r.output
    law = tmp_path / "law.csv"
    pd.DataFrame({"item": ["a", "b"], **{f"e{k}": ["essential", "useful"] for k in range(8)}}).to_csv(law, index=False)
    r = CliRunner().invoke(main, ["content-validity", str(law), "--lawshe", "--json"])
    assert r.exit_code == 0, r.output
    items = json.loads(r.stdout)["items"]
    assert items[0]["cvr"] == 1.0 and items[0]["cvr_critical"] == 0.75 and items[1]["cvr"] == -1.0
