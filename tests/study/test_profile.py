"""profile: numbers against the scored data, SEM bands, percentiles, norms, confidentiality, atomic writes,
self-contained and escaped HTML, and the development suggestions' sources."""

from __future__ import annotations

import html.parser
import json
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from scipy.stats import norm

from qimscale.analysis.profile import BAND_Z, percentile_rank, profile_reference, respondent_profile
from qimscale.analysis.reliability import alpha
from qimscale.cli import main
from qimscale.instrument import load_instrument
from qimscale.io.platform_data import write_platform
from qimscale.scoring import score_file
from qimscale.study.population import bundled_analysis_dir, simulate_study
from qimscale.study.profile import SUGGESTIONS_FILE, load_suggestions, safe_file_stem, suggestions_for

EVIL = "<script>alert('x')</script>"
PAPER = Path("/work/shared/reference/akmal-2022-qim-competencies.txt")
SCALES = ["exp_methods", "exp_implementation", "exp_context", "lead_sensegiving", "lead_longterm", "lead_systems",
          "lead_motivating", "ip_approachability", "ip_supportiveness", "ip_trustworthiness", "ext_orientation"]
DOMAINS = ["expertise", "leadership", "interpersonal"]


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    inst = load_instrument()
    data, _ = simulate_study(40, seed=11, instrument=inst)
    tmp = tmp_path_factory.mktemp("prof")
    path = write_platform(inst, data, "csv", tmp / "sim.csv")
    table = score_file(path, instrument=inst, keep_identifiers=True).table
    out = tmp / "scores.csv"
    table.to_csv(out, index=False)
    return out, pd.read_csv(out)


class _Rows(html.parser.HTMLParser):
    """Collects the data-* attributes of the score table rows and every src/href."""

    def __init__(self):
        super().__init__()
        self.rows, self.links, self._cur = {}, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.links += [v for k, v in attrs if k in ("src", "href")]
        if tag == "tr" and "data-scale" in a:
            self._cur = self.rows.setdefault(a["data-scale"], [])
        elif tag == "td" and self._cur is not None:
            self._cur.append({k: v for k, v in a.items() if k.startswith("data-")})

    def handle_endtag(self, tag):
        if tag == "tr":
            self._cur = None


def _parse(text):
    p = _Rows()
    p.feed(text)
    out = {}
    for sid, cells in p.rows.items():
        f = lambda v: float(v) if v else math.nan  # noqa: E731
        cells = cells[1:]                                # the first cell is the label
        out[sid] = {"score": f(cells[0]["data-value"]), "lower": f(cells[1]["data-lower"]),
                    "upper": f(cells[1]["data-upper"]), "sem": f(cells[2]["data-value"]),
                    "reliability": f(cells[3]["data-value"]), "mean": f(cells[4]["data-value"]),
                    "percentile": f(cells[5]["data-value"])}
    return out, p.links


def _alpha(df, inst, items):
    X = df[items].astype(float).copy()
    for it in items:
        if inst.get_item(it).reverse:
            lo, hi = inst.response_range(it)
            X[it] = lo + hi - X[it]
    return alpha(X).raw_alpha


def _items(inst, sid):
    if sid in DOMAINS:
        return [it.id for s in inst.domain_scales(sid) for it in inst.scale_items(s.id)]
    return [it.id for it in inst.scale_items(sid)]


