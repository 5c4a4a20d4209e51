"""Scoring survey exports: mapping, validation, reverse keying, scale scores, quality flags.

- :func:`score_file` -- the whole pipeline behind ``qimscale score``.
- :class:`ScoringSpec` -- the scoring rules of an instrument, as plain data.
- :func:`map_columns`, :func:`validate`, :func:`score_codes`, :func:`quality_flags` -- its steps.

Scoring depends on :mod:`qimscale.instrument` only through
:meth:`ScoringSpec.from_instrument`.
"""

from qimscale.scoring.mapping import ColumnMap, map_columns, read_map_file
from qimscale.scoring.pipeline import ScoreResult, score_file
from qimscale.scoring.quality import evenodd, irv, longstring, mahalanobis, quality_flags
from qimscale.scoring.scores import DEFAULT_MIN_ANSWERED, reverse_key, score_codes
from qimscale.scoring.spec import ScoringSpec, normalise_label
from qimscale.scoring.validation import validate

__all__ = [
    "DEFAULT_MIN_ANSWERED", "ColumnMap", "ScoreResult", "ScoringSpec", "evenodd", "irv", "longstring",
    "mahalanobis", "map_columns", "normalise_label", "quality_flags", "read_map_file", "reverse_key",
    "score_codes", "score_file", "validate",
]
