"""Issue 13: the instrument drives the defaults (scale kinds, the lavaan model), and messages are clean."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.analysis.cfa import CFA
from qimscale.cli import main
from qimscale.errors import ModelError
from qimscale.instrument import lavaan_model, load_instrument
from qimscale.scoring.calibration import honest_responses
from qimscale.scoring.scales import model_from_instrument, resolve_scales


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    """Honest answers with N/A as blanks (as 'qimscale score' writes them)."""
    df = honest_responses(n=500, seed=21)
    items = [it.id for it in load_instrument().items]
    df[items] = df[items].where(df[items] != 9)
    path = tmp_path_factory.mktemp("honest") / "scored.csv"
    df.to_csv(path, index=False)
    return df, path


def test_resolve_scales_defaults_to_competency_scales():
    inst = load_instrument()
    cols = [it.id for it in inst.items]
    names = [s.name for s in resolve_scales(cols)]
    assert names == [s.id for s in inst.scales if s.kind == "competency"]
    assert [s.name for s in resolve_scales(cols, kind="outcome")] == ["qi_performance"]
    assert [s.name for s in resolve_scales(cols, kind="exploratory")] == ["ext_orientation"]
    assert len(resolve_scales(cols, kind="all")) == len(inst.scales)
    assert [s.name for s in resolve_scales(cols, domain=["leadership"])] == [
        "lead_sensegiving", "lead_longterm", "lead_systems", "lead_motivating"]
    rev = {s.name: s.reverse for s in resolve_scales(cols)}
    assert rev["exp_context"] == ["exp_ctx_4"]


def test_lavaan_model_first_and_second_order():
    inst = load_instrument()
    m1 = lavaan_model(inst)
    assert "exp_methods =~ exp_meth_1 + exp_meth_2 + exp_meth_3 + exp_meth_4 + exp_meth_5" in m1
    assert "perf_1" not in m1 and "ext_1" not in m1 and "reverse-keyed" in m1
    m2 = lavaan_model(inst, order=2, comments=False)
    assert "leadership =~ lead_sensegiving + lead_longterm + lead_systems + lead_motivating" in m2
    # factors never take the name of a data column (a scored file holds scale scores under the scale ids)
    m3 = lavaan_model(inst, domain="expertise", columns=[it.id for it in inst.items] + ["exp_methods"],
                      comments=False)
    assert m3.splitlines()[0].startswith("exp_methods_f =~")


def test_export_format_lavaan(tmp_path):
    out = tmp_path / "qim.lav"
    res = run("instrument", "export", "--format", "lavaan", "--out", out)
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert "ip_trustworthiness =~" in text and "# expertise =~ exp_methods" in text


def test_model_from_instrument_recodes_reverse_items(honest):
    df, _ = honest
    model, data, notes = model_from_instrument(df, domain="expertise")
    assert "exp_context =~" in model
    np.testing.assert_array_equal(data["exp_ctx_4"].dropna(), 6 - df["exp_ctx_4"].dropna())
    assert data["exp_ctx_1"].equals(df["exp_ctx_1"])
    assert any("exp_ctx_4" in n for n in notes)


def test_cfa_without_model_fits_the_instruments_model(honest):
    _, path = honest
    res = run("cfa", path, "--domain", "expertise", "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    lhs = {e["lhs"] for e in out["estimates"] if e["op"] == "=~"}
    assert lhs == {"exp_methods", "exp_implementation", "exp_context"}
    load = [e["std_all"] for e in out["estimates"] if e["op"] == "=~"]
    assert min(load) > 0.3  # reverse keys applied: every loading positive
    assert "no --model given" in res.stderr and "reverse-keyed items recoded" in res.stderr
    assert not any("both signs" in ln for ln in res.stderr.splitlines())


def test_wlsmv_defaults_to_pairwise_and_says_so(honest):
    _, path = honest
    res = run("cfa", path, "--domain", "expertise", "--ordered", "all", "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["fit"]["missing"] == "pairwise" and out["fit"]["ntotal"] == 500
    assert "missing = pairwise (the default with WLSMV, as in Mplus" in res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == len(set(lines))  # each message once
    text = run("cfa", path, "--domain", "expertise", "--ordered", "all")
    assert "WARNING" not in text.stdout and "Warning" not in text.stdout  # warnings on stderr only


def test_mixed_sign_loadings_warn_naming_items(honest):
    df, _ = honest
    res = CFA("F =~ exp_ctx_1 + exp_ctx_2 + exp_ctx_3 + exp_ctx_4").fit(df)
    msg = [w for w in res.warnings_ if "both signs" in w]
    assert msg and "exp_ctx_4" in msg[0] and "Reverse-keyed" in msg[0]


def test_latent_name_equal_to_a_column_is_an_error(honest):
    df, _ = honest
    with pytest.raises(ModelError, match="'exp_ctx_1'.*also column"):
        CFA("exp_ctx_1 =~ exp_ctx_2 + exp_ctx_3 + exp_ctx_4").fit(df)


def test_kind_with_model_is_a_usage_error(honest):
    _, path = honest
    res = run("cfa", path, "--model", "F =~ exp_ctx_1 + exp_ctx_2 + exp_ctx_3", "--kind", "all")
    assert res.exit_code == 2


def test_p_below_001_printed_as_such_in_text_json_keeps_number(honest):
    _, path = honest
    text = run("factorability", path, "--domain", "expertise")
    assert text.exit_code == 0 and "p < .001" in text.stdout
    js = json.loads(run("factorability", path, "--domain", "expertise", "--json").stdout)
    assert isinstance(js["bartlett_p"], float) and js["bartlett_p"] < 0.001
    cfa = run("cfa", path, "--model", "F =~ exp_ctx_1 + exp_ctx_2 + exp_ctx_3")
    assert "< .001" in cfa.stdout


def test_categories_printed_as_in_the_data_and_collapse_in_cli_syntax(tmp_path):
    rng = np.random.default_rng(1)
    y = rng.standard_normal((300, 1)) * 0.8 + rng.standard_normal((300, 3)) * 0.6
    x = pd.DataFrame(np.digitize(y, [-1, 0, 1]) + 1.0, columns=["y1", "y2", "y3"])
    x.loc[x["y3"] == 4, "y3"] = 3.0  # category 4 of y3 never used, in a float column
    x.loc[0, "y3"] = 4.0
    path = tmp_path / "d.csv"
    x.to_csv(path, index=False)
    res = run("cfa", path, "--model", "F =~ y1 + y2 + y3", "--ordered", "all")
    assert "category 4 has fewer than" in res.stderr and "4.0" not in res.stderr
    res = run("cfa", path, "--model", "F =~ y1 + y2 + y3", "--ordered", "all", "--collapse", "y3:4=3")
    assert "categories merged as asked: y3:4=3" in res.stderr and "{" not in res.stderr


def test_cfa_without_model_on_foreign_data_is_one_clear_error(tmp_path):
    path = tmp_path / "other.csv"
    pd.DataFrame({"x1": [1, 2, 3, 4], "x2": [2, 3, 4, 5]}).to_csv(path, index=False)
    res = run("cfa", path)
    assert res.exit_code == 1 and res.stderr.count("\n") == 1
    assert res.stderr.startswith("Error: ") and "--model" in res.stderr and str(path) in res.stderr
