"""A workspace's settings, read into the analyses' Settings and checked field by field.

Workspaces store settings under the stable names the app has always used for them
("clv.horizon", "whale.margin", "cvm.scorecard.watch_band" ...; percentages as the user typed
them). This module is the one place that knows those names: :data:`FIELDS` maps each to an
analysis's Settings field, :func:`check_settings` refuses a hand-edited or damaged value with a
message naming the setting, the field and what it accepts (before anything reaches a page), and
:func:`analysis_settings` gives the report and the command line the analyses' own Settings objects,
so no other code parses setting names or widget labels.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cvm_core.analyses.base import Settings, SettingsError
from cvm_core.analyses.clv.fit import FitSettings
from cvm_core.analyses.clv.scenario import Treatment
from cvm_core.analyses.clv.tiers import DEFAULT_TIER_CUTOFFS, DEFAULT_TIER_NAMES
from cvm_core.analyses.clv.values import DEFAULT_MARGIN, ValueSettings
from cvm_core.analyses.profitability.activities import CostModelSettings
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario
from cvm_core.analyses.retention.analysis import RetentionSettings
from cvm_core.analyses.retention.gaps import ChurnRule
from cvm_core.analyses.retention.lists import ListSettings
from cvm_core.analyses.scorecard.inputs import ScorecardSettings
from cvm_core.analyses.scorecard.specs import SPECS
from cvm_core.analyses.segments.analysis import SegmentSettings
from cvm_core.analyses.view import ViewSettings
from cvm_core.errors import ValidationError

MARGIN_FROM_COST = "From the cost column"
MARGIN_PERCENT = "Percent of revenue"
MARGIN_SOURCES = (MARGIN_FROM_COST, MARGIN_PERCENT)
AUTO_CLUSTERS = "Auto (best silhouette)"
SCORECARD = "cvm.scorecard"
ACTIVITY_TABLE = "whale.base"
"""The activity table as last edited and checked on the Whale Curve page."""


def _same(value: Any) -> Any:
    return value


def _percent(value: Any) -> Any:
    """35 (as typed, in %) -> 0.35; anything that is not a number is left for the type check."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value / 100.0
    return value


def _date(value: Any) -> Any:
    return pd.Timestamp(value) if isinstance(value, dt.date) else value


def _clusters(value: Any) -> Any:
    return None if value == AUTO_CLUSTERS else value


def _measure_values(value: Any) -> Any:
    """{measure: number or None}: a cleared cell (None) is no value, not an error."""
    if isinstance(value, Mapping):  # measures this app does not know (a newer app's) are skipped
        return {str(k): v for k, v in value.items() if v is not None and k in SPECS}
    return value


@dataclass(frozen=True)
class Field:
    """Where a stored setting goes: ``part`` (a Settings class) and its ``field``."""

    part: type[Settings]
    field: str
    convert: Callable[[Any], Any] = _same
    label: str = ""


