"""The deck as a storyline a consultant can present: the questions a client asks, in order.

Title; an executive summary (the five numbers that matter, one sentence each); one or two slides
per question (who creates value, who destroys it, what the future holds, who is slipping away,
how we score, what to do); then an "Appendix" divider and the analyst's slides (model checks, the
full scorecard, the charts the user looked at in the app). The command line and the app build the
same story from the same :class:`cvm_core.outputs.report.Report`; the app adds the charts viewed.

Every sentence is checked before it is written (:func:`checked`): no missing numbers ("–",
"nan"), and each states the comparison that makes it mean something (a loss against the profit
it eats, a share against the customers it comes from). A slide whose message would be trivial
(every customer profitable, no loss-maker to fix) says so instead of showing an empty chart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from cvm_core import formatting, i18n
from cvm_core.analyses import assumptions
from cvm_core.analyses.clv import charts as clv_charts
from cvm_core.analyses.clv import takeaways as clv_takeaways
from cvm_core.analyses.clv.tiers import tier_takeaway
from cvm_core.analyses.clv.value_matrix import QUADRANTS
from cvm_core.analyses.overview.slides import MONTHLY_TITLE
from cvm_core.analyses.profitability import charts as whale_charts
from cvm_core.analyses.profitability import drilldown, pnl, takeaways
from cvm_core.analyses.profitability.slides import WHALE_TITLE, whale_slide
from cvm_core.analyses.retention import charts as retention_charts
from cvm_core.analyses.retention import takeaways as retention_takeaways
from cvm_core.analyses.retention.cohorts import coarser_cohorts
from cvm_core.analyses.scorecard import hierarchy, presenting, specs
from cvm_core.i18n import N_, Nn_, _
from cvm_core.outputs.report import Report
from cvm_core.outputs.story_fixes import fixes_table
from cvm_core.slides import ChartSlide, StorySlide

APPENDIX_TITLE = N_("Appendix")
SUMMARY_TITLE = N_("Executive summary")
"""The titles in English (what code and tests compare); the slides show them translated."""
UNIT_WORDS = (Nn_("year", "years"), Nn_("target", "targets"))
"""Words counted or named in the story's sentences (translated with the unit words)."""
MAX_ACTIVITIES = 8
"""Activities on the loss-driver slide: more bars than this cannot be read projected."""
KEY_MEASURES = (
    "Profit per customer",
    "Unprofitable customers",
    "Revenue per customer",
    "New customers",
    "CLV of new customers",
    "Active customers",
    "Annual customer retention",
    "Cross-sell rate",
)
"""The scorecard measures the story shows (the full scorecard is in the appendix)."""
SCORECARD_ROWS = 8
SLIDE_COHORTS = 8
SLIDE_COHORT_AGES = 12
"""A cohort heatmap on a slide: at most this many (merged) cohorts by this many periods."""
SCORECARD_STORY_COLUMNS = ("Measure", "Value", "Previous", "Change", "Target", "Status")

_UNREADABLE = re.compile(r"(?<![\w])(nan|inf|None|–)(?![\w])|\bNaN\b")


class StoryError(ValueError):
    """A takeaway failed its check (a missing or implausible number)."""


def checked(text: str) -> str:
    """``text`` if every number in it is real; raises :class:`StoryError` otherwise."""
    if _UNREADABLE.search(text):
        raise StoryError(f"takeaway with a missing number: {text!r}")
    return text


def _lower(text: str) -> str:
    """A name inside a sentence: lower case in English ('Price increase' -> 'price increase'),
    as written in German (nouns keep their capital) and Chinese."""
    return text.lower() if i18n.current() == "en" else text


def _first_word(text: str) -> str:
    """The column header without the period in brackets ('Value (Q4 2024)' -> 'Value')."""
    return text.split(" (")[0]


# --- the executive summary ------------------------------------------------------------------------


