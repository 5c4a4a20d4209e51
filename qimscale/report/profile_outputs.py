"""Write profile pages all or nothing.

Every page is first written into a hidden staging folder; only when all are written
are they moved into place. A new output folder appears in one rename; into an
existing folder the pages are moved one by one and, if a move fails, those already
moved are removed again. A failed run therefore leaves no page behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from qimscale.errors import DataError

HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)


def out_format(out, fmt: str | None, *, folder: bool) -> str:
    """The page format: ``fmt`` when given (it must agree with the suffix of a file ``out``), else the
    suffix of ``out`` (``.html``/``.htm`` or ``.pdf``), else HTML for a folder."""
    suffix = Path(out).suffix.lower()
    by_suffix = "pdf" if suffix in PDF_SUFFIXES else "html" if suffix in HTML_SUFFIXES else None
    if folder:
        return fmt or "html"
    if by_suffix is None:
        raise DataError(f"{out}: a profile is written as HTML or PDF; give --out a name ending in .html or .pdf")
    if fmt is not None and fmt != by_suffix:
        raise DataError(f"{out}: --format {fmt} does not match the file name; end it in .{fmt} or drop --format")
    return by_suffix


def _check(path: Path, protect) -> None:
    if path.suffix.lower() not in HTML_SUFFIXES + PDF_SUFFIXES:
        raise DataError(f"{path}: a profile is written as HTML or PDF; give --out a name ending in .html or .pdf")
    if any(Path(p).resolve() == path.resolve() for p in protect if str(p) != "-"):
        raise DataError(f"{path}: refusing to overwrite the input file; choose another --out")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; choose a file name for --out")


def check_out(out, *, folder: bool, protect=()) -> Path:
    """Fail before any work on an --out that cannot be written (missing parent, wrong kind or suffix)."""
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise DataError(f"{out}: the folder {parent} does not exist")
    if folder:
        if out.exists() and not out.is_dir():
            raise DataError(f"{out}: exists and is not a folder; --all needs a folder for --out")
    else:
        _check(out, protect)
    return out


def write_pages(files, *, folder: Path | None = None, protect=()) -> list[Path]:
    """Write ``[(path, page), ...]`` (HTML text or PDF bytes); with ``folder``, every path lies in it
    (created when missing)."""
    files = [(Path(p), html) for p, html in files]
    for p, _ in files:
        _check(p, protect)
    base = folder if folder is not None else files[0][0].parent
    new_folder = folder is not None and not folder.exists()
    parent = (folder.parent if str(folder.parent) else Path(".")) if new_folder else base
    if not parent.is_dir():
        raise DataError(f"{base}: the folder {parent} does not exist")
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{base.name or 'profiles'}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise DataError(f"{base}: cannot write in {parent} ({exc.strerror or exc})") from None
    moved: list[Path] = []
    try:
        for p, page in files:
            if isinstance(page, bytes):
                (stage / p.name).write_bytes(page)
            else:
                (stage / p.name).write_text(page, encoding="utf-8")
        if new_folder:
            os.chmod(stage, 0o777 & ~_umask())
            os.rename(stage, folder)
            moved.append(folder)
            return [p for p, _ in files]
        for p, _ in files:
            os.replace(stage / p.name, p)
            moved.append(p)
        return [p for p, _ in files]
    except BaseException as exc:  # an interrupt half way must not leave some pages either
        for p in moved:
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise DataError(f"{base}: cannot write: {exc.strerror or exc}") from None
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m
