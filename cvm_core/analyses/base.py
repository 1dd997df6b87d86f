"""The settings half of the Analysis contract: frozen, versioned, validated round-trips to dicts.

Every analysis's settings are a frozen dataclass that also inherits :class:`Settings`. Workspaces,
the command line and the report store and read them through :meth:`Settings.to_dict` and
:meth:`Settings.from_dict`, never through widget keys, so a hand-edited or damaged workspace is
refused with a message naming the field and the bad value instead of crashing a page later.

Fields declare their limits with :func:`setting`::

    @dataclass(frozen=True)
    class ValueSettings(Settings):
        horizon_months: int = setting(36, low=1, high=120, label="Horizon (months)")

Supported field types: bool, int, float, str, ``pd.Timestamp``, ``X | None``, ``tuple[X, ...]``,
``tuple[tuple[str, float], ...]`` (read from a JSON object too) and nested Settings.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import pandas as pd

from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message


class SettingsError(ValidationError):
    """A stored setting has the wrong type or is out of range; the message names the field."""


@dataclass(frozen=True)
class Limits:
    """What a field accepts beyond its type: a closed range and/or a list of choices."""

    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None
    label: str = ""


def setting(
    default: Any = dataclasses.MISSING,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[Any, ...] | None = None,
    label: str = "",
    default_factory: Any = dataclasses.MISSING,
) -> Any:
    """A dataclass field with limits that :meth:`Settings.from_dict` enforces."""
    metadata = {"limits": Limits(low, high, choices, label)}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


class Settings:
    """Mixin for an analysis's frozen settings dataclass.

    ``VERSION`` goes up when a field changes meaning; :meth:`from_dict` refuses newer versions
    and may translate older ones in :meth:`upgrade`.
    """

    VERSION: ClassVar[int] = 1

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (timestamps as ISO dates, tuples as lists), with the version."""
        out: dict[str, Any] = {"version": self.VERSION}
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            if item.compare:
                out[item.name] = _plain(getattr(self, item.name))
        return out

    @classmethod
    def upgrade(cls, raw: dict[str, Any], version: int) -> dict[str, Any]:
        """Translate a dict written by an older ``version``; the base knows no older versions."""
        return raw

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], where: str = "") -> Self:
        """Settings from a stored dict; missing fields take their defaults.

        Raises
        ------
        SettingsError
            Naming the field (``where`` + name), the bad value and what it accepts, for a wrong
            type, a value out of range, an unknown field or a newer version.
        """
        prefix = where or cls.__name__
        if not isinstance(raw, Mapping):
            raise _wrong(N_("{where}: expected an object of settings, got {value}."), prefix, raw)
        values = dict(raw)
        version = values.pop("version", cls.VERSION)
        if not isinstance(version, int) or isinstance(version, bool) or version > cls.VERSION:
            raise SettingsError(
                Message(
                    N_("{where}.version: {value} is not a version this app reads (up to {newest}); "
                       "the file was made by a newer version of the app."),
                    where=prefix, value=_show(version), newest=cls.VERSION,
                )
            )  # fmt: skip
        values = cls.upgrade(values, version)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init and f.compare}  # type: ignore[arg-type]
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise SettingsError(
                Message(
                    N_("{where}: unknown setting '{name}'; known: {known}."),
                    where=prefix, name=unknown[0], known=", ".join(fields),
                )
            )  # fmt: skip
        hints = typing.get_type_hints(cls)
        kwargs = {
            name: _read(values[name], hints[name], fields[name], f"{prefix}.{name}")
            for name in fields
            if name in values
        }
        return cls(**kwargs)


# --- reading one value ----------------------------------------------------------------------------


def _read(value: Any, hint: Any, field: dataclasses.Field, where: str) -> Any:
    read = _coerce(value, hint, where)
    limits: Limits | None = field.metadata.get("limits")
    if limits is not None and read is not None:
        _check_limits(read, limits, where)
    return read


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _coerce(value, option, where)
            except SettingsError as error:
                errors.append(error)
        raise errors[0]
    if origin is tuple:
        return _coerce_tuple(value, args, where)
    if isinstance(hint, type) and issubclass(hint, Settings):
        return hint.from_dict(value, where)
    reader = _SCALARS.get(hint)
    if reader is None:
        raise TypeError(f"{where}: settings of type {hint!r} are not supported")
    return reader(value, where)


def _coerce_tuple(value: Any, args: tuple, where: str) -> tuple:
    if isinstance(value, Mapping) and len(args) == 2 and args[1] is Ellipsis:
        value = sorted(value.items())  # {"measure": 60} reads as (("measure", 60.0),)
    if not isinstance(value, list | tuple):
        raise _wrong(N_("{where}: expected a list, got {value}."), where, value)
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if len(value) != len(args):
        raise SettingsError(
            Message(
                N_("{where}: expected {expected} items, got {got}."),
                where=where, expected=str(len(args)), got=str(len(value)),
            )
        )  # fmt: skip
    return tuple(
        _coerce(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args, strict=True))
    )


def _wrong(template: str, where: str, value: Any) -> SettingsError:
    """The error for a setting of the wrong kind: ``template`` with the field and the value."""
    return SettingsError(Message(template, where=where, value=_show(value)))


def _read_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise _wrong(N_("{where}: expected true or false, got {value}."), where, value)


def _read_int(value: Any, where: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON writers may store 36 as 36.0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _wrong(N_("{where}: expected a whole number, got {value}."), where, value)


def _read_float(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise _wrong(N_("{where}: expected a number, got {value}."), where, value)


def _read_str(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    raise _wrong(N_("{where}: expected text, got {value}."), where, value)


def _read_timestamp(value: Any, where: str) -> pd.Timestamp:
    if isinstance(value, pd.Timestamp):
        return value
    if isinstance(value, str):
        try:
            stamp = pd.Timestamp(value)
        except ValueError:
            stamp = pd.NaT
        if stamp is not pd.NaT and 1900 <= stamp.year <= 2200:
            return stamp
    raise _wrong(N_("{where}: expected a date like 2024-12-31, got {value}."), where, value)


_SCALARS = {
    bool: _read_bool,
    int: _read_int,
    float: _read_float,
    str: _read_str,
    pd.Timestamp: _read_timestamp,
}


def _check_limits(value: Any, limits: Limits, where: str) -> None:
    if limits.choices is not None and value not in limits.choices:
        options = ", ".join(repr(c) for c in limits.choices)
        raise SettingsError(
            Message(
                N_("{where}: {value} is not one of {options}."),
                where=where,
                value=_show(value),
                options=options,
            )  # fmt: skip
        )
    items = enumerate(value) if isinstance(value, tuple) else [(None, value)]
    for index, number in items:
        if not isinstance(number, int | float) or isinstance(number, bool):
            continue
        if (limits.low is not None and number < limits.low) or (
            limits.high is not None and number > limits.high
        ):
            place = where if index is None else f"{where}[{index}]"
            raise SettingsError(
                Message(
                    N_("{where}: {value} is outside the allowed range {low} to {high}."),
                    where=place, value=f"{number:g}",
                    low=_bound(limits.low, "-inf"), high=_bound(limits.high, "+inf"),
                )
            )  # fmt: skip


def _bound(value: float | None, infinite: str) -> str:
    return infinite if value is None else f"{value:g}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _plain(value: Any) -> Any:
    if isinstance(value, Settings):
        return value.to_dict()
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