FIELDS: dict[str, Field] = {
    "cvm.unit": Field(ViewSettings, "unit", label="time unit"),
    "cvm.observation_end": Field(ViewSettings, "observation_end", _date, "observation end"),
    "cvm.currency": Field(ViewSettings, "currency", label="currency"),
    "clv.model": Field(FitSettings, "model", label="CLV model"),
    "clv.horizon": Field(ValueSettings, "horizon_months", label="CLV horizon (months)"),
    "clv.discount": Field(ValueSettings, "discount_rate", _percent, "discount rate (%)"),
    "clv.margin": Field(ValueSettings, "margin", _percent, "CLV margin (%)"),
    "whale.threshold": Field(
        CostModelSettings, "small_order_threshold", label="small-order threshold"
    ),
    "whale.margin": Field(CostModelSettings, "gross_margin", _percent, "gross margin (%)"),
    "whale.target": Field(WhaleScenario, "target", label="what-if target"),
    "whale.migrate": Field(WhaleScenario, "migrate_share", _percent, "orders moved (%)"),
    "whale.from": Field(WhaleScenario, "migrate_from", label="channel moved from"),
    "whale.to": Field(WhaleScenario, "migrate_to", label="channel moved to"),
    "whale.policy": Field(WhaleScenario, "small_order_policy", label="small-order policy"),
    "whale.limit": Field(WhaleScenario, "order_limit", label="order value limit"),
    "whale.fee": Field(WhaleScenario, "surcharge", label="small-order surcharge"),
    "whale.service": Field(WhaleScenario, "service_cut", _percent, "service level cut (%)"),
    "whale.service_acts": Field(WhaleScenario, "service_activities", label="service activities"),
    "whale.price": Field(WhaleScenario, "price_increase", _percent, "price increase (%)"),
    "whale.churn": Field(WhaleScenario, "churn", _percent, "customers lost (%)"),
    "whale.part": Field(WhaleScenario, "part_with", _percent, "share parted with (%)"),
    "cvm.segments.frequency": Field(SegmentSettings, "frequency", label="frequency measure"),
    "cvm.segments.k": Field(SegmentSettings, "n_clusters", _clusters, "number of clusters"),
    "cvm.segments.attributes": Field(SegmentSettings, "cluster_attributes", label="attributes"),
    "cvm.retention.period": Field(RetentionSettings, "period", label="cohort period"),
    "cvm.retention.method": Field(ChurnRule, "method", label="churn rule"),
    "cvm.retention.window": Field(ChurnRule, "window_days", label="churn window (days)"),
    "cvm.retention.threshold": Field(
        ChurnRule, "p_alive_threshold", _percent, "P(alive) threshold (%)"
    ),
    "cvm.retention.measure": Field(ListSettings, "value_measure", label="value measure"),
    "cvm.retention.top": Field(ListSettings, "top_share", _percent, "valuable share (%)"),
    "cvm.retention.overdue": Field(ListSettings, "overdue_factor", label="overdue factor"),
    "cvm.retention.discount": Field(
        RetentionSettings, "discount_rate", _percent, "discount rate (%)"
    ),
    f"{SCORECARD}.frequency": Field(
        ScorecardSettings, "frequency", label="scorecard period length"
    ),
    f"{SCORECARD}.watch_band": Field(ScorecardSettings, "watch_band", _percent, "watch band (%)"),
    f"{SCORECARD}.targets": Field(ScorecardSettings, "targets", _measure_values, "targets"),
    f"{SCORECARD}.typed": Field(ScorecardSettings, "typed", _measure_values, "typed-in values"),
}
"""Stored setting name -> the Settings field it sets. Names with a variable part (tiers,
treatments, the scorecard period) are matched by :func:`_field_of`."""

_TREATMENT_FIELDS = {
    "retention": ("retention_uplift", _percent),
    "frequency": ("frequency_uplift", _percent),
    "spend": ("spend_uplift", _percent),
    "cost": ("cost_per_customer_year", _same),
}


def _field_of(name: str) -> Field | None:
    if name in FIELDS:
        return FIELDS[name]
    if name.startswith("clv.tier."):  # a tier's size in % of customers
        return Field(ValueSettings, "tier_cutoffs", lambda v: [_percent(v)], "tier size (%)")
    if name.startswith("clv.whatif."):  # clv.whatif.<tier>.<lever>
        lever = _TREATMENT_FIELDS.get(name.rsplit(".", 1)[-1])
        if lever:
            return Field(Treatment, lever[0], lever[1], "CLV treatment")
    if name.startswith(f"{SCORECARD}.period."):
        return Field(ScorecardSettings, "period", label="scorecard period")
    if name.startswith("clv.calibration_end."):
        return Field(FitSettings, "calibration_end", _date, "calibration end")
    return None


_CHOICES = {"clv.margin_source": MARGIN_SOURCES}
_FLAGS = ("clv.holdout",)


class SettingError(ValidationError):
    """A stored setting is not valid; the message names it."""


