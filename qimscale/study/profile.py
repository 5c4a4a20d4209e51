"""Individual competency profiles: read scored data, build the reference once, render one page per respondent.

The steps: :func:`load_profile_data` reads DATA (the output of ``qimscale score``) and
resolves the id column; :func:`prepare_reference` resolves the instrument's scales and
domains, computes Cronbach's alpha of each in the sample and builds the
:class:`~qimscale.analysis.profile.ProfileReference`; :func:`profile_pages` renders the
pages; :func:`run_profiles` ties them together and writes the files all or nothing.

Confidentiality: a respondent id is used only to find the row and to name the file
the user asked for (and in the heading of that respondent's own page). Messages,
warnings and the summary name rows (spreadsheet rows), never ids; a group below
``min_cell`` is never named.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qimscale._core.checks import check_option
from qimscale.errors import DataError

#: the instrument's participant-code field, used as the id column by default
DEFAULT_ID_FIELD = "qim_id"
#: the background field holding traditional vs clinical
TYPE_FIELD = "qim_type"
SUGGESTIONS_FILE = "development-suggestions.yaml"
#: the page formats
FORMATS = ("html", "pdf")


@dataclass
class ProfileData:
    """Scored data with its ids as text (``ids``; ``None`` where missing)."""

    table: pd.DataFrame
    ids: list
    id_col: str
    source: str


@dataclass
class ProfileRun:
    """The pages rendered (``pages``: list of ``(id, html)``) and a summary without ids."""

    pages: list
    reference: object
    summary: dict
    warnings: list = field(default_factory=list)


def id_text(v) -> str | None:
    """An id cell as text: integral numbers without ``.0``; missing -> ``None``.

    >>> id_text(12.0), id_text("A-7 "), id_text(float("nan"))
    ('12', 'A-7', None)
    """
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    s = str(v).strip()
    return s or None


def safe_file_stem(rid: str) -> str:
    """A file-name stem made from an id: letters, digits, ``-``, ``_`` and ``.`` kept, others ``_``.

    >>> safe_file_stem("QIM 07/b<script>")
    'QIM_07_b_script_'
    >>> safe_file_stem("..")
    '_..'
    """
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", rid)[:120]
    return "_" + stem if stem.startswith(".") or not stem else stem


def load_profile_data(data, *, id_col: str | None = None, source: str | None = None) -> ProfileData:
    """Read DATA and resolve its id column (default: the instrument's ``qim_id`` field)."""
    from qimscale.io import read_survey

    source = source or str(data)
    df = read_survey(data, na_markers=True).data
    if id_col is None:
        if DEFAULT_ID_FIELD not in df.columns:
            raise DataError(f"{source}: no '{DEFAULT_ID_FIELD}' column; name the respondent-id column with --id-col "
                            f"('qimscale score' drops '{DEFAULT_ID_FIELD}' as an identifier unless "
                            "--keep-identifiers is given)")
        id_col = DEFAULT_ID_FIELD
    elif id_col not in df.columns:
        raise DataError(f"{source}: --id-col column '{id_col}' not found; columns: "
                        + ", ".join(map(str, list(df.columns)[:30])))
    return ProfileData(df, [id_text(v) for v in df[id_col].tolist()], id_col, source)


def _scales_and_domains(inst, columns) -> tuple[list, list]:
    """Profile rows (competency and extension sub-scales present in the data, and the domain scores of
    domains with two or more of them) and the domains in display order."""
    scale_ids = {s.id for s in inst.scales}
    rows, domains = [], []
    for d in inst.domains:
        subs = [s for s in inst.domain_scales(d.id) if s.kind in ("competency", "extension") and s.id in columns]
        if not subs:
            continue
        col = f"{d.id}_domain" if d.id in scale_ids else d.id
        has_domain = len(subs) > 1 and col in columns
        domains.append({"id": d.id, "label": d.label, "score_id": col if has_domain else None})
        if has_domain:
            rows.append({"id": col, "label": d.label, "level": "domain", "domain": d.id,
                         "items": [it.id for s in subs for it in inst.scale_items(s.id)]})
        rows.extend({"id": s.id, "label": s.label, "level": "scale", "domain": d.id,
                     "items": [it.id for it in inst.scale_items(s.id)]} for s in subs)
    return rows, domains


def _alphas(df: pd.DataFrame, inst, rows: list) -> tuple[dict, list]:
    """Cronbach's alpha of every profile score in the sample (items reverse-keyed); scores whose items
    are not all in the data get NaN and a warning."""
    from qimscale.analysis.reliability import alpha

    out, warnings = {}, []
    for r in rows:
        its = r["items"]
        if not all(i in df.columns for i in its) or len(its) < 2:
            out[r["id"]] = (math.nan, 0)
            warnings.append(f"{r['id']}: the data lack its item columns, so its alpha (and SEM) cannot be estimated "
                            "from the sample; give a reliability in --norms")
            continue
        X = df[its].apply(pd.to_numeric, errors="coerce").astype(float)
        for it in its:
            if inst.get_item(it).reverse:
                lo, hi = inst.response_range(it)
                X[it] = lo + hi - X[it]
        res = alpha(X)
        out[r["id"]] = (float(res.raw_alpha), int(X.dropna(how="all").shape[0]))
    return out, warnings


def prepare_reference(pdata: ProfileData, inst, *, norms=None, group: str | None = None, min_cell: int = 5,
                      low_percentile: float = 25.0):
    """Scales, alphas and the comparison reference; returns ``(reference, rows, domains, warnings)``."""
    from qimscale.analysis.profile import profile_reference
    from qimscale.scoring.scores import read_norms

    df = pdata.table
    rows, domains = _scales_and_domains(inst, set(df.columns))
    if not any(r["level"] == "scale" for r in rows):
        raise DataError(f"{pdata.source}: none of the instrument's competency scale scores is a column; profile "
                        "needs the output of 'qimscale score'")
    if group is not None and group not in df.columns:
        raise DataError(f"{pdata.source}: --group column '{group}' not found")
    alphas, warnings = _alphas(df, inst, rows)
    norms_df = read_norms(norms) if isinstance(norms, (str, Path)) else norms
    ref = profile_reference(df, rows, alphas=alphas, norms=norms_df, groups=df[group] if group else None,
                            group_col=group, min_cell=min_cell, low_percentile=low_percentile, source=pdata.source,
                            norms_source=str(norms) if norms is not None else "norms")
    if ref.comparison == "norms":  # reliabilities from the norms file need no item columns
        need = {s.id for s in ref.scales if s.reliability_source != "norms file"}
        warnings = [w for w in warnings if w.split(":", 1)[0] in need]
    return ref, rows, domains, warnings + list(ref.warnings)


def load_suggestions(path=None) -> dict:
    """The development suggestions (``analysis/development-suggestions.yaml``)."""
    import yaml

    from qimscale.study.population import bundled_analysis_dir

    p = Path(path) if path is not None else bundled_analysis_dir() / SUGGESTIONS_FILE
    spec = yaml.safe_load(p.read_text(encoding="utf-8"))
    lib = spec["suggestions"]
    for sid, keys in spec["scales"].items():
        unknown = [k for k in keys if k not in lib]
        if unknown:
            raise DataError(f"{p}: scale {sid!r} lists unknown suggestion {unknown[0]!r}")
    return spec


def _qim_types(inst) -> dict:
    """Code and label of each ``qim_type`` choice -> ``traditional`` / ``clinical`` (first word of the label)."""
    try:
        fld = next(b for b in inst.background if b.id == TYPE_FIELD)
    except StopIteration:
        return {}
    out = {}
    for code, label in fld.categories:
        word = re.split(r"[:\s]", str(label).strip(), maxsplit=1)[0].lower()
        out[str(code)] = word
        out[str(label).strip().lower()] = word
        out[word] = word
    return out


def suggestions_for(profile, spec: dict, qim_type: str | None, labels: dict) -> list:
    """The suggestions for the low sub-scales of ``profile``, each once, with the sub-scales it serves.

    Those for all QIMs are always included, those for one type (traditional, clinical) when it
    is the respondent's (both types' when the type is not known). Returns
    ``[{"key", "scales": [label, ...], "audience", "suggestion", "passage", "cite"}]`` in the
    order of the sub-scales.
    """
    out: dict = {}
    for sid in profile.low_scales:
        for key in spec["scales"].get(sid, []):
            g = spec["suggestions"][key]
            if not (g["for"] == "all" or qim_type is None or g["for"] == qim_type):
                continue
            if key not in out:
                out[key] = {"key": key, "scales": [], "audience": g["for"],
                            "suggestion": " ".join(g["suggestion"].split()),
                            "passage": " ".join(g["passage"].split()), "cite": g["cite"]}
            out[key]["scales"].append(labels.get(sid, sid))
    return list(out.values())


def _comparison_text(ref, group_value, norms) -> str:
    if ref.comparison == "norms":
        return f"the norms in {Path(norms).name}" if isinstance(norms, (str, Path)) else "the norms given"
    n = ref.group_sizes.get(group_value if ref.group_col else None, 0)
    if ref.comparison == "group":
        return f"the respondents with the same {ref.group_col} ({group_value}; n = {n})"
    return f"the sample (N = {n})"


def _rows_of(pdata: ProfileData, wanted: str | None) -> list[int]:
    """Row positions to profile: the one with id ``wanted`` or every row with an id; checks uniqueness."""
    ids = pdata.ids
    if wanted is not None:
        hits = [k for k, v in enumerate(ids) if v == wanted]
        if not hits:
            raise DataError(f"{pdata.source}: the requested id is not in column '{pdata.id_col}'")
        if len(hits) > 1:
            raise DataError(f"{pdata.source}: the requested id occurs in {len(hits)} rows ("
                            + ", ".join(str(k + 2) for k in hits[:5]) + f") of column '{pdata.id_col}'; ids must "
                            "be unique")
        return hits
    seen: dict = {}
    for k, v in enumerate(ids):
        if v is None:
            continue
        stem = safe_file_stem(v).lower()  # case-folded: file systems that ignore case must not merge two
        if stem in seen:
            j = seen[stem]
            same = ids[j] == v
            raise DataError(f"{pdata.source}: rows {j + 2} and {k + 2} of column '{pdata.id_col}' "
                            + ("hold the same id" if same else "hold ids that give the same file name")
                            + "; ids must be unique")
        seen[stem] = k
    return list(seen.values())


def profile_pages(pdata: ProfileData, inst, *, respondent: str | None = None, norms=None, group: str | None = None,
                  min_cell: int = 5, low_percentile: float = 25.0, generated: str | None = None,
                  progress=None, fmt: str = "html") -> ProfileRun:
    """Render the profile page of ``respondent`` (or of every respondent with an id), as HTML text or, with
    ``fmt="pdf"``, as the bytes of a one-page A4 PDF (which never shows the id).

    With one respondent, a comparison group below ``min_cell`` raises :class:`DataError` (the
    profile is suppressed). With every respondent, the respondents of such groups are skipped and
    counted; if no page can be made at all, the run fails.
    """
    from qimscale import __version__
    from qimscale.analysis.profile import respondent_profile
    from qimscale.report.profile_figures import ProfileChart
    from qimscale.report.profile_html import render_profile

    ref, rows, domains, warnings = prepare_reference(pdata, inst, norms=norms, group=group, min_cell=min_cell,
                                                     low_percentile=low_percentile)
    spec = load_suggestions()
    types = _qim_types(inst)
    labels = {r["id"]: r["label"] for r in rows}
    lo, hi = inst.response_range(rows[-1]["items"][0])
    meta = {"instrument": inst.label, "instrument_version": inst.version, "qimscale_version": __version__,
            "source": "Akmal et al. (2022), BMC Health Serv Res 22:35"}
    df = pdata.table
    todo = _rows_of(pdata, respondent)
    scores = df[[s.id for s in ref.scales]].astype(float).to_dict(orient="records")
    groups = df[group].tolist() if group else None
    types_col = df[TYPE_FIELD].tolist() if TYPE_FIELD in df.columns else None
    pages, suppressed, n_low = [], 0, {}
    check_option("fmt", fmt, FORMATS, "profile")
    chart = None if fmt == "pdf" else ProfileChart(
        [r["label"] for r in rows if r["level"] == "scale"], lo=lo, hi=hi,
        reference="norm mean" if ref.comparison == "norms" else "comparison-group mean")
    try:
        for done, k in enumerate(todo, start=1):
            gval = groups[k] if group else None
            try:
                if group and id_text(gval) is None:
                    raise DataError(f"profile suppressed: the respondent has no value in --group column '{group}'")
                prof = respondent_profile(ref, scores[k], group=gval)
            except DataError as exc:
                if respondent is not None:
                    raise DataError(f"{pdata.source}: {exc}") from None
                suppressed += 1
                continue
            t = types_col[k] if types_col is not None else None
            qtype = types.get(id_text(t).lower()) if id_text(t) is not None else None
            for s in prof.low_scales:
                n_low[s] = n_low.get(s, 0) + 1
            page = dict(meta=meta, comparison=_comparison_text(ref, gval, norms), domains=domains,
                        suggestions=suggestions_for(prof, spec, qtype, labels), generated=generated)
            if chart is None:
                from qimscale.report.profile_pdf import render_profile_pdf

                html = render_profile_pdf(prof, lo=lo, hi=hi, **page)
            else:
                png = chart.render([r for r in prof.records if r["level"] == "scale"])
                html = render_profile(prof, figure_png=png, respondent=pdata.ids[k], **page)
            pages.append((pdata.ids[k], html, prof))
            if progress is not None:
                progress(done, len(todo))
    finally:
        if chart is not None:
            chart.close()
    if not pages:
        raise DataError(f"{pdata.source}: no profile can be made: every comparison group has fewer than --min-cell "
                        f"{min_cell} respondents")
    if suppressed:
        warnings.append(f"{suppressed} profile(s) suppressed: their comparison group has fewer than --min-cell "
                        f"{min_cell} respondents (or no --group value)")
    n_no_id = sum(v is None for v in pdata.ids) if respondent is None else 0
    if n_no_id:
        warnings.append(f"{n_no_id} row(s) have no value in '{pdata.id_col}' and get no profile")
    summary = {"n_profiles": len(pages), "n_suppressed": suppressed, "n_without_id": n_no_id,
               "id_col": pdata.id_col, "low_scale_counts": n_low, "reference": ref.to_dict()}
    if respondent is not None:
        summary["id"] = respondent
        summary["profile"] = pages[0][2].to_dict()
    return ProfileRun(pages=[(rid, html) for rid, html, _ in pages], reference=ref, summary=summary,
                      warnings=warnings)


def run_profiles(data, *, out, respondent: str | None = None, id_col: str | None = None, instrument=None,
                 norms=None, group: str | None = None, min_cell: int = 5, low_percentile: float = 25.0,
                 source: str | None = None, generated: str | None = None, progress=None,
                 fmt: str | None = None) -> ProfileRun:
    """Read DATA, render the profile(s) and write them: ``out`` is the HTML or PDF file (one respondent;
    the format follows its suffix) or the folder (every respondent; files ``<id>.html`` or, with
    ``fmt="pdf"``, ``<id>.pdf``, ids made file-safe). All files or none are written."""
    from qimscale.instrument import load_instrument
    from qimscale.report.profile_outputs import write_pages

    from qimscale.report.profile_outputs import out_format

    fmt = out_format(out, fmt, folder=respondent is None)
    inst = load_instrument(instrument)
    pdata = load_profile_data(data, id_col=id_col, source=source)
    run = profile_pages(pdata, inst, respondent=respondent, norms=norms, group=group, min_cell=min_cell,
                        low_percentile=low_percentile, generated=generated, progress=progress, fmt=fmt)
    protect = [p for p in (data, norms) if isinstance(p, (str, Path))]
    if respondent is not None:
        written = write_pages([(Path(out), run.pages[0][1])], protect=protect)
        run.summary["written"] = [str(p) for p in written]
    else:
        files = [(Path(out) / f"{safe_file_stem(rid)}.{fmt}", page) for rid, page in run.pages]
        write_pages(files, folder=Path(out), protect=protect)
        run.summary["out_dir"] = str(out)
    return run
