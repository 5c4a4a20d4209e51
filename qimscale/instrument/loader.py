"""Find, read and check an instrument file.

The bundled instrument lives at ``instrument/qim-competency.yaml`` in a source
checkout and at ``qimscale/_bundled/instrument/qim-competency.yaml`` inside an
installed wheel (``pyproject.toml`` force-includes the folder); both are found.
"""

from __future__ import annotations

import os
from pathlib import Path

from qimscale.errors import InstrumentError
from qimscale.instrument.yaml_text import dump_yaml, parse_yaml  # noqa: F401  (re-exported)

BUNDLED_NAME = "qim-competency.yaml"
#: How the bundled file is named in messages, whatever its installed location.
BUNDLED_DISPLAY = "instrument/qim-competency.yaml"

_KINDS = {
    "items": "item",
    "scales": "scale",
    "domains": "domain",
    "background": "background field",
    "forms": "form",
    "response_scales": "response scale",
    "languages": "language",
    "changelog": "changelog entry",
    "options": "option",
    "choices": "choice",
}

_cache: dict[tuple, object] = {}


def bundled_dir() -> Path:
    """The folder holding the bundled instrument files.

    Looks inside the installed package first (``qimscale/_bundled/instrument``),
    then in the source checkout (``<repo>/instrument``).
    """
    pkg = Path(__file__).resolve().parent.parent  # .../qimscale
    candidates = [pkg / "_bundled" / "instrument", pkg.parent / "instrument"]
    for c in candidates:
        if (c / BUNDLED_NAME).is_file():
            return c
    raise InstrumentError(
        "the bundled instrument was not found (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); reinstall qimscale or pass an instrument file"
    )


def bundled_path() -> Path:
    """Path of the bundled ``qim-competency.yaml``."""
    return bundled_dir() / BUNDLED_NAME


def resolve_spec(spec=None) -> tuple[Path, str]:
    """Turn an instrument spec into ``(path, display name)``.

    ``None``, ``""``, ``"bundled"``, ``"qim-competency"`` and ``"qim-competency.yaml"``
    mean the bundled instrument; anything else is a file path.
    """
    if spec is None or str(spec) in ("", "bundled", "default", "qim-competency", BUNDLED_NAME):
        if spec is not None and str(spec) == BUNDLED_NAME and Path(BUNDLED_NAME).is_file():
            return Path(BUNDLED_NAME), BUNDLED_NAME
        return bundled_path(), BUNDLED_DISPLAY
    path = Path(os.fspath(spec))
    return path, str(spec)


def _describe_loc(raw, loc) -> str:
    """Turn a pydantic error location into ``item 'x': field 'scale'``."""
    parts: list[str] = []
    node = raw
    i = 0
    loc = list(loc)
    fields: list[str] = []
    while i < len(loc):
        key = loc[i]
        if isinstance(key, str) and key in _KINDS and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            idx = loc[i + 1]
            child = None
            if isinstance(node, dict):
                seq = node.get(key)
                if isinstance(seq, list) and 0 <= idx < len(seq):
                    child = seq[idx]
            ident = None
            if isinstance(child, dict):
                ident = child.get("id", child.get("code", child.get("version")))
            if ident is not None:
                parts.append(f"{_KINDS[key]} '{ident}'")
            else:
                parts.append(f"{_KINDS[key]} #{idx + 1}")
            fields = []
            node = child
            i += 2
            continue
        fields.append(str(key))
        node = node.get(key) if isinstance(node, dict) else None
        i += 1
    if fields:
        parts.append(f"field '{'.'.join(fields)}'")
    return ": ".join(parts)


def _pydantic_message(raw, exc) -> str:
    msgs = []
    for err in exc.errors():
        where = _describe_loc(raw, err.get("loc", ()))
        kind = err.get("type", "")
        if kind == "extra_forbidden":
            msg = "unknown field (check its spelling)"
        elif kind == "missing":
            msg = "required field is missing"
        elif kind == "literal_error":
            msg = err.get("msg", "invalid value").replace("Input should be", "must be")
            msg += f"; got {err.get('input')!r}"
        else:
            msg = f"{err.get('msg', 'invalid value')}; got {err.get('input')!r}"
        msgs.append(f"{where}: {msg}" if where else msg)
    more = f" (and {len(msgs) - 3} more)" if len(msgs) > 3 else ""
    return "; ".join(msgs[:3]) + more


