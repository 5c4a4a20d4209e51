"""Write a validation study to a folder: ``report.html``, ``results.json``, ``tables/*.csv``,
``figures/*.png`` and ``*.svg``.

Everything is first written to a temporary folder beside the destination, then moved
into place, so a run that fails while rendering leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from qimscale.errors import DataError


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(name))


def _neutralise(df):
    """Prefix text cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) with ``'``
    (OWASP CSV-injection guidance); numbers are left alone."""
    import pandas as pd

    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            def fix(v):
                if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    try:
                        float(v)
                        return v
                    except ValueError:
                        return "'" + v
                return v
            out[c] = out[c].map(fix)
    return out if isinstance(out, pd.DataFrame) else df


def write_study(result, out_dir, *, generated: str | None = None) -> dict:
    """Write ``result`` (a :class:`~qimscale.study.validate.StudyResult`) into ``out_dir``.

    Returns ``{"report": path, "results": path, "tables": [...], "figures": [...]}``.
    """
    from qimscale._core.jsonable import to_jsonable
    from qimscale.report.html import render_report

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: is a file; --out must name a folder")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise DataError(f"{out}: the folder {parent} does not exist")
    html = render_report(result, generated=generated)
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    except OSError as exc:
        raise DataError(f"{out}: cannot write in {parent} ({exc.strerror or exc})") from None
    written: dict = {"tables": [], "figures": []}
    try:
        (stage / "tables").mkdir()
        (stage / "figures").mkdir()
        (stage / "report.html").write_text(html, encoding="utf-8")
        data = to_jsonable(result.to_dict())
        (stage / "results.json").write_text(json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False) + "\n",
                                            encoding="utf-8")
        for name, table in result.tables().items():
            rel = Path("tables") / f"{_safe(name)}.csv"
            _neutralise(table).to_csv(stage / rel, index=False)
            written["tables"].append(rel)
        for step in result.steps:
            for name, fig in step.figures.items():
                for fmt in ("png", "svg"):
                    rel = Path("figures") / f"{_safe(step.id)}_{_safe(name)}.{fmt}"
                    if fmt == "png":
                        (stage / rel).write_bytes(fig["png"])
                    else:
                        (stage / rel).write_text(fig["svg"], encoding="utf-8")
                    written["figures"].append(rel)
        out.mkdir(exist_ok=True)
        for sub in ("tables", "figures"):
            (out / sub).mkdir(exist_ok=True)
        for rel in ["report.html", "results.json"] + written["tables"] + written["figures"]:
            os.replace(stage / rel, out / rel)
    except OSError as exc:
        raise DataError(f"{out}: cannot write: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {"report": str(out / "report.html"), "results": str(out / "results.json"),
            "tables": [str(out / p) for p in written["tables"]], "figures": [str(out / p) for p in written["figures"]]}
