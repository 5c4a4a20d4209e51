"""Item correlation matrices (Pearson, Spearman, polychoric) for ``qimscale corr``."""

from __future__ import annotations

import warnings as _warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale._core.checks import check_option
from qimscale._core.result import Result
from qimscale.analysis.responses import item_matrix
from qimscale.errors import DataError

__all__ = ["CorrelationResult", "correlation", "pairwise_correlation", "item_correlations"]

METHODS = ("pearson", "spearman", "polychoric")


def item_correlations(x: np.ndarray, names: Sequence[str], method: str = "pearson", *,
                      context: str = "corr") -> tuple[np.ndarray, dict, list[str]]:
    """Item correlation matrix from pairwise-complete rows, checked to be defined.

    Parameters
    ----------
    x : ndarray of shape (n, k)
        Item scores, NaN for missing.
    names : sequence of str
        Item names (for messages and the thresholds).
    method : {"pearson", "spearman", "polychoric"}
        ``"polychoric"``: :func:`~qimscale.analysis.polychoric.polychoric`
        with ``correct=0.5``, ``smooth=True``, ``missing="pairwise"``
        (``psych::polychoric`` defaults); otherwise
        :func:`pairwise_correlation`.
    context : str
        Command name that starts the error message.

    Returns
    -------
    r : ndarray of shape (k, k)
    thresholds : dict
        Item -> thresholds (polychoric only; empty otherwise).
    warnings : list of str
        The polychoric routine's warnings, returned instead of emitted.

    Raises
    ------
    DataError
        A correlation is undefined (e.g. a pair of items never answered together).

    Examples
    --------
    >>> import numpy as np
    >>> r, th, notes = item_correlations(np.array([[1, 2], [2, 1], [3, 4.]]), ["a", "b"])
    >>> round(float(r[0, 1]), 4), th, notes
    (0.6547, {}, [])
    """
    thresholds: dict = {}
    notes: list[str] = []
    if method == "polychoric":
        from qimscale.analysis.polychoric import polychoric  # lazily: the Pearson path never loads the polychoric engine (start-up)

        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            pc = polychoric(pd.DataFrame(x, columns=list(names)), correct=0.5, smooth=True,
                            missing="pairwise")
        notes.extend(pc.warnings)
        r = np.asarray(pc.corr, dtype=float)
        thresholds = {k: np.asarray(v, dtype=float) for k, v in pc.thresholds.items()}
    else:
        r = pairwise_correlation(x, method)
    if not np.all(np.isfinite(r)):
        i, j = np.argwhere(~np.isfinite(r))[0]
        both = int(np.sum(~np.isnan(x[:, i]) & ~np.isnan(x[:, j])))
        why = next((f", but: {m}" for m in notes if f"'{names[i]}' and '{names[j]}'" in m), "")
        raise DataError(f"{context}: the correlation of items '{names[i]}' and '{names[j]}' is undefined "
                        f"({both} rows answer both{why}); drop one of them")
    return r, thresholds, notes


def pairwise_correlation(x: np.ndarray, method: str = "pearson") -> np.ndarray:
    """Correlations from pairwise-complete rows, as R's ``cor(x, use="pairwise")``.

    Each pair uses its own complete rows for its means, SDs and (for
    ``"spearman"``) ranks, exactly as R does.

    Parameters
    ----------
    x : ndarray of shape (n, k)
        Scores with NaN for missing.
    method : {"pearson", "spearman"}

    Returns
    -------
    ndarray of shape (k, k)
        NaN where a pair has fewer than 2 complete rows.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2], [2, 1], [3, 4], [4, np.nan]])
    >>> round(float(pairwise_correlation(x)[0, 1]), 6)
    0.6
    """
    if method not in ("pearson", "spearman"):
        raise DataError(f"method must be 'pearson' or 'spearman'; got {method!r}")
    r = pd.DataFrame(np.asarray(x, dtype=float)).corr(method=method, min_periods=2).to_numpy().copy()
    np.fill_diagonal(r, 1.0)
    return r


