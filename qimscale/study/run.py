"""Read DATA (a platform export or scored data), run the validation study and write its outputs."""

from __future__ import annotations


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

    inst = load_instrument(instrument)
    note = progress or (lambda title: None)
    survey = read_survey(data, na_markers=True)
    scoring = None
    if looks_scored(survey.data.columns, inst):
        df = survey.data
    else:
        from qimscale.scoring import score_file

        note("0. Scoring the export")
        res = score_file(data, instrument=inst)
        df = res.table
        scoring = res.summary()
    result = validate_study(df, inst, groups=groups, outcome=outcome, cluster=cluster, hypotheses=hypotheses,
                            seed=seed, split_sample=split_sample, min_cell=min_cell,
                            source=source or str(data), input_hash=file_sha256(data), scoring=scoring,
                            progress=note)
    written = {}
    if out is not None:
        from qimscale.report.outputs import write_study

        written = write_study(result, out)
    return result, written
