"""The settings half of the Analysis contract: round trips, and refusals that name the field."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from cvm_core.analyses.base import Settings, SettingsError, setting


@dataclass(frozen=True)
class Inner(Settings):
    share: float = setting(0.2, low=0.0, high=1.0)


@dataclass(frozen=True)
class Example(Settings):
    VERSION = 2

    model: str = setting("bgnbd", choices=("bgnbd", "pareto"))
    horizon_months: int = setting(36, low=1, high=120)
    discount: float = setting(0.1, low=0.0, high=1.0)
    compare: bool = True
    end: pd.Timestamp | None = None
    cutoffs: tuple[float, ...] = setting((0.01, 0.05), low=0.0, high=1.0)
    targets: tuple[tuple[str, float], ...] = ()
    inner: Inner = setting(default_factory=Inner)


def test_round_trip_keeps_every_value():
    original = Example(
        model="pareto",
        horizon_months=24,
        discount=0.08,
        compare=False,
        end=pd.Timestamp("2024-06-30"),
        cutoffs=(0.02, 0.1),
        targets=(("retention_rate", 0.6),),
        inner=Inner(0.5),
    )
    stored = original.to_dict()
    assert stored == {
        "version": 2,
        "model": "pareto",
        "horizon_months": 24,
        "discount": 0.08,
        "compare": False,
        "end": "2024-06-30",
        "cutoffs": [0.02, 0.1],
        "targets": [["retention_rate", 0.6]],
        "inner": {"version": 1, "share": 0.5},
    }
    assert Example.from_dict(stored) == original


def test_missing_fields_take_defaults_and_json_forms_are_read():
    read = Example.from_dict({"horizon_months": 12.0, "targets": {"b": 2, "a": 1}})
    assert read == Example(horizon_months=12, targets=(("a", 1.0), ("b", 2.0)))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"horizon_months": 100000},
            r"Example\.horizon_months: 100000 is outside the allowed range 1 to 120",
        ),
        ({"horizon_months": "ten"}, r"Example\.horizon_months: expected a whole number, got 'ten'"),
        ({"discount": float("nan")}, r"Example\.discount: expected a number, got nan"),
        ({"model": "gamma"}, r"Example\.model: 'gamma' is not one of 'bgnbd', 'pareto'"),
        ({"compare": 1}, r"Example\.compare: expected true or false, got 1"),
        ({"end": "31.12.2024x"}, r"Example\.end: expected a date like 2024-12-31"),
        ({"end": "2999-01-01"}, r"Example\.end: expected a date"),
        ({"cutoffs": [0.1, 7]}, r"Example\.cutoffs\[1\]: 7 is outside the allowed range 0 to 1"),
        ({"cutoffs": "0.1"}, r"Example\.cutoffs: expected a list"),
        ({"targets": [["a", "x"]]}, r"Example\.targets\[0\]\[1\]: expected a number, got 'x'"),
        ({"inner": {"share": 2}}, r"Example\.inner\.share: 2 is outside the allowed range 0 to 1"),
        ({"colour": "red"}, r"Example: unknown setting 'colour'"),
        ({"version": 3}, r"Example\.version: 3 is not a version this app reads \(up to 2\)"),
        ([1, 2], r"Example: expected an object of settings"),
    ],
)
def test_bad_values_are_refused_naming_the_field(raw, message):
    with pytest.raises(SettingsError, match=message):
        Example.from_dict(raw)


def test_where_prefix_names_the_place_in_the_file():
    with pytest.raises(SettingsError, match=r"^analyses\.clv\.horizon_months: "):
        Example.from_dict({"horizon_months": 0}, where="analyses.clv")
