"""The data half of the Analysis contract: what every analysis's ``run(inputs, settings)`` reads.

One :class:`AnalysisInputs` holds the dataset's tables, the one customer summary every analysis
starts from (computed once, by :meth:`AnalysisInputs.of`), the observation end and time unit, and the
per-customer results of other analyses that an analysis builds on (CLV for retention's at-risk
list, segments for its breakdowns). Pages, the command line and the report build it the same
way, so an analysis sees the same customers wherever it runs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from cvm_core.intake.summary import customer_summary

if TYPE_CHECKING:
    from cvm_core.analyses.profitability.projection import ServiceCosts
    from cvm_core.analyses.sources import TransactionSource
    from cvm_core.intake.dataset import Dataset
    from cvm_core.intake.opportunities import OpportunityTables


@dataclass(frozen=True)
class AnalysisInputs:
    """Everything an analysis reads besides its settings.

    Attributes
    ----------
    transactions : DataFrame
        Canonical transactions (empty for a dataset that is only a customer summary).
    summary : DataFrame
        The customer summary in ``unit`` up to ``observation_end``
        (:func:`cvm_core.intake.summary.customer_summary`).
    observation_end : Timestamp
    unit : {"day", "week", "month"}
    customers, cost_to_serve : DataFrame, optional
        The dataset's customer attributes and activity counts (see :class:`Dataset`).
    currency : str
    clv : DataFrame, optional
        The CLV analysis's per-customer table (``CLVValues.customers``), where it has run.
    segments : DataFrame, optional
        The Segments analysis's per-customer membership (``SegmentAnalysis.membership``).
    service_costs : ServiceCosts, optional
        Cost-to-serve rates per customer from the profitability analysis's activity table (the
        CLV analysis deducts them; without them it uses the default activity rates).
    opportunities : OpportunityTables, optional
        The dataset's sales pipeline (opportunities and their history), where it has one.
    source : TransactionSource, optional
        Where the transactions are when they are not in ``transactions``: a file DuckDB or Spark
        aggregates (:mod:`cvm_core.analyses.sources`). Analyses read :attr:`transaction_source`.
    """

    transactions: pd.DataFrame
    summary: pd.DataFrame
    observation_end: pd.Timestamp
    unit: str = "week"
    customers: pd.DataFrame | None = None
    cost_to_serve: pd.DataFrame | None = None
    currency: str = "EUR"
    clv: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    service_costs: ServiceCosts | None = None
    opportunities: OpportunityTables | None = None
    source: TransactionSource | None = None

    @property
    def has_transactions(self) -> bool:
        """False for a dataset that is only a precomputed customer summary."""
        return self.source is not None or not self.transactions.empty

    @property
    def transaction_source(self) -> TransactionSource:
        """The transactions' source: :attr:`source`, else the transactions in memory."""
        # Imported here: the sources bring in the retention and segments modules, which most
        # commands that build inputs never use.
        from cvm_core.analyses.sources import FrameSource

        return self.source if self.source is not None else FrameSource(self.transactions)

    @classmethod
    def of(
        cls,
        dataset: Dataset,
        unit: str = "week",
        observation_end: pd.Timestamp | str | None = None,
        summary: pd.DataFrame | None = None,
    ) -> AnalysisInputs:
        """The inputs of ``dataset``, ending at ``observation_end`` (default: its last date).

        ``summary`` is the customer summary when the caller already has it (a page's cache);
        otherwise it is computed here, or, for a dataset that is only a customer summary, taken
        from it (in its own unit).
        """
        end = pd.Timestamp(observation_end) if observation_end else dataset.observation_end
        if summary is None and not dataset.has_transactions:
            summary = dataset.summary
            unit = dataset.summary_info.unit if dataset.summary_info else unit
        source = on_file(dataset)
        if summary is None:
            summary = (
                customer_summary(dataset.transactions, unit, end)
                if source is None
                else source.summary(unit, end)
            )
        return cls(
            dataset.transactions, summary, end, unit, dataset.customers, dataset.cost_to_serve,
            dataset.currency, opportunities=dataset.opportunities, source=source,
        )  # fmt: skip

    def with_results(
        self, clv: pd.DataFrame | None = None, segments: pd.DataFrame | None = None
    ) -> AnalysisInputs:
        """The same inputs with other analyses' per-customer results added."""
        return dataclasses.replace(self, clv=clv, segments=segments)


def on_file(dataset: Dataset) -> TransactionSource | None:
    """The source of a dataset whose transactions stay on disk (a large upload), else None."""
    if dataset.transaction_file is None:
        return None
    from cvm_core.analyses.sources import file_source  # DuckDB and the analyses, when needed

    return file_source(dataset.transaction_file)


def dataset_source(dataset: Dataset) -> TransactionSource:
    """Where ``dataset``'s transactions are: its file on disk, else its rows in memory."""
    from cvm_core.analyses.sources import FrameSource

    return on_file(dataset) or FrameSource(dataset.transactions)