def test_numbers_sem_bands_and_percentiles_match_the_scored_data(scored, tmp_path):
    path, df = scored
    inst = load_instrument()
    rid = df["qim_id"].iloc[7]
    out = tmp_path / "p.html"
    res = _run("profile", path, "--id", rid, "--out", out, "--json")
    assert res.exit_code == 0, res.output
    got, links = _parse(out.read_text(encoding="utf-8"))
    assert set(got) == set(SCALES) | set(DOMAINS)
    row = df.iloc[7]
    for sid, g in got.items():
        col = df[sid].dropna()
        if pd.isna(row[sid]):
            assert math.isnan(g["score"])
            continue
        assert g["score"] == float(row[sid])                     # the scored value, to full precision
        a = _alpha(df, inst, _items(inst, sid))
        sem = float(col.std(ddof=1)) * math.sqrt(1 - a)
        assert g["reliability"] == pytest.approx(a, abs=1e-12)
        assert g["sem"] == pytest.approx(sem, abs=1e-12)
        assert g["lower"] == pytest.approx(row[sid] - 1.959963984540054 * sem, abs=1e-12)
        assert g["upper"] == pytest.approx(row[sid] + 1.959963984540054 * sem, abs=1e-12)
        pct = 100 * ((col < row[sid]).sum() + 0.5 * (col == row[sid]).sum()) / len(col)
        assert g["percentile"] == pytest.approx(pct, abs=1e-12)
        assert g["mean"] == pytest.approx(col.mean(), abs=1e-12)
    summary = json.loads(res.stdout)
    assert summary["id"] == rid and summary["reference"]["comparison"] == "sample"
    low = {r["scale"] for r in summary["profile"]["scales"] if r["low"] and r["level"] == "scale"}
    assert low == {s for s in SCALES if got[s]["percentile"] < 25}


def test_group_percentiles_are_within_the_respondents_group(scored, tmp_path):
    path, df = scored
    k = 3
    res = _run("profile", path, "--id", df["qim_id"].iloc[k], "--group", "country", "--out", tmp_path / "g.html")
    assert res.exit_code == 0, res.output
    got, _ = _parse((tmp_path / "g.html").read_text(encoding="utf-8"))
    same = df[df["country"] == df["country"].iloc[k]]
    x = df["exp_methods"].iloc[k]
    col = same["exp_methods"].dropna()
    assert got["exp_methods"]["percentile"] == pytest.approx(
        100 * ((col < x).sum() + 0.5 * (col == x).sum()) / len(col), abs=1e-12)
    # the SEM is a property of the measurement: the whole sample's SD and alpha, not the group's
    assert got["exp_methods"]["sem"] == pytest.approx(
        df["exp_methods"].std(ddof=1) * math.sqrt(1 - got["exp_methods"]["reliability"]), abs=1e-12)


def test_norms_give_percentiles_sem_and_reliability(scored, tmp_path):
    path, df = scored
    norms = tmp_path / "norms.csv"
    norms.write_text("scale,mean,sd,reliability\nexp_methods,3.2,0.8,0.9\nlead_systems,3.5,0.5,\n", encoding="utf-8")
    k = 10
    out = tmp_path / "n.html"
    res = _run("profile", path, "--id", df["qim_id"].iloc[k], "--norms", norms, "--out", out, "--json")
    assert res.exit_code == 0, res.output
    got, _ = _parse(out.read_text(encoding="utf-8"))
    x = df["exp_methods"].iloc[k]
    assert got["exp_methods"]["percentile"] == pytest.approx(100 * norm.cdf((x - 3.2) / 0.8), abs=1e-10)
    assert got["exp_methods"]["sem"] == pytest.approx(0.8 * math.sqrt(1 - 0.9), abs=1e-12)
    assert got["exp_methods"]["mean"] == 3.2
    # no reliability in the norms: the sample's alpha with the norms' sd
    a = _alpha(df, load_instrument(), _items(load_instrument(), "lead_systems"))
    assert got["lead_systems"]["sem"] == pytest.approx(0.5 * math.sqrt(1 - a), abs=1e-12)
    scales = {s["scale"]: s for s in json.loads(res.stdout)["reference"]["scales"]}
    assert scales["exp_methods"]["reliability_source"] == "norms file"
    assert scales["lead_systems"]["reliability_source"].startswith("sample alpha")
    assert scales["exp_context"]["sd_source"] == "sample"          # not in the norms: against the sample
    assert "the norms give no row for" in res.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("scale,mean,sd\nexp_methods,3.2,-1\n", encoding="utf-8")
    res = _run("profile", path, "--id", df["qim_id"].iloc[k], "--norms", bad, "--out", tmp_path / "b.html")
    assert res.exit_code == 1 and "positive sd" in res.stderr and not (tmp_path / "b.html").exists()


