"""The profitability analysis as every caller runs it: ``run(inputs, CostModel) -> WhaleAnalysis``.

The page, the command line's ``whale``, the report and the Scorecard's default P&L all call
:func:`run`; :class:`CostModel` is everything the P&L depends on besides the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.profitability.activities import ACTIVITY_COLUMNS, CostModelSettings
from cvm_core.analyses.profitability.analysis import WhaleAnalysis, analyse

SHARED_PNL_COLUMNS = ["revenue", "returns", "cogs", "cost_to_serve", "profit"]
"""The customer P&L columns other analyses read (the Scorecard, the exports)."""


@dataclass(frozen=True)
class CostModel:
    """The activity table (rows of :data:`ACTIVITY_COLUMNS`; None: the default rates) and the
    :class:`CostModelSettings`. Hashable, so a page can key its cache on it."""

    activities: tuple[tuple, ...] | None = None
    settings: CostModelSettings = field(default_factory=CostModelSettings)

    @classmethod
    def from_table(cls, table: pd.DataFrame, settings: CostModelSettings) -> CostModel:
        clean = table[list(ACTIVITY_COLUMNS)].astype(object)
        rows = tuple(
            tuple(None if pd.isna(v) else v for v in row) for row in clean.itertuples(index=False)
        )
        return cls(rows, settings)

    def frame(self) -> pd.DataFrame | None:
        """The activity table as :func:`customer_pnl` takes it (None: the default rates)."""
        if self.activities is None:
            return None
        return pd.DataFrame(list(self.activities), columns=list(ACTIVITY_COLUMNS)).astype(
            {c: float for c in ("cost_per_unit", "minutes_per_unit", "cost_per_minute")}
        )


def run(inputs: AnalysisInputs, model: CostModel = CostModel()) -> WhaleAnalysis:  # noqa: B008
    """Every customer's P&L with activity-based cost-to-serve, and the whale curve."""
    return analyse(
        inputs.summary, inputs.transaction_source, model.frame(), inputs.cost_to_serve,
        model.settings.small_order_threshold, model.settings.gross_margin,
        inputs.observation_end, inputs.currency,
    )  # fmt: skip


def shared_pnl(analysis: WhaleAnalysis) -> pd.DataFrame:
    """The P&L columns the Scorecard and the exports read, one row per customer."""
    return analysis.result.pnl[SHARED_PNL_COLUMNS]
