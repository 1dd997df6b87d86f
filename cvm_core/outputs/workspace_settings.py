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
from cvm_core.analyses.pipeline.analysis import PipelineSettings
from cvm_core.analyses.profitability.activities import CostModelSettings
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario
from cvm_core.analyses.prospects.settings import ProspectSettings
from cvm_core.analyses.registry import ANALYSES, resolve
from cvm_core.analyses.retention.analysis import RetentionSettings
from cvm_core.analyses.retention.gaps import ChurnRule
from cvm_core.analyses.retention.lists import ListSettings
from cvm_core.analyses.scorecard.hierarchy import CHAIN_KEYS
from cvm_core.analyses.scorecard.inputs import ScorecardSettings
from cvm_core.analyses.scorecard.specs import SPECS
from cvm_core.analyses.segments.analysis import SegmentSettings
from cvm_core.analyses.view import ViewSettings
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, error_message, shown

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


def _from_percent(value: Any) -> Any:
    return None if value is None else round(value * 100.0, 9)


def _date(value: Any) -> Any:
    return pd.Timestamp(value) if isinstance(value, dt.date) else value


def _to_date(value: Any) -> Any:
    return value.date() if isinstance(value, pd.Timestamp) else value


def _clusters(value: Any) -> Any:
    return None if value == AUTO_CLUSTERS else value


def _to_clusters(value: Any) -> Any:
    return AUTO_CLUSTERS if value is None else value


def _to_list(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _to_measure_values(value: Any) -> Any:
    return {str(k): v for k, v in value}


def _measure_values(value: Any) -> Any:
    """{measure: number or None}: a cleared cell (None) is no value, not an error."""
    if isinstance(value, Mapping):  # measures this app does not know (a newer app's) are skipped
        known = SPECS.keys() | CHAIN_KEYS  # the scorecard's measures and its chain's own
        return {str(k): v for k, v in value.items() if v is not None and k in known}
    return value


_INVERSE: dict[Callable[[Any], Any], Callable[[Any], Any]] = {
    _same: _to_list,
    _percent: _from_percent,
    _date: _to_date,
    _clusters: _to_clusters,
}


@dataclass(frozen=True)
class Field:
    """Where a stored setting goes: ``part`` (a Settings class) and its ``field``; ``convert``
    turns the page's value into the field's (35 % -> 0.35), :meth:`back` the other way."""

    part: type[Settings]
    field: str
    convert: Callable[[Any], Any] = _same
    label: str = ""
    whole: bool = False
    """The page's widget holds whole numbers (a slider of integers): give it an int back."""

    def back(self, value: Any) -> Any:
        if self.convert is _measure_values:
            return _to_measure_values(value)
        value = _INVERSE[self.convert](value)
        return int(round(value)) if self.whole and isinstance(value, float) else value


FIELDS: dict[str, Field] = {
    "cvm.lang": Field(ViewSettings, "language", label="language"),
    "cvm.unit": Field(ViewSettings, "unit", label="time unit"),
    "cvm.observation_end": Field(ViewSettings, "observation_end", _date, "observation end"),
    "cvm.currency": Field(ViewSettings, "currency", label="currency"),
    "clv.model": Field(FitSettings, "model", label="CLV model"),
    "clv.horizon": Field(ValueSettings, "horizon_months", label="CLV horizon (months)"),
    "clv.discount": Field(ValueSettings, "discount_rate", _percent, "discount rate (%)"),
    "clv.margin": Field(ValueSettings, "margin", _percent, "CLV margin (%)"),
    "clv.net_of_cost": Field(
        ValueSettings, "net_of_cost_to_serve", label="CLV net of cost-to-serve"
    ),
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
    "cvm.prospects.top": Field(ProspectSettings, "top_tiers", label="valuable tiers"),
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
    "cvm.pipeline.source": Field(
        PipelineSettings, "probability_source", label="stage probabilities"
    ),
    "cvm.pipeline.months": Field(
        PipelineSettings, "horizon_months", label="coverage period", whole=True
    ),
    "cvm.pipeline.target": Field(PipelineSettings, "target", label="pipeline target"),
    "cvm.pipeline.tolerance": Field(PipelineSettings, "bias_tolerance", label="bias tolerance"),
}
"""Stored setting name -> the Settings field it sets. Names with a variable part (tiers,
treatments, the scorecard period) are matched by :func:`_field_of`."""

_WHOLE_PERCENT_SLIDERS = (
    "whale.margin", "whale.migrate", "whale.service", "whale.churn", "whale.part",
    "cvm.retention.threshold", "cvm.retention.top", "cvm.retention.discount",
    f"{SCORECARD}.watch_band",
)  # fmt: skip
"""Percentages the pages set with integer sliders: restored as int, or the slider refuses them."""
for _name in _WHOLE_PERCENT_SLIDERS:
    FIELDS[_name] = dataclasses.replace(FIELDS[_name], whole=True)

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


def is_known(name: str) -> bool:
    """Whether ``name`` is a stored setting this module can check."""
    return name in _CHOICES or name in _FLAGS or _field_of(name) is not None


def is_date(name: str) -> bool:
    """Whether the setting ``name`` holds a date."""
    spec = _field_of(name)
    return spec is not None and spec.convert is _date


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
                Message(
                    N_("Setting '{name}' = {value}: not one of {options}."),
                    name=name, value=repr(value), options=", ".join(_CHOICES[name]),
                )
            )  # fmt: skip
        if name in _FLAGS and not isinstance(value, bool):
            raise SettingError(
                Message(
                    N_("Setting '{name}' = {value}: expected true or false."),
                    name=name, value=repr(value),
                )
            )  # fmt: skip
        spec = _field_of(name)
        if spec is None:
            continue
        try:
            spec.part.from_dict({spec.field: spec.convert(value)}, where="")
        except (SettingsError, ValidationError) as error:
            # "ValueSettings.tier_cutoffs[0]: 1.2 is outside ..." -> "tier_cutoffs[0] 1.2 is ..."
            place, _sep, detail = str(error).partition(": ")
            reason: object = _Detail(error.args[0]) if len(error.args) == 1 else detail
            if not isinstance(error, SettingsError) or not detail:
                place, reason = spec.field, error_message(error)
            raise SettingError(
                Message(
                    N_("Setting '{name}' ({label}) = {value}: {field} {detail}"),
                    name=name, label=spec.label or spec.field, value=_show(value),
                    field=place.split(".", 1)[-1], detail=reason,
                )
            ) from error  # fmt: skip


