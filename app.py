"""Router: page config, navigation, and the shared sidebar (active dataset and global settings)."""

import sys
from pathlib import Path

import streamlit as st

from ui import startup

# Before the core's imports: scripts/serve.py may still be importing it in its warm-up thread, and
# two threads importing scikit-learn at once can deadlock (ui/startup.py).
startup.wait_for_warm_up()

from cvm_core import formatting, i18n  # noqa: E402
from cvm_core.i18n import N_, _  # noqa: E402
from ui import customer_dialog, data, exports, languages, links, loaders, reload, state  # noqa: E402

HERE = Path(__file__).parent
# A committed image, not ":material/diamond:": Streamlit fetches a material icon favicon from
# fonts.gstatic.com, which fails offline (workshops often run without internet).
FAVICON = HERE / "assets" / "favicon.png"

st.set_page_config(page_title="Customer Value Management", page_icon=str(FAVICON), layout="wide")

# Pages in menu order. A page appears once its file exists, so a page is added by adding its file.
PAGE_SPECS = [
    ("pages/upload.py", N_("Upload"), ":material/upload:"),
    ("pages/segments.py", N_("Segments"), ":material/donut_small:"),
    ("pages/whale_curve.py", N_("Profitability Whale Curve"), ":material/waterfall_chart:"),
    ("pages/clv.py", N_("Customer Lifetime Value"), ":material/trending_up:"),
    ("pages/retention.py", N_("Retention"), ":material/group_remove:"),
    ("pages/scorecard.py", N_("Scorecard"), ":material/scoreboard:"),
    ("pages/pipeline.py", N_("Sales Pipeline"), ":material/filter_alt:"),
]
UNITS = (N_("day"), N_("week"), N_("month"))


def pages() -> list:
    """The menu in the current language (titles only: the addresses come from the file names,
    so a link works in every language)."""
    return [
        st.Page(path, title=_(title), icon=icon, default=i == 0)
        for i, (path, title, icon) in enumerate(PAGE_SPECS)
        if (HERE / path).exists()
    ]


def _counts(dataset) -> str:
    if not dataset.has_transactions:
        return formatting.counted(len(dataset.summary), "customer") + " (" + _("summary file") + ")"
    customers = data.customer_count(dataset)
    lines = (
        len(dataset.transactions)
        if dataset.transaction_file is None
        else dataset.transaction_file.lines  # a large upload: its rows stay on disk
    )
    return (
        f"{formatting.counted(customers, 'customer')} · {formatting.counted(lines, 'transaction')}"
    )


def sidebar() -> None:
    dataset = data.active_dataset()
    with st.sidebar:
        st.markdown("### " + _("Active dataset"))
        if dataset is None:
            st.caption(_("None yet: upload a file or load the demo data."))
            languages.switch()
            exports.workspace_section(None)
            return
        st.markdown(f"**{formatting.escape_markdown(i18n.shown(dataset.name))}**")
        st.caption(
            f"{_counts(dataset)} · "
            f"{formatting.date(dataset.observation_start)} – {formatting.date(dataset.observation_end)}"
        )
        st.markdown("### " + _("Settings"))
        languages.switch()
        st.selectbox(
            _("Time unit"),
            list(UNITS),
            format_func=lambda unit: _(unit),
            index=1,
            key=state.UNIT,
            persist_state="session",
            help=_(
                "Unit for recency, customer age (T) and model periods. Weeks suit most retail data."
            ),
        )
        st.date_input(
            _("Observation end"),
            value=dataset.observation_end.date(),
            min_value=dataset.observation_start.date(),
            max_value=dataset.observation_end.date(),
            key=data.setting_key(state.OBSERVATION_END, dataset),
            persist_state="session",
            disabled=not dataset.has_transactions,  # a summary file is fixed at its own end
            # Streamlit 1.67's date field sends a typed date only when focus leaves the whole
            # field (measured: Enter and Tab between its parts send nothing; no option changes
            # it), so the help says how to apply one rather than leave the user waiting.
            help=_(
                "Analyses look at transactions up to this date. Default: the last date in the "
                "data. Pick a date in the calendar, or type it and click outside the field to "
                "apply it."
            ),
            format=languages.date_input_format(),
        )
        st.text_input(
            _("Currency"),
            value=dataset.currency,
            max_chars=3,
            key=data.setting_key(state.CURRENCY, dataset),
            persist_state="session",
            help=_("ISO code shown beside money, e.g. EUR, USD, CNY."),
        )
        st.caption(data.currency_caption(dataset))
        if dataset.has_transactions:
            customer_dialog.search_box(dataset)
        exports.export_section(dataset)
        exports.workspace_section(dataset)


def preload_demo() -> None:
    """`streamlit run app.py -- --demo` opens with the demo data loaded (for workshops), unless
    the address bar names a dataset: a reload must never show the demo in the client's place."""
    if "--demo" in sys.argv and data.active_dataset() is None and not reload.arrived_with_a_token():
        data.set_dataset(loaders.load_demo(loaders.DEMO_RETAIL))


reload.sync()
preload_demo()
exports.apply_pending()
links.restore()
languages.choose()
reload.show_lost()
sidebar()
page = st.navigation(pages())
try:
    page.run()
    exports.refresh_after_page(data.active_dataset())  # the workbook gets what the page made
finally:  # also when the page stops early or asks for a rerun: the address bar follows
    links.record(page.url_path)
