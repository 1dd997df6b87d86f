"""Widgets of the Upload page: sheet and column mapping, the dataset overview, the quality report."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.analyses.inputs import dataset_source
from cvm_core.analyses.overview.slides import monthly_slide
from cvm_core.i18n import N_, _
from cvm_core.intake import channels as intake_channels
from cvm_core.intake import large_files
from cvm_core.intake.dataset import Attention, Dataset, SheetRoles, guess_sheet_roles
from cvm_core.intake.io import Workbook
from cvm_core.intake.schema import REQUIRED_ROLES, TRANSACTION_ROLES, ColumnMapping, guess_mapping
from cvm_core.intake.summary import dataset_overview
from cvm_core.intake.validate import ValidationOptions
from cvm_core.outputs import export
from ui import data
from ui.charts import show_chart

NONE = "(none)"
N_("(none)")  # NONE, shown translated
DAYS_PER_MONTH = 365.25 / 12
JUST_LOADED = "cvm.upload.just_loaded"
"""Name of the dataset made active in the previous run, announced once with a toast."""
DATE_ORDER_LABELS = {
    "auto": N_("Detect from the data"),
    "dayfirst": N_("Day first (31/12/2024)"),
    "monthfirst": N_("Month first (12/31/2024)"),
}
ROLE_LABELS = (
    N_("Customer ID"),
    N_("Date"),
    N_("Revenue"),
    N_("Order ID"),
    N_("Quantity"),
    N_("Unit price"),
    N_("Product"),
    N_("Category"),
    N_("Channel"),
    N_("Cost of goods"),
    N_("Margin %"),
    N_("Return flag"),
)
"""The column roles' labels (cvm_core.intake.schema.TRANSACTION_ROLES), for the catalogs: the
mapping form shows them translated."""


@dataclass(frozen=True)
class MappingChoice:
    """What the user chose in the mapping form."""

    sheets: SheetRoles
    mapping: ColumnMapping
    options: ValidationOptions


def mapping_form(
    workbook: Workbook, key: str, date_order_needed: bool, on_disk: bool = False
) -> MappingChoice:
    """Sheet roles, one selectbox per column role (pre-filled with our guesses), date order.

    ``on_disk``: a large file's sample (:mod:`cvm_core.intake.large_files`): its dates are typed
    and its channels are used as written, so neither question is asked."""
    guessed = guess_sheet_roles(workbook)
    names = list(workbook.tables)
    sheets = guessed
    if len(names) > 1:
        st.markdown("**" + _("Sheets") + "**")
        c1, c2, c3 = st.columns(3)
        tx = c1.selectbox(
            _("Transactions"),
            names,
            index=names.index(guessed.transactions),
            key=f"{key}.sheet.tx",
            persist_state="session",
        )
        customers = _optional_select(
            c2, _("Customer attributes"), names, guessed.customers, f"{key}.sheet.cust"
        )
        cost = _optional_select(
            c3, _("Cost-to-serve drivers"), names, guessed.cost_to_serve, f"{key}.sheet.cts"
        )
        opportunities, history = guessed.opportunities, guessed.snapshots
        if opportunities is not None:  # only a workbook with a pipeline shows these
            c4, c5, _unused = st.columns(3)
            opportunities = _optional_select(
                c4, _("Opportunities (sales pipeline)"), names, opportunities, f"{key}.sheet.opp"
            )
            history = _optional_select(
                c5, _("Opportunity history (snapshots)"), names, history, f"{key}.sheet.hist"
            )
        sheets = SheetRoles(tx, customers, cost, opportunities, history if opportunities else None)
    table = workbook.tables[sheets.transactions]
    for note in table.notes:  # e.g. title rows skipped above the header (quoting the file's text)
        st.info(formatting.escape_markdown(i18n.shown(note)))
    frame = table.frame
    guess = guess_mapping(frame)
    if not guess.roles:
        # Nothing looks like a customer, a date or an amount: say so now, not after the click.
        shown = ", ".join(f"'{c}'" for c in list(frame.columns)[:6])
        st.warning(
            _(
                "This doesn't look like a table of sales: none of its {n} column(s) ({columns}) "
                "reads as a customer, a date or an amount. Check that this is the sales export "
                "(one row per order or order line), or pick the columns below if the headers are "
                "unusual."
            ).format(
                n=formatting.count(len(frame.columns)), columns=formatting.escape_markdown(shown)
            ),
            icon=":material/warning:",
        )
    st.markdown(
        "**"
        + _("Columns")
        + "** — "
        + _("we guessed each column's meaning; correct anything that is wrong.")
    )
    columns = [NONE, *frame.columns]
    roles: dict[str, str] = {}
    grid = st.columns(4)
    for i, (role, label) in enumerate(TRANSACTION_ROLES.items()):
        default = guess.roles.get(role, NONE)
        shown = f"{_(label)} *" if role in REQUIRED_ROLES else _(label)
        chosen = grid[i % 4].selectbox(
            shown,
            columns,
            index=columns.index(default),
            format_func=_none_label,
            key=f"{key}.{sheets.transactions}.{role}",
            persist_state="session",
        )
        if chosen != NONE:
            roles[role] = chosen
    st.caption(
        "\\* "
        + _(
            "required. Revenue can be left empty when quantity and unit price are mapped. "
            "Columns not mapped are kept as attributes (e.g. region)."
        )
    )
    attributes = tuple(c for c in frame.columns if c not in roles.values())
    if on_disk:
        mapping = ColumnMapping(roles, attributes)
        _preview(frame, mapping)
        return MappingChoice(sheets, mapping, ValidationOptions())
    channels = channel_form(frame, roles.get("channel"), f"{key}.{sheets.transactions}")
    mapping = ColumnMapping(roles, attributes, channels)
    order = "auto"
    if "date" in roles:  # the question is about the date column: none chosen, nothing to ask
        order = st.radio(
            _("How are dates like 03/04/2024 written?"),
            list(DATE_ORDER_LABELS),
            format_func=lambda order: _(DATE_ORDER_LABELS[order]),
            horizontal=True,
            key=f"{key}.date_order",
            persist_state="session",
            index=0,
        )
    if date_order_needed and order == "auto":
        st.warning(
            _("The dates can be read either way: please choose day first or month first above.")
        )
    _preview(frame, mapping)
    return MappingChoice(sheets, mapping, ValidationOptions(date_order=order))


def large_file_form(sample: Workbook, rows: int, key: str) -> tuple[MappingChoice, bool]:
    """What happens to a file too large for memory, its column mapping (read from ``sample``, its
    first rows) and a button to use it: the mapping, and whether the button was clicked."""
    st.info(
        _("This file has {rows} rows, more than {limit}: it stays on the server's disk and "
          "each page's tables are computed from it by DuckDB. Check the columns below (read "
          "from its first {sample} rows).").format(
            rows=formatting.count(rows), limit=formatting.count(large_files.LARGE_FILE_ROWS),
            sample=formatting.count(large_files.SAMPLE_ROWS),
        ),
        icon=":material/database:",
    )  # fmt: skip
    choice = mapping_form(sample, key, False, on_disk=True)
    clicked = st.button(
        _("Use this data"), type="primary", icon=":material/check:", key=f"{key}.load"
    )
    return choice, clicked


_CHOICES: dict[int, tuple[weakref.ref, dict[str, pd.DataFrame]]] = {}
"""id(frame) -> (the frame, weakly; its channel choices by column): found once per table."""


def _channel_choices(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The channel values with their row counts, counted once per table read: the Upload page
    runs again on every click while a file is in the uploader (70 ms a run at 1M rows)."""
    kept = _CHOICES.get(id(frame))
    if kept is None or kept[0]() is not frame:
        for gone in [k for k, (ref, _choices) in _CHOICES.items() if ref() is None]:
            del _CHOICES[gone]
        kept = _CHOICES[id(frame)] = (weakref.ref(frame), {})
    if column not in kept[1]:
        kept[1][column] = intake_channels.channel_choices(frame[column])
    return kept[1][column]


