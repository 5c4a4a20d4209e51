"""Helpers shared by the exporters: language/form checks, sections, atomic writes."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qimscale.errors import InstrumentError


def check_form(inst, form: str) -> str:
    """Return ``form`` if the instrument defines it, else raise naming the forms."""
    inst.get_form(form)
    return form


def check_lang(inst, lang: str | None) -> str:
    """Return the language code to export (default language when ``None``)."""
    if lang is None:
        return inst.default_language
    if lang not in inst.language_codes:
        raise InstrumentError(
            f"{inst.path}: language '{lang}' is not declared; declared languages: "
            f"{', '.join(inst.language_codes)} (add one with 'qimscale instrument translate')"
        )
    return lang


@dataclass
class Section:
    """One scale as shown to respondents: its items and the heading above them."""

    scale: object
    items: list
    first_in_domain: bool
    domain_label: str
    stem: str


def sections(inst, form: str, lang: str) -> list[Section]:
    """Scales in file order with their items, domain heading and stem for ``form``/``lang``."""
    out = []
    seen = set()
    for sc in inst.scales:
        its = inst.scale_items(sc.id)
        if not its:
            continue
        dom = inst.get_domain(sc.domain)
        out.append(Section(sc, its, sc.domain not in seen, dom._local(dom.labels, lang),
                           inst.scale_stem(sc.id, form, lang)))
        seen.add(sc.domain)
    return out


def local(obj_texts: dict, lang: str, default: str) -> str:
    """Text in ``lang``, falling back to the default language."""
    if not obj_texts:
        return ""
    return obj_texts.get(lang) or obj_texts.get(default) or next(iter(obj_texts.values()))


def atomic_write(path, data) -> Path:
    """Write ``data`` (str or bytes) to ``path`` via a temporary file and ``os.replace``.

    A failure leaves no partial file behind. Text is written as UTF-8 with ``\\n``
    line endings (the exporters put explicit line endings where a format needs them).
    """
    return atomic_write_all([(path, data)])[0]


def atomic_write_all(files) -> list[Path]:
    """Write several ``(path, data)`` pairs so that all appear together or none does.

    Each is written to a temporary file beside its destination; only when all
    are written are they moved into place with ``os.replace``.

    Raises
    ------
    InstrumentError
        A destination that is a folder or whose folder is missing, or any
        operating-system error while writing (read-only folder, full disk).
    """
    staged: list[tuple[str, Path]] = []
    done: list[Path] = []
    try:
        for path, data in files:
            path = Path(path)
            if path.exists() and path.is_dir():
                raise InstrumentError(f"{path}: is a directory; give a file name for --out")
            parent = path.parent if str(path.parent) else Path(".")
            if not parent.exists():
                raise InstrumentError(f"{path}: folder '{parent}' does not exist")
            payload = data.encode("utf-8") if isinstance(data, str) else data
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
                staged.append((tmp, path))
                with os.fdopen(fd, "wb") as fh:
                    fh.write(payload)
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
            except OSError as exc:
                raise InstrumentError(f"{path}: cannot write ({exc.strerror or exc})") from None
        for tmp, path in staged:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise InstrumentError(f"{path}: cannot write ({exc.strerror or exc})") from None
            done.append(path)
    except BaseException:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        for path in done:
            path.unlink(missing_ok=True)
        raise
    return done
