"""Who counts as an active customer: one definition for every page, headline and slide.

The churn rule (:class:`ChurnRule`: inactivity for a window, or the CLV model's P(alive) below a
threshold) is chosen once, on the Retention page; the CLV page's headline, the Scorecard's
active-customer measure, the deck and the command line count active customers with that same rule
through :func:`count_active`. Customers first seen less than the window before the observation end
are too new to tell and are left out of the share.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.retention.defaults import ACTIVE, CHURNED, INACTIVITY, P_ALIVE, TOO_NEW
from cvm_core.analyses.retention.gaps import ChurnRule, churn_status
from cvm_core.analyses.sources import TransactionSource, source_of
from cvm_core.i18n import _


@dataclass(frozen=True)
class ActiveCustomers:
    """Customers by status under one churn rule.

    Attributes
    ----------
    active, churned, too_new : int
    rule : ChurnRule
        The rule as applied (P(alive) falls back to inactivity where no model ran).
    """

    active: int
    churned: int
    too_new: int
    rule: ChurnRule

    @property
    def judged(self) -> int:
        """Customers old enough to tell."""
        return self.active + self.churned

    @property
    def share(self) -> float | None:
        """Active customers / customers old enough to tell (None when nobody is)."""
        return self.active / self.judged if self.judged else None

    @property
    def churned_share(self) -> float | None:
        return self.churned / self.judged if self.judged else None

    def share_text(self) -> str:
        """The share as every page, slide and sheet prints it (one decimal: '28.4%')."""
        return formatting.pct(self.share, 1)

    def rule_words(self) -> str:
        """The rule in a few words, for a headline's help and a caption."""
        if self.rule.method == P_ALIVE:
            return _("active = P(alive) of at least {threshold} under the CLV model").format(
                threshold=formatting.pct(self.rule.p_alive_threshold, 0)
            )
        return _("active = bought in the last {window}").format(
            window=formatting.counted(self.rule.window_days, "day")
        )

    def sentence(self) -> str:
        """One sentence every page and slide can show as is."""
        if self.share is None:
            return _("No customer is old enough yet to tell active from churned.")
        return _(
            "{share} of customers are active ({active} of {judged} old enough to tell; {rule})."
        ).format(
            share=self.share_text(), active=formatting.count(self.active),
            judged=formatting.count(self.judged), rule=self.rule_words(),
        )  # fmt: skip


def count_active(status: pd.DataFrame, rule: ChurnRule) -> ActiveCustomers:
    """Count a :func:`churn_status` frame."""
    counts = status["status"].value_counts()
    return ActiveCustomers(
        int(counts.get(ACTIVE, 0)), int(counts.get(CHURNED, 0)), int(counts.get(TOO_NEW, 0)), rule
    )


def default_rule(
    transactions: pd.DataFrame | TransactionSource, observation_end: pd.Timestamp
) -> ChurnRule:
    """The Retention page's default: inactivity for the window the data suggests."""
    window = source_of(transactions).gap_profile(observation_end).suggested_window_days
    return ChurnRule(window)


def active_customers(
    summary: pd.DataFrame,
    rule: ChurnRule,
    observation_end: pd.Timestamp,
    p_alive: pd.Series | None = None,
) -> ActiveCustomers:
    """Active, churned and too-new customers under ``rule``.

    ``p_alive`` (by customer) is needed for a P(alive) rule; without it the rule falls back to
    inactivity, as the Retention page does.
    """
    if rule.method == P_ALIVE and p_alive is None:
        rule = ChurnRule(rule.window_days, INACTIVITY, rule.p_alive_threshold)
    return count_active(churn_status(summary, rule, observation_end, p_alive), rule)