def _concentration_point(report: Report) -> tuple[str, str] | None:
    summary = report.whale.curve.summary if report.whale is not None else None
    if summary is None or not summary.meaningful:
        return None
    pct = formatting.pct(summary.top_profit_pct, 0)
    return pct, _(
        "of operating profit comes from the top {share} of customers (after cost of goods and "
        "cost-to-serve)."
    ).format(share=formatting.pct(summary.top_share, 0))


def _loss_point(report: Report) -> tuple[str, str] | None:
    if report.whale is None:
        return None
    summary, money = report.whale.curve.summary, formatting.money_short
    if summary.all_profitable:
        return formatting.pct(0, 0), _(
            "of customers lose money after cost-to-serve: every customer is profitable."
        )
    earned = summary.tail_loss + summary.total_profit  # what the profitable customers earn
    text = (
        _(
            "of customers ({n}) are unprofitable: together they lose {loss}, {share} of what the "
            "others earn."
        )
        if earned > 0
        else _("of customers ({n}) are unprofitable: together they lose {loss}.")
    )
    return formatting.pct(summary.unprofitable_share, 0), text.format(
        n=formatting.count(summary.unprofitable),
        loss=money(summary.tail_loss, report.currency),
        share=formatting.pct(summary.tail_loss / earned, 0) if earned > 0 else "",
    )


def _future_point(report: Report) -> tuple[str, str] | None:
    if report.clv_result is None:
        return None
    values = report.clv_result.values
    months = values.settings.horizon_months
    text = (
        _(
            "expected profit (net of cost-to-serve) from today's customers over the next {months}; "
            "{tier}, {share} of customers, hold {clv_share} of it."
        )
        if values.future_cost_to_serve
        else _(
            "expected profit (gross margin) from today's customers over the next {months}; "
            "{tier}, {share} of customers, hold {clv_share} of it."
        )
    )
    top = values.tiers.iloc[0]
    return formatting.money_short(values.total_clv, report.currency), text.format(
        months=formatting.counted(months, "month"),
        tier=top["tier"],
        share=formatting.pct(top["customer_share"], 0),
        clv_share=formatting.pct(top["clv_share"], 0),
    )


def _active_point(report: Report) -> tuple[str, str] | None:
    retention = report.retention
    if retention is None or retention.active.share is None:
        return None
    active = retention.active
    annual = retention.annual_retention
    text = (
        _(
            "of customers are active ({rule}); {kept} of customers are kept from one year to the "
            "next."
        )
        if annual
        else _("of customers are active ({rule}).")
    )
    return active.share_text(), text.format(
        rule=active.rule_words(), kept=formatting.pct(annual, 0) if annual else ""
    )


def _fix_point(fixes: pd.DataFrame, currency: str) -> tuple[str, str] | None:
    if fixes.empty or fixes["profit_change"].iloc[0] <= 0:
        return None
    best = fixes.iloc[0]
    return "+" + formatting.money_short(best["profit_change"], currency), _(
        "operating profit from the best fix for the loss-makers: {fix} ({assumes})."
    ).format(fix=_lower(best["fix"]), assumes=best["assumes"])


def _left_out(notes: Sequence[str]) -> str:
    """Analyses the data could not support, each with the first clause of its reason: 'CLV left
    out: The BG/NBD model is not identifiable from these data.'"""
    parts = []
    for note in notes:
        head, colon, reason = i18n.shown(note).partition(": ")
        if not colon:  # no ': ' after the analysis's name (Chinese writes '：'): the whole note
            parts.append(head)
            continue
        parts.append(f"{head}: {reason.split(': ')[0].split('. ')[0].rstrip('.')}.")
    return " ".join(parts)


