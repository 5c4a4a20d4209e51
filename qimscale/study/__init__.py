"""The study layer: a validation study as ordered steps over the instrument, the scores and
the analyses (simulation of a study, and later the validation run and its verdicts)."""
