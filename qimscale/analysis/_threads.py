"""BLAS thread control for the small matrices of the analysis layer.

Reliability, EFA and CFA work on matrices of a few dozen rows and columns
(or tall-and-thin item matrices). On them OpenBLAS's thread start-up and
spinning cost more than the arithmetic: measured on 2 cores, these products
ran about 2x slower with threads than with one, and many times slower when
other processes compete for the cores. Code that does many such products
runs them inside :func:`single_thread_blas` (or a method decorated with
:func:`blas1`); the previous limits are restored when the block ends.

One ``threadpoolctl.ThreadpoolController`` is created on first use and
reused: building one walks the loaded libraries (about 1 ms), while entering
its ``limit`` context costs microseconds. A second controller is built once
``scipy.linalg`` (with scipy's own BLAS) has been loaded, so that it is limited too.
"""

from __future__ import annotations

import functools
import sys

__all__ = ["single_thread_blas", "blas1"]

_CONTROLLER: dict = {}


def _controller():
    # scipy's own BLAS is limited too once scipy.linalg is loaded (by a caller, statsmodels, ...);
    # it is not imported here: qimscale's numerics use numpy's BLAS, and importing scipy.linalg
    # costs ~0.1 s of every command's start-up
    key = "scipy.linalg" in sys.modules
    if key not in _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER[key] = ThreadpoolController()
    return _CONTROLLER[key]


def single_thread_blas():
    """Context manager limiting BLAS to one thread while it is open.

    Returns
    -------
    context manager
        ``threadpoolctl``'s limiter; leaving the ``with`` block restores the
        previous thread counts. Blocks may be nested.

    Examples
    --------
    >>> import numpy as np
    >>> with single_thread_blas():
    ...     float(np.eye(3) @ np.ones(3) @ np.ones(3))
    3.0
    """
    return _controller().limit(limits=1, user_api="blas")


def blas1(func):
    """Decorator: run ``func`` inside :func:`single_thread_blas`.

    Examples
    --------
    >>> @blas1
    ... def trace(a):
    ...     return float(a.trace())
    >>> import numpy as np
    >>> trace(np.eye(4))
    4.0
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with single_thread_blas():
            return func(*args, **kwargs)

    return wrapper
