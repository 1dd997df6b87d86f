"""Every what-if lever, in the order they are applied: a new lever is one module plus one line here."""

from __future__ import annotations

from cvm_core.analyses.profitability.levers import (
    channel_migration,
    customers_lost,
    part_with,
    price,
    service_level,
    small_orders,
)
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario

LEVERS = (
    ("Channel migration", "migrate_share", channel_migration.apply),
    ("Small-order policy", "small_order_policy", small_orders.apply),
    ("Lower service level", "service_cut", service_level.apply),
    ("Price increase", "price_increase", price.apply),
    ("Customers lost", "churn", customers_lost.apply),
    ("Parting with the worst", "part_with", part_with.apply),
)
"""Levers in the order they are applied; each contribution is measured after the ones before."""


def lever_active(scenario: WhaleScenario, attribute: str) -> bool:
    value = getattr(scenario, attribute)
    if attribute == "small_order_policy":
        if scenario.order_limit <= 0:
            return False
        return value == "minimum" or (value == "surcharge" and scenario.surcharge > 0)
    return bool(value)
