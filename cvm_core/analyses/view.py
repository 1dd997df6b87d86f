"""The view every page shares: the time unit, the observation end and the currency shown."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cvm_core.analyses.base import Settings, setting
from cvm_core.errors import ValidationError
from cvm_core.i18n import LANGUAGES, N_, Message
from cvm_core.intake.summary import UNIT_DAYS


@dataclass(frozen=True)
class ViewSettings(Settings):
    """``observation_end`` None: the last date in the data; ``currency`` None: the detected one."""

    unit: str = setting("week", choices=tuple(UNIT_DAYS))
    language: str = setting("en", choices=tuple(LANGUAGES))
    observation_end: pd.Timestamp | None = None
    currency: str | None = None

    def __post_init__(self) -> None:
        # The sidebar takes up to 3 characters; a workspace or a link could carry any text,
        # which would then stand beside every amount on every page and slide.
        if self.currency is not None and not 1 <= len(str(self.currency).strip()) <= 3:
            raise ValidationError(
                Message(
                    N_("currency: {value} is not a currency code (up to {high} characters, e.g. "
                       "EUR)"),
                    value=repr(str(self.currency)[:20]), high=3,
                )
            )  # fmt: skip
