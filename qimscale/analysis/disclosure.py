"""Statistical disclosure control for every table and figure of the study layer.

The paper's participants work in small organisations where managers know each
other, so a group of three clinical managers in one hospital is three people a
reader can name. This module holds the one policy every study command applies
(``compare``, ``themes``, ``teams``, ``relate`` and the report):

1. **Primary suppression.** A cell whose count is below ``min_cell`` (default 5)
   is suppressed: its statistics are ``NaN`` in the tables, ``null`` in the JSON
   with ``"suppressed": true``, and the text ``suppressed (n < 5)`` in printed
   tables and figures.
2. **Complementary suppression.** A table of group sizes hides a second group when
   only one is below the threshold (:meth:`Disclosure.group_counts`), and by exclusion: A suppressed cell's data take no
   part in any other number either: a group below the threshold is left out of
   every test, effect size, total and multiple-comparison family before they are
   computed. Nothing printed is then a function of the suppressed cell's data,
   so nothing can be recovered by subtraction (an overall mean minus the shown
   group means, a total n minus the shown ns, a two-group t statistic with one
   side known). When excluding the cell leaves nothing to compute (two groups,
   one suppressed), the statistic itself is suppressed.
3. **No identifiers.** Identifier columns (names, e-mails, respondent and
   organisation ids, those the instrument marks ``identifying``) never reach an
   output: analysing one is an error, and their values are never quoted.

The functions are pure (DataFrames in, DataFrames out) so that ``relate`` and the
report can reuse them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qimscale.errors import DataError

__all__ = ["DEFAULT_MIN_CELL", "Disclosure", "check_not_identifier", "drop_identifiers", "suppressed_text"]

#: the default threshold: cells with fewer than 5 people are suppressed
DEFAULT_MIN_CELL = 5

#: columns rendered as p-values (``<0.001`` below the shown precision)
_P_COLUMNS = {"p", "p_adj", "fisher_p", "pvalue", "chisq_diff_p"}
#: columns rendered without decimals when every value is whole (counts, degrees of freedom)
_COUNT_COLUMNS = {"n", "df", "df1", "df2", "n_teams", "n_teams_rwg_70", "n_items", "n_options", "clinical_x",
                  "clinical_n", "traditional_y", "traditional_n", "n_missing"}


def suppressed_text(min_cell: int = DEFAULT_MIN_CELL) -> str:
    """The text shown in place of a suppressed value.

    >>> suppressed_text(5)
    'suppressed (n < 5)'
    """
    return f"suppressed (n < {int(min_cell)})"


@dataclass(frozen=True)
class Disclosure:
    """The disclosure policy of one run.

    Parameters
    ----------
    min_cell : int
        Cells with a count below this are suppressed (default 5). ``1``
        suppresses only empty cells, i.e. turns suppression off.

    Examples
    --------
    >>> d = Disclosure(5)
    >>> d.is_small(3), d.is_small(5)
    (True, False)
    >>> d.keep_groups({"clinical": 12, "traditional": 3})
    (['clinical'], ['traditional'])
    """

    min_cell: int = DEFAULT_MIN_CELL

    def __post_init__(self):
        if isinstance(self.min_cell, bool) or not isinstance(self.min_cell, (int, np.integer)) or self.min_cell < 1:
            raise DataError(f"min_cell must be a whole number of at least 1; got {self.min_cell!r}")

    @property
    def text(self) -> str:
        """``suppressed (n < k)``."""
        return suppressed_text(self.min_cell)

    def is_small(self, n) -> bool:
        """Whether a count is below the threshold (and so suppressed)."""
        return n is None or (isinstance(n, float) and math.isnan(n)) or int(n) < self.min_cell

    def keep_groups(self, counts: Mapping) -> tuple[list, list]:
        """Split ``{label: n}`` into ``(kept, suppressed)`` labels, each in the given order."""
        kept = [g for g, n in counts.items() if not self.is_small(n)]
        return kept, [g for g in counts if g not in kept]

    def group_counts(self, sizes: Mapping) -> dict:
        """Group sizes ``{label: n}`` as they may be shown: ``None`` for a suppressed group.

        Primary suppression hides every group below ``min_cell``. Complementary
        suppression: when exactly one group is hidden, the next-smallest group is
        hidden too (ties: the first label in sorted text order), so the hidden count
        cannot be recovered as the total minus the others.

        >>> Disclosure(5).group_counts({"a": 3, "b": 40, "c": 50})
        {'a': None, 'b': None, 'c': 50}
        >>> Disclosure(5).group_counts({"a": 3, "b": 4, "c": 50})
        {'a': None, 'b': None, 'c': 50}
        """
        shown = {k: int(v) for k, v in sizes.items()}
        small = [k for k, v in shown.items() if self.is_small(v)]
        if len(small) == 1 and len(shown) > 1:
            small.append(min((k for k in shown if k not in small), key=lambda k: (shown[k], str(k))))
        return {k: (None if k in small else v) for k, v in shown.items()}

    def drop_small_groups(self, data: pd.DataFrame, column: str) -> tuple[pd.DataFrame, int, str | None]:
        """Rows of ``data`` whose ``column`` group (a cluster, team or organisation) has at least
        ``min_cell`` rows, for analyses that must not use a small group's data at all.

        Returns the kept rows, the number of groups left out and a note saying so (``None``
        when none was); rows without a value of ``column`` are kept for the caller to judge.
        The note states how many groups, never their sizes or labels.

        >>> df = pd.DataFrame({"org": ["a"] * 6 + ["b"] * 2, "y": range(8)})
        >>> kept, k, note = Disclosure(5).drop_small_groups(df, "org")
        >>> len(kept), k
        (6, 1)
        """
        sizes = data[column].value_counts(dropna=True)
        small = sizes.index[sizes.to_numpy() < self.min_cell]
        if not len(small):
            return data, 0, None
        keep = ~data[column].isin(small).to_numpy()
        return (data.loc[keep], int(len(small)),
                f"{len(small)} group(s) of '{column}' with fewer than {self.min_cell} rows: {self.text}; left "
                "out of every statistic")

    def count_cell(self, x, n=None, *, complement: bool = False) -> bool:
        """Whether a count cell ``x`` (out of ``n``) is suppressed.

        A count of zero is not suppressed (it names nobody); a count of 1 to
        ``min_cell - 1`` is. With ``complement=True`` the cell of those *not*
        counted (``n - x``) is held to the same rule.

        >>> Disclosure(5).count_cell(3), Disclosure(5).count_cell(0), Disclosure(5).count_cell(19, 20)
        (True, False, False)
        >>> Disclosure(5).count_cell(19, 20, complement=True)
        True
        """
        cells = [x] if not complement or n is None else [x, n - x]
        return any(c is not None and 0 < int(c) < self.min_cell for c in cells)

    def mask(self, table: pd.DataFrame, rows, columns: Sequence[str]) -> pd.DataFrame:
        """Return a copy of ``table`` with ``columns`` set to NaN on ``rows`` (a boolean mask) and a
        ``suppressed`` column (True on those rows, ORed with any existing flag)."""
        out = table.copy()
        rows = np.asarray(rows, dtype=bool)
        for c in columns:
            if c in out.columns:
                if not (pd.api.types.is_float_dtype(out[c]) or out[c].dtype == object):
                    out[c] = out[c].astype(object if not pd.api.types.is_numeric_dtype(out[c]) else float)
                out.loc[rows, c] = np.nan if pd.api.types.is_float_dtype(out[c]) else None
        prev = out["suppressed"].to_numpy(dtype=bool) if "suppressed" in out.columns else np.zeros(len(out), bool)
        out["suppressed"] = prev | rows
        return out

    def render(self, table: pd.DataFrame, *, digits: int = 3) -> pd.DataFrame:
        """A printable copy of ``table``: numbers rounded, and every missing value on a row flagged
        ``suppressed`` shown as ``suppressed (n < k)`` (the ``suppressed`` column itself is dropped)."""
        out = table.copy()
        flag = out.pop("suppressed").to_numpy(dtype=bool) if "suppressed" in out.columns else np.zeros(len(out), bool)
        for c in out.columns:
            col = out[c]
            if pd.api.types.is_float_dtype(col):
                vals = col.dropna().to_numpy()
                if str(c) in _P_COLUMNS:
                    floor = 10.0 ** -digits
                    col = col.map(lambda v: "" if pd.isna(v) else (f"<{floor:.{digits}f}" if v < floor
                                                                   else f"{v:.{digits}f}"))
                elif (str(c) in _COUNT_COLUMNS and vals.size and np.all(vals == np.round(vals))
                      and np.all(np.abs(vals) < 1e15)):
                    col = col.map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
                else:
                    col = col.map(lambda v: "" if pd.isna(v) else f"{v:.{digits}f}")
            col = col.astype(object)
            missing = table[c].isna().to_numpy()
            col[flag & missing] = self.text
            col[~flag & missing] = "-"
            out[c] = col
        return out

    def records(self, table: pd.DataFrame) -> list[dict]:
        """``table`` as JSON-ready records; suppressed values are ``None`` (null) and every record
        carries its ``suppressed`` flag."""
        t = table if "suppressed" in table.columns else table.assign(suppressed=False)
        recs = t.astype(object).where(t.notna(), None).to_dict(orient="records")
        counts = [c for c in t.columns if _is_count(t[c])]
        for r in recs:
            r["suppressed"] = bool(r["suppressed"])
            for c in counts:  # a count column turned float by a suppressed (NaN) cell stays whole: 38, not 38.0
                if r[c] is not None:
                    r[c] = int(r[c])
        return recs


def _is_count(col: pd.Series) -> bool:
    """A column of counts (``n``, ``n_*``, ``*_n``, ``*_x``/``*_y`` of a 2x2 table) holding whole numbers only."""
    name = str(col.name)
    if not (name == "n" or name.startswith("n_") or name.endswith(("_n", "_x", "_y"))):
        return False
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return False
    v = col.dropna().to_numpy(dtype=float)
    return bool(np.isfinite(v).all() and (v == np.round(v)).all())


# --------------------------------------------------------------------------- identifiers

def drop_identifiers(data: pd.DataFrame, identifiers: Iterable[str]) -> tuple[pd.DataFrame, list[str]]:
    """Remove identifier columns from ``data`` before any analysis.

    Returns the data without them and the names removed (column names only:
    their values are never quoted).

    >>> df = pd.DataFrame({"qim_id": ["a1"], "x": [1.0]})
    >>> drop_identifiers(df, ["qim_id", "email"])[1]
    ['qim_id']
    """
    ids = [c for c in dict.fromkeys(identifiers) if c in data.columns]
    return data.drop(columns=ids), ids


def check_not_identifier(columns: Iterable[str], identifiers: Iterable[str], *, role: str = "variable") -> None:
    """Raise :class:`DataError` when an identifier column is asked to be analysed.

    >>> check_not_identifier(["x"], ["qim_id"])
    >>> check_not_identifier(["qim_id"], ["qim_id"])
    Traceback (most recent call last):
    ...
    qimscale.errors.DataError: column 'qim_id' is an identifier ...
    """
    ids = set(identifiers)
    for c in columns:
        if c in ids:
            raise DataError(f"column '{c}' is an identifier (it can name a person or organisation) and never "
                            f"reaches an output; choose another {role} column")
