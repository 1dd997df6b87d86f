"""Errors of the retention, segment and workspace code: the English text as before, and a
template the catalogs translate, with its values filled in where the error is shown."""

from __future__ import annotations

import contextvars
import json

import pytest

from cvm_core import i18n
from cvm_core.analyses.retention.economics import lifetime_value
from cvm_core.analyses.retention.gaps import ChurnRule
from cvm_core.errors import ValidationError
from cvm_core.outputs.workspace import WorkspaceError, load_workspace


@pytest.fixture
def pseudo(monkeypatch):
    """The pseudo-language: a text that goes through the catalogs reads ⟦text⟧."""
    monkeypatch.setattr(i18n, "_pseudo", contextvars.ContextVar("cvm_pseudo_test", default=True))


def test_a_churn_window_of_zero_is_refused_in_the_reader_s_language(pseudo):
    with pytest.raises(ValidationError) as raised:
        ChurnRule(window_days=0)
    assert str(raised.value) == "The churn window must be a whole number of days, at least 1."
    assert i18n.error_text(raised.value) == (
        "⟦The churn window must be a whole number of days, at least 1.⟧"
    )


def test_percent_bounds_read_as_before(pseudo):
    with pytest.raises(ValidationError) as raised:
        lifetime_value(100.0, 1.5, 0.1)
    assert str(raised.value) == "Annual retention must be between 0% and 100%."
    assert i18n.error_text(raised.value) == "⟦Annual retention must be between 0% and 100%.⟧"
    with pytest.raises(ValidationError) as raised:
        lifetime_value(100.0, 0.5, 0.0)
    assert str(raised.value) == (
        "The discount rate must be above 0%: set it to your cost of capital, e.g. 10%."
    )


def test_a_hand_edited_workspace_setting_names_the_field_in_every_language(pseudo):
    data = {"format": "cvm-workspace", "version": 1, "settings": {"cvm.retention.window": 0}}
    with pytest.raises(WorkspaceError) as raised:
        load_workspace(json.dumps(data).encode())
    setting = (
        "Setting 'cvm.retention.window' (churn window (days)) = 0: window_days 0 is outside the "
        "allowed range 1 to 3650."
    )
    assert str(raised.value) == (
        f"The workspace cannot be opened: {setting} Correct or remove it in the file, or save the "
        "workspace again from the app."
    )
    shown = i18n.error_text(raised.value)
    assert shown.startswith(
        "⟦The workspace cannot be opened: ⟦Setting 'cvm.retention.window' (churn window (days)) "
        "= 0: window_days 0 is outside the allowed range 1 to 3650."
    )
    assert shown.endswith("save the workspace again from the app.⟧")


def test_a_file_that_is_no_workspace_is_refused_with_the_marked_text(pseudo):
    with pytest.raises(WorkspaceError) as raised:
        load_workspace(b"{}")
    foreign = (
        "This file is not a workspace saved by this app. Choose a .json or .zip file made with "
        "'Save workspace'."
    )
    assert str(raised.value) == foreign
    assert i18n.error_text(raised.value) == f"⟦{foreign}⟧"
    with pytest.raises(WorkspaceError) as raised:
        load_workspace(b"{not json")
    assert str(raised.value).startswith(f"{foreign} (It is not readable JSON: ")
    assert i18n.error_text(raised.value).startswith(f"⟦⟦{foreign}⟧ (It is not readable JSON: ")
