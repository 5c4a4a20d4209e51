"""BLAS thread control: CFA matrices are small, and threaded BLAS on them is slower."""

from __future__ import annotations

import contextlib
import functools

__all__ = ["single_thread_blas", "blas1"]

_CONTROLLER = []


def single_thread_blas():
    """Context manager limiting BLAS to one thread (no-op without threadpoolctl)."""
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER.append(ThreadpoolController())
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn (pingouin)
            _CONTROLLER.append(None)
    ctl = _CONTROLLER[0]
    return contextlib.nullcontext() if ctl is None else ctl.limit(limits=1, user_api="blas")



def blas1(method):
    """Run a result method with single-threaded BLAS (small matrices; see ``CFA.fit``)."""
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with single_thread_blas():
            return method(*args, **kwargs)

    return wrapper
