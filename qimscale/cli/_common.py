"""Helpers shared by the command modules: JSON output, item selection, data loading.

Kept free of heavy imports at module level so that ``--help`` stays fast.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import click

from qimscale._core.jsonable import to_jsonable  # noqa: F401  (re-exported)
from qimscale.scoring.scales import (  # noqa: F401  (re-exported for the command modules)
    ScaleSpec,
    _incomplete_scales,
    _instrument_ranges,
    parse_scale_spec,
    resolve_scales,
    split_list,
)


def emit_json(obj: Any) -> None:
    """Print exactly one JSON object on stdout (NaN written as ``null``)."""
    click.echo(json.dumps(to_jsonable(obj), allow_nan=False, ensure_ascii=False))


def parse_scale_option(spec: str) -> tuple[str, list[str], list[str]]:
    """Parse ``NAME=a,b,-c`` into ``(name, items, reversed_items)`` (a usage error if malformed).

    >>> parse_scale_option("lead=l1,l2,-l3")
    ('lead', ['l1', 'l2', 'l3'], ['l3'])
    """
    try:
        return parse_scale_spec(spec)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--scale") from None


# --------------------------------------------------------------------------- item selection

def item_options(func):
    """Add the contract's item-selection options: --items, --scale, --min, --max, --instrument."""
    opts = [
        click.option("--items", help="Comma-separated item columns to analyse; a leading '-' marks a "
                     "reverse-keyed item (default: the instrument's scales found in DATA)."),
        click.option("--scale", "scales", multiple=True, metavar="NAME=a,b,-c",
                     help="Define a scale; a leading '-' marks a reverse-keyed item. Repeatable "
                          "(default: the instrument's scales found in DATA)."),
        click.option("--min", "min_", type=float, help="Lowest response code, for reverse keying (default: from the instrument; none with "
                          "--items/--scale unless --instrument is given)."),
        click.option("--max", "max_", type=float, help="Highest response code, for reverse keying (default: from the instrument; none with "
                          "--items/--scale unless --instrument is given)."),
        click.option("--instrument", "instrument", metavar="SPEC",
                     help="Instrument YAML whose scales to use (default: the bundled QIM instrument "
                          "when no items are given)."),
        click.option("--kind", type=click.Choice(["competency", "outcome", "exploratory", "all"]), default=None,
                     expose_value=False, callback=_remember_selection,
                     help="Which of the instrument's scales to use when no items are given (default: the "
                          "competency sub-scales; with --domain: every scale of that domain)."),
        click.option("--domain", "domain", multiple=True, metavar="ID", expose_value=False,
                     callback=_remember_selection,
                     help="Only the instrument's scales of this domain (repeatable; default: all domains)."),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


_SELECTION = "qimscale.scale_selection"


def _remember_selection(ctx, param, value):
    """Keep --kind/--domain in the context for :func:`load_items` (the commands do not pass them on)."""
    ctx.meta.setdefault(_SELECTION, {})[param.name] = (list(value) or None) if param.name == "domain" else value
    return value


def scale_selection() -> dict:
    """``{"kind": ..., "domain": ...}`` as given on the command line (``None`` when not given)."""
    ctx = click.get_current_context(silent=True)
    sel = dict(ctx.meta.get(_SELECTION, {})) if ctx is not None else {}
    return {"kind": sel.get("kind"), "domain": sel.get("domain")}


# --------------------------------------------------------------------------- data-command helpers
# Used by every data command (reliability_cmd, efa_cmd, cfa_cmd): read DATA,
# check the items, report warnings once.

FORMATS = ["csv", "tsv", "xlsx", "sav", "dta", "parquet"]


def source_name(data) -> str:
    """How error messages name DATA (``-`` is standard input)."""
    return "standard input" if str(data) == "-" else str(data)


def check_stdin_format(data, fmt) -> None:
    """'-' is text on standard input: a binary --format needs the file's name (usage error)."""
    if str(data) == "-" and fmt in ("xlsx", "sav", "dta", "parquet"):
        raise click.BadParameter(f"standard input ('-') is read as CSV or TSV; give the name of the {fmt} file "
                                 "instead of '-'", param_hint="--format")


def read_table(data, fmt=None):
    """Read DATA (``-`` is CSV on standard input) for an analysis.

    Values the file declares user-missing (SPSS missing codes and ranges) become
    missing, as in ``haven::read_sav``: analysed as answers, a 99 'refused' would
    silently change every statistic. How many per column, and the reader's notes
    (sheets left unread, repeated columns renamed), are reported as ``Warning:``
    and ``Note:`` lines once the command's library call succeeds (see
    :meth:`Reporter.call`), so a failing run still prints one ``Error:`` line.
    """
    import pandas as pd

    from qimscale.io import read_survey

    check_stdin_format(data, fmt)
    survey = read_survey(data, format=fmt, na_markers=True)
    source = source_name(data)
    lines = [f"Note: {source}: {note}" for note in survey.notes]
    df, counts = survey.data, {}
    for col, defs in survey.user_missing.items():
        if col not in df.columns:
            continue
        s = df[col]
        letters = [d for d in defs or [] if isinstance(d, str)]  # Stata's .a-.z arrive as letters
        mask = s.isin(letters)
        for d in (defs or []) if _numeric(s) else []:  # SPSS codes and lo-hi ranges
            if isinstance(d, dict):
                mask = mask | s.between(float(d["lo"]), float(d["hi"]))
            elif not isinstance(d, str):
                mask = mask | (s == float(d))
        if mask.any():
            s = s.mask(mask)
            if letters and not _numeric(s):
                with contextlib.suppress(ValueError, TypeError):
                    s = pd.to_numeric(s)
            df[col] = s
            counts[col] = int(mask.sum())
    if counts:
        lines.append(f"Warning: {source}: {sum(counts.values())} value(s) declared user-missing in the file were "
                     "treated as missing (" + ", ".join(f"'{c}': {n}" for c, n in counts.items()) + ")")
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        for line in lines:
            click.echo(line, err=True)
    else:
        ctx.meta.setdefault(_READ_NOTES, []).extend(lines)
    return df


_READ_NOTES = "qimscale.read_notes"


def _numeric(col) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def check_numeric(df, items, source) -> None:
    """Raise a :class:`~qimscale.errors.DataError` naming the file, row, column and value of the
    first answer that is not a number (checked before any reverse keying); the rules and the
    message are :func:`qimscale._core.checks.check_numeric_columns`'s."""
    from qimscale._core.checks import check_numeric_columns

    check_numeric_columns(df, items, source=source)


def check_range(df, spec, source) -> None:
    """Raise a :class:`~qimscale.errors.DataError` listing values outside the scale's known
    response range (they would be reverse-keyed into nonsense); see
    :func:`qimscale._core.checks.check_range`."""
    from qimscale._core import checks

    if spec.min is None or spec.max is None:
        return
    checks.check_range(df[spec.items], (spec.min, spec.max), spec.items, source=source,
                       context=f"scale '{spec.name}'")


class Reporter:
    """Run the library call of a command and report its warnings once each.

    Python warnings raised inside :meth:`call` and the messages a result lists
    (``res.warnings``) are printed as ``Warning: ...`` lines on stderr, each
    distinct message once. A :class:`~qimscale.errors.DataError` leaving
    :meth:`call` gets the data source put in front of its message, so the
    ``Error:`` line names the file.
    """

    def __init__(self, source=None):
        self.source = source
        self._seen: set[str] = set()

    def warn(self, messages) -> None:
        for m in messages:
            text = " ".join(str(m).split())
            if text and text not in self._seen:
                self._seen.add(text)
                click.echo(f"Warning: {text}", err=True)

    def note(self, messages) -> None:
        """``Note: ...`` lines on stderr (choices made for the user), each distinct one once.

        Inside a click command they are printed when the next :meth:`call` succeeds (with the
        reader's notes), so a run that fails prints its one ``Error:`` line only.
        """
        ctx = click.get_current_context(silent=True)
        for m in messages:
            text = " ".join(str(m).split())
            if text and ("note", text) not in self._seen:
                self._seen.add(("note", text))
                if ctx is None:
                    click.echo(f"Note: {text}", err=True)
                else:
                    ctx.meta.setdefault(_READ_NOTES, []).append(f"Note: {text}")

    def note_selection(self, specs, keyed: bool = True) -> None:
        """Say which of the instrument's scales a command analyses when no items were given."""
        sel = scale_selection()
        what = {None: "", "all": "all "}.get(sel["kind"], f"{sel['kind']} ") if sel["domain"] or sel["kind"] \
            else "competency "
        self.note([f"analysing the instrument's {what}scales" + (f" of domain {', '.join(sel['domain'])}"
                   if sel["domain"] else "") + f" ({len(specs)}: {', '.join(s.name for s in specs)})"
                   + (", reverse keys applied" if keyed else ", answers as given (not reverse-keyed)")
                   + ("; --kind outcome|exploratory|all selects others" if not sel["kind"] and not sel["domain"]
                      else "")])

    def warn_by_part(self, by_part) -> None:
        """Report ``{part: [message, ...]}`` (e.g. per invariance level) with each message once:
        bare when it was already reported or concerns every part, else led by the parts it concerns."""
        parts_of: dict[str, list] = {}
        for part, messages in by_part.items():
            for m in messages:
                parts_of.setdefault(" ".join(str(m).split()), []).append(str(part))
        self.warn(m if m in self._seen or len(parts) == len(by_part) else f"{', '.join(parts)}: {m}"
                  for m, parts in parts_of.items())

    @contextlib.contextmanager
    def call(self):
        import warnings

        from qimscale.errors import DataError

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield self
            except DataError as exc:
                if self.source and exc.args and self.source not in str(exc):
                    exc.args = (f"{self.source}: {exc.args[0]}",) + exc.args[1:]
                raise
        ctx = click.get_current_context(silent=True)
        for line in ctx.meta.pop(_READ_NOTES, []) if ctx is not None else []:
            click.echo(line, err=True)
        self.warn(w.message for w in caught)


def json_option(func):
    return click.option("--json", "as_json", is_flag=True,
                        help="Print the result as one JSON object on stdout (warnings go to stderr).")(func)


def format_option(func):
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
                        help="Read DATA as this format (default: detected from the file name and "
                             "contents; '-' is read as CSV).")(func)


