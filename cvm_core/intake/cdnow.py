"""The CDNOW sample (Fader & Hardie's 1/10th sample of 23,570 customers) as transactions: the
published reference data the CLV tests reproduce.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

# ---------------------------------------------------------------------------------------------
# CDNOW
# ---------------------------------------------------------------------------------------------


def _cdnow_path() -> Path:
    """Path of the CDNOW sample shipped with lifetimes, found without importing lifetimes.

    Importing lifetimes changes pandas options, so only its package folder is looked up.
    """
    spec = importlib.util.find_spec("lifetimes")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        candidate = Path(folder) / "datasets" / "CDNOW_sample.txt"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "The CDNOW sample ships with the 'lifetimes' package, which is not installed "
        "(pip install lifetimes)."
    )


def load_cdnow_transactions() -> pd.DataFrame:
    """Load the CDNOW 1/10 sample: 6,919 purchases by 2,357 customers, 1997-01 to 1998-06.

    The benchmark data set of the "buy till you die" literature (Fader, Hardie & Lee 2005); the
    copy that ships inside the installed ``lifetimes`` package is read.

    Returns
    -------
    pandas.DataFrame
        Columns ``Customer ID`` (str, as in the file, e.g. ``"00004"``), ``Date``
        (datetime64, daily), ``Quantity`` (int, CDs bought) and ``Amount`` (float, dollars).

    Raises
    ------
    FileNotFoundError
        If the ``lifetimes`` package (and so the file) is not installed.
    """
    raw = pd.read_csv(
        _cdnow_path(),
        sep=r"\s+",
        header=None,
        names=["customer", "index", "date", "quantity", "amount"],
        dtype={"customer": str, "index": str, "date": str},
    )
    return pd.DataFrame(
        {
            "Customer ID": raw["customer"].astype(object),
            "Date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "Quantity": raw["quantity"].astype(np.int64),
            "Amount": raw["amount"].astype(float),
        }
    )
