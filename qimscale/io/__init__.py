"""Readers for data files and survey-platform exports; atomic writers.

Readers only read: they never modify the input file and never coerce values
silently. Every problem raises :class:`~qimscale.errors.DataError` naming the
file (and row, column and value where that applies).

The stable entry point for analysis commands is :func:`read_data`.
"""

from __future__ import annotations

from qimscale.io.tables import read_data

__all__ = ["read_data"]