def test_analysis_layer_closed_forms():
    d = pd.DataFrame({"a": [1.0, 2.0, 2.0, 3.0, 4.0, np.nan]})
    ref = profile_reference(d, [{"id": "a", "label": "A", "level": "scale"}], alphas={"a": (0.64, 5)})
    p = respondent_profile(ref, d.iloc[1])
    r = p.rows.iloc[0]
    sd = float(np.std([1, 2, 2, 3, 4], ddof=1))
    assert r["sem"] == pytest.approx(sd * 0.6, abs=1e-14)
    assert r["band_upper"] - r["band_lower"] == pytest.approx(2 * BAND_Z * sd * 0.6, abs=1e-14)
    assert r["percentile"] == pytest.approx(100 * (1 + 1) / 5)      # one below, two ties
    assert percentile_rank(np.array([]), 1.0) != percentile_rank(np.array([]), 1.0)  # NaN
    with pytest.raises(Exception, match="fewer than --min-cell"):
        respondent_profile(profile_reference(d.iloc[:3], [{"id": "a", "label": "A", "level": "scale"}],
                                             alphas={"a": (0.5, 3)}), d.iloc[0])


def test_results_follow_the_protocol():
    from qimscale._core.result import check_protocol

    d = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": [2.0, 2.5, 3.0, 3.5, 5.0]})
    spec = [{"id": "a", "label": "A", "level": "scale"}, {"id": "b", "label": "B", "level": "domain"}]
    ref = profile_reference(d, spec, alphas={"a": (0.8, 5), "b": (0.9, 5)})
    p = respondent_profile(ref, d.iloc[0])
    check_protocol(ref)
    check_protocol(p)
    assert p.low_scales == ["a"] and json.dumps(p.to_dict()) and "A" in p.summary()


def test_suppressed_below_min_cell_writes_nothing(scored, tmp_path):
    path, df = scored
    rid = df["qim_id"].iloc[0]
    out = tmp_path / "p.html"
    res = _run("profile", path, "--id", rid, "--min-cell", len(df) + 1, "--out", out)
    assert res.exit_code == 1 and res.stderr.startswith("Error:") and len(res.stderr.strip().splitlines()) == 1
    assert "suppressed" in res.stderr and rid not in res.stderr and not out.exists()
    # a small group: that respondent is suppressed with --id, skipped and counted with --all
    small = df.copy()
    small.loc[:2, "country"] = "XX"
    sp = tmp_path / "small.csv"
    small.to_csv(sp, index=False)
    res = _run("profile", sp, "--id", small["qim_id"].iloc[1], "--group", "country", "--out", out)
    assert res.exit_code == 1 and "respondent's group has 3" in res.stderr and "XX" not in res.stderr
    assert not out.exists()
    res = _run("profile", sp, "--all", "--group", "country", "--out", tmp_path / "all", "--json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["n_suppressed"] == 3 and summary["n_profiles"] == len(df) - 3
    assert "XX" not in res.stdout and summary["reference"]["n_groups_suppressed"] == 1
    names = {p.name for p in (tmp_path / "all").iterdir()}
    assert not any(f"{safe_file_stem(i)}.html" in names for i in small["qim_id"].iloc[:3])


def test_ids_appear_only_in_their_own_file(scored, tmp_path):
    path, df = scored
    out = tmp_path / "all"
    res = _run("profile", path, "--all", "--out", out, "--json")
    assert res.exit_code == 0, res.output
    ids = list(df["qim_id"])
    files = sorted(out.iterdir())
    assert len(files) == len(ids) and {p.name for p in files} == {f"{i}.html" for i in ids}
    for p in files:
        text = p.read_text(encoding="utf-8")
        assert [i for i in ids if i in text] == [p.stem]
    assert not any(i in res.stdout or i in res.stderr for i in ids)
    one = _run("profile", path, "--id", ids[5], "--out", tmp_path / "one.html", "--json")
    assert [i for i in ids if i in one.stdout] == [ids[5]]


def test_escaping_of_ids_and_labels(scored, tmp_path):
    path, df = scored
    evil = df.copy()
    evil.loc[0, "qim_id"] = EVIL
    ep = tmp_path / "evil.csv"
    evil.to_csv(ep, index=False)
    spec = yaml.safe_load(Path(load_instrument().file).read_text(encoding="utf-8"))
    for sc in spec["scales"]:
        if sc["id"] == "exp_context":
            sc["label"] = {"en": EVIL + " $x$"}
    ip = tmp_path / "inst.yaml"
    ip.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    res = _run("profile", ep, "--id", EVIL, "--instrument", ip, "--low-percentile", 99, "--out", tmp_path / "e.html")
    assert res.exit_code == 0, res.output
    text = (tmp_path / "e.html").read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
    evil.iloc[:8].to_csv(ep, index=False)
    res = _run("profile", ep, "--all", "--instrument", ip, "--out", tmp_path / "all")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "all" / f"{safe_file_stem(EVIL)}.html").is_file()
    assert all(".." not in p.name and "/" not in p.name for p in (tmp_path / "all").iterdir())


