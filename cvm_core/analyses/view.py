"""The view every page shares: the time unit, the observation end and the currency shown."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cvm_core.analyses.base import Settings, setting
from cvm_core.intake.summary import UNIT_DAYS


@dataclass(frozen=True)
class ViewSettings(Settings):
    """``observation_end`` None: the last date in the data; ``currency`` None: the detected one."""

    unit: str = setting("week", choices=tuple(UNIT_DAYS))
    observation_end: pd.Timestamp | None = None
    currency: str | None = None
