"""Scoring survey exports: mapping, validation, reverse keying, scale scores, quality flags.

- :func:`score_file` -- the whole pipeline behind ``qimscale score``.
- :class:`ScoringSpec` -- the scoring rules of an instrument, as plain data.
- :func:`map_columns`, :func:`validate`, :func:`score_codes`, :func:`quality_flags` -- its steps.

Scoring depends on :mod:`qimscale.instrument` only through
:meth:`ScoringSpec.from_instrument`.
"""

import importlib

# Names are loaded on first use (PEP 562), so that importing a light sub-module
# such as :mod:`qimscale.scoring.scales` does not load pandas and numpy.
_EXPORTS = {
    "ColumnMap": "mapping", "map_columns": "mapping", "read_map_file": "mapping",
    "ScoreResult": "pipeline", "score_file": "pipeline",
    "evenodd": "quality", "irv": "quality", "longstring": "quality", "mahalanobis": "quality",
    "quality_flags": "quality",
    "DEFAULT_MIN_ANSWERED": "scores", "reverse_key": "scores", "score_codes": "scores",
    "ScoringSpec": "spec", "normalise_label": "spec",
    "validate": "validation",
    "honest_responses": "calibration", "false_positive_rates": "calibration",
}


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qimscale.scoring' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"qimscale.scoring.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))


__all__ = [
    "DEFAULT_MIN_ANSWERED", "ColumnMap", "ScoreResult", "ScoringSpec", "evenodd", "irv", "longstring",
    "mahalanobis", "map_columns", "normalise_label", "quality_flags", "read_map_file", "reverse_key",
    "score_codes", "score_file", "validate", "honest_responses", "false_positive_rates",
]
