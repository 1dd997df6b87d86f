"""Demo data: a seeded, vectorised generator of realistic retail transactions, plus CDNOW.

The generated business sells coffee, tea, machines and everything around them to companies and
private customers. Customer behaviour follows the "buy till you die" story the CLV models assume,
so those models fit the demo data the way they would fit a real export:

* each customer buys at their own Poisson rate (Gamma-distributed across customers, per week),
* after every purchase they may silently leave with their own probability (Beta-distributed),
* how much they buy per order differs between customers (Gamma-Gamma-like spend),
* customers are acquired throughout the period, somewhat more of them early on.

Cost-to-serve differs as well: small-order customers tend to call more, return more and sometimes
hold special terms, so some of them lose money once their cost-to-serve is counted.

Everything is drawn from one ``numpy.random.Generator`` in a fixed order, so a seed gives the same
tables every time, and all work is done on whole arrays (no loop per customer or transaction).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core.intake.demo_draws import (
    CustomerDraws,
    Lines,
    OrderDraws,
    draw_customers,
    draw_lines,
    draw_orders,
    draw_returns,
    ids,
)
from cvm_core.intake.demo_pipeline import generate_pipeline_tables
from cvm_core.intake.demo_world import (
    ACQ_COST_MEAN,
    ACQUISITION_CHANNELS,
    CATEGORIES,
    FIRST_NAMES,
    INDUSTRIES,
    NAME_SUFFIXES,
    ORDER_CHANNELS,
    PRODUCT_CATEGORY,
    PRODUCT_NAMES,
    REGIONS,
    SYLLABLES,
)

# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def _interleave(purchases: Lines, returns: Lines) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of purchase and return lines in the date-sorted table.

    Purchases are already in (date, order, line) order, so only the few returns are sorted and
    merged in (after the sales of the same day), instead of sorting every row.
    """
    ret_order = np.lexsort((returns.line_no, returns.doc))  # return documents are chronological
    ret_pos = np.searchsorted(purchases.day, returns.day[ret_order], side="right")
    ret_pos += np.arange(ret_pos.size)
    is_return = np.zeros(purchases.doc.size + ret_pos.size, dtype=bool)
    is_return[ret_pos] = True
    pur_pos = np.flatnonzero(~is_return)
    rows = np.empty(is_return.size, dtype=np.int64)
    rows[pur_pos] = np.arange(pur_pos.size)
    rows[ret_pos] = pur_pos.size + ret_order
    return rows, is_return


def _transactions_frame(
    purchases: Lines, returns: Lines, customer_ids: np.ndarray, start: np.datetime64
) -> pd.DataFrame:
    """Stack purchase and return lines into the export-style transactions table."""
    rows, is_return = _interleave(purchases, returns)

    def column(field: str) -> np.ndarray:
        return np.concatenate((getattr(purchases, field), getattr(returns, field)))[rows]

    qty = np.where(is_return, -column("qty"), column("qty"))
    unit_price, product = column("unit_price"), column("product")
    so = ids("SO-", np.arange(1, purchases.doc.max(initial=-1) + 2), 6)
    rt = ids("RT-", np.arange(1, returns.doc.max(initial=-1) + 2), 6)
    return pd.DataFrame(
        {
            "Order ID": np.concatenate((so[purchases.doc], rt[returns.doc]))[rows],
            "Order Date": (start + column("day")).astype("datetime64[ns]"),
            "Customer ID": customer_ids[column("cust")],
            "Product": PRODUCT_NAMES[product],
            "Category": np.array(list(CATEGORIES), dtype=object)[PRODUCT_CATEGORY[product]],
            "Channel": np.array(ORDER_CHANNELS, dtype=object)[column("channel")],
            "Quantity": qty,
            "Unit Price": unit_price,
            "Revenue": np.round(qty * unit_price, 2),
            "Cost of Goods": np.round(qty * column("unit_cost"), 2),
        },
        copy=False,  # every column is a fresh array; skipping the copy saves a second at 10M rows
    )


def _customer_names(rng: np.random.Generator, industry: np.ndarray) -> np.ndarray:
    """Plausible, deterministic names: 'Velmar Bistro' for companies, 'Anna Kaloven' for people."""
    n = industry.size
    syl = np.array(SYLLABLES)
    cap = np.strings.capitalize(syl)
    s1, s2, s3 = rng.integers(0, syl.size, (3, n))
    third = np.where(rng.random(n) < 0.4, syl[s3], "")
    stem = np.strings.add(np.strings.add(cap[s1], syl[s2]), third)
    width = max(len(row) for row in NAME_SUFFIXES)
    suffixes = np.array([[row[k % len(row)] for k in range(width)] for row in NAME_SUFFIXES])
    suffix = suffixes[industry, rng.integers(0, width, n)]
    company = np.strings.add(np.strings.add(stem, " "), suffix)
    first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)]
    person = np.strings.add(np.strings.add(first, " "), stem)
    private = industry == INDUSTRIES.index("Private")
    return np.where(private, person, company).astype(object)


