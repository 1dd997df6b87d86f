"""The lifetimes package, imported in this one place (lazily, its global side effects undone), and
the one-BLAS-thread guard for the likelihoods.

The models compute their own likelihoods and P(alive) (cvm_core.analyses.clv.models); lifetimes is
the reference the tests and benchmarks compare them with, so no analysis imports it at run time.
"""

from __future__ import annotations

import contextlib
import importlib
import warnings
from types import ModuleType

import pandas as pd

_LIFETIMES: ModuleType | None = None


def single_blas_thread() -> contextlib.AbstractContextManager:
    """One BLAS thread for the likelihood's dot products.

    OpenBLAS splits every dot product of a few hundred thousand numbers across threads; on a busy
    two-core server the threads spin and wait for each other and a fit takes three times the CPU.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def lifetimes_module() -> ModuleType:
    """Import lifetimes once, undoing what it does to global state at import.

    It sets ``pd.options.mode.chained_assignment = None`` and adds a global filter ignoring every
    FutureWarning; both are restored, so importing this module changes nothing elsewhere.
    """
    global _LIFETIMES
    if _LIFETIMES is None:
        chained = pd.get_option("mode.chained_assignment")
        with warnings.catch_warnings():
            module = importlib.import_module("lifetimes")
        pd.set_option("mode.chained_assignment", chained)
        _LIFETIMES = module
    return _LIFETIMES
