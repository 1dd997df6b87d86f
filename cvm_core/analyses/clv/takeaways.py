"""One sentence per CLV chart: the message its slide carries, used by the page and the deck
(the pyramid's sentence is :func:`cvm_core.analyses.clv.tiers.tier_takeaway`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.clv.constants import MODELS
from cvm_core.analyses.clv.fit import CLVFit
from cvm_core.analyses.clv.holdout import HoldoutCheck
from cvm_core.i18n import _

if TYPE_CHECKING:
    from cvm_core.analyses.retention.active import ActiveCustomers


def model_words(fitted: CLVFit) -> str:
    """The model used, and why when Auto chose it."""
    name = MODELS[fitted.settings.model]
    if not fitted.auto:
        return name
    if fitted.settings.model != fitted.recommended:
        text = _(
            "{model} (chosen by Auto: the next best of the models compared; {recommended} could "
            "not be fitted)"
        )
    elif fitted.holdout is not None:
        text = _(
            "{model} (chosen by Auto: the lowest holdout error per customer of the models compared)"
        )
    else:
        text = _("{model} (chosen by Auto: the highest likelihood of the models compared)")
    return text.format(model=name, recommended=MODELS[fitted.recommended])


def one_time_buyers_note(fitted: CLVFit) -> str | None:
    """Under BG/NBD, why every one-time buyer looks alive (None under the other models)."""
    if fitted.settings.model != "bgnbd":
        return None
    once = int((fitted.summary["frequency"] == 0).sum())
    if not once:
        return None
    share = once / len(fitted.summary)
    return _(
        "BG/NBD lets a customer drop out only right after a repeat purchase, so it calls all "
        "{n} one-time buyers ({share} of customers) certainly alive (P(alive) = {certain}) however "
        "long they have been silent. Pareto/NBD and MBG/NBD let customers drop out at any time; "
        "Auto picks between them by the holdout."
    ).format(n=formatting.count(once), share=formatting.pct(share, 0), certain=formatting.pct(1, 0))


def baseline_takeaway(check: HoldoutCheck) -> str:
    """Whether the model beats predicting zero and predicting each customer's pace so far."""
    table = check.baselines.set_index("method")
    naive = table.iloc[1:]
    best = naive["mae"].idxmin()
    if check.beats_baselines():
        gain = 1 - check.mae / float(naive["mae"].min())
        return _(
            "The model's error per customer is {gain} lower than the best naive guess ({guess})."
        ).format(gain=formatting.pct(gain, 0), guess=f"{best[0].lower()}{best[1:]}")
    return _(
        "The model does not beat the naive guess '{guess}' on error per customer ({model} against "
        "{naive}): treat its customer-level predictions with care; the totals may still be useful."
    ).format(
        guess=best,
        model=formatting.number(check.mae, 3),
        naive=formatting.number(float(naive["mae"].min()), 3),
    )


def decile_takeaway(deciles: pd.DataFrame) -> str:
    """How the top tenth by prediction actually bought, against the prediction."""
    if deciles.empty:
        return _("No customers to compare.")
    top = deciles.iloc[-1]
    return _(
        "The tenth the model rated highest bought {actual} times each in the holdout against "
        "{predicted} predicted."
    ).format(
        actual=formatting.number(top["actual"], 2), predicted=formatting.number(top["predicted"], 2)
    )


def holdout_takeaway(check: HoldoutCheck, fitted: CLVFit) -> str:
    return _(
        "In the holdout the model expected {predicted} repeat purchases; customers made {actual} "
        "({error} error, {model})."
    ).format(
        predicted=formatting.count(check.predicted),
        actual=formatting.count(check.actual),
        error=formatting.pct(check.pct_error, 1),
        model=MODELS[fitted.settings.model],
    )


def frequency_takeaway(by_frequency: pd.DataFrame) -> str:
    top = by_frequency.iloc[-1]
    return _(
        "Customers with {frequency} repeat purchases bought {actual} times each in the holdout; "
        "the model expected {predicted}."
    ).format(
        frequency=top["frequency"],
        actual=formatting.number(top["actual"], 1),
        predicted=formatting.number(top["predicted"], 1),
    )


def distribution_takeaway(values: pd.Series, currency: str, horizon: int) -> str:
    return _(
        "Half the customers are worth less than {median} over {horizon}; the average is {mean}."
    ).format(
        median=formatting.money(values.median(), currency),
        horizon=formatting.counted(horizon, "month"),
        mean=formatting.money(values.mean(), currency),
    )


def p_alive_takeaway(p_alive: pd.Series, active: ActiveCustomers | None = None) -> str:
    """The active share under the one churn rule (``active``), so this slide says what the CLV
    and Retention headlines say; from P(alive) alone only where no rule applies (a summary file)."""
    if active is not None:
        return (
            active.sentence()
            + " "
            + _(
                "The model's P(alive) falls the longer a customer who used to buy often stays away."
            )
        )
    gone = float((p_alive < 0.5).mean()) if len(p_alive) else 0.0
    return _("{share} of customers have probably stopped buying (P(alive) below {half}).").format(
        share=formatting.pct(gone, 0), half=formatting.pct(0.5, 0)
    )


def scenario_takeaway(total: pd.Series, currency: str) -> str:
    if total["treatment_cost"] <= 0 and total["incremental_value"] == 0:
        return _("No treatment set: projected CLV equals today's course.")
    return _("The treatments add {value} of CLV for {cost} of cost: net {net}, ROI {roi}.").format(
        value=formatting.money_short(total["incremental_value"], currency),
        cost=formatting.money_short(total["treatment_cost"], currency),
        net=formatting.money_short(total["net_value"], currency),
        roi=formatting.pct(total["roi"], 0),
    )