def executive_summary(report: Report, fixes: pd.DataFrame) -> StorySlide:
    """The five numbers that matter, one sentence each (those the data supports)."""
    points = [
        point
        for point in (
            _concentration_point(report),
            _loss_point(report),
            _future_point(report),
            _active_point(report),
            _fix_point(fixes, report.currency),
        )
        if point is not None
    ]
    points = [(number, checked(sentence)) for number, sentence in points]
    return StorySlide(
        "summary", _(SUMMARY_TITLE), _left_out(report.notes), points=tuple(points),
        assumed=assumptions.strip_text(report.assumptions),
    )  # fmt: skip


# --- what to do: the fixes (cvm_core.outputs.story_fixes) -----------------------------------------


def _fixes_slide(report: Report, fixes: pd.DataFrame) -> StorySlide | None:
    if fixes.empty:
        return None
    money = formatting.money_short
    today = report.whale.curve.summary.total_profit
    shown = pd.DataFrame(
        {
            _("Fix (for today's loss-makers)"): fixes["fix"],
            _("Assumes"): fixes["assumes"],
            _("Profit change"): fixes["profit_change"].map(
                lambda v: ("+" if v >= 0 else "") + money(v, report.currency)
            ),
            _("Profit after"): fixes["profit_after"].map(lambda v: money(v, report.currency)),
        }
    )
    best = fixes.iloc[0]
    takeaway = _(
        "Best single fix: {fix}, {change} on today's {profit} operating profit. Fixes overlap: do "
        "not add them up."
    ).format(
        fix=_lower(best["fix"]),
        change=("+" if best["profit_change"] >= 0 else "")
        + money(best["profit_change"], report.currency),
        profit=money(today, report.currency),
    )
    return StorySlide(
        "actions", _("What to do: fixes for the loss-making customers"), checked(takeaway),
        table=shown, assumed=assumptions.strip_text(report.assumptions),
    )  # fmt: skip


# --- one slide per question -----------------------------------------------------------------------


def _chart_slide(key: str, title: str, slide: ChartSlide, assumed: str = "") -> StorySlide:
    return StorySlide(key, title, checked(slide.takeaway), chart=slide.chart, assumed=assumed)


def _segment_slide(report: Report) -> StorySlide | None:
    if report.segments is None or report.whale is None:
        return None
    table = pnl.profit_by(report.whale.result.pnl, report.segments["rfm_segment"])
    table = table[table["customers"] > 0]
    if len(table) < 2:
        return None
    table = table.assign(group=[_(name) for name in table["group"]])  # the app's RFM names
    takeaway = takeaways.group_takeaway(table, _("RFM segment"), report.currency)
    chart = whale_charts.profit_by_chart(table, "RFM segment", report.currency)
    return StorySlide(
        "segments", _("Who creates value: operating profit by RFM segment"), checked(takeaway),
        chart=chart, assumed=assumptions.strip_text(report.assumptions),
    )  # fmt: skip


def _loss_slide(report: Report) -> StorySlide | None:
    if report.whale is None or report.whale.curve.summary.all_profitable:
        return None
    drivers = drilldown.loss_drivers(report.whale.result).head(MAX_ACTIVITIES)
    if drivers.empty:
        return None
    takeaway = takeaways.loss_driver_takeaway(drivers, report.currency)
    return StorySlide(
        "loss_drivers", _("Who destroys value: what makes the loss-makers unprofitable"),
        checked(takeaway), chart=whale_charts.loss_drivers_chart(drivers, report.currency),
        assumed=assumptions.strip_text(report.assumptions),
    )  # fmt: skip


def _value_matrix_slide(report: Report) -> StorySlide | None:
    matrix = report.clv_result.value_matrix() if report.clv_result is not None else None
    if matrix is None:
        return None
    money = formatting.money_short
    rows = matrix.table.set_index("quadrant").reindex(list(QUADRANTS)).dropna(how="all")
    total = float(rows["customers"].sum())
    shown = pd.DataFrame(
        {
            _("Group"): [_(quadrant) for quadrant in rows.index],
            _("Customers"): [
                f"{formatting.count(n)} ({formatting.pct(n / total, 0)})" for n in rows["customers"]
            ],
            _("Profit to date"): [money(v, report.currency) for v in rows["profit_to_date"]],
            _("Expected future profit"): [money(v, report.currency) for v in rows["future_value"]],
        }
    )
    return StorySlide(
        "value_matrix", _("What the future holds: profit to date against future profit"),
        checked(matrix.takeaway(report.currency)), table=shown,
        assumed=assumptions.strip_text(report.assumptions),
    )  # fmt: skip


