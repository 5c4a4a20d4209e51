"""Exceptions shared by every layer.

Every error a user can cause is a :class:`QimscaleError`. The CLI prints its
message as one line, ``Error: <message>``, and exits with code 1; a traceback is
shown only with ``--debug``. Messages should name the file, row, column and
value where that applies, and say how to fix the problem.
"""

from __future__ import annotations


class QimscaleError(Exception):
    """Base class for errors caused by the user's input (exit code 1)."""


class InstrumentError(QimscaleError):
    """The instrument file is missing or invalid."""


class DataError(QimscaleError):
    """A data file cannot be read or holds values that cannot be used."""


class ModelError(QimscaleError):
    """A model (CFA/SEM syntax, EFA options) is invalid or cannot be estimated."""


class ConvergenceError(ModelError):
    """An iterative estimator failed to converge."""
