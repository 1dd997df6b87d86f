"""The address bar carries the view's settings (ui/links.py, wired in app.py).

AppTest runs a page alone after switch_page (without app.py around it), so these tests use the
app's first run, the Upload page with the sidebar's settings; the browser test
(tests/browser/test_links_browser.py) reopens the CLV page from a link.
"""

from __future__ import annotations

from tests.app.conftest import open_app


def unit_box(at):
    return next(w for w in at.sidebar.selectbox if w.label == "Time unit")


def test_the_sidebars_settings_are_written_to_the_address_bar(demo_dataset):
    at = open_app(demo_dataset)
    assert not at.exception
    assert at.query_params["cvm.unit"] == "week"
    assert at.query_params["cvm.currency"] == "EUR"
    assert at.query_params["cvm.observation_end"] == "2024-12-31"


def test_a_link_sets_the_sidebar_and_a_bad_value_is_named_and_left_out(demo_dataset):
    at = open_app(demo_dataset, **{"cvm.unit": "month", "cvm.currency": "toolong"})
    assert not at.exception
    assert unit_box(at).value == "month"
    warnings = " ".join(w.value for w in at.warning)
    assert "The link's setting was not applied" in warnings and "cvm.currency" in warnings
    assert at.query_params["cvm.unit"] == "month"
    assert at.query_params["cvm.currency"] == "EUR"  # the address bar shows what applies