def _max_yearly_spend(orders: OrderDraws, order_revenue: np.ndarray, n_days: int) -> np.ndarray:
    """Each customer's highest gross revenue in any 365-day window (vectorised)."""
    by_cust = np.lexsort((orders.day, orders.cust))
    who, day = orders.cust[by_cust], orders.day[by_cust]
    key = who * (n_days + 400) + day
    total = np.concatenate(([0.0], np.cumsum(order_revenue[by_cust])))
    window_start = np.searchsorted(key, key - 364, side="left")
    window = total[1:] - total[window_start]
    starts = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
    return np.maximum.reduceat(window, starts)  # every customer has at least one order


def _category_spend(
    rng: np.random.Generator,
    cust: CustomerDraws,
    orders: OrderDraws,
    purchases: Lines,
    acq_day: np.ndarray,
    n_days: int,
) -> np.ndarray:
    """Wallet size: the customer's annual category spend across all suppliers.

    It is at least their highest gross spend with us in any 365-day window and their average
    annual gross spend with us, divided by a share of wallet drawn per customer.
    """
    n = cust.first_day.size
    line_revenue = np.round(purchases.qty * purchases.unit_price, 2)
    order_revenue = np.bincount(purchases.doc, weights=line_revenue, minlength=orders.cust.size)
    years = np.maximum((n_days - acq_day) / 365.25, 1.0)
    average = np.bincount(orders.cust, weights=order_revenue, minlength=n) / years
    own = np.maximum(_max_yearly_spend(orders, order_revenue, n_days), average)
    share = np.clip(rng.beta(2.0, 2.5, n), 0.05, 0.95)
    floor = np.where(cust.industry == INDUSTRIES.index("Private"), 100.0, 600.0)
    floor = floor * rng.lognormal(0.0, 0.5, n)
    return np.ceil(np.maximum(own / share, floor) / 10.0) * 10.0


def _customers_frame(
    rng: np.random.Generator,
    cust: CustomerDraws,
    orders: OrderDraws,
    purchases: Lines,
    customer_ids: np.ndarray,
    start: np.datetime64,
    n_days: int,
) -> pd.DataFrame:
    """The customer master table; acquisition date is the first order date in the data."""
    n = cust.first_day.size
    # Orders are chronological, so a customer's first entry is their first order.
    _, first = np.unique(orders.cust, return_index=True)
    acq_day = orders.day[first]
    acq_cost = np.take(ACQ_COST_MEAN, cust.acq_channel) * rng.lognormal(-0.06, 0.35, n)
    return pd.DataFrame(
        {
            "Customer ID": customer_ids,
            "Customer Name": _customer_names(rng, cust.industry),
            "Acquisition Date": (start + acq_day).astype("datetime64[ns]"),
            "Acquisition Channel": np.array(ACQUISITION_CHANNELS, dtype=object)[cust.acq_channel],
            "Acquisition Cost": np.round(acq_cost, 2),
            "Region": np.array(REGIONS, dtype=object)[cust.region],
            "Industry": np.array(INDUSTRIES, dtype=object)[cust.industry],
            "Category Spend": _category_spend(rng, cust, orders, purchases, acq_day, n_days),
        }
    )


