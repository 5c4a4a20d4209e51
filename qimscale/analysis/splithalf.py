"""Split-half reliability, Spearman–Brown and Guttman's λ2, λ4 and λ6, as ``psych::splitHalf``."""

from __future__ import annotations

import itertools
import math
import warnings as _warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from qimscale._core.result import Result, row_table
from qimscale.analysis.responses import item_matrix
from qimscale.analysis.moments import check_pairs_defined, cov2cor, pairwise_cov, smc
from qimscale.errors import DataError

__all__ = ["SplitHalfResult", "spearman_brown", "split_half"]


def spearman_brown(r: float, factor: float = 2.0) -> float:
    """Spearman–Brown prophecy: reliability of a test ``factor`` times as long.

    Parameters
    ----------
    r : float
        Reliability (for split halves: the correlation between the halves).
    factor : float, default 2
        Lengthening factor.

    Returns
    -------
    float
        :math:`f r / (1 + (f - 1) r)`.

    References
    ----------
    Brown, W. (1910). Some experimental results in the correlation of mental
    abilities. *British Journal of Psychology, 3*(3), 296–322.
    https://doi.org/10.1111/j.2044-8295.1910.tb00207.x

    Examples
    --------
    >>> spearman_brown(0.6)
    0.75
    """
    return factor * r / (1.0 + (factor - 1.0) * r)


@dataclass
class SplitHalfResult(Result):
    """Split-half coefficients; returned by :func:`split_half`.

    Attributes
    ----------
    lambda4 : float
        Guttman's λ4: the largest split-half coefficient over the splits
        examined (psych's ``maxrb``).
    min_split : float
        The smallest split-half coefficient (``minrb``).
    mean_split : float
        The mean split-half coefficient (``meanr``; equals standardized α
        when every split of an even number of items is examined).
    alpha, lambda2, lambda6 : float
        Standardized α and Guttman's λ2 and λ6 of the correlation matrix.
    average_r, median_r : float
        Mean and median inter-item correlation.
    best_split, worst_split : (list of str, list of str)
        The two halves giving ``lambda4`` and ``min_split``.
    odd_even_r, odd_even_sb : float
        Correlation between the odd- and even-numbered items' sums and its
        Spearman–Brown step-up.
    n_splits : int
        Splits examined.
    exhaustive : bool
        Whether the splits were enumerated (psych's ``brute``) rather than sampled.
    n, k : int
    warnings : list of str
    """

    lambda4: float
    min_split: float
    mean_split: float
    alpha: float
    lambda2: float
    lambda6: float
    average_r: float
    median_r: float
    best_split: tuple[list[str], list[str]]
    worst_split: tuple[list[str], list[str]]
    odd_even_r: float
    odd_even_sb: float
    n_splits: int
    exhaustive: bool
    n: int
    k: int
    warnings: list[str] = field(default_factory=list)

    title = "Split-half reliability"

    def to_dict(self) -> dict:
        """Plain-type summary."""
        return {k: (list(map(list, v)) if k in ("best_split", "worst_split") else v)
                for k, v in self.__dict__.items()}

    def tables(self) -> dict:
        """``"coefficients"`` (one row: λ4, min/mean split, α, λ2, λ6, average/median r,
        odd–even r and its Spearman–Brown step-up, splits examined, n, k) and ``"splits"``
        (the best and the worst split, one row per half)."""
        d = self.to_dict()
        coef = row_table({k: v for k, v in d.items() if k not in ("best_split", "worst_split", "warnings")})
        import pandas as pd

        splits = pd.DataFrame([{"split": name, "half": h + 1, "items": ", ".join(half)}
                               for name in ("best_split", "worst_split") for h, half in enumerate(d[name])])
        return {"coefficients": coef, "splits": splits}

    def summary(self) -> str:
        """A short text report."""
        return (f"lambda4 (best split) = {self.lambda4:.3f}, mean split = {self.mean_split:.3f}, "
                f"worst split = {self.min_split:.3f}, alpha = {self.alpha:.3f}, lambda2 = {self.lambda2:.3f}, "
                f"lambda6 = {self.lambda6:.3f}, odd-even Spearman-Brown = {self.odd_even_sb:.3f} "
                f"({self.n_splits} splits{'' if self.exhaustive else ' sampled'}, n = {self.n}, k = {self.k})")


def _split_values(r: np.ndarray, a: np.ndarray) -> np.ndarray:
    """4·cov(A, B)/var(A + B) for each row of the 0/1 half-indicator matrix ``a``."""
    b = 1.0 - a
    r12 = np.einsum("si,ij,sj->s", a, r, b, optimize=True)
    return 4.0 * r12 / r.sum()


