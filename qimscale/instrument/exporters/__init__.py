"""Exporters: one module per output format, each with ``render(inst, form, lang)``.

``render`` returns ``str`` (text formats, UTF-8) or ``bytes`` (XLSForm). Use
:func:`export` to render by format name and :func:`write_export` /
:func:`export_all` to write files atomically (temporary file + ``os.replace``).

>>> from qimscale.instrument import load_instrument
>>> sorted(FORMATS)
['codebook', 'html', 'lavaan', 'limesurvey', 'markdown', 'qualtrics', 'ratings', 'redcap', 'xlsform']
"""

from __future__ import annotations

import importlib
from pathlib import Path

from qimscale.errors import InstrumentError

#: format name -> (module, file extension, per-form?)
FORMATS: dict[str, tuple[str, str, bool]] = {
    "redcap": ("qimscale.instrument.exporters.redcap", ".csv", True),
    "xlsform": ("qimscale.instrument.exporters.xlsform", ".xlsx", True),
    "qualtrics": ("qimscale.instrument.exporters.qualtrics", ".txt", True),
    "limesurvey": ("qimscale.instrument.exporters.limesurvey", ".txt", True),
    "markdown": ("qimscale.instrument.exporters.paper", ".md", True),
    "html": ("qimscale.instrument.exporters.paper", ".html", True),
    "codebook": ("qimscale.instrument.exporters.codebook", ".csv", False),
    "lavaan": ("qimscale.instrument.lavaan", ".lav", False),
    "ratings": ("qimscale.instrument.exporters.ratings", ".xlsx", False),
}


#: further file suffixes a format may be written to (besides its own in FORMATS)
OTHER_SUFFIXES: dict[str, tuple[str, ...]] = {"limesurvey": (".tsv",), "markdown": (".markdown", ".txt"),
                                              "html": (".htm",), "lavaan": (".txt", ".model"), "ratings": (".csv",)}


def check_suffix(fmt: str, out) -> None:
    """Raise unless ``out``'s suffix suits ``fmt`` (a REDCap CSV is not written into ``x.xlsx``).

    >>> check_suffix("redcap", "dict.csv")
    """
    allowed = (FORMATS[fmt][1],) + OTHER_SUFFIXES.get(fmt, ())
    if Path(out).suffix.lower() not in allowed:
        raise InstrumentError(f"{out}: --format {fmt} writes {' or '.join(allowed)} files; "
                              f"give --out a name ending in {allowed[0]}")


def _module(fmt: str):
    if fmt not in FORMATS:
        raise InstrumentError(f"unknown export format '{fmt}'; formats: {', '.join(FORMATS)}")
    return importlib.import_module(FORMATS[fmt][0])


def export(inst, fmt: str, *, form: str = "self", lang: str | None = None, suffix: str | None = None) -> str | bytes:
    """Render ``inst`` in format ``fmt`` for ``form`` and ``lang`` (``suffix``: the output file's, for formats
    written as more than one file type, e.g. ``ratings`` as ``.xlsx`` or ``.csv``)."""
    mod = _module(fmt)
    if fmt == "ratings":
        return mod.render(inst, form, lang, suffix=suffix or FORMATS[fmt][1])
    if fmt == "markdown":
        return mod.render_markdown(inst, form, lang)
    if fmt == "html":
        return mod.render_html(inst, form, lang)
    return mod.render(inst, form, lang)


def default_filename(inst, fmt: str, form: str = "self", lang: str | None = None) -> str:
    """File name used by :func:`export_all`, e.g. ``qim_competency_self_redcap.csv``."""
    ext = FORMATS[fmt][1]
    suffix = "" if lang in (None, inst.default_language) else f"_{lang}"
    name = "paper" if fmt in ("markdown", "html") else fmt
    if not FORMATS[fmt][2]:
        return f"{inst.id}_{name}{suffix}{ext}"
    return f"{inst.id}_{form}_{name}{suffix}{ext}"


def write_export(inst, fmt: str, out, *, form: str = "self", lang: str | None = None) -> Path:
    """Render and write one export atomically; returns the path written.

    Raises
    ------
    InstrumentError
        An unknown format, or a suffix of ``out`` that does not suit it
        (see :func:`check_suffix`), before anything is rendered.
    """
    from qimscale.instrument.exporters._common import atomic_write

    _module(fmt)
    check_suffix(fmt, out)
    data = export(inst, fmt, form=form, lang=lang, suffix=Path(out).suffix)
    return atomic_write(out, data)


def export_all(inst, outdir, *, forms=("self", "observer"), lang: str | None = None) -> list[Path]:
    """Write every format for every form into ``outdir`` (created if needed).

    Everything is rendered first and then written all together or not at
    all, so an error leaves the folder as it was (a folder created for the
    export is removed again). The codebook (which is the same for
    both forms apart from the text column) is written once, for the first form.
    """
    from qimscale.instrument.exporters._common import atomic_write_all

    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise InstrumentError(f"{outdir}: exists and is not a folder; --format all needs a folder for --out")
    rendered: list[tuple[Path, str | bytes]] = []
    for fmt, (_, _, per_form) in FORMATS.items():
        for form in (forms if per_form else forms[:1]):
            rendered.append((outdir / default_filename(inst, fmt, form, lang), export(inst, fmt, form=form, lang=lang)))
    created = not outdir.exists()
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InstrumentError(f"{outdir}: cannot create the folder ({exc.strerror or exc})") from None
    try:
        return atomic_write_all(rendered)
    except BaseException:
        if created:
            try:
                outdir.rmdir()
            except OSError:
                pass
        raise
