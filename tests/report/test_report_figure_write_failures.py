"""A figure that cannot be written (full disk, rename refused) is a QimscaleError and leaves nothing behind."""

from __future__ import annotations

import os

import numpy as np
import pytest

from qimscale.analysis.nfactors import number_of_factors
from qimscale.errors import QimscaleError
from qimscale.report.figures import scree_plot


def test_failed_rename_is_a_qimscale_error(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    x = np.repeat(rng.standard_normal((100, 2)), 3, axis=1) + rng.standard_normal((100, 6))
    result = number_of_factors(x, n_iter=5, random_state=1)

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(QimscaleError, match="cannot write the figure .*No space left on device"):
        scree_plot(result, tmp_path / "s.png")
    assert list(tmp_path.iterdir()) == []