def load_items(data, fmt, items, scales, min_, max_, instrument, check_ranges=True, keyed=True):
    """Read DATA, resolve the item options into scales and check that every item is numeric
    and inside the scale's known response range.

    ``check_ranges=False`` leaves the range check to the library call (``items``, which
    counts a not-applicable code outside the range as N/A).

    Returns ``(df, specs, report)``: the data, the :class:`~qimscale.cli._common.ScaleSpec`
    list and the command's :class:`Reporter` (which has already reported instrument scales
    left out because DATA lacks some of their items).
    """
    if min_ is not None and max_ is not None and min_ >= max_:
        raise click.BadParameter(f"--min ({min_:g}) must be below --max ({max_:g})", param_hint="--min/--max")
    if items and scales:
        raise click.UsageError("give either --items or --scale, not both")
    names = [parse_scale_option(s)[0] for s in scales or ()]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:  # results are keyed by scale name: one of the two would be lost
        raise click.BadParameter(f"scale name(s) {', '.join(map(repr, twice))} given more than once; give each "
                                 "scale its own name", param_hint="--scale")
    source = source_name(data)
    sel = scale_selection()
    if (items or scales) and (sel["kind"] or sel["domain"]):
        raise click.UsageError("--kind/--domain select the instrument's scales; leave them out with --items/--scale")
    df = read_table(data, fmt)
    specs = resolve_scales(df.columns, items=items, scales=scales, min_=min_, max_=max_,
                           instrument=instrument, source=source, **sel)
    if instrument and (items or scales):
        _instrument_ranges(specs, instrument)
    for spec in specs:
        twice = sorted({i for i in spec.items if spec.items.count(i) > 1})
        if twice and (items or scales):
            raise click.BadParameter(f"item(s) {', '.join(map(repr, twice))} listed more than once"
                                     + (f" in scale '{spec.name}'" if scales else ""),
                                     param_hint="--scale" if scales else "--items")
    check_numeric(df, list(dict.fromkeys(i for s in specs for i in s.items)), source)
    for spec in specs:
        _range(spec, spec.reverse)
        if check_ranges:
            check_range(df, spec, source)
    report = Reporter(source)
    if not items and not scales:
        report.warn(_incomplete_scales(df.columns, specs, instrument, **sel))
        report.note_selection(specs, keyed)
    return df, specs, report


