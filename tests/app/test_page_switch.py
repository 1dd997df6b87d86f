"""Settings survive leaving a page: Streamlit forgets a widget's value whenever a run does not draw
it, unless the widget asks to persist it for the session."""

from __future__ import annotations

from tests.app.conftest import open_in_app
from ui.clv import clv_key


def test_the_clv_horizon_is_still_24_after_a_look_at_the_whale_page(demo_dataset):
    horizon = clv_key("horizon", demo_dataset)
    at = open_in_app("pages/clv.py", demo_dataset)
    at.slider(key=horizon).set_value(24).run()
    at.switch_page("pages/whale_curve.py").run()
    at.switch_page("pages/clv.py").run()
    assert not at.exception
    assert at.slider(key=horizon).value == 24  # 36, the default, before persist_state