def _service_frame(
    rng: np.random.Generator,
    cust: CustomerDraws,
    orders: OrderDraws,
    returns: Lines,
    customer_ids: np.ndarray,
) -> pd.DataFrame:
    """Cost-to-serve drivers per customer over the whole period."""
    n = cust.first_day.size
    n_orders = np.bincount(orders.cust, minlength=n)
    shipped = np.bincount(orders.cust[orders.channel != ORDER_CHANNELS.index("Store")], minlength=n)
    first_day = np.full(n, np.iinfo(np.int64).max)
    last_day = np.zeros(n, dtype=np.int64)
    np.minimum.at(first_day, orders.cust, orders.day)
    np.maximum.at(last_day, orders.cust, orders.day)
    # Reps and service keep in touch for a while after the last order.
    active_years = (last_day - first_day + 90) / 365.25
    _, first_line = np.unique(returns.doc, return_index=True)
    return_docs = np.bincount(returns.cust[first_line], minlength=n)
    field = cust.main_channel == ORDER_CHANNELS.index("Field sales")
    prospect = np.isin(cust.acq_channel, [2, 3])  # trade-fair and field-sales accounts
    visits_per_year = np.where(field, rng.uniform(4.0, 12.0, n), np.where(prospect, 1.0, 0.05))
    call_rate = cust.needy * (0.25 * n_orders + 1.0 * return_docs)
    call_rate = call_rate + 0.5 * cust.special_terms * active_years
    return pd.DataFrame(
        {
            "Customer ID": customer_ids,
            "Service Calls": rng.poisson(call_rate),
            # Split and back-order shipments add a few deliveries on top of one per order.
            "Deliveries": shipped + rng.binomial(shipped, 0.05),
            "Sales Visits": rng.poisson(visits_per_year * active_years),
            "Special Terms": cust.special_terms.astype(np.int64),
        }
    )


def generate_demo_tables(
    n_customers: int = 4000,
    start: str = "2022-01-01",
    end: str = "2024-12-31",
    seed: int = 7,
    pipeline: bool = True,
) -> dict[str, pd.DataFrame]:
    """Generate a realistic retail export: transactions, customers and cost-to-serve drivers.

    Parameters
    ----------
    n_customers : int, default 4000
        Customers acquired during the period. About 25 transaction rows are produced per
        customer over three years (4,000 customers give roughly 100,000 rows).
    start, end : str, default "2022-01-01", "2024-12-31"
        First and last day of the period (ISO dates, inclusive).
    seed : int, default 7
        Seed of the random generator; the same seed gives identical tables.
    pipeline : bool, default True
        Add the sales pipeline: ``"Opportunities"`` and ``"Opportunity History"``
        (:mod:`cvm_core.intake.demo_pipeline`), drawn from a generator of their own, so the
        other tables are the same with or without them.

    Returns
    -------
    dict[str, pandas.DataFrame]
        ``"Transactions"`` (Order ID, Order Date, Customer ID, Product, Category, Channel,
        Quantity, Unit Price, Revenue, Cost of Goods; returns are rows with negative Quantity,
        Revenue and Cost of Goods and an ``RT-`` order id), ``"Customers"`` (Customer ID,
        Customer Name, Acquisition Date, Acquisition Channel, Acquisition Cost, Region, Industry,
        Category Spend) and ``"Service"`` (Customer ID, Service Calls, Deliveries, Sales Visits,
        Special Terms).

    Raises
    ------
    ValueError
        If ``n_customers`` is below 1 or ``end`` is not after ``start``.

    Notes
    -----
    Each customer gets a weekly purchase rate ~ Gamma(0.8, 1/2.8) and a probability of leaving
    after each purchase ~ Beta(0.5, 1.8) (the first purchase included, as in MBG/NBD), so about
    70% of customers buy again. Everything is computed on whole arrays: 40,000 customers
    (~1M rows) take about a second, 400,000 customers (~10M rows) well under half a minute.
    """
    if int(n_customers) < 1:
        raise ValueError(f"n_customers must be at least 1, got {n_customers}.")
    start_day, end_day = np.datetime64(start, "D"), np.datetime64(end, "D")
    n_days = int((end_day - start_day).astype(np.int64)) + 1
    if n_days < 2:
        raise ValueError(f"end ({end}) must be after start ({start}).")
    rng = np.random.default_rng(seed)
    start_weekday = int((start_day.astype(np.int64) + 3) % 7)  # 1970-01-01 was a Thursday
    cust = draw_customers(rng, int(n_customers), n_days)
    orders = draw_orders(rng, cust, n_days, start_weekday)
    calendar = (start_day + np.arange(n_days)).astype("datetime64[Y]").astype(np.int64)
    purchases = draw_lines(rng, cust, orders, calendar[orders.day] - calendar[0])
    returns = draw_returns(rng, cust, purchases, orders.cust.size, n_days)
    customer_ids = ids("C", np.arange(1, int(n_customers) + 1), 5)
    tables = {
        "Transactions": _transactions_frame(purchases, returns, customer_ids, start_day),
        "Customers": _customers_frame(
            rng, cust, orders, purchases, customer_ids, start_day, n_days
        ),
        "Service": _service_frame(rng, cust, orders, returns, customer_ids),
    }
    if pipeline:
        tables.update(generate_pipeline_tables(tables["Customers"], start, end, seed))
    return tables