def read_raw(path: Path, display: str) -> dict:
    """Read the YAML file as plain data, with one-line errors for missing files and bad YAML."""
    import yaml

    if not path.exists():
        raise InstrumentError(f"{display}: instrument file not found")
    if path.is_dir():
        raise InstrumentError(f"{display}: is a directory, not an instrument file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InstrumentError(f"{display}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InstrumentError(f"{display}: cannot read the file ({exc.strerror})") from None
    try:
        raw = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if mark is not None:
            raise InstrumentError(
                f"{display}: YAML syntax error at line {mark.line + 1}, column {mark.column + 1}: {problem}"
            ) from None
        raise InstrumentError(f"{display}: YAML syntax error: {problem}") from None
    if not isinstance(raw, dict):
        raise InstrumentError(f"{display}: expected a mapping with 'items', 'scales', ... at the top level; "
                              f"got {type(raw).__name__}")
    return raw


def instrument_from_raw(raw: dict, display: str, *, check: bool = True, file=None):
    """Build an :class:`Instrument` from plain data; ``check`` raises on validation errors."""
    from pydantic import ValidationError

    from qimscale.instrument.model import Instrument

    try:
        inst = Instrument.model_validate(raw)
    except ValidationError as exc:
        raise InstrumentError(f"{display}: {_pydantic_message(raw, exc)}") from None
    inst._path = display
    inst._file = None if file is None else str(Path(file).resolve())
    inst._propagate_language()
    if check:
        from qimscale.instrument.validation import check_instrument  # lazily, as the models above

        errors = check_instrument(inst, errors_only=True)
        if errors:
            first = "; ".join(f"{p.where}: {p.message}" if p.where else p.message for p in errors[:3])
            more = f" (and {len(errors) - 3} more; run 'qimscale instrument validate')" if len(errors) > 3 else ""
            raise InstrumentError(f"{display}: {first}{more}")
    return inst


def load_instrument(spec=None, *, check: bool = True):
    """Load an instrument file into typed models.

    Parameters
    ----------
    spec : str, path-like, Instrument or None
        Instrument file. ``None`` (default) loads the bundled QIM competency
        instrument. An :class:`Instrument` is returned unchanged.
    check : bool
        Run :func:`validate_instrument` and raise on any problem of severity
        ``"error"`` (duplicate ids, unknown scales, empty texts, ...). Warnings
        (short scales, platform names, missing translations) never raise.

    Returns
    -------
    Instrument
        With ``version``, ``scales``, ``items``, ``domains``, ``background``,
        ``response_scales``, ``forms`` and lookups such as ``scale_items``,
        ``response_range`` and ``item_text``.

    Raises
    ------
    InstrumentError
        One line naming the file, the object and the field, e.g.
        ``instrument/qim-competency.yaml: item 'lead_sys_2': unknown scale 'systems';
        known scales: ...``.

    Examples
    --------
    >>> from qimscale.instrument import load_instrument
    >>> inst = load_instrument()
    >>> inst.version, len(inst.items), len(inst.scales)
    ('1.0.0', 55, 12)
    >>> [s.id for s in inst.scales if s.exploratory]
    ['ext_orientation']
    """
    from qimscale.instrument.model import Instrument

    if isinstance(spec, Instrument):
        return spec
    path, display = resolve_spec(spec)
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size, display, check)
    except OSError:
        key = None
    if key is not None and key in _cache:
        return _cache[key]
    raw = read_raw(path, display)
    inst = instrument_from_raw(raw, display, check=check, file=path)
    if display != BUNDLED_DISPLAY:
        inst._path = display
    if key is not None:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = inst
    return inst


def validate_instrument(inst=None, *, errors_only: bool = False):
    """Check an instrument and return every problem found (empty list when valid).

    Parameters
    ----------
    inst : Instrument or str or path-like or None
        A loaded instrument, or a file to load (``None``: the bundled instrument).
        A file that cannot be parsed at all raises :class:`InstrumentError`.
    errors_only : bool
        Return only problems of severity ``"error"``.

    Returns
    -------
    list of Problem
        See :func:`qimscale.instrument.validation.check_instrument` for the checks.

    Raises
    ------
    InstrumentError
        If ``inst`` is a file that is missing or cannot be parsed.

    Examples
    --------
    >>> from qimscale.instrument import validate_instrument
    >>> validate_instrument(None)
    []
    """
    from qimscale.instrument.validation import check_instrument  # lazily: it loads the pydantic models

    return check_instrument(load_instrument(inst, check=False), errors_only=errors_only)