def channel_form(frame: pd.DataFrame, column: str | None, key: str) -> dict[str, str]:
    """Which cost-model channel each channel value is (pre-filled from the synonyms).

    Returns the user's corrections (value -> channel), empty when there is no channel column or
    nothing was changed.
    """
    if column is None:
        return {}
    choices = _channel_choices(frame, column)
    if choices.empty:
        return {}
    st.markdown(
        "**"
        + _("Channels")
        + "** — "
        + _(
            "each value of the channel column, and the cost-model channel whose order cost it "
            "gets. Channels kept as written are charged the average channel rate."
        )
    )
    options = [*intake_channels.CHANNELS, intake_channels.KEEP_AS_WRITTEN]
    edited = st.data_editor(
        choices[["value", "rows", "channel"]],
        key=f"{key}.channels.{column}",
        hide_index=True,
        disabled=["value", "rows"],
        num_rows="fixed",
        column_config={
            "value": st.column_config.TextColumn(_("In the file")),
            "rows": st.column_config.NumberColumn(_("Rows"), format="%d"),
            "channel": st.column_config.SelectboxColumn(
                _("Cost-model channel"), options=options, required=True
            ),
        },
    )
    if len(choices) == intake_channels.MAX_CHOICES:
        st.caption(
            _(
                "Only the {n} most frequent values are listed; the others are matched by name."
            ).format(n=formatting.count(intake_channels.MAX_CHOICES))
        )
    return intake_channels.overrides_from_choices(choices.assign(channel=edited["channel"]))