def _pyramid_slide(report: Report) -> StorySlide | None:
    if report.clv_result is None:
        return None
    tiers = report.clv_result.values.tiers
    return StorySlide(
        "pyramid", _("What the future holds: the customer pyramid by future value"),
        checked(tier_takeaway(tiers)), chart=clv_charts.tier_shares_chart(tiers),
        assumed=assumptions.strip_text(report.assumptions),
    )  # fmt: skip


def _churn_slide(report: Report) -> StorySlide | None:
    retention = report.retention
    if retention is None or retention.churn_by_period.empty:
        return None
    period = retention.settings.period
    takeaway = retention_takeaways.churn_period_takeaway(retention.churn_by_period, period)
    if retention.active.share is not None:
        takeaway = f"{retention.active.sentence()} {takeaway}"
    # The chart's own title (churn_period_title) in the sentence: 'churn rate per month'.
    title = _("Who is slipping away: churn rate per {period}").format(period=_(period))
    return StorySlide(
        "churn", title, checked(takeaway),
        chart=retention_charts.churn_rate_chart(retention.churn_by_period, period),
    )  # fmt: skip


def _economics_slide(report: Report) -> StorySlide | None:
    economics = report.retention.economics if report.retention is not None else None
    if economics is None:
        return None
    return StorySlide(
        "retention_value", _("Who is slipping away: what more retention is worth"),
        checked(retention_takeaways.economics_takeaway(economics, report.currency)),
        chart=retention_charts.economics_chart(economics.table, report.currency),
    )  # fmt: skip


def scorecard_story_table(table: pd.DataFrame) -> pd.DataFrame:
    """The key measures that have a value, off-target ones first, at most one slide's worth."""
    values = [c for c in table.columns if c.startswith("Value")]
    if not values or "Measure" not in table:
        return table.iloc[0:0]
    has_value = table[values[0]].astype(str).str.strip().ne("–")
    # The table is in the current language (presenting.scorecard_table), so are the names.
    key = table[table["Measure"].isin([_(m) for m in KEY_MEASURES]) & has_value].copy()
    if "Status" in key:
        missed = [_(specs.OFF_TARGET), _(specs.WATCH)]
        off = key["Status"].isin(missed) | key["Status"].astype(str).str.contains(
            "off|below|above|watch", case=False
        )
        key = pd.concat([key[off], key[~off]])
    keep = [c for c in table.columns if _first_word(c) in SCORECARD_STORY_COLUMNS]
    return key[keep].head(SCORECARD_ROWS).reset_index(drop=True)


def _scorecard_slide(report: Report) -> StorySlide | None:
    if report.scorecard is None:
        return None
    table = scorecard_story_table(presenting.scorecard_table(report.scorecard))
    if table.empty:
        return None
    value_column = next(c for c in table.columns if c.startswith("Value"))
    period = value_column[len("Value (") : -1]
    takeaway = (
        _(
            "{n} key measures for {period} against the period before; the full scorecard is in "
            "the appendix."
        )
        if period
        else _(
            "{n} key measures for the latest period against the period before; the full "
            "scorecard is in the appendix."
        )
    ).format(n=formatting.count(len(table)), period=period)
    return StorySlide(
        "scorecard", _("How we score: key customer measures"), checked(takeaway), table=table,
        assumed=assumptions.strip_text(report.assumptions),
    )  # fmt: skip