def check_settings(settings: Mapping[str, Any]) -> None:
    """Refuse the first stored setting whose value its analysis would not accept.

    Raises
    ------
    SettingError
        "Setting 'clv.horizon' (CLV horizon (months)) = 100000: horizon_months: 100000 is
        outside the allowed range 1 to 120."
    """
    for name, value in settings.items():
        if name in _CHOICES and value not in _CHOICES[name]:
            raise SettingError(
                f"Setting '{name}' = {value!r}: not one of {', '.join(_CHOICES[name])}."
            )
        if name in _FLAGS and not isinstance(value, bool):
            raise SettingError(f"Setting '{name}' = {value!r}: expected true or false.")
        spec = _field_of(name)
        if spec is None:
            continue
        try:
            spec.part.from_dict({spec.field: spec.convert(value)}, where="")
        except (SettingsError, ValidationError) as error:
            # "ValueSettings.tier_cutoffs[0]: 1.2 is outside ..." -> "tier_cutoffs[0] 1.2 is ..."
            place, _, detail = str(error).partition(": ")
            if not isinstance(error, SettingsError) or not detail:
                place, detail = spec.field, str(error)
            raise SettingError(
                f"Setting '{name}' ({spec.label or spec.field}) = {_show(value)}: "
                f"{place.split('.', 1)[-1]} {detail}"
            ) from error


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- the analyses' settings from the stored ones ----------------------------------------------


@dataclass(frozen=True)
class AnalysisSettings:
    """Every analysis's Settings as a workspace (or the defaults) sets them."""

    view: ViewSettings = ViewSettings()
    clv_fit: FitSettings = FitSettings()
    clv_value: ValueSettings = ValueSettings()
    cost_model: CostModelSettings = CostModelSettings()
    scorecard: ScorecardSettings = ScorecardSettings()


def analysis_settings(settings: Mapping[str, Any]) -> AnalysisSettings:
    """The analyses' Settings from checked stored settings (see :func:`check_settings`)."""
    parts: dict[type[Settings], dict[str, Any]] = {}
    for name, value in settings.items():
        spec = FIELDS.get(name)
        if spec is not None and not name.startswith(f"{SCORECARD}.period"):
            parts.setdefault(spec.part, {})[spec.field] = spec.convert(value)
    view = ViewSettings.from_dict(parts.get(ViewSettings, {}))
    scorecard = ScorecardSettings.from_dict(parts.get(ScorecardSettings, {}))
    period = settings.get(f"{SCORECARD}.period.{scorecard.frequency}")
    return AnalysisSettings(
        view=view,
        clv_fit=FitSettings.from_dict({**parts.get(FitSettings, {}), "unit": view.unit}),
        clv_value=_value_settings(settings, parts.get(ValueSettings, {})),
        cost_model=CostModelSettings.from_dict(parts.get(CostModelSettings, {})),
        scorecard=dataclasses.replace(
            scorecard, period=period if isinstance(period, str) else None
        ),
    )


def _value_settings(settings: Mapping[str, Any], fields: dict[str, Any]) -> ValueSettings:
    """As on the CLV page: each customer's own margin unless a percentage was chosen (or the data
    has no cost column, where the page offers only the percentage); tiers from their sizes."""
    source = settings.get("clv.margin_source")
    chosen = source == MARGIN_PERCENT or (source is None and "clv.margin" in settings)
    fields["margin"] = fields.get("margin", DEFAULT_MARGIN) if chosen else None
    sizes = [settings.get(f"clv.tier.{name}") for name in DEFAULT_TIER_NAMES[:-1]]
    cutoffs = DEFAULT_TIER_CUTOFFS
    if all(isinstance(s, int | float) and math.isfinite(s) for s in sizes):
        cutoffs = tuple(round(sum(sizes[: i + 1]) / 100.0, 6) for i in range(len(sizes)))
    fields.pop("tier_cutoffs", None)
    return ValueSettings.from_dict({**fields, "tier_cutoffs": list(cutoffs)})
