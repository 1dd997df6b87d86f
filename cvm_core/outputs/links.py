"""A page's settings as query parameters, so the address bar reopens the same view.

A link or a reload carries the active page's settings under their stable workspace names
(``?clv.horizon=24&clv.model=bgnbd&cvm.unit=month``), readable and editable by hand. Values are
written as the user would type them: text as it is, numbers, true/false and lists as JSON, dates
as ``2024-12-31``. Reading checks every parameter with the same rules as a workspace file
(:func:`cvm_core.outputs.workspace_settings.check_settings`); a value that fails is left out and
named, never applied half-way.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from cvm_core.outputs import workspace_settings

VIEW_SETTINGS = ("cvm.lang", "cvm.unit", "cvm.observation_end", "cvm.currency")
"""The sidebar's settings: every page's figures depend on them, so every page's link has them."""
PAGE_PREFIXES: dict[str, tuple[str, ...]] = {
    "segments": ("cvm.segments.",),
    "whale_curve": ("whale.",),
    "clv": ("clv.",),
    "retention": ("cvm.retention.",),
    "scorecard": ("cvm.scorecard.",),
}
"""A page's url path -> the prefixes of the settings it owns."""
MAX_VALUE_CHARS = 200
"""Longer values (a long list of attributes) stay out of the address bar: links must stay short
enough to paste into an e-mail. The workspace file keeps them."""


def is_setting(name: str) -> bool:
    """Whether a query parameter names a setting (others: the data token, a chart selection)."""
    return workspace_settings.is_known(name)


def page_params(settings: Mapping[str, Any], page: str) -> dict[str, str]:
    """The query parameters for ``page``: its own settings and the sidebar's, each as text."""
    prefixes = (*PAGE_PREFIXES.get(page, ()), *VIEW_SETTINGS)
    params = {}
    for name, value in settings.items():
        if not name.startswith(prefixes) or not is_setting(name):
            continue
        text = _text(value)
        if text is not None and len(text) <= MAX_VALUE_CHARS:
            params[name] = text
    return params


def read_params(params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Query parameters -> (the settings they set, one message per parameter left out)."""
    settings, problems = {}, []
    for name, text in params.items():
        if not is_setting(name):
            continue
        value = _value(name, text)
        try:
            workspace_settings.check_settings({name: value})
        except workspace_settings.SettingError as error:
            problems.append(str(error))
            continue
        settings[name] = value
    return settings, problems


def changed(params: Mapping[str, str], written: Mapping[str, str]) -> dict[str, str]:
    """The setting parameters the app did not write itself: a link opened, a reload, a hand edit."""
    return {k: v for k, v in params.items() if is_setting(k) and written.get(k) != v}


def stale(params: Iterable[str], wanted: Mapping[str, str]) -> list[str]:
    """Setting parameters in the address bar that the current page no longer has."""
    return [name for name in params if is_setting(name) and name not in wanted]


def _text(value: Any) -> str | None:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dt.datetime):
        return None  # no page setting is a time of day
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value) if _reads_as_json(value) else value
    if value is None or isinstance(value, bool | int | float | list | tuple):
        try:
            return json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            return None
    return None  # tables and mappings (the activity table, targets) live in workspaces


def _value(name: str, text: str) -> Any:
    if workspace_settings.is_date(name):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text  # the check names it
    try:
        return json.loads(text)
    except ValueError:
        return text


def _reads_as_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
