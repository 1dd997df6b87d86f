"""`python -m cvm_core retention FILE [mapping options] --json` on a tiny file computed by hand.

Customers (German headers, mapped with --map where the guess would not do):
W buys about every 25 days from 15 Jan to 25 Apr; X on 5 Jan and 20 Mar; Y on 10 and 25 Jan and
28 Apr; Z on 3 and 20 Feb. The last date, 28 Apr 2024, is the observation end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cvm_core.__main__ import main

REPO = Path(__file__).resolve().parents[2]
ROWS = [
    ("W", "2024-01-15"), ("W", "2024-02-10"), ("W", "2024-03-05"), ("W", "2024-04-01"),
    ("W", "2024-04-25"), ("X", "2024-01-05"), ("X", "2024-03-20"), ("Y", "2024-01-10"),
    ("Y", "2024-01-25"), ("Y", "2024-04-28"), ("Z", "2024-02-03"), ("Z", "2024-02-20"),
]  # fmt: skip


@pytest.fixture
def sales(tmp_path: Path) -> Path:
    path = tmp_path / "sales.csv"
    lines = ["Kundennummer;Datum;Betrag"] + [f"{c};{d};1,00" for c, d in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_json(capsys, *argv: str) -> dict:
    assert main(["retention", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_retention_json_hand_computed(sales, capsys):
    out = run_json(
        capsys, str(sales), "--map", "customer_id=Kundennummer", "--churn-days", "30",
        "--top-share", "1",
    )  # fmt: skip
    assert out["observation_end"] == "2024-04-28"
    assert out["churn_window_days"] == 30
    # Gaps 15 (Y), 17 (Z), 24, 24, 26, 27 (W), 75 (X), 94 (Y). Each customer weighs 1: W's four
    # gaps 1/4 each, Y's two 1/2 each. Cumulative shares of the weight 4: 12.5%, 37.5%, 43.75%,
    # 50%, 56.25%, 62.5%, 87.5% (75 days), 100% (94 days): the 90th percentile is 94 days.
    assert out["suggested_churn_window_days"] == 94
    # W (3 days since the last purchase) and Y (0) active; X (39 days) and Z (68) churned.
    assert out["customers"] == {"Active": 2, "Churned": 2, "Too new to tell": 0}
    assert out["churned_share"] == 0.5
    # Lifetimes end when churn is declared, last purchase + 31 days: Z 17 + 31 = 48, X 75 + 31 =
    # 106 (churned); W 104 and Y 109 days are censored. Kaplan-Meier: 3/4 after day 48; W leaves
    # the risk set at 104; 3/4 x 1/2 = 3/8 after day 106: the median is 106 days.
    assert out["median_lifetime_days"] == 106.0
    assert out["median_lifetime"] == "106 days"
    # Everyone bought on two days or more: nobody is a one-time buyer; the repeat buyers are all.
    assert out["one_time_share"] == 0.0
    assert out["repeat_buyer_median_lifetime_days"] == 106.0
    assert out["lifetimes"] == (
        "0% of customers have not come back after their first purchase; repeat buyers stay about "
        "3 months (median)."
    )
    # January cohort W, X, Y: Feb only W bought (1/3), Mar W and X (2/3). February cohort Z:
    # nobody bought in March. April is not complete on 28 Apr: not shown.
    cohorts = out["cohorts"]
    assert cohorts["sizes"] == {"Jan 2024": 3, "Feb 2024": 1}
    assert cohorts["customer_retention"] == {
        "Jan 2024": [1.0, 0.3333, 0.6667],
        "Feb 2024": [1.0, 0.0, None],
    }
    # 30-day window: X lapses 5 Feb, Y 25 Feb (of W, X, Y active on 1 Feb); Z lapses 22 Mar
    # (of W and Z active on 1 Mar).
    assert out["churn_by_period"] == [
        {"period": "Feb 2024", "customers_at_start": 3, "churned": 2, "churn_rate": 0.6667},
        {"period": "Mar 2024", "customers_at_start": 2, "churned": 1, "churn_rate": 0.5},
    ]
    # Everyone counts as valuable: the churned X and Z are to win back; nobody active is overdue.
    assert out["win_back_customers"] == 2
    assert out["at_risk_customers"] == 0
    # Active on 2 Mar (57 days before the end of a 114-day history): W and Z; W still is.
    assert out["annual_retention"] == round(0.5 ** (365 / 57), 4)


def test_the_default_window_comes_from_the_gaps(sales, capsys):
    out = run_json(capsys, str(sales), "--map", "customer_id=Kundennummer")
    assert out["churn_window_days"] == 94  # see the hand calculation above
    assert "no purchase in the last 94 days" in out["churn_rule"]
    # The longest silence at the end is Z's 68 days (since 20 Feb), shorter than 81: nobody churned.
    assert out["customers"]["Churned"] == 0


def test_a_single_cohort_is_explained_not_a_crash(tmp_path, capsys):
    path = tmp_path / "one.csv"
    path.write_text(
        "customer,date,revenue\nA,2024-01-03,5\nB,2024-01-20,5\nA,2024-03-05,5\n", encoding="utf-8"
    )
    out = run_json(capsys, str(path), "--period", "month")
    assert "only one cohort" in out["cohorts"]["message"]


def test_as_a_user_runs_it():
    proc = subprocess.run(
        [sys.executable, "-m", "cvm_core", "retention", "no-such-file.csv", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "No such file" in proc.stderr
