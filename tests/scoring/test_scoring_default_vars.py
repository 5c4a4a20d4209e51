"""The study commands' default variables come from one library function (scoring/relate_vars.py)."""

import pandas as pd

from qimscale.scoring.relate_vars import default_relate_variables, default_scale_scores


def test_scale_scores_found_empty_and_absent():
    data = pd.DataFrame({"exp_methods": [3.0, 4.0], "lead_systems": [None, None], "qi_performance": [2.0, 5.0],
                         "expertise": [3.5, 4.0], "age": [30, 40]})
    d = default_scale_scores(data.columns, data=data)
    assert d["scores"] == ["exp_methods", "qi_performance"] and d["empty"] == ["lead_systems"]
    assert set(d["absent"]) == set(d["scales"]) - {"exp_methods", "lead_systems", "qi_performance"}
    assert default_scale_scores(data.columns)["scores"] == ["exp_methods", "lead_systems", "qi_performance"]
    # relate's correlations and compare/teams pick the same scale scores
    assert default_relate_variables(data.columns)["scores"] == default_scale_scores(data.columns)["scores"]
