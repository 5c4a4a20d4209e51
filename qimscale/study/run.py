"""Read DATA (a platform export or scored data), run the validation study and write its outputs."""

from __future__ import annotations

import contextlib
import hashlib
import io
import sys


@contextlib.contextmanager
def _replay_stdin(raw: bytes | None):
    """Let a reader of ``-`` read ``raw`` (bytes already taken from standard input); no-op for ``None``."""
    if raw is None:
        yield
        return
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", errors="replace")
    try:
        yield
    finally:
        sys.stdin = saved


def check_out_folder(out) -> None:
    """Refuse an output folder whose parent is missing before the study runs, not after it
    (``write_study`` checks the rest when it writes)."""
    from pathlib import Path

    from qimscale.errors import DataError

    parent = Path(out).parent
    if not parent.is_dir():
        raise DataError(f"{out}: the folder {parent} does not exist")


def looks_scored(columns, inst) -> bool:
    """Whether a table already holds the instrument's scale scores (the output of ``qimscale score``)."""
    comp = [s.id for s in inst.scales if getattr(s, "kind", "") == "competency"]
    return bool(comp) and all(s in columns for s in comp)


def run_validation(data, *, source=None, instrument=None, groups=(), outcome=None, cluster=None,
                   hypotheses=None, split_sample=False, seed=1, min_cell=5, out=None, progress=None):
    """Score DATA if it is a platform export, validate it, and write ``out`` (when given).

    Returns ``(StudyResult, written)``.
    """
    from qimscale.instrument import load_instrument
    from qimscale.io import read_survey
    from qimscale.study.validate import file_sha256, validate_study

    if out is not None:
        check_out_folder(out)
    inst = load_instrument(instrument)
    note = progress or (lambda title: None)
    # '-' (CSV on standard input) is read once and replayed: an export is read again to be scored
    raw = sys.stdin.buffer.read() if str(data) == "-" else None
    with _replay_stdin(raw):
        survey = read_survey(data, na_markers=True)
    scoring = None
    if looks_scored(survey.data.columns, inst):
        df = survey.data
    else:
        from qimscale.scoring import score_file

        note("0. Scoring the export")
        with _replay_stdin(raw):
            res = score_file(data, instrument=inst)
        df = res.table
        scoring = res.summary()
    result = validate_study(df, inst, groups=groups, outcome=outcome, cluster=cluster, hypotheses=hypotheses,
                            seed=seed, split_sample=split_sample, min_cell=min_cell,
                            source=source or str(data), input_hash=file_sha256(data) if raw is None else hashlib.sha256(raw).hexdigest(), scoring=scoring,
                            progress=note)
    written = {}
    if out is not None:
        from qimscale.report.outputs import write_study

        written = write_study(result, out)
    return result, written
