"""Regenerate data/demo_retail.xlsx, the demo workbook the app offers to new users.

Usage (from the repository root)::

    python scripts/make_demo_data.py

The workbook is fully determined by the defaults of ``cvm_core.intake.demo.generate_demo_tables``
(4,000 customers, 2022-2024, seed 7), so running this twice gives the same data.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

# Run as a plain script from a checkout: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cvm_core.intake.demo import generate_demo_tables  # noqa: E402
from cvm_core.intake.demo_workbook import DEMO_WORKBOOK_PATH, write_demo_workbook  # noqa: E402


def main() -> None:
    """Generate the default demo tables, write the workbook and print what was written."""
    started = time.perf_counter()
    tables = generate_demo_tables()
    generated = time.perf_counter()
    path = write_demo_workbook(DEMO_WORKBOOK_PATH, tables)
    written = time.perf_counter()
    transactions = tables["Transactions"]
    returns = int((transactions["Quantity"] < 0).sum())
    print(f"Wrote {path}")
    print(f"  transaction rows: {len(transactions):,} ({returns:,} returns)")
    print(f"  customers:        {len(tables['Customers']):,}")
    print(f"  opportunities:    {len(tables['Opportunities']):,}")
    print(f"  history rows:     {len(tables['Opportunity History']):,}")
    print(f"  file size:        {path.stat().st_size / 1e6:.2f} MB")
    print(f"  generate {generated - started:.2f} s, write {written - generated:.2f} s")


if __name__ == "__main__":
    main()