def split_half(data, items: Sequence[str] | None = None, *, keys: Sequence[str] | None = None,
               key_range: tuple[float, float] | None = None, missing: str = "pairwise",
               n_sample: int = 10000, seed=None) -> SplitHalfResult:
    """Split-half reliabilities over all (or sampled) splits, and Guttman's λ4.

    Matches ``psych::splitHalf(x, check.keys=FALSE)`` (``maxrb`` is λ4,
    ``minrb``, ``meanr``, ``alpha``, ``lambda2``, ``lambda6``, ``av.r``,
    ``med.r``).

    Parameters
    ----------
    data : pandas.DataFrame or array-like
        Item scores.
    items : sequence of str, optional
    keys : sequence of str, optional
        Reverse-keyed items (reflected in the correlation matrix).
    key_range : (min, max), optional
        Range for ``keys``; the coefficients depend on correlations only, so
        it does not change them.
    missing : {"pairwise", "listwise"}
    n_sample : int, default 10000
        psych's ``n.sample``: when there are more distinct splits than this,
        ``n_sample`` random splits are drawn instead.
    seed : int, optional
        Seed for the sampled splits.

    Returns
    -------
    SplitHalfResult

    Raises
    ------
    DataError
        Fewer than 2 usable items, unusable data, or ``n_sample`` not a
        positive integer.

    Notes
    -----
    For halves A and B (indicator vectors :math:`a`, :math:`b`) of the
    correlation matrix :math:`R` (``cov2cor`` of the pairwise covariances),
    the split-half coefficient is :math:`4\\,a'Rb / \\mathbf 1'R\\mathbf 1`
    (Flanagan–Rulon; Guttman's λ4 for that split). λ2 :math:`= (S_o +
    \\sqrt{k/(k-1)\\,Q_o}) / \\mathbf 1'R\\mathbf 1` with :math:`S_o` and
    :math:`Q_o` the sum and sum of squares of the off-diagonal correlations.

    psych conventions followed, although arbitrary: the first half has
    ``floor(k/2)`` items; splits are generated in lexicographic order and the
    first ``ceil(choose(k, floor(k/2))/2)`` are examined. For even ``k`` that
    is each distinct split once; for odd ``k`` it misses some splits, and the
    mean divides the sum by ``choose(k, floor(k/2))/2`` even when that is not
    an integer. Enumeration is used when that count is at most ``n_sample``.

    References
    ----------
    Guttman, L. (1945). A basis for analyzing test-retest reliability.
    *Psychometrika, 10*(4), 255–282. https://doi.org/10.1007/BF02288892

    Revelle, W., & Condon, D. M. (2019). Reliability from α to ω: A tutorial.
    *Psychological Assessment, 31*(12), 1395–1411. https://doi.org/10.1037/pas0000754

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(size=(200, 1)) + rng.normal(size=(200, 6))
    >>> res = split_half(x)
    >>> res.n_splits, res.lambda4 >= res.mean_split >= res.min_split
    (10, True)
    """
    if isinstance(n_sample, bool) or not isinstance(n_sample, (int, np.integer)) or n_sample < 1:
        raise DataError(f"split_half: n_sample must be a positive integer; got {n_sample!r}")
    mat = item_matrix(data, items, min_items=2, drop_constant=False, missing=missing, keys=keys,
                      key_range=key_range, context="split_half")
    x, names = mat.x, mat.items
    msgs = list(mat.warnings)
    c = pairwise_cov(x)
    check_pairs_defined(c, names, "split_half")
    r = cov2cor(c)
    k = r.shape[0]
    half = k // 2
    sumr = r.sum()
    off = r - np.diag(np.diag(r))
    sum_off = sumr - np.trace(r)
    alpha_std = sum_off / sumr * k / (k - 1)
    lambda6 = (sum_off + smc(r).sum()) / sumr
    lambda2 = (sum_off + math.sqrt((off**2).sum() * k / (k - 1))) / sumr
    low = r[np.tril_indices(k, -1)]

    count = math.comb(k, half) / 2.0
    if count <= n_sample:
        n_eval = math.ceil(count)
        combos = np.array(list(itertools.islice(itertools.combinations(range(k), half), n_eval)))
        exhaustive = True
    else:
        rng = np.random.default_rng(seed)
        combos = np.argsort(rng.random((n_sample, k)), axis=1)[:, :half]
        exhaustive = False
        msgs.append(f"split_half: {count:.0f} distinct splits; {n_sample} random splits were sampled, "
                    "so λ4 is a lower bound (set n_sample higher for a closer value).")
    a = np.zeros((combos.shape[0], k))
    np.put_along_axis(a, combos, 1.0, axis=1)
    vals = np.empty(a.shape[0])
    step = 20000
    for s in range(0, a.shape[0], step):
        vals[s:s + step] = _split_values(r, a[s:s + step])
    imax, imin = int(np.argmax(vals)), int(np.argmin(vals))
    mean_split = vals.sum() / count if exhaustive else vals.mean()

    def halves(row):
        return ([names[j] for j in range(k) if row[j] == 1.0], [names[j] for j in range(k) if row[j] == 0.0])

    odd = np.array([1.0 if j % 2 == 0 else 0.0 for j in range(k)])
    ev = 1.0 - odd
    r_oe = (odd @ r @ ev) / math.sqrt((odd @ r @ odd) * (ev @ r @ ev))
    res = SplitHalfResult(
        lambda4=float(vals[imax]), min_split=float(vals[imin]), mean_split=float(mean_split),
        alpha=float(alpha_std), lambda2=float(lambda2), lambda6=float(lambda6),
        average_r=float(low.mean()), median_r=float(np.median(low)),
        best_split=halves(a[imax]), worst_split=halves(a[imin]), odd_even_r=float(r_oe),
        odd_even_sb=float(spearman_brown(r_oe)), n_splits=int(a.shape[0]), exhaustive=exhaustive,
        n=int(x.shape[0]), k=k, warnings=msgs,
    )
    for m in msgs:
        _warnings.warn(m, UserWarning, stacklevel=2)
    return res
