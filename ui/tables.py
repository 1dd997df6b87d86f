"""Showing tables: every read-only table goes through show_table, so missing values and numbers
read alike.

Numbers in German and Chinese: Streamlit formats a table's numbers in the browser, with a printf
pattern ('%,.2f' always writes 1,234.50) or with the browser's own locale ('localized', through
Intl.NumberFormat and the browser's language list); the server cannot hand it a locale. Outside
English, printf patterns are therefore replaced by 'localized' with the same decimals, so a
German browser shows 1.234,50 and a Chinese one 1,234.50, and float columns without a format get
it too. The unit a pattern carried ('%', '×') moves into the column's title.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import streamlit as st

from cvm_core import i18n
from cvm_core.formatting import MISSING

_PRINTF = re.compile(r"^(?P<prefix>[^%+]*)%(?P<comma>,)?(?:\.(?P<decimals>\d+))?(?P<kind>[df])(?P<suffix>.*)$")  # fmt: skip
"""A printf number pattern as Streamlit takes it: '%d', '%,.0f', '€%,.2f', '%.1f%%', '%.1f×'."""


def show_table(data, **kwargs):
    """``st.dataframe`` with missing cells shown as '–' (Streamlit's default prints 'None', which
    a client reads as a value called None)."""
    kwargs["column_config"] = localized_columns(data, kwargs.get("column_config"))
    return st.dataframe(data, placeholder=MISSING, **kwargs)


def edit_table(data, **kwargs):
    """``st.data_editor`` with empty cells shown as '–', like the read-only tables."""
    kwargs["column_config"] = localized_columns(data, kwargs.get("column_config"))
    return st.data_editor(data, placeholder=MISSING, **kwargs)


def localized_columns(data, column_config: dict | None, language: str | None = None) -> dict | None:
    """``column_config`` with its number formats written as ``language`` (default: the current
    one) writes numbers; unchanged in English."""
    if (language or i18n.current()) == "en":
        return column_config
    out = dict(column_config or {})
    for name, config in out.items():
        if isinstance(config, dict) and config.get("type_config", {}).get("type") == "number":
            out[name] = _localized(config, str(name))
    if isinstance(data, pd.DataFrame):
        for name in data.columns:
            if name not in out and pd.api.types.is_float_dtype(data[name]):
                out[name] = st.column_config.NumberColumn(format="localized")
    return out


def _localized(config: dict, name: str) -> dict:
    pattern = _PRINTF.match(config["type_config"].get("format") or "")
    if pattern is None:  # a named format ('percent', 'localized') or a signed one ('+%d')
        return config
    decimals = int(pattern["decimals"] or 0) if pattern["kind"] == "f" else 0
    unit = (pattern["prefix"] + pattern["suffix"]).replace("%%", "%").strip()
    label = config.get("label") or name
    if unit and unit not in label:
        label = f"{label} ({unit})"
    type_config = {**config["type_config"], "format": "localized", "step": math.pow(10, -decimals)}
    return {**config, "label": label, "type_config": type_config}
