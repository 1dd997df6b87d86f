"""Demo sales pipeline: opportunities and their monthly history, with reps of planted biases.

Drawn from its own seeded ``numpy.random.Generator`` after the sales tables are made, so adding
the pipeline changes no transaction, customer or service row of the demo.

Each opportunity moves through four stages; at each it goes on with a fixed chance or is lost
(so the true chance of winning from a stage is the product of the chances still ahead, which the
CRM's stage probabilities match). Reps enter their own probabilities: Anna Becker is optimistic
(half as high again as the stage's, so she forecasts about a third more than she wins), Jonas
Wolf pessimistic (40% lower: he forecasts about half of what he wins), the others keep the
stage's. A deal past its close date is moved a week or more ahead at each month-end. Won deals
go to customers acquired soon after the close, so their pipeline history sits beside their
purchases.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core.intake.demo_draws import ids

STAGES = ("Qualification", "Needs Analysis", "Proposal", "Negotiation")
CRM_PROBABILITY = np.array([0.20, 0.35, 0.50, 0.70])
"""What the CRM shows at each stage: the true chance of winning from it (advance products)."""
ADVANCE = np.array([0.60, 0.70, 0.70, 0.70])
"""Chance of moving on from each stage (from the last: of being won)."""
REPS = ("Anna Becker", "Jonas Wolf", "Mei Chen", "Lukas Braun", "Sara Koch", "Tom Richter")
PROBABILITY_FACTOR = np.array([1.5, 0.6, 1.0, 1.0, 1.0, 1.0])
PLANTED = {"optimistic": "Anna Becker", "pessimistic": "Jonas Wolf"}
OPPORTUNITIES_PER_MONTH = 40
PIPELINE_SEED_OFFSET = 19
"""The pipeline's generator is seeded with (seed, this): a stream of its own."""


def generate_pipeline_tables(
    customers: pd.DataFrame, start: str, end: str, seed: int
) -> dict[str, pd.DataFrame]:
    """ "Opportunities" (current state at ``end``) and "Opportunity History" (month-end snapshots
    of the open opportunities) for the demo business whose customer table is ``customers``."""
    rng = np.random.default_rng([seed, PIPELINE_SEED_OFFSET])
    start_day, end_day = np.datetime64(start, "D"), np.datetime64(end, "D")
    n_days = int((end_day - start_day).astype(np.int64)) + 1
    n = max(1, int(round(OPPORTUNITIES_PER_MONTH * n_days / 30.44)))
    created = np.sort(rng.integers(0, n_days, n))
    rep = rng.integers(0, len(REPS), n)
    amount = np.round(rng.lognormal(np.log(12_000), 0.7, n), -2)
    durations = np.round(5 + rng.gamma(2.0, 12.0, (n, len(STAGES)))).astype(np.int64)
    moves_on = rng.random((n, len(STAGES))) < ADVANCE
    last = np.where(moves_on.all(axis=1), len(STAGES) - 1, np.argmin(moves_on, axis=1))
    won = moves_on.all(axis=1)
    leave = created[:, None] + np.cumsum(durations, axis=1)  # day each stage is left
    closes = leave[np.arange(n), last]
    planned = leave[:, -1]  # the close date if all goes to plan
    customer = _customers(rng, customers, start_day, closes, won)
    month_ends = _month_ends(start_day, n_days)
    history = _history(rng, created, leave, closes, planned, rep, amount, month_ends)
    opps = _current(rng, created, leave, closes, planned, rep, amount, won, n_days)
    number = np.arange(1, n + 1)
    opp_ids = ids("OP-", number, 5)
    as_date = lambda day: (start_day + day).astype("datetime64[ns]")  # noqa: E731
    opportunities = pd.DataFrame(
        {
            "Opportunity ID": opp_ids,
            "Customer ID": customer,
            "Sales Rep": np.array(REPS, dtype=object)[rep],
            "Stage": opps["stage"],
            "Amount": amount,
            "Probability (%)": opps["probability"],
            "Created Date": as_date(created),
            "Expected Close Date": as_date(opps["expected"]),
            "Actual Close Date": pd.Series(as_date(closes)).where(closes < n_days).to_numpy(),
            "Outcome": opps["outcome"],
        }
    )
    snapshots = pd.DataFrame(
        {
            "Snapshot Date": as_date(history["day"]),
            "Opportunity ID": opp_ids[history["row"]],
            "Sales Rep": np.array(REPS, dtype=object)[rep[history["row"]]],
            "Stage": np.array(STAGES, dtype=object)[history["stage"]],
            "Probability (%)": history["probability"],
            "Amount": amount[history["row"]],
            "Close Date": as_date(history["expected"]),
        }
    )
    return {"Opportunities": opportunities, "Opportunity History": snapshots}