class _Detail(str):
    """What a settings error says after its field ("ValueSettings.x: 5 is outside ..." -> "5 is
    outside ..."), in the reader's language: the catalogs keep "{where}" first."""

    def __new__(cls, message: object) -> _Detail:
        detail = super().__new__(cls, str(message).partition(": ")[2])
        detail.message = message
        return detail

    def __reduce__(self):
        return (_Detail, (self.message,))

    def in_language(self) -> str:
        text = shown(self.message)  # "{where}: ..."; Chinese writes the colon "{where}："
        cuts = [(text.find(sep), sep) for sep in (": ", "：") if sep in text]
        if not cuts:
            return text
        at, sep = min(cuts)
        return text[at + len(sep) :]


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
    retention: RetentionSettings = RetentionSettings()
    pipeline: PipelineSettings = PipelineSettings()


def _retention_settings(parts: dict[type[Settings], dict[str, Any]]) -> RetentionSettings:
    """The Retention page's settings; its churn rule only when one was stored (None: the
    window the data suggests, as the page starts)."""
    rule = parts.get(ChurnRule)
    return dataclasses.replace(
        RetentionSettings.from_dict(parts.get(RetentionSettings, {})),
        rule=ChurnRule.from_dict(rule) if rule else None,
        lists=ListSettings.from_dict(parts.get(ListSettings, {})),
    )


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
        retention=_retention_settings(parts),
        pipeline=PipelineSettings.from_dict(parts.get(PipelineSettings, {})),
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


# --- the file format: each analysis's Settings, and the page state around them ----------------

PARTS: dict[type[Settings], tuple[str, str]] = {
    ViewSettings: ("view", "view"),
    **{resolve(path): (spec.name, part) for spec in ANALYSES for part, path in spec.settings},
}
"""Where each Settings class is stored in a workspace file: analyses.<analysis>.<part> (the
sidebar's view, and every analysis's parts as the registry lists them)."""
_CLASS_OF = {place: cls for cls, place in PARTS.items()}
_NAME_OF = {(spec.part, spec.field): name for name, spec in FIELDS.items()}


def split_settings(settings: Mapping[str, Any]) -> tuple[dict, dict[str, Any]]:
    """Checked stored settings -> (analyses: {analysis: {part: Settings.to_dict() of the fields
    set}}, page: the rest, e.g. which tab or breakdown was chosen, the activity table).

    Only fields the user set are written: restoring must not turn a default the page derives
    from the data (the suggested churn window) into a fixed value.
    """
    check_settings(settings)
    fields: dict[type[Settings], dict[str, Any]] = {}
    page: dict[str, Any] = {}
    for name, value in settings.items():
        spec = FIELDS.get(name)
        if spec is None:
            page[name] = value
        else:
            fields.setdefault(spec.part, {})[spec.field] = spec.convert(value)
    analyses: dict[str, dict[str, Any]] = {}
    for part, values in fields.items():
        stored = part.from_dict(values).to_dict()
        analysis, key = PARTS[part]
        chosen = {"version": stored["version"], **{f: stored[f] for f in values}}
        analyses.setdefault(analysis, {})[key] = chosen
    return analyses, page


def join_settings(analyses: Any, page: Mapping[str, Any]) -> dict[str, Any]:
    """The stored settings again from a file's analyses and page state; every analysis's
    settings are validated by its own Settings class (errors name the field)."""
    if not isinstance(analyses, Mapping):
        raise SettingError(Message(N_("The workspace's analyses are not readable.")))
    settings: dict[str, Any] = {}
    for analysis, parts in analyses.items():
        if not isinstance(parts, Mapping):
            raise SettingError(
                Message(
                    N_("The workspace's settings for '{analysis}' are not readable."),
                    analysis=analysis,
                )
            )
        for key, values in parts.items():
            part = _CLASS_OF.get((analysis, key))
            if part is None or not isinstance(values, Mapping):
                raise SettingError(
                    Message(
                        N_("The workspace has unknown settings '{analysis}.{key}'."),
                        analysis=analysis, key=key,
                    )
                )  # fmt: skip
            try:
                read = part.from_dict(values, where=f"{analysis}.{key}")
            except SettingsError as error:
                raise SettingError(error_message(error)) from error
            for field in values:
                if field == "version":
                    continue
                name = _NAME_OF.get((part, field))
                if name is None:
                    raise SettingError(
                        Message(
                            N_("'{analysis}.{key}.{field}' is not a setting a workspace keeps."),
                            analysis=analysis, key=key, field=field,
                        )
                    )  # fmt: skip
                settings[name] = FIELDS[name].back(getattr(read, field))
    check_settings(page)
    return {**settings, **page}