def _none_label(option: str) -> str:
    """The '(none)' option in the current language; column and sheet names as they are."""
    return _(NONE) if option == NONE else str(option)


def _optional_select(
    column, label: str, names: list[str], default: str | None, key: str
) -> str | None:
    options = [NONE, *names]
    chosen = column.selectbox(
        label,
        options,
        index=options.index(default or NONE),
        format_func=_none_label,
        key=key,
        persist_state="session",
    )
    return None if chosen == NONE else chosen


def _preview(frame: pd.DataFrame, mapping: ColumnMapping) -> None:
    if not mapping.roles:
        return
    preview = frame.head(15)[list(mapping.roles.values())].copy()  # not 1M rows, then 15
    preview.columns = [f"{_(TRANSACTION_ROLES[r])} ← {c}" for r, c in mapping.roles.items()]
    st.markdown(
        "**" + _("Preview of the mapped columns") + "** " + _("(first 15 rows, as in the file)")
    )
    # As text (as in the file), with blanks shown blank rather than as 'nan' / 'None' / 'NaT'.
    st.dataframe(preview.astype(object).where(preview.notna(), "").astype(str), hide_index=True)


@st.cache_data(max_entries=4, ttl="2h", show_spinner=False)
def _monthly_activity(_dataset: Dataset, fingerprint: str) -> pd.DataFrame:
    return dataset_source(_dataset).monthly_activity()


def monthly_activity(dataset: Dataset) -> pd.DataFrame:
    """Net revenue and active customers per month, for the overview (cached per dataset)."""
    return _monthly_activity(dataset, dataset.fingerprint)


def summary_file_form(dataset: Dataset, key: str) -> bool:
    """What an uploaded customer summary file holds, and a button to use it (True when clicked)."""
    info = dataset.summary_info
    st.info(
        _(
            "This is a customer summary made by `python -m cvm_core summarize` ({engine} "
            "engine): {customers} customers up to {end}, recency and age in {units}. No column "
            "mapping is needed. Customer Lifetime Value works from it; the pages that need single "
            "transactions (segments, whale curve, retention, scorecard) say so."
        ).format(
            engine=info.engine or _("engine not recorded"),
            customers=formatting.count(len(dataset.summary)),
            end=formatting.date(dataset.observation_end),
            units=i18n.ngettext(info.unit, info.unit + "s", 2),
        ),
        icon=":material/summarize:",
    )
    active = data.active_dataset()
    if active is not None and active.fingerprint == dataset.fingerprint:
        return False  # already the active dataset: its overview follows
    return st.button(
        _("Use this summary"), type="primary", icon=":material/check:", key=f"{key}.load"
    )


def show_summary_overview(dataset: Dataset) -> None:
    """Headline figures of a summary-only dataset: customers, net revenue, period, engine."""
    summary, info, money = dataset.summary, dataset.summary_info, data.currency(dataset)
    st.subheader(
        _("Loaded: {name} (customer summary)").format(
            name=formatting.escape_markdown(i18n.shown(dataset.name))
        )
    )
    cols = st.columns(4)
    cols[0].metric(_("Customers"), formatting.count(len(summary)))
    cols[1].metric(
        _("Net revenue"),
        formatting.money_short(float(summary["net_revenue"].sum()), money),
        help=_("Sales minus returns over the period, summed over the file's customers."),
    )
    period = (
        formatting.date(dataset.observation_start)
        + " – "
        + formatting.date(dataset.observation_end)
    )
    days = (dataset.observation_end - dataset.observation_start).days
    cols[2].metric(
        _("Period"),
        formatting.counted(days / DAYS_PER_MONTH, "month"),
        help=_(
            "{period}: from the first customer's first purchase to the end the summary was "
            "computed to."
        ).format(period=period),
    )
    cols[3].metric(_("Engine"), info.engine or "–", help=_("What computed the summary."))
    orders = formatting.count(int(summary["orders"].sum()))
    repeat = formatting.pct(float((summary["frequency"] > 0).mean()))
    if info.source:
        line = _(
            "{period} · {orders} orders · repeat customers {repeat} · summarised from {source}."
        ).format(period=period, orders=orders, repeat=repeat, source=info.source)
    else:
        line = _("{period} · {orders} orders · repeat customers {repeat} · summarised.").format(
            period=period, orders=orders, repeat=repeat
        )
    st.caption(
        line
        + " "
        + _(
            "Only the customer summary was loaded: no transactions, so no monthly chart or row "
            "report."
        )
    )
    st.page_link("pages/clv.py", label=_("Customer Lifetime Value"), icon=":material/trending_up:")


