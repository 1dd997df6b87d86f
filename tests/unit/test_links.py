"""Settings <-> query parameters (cvm_core/outputs/links.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from cvm_core.outputs import links


def test_a_pages_parameters_are_its_settings_and_the_sidebars_as_typed():
    settings = {
        "clv.horizon": np.int64(24),
        "clv.discount": 7.5,
        "clv.model": "bgnbd",
        "clv.net_of_cost": True,
        "cvm.observation_end": dt.date(2024, 6, 30),
        "cvm.unit": "month",
        "whale.margin": 30,  # another page's
        "clv.margin_source": "Percent of revenue",
        "clv.whatif.Gold.retention": 10,
        "data": "token",  # not a setting
    }
    assert links.page_params(settings, "clv") == {
        "clv.horizon": "24",
        "clv.discount": "7.5",
        "clv.model": "bgnbd",
        "clv.net_of_cost": "true",
        "cvm.observation_end": "2024-06-30",
        "cvm.unit": "month",
        "clv.margin_source": "Percent of revenue",
        "clv.whatif.Gold.retention": "10",
    }


def test_text_that_reads_as_a_number_keeps_its_quotes_and_round_trips():
    params = links.page_params({"whale.from": "2024", "whale.to": "Online"}, "whale_curve")
    assert params == {"whale.from": '"2024"', "whale.to": "Online"}
    settings, problems = links.read_params(params)
    assert settings == {"whale.from": "2024", "whale.to": "Online"} and problems == []


def test_reading_parameters_gives_typed_values_and_names_each_bad_one():
    settings, problems = links.read_params(
        {
            "clv.horizon": "24",
            "cvm.observation_end": "2024-06-30",
            "cvm.segments.attributes": '["region", "industry"]',
            "clv.discount": "ten",
            "cvm.retention.window": "-5",
            "slice": "0.1-0.5",  # a chart selection: not read here
        }
    )
    assert settings == {
        "clv.horizon": 24,
        "cvm.observation_end": dt.date(2024, 6, 30),
        "cvm.segments.attributes": ["region", "industry"],
    }
    assert len(problems) == 2
    assert "'clv.discount'" in problems[0] and "'ten'" in problems[0]
    assert "'cvm.retention.window'" in problems[1]


def test_long_values_and_tables_stay_in_the_workspace_not_the_link():
    long_list = [f"attribute {i}" for i in range(40)]
    params = links.page_params(
        {"cvm.segments.attributes": long_list, "cvm.scorecard.targets": {"a": 1}}, "segments"
    )
    assert params == {}


def test_only_parameters_the_app_did_not_write_are_applied_and_stale_ones_go():
    params = {"clv.horizon": "24", "clv.model": "bgnbd", "data": "t"}
    written = {"clv.horizon": "24", "clv.model": "auto"}
    assert links.changed(params, written) == {"clv.model": "bgnbd"}
    assert links.stale(params, {"clv.model": "auto"}) == ["clv.horizon"]