@dataclass
class CorrelationResult(Result):
    """A correlation matrix; returned by :func:`correlation`.

    Attributes
    ----------
    items : list of str
    matrix : ndarray of shape (k, k)
    method : str
    thresholds : dict of str to list of float
        Polychoric only: each item's thresholds (empty otherwise).
    n_pairs : ndarray of shape (k, k)
        Rows answering both items of each pair.
    reverse : list of str
        Items reverse-keyed before correlating.
    warnings : list of str
    """

    items: list[str]
    matrix: np.ndarray
    method: str
    thresholds: dict = field(default_factory=dict)
    n_pairs: np.ndarray | None = None
    reverse: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    title = "Correlations"

    def to_frame(self) -> pd.DataFrame:
        """The matrix as a labelled DataFrame."""
        return pd.DataFrame(self.matrix, index=self.items, columns=self.items)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"matrix"`` (items × items), ``"n_pairs"`` (when known) and, for polychoric
        correlations, ``"thresholds"`` (items × ``t1..``, NaN-padded)."""
        out = {"matrix": self.to_frame()}
        if self.n_pairs is not None:
            out["n_pairs"] = pd.DataFrame(np.asarray(self.n_pairs).astype(int), index=self.items, columns=self.items)
        if self.thresholds:
            width = max(len(v) for v in self.thresholds.values())
            out["thresholds"] = pd.DataFrame.from_dict(
                {k: list(map(float, v)) + [np.nan] * (width - len(v)) for k, v in self.thresholds.items()},
                orient="index", columns=[f"t{i + 1}" for i in range(width)])
        return out

    def summary(self) -> str:
        """The matrix (and thresholds) as text."""
        lines = [f"{self.method.capitalize()} correlations", self.to_frame().to_string(float_format=lambda v: f"{v:.3f}")]
        if self.thresholds:
            lines += ["", "Thresholds:", self.tables()["thresholds"].to_string(float_format=lambda v: f"{v:.3f}")]
        return "\n".join(lines + [f"Warning: {w}" for w in self.warnings])

    def to_dict(self) -> dict:
        """The CLI's JSON: ``items``, ``matrix``, ``thresholds`` (polychoric only), plus extras."""
        out = {"items": list(self.items), "matrix": self.matrix.tolist(), "method": self.method}
        if self.method == "polychoric":
            out["thresholds"] = {k: list(map(float, v)) for k, v in self.thresholds.items()}
        out["n_pairs"] = None if self.n_pairs is None else self.n_pairs.astype(int).tolist()
        out["reverse"] = list(self.reverse)
        out["warnings"] = list(self.warnings)
        return out


def correlation(data, items: Sequence[str] | None = None, *, method: str = "pearson",
                keys: Sequence[str] | None = None, key_range: tuple[float, float] | None = None,
                missing: str = "pairwise") -> CorrelationResult:
    """Correlation matrix of items with pairwise (or listwise) deletion.

    Matches ``cor(x, use="pairwise", method=method)`` for Pearson and
    Spearman and ``psych::polychoric(x)`` (``$rho`` and ``$tau``) for
    polychoric correlations.

    Parameters
    ----------
    data : pandas.DataFrame or array-like
    items : sequence of str, optional
    method : {"pearson", "spearman", "polychoric"}
    keys : sequence of str, optional
        Items to reverse-key as ``min + max - x`` first.
    key_range : (min, max), optional
        Response range for ``keys`` (default: observed over all items).
    missing : {"pairwise", "listwise"}

    Returns
    -------
    CorrelationResult

    Raises
    ------
    DataError
        A non-numeric column, an item with a single observed value (its
        correlations are undefined), fewer than 2 items, or a pair never
        answered together.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 3, 2, 4]})
    >>> correlation(df, method="spearman").matrix[0, 1]
    np.float64(0.8)
    """
    if method not in METHODS:
        check_option("method", method, METHODS, "correlation", error=DataError)
    mat = item_matrix(data, items, min_items=2, drop_constant=False, missing=missing, keys=keys,
                      key_range=key_range, context="corr")
    x, names = mat.x, mat.items
    msgs = list(mat.warnings)
    m = (~np.isnan(x)).astype(float)
    n_pairs = m.T @ m
    r, thresholds, notes = item_correlations(x, names, method, context="corr")
    msgs.extend(notes)
    for w in msgs:
        _warnings.warn(w, UserWarning, stacklevel=2)
    return CorrelationResult(names, r, method, thresholds, n_pairs, list(keys or []), msgs)
