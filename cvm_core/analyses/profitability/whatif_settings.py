"""The Whale Curve what-if settings: which levers are moved, how far, and for which customers."""

from __future__ import annotations

from dataclasses import dataclass

from cvm_core.analyses.base import Settings, setting
from cvm_core.analyses.profitability.activities import (
    SMALL_ORDER_THRESHOLD,
)
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, Percent

TARGET_UNPROFITABLE = "unprofitable"
TARGET_ALL = "all"
TIER_PREFIX = "tier:"
SMALL_ORDER_POLICIES = ("none", "surcharge", "minimum")
SHARE_LABELS = {
    "migrate_share": N_("Migrate share"),
    "service_cut": N_("Service cut"),
    "churn": N_("Churn"),
    "part_with": N_("Part with"),
    "price_increase": N_("Price increase"),
}
"""The shares a scenario checks (0-100%), with their names in the error message."""


# --- settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhaleScenario(Settings):
    """What-if fixes, applied to one group of customers (``target``).

    Attributes
    ----------
    target : str
        "unprofitable" (customers losing money today), "all", or "tier:<name>" (a CLV tier).
    migrate_share, migrate_from, migrate_to
        Share (0-1) of the target's orders moved from one ordering channel to another.
    small_order_policy : {"none", "surcharge", "minimum"}
        A surcharge per order below ``order_limit``, or a minimum order value of ``order_limit``.
    order_limit, surcharge : float
        Money in the data's currency.
    service_cut : float
        Cut (0-1) in the cost per driver unit of ``service_activities`` (all when empty).
    price_increase : float
        Price increase or discount cut (0-1) on the target's revenue.
    churn : float
        Share (0-1) of the target expected to leave because of the changes.
    part_with : float
        Share (0-1) of the target, least profitable first, the business parts with.
    """

    target: str = TARGET_UNPROFITABLE
    migrate_share: float = setting(0.0, low=0.0, high=1.0)
    migrate_from: str | None = None
    migrate_to: str | None = None
    small_order_policy: str = setting("none", choices=SMALL_ORDER_POLICIES)
    order_limit: float = setting(SMALL_ORDER_THRESHOLD, low=0.0)
    surcharge: float = setting(0.0, low=0.0)
    service_cut: float = setting(0.0, low=0.0, high=1.0)
    service_activities: tuple[str, ...] = ()
    price_increase: float = setting(0.0, low=0.0, high=1.0)
    churn: float = setting(0.0, low=0.0, high=1.0)
    part_with: float = setting(0.0, low=0.0, high=1.0)

    def check(self) -> None:
        """Raise ValidationError for shares outside 0-100%, a bad policy or a negative amount."""
        for name, label in SHARE_LABELS.items():
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValidationError(
                    Message(
                        N_("'{label}' must be between {low} and {high}."),
                        label=Message(label), low=Percent(0, 0), high=Percent(1, 0),
                    )
                )  # fmt: skip
        if self.small_order_policy not in SMALL_ORDER_POLICIES:
            raise ValidationError(
                Message(
                    N_("Unknown small-order policy '{policy}'; choose one of {choices}."),
                    policy=self.small_order_policy, choices=", ".join(SMALL_ORDER_POLICIES),
                )
            )  # fmt: skip
        if self.order_limit < 0 or self.surcharge < 0:
            raise ValidationError(Message(N_("Order values and surcharges must be zero or more.")))