def show_still_loaded(dataset: Dataset) -> None:
    """Below a new file's mapping form: which dataset is still active, without its figures (they
    would read as the new file's)."""
    st.info(
        _(
            "Still loaded: the previous dataset **{name}**. The pages use it until you click "
            "'Use this data' above."
        ).format(name=formatting.escape_markdown(i18n.shown(dataset.name))),
        icon=":material/history:",
    )


def show_overview(dataset: Dataset) -> None:
    """Headline figures, the monthly chart and the data-quality report for the active dataset."""
    if not dataset.has_transactions:
        show_summary_overview(dataset)
        return
    summary = data.customer_summary(dataset)
    overview = dataset_overview(dataset_source(dataset), summary)
    money = data.currency(dataset)
    st.subheader(
        _("Loaded: {name}").format(name=formatting.escape_markdown(i18n.shown(dataset.name)))
    )
    cols = st.columns(6)
    cols[0].metric(_("Customers"), formatting.count(overview.customers))
    cols[1].metric(_("Transactions"), formatting.count(overview.transactions))
    cols[2].metric(_("Gross revenue"), formatting.money_short(overview.revenue, money))
    cols[3].metric(
        _("Returns"),
        formatting.pct(overview.returns_share),
        help=_("Returned amount as a share of gross revenue."),
    )
    cols[4].metric(
        _("Repeat customers"),
        formatting.pct(overview.repeat_customer_share),
        help=_("Customers who bought on more than one day."),
    )
    if overview.margin is not None:
        cols[5].metric(
            _("Gross margin"),
            formatting.money_short(overview.margin, money),
            help=_("Net revenue minus cost of goods."),
        )
    else:
        cols[5].metric(
            _("Gross margin"), "–", help=_("Map a cost-of-goods or margin % column to see margins.")
        )
    st.caption(
        _("From {first} to {last} · {orders} orders · net revenue {net_revenue}").format(
            first=formatting.date(overview.first_date),
            last=formatting.date(overview.last_date),
            orders=formatting.count(overview.orders),
            net_revenue=formatting.money(overview.net_revenue, money),
        )
    )
    monthly = monthly_activity(dataset)
    slide = monthly_slide(monthly, money)
    show_chart(
        slide.chart,
        _(
            "Bars: net revenue (sales minus returns) per month. Line: customers who bought that "
            "month."
        ),
        name=slide.title,
        data=monthly.rename(
            columns={
                "month": _("Month"),
                "net_revenue": _("Net revenue ({currency})").format(currency=money),
                "active_customers": _("Active customers"),
            }
        ),
        takeaway=slide.takeaway,
    )
    show_quality_report(dataset)


def show_quality_report(dataset: Dataset) -> None:
    for note in dataset.notes:  # to act on: outside the collapsed report
        if isinstance(note, Attention):
            st.warning(formatting.escape_markdown(i18n.shown(note)), icon=":material/warning:")
    validation = dataset.validation
    rejected = validation.rejected
    kept = dataset_source(dataset).line_count()
    with st.expander(
        _("Data quality: {kept} of {read} rows kept, {rejected} set aside").format(
            kept=formatting.count(kept),
            read=formatting.count(validation.rows_read),
            rejected=formatting.count(len(rejected)),
        ),
        expanded=len(rejected) > 0,
    ):
        for note in dataset.notes:
            if not isinstance(note, Attention):
                st.markdown(f"- {formatting.escape_markdown(i18n.shown(note))}")
        if matched := intake_channels.mapped_values(dataset.channel_mapping):
            pairs = ", ".join(f"{raw} → {channel}" for raw, channel in matched.items())
            st.markdown(
                "- "
                + _("Channels read as the cost model's: {pairs}.").format(
                    pairs=formatting.escape_markdown(pairs)
                )
            )
        if dataset.customers is not None:
            st.markdown(
                "- "
                + _("Customer attributes for {customers}.").format(
                    customers=formatting.counted(len(dataset.customers), "customer")
                )
            )
        if dataset.cost_to_serve is not None:
            drivers = formatting.escape_markdown(", ".join(map(str, dataset.cost_to_serve.columns)))
            st.markdown("- " + _("Cost-to-serve drivers: {drivers}.").format(drivers=drivers))
        if rejected.empty:
            st.success(_("Every row was used."))
            return
        counts = validation.reason_counts()
        counts.index = counts.index.map(i18n.shown)  # each reason in the reader's language
        counts = counts.rename_axis(_("Reason")).reset_index(name=_("Rows"))
        st.dataframe(counts, hide_index=True)
        rows_set_aside_download(rejected)


def rows_set_aside_download(rejected: pd.DataFrame) -> None:
    """The rows not used, each with its reason and row number in the file (built when clicked).

    The file stays English (its reasons and column names), like a log: it is read next to the
    source file and sent on to whoever fixes the export."""
    st.download_button(
        _("Download the rows set aside (CSV)"),
        lambda: export.csv_bytes(rejected),
        file_name="rows_set_aside.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
