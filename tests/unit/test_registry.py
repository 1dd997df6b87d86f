"""The analysis registry: every entry's run and Settings resolve, honour the contract
``run(inputs, settings) -> result``, and the workspace format stores exactly the registry's parts."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest

from cvm_core.analyses.base import Settings
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.registry import ANALYSES, resolve
from cvm_core.analyses.view import ViewSettings
from cvm_core.intake import demo
from cvm_core.intake.dataset import dataset_from_frame
from cvm_core.intake.io import RawTable, Workbook
from cvm_core.intake.opportunities import read_pipeline
from cvm_core.outputs import workspace_settings


@pytest.fixture(scope="module")
def small_inputs() -> AnalysisInputs:
    tables = demo.generate_demo_tables(n_customers=300, seed=5)
    inputs = AnalysisInputs.of(dataset_from_frame(tables["Transactions"], "demo300.csv"))
    sheets = {name: tables[name] for name in ("Opportunities", "Opportunity History")}
    book = Workbook({n: RawTable(f, np.arange(2, len(f) + 2), 1, n) for n, f in sheets.items()}, "")
    return dataclasses.replace(inputs, opportunities=read_pipeline(book))


@pytest.mark.parametrize("spec", ANALYSES, ids=lambda s: s.name)
def test_each_entry_resolves_to_a_run_and_settings_classes(spec):
    run = resolve(spec.run)
    first, second = list(inspect.signature(run).parameters)[:2]
    assert first == "inputs"
    assert spec.settings, "an analysis without stored settings"
    for part, path in spec.settings:
        cls = resolve(path)
        assert issubclass(cls, Settings), path
        assert cls.from_dict(cls().to_dict()) == cls()  # defaults round-trip through a file
        assert workspace_settings.PARTS[cls] == (spec.name, part)


def test_the_workspace_stores_the_registry_parts_and_the_view_only():
    listed = {resolve(path) for spec in ANALYSES for _, path in spec.settings}
    assert set(workspace_settings.PARTS) == listed | {ViewSettings}


@pytest.mark.parametrize("spec", ANALYSES, ids=lambda s: s.name)
def test_each_run_works_on_demo_data_with_its_defaults(spec, small_inputs):
    """Called the way the registry allows a generic caller to (inputs alone, default settings),
    every analysis returns its result for the same 300 customers."""
    result = resolve(spec.run)(small_inputs)
    customers = {
        "segments": lambda r: len(r.membership),
        "profitability": lambda r: len(r.result.pnl),
        "clv": lambda r: len(r.values.customers),
        "retention": lambda r: len(r.status),
        "prospects": lambda r: len(r.customers.values),
        "scorecard": lambda r: None,
        "pipeline": lambda r: None,
    }[spec.name](result)
    assert customers in (None, 300)
    if spec.name == "scorecard":
        assert not result.table.empty
