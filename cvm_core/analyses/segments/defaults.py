"""Business rules and limits shared by the segments modules: the RFM segment grid, its order and
descriptions, frequency measures, cluster features and their labels."""

from __future__ import annotations

from cvm_core.i18n import N_

# --- RFM --------------------------------------------------------------------------------------

N_SCORES = 5

RFM_SEGMENT_GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("New", "Potential loyalists", "Potential loyalists", "Champions", "Champions"),
    4: ("Promising", "Potential loyalists", "Potential loyalists", "Loyal", "Champions"),
    3: ("About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"),
    2: ("Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"),
    1: ("Lost", "Lost", "At risk", "At risk", "Can't lose them"),
}
"""Named segment of every (R score, FM score) cell: keys are R scores, tuple positions FM scores
1..5. FM is the rounded-up mean of the F and M scores. Modelled on the widely used R x FM grid."""

RFM_SEGMENT_DESCRIPTIONS: dict[str, str] = {
    "Champions": N_("Bought recently, buy often, spend the most. Reward them; ask for referrals."),
    "Loyal": N_("Buy often and spend well. Offer loyalty benefits and upgrades."),
    "Potential loyalists": N_(
        "Recent customers with some repeat buying. Offer membership or bundles."
    ),
    "New": N_("Bought for the first time recently. Onboard them well."),
    "Promising": N_("Recent but low spend. Build the habit with targeted offers."),
    "Need attention": N_("Average on every measure and slipping. Reactivate with limited offers."),
    "About to sleep": N_("Below average and fading. Share popular products; win them back now."),
    "At risk": N_("Spent well and bought often, but long ago. Send personal win-back offers."),
    "Can't lose them": N_("Top spenders who have not come back. Contact them personally."),
    "Hibernating": N_("Low spend, few orders, long ago. Offer relevant products at low cost."),
    "Lost": N_("Lowest on every measure. Try one reactivation, then stop spending on them."),
}

FREQUENCY_MEASURES: dict[str, str] = {"orders": N_("orders"), "purchase_days": N_("purchase days")}
"""Summary columns that can serve as F, with the word shown to users."""


# --- clustering -------------------------------------------------------------------------------

RFM_FEATURES = ("recency_days", "frequency", "monetary")
FEATURE_LABELS = {
    "recency_days": N_("Days since last purchase"),
    "frequency": N_("Orders"),
    "monetary": N_("Net revenue"),
}


# --- contribution and customer attributes -----------------------------------------------------

NOT_RECORDED = "(not recorded)"
