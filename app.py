"""Router: page config, navigation, and the shared sidebar (active dataset and global settings)."""

import sys
from pathlib import Path

import streamlit as st

from cvm_core import formatting
from ui import customer_dialog, data, exports, loaders, reload, state

HERE = Path(__file__).parent
# A committed image, not ":material/diamond:": Streamlit fetches a material icon favicon from
# fonts.gstatic.com, which fails offline (workshops often run without internet).
FAVICON = HERE / "assets" / "favicon.png"

st.set_page_config(page_title="Customer Value Management", page_icon=str(FAVICON), layout="wide")

# Pages in menu order. A page appears once its file exists, so a page is added by adding its file.
PAGE_SPECS = [
    ("pages/upload.py", "Upload", ":material/upload:"),
    ("pages/segments.py", "Segments", ":material/donut_small:"),
    ("pages/whale_curve.py", "Profitability Whale Curve", ":material/waterfall_chart:"),
    ("pages/clv.py", "Customer Lifetime Value", ":material/trending_up:"),
    ("pages/retention.py", "Retention", ":material/group_remove:"),
    ("pages/scorecard.py", "Scorecard", ":material/scoreboard:"),
    ("pages/pipeline.py", "Sales Pipeline", ":material/filter_alt:"),
]
PAGES = [
    st.Page(path, title=title, icon=icon, default=i == 0)
    for i, (path, title, icon) in enumerate(PAGE_SPECS)
    if (HERE / path).exists()
]


def _counts(dataset) -> str:
    if not dataset.has_transactions:
        return f"{formatting.counted(len(dataset.summary), 'customer')} (summary file)"
    tx = dataset.transactions
    return (
        f"{formatting.counted(tx['customer_id'].nunique(), 'customer')} · "
        f"{formatting.counted(len(tx), 'transaction')}"
    )


def sidebar() -> None:
    dataset = data.active_dataset()
    with st.sidebar:
        st.markdown("### Active dataset")
        if dataset is None:
            st.caption("None yet: upload a file or load the demo data.")
            exports.workspace_section(None)
            return
        st.markdown(f"**{formatting.escape_markdown(dataset.name)}**")
        st.caption(
            f"{_counts(dataset)} · "
            f"{dataset.observation_start:%d %b %Y} – {dataset.observation_end:%d %b %Y}"
        )
        st.markdown("### Settings")
        st.selectbox(
            "Time unit",
            ["day", "week", "month"],
            index=1,
            key=state.UNIT,
            help="Unit for recency, customer age (T) and model periods. Weeks suit most retail data.",
        )
        st.date_input(
            "Observation end",
            value=dataset.observation_end.date(),
            min_value=dataset.observation_start.date(),
            max_value=dataset.observation_end.date(),
            key=data.setting_key(state.OBSERVATION_END, dataset),
            disabled=not dataset.has_transactions,  # a summary file is fixed at its own end
            # Streamlit 1.67's date field sends a typed date only when focus leaves the whole
            # field (measured: Enter and Tab between its parts send nothing; no option changes
            # it), so the help says how to apply one rather than leave the user waiting.
            help="Analyses look at transactions up to this date. Default: the last date in the "
            "data. Pick a date in the calendar, or type it and click outside the field to apply it.",
        )
        st.text_input(
            "Currency",
            value=dataset.currency,
            max_chars=3,
            key=data.setting_key(state.CURRENCY, dataset),
            help="ISO code shown beside money, e.g. EUR, USD, CNY.",
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
reload.show_lost()
sidebar()
st.navigation(PAGES).run()
