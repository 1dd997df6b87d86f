"""Work on distinct values: factorise a column once, parse each distinct text once, expand back.
A column of a million cells usually holds a few thousand distinct texts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# --- distinct values ---------------------------------------------------------------------------


def factorize_column(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 for missing) and distinct values as an object array.

    Free for categorical columns (the CSV reader dictionary-encodes), one hash pass otherwise. All
    parsers work on the distinct values and map back through the codes.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(dtype=np.int64), column.cat.categories.to_numpy(
            dtype=object
        )
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def expand(codes: np.ndarray, per_unique: np.ndarray, missing: object) -> np.ndarray:
    """Map values computed per distinct value back to rows (``missing`` where the code is -1)."""
    if len(per_unique) == 0:
        return np.full(
            len(codes), missing, dtype=object if isinstance(missing, str | None) else None
        )
    if len(codes) and codes.min() < -1:  # any negative code means missing
        return np.where(codes >= 0, per_unique[np.maximum(codes, 0)], missing)
    # One gather from the distinct values with ``missing`` in an extra last slot, which code -1
    # picks: np.where's second pass over the rows doubled the cost for object arrays (10M rows).
    # The dtype is the one np.where gives, found on one element.
    dtype = np.where([True, False], per_unique[:1], missing).dtype
    table = np.empty(len(per_unique) + 1, dtype=dtype)
    table[:-1] = per_unique
    table[-1] = missing
    return table[codes]
