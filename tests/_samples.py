"""Where the tests find the real survey-platform samples.

Permissively licensed samples are vendored under ``tests/data/samples/`` (see its
SOURCES.md), so a fresh clone runs every test that uses them. The GPL-licensed ones
are not copied into the repository; they are read from ``shared/samples/`` beside the
repository when it is there, and a test that needs one is skipped, saying which file,
when it is not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
VENDORED = _HERE / "data" / "samples"
_ROOT = next((p for p in _HERE.parents if (p / "pyproject.toml").is_file()), _HERE.parent)
SHARED = _ROOT.parent / "shared" / "samples"


#: samples under a GPL licence: not vendored, read from ``shared/samples`` when present
NOT_VENDORED = ("redcap/redcapAPI_", "xlsform/formpack_", "limesurvey/limonaid_")


def sample(rel: str) -> Path:
    """Path of the sample ``rel`` (e.g. ``"redcap/REDCapR_survey_data_raw.csv"``).

    A vendored sample is always returned from ``tests/data/samples`` (a missing one
    fails the test); a GPL sample comes from ``shared/samples``, and the test is skipped
    when that collection is absent.
    """
    if not rel.startswith(NOT_VENDORED):
        return VENDORED / rel
    path = SHARED / rel
    if not path.is_file():
        pytest.skip(f"sample {rel} is not vendored (GPL licence) and {SHARED} is absent")
    return path