def test_html_is_self_contained(scored, tmp_path):
    path, df = scored
    out = tmp_path / "p.html"
    assert _run("profile", path, "--id", df["qim_id"].iloc[2], "--out", out).exit_code == 0
    text = out.read_text(encoding="utf-8")
    _, links = _parse(text)
    assert links and all(v.startswith("data:image/png;base64,") for v in links)
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", re.sub(r'src="data:[^"]*"', "", text))
    assert "<script" not in text.lower() and "@import" not in text and "url(" not in text
    assert "@media print" in text and "@page" in text


def test_failed_all_run_leaves_no_files(scored, tmp_path, monkeypatch):
    path, df = scored
    dup = df.copy()
    dup.loc[5, "qim_id"] = dup.loc[9, "qim_id"]
    dp = tmp_path / "dup.csv"
    dup.to_csv(dp, index=False)
    res = _run("profile", dp, "--all", "--out", tmp_path / "d")
    assert res.exit_code == 1 and "rows 7 and 11" in res.stderr and dup.loc[9, "qim_id"] not in res.stderr
    assert not (tmp_path / "d").exists()
    # a write that fails half way, into an existing folder and into a new one
    path = tmp_path / "few.csv"
    df.iloc[:8].to_csv(path, index=False)
    existing = tmp_path / "existing"
    existing.mkdir()
    real = os.replace
    calls = {"n": 0}

    def flaky(a, b, *args, **kw):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(28, "No space left on device")
        return real(a, b, *args, **kw)

    monkeypatch.setattr(os, "replace", flaky)
    res = _run("profile", path, "--all", "--out", existing)
    assert res.exit_code == 1 and "No space left" in res.stderr
    assert list(existing.iterdir()) == []
    monkeypatch.setattr(os, "rename", lambda a, b: (_ for _ in ()).throw(OSError(13, "Permission denied")))
    res = _run("profile", path, "--all", "--out", tmp_path / "new")
    assert res.exit_code == 1 and not (tmp_path / "new").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_usage_and_id_errors(scored, tmp_path):
    path, df = scored
    assert _run("profile", path, "--out", tmp_path / "x.html").exit_code == 2
    assert _run("profile", path, "--id", "a", "--all", "--out", tmp_path).exit_code == 2
    assert _run("profile", path, "--id", "a", "--group", "country", "--norms", path,
                "--out", tmp_path / "x.html").exit_code == 2
    res = _run("profile", path, "--id", "NOPE-123", "--out", tmp_path / "x.html")
    assert res.exit_code == 1 and "requested id is not in column 'qim_id'" in res.stderr and "NOPE" not in res.stderr
    res = _run("profile", path, "--id", "x", "--id-col", "nope", "--out", tmp_path / "x.html")
    assert res.exit_code == 1 and "--id-col column 'nope' not found" in res.stderr
    anon = df.drop(columns=["qim_id"])
    ap = tmp_path / "anon.csv"
    anon.to_csv(ap, index=False)
    res = _run("profile", ap, "--id", "1", "--out", tmp_path / "x.html")
    assert res.exit_code == 1 and "--keep-identifiers" in res.stderr
    anon["org_row"] = np.arange(1, len(anon) + 1)
    anon.to_csv(ap, index=False)
    res = _run("profile", ap, "--id", "4", "--id-col", "org_row", "--out", tmp_path / "x.html")
    assert res.exit_code == 0, res.output
    res = _run("profile", path, "--id", df["qim_id"].iloc[0], "--out", tmp_path / "x.txt")
    assert res.exit_code == 1 and ".html" in res.stderr
    res = _run("profile", path, "--id", df["qim_id"].iloc[0], "--out", path)
    assert res.exit_code == 1


def test_suggestions_follow_the_type_and_cite_the_paper():
    spec = load_suggestions()
    inst = load_instrument()
    comp = {s.id for s in inst.scales if s.kind in ("competency", "extension")}
    assert set(spec["scales"]) == comp
    for key, g in spec["suggestions"].items():
        assert g["for"] in ("all", "traditional", "clinical"), key
        assert g["cite"].startswith("Akmal et al. 2022"), key
        assert g["suggestion"].strip() and g["passage"].strip() and g["anchor"].strip()

    class P:
        low_scales = ["exp_context", "ip_trustworthiness", "ip_supportiveness"]

    labels = {"exp_context": "Context", "ip_trustworthiness": "Trust", "ip_supportiveness": "Support"}
    clinical = suggestions_for(P, spec, "clinical", labels)
    assert all(g["audience"] in ("all", "clinical") for g in clinical)
    trad = suggestions_for(P, spec, "traditional", labels)
    assert any(g["audience"] == "traditional" for g in trad)
    shared = [g for g in trad if g["key"] == "mixed_teams_resistance"]
    assert len(shared) == 1 and shared[0]["scales"] == ["Trust", "Support"]   # each suggestion once
    unknown = suggestions_for(P, spec, None, labels)
    assert len(unknown) >= len(trad)


@pytest.mark.skipif(not PAPER.is_file(), reason="the paper's text is not on this machine")
def test_every_suggestion_anchor_is_in_the_paper():
    text = PAPER.read_text(encoding="utf-8")
    spec = yaml.safe_load((bundled_analysis_dir() / SUGGESTIONS_FILE).read_text(encoding="utf-8"))
    missing = [k for k, g in spec["suggestions"].items() if g["anchor"] not in text]
    assert not missing


def test_suggestions_of_the_respondents_type_reach_the_page(scored, tmp_path):
    path, df = scored
    k = int(np.flatnonzero(df["qim_type"].to_numpy() == 2)[0])          # 2 = clinical
    out = tmp_path / "c.html"
    assert _run("profile", path, "--id", df["qim_id"].iloc[k], "--low-percentile", 99.9, "--out", out).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "For clinical QI managers" in text and "For traditional QI managers" not in text
    assert "Akmal et al. 2022, Implications for practice and health policy" in text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_profile_renders_in_a_browser(scored, tmp_path):
    path, df = scored
    out = tmp_path / "p.html"
    assert _run("profile", path, "--id", df["qim_id"].iloc[1], "--out", out).exit_code == 0
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'chr'}", f"--screenshot={shot}", "--window-size=1000,1400",
                    out.as_uri()], check=True, timeout=120, capture_output=True)
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert img.std() > 10                     # not blank
    # the embedded chart was decoded and drawn: the page has the chart's blue/red dots
    rgb = np.asarray(Image.open(shot).convert("RGB"), dtype=int)
    blue = (abs(rgb[..., 0] - 0x05) < 30) & (abs(rgb[..., 1] - 0x71) < 30) & (abs(rgb[..., 2] - 0xB0) < 30)
    assert blue.sum() > 50