CHAIN_TITLE = N_("How we score: goals, what drives them, leading indicators")
CHAIN_COLUMNS = ("Level", "Measure", "Value", "Target", "Status", "Drives", hierarchy.CONTRIBUTION)


def chain_slides(report: Report) -> list[StorySlide]:
    """The scorecard read top down as native tables: goals and process measures, then the
    leading indicators (one slide holds at most eight rows)."""
    if report.chain is None or report.chain.empty:
        return []
    from cvm_core.outputs.deck import TABLE_ROWS_PER_SLIDE

    chain = report.chain
    table = hierarchy.hierarchy_table(chain, report.currency)[list(CHAIN_COLUMNS)]
    off = [
        specs.measure_name(k, m)
        for k, m in chain.loc[chain["status"] == specs.OFF_TARGET, ["key", "measure"]].itertuples(
            index=False
        )
    ]
    targets = int(chain["target"].notna().sum())
    if off:
        text = _(
            "{goals} goals, the process measures under them and {leading} leading "
            "indicators; off target: {off}."
        )
    elif targets:
        text = _(
            "{goals} goals, the process measures under them and {leading} leading "
            "indicators; {targets} set; none is missed."
        )
    else:
        text = _(
            "{goals} goals, the process measures under them and {leading} leading "
            "indicators; no targets set yet: type them on the Scorecard page."
        )
    takeaway = text.format(
        goals=formatting.count((chain["level"] == hierarchy.GOAL).sum()),
        leading=formatting.count((chain["level"] == hierarchy.LEADING).sum()),
        off=", ".join(off),
        targets=formatting.counted(targets, "target"),
    )  # fmt: skip
    bridge = hierarchy.bridge_sentence(chain, report.currency)
    takeaway += f" {bridge}" if bridge else ""
    pages = [
        table.iloc[i : i + TABLE_ROWS_PER_SLIDE] for i in range(0, len(table), TABLE_ROWS_PER_SLIDE)
    ]
    slides = []
    for k, page in enumerate(pages, start=1):
        page = page.assign(Level=page["Level"].where(~page["Level"].eq(page["Level"].shift()), ""))
        title = _(CHAIN_TITLE) + (f" ({k}/{len(pages)})" if len(pages) > 1 else "")
        slides.append(StorySlide(f"scorecard_chain_{k}", title, checked(takeaway),
                                 table=page.reset_index(drop=True)))  # fmt: skip
    return slides


# --- the appendix ---------------------------------------------------------------------------------


def _model_check_slide(report: Report) -> StorySlide | None:
    fitted = report.clv_result.fit if report.clv_result is not None else None
    if fitted is None or fitted.cumulative is None or fitted.holdout is None:
        return None
    return StorySlide(
        "model_check", _("CLV model check: repeat purchases, actual against the model"),
        checked(clv_takeaways.holdout_takeaway(fitted.holdout, fitted)),
        chart=clv_charts.cumulative_chart(fitted.cumulative, fitted.settings.calibration_end),
        appendix=True,
    )  # fmt: skip


def _cohort_slide(report: Report) -> StorySlide | None:
    """Customer retention by cohort, cut to what can be read projected (the page may show 36
    cohorts by 25 periods; a slide shows the latest few by their first periods)."""
    cohorts = report.retention.cohorts if report.retention is not None else None
    if cohorts is None:
        return None
    long = coarser_cohorts(cohorts.to_long(), SLIDE_COHORTS, SLIDE_COHORT_AGES)
    if long.empty:
        return None
    measure = "customer_retention"
    # The heatmap's title (retention_charts.HEATMAPS[measure][0]) in the sentence.
    title = _("Customer retention by cohort, cohorts merged by {period}").format(
        period=_(_cohort_grouping(long))
    )
    return StorySlide(
        "cohorts", title,
        checked(retention_takeaways.cohort_takeaway(cohorts, measure, report.currency)),
        chart=retention_charts.cohort_heatmap(long, measure, cohorts.period, report.currency),
        appendix=True,
    )  # fmt: skip


