"""Chart selections that filter a page, kept in the address bar and shown as removable chips.

Streamlit cannot restore a chart's selection after a reload or from a link, so each filter also
lives in a query parameter: the chart's selection wins while there is one; without it the address
bar's value applies (a link, a reload); a selection the user clears on the chart is dropped from
the address bar too. The chip's remove button gives the chart a new widget key, which clears it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from cvm_core.i18n import _


@dataclass(frozen=True)
class ChartFilter:
    """One selectable chart's filter.

    Attributes
    ----------
    name : str
        The Altair selection parameter's name (the key of ``event.selection``).
    param : str
        The query parameter that keeps the filter as text.
    encode : callable
        The selection's value (``event.selection[name]``) -> the parameter's text, or None when
        nothing usable is selected.
    """

    name: str
    param: str
    encode: Callable[[Any], str | None]

    @property
    def _version(self) -> str:
        return f"cvm.filter.{self.name}.version"

    @property
    def _seen(self) -> str:
        return f"cvm.filter.{self.name}.seen"

    def widget_key(self, variant: str = "") -> str:
        """The chart's widget key; a new version (the chip's remove button) clears the selection,
        and so does another ``variant`` (the chart redrawn for another breakdown)."""
        return f"cvm.filter.{self.name}.chart.{variant}.{st.session_state.get(self._version, 0)}"

    def text(self, event) -> str | None:
        """The active filter as text: the chart's selection, else the address bar's."""
        chosen = event.selection.get(self.name) if event is not None else None
        text = self.encode(chosen) if chosen else None
        if text:
            st.session_state[self._seen] = text
            if st.query_params.get(self.param) != text:
                st.query_params[self.param] = text
            return text
        if st.session_state.pop(self._seen, None) is not None:  # cleared on the chart
            self.forget()
            return None
        return st.query_params.get(self.param)

    def forget(self) -> None:
        st.session_state.pop(self._seen, None)
        if self.param in st.query_params:
            del st.query_params[self.param]

    def chip(self, label: str, key: str) -> None:
        """The active filter as a button that removes it."""
        if st.button(f"{label}  ✕", key=key, icon=":material/filter_alt:",
                     help=_("Remove the filter.")):  # fmt: skip
            st.session_state[self._version] = st.session_state.get(self._version, 0) + 1
            self.forget()
            st.rerun()


def _encode_names(field: str, dimension: str, chosen: list) -> str | None:
    names = [str(point[field]) for point in chosen if field in point]
    return f"{dimension}:{'|'.join(dict.fromkeys(names))}" if names else None


def names_filter(name: str, param: str, field: str, dimension: str) -> ChartFilter:
    """A point selection of groups (the chart's ``field``) of one breakdown, kept in the address
    bar as '<dimension>:<name>|<name>' ('Main channel:Online|Phone')."""
    return ChartFilter(name, param, functools.partial(_encode_names, field, dimension))


def picked_names(text: str | None, dimension: str, known: set[str]) -> list[str]:
    """The names a filter's text picks for ``dimension``; another breakdown's names, and names
    not among ``known`` (hand-edited, another dataset's), are ignored."""
    asked, _sep, names = str(text or "").partition(":")
    return [n for n in names.split("|") if n in known] if asked == dimension else []