def _pdf_text(path: Path) -> tuple[bytes, str | None]:
    """The PDF's bytes with every Flate stream inflated, and its text by ``pdftotext`` when poppler is there."""
    import zlib

    raw = path.read_bytes()
    parts = [raw]
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", raw, re.S):
        try:
            parts.append(zlib.decompressobj().decompress(m.group(1)))
        except zlib.error:
            pass
    text = None
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return b"".join(parts), text


def _pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", path.read_bytes()))


def test_pdf_profile_is_one_a4_page_without_the_id(scored, tmp_path):
    path, df = scored
    rid = df["qim_id"].iloc[3]
    # a high --low-percentile makes many sub-scales low: the suggestions must still fit on one page
    for low in ("25", "99"):
        out = tmp_path / f"{rid}-{low}.pdf"
        res = _run("profile", path, "--id", rid, "--low-percentile", low, "--out", out)
        assert res.exit_code == 0, res.output
        data = out.read_bytes()
        assert data.startswith(b"%PDF-") and _pages(out) == 1
        assert re.search(rb"/MediaBox\s*\[\s*0 0 595\.\d+ 841\.\d+", data)  # A4
        raw, text = _pdf_text(out)
        assert rid.encode() not in raw
        assert b"Competency profile" in raw  # the search sees the PDF's strings
        if text is not None:
            assert rid not in text and "Development suggestions" in text and "95% SEM band" in text
            score = df[SCALES[0]].iloc[3]
            assert f"{score:.3f}" in text
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # the staging folder is gone