def _cohort_grouping(long: pd.DataFrame) -> str:
    return "quarter" if long["cohort"].astype(str).str.contains("Q").any() else "year"


def _full_scorecard_slides(report: Report) -> list[StorySlide]:
    from cvm_core.outputs.deck import scorecard_for_slides, scorecard_pages

    if report.scorecard is None:
        return []
    pages = scorecard_pages(scorecard_for_slides(presenting.scorecard_table(report.scorecard)))
    return [
        StorySlide(
            f"scorecard_full_{k}",
            _("Customer management scorecard") + (f" ({k}/{len(pages)})" if len(pages) > 1 else ""),
            table=page,
            appendix=True,
        )  # fmt: skip
        for k, page in enumerate(pages, start=1)
    ]


STORY_TITLES = {
    MONTHLY_TITLE.lower(),
    WHALE_TITLE.lower(),
    "clv customer pyramid",
    "cost per customer by activity",
    "clv repeat purchases actual vs model",
}
"""Page charts the story already shows in its own form (left out of the appendix)."""


def _viewed_slides(viewed: Sequence[ChartSlide], shown: set[str]) -> list[StorySlide]:
    """Charts the user looked at in the app, for the appendix, each once, skipping the story's."""
    out = []
    for n, slide in enumerate(viewed):
        name = slide.title.lower()
        # The story tells these in its own form: the churn rate and the whale curve on their
        # question's slide, the cohort heatmaps cut to what a slide can show.
        told = name.startswith(("churn rate per", WHALE_TITLE.lower())) or name.endswith(
            " by cohort"
        )
        if name in shown or told:
            continue
        shown.add(name)
        try:
            takeaway = checked(slide.takeaway)
        except StoryError:
            takeaway = ""
        out.append(
            StorySlide(
                f"viewed_{n}", slide.title, takeaway, slide.chart, slide.image, appendix=True
            )
        )
    return out


# --- the whole story ------------------------------------------------------------------------------


def build_story(report: Report, viewed: Sequence[ChartSlide] = ()) -> list[StorySlide]:
    """The deck's slides after the title, in order: the story, then the appendix.

    Parameters
    ----------
    report : Report
        From :func:`cvm_core.outputs.report.build_report` (the app builds it with the session's
        settings, the command line with the workspace's).
    viewed : sequence of ChartSlide, optional
        Charts the user looked at in the app; they go to the appendix unless the story has them.
    """
    assumed = assumptions.strip_text(report.assumptions)
    fixes = fixes_table(report)
    by_question = [
        _chart_slide("monthly", _("Where we stand: revenue and active customers by month"),
                     report.charts[0]) if report.charts else None,
        _chart_slide("whale", _("Who creates value: the whale curve of customer profit"),
                     whale_slide(report.whale, report.currency), assumed) if report.whale is not None else None,
        _segment_slide(report),
        _loss_slide(report),
        _pyramid_slide(report),
        _value_matrix_slide(report),
        _churn_slide(report),
        _economics_slide(report),
        *chain_slides(report),
        _scorecard_slide(report),
        _fixes_slide(report, fixes),
    ]  # fmt: skip
    story = [executive_summary(report, fixes)] + [s for s in by_question if s is not None]
    from cvm_core.outputs.growth import growth_slides  # its models only when a deck is made

    # The prospects and acquisition views before the full scorecard: its reference tables close
    # the appendix, as the story's last word on measures.
    appendix = [_model_check_slide(report), _cohort_slide(report), *growth_slides(report),
                *_full_scorecard_slides(report)]  # fmt: skip
    appendix = [s for s in appendix if s is not None]
    appendix += _viewed_slides(viewed, set(STORY_TITLES))
    if appendix:
        story.append(StorySlide("appendix", _(APPENDIX_TITLE), appendix=True))
    return story + appendix
