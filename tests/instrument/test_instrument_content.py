"""The bundled instrument: Table 2 coverage, structure, keying, ids, forms."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from qimscale.instrument.loader import parse_yaml

from qimscale.instrument import load_instrument, validate_instrument
from qimscale.instrument.loader import bundled_dir

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def inst():
    return load_instrument()


@pytest.fixture(scope="module")
def table2():
    return parse_yaml((bundled_dir() / "akmal2022-table2-codes.yaml").read_text(encoding="utf-8"))


def test_table2_list_matches_the_paper(table2):
    codes = table2["codes"]
    assert len(codes) == 38  # 11 expertise + 17 leadership + 10 interpersonal rows
    assert Counter(c["theme"] for c in codes) == {"expertise": 11, "leadership": 17, "interpersonal": 10}
    assert len({c["id"] for c in codes}) == len(codes)
    ids = {c["id"] for c in codes}
    for c in codes:
        assert c["parent"] is None or c["parent"] in ids
        assert 0 <= c["clinical"] <= 36
        assert c["traditional"] is None or 0 <= c["traditional"] <= 20
    # spot checks against the printed table
    by = {c["id"]: c for c in codes}
    assert (by["care_core_value"]["clinical"], by["care_core_value"]["traditional"]) == (35, 16)
    assert (by["six_sigma"]["clinical"], by["six_sigma"]["traditional"]) == (5, 18)
    assert (by["seen_as_insider"]["clinical"], by["seen_as_insider"]["traditional"]) == (18, 20)
    # the paper's text names this row twice, with different counts
    assert sum(c["label"] == "Implementing QI initiatives before" for c in codes) == 2


def test_every_table2_code_is_covered_by_an_item(inst, table2):
    covered = {c for it in inst.items for c in it.source_codes}
    missing = [c["id"] for c in table2["codes"] if c["id"] not in covered]
    assert missing == []
    unknown = covered - {c["id"] for c in table2["codes"]}
    assert unknown == set()


def test_source_codes_stay_in_their_theme(inst, table2):
    theme = {c["id"]: c["theme"] for c in table2["codes"]}
    for it in inst.items:
        dom = inst.get_scale(it.scale).domain
        for c in it.source_codes:
            assert theme[c] == dom, (it.id, c)


def test_bundled_instrument_is_valid(inst):
    assert validate_instrument(inst) == []
    assert inst.version == "1.0.0"
    assert inst.changelog[0].version == inst.version


def test_structure(inst):
    comp = [s for s in inst.scales if s.kind == "competency"]
    assert {s.domain for s in comp} == {"expertise", "leadership", "interpersonal"}
    for s in comp:
        assert 3 <= len(inst.scale_items(s.id)) <= 5, s.id
        assert not s.exploratory
    outcome = [s for s in inst.scales if s.kind == "outcome"]
    assert len(outcome) == 1 and 6 <= len(inst.scale_items(outcome[0].id)) <= 8
    ext = [s for s in inst.scales if s.kind == "extension"]
    assert len(ext) == 1 and ext[0].exploratory
    assert [d.id for d in inst.domains][:3] == ["expertise", "leadership", "interpersonal"]
    # the leadership sub-scales the paper names
    assert {s.id for s in comp if s.domain == "leadership"} == {
        "lead_sensegiving", "lead_longterm", "lead_systems", "lead_motivating"}


def test_reverse_keying_share(inst):
    rev = [it for it in inst.items if it.reverse]
    assert 0.10 <= len(rev) / len(inst.items) <= 0.20
    comp = [it for it in inst.items if inst.get_scale(it.scale).kind == "competency"]
    assert 0.10 <= sum(it.reverse for it in comp) / len(comp) <= 0.20
    scales_with_rev = {it.scale for it in rev}
    assert 0 < len(scales_with_rev) < len(inst.scales)
    for s in inst.scales:  # never a majority of reversed items in a scale
        its = inst.scale_items(s.id)
        assert sum(it.reverse for it in its) < len(its) / 2


def test_item_ids_are_platform_safe(inst):
    pat = re.compile(r"^[a-z][a-z0-9_]{0,25}$")
    names = [it.id for it in inst.items] + [b.id for b in inst.background] + [s.id for s in inst.scales]
    assert len(set(names)) == len(names)
    for n in names:
        assert pat.match(n), n
    ls = [inst.limesurvey_code(n) for n in names]
    assert len(set(ls)) == len(ls) and max(map(len, ls)) <= 20


def test_forms_share_ids_and_person(inst):
    for it in inst.items:
        self_t, obs_t = it.text["self"]["en"], it.text["observer"]["en"]
        assert self_t and obs_t and self_t != obs_t
        assert re.search(r"\b(I|my|me)\b", self_t, re.I), it.id
        assert "this qi manager" in obs_t.lower(), it.id
        assert not re.search(r"\bI\b", obs_t), it.id


def test_response_scale_and_na(inst):
    rs = inst.response_scale()
    assert rs.codes == [1, 2, 3, 4, 5]
    assert [o.label for o in rs.options] == [
        "Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
    assert rs.na_code == 9 and not (rs.min <= rs.na_code <= rs.max)
    for it in inst.items:
        assert inst.response_range(it.id) == (1, 5)


def test_background_block(inst):
    bg = {b.id: b for b in inst.background}
    assert [c.label for c in bg["qim_type"].choices][0].startswith("Traditional")
    assert len(bg["clinical_profession"].choices) == 4
    assert len(bg["org_type"].choices) == 2
    assert [c.label for c in bg["years_qi_role"].choices] == ["Less than 2 years", "2 to 5 years", "More than 5 years"]
    for name in ("years_healthcare", "formal_qi_training", "country", "org_id", "team_id"):
        assert name in bg
    assert bg["org_id"].identifying and bg["team_id"].identifying and bg["qim_id"].identifying
    assert not bg["country"].identifying
    assert [b.id for b in inst.background_for("self")].count("rater_role") == 0
    assert "rater_role" in [b.id for b in inst.background_for("observer")]


def test_api_used_by_other_layers(inst):
    sc = inst.scales[0]
    assert isinstance(sc.label, str) and sc.domain and sc.kind in ("competency", "outcome", "extension")
    assert inst.item_text("lead_sys_2").startswith("I understand the needs")
    assert inst.item_text("lead_sys_2", form="observer", lang="en").startswith("This QI manager")
    assert [it.id for it in inst.scale_items("ip_trustworthiness")][-1] == "ip_trust_4"
    assert inst.get_item("ip_trust_4").reverse
    assert inst.na_code() == 9
    assert inst.summary()["n_items"] == 55


def test_bundled_copy_is_the_repo_file():
    # a source checkout resolves the repo's instrument/ folder
    assert (REPO / "instrument" / "qim-competency.yaml").is_file()
    assert bundled_dir().name == "instrument"


def test_source_codes_checked_from_any_working_directory(tmp_path, monkeypatch):
    from qimscale.instrument import loader
    from qimscale.instrument.validation import _source_codes

    monkeypatch.chdir(tmp_path)
    loader._cache.clear()
    inst = load_instrument()
    assert inst.path == "instrument/qim-competency.yaml" and inst.file.is_absolute()
    assert len(_source_codes(inst)) == 38
    assert validate_instrument(inst) == []
