"""The Pipeline analysis in one call: stage probabilities, the weighted forecast, coverage, the
funnel, forecast accuracy by rep and the won deals beside their customers' value
(PipelineSettings -> PipelineResult), for the page, the command line and the Scorecard.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cvm_core.analyses.base import Settings, setting
from cvm_core.analyses.pipeline import accuracy, forecast, stages
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, Month
from cvm_core.intake.opportunities import WON, OpportunityTables

NO_PIPELINE = N_(
    "This dataset has no opportunities. Add a sheet of opportunities to the workbook (columns "
    "such as Opportunity ID, Customer ID, Sales Rep, Stage, Amount, Probability, Expected Close "
    "Date, Outcome) or load a CRM opportunities export on its own."
)


@dataclass(frozen=True)
class PipelineSettings(Settings):
    """The Pipeline page's settings.

    ``probability_source`` "auto" uses the file's probabilities where it has any, else learns
    them from history. ``stage_probabilities`` are the user's edits (stage -> 0-1), which win
    over either source. ``target`` 0 means "what was won in the previous ``horizon_months``".
    ``as_of`` None: the latest date in the pipeline data.
    """

    probability_source: str = setting(stages.AUTO, choices=stages.SOURCES)
    stage_probabilities: tuple[tuple[str, float], ...] = setting((), low=0.0, high=1.0)
    target: float = setting(0.0, low=0.0, high=1e15)
    horizon_months: int = setting(3, low=1, high=24)
    bias_tolerance: float = setting(0.15, low=0.0, high=1.0)
    min_months: int = setting(accuracy.MIN_MONTHS, low=1, high=60)
    as_of: pd.Timestamp | None = None


@dataclass(frozen=True)
class PipelineResult:
    """Everything the Pipeline page shows.

    Attributes
    ----------
    stages : DataFrame
        Indexed by stage in funnel order: file, learned, used probability, edited.
    probability_source : str
        "file" or "learned" (what "auto" resolved to).
    pipeline : DataFrame
        Open opportunities with the probability used and ``weighted`` = amount x probability.
    coverage : Coverage
    funnel : DataFrame
        stage, reached, decided, moved_on, conversion, median_days (time in stage).
    monthly : DataFrame, optional
        Forecast vs won per rep and month (None without a history).
    reps : DataFrame, optional
        Bias and accuracy per rep (:func:`accuracy.bias_by_rep`).
    team : dict
        The same for all reps together (empty without a history).
    won : DataFrame
        Won opportunities with, where the customer id is among the transactions' customers, the
        customer's first purchase and revenue since the deal closed.
    """

    settings: PipelineSettings
    as_of: pd.Timestamp
    currency: str
    stages: pd.DataFrame
    probability_source: str
    pipeline: pd.DataFrame
    coverage: forecast.Coverage
    funnel: pd.DataFrame
    monthly: pd.DataFrame | None
    reps: pd.DataFrame | None
    team: dict = field(default_factory=dict)
    won: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple[str, ...] = ()
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    history_message: str = ""

    @property
    def source_label(self) -> str:
        """ "from the file" or "learned from history", with "edited" when a stage was changed."""
        label = stages.SOURCE_LABELS[self.probability_source]
        return label + (", some edited" if self.stages["edited"].any() else "")

    @property
    def weighted_total(self) -> float:
        return float(self.pipeline["weighted"].sum())

    def by(self, *keys: str) -> pd.DataFrame:
        """The weighted pipeline by close month, stage and/or owner."""
        return forecast.weighted_by(self.pipeline, list(keys))


def as_of_date(tables: OpportunityTables) -> pd.Timestamp:
    """The latest date the pipeline data knows: last snapshot, creation or close."""
    opps = tables.opportunities
    dates = [opps["created"].max(), opps["closed_on"].max()]
    if tables.snapshots is not None:
        dates.append(tables.snapshots["snapshot_date"].max())
    known = [d for d in dates if pd.notna(d)]
    if not known:
        raise ValidationError(
            Message(
                N_("The opportunities carry no dates (created, closed or snapshot), so the "
                   "pipeline cannot be placed in time; add a created or close date column.")
            )
        )  # fmt: skip
    return pd.Timestamp(max(known)).normalize()


def analyse_pipeline(
    tables: OpportunityTables | None,
    settings: PipelineSettings = PipelineSettings(),  # noqa: B008 - frozen, safe as a default
    transactions: pd.DataFrame | None = None,
    currency: str = "EUR",
    clv: pd.DataFrame | None = None,
) -> PipelineResult:
    """Stage probabilities, weighted pipeline, coverage, funnel, accuracy by rep and won deals.

    Raises
    ------
    ValidationError
        Without opportunities (:data:`NO_PIPELINE`) or when they carry no dates.
    """
    if tables is None:
        raise ValidationError(Message(NO_PIPELINE))
    opps, snaps = tables.opportunities, tables.snapshots
    as_of = pd.Timestamp(settings.as_of) if settings.as_of is not None else as_of_date(tables)
    source = settings.probability_source
    if source == stages.AUTO:
        source = stages.FILE if tables.has_file_probabilities else stages.LEARNED
    order = stages.stage_order(opps, snaps)
    overrides = dict(settings.stage_probabilities)
    reached = stages.furthest_stage(opps, snaps, order)
    table = stages.stage_table(opps, snaps, order, source, overrides, reached)
    row_p = source == stages.FILE
    pipeline = forecast.open_pipeline(opps, table["used"], as_of, row_p)
    if table["edited"].any():  # an edited stage's probability wins over each row's own
        edited = pipeline["stage"].map(table["used"].where(table["edited"]))
        pipeline["probability"] = edited.fillna(pipeline["probability"])
        pipeline["weighted"] = pipeline["amount"] * pipeline["probability"]
    steps = forecast.funnel(opps, reached, order)
    steps["median_days"] = forecast.time_in_stage(snaps, opps, order).to_numpy()
    notes = list(tables.notes)
    overdue = int(pipeline["overdue"].sum())
    if overdue:
        notes.append(
            Message(
                N_("{n} open opportunities are past their expected close date; they count as "
                   "expected in {month}."),
                n=overdue, month=Month(as_of),
            )
        )  # fmt: skip
    monthly = reps = None
    team: dict = {}
    message = "Forecast accuracy needs the opportunity history (periodic snapshots)."
    if snaps is not None and len(snaps):
        monthly = accuracy.monthly_forecasts(snaps, opps, table["used"], as_of)
        if monthly.empty:
            message = "The history has no complete month after a month-end snapshot yet."
            monthly = None
        else:
            reps = accuracy.bias_by_rep(monthly, settings.bias_tolerance, settings.min_months)
            team = accuracy.overall(monthly, settings.bias_tolerance, settings.min_months)
            message = ""
    return PipelineResult(
        settings=settings,
        as_of=as_of,
        currency=currency,
        stages=table,
        probability_source=source,
        pipeline=pipeline,
        coverage=forecast.coverage(pipeline, opps, as_of, settings.horizon_months, settings.target),
        funnel=steps,
        monthly=monthly,
        reps=reps,
        team=team,
        won=won_deals(opps, transactions, clv),
        notes=tuple(notes),
        rejected=tables.rejected,
        history_message=message,
    )


def won_deals(
    opportunities: pd.DataFrame,
    transactions: pd.DataFrame | None,
    clv: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Won opportunities beside their customer's purchases where the customer ids match.

    Columns: opportunity_id, customer_id, owner, amount, closed_on, in_transactions,
    first_purchase, revenue_since_close (NaN/NaT where the customer is not in the transactions),
    and ``clv`` (the customer's predicted lifetime value) when ``clv`` (indexed by customer id,
    a "clv" column) is given.
    """
    won = _won_with_purchases(opportunities, transactions)
    if clv is not None and "clv" in clv:
        won["clv"] = won["customer_id"].map(clv["clv"]).astype(float)
    return won


def _won_with_purchases(
    opportunities: pd.DataFrame, transactions: pd.DataFrame | None
) -> pd.DataFrame:
    won = opportunities.loc[
        opportunities["outcome"] == WON,
        ["opportunity_id", "customer_id", "owner", "amount", "closed_on"],
    ].reset_index(drop=True)
    if transactions is None or transactions.empty:
        return won.assign(
            in_transactions=False, first_purchase=pd.NaT, revenue_since_close=float("nan")
        )
    tx = transactions[["customer_id", "date", "revenue"]]
    tx = tx[tx["customer_id"].isin(won["customer_id"].dropna().unique())]
    first = tx.groupby("customer_id")["date"].min()
    joined = tx.merge(won[["opportunity_id", "customer_id", "closed_on"]], on="customer_id")
    after = joined[joined["date"] >= joined["closed_on"]]
    since = after.groupby("opportunity_id")["revenue"].sum()
    matched = won["customer_id"].isin(first.index)
    return won.assign(
        in_transactions=matched.to_numpy(),
        first_purchase=won["customer_id"].map(first),
        revenue_since_close=won["opportunity_id"]
        .map(since)
        .where(matched, float("nan"))
        .fillna(0.0)
        .where(matched),
    )
