"""Errors of the CLV, profitability, prospect, scorecard and pipeline code: the English text as
before, and a template the catalogs translate, with its values filled in where it is shown."""

from __future__ import annotations

import contextvars

import pandas as pd
import pytest

from cvm_core import i18n
from cvm_core.analyses.clv.scenario import Treatment
from cvm_core.analyses.clv.tiers import check_tiers
from cvm_core.analyses.pipeline.analysis import NO_PIPELINE, analyse_pipeline
from cvm_core.analyses.profitability.activities import activity_table
from cvm_core.analyses.profitability.pnl import customer_pnl
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario
from cvm_core.analyses.prospects.scoring import map_leads
from cvm_core.analyses.scorecard.periods import check_frequency, choose_period
from cvm_core.errors import MappingError, ValidationError


@pytest.fixture
def pseudo(monkeypatch):
    """The pseudo-language: a text that goes through the catalogs reads ⟦text⟧."""
    monkeypatch.setattr(i18n, "_pseudo", contextvars.ContextVar("cvm_pseudo_test", default=True))


def test_tier_cut_offs_that_do_not_fit_the_names_are_counted(pseudo):
    with pytest.raises(ValidationError) as raised:
        check_tiers((0.5,), ("A", "B", "C"))
    assert str(raised.value) == "3 tier names need 2 cut-offs; got 1."
    assert i18n.error_text(raised.value) == "⟦3 tier names need 2 cut-offs; got 1.⟧"


def test_an_uplift_out_of_range_names_it_and_its_percent_bounds(pseudo):
    with pytest.raises(ValidationError) as raised:
        Treatment(retention_uplift=0.95)
    assert str(raised.value) == "The retention uplift must be between 0% and 90%."
    assert i18n.error_text(raised.value) == ("⟦The ⟦retention uplift⟧ must be between 0% and 90%.⟧")


def test_a_gross_margin_out_of_range_shows_the_value_given(pseudo):
    with pytest.raises(ValidationError) as raised:
        customer_pnl(pd.DataFrame(), pd.DataFrame(), gross_margin=1.5)
    assert str(raised.value) == "The gross margin must be between 0% and 100% (got 150%)."
    assert i18n.error_text(raised.value) == (
        "⟦The gross margin must be between 0% and 100% (got 150%).⟧"
    )


def test_a_what_if_share_out_of_range_names_the_share(pseudo):
    with pytest.raises(ValidationError) as raised:
        WhaleScenario(migrate_share=1.5).check()
    assert str(raised.value) == "'Migrate share' must be between 0% and 100%."
    assert i18n.error_text(raised.value) == "⟦'⟦Migrate share⟧' must be between 0% and 100%.⟧"


def test_an_activity_named_twice_is_refused_with_its_name(pseudo):
    frame = pd.DataFrame(
        {"activity": ["Orders", "Orders"], "driver": ["orders", "orders"], "cost_per_unit": [1, 2]}
    )
    with pytest.raises(ValidationError) as raised:
        activity_table(frame)
    text = "The activity 'Orders' appears twice; give each activity its own name."
    assert str(raised.value) == text
    assert i18n.error_text(raised.value) == f"⟦{text}⟧"


def test_a_lead_list_without_a_known_attribute_says_which_are_wanted(pseudo):
    with pytest.raises(MappingError) as raised:
        map_leads(pd.DataFrame({"colour": ["red"]}), ("region",))
    assert str(raised.value).startswith("No column of the lead list matches an attribute")
    assert str(raised.value).endswith("): name a column like one of them, or map it by hand.")
    shown = i18n.error_text(raised.value)
    assert shown.startswith("⟦No column of the lead list matches an attribute")
    assert shown.endswith("map it by hand.⟧")


def test_scorecard_periods_are_refused_with_the_choices(pseudo):
    with pytest.raises(ValidationError) as raised:
        check_frequency("W")
    assert str(raised.value) == "Unknown period 'W'; choose Q (quarter) or M (month)."
    assert i18n.error_text(raised.value) == (
        "⟦Unknown period 'W'; choose Q (quarter) or M (month).⟧"
    )
    index = pd.period_range("2024Q1", "2024Q4", freq="Q")
    with pytest.raises(ValidationError) as raised:
        choose_period(index, pd.Timestamp("2024-12-31"), "1999 Q1")
    assert str(raised.value).startswith("There is no period '1999 Q1' in the data; choose one of ")
    assert i18n.error_text(raised.value).startswith("⟦There is no period '1999 Q1' in the data")


def test_a_dataset_without_opportunities_reads_the_marked_text(pseudo):
    with pytest.raises(ValidationError) as raised:
        analyse_pipeline(None)
    assert str(raised.value) == NO_PIPELINE
    assert i18n.error_text(raised.value) == f"⟦{NO_PIPELINE}⟧"


def test_too_few_customers_for_a_clv_model_is_a_translatable_message():
    # The counted customers are worded when the error is raised (formatting.counted), so this
    # one is checked in English: the sentence as before, kept with its template for the catalogs.
    from cvm_core.analyses.clv.transaction_model import TransactionModel
    from cvm_core.errors import ModelError

    summary = pd.DataFrame({"frequency": [1.0, 0.0], "recency": [5.0, 0.0], "T": [10.0, 8.0]})
    with pytest.raises(ModelError) as raised:
        TransactionModel().fit(summary)
    text = (
        "Only 2 customers to learn from; lifetime-value models need at least 100 to estimate how "
        "customers buy and leave. Use a longer period or more data."
    )
    assert str(raised.value) == text
    message = i18n.error_message(raised.value)
    assert isinstance(message, i18n.Message)
    assert message.template.startswith("Only {customers} to learn from; lifetime-value models")
    assert i18n.error_text(raised.value) == text
