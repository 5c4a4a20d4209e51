"""Scree plot: rendered from an nfactors result (library object or its JSON form), written atomically."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from qimscale.analysis.nfactors import number_of_factors, parallel_analysis
from qimscale.cli import main
from qimscale.errors import QimscaleError
from qimscale.report.figures import scree_plot

D3 = Path(__file__).parents[1] / "reference" / "data" / "efa_d3.csv"
D3_ITEMS = "q1,q2,q3,q4,q5,l1,l2,l3,l4,l5,i1,i2,i3,i4,i5"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(0)
    f = rng.standard_normal((200, 2))
    x = np.repeat(f, 3, axis=1) * .7 + rng.standard_normal((200, 6)) * .7
    return number_of_factors(x, n_iter=10, random_state=1)


def _texts(fig):
    ax = fig.axes[0]
    return ([t.get_text() for t in ax.texts] + [ax.get_title("left"), ax.get_xlabel(), ax.get_ylabel(),
            fig.get_suptitle()] + [t.get_text() for leg in fig.legends for t in leg.get_texts()])


def test_scree_plot_from_library_result(result, tmp_path):
    path = tmp_path / "scree.png"
    fig = scree_plot(result, path)
    assert path.read_bytes()[:8] == PNG
    assert not [p for p in os.listdir(tmp_path) if p != "scree.png"]  # no temporary file left
    texts = " | ".join(_texts(fig))
    k = result.parallel.n_factors
    assert f"{k} factor" in texts and "Eigenvalue" in texts and "Scree plot" in texts
    assert "simulated data, 95th percentile" in texts and "resampled data" in texts
    ax = fig.axes[0]
    observed = [ln for ln in ax.lines if ln.get_label() == "observed, factors (FA)"][0]
    np.testing.assert_array_equal(observed.get_ydata(), result.parallel.fa_values)  # rendered, not recomputed


def test_scree_plot_from_json_dict_and_other_formats(result, tmp_path):
    d = json.loads(json.dumps(result.to_dict()))
    scree_plot(d, tmp_path / "s.svg")
    scree_plot(d["parallel_detail"], tmp_path / "s.pdf")
    assert (tmp_path / "s.svg").read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "s.pdf").read_bytes()[:5] == b"%PDF-"


def test_scree_plot_factors_only_shows_factor_series():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((100, 5))
    fig = scree_plot(parallel_analysis(x, n_iter=5, fa="fa", random_state=1))
    labels = [ln.get_label() for ln in fig.axes[0].lines]
    assert "observed, factors (FA)" in labels and "observed, components (PC)" not in labels


def test_scree_plot_rejects_bad_input(result, tmp_path):
    with pytest.raises(QimscaleError, match=r"\.png"):
        scree_plot(result, tmp_path / "scree.jpg")
    with pytest.raises(QimscaleError, match="nfactors"):
        scree_plot([1, 2, 3])
    with pytest.raises(QimscaleError, match="pc_values"):
        scree_plot({"a": 1})
    assert list(tmp_path.iterdir()) == []


def test_nfactors_plot_option(tmp_path):
    path = tmp_path / "scree.png"
    res = CliRunner().invoke(main, ["nfactors", str(D3), "--items", D3_ITEMS, "--n-iter", "5", "--seed", "1",
                                    "--plot", str(path), "--json"])
    assert res.exit_code == 0, res.output
    json.loads(res.stdout)  # --json output unchanged by --plot
    assert path.read_bytes()[:8] == PNG


def test_nfactors_plot_bad_suffix_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(main, ["nfactors", str(D3), "--items", D3_ITEMS, "--plot", str(tmp_path / "s.gif")])
    assert res.exit_code == 2
    assert "--plot" in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_importing_figures_does_not_import_matplotlib():
    code = "import sys, qimscale.report.figures; print('matplotlib' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == "False"


def test_nfactors_plot_missing_folder_fails_before_the_analysis(tmp_path):
    res = CliRunner().invoke(main, ["nfactors", str(D3), "--items", D3_ITEMS,
                                    "--plot", str(tmp_path / "nope" / "s.png")])
    assert res.exit_code == 2
    assert "does not exist" in res.stderr
