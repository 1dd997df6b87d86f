"""The active page's settings in the address bar: a reload keeps them, a link shares them.

Run :func:`restore` before the page draws its widgets (it writes the widgets' session keys) and
:func:`record` after it. A parameter the app wrote itself is never applied back; one that differs
from what the app last wrote came from outside (a link, a reload, a hand edit) and is applied once,
after the same checks as a workspace file.
"""

from __future__ import annotations

import streamlit as st

from cvm_core.outputs import links
from ui import data, exports

WRITTEN = "cvm.links.written"
"""The setting parameters this session last wrote to the address bar."""


def restore() -> None:
    """Apply the address bar's settings the app did not write itself: to the active dataset, or
    only the global ones (the language, the time unit) while no dataset is loaded."""
    dataset = data.active_dataset()
    written = st.session_state.get(WRITTEN, {})
    asked = links.changed(st.query_params.to_dict(), written)
    if not asked:
        return
    settings, problems = links.read_params(asked)
    if dataset is None:
        for name in set(settings) & set(exports.GLOBAL_KEYS):
            st.session_state[name] = settings[name]
    else:
        exports.apply_settings(st.session_state, settings, dataset)
    st.session_state[WRITTEN] = {**written, **asked}
    for problem in problems:
        st.warning(f"The link's setting was not applied. {problem}", icon=":material/link_off:")


def record(page: str) -> None:
    """Write ``page``'s current settings to the address bar, and drop those it does not have."""
    settings = exports.collect_settings(dict(st.session_state), data.active_dataset())
    wanted = links.page_params(settings, page)
    for name in links.stale(st.query_params.to_dict(), wanted):
        del st.query_params[name]
    for name, text in wanted.items():
        if st.query_params.get(name) != text:
            st.query_params[name] = text
    st.session_state[WRITTEN] = wanted