def _range(spec, reverse):
    """The response range (checked against the data, used to reverse-key), if known.

    Reverse keying without a known range is an error, as the CLI contract requires.
    """
    if spec.min is not None and spec.max is not None:
        return (spec.min, spec.max)
    if reverse:
        from qimscale.errors import DataError

        raise DataError(f"scale '{spec.name}': reverse-keyed item(s) {', '.join(map(repr, reverse))} need the "
                        "response range; pass --min and --max (or use --instrument)")
    return None


# --------------------------------------------------------------------------- progress bars
# Long library calls accept ``progress(done, total)``; these helpers back it with a tqdm bar
# on stderr for people watching a terminal, and stay silent for pipes, files and --json.

def progress_option(func):
    """Add ``--no-progress`` (the bar is shown only on a terminal and never with --json)."""
    return click.option("--no-progress", "no_progress", is_flag=True,
                        help="Do not show a progress bar on stderr (default: shown when stderr is a "
                             "terminal and --json is not given).")(func)


def progress_enabled(as_json=False, no_progress=False, stream=None) -> bool:
    """Whether to draw a progress bar: stderr (or ``stream``) is a terminal, no --json, no --no-progress."""
    import sys

    if as_json or no_progress:
        return False
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or unusual streams
        return False


@contextlib.contextmanager
def progress_bar(desc: str, enabled: bool, *, file=None):
    """Context manager yielding a ``progress(done, total)`` callable for a library call.

    When ``enabled`` it drives a tqdm bar on ``file`` (default stderr), created at the first
    call (when the total is known) and removed when the block ends; otherwise the callable
    does nothing.
    """
    if not enabled:
        yield lambda done, total: None
        return
    import sys

    from tqdm import tqdm

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=desc, file=sys.stderr if file is None else file, leave=False,
                       dynamic_ncols=True, unit="")
        if total != bar.total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()