def _month_ends(start_day: np.datetime64, n_days: int) -> np.ndarray:
    """Days (from the start) of every month-end inside the period."""
    months = np.arange(
        start_day.astype("datetime64[M]"), (start_day + n_days).astype("datetime64[M]") + 1
    )
    ends = ((months + 1).astype("datetime64[D]") - 1 - start_day).astype(np.int64)
    return ends[(ends >= 0) & (ends < n_days)]


def _entered_probability(stage: np.ndarray, rep: np.ndarray) -> np.ndarray:
    """The probability (whole %) a rep enters at a stage: the CRM's times their bias."""
    shares = np.clip(CRM_PROBABILITY[stage] * PROBABILITY_FACTOR[rep], 0.05, 0.95)
    return np.round(shares * 100).astype(np.int64)


def _history(rng, created, leave, closes, planned, rep, amount, month_ends) -> dict:
    """One row per open opportunity and month-end: its stage and what its rep entered."""
    open_at = (created[:, None] <= month_ends[None, :]) & (closes[:, None] > month_ends[None, :])
    row, col = np.nonzero(open_at)
    day = month_ends[col]
    stage = (leave[row] <= day[:, None]).sum(axis=1)
    # A deal whose date has passed is moved to a week or more after the snapshot.
    expected = np.maximum(planned[row], day + 7 + rng.integers(0, 21, row.size))
    return {
        "row": row,
        "day": day,
        "stage": stage,
        "probability": _entered_probability(stage, rep[row]),
        "expected": expected,
    }


def _current(rng, created, leave, closes, planned, rep, amount, won, n_days) -> dict:
    """Each opportunity's state on the last day: closed won / lost, or open at its stage."""
    today = n_days - 1
    is_open = closes > today
    stage = np.minimum((leave <= today).sum(axis=1), len(STAGES) - 1)
    names = np.where(won, "Closed Won", "Closed Lost").astype(object)
    names[is_open] = np.array(STAGES, dtype=object)[stage[is_open]]
    probability = np.where(won, 100, 0)
    probability[is_open] = _entered_probability(stage[is_open], rep[is_open])
    expected = np.where(
        is_open, np.maximum(planned, today + 7 + rng.integers(0, 21, rep.size)), closes
    )
    outcome = np.where(won, "Won", "Lost").astype(object)
    outcome[is_open] = "Open"
    return {"stage": names, "probability": probability, "expected": expected, "outcome": outcome}


def _customers(rng, customers, start_day, closes, won) -> np.ndarray:
    """Won deals: a customer acquired on or soon after the close; others partly prospects (ids
    the transactions don't know) and partly existing customers (more business from them)."""
    n = closes.size
    table = customers.sort_values("Acquisition Date", kind="stable")
    acquired = (table["Acquisition Date"].to_numpy().astype("datetime64[D]") - start_day).astype(
        np.int64
    )
    known = table["Customer ID"].to_numpy(dtype=object)
    at = np.searchsorted(acquired, closes) + rng.integers(0, 15, n)
    new_customer = known[np.minimum(at, known.size - 1)]
    existing = known[rng.integers(0, known.size, n)]
    prospects = ids("P", rng.integers(10_000, 99_999, n), 5)
    return np.where(won, new_customer, np.where(rng.random(n) < 0.6, prospects, existing))
