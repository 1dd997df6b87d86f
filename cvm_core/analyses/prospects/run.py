"""The prospects analysis as every caller runs it: ``run(inputs, ProspectSettings) ->
ProspectsResult`` (the Segments page's "Traits of valuable customers", the command line's
``prospects``, the report).

It starts from the CLV analysis's per-customer values (the inputs' when a page has published
them, else a CLV run at the CLV page's defaults), so a customer's CLV and tier read the same here
as on the CLV page.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.prospects import features as feats
from cvm_core.analyses.prospects.scoring import (
    CustomerValues,
    LeadList,
    customer_values,
    score_leads,
)
from cvm_core.analyses.prospects.settings import ProspectSettings
from cvm_core.analyses.prospects.traits import MIN_TOP, Traits, find_traits

CLV_COLUMNS = ("clv", "tier", "margin_rate")


@dataclass(frozen=True)
class ProspectsResult:
    """Traits of the top tier, and the customers' values to score leads against."""

    traits: Traits
    customers: CustomerValues
    features: pd.DataFrame
    settings: ProspectSettings
    currency: str = "EUR"
    notes: tuple[str, ...] = ()

    @property
    def lead_attributes(self) -> tuple[str, ...]:
        """The attributes a lead list may give (the customer table's)."""
        return tuple(self.customers.attributes.columns)

    def score(self, leads: LeadList) -> pd.DataFrame:
        """The lead list scored and sorted (:func:`.scoring.score_leads`)."""
        return score_leads(
            leads, self.customers, self.settings.max_depth, self.settings.random_state
        )


def clv_table(inputs: AnalysisInputs) -> pd.DataFrame:
    """The CLV analysis's per-customer values: the inputs' when they have every column needed,
    else a run at the CLV page's defaults."""
    if inputs.clv is not None and set(CLV_COLUMNS) <= set(inputs.clv.columns):
        return inputs.clv
    from cvm_core.analyses.clv import run as clv_run

    settings = clv_run.CLVSettings(fit=clv_run.default_fit_settings(inputs))
    return clv_run.run(inputs, settings).values.customers


def run(
    inputs: AnalysisInputs,
    settings: ProspectSettings = ProspectSettings(),  # noqa: B008 - frozen
) -> ProspectsResult:
    """What the top tier has in common, checked out of sample, and the values leads are scored
    against.

    Raises
    ------
    ValidationError
        Too few customers or top-tier customers, or no attributes to learn from.
    """
    clv = clv_table(inputs)
    tiers, notes = top_tiers(clv["tier"], settings.top_tiers)
    target = " or ".join(tiers)
    source = inputs.transaction_source
    features = feats.customer_features(source, inputs.customers, clv.index)
    traits = find_traits(
        features, clv["tier"].isin(tiers), target, settings.max_depth, settings.min_leaf_share,
        settings.test_share, settings.random_state,
    )  # fmt: skip
    attributes = feats.customer_attributes(inputs.customers, clv.index)
    values = customer_values(
        clv, inputs.summary, source.first_year(), attributes, inputs.observation_end, tiers
    )
    return ProspectsResult(traits, values, features, settings, inputs.currency, notes)


def top_tiers(tier: pd.Series, wanted: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The first ``wanted`` tiers, widened by the next ones while they hold fewer than
    :data:`MIN_TOP` customers (a small customer base's top 5%), with a note saying so."""
    names = tuple(str(t) for t in tier.cat.categories)
    counts = tier.value_counts()
    chosen = max(1, min(wanted, len(names) - 1))
    while chosen < len(names) - 1 and int(counts[list(names[:chosen])].sum()) < MIN_TOP:
        chosen += 1
    if chosen <= wanted:
        return names[:chosen], ()
    return names[:chosen], (
        f"{' or '.join(names[:wanted])} holds fewer than {MIN_TOP} customers, too few to learn "
        f"from; valuable customers here are {' or '.join(names[:chosen])}.",
    )
