"""Table downloads: CSV and Excel side by side, each file built only when its button is clicked."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from cvm_core.outputs import export

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_and_excel(
    frame: pd.DataFrame | Callable[[], pd.DataFrame],
    name: str,
    key: str,
    label: str,
    sheet: str | None = None,
    excel: pd.DataFrame | None = None,
) -> None:
    """'<label> (CSV)' and '<label> (Excel)' buttons for one table (formula-injection safe).

    ``frame`` may be a callable: large tables (a million-row P&L) are then only built when a button
    is clicked, not on every rerun. ``excel``: a different table for the workbook (numbers with
    formats where the CSV carries the text shown on the page).
    """

    def table() -> pd.DataFrame:
        return frame() if callable(frame) else frame

    row = st.container(horizontal=True)  # buttons as wide as their labels, side by side
    row.download_button(
        f"{label} (CSV)", lambda: export.csv_bytes(table()), f"{name}.csv", "text/csv",
        key=f"{key}.csv", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
    row.download_button(
        f"{label} (Excel)", lambda: export.xlsx_bytes({(sheet or name)[:31]: table() if excel is None else excel}),
        f"{name}.xlsx", XLSX_MIME, key=f"{key}.xlsx", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