def test_pdf_profiles_for_all_and_format_checks(scored, tmp_path):
    path, df = scored
    sub = tmp_path / "few.csv"
    df.iloc[:6].to_csv(sub, index=False)
    out = tmp_path / "pdfs"
    res = _run("profile", sub, "--all", "--format", "pdf", "--out", out, "--min-cell", 2)
    assert res.exit_code == 0, res.output
    ids = list(df["qim_id"].iloc[:6])
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{i}.pdf" for i in ids)
    for p in out.iterdir():
        raw, text = _pdf_text(p)
        assert _pages(p) == 1 and not [i for i in ids if i.encode() in raw]
        assert text is None or not [i for i in ids if i in text]
    # --format must agree with the file name; an unknown suffix is refused before any work
    res = _run("profile", sub, "--id", ids[0], "--format", "pdf", "--out", tmp_path / "x.html")
    assert res.exit_code == 2 and not (tmp_path / "x.html").exists()
    res = _run("profile", sub, "--id", ids[0], "--out", tmp_path / "x.docx")
    assert res.exit_code == 1 and res.stderr.startswith("Error:") and ".pdf" in res.stderr


def test_suppressed_pdf_profile_writes_nothing(scored, tmp_path):
    path, df = scored
    out = tmp_path / "p.pdf"
    res = _run("profile", path, "--id", df["qim_id"].iloc[0], "--min-cell", len(df) + 1, "--out", out)
    assert res.exit_code == 1 and "suppressed" in res.stderr and df["qim_id"].iloc[0] not in res.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_pdf_written_atomically(scored, tmp_path, monkeypatch):
    """A failure while writing leaves no PDF (and no staging folder) behind."""
    path, df = scored
    out = tmp_path / "p.pdf"
    monkeypatch.setattr(os, "replace", lambda a, b: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    res = _run("profile", path, "--id", df["qim_id"].iloc[1], "--out", out)
    assert res.exit_code == 1 and "No space left" in res.stderr
    assert list(tmp_path.iterdir()) == []
