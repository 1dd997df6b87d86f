"""Random draws of the demo data: customers, their orders, order lines and returns. The order of
the draws is fixed, so the same seed gives the same workbook byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cvm_core.intake.demo_world import (
    ACQ_GIVEN_INDUSTRY,
    ACQ_SIZE,
    ACQUISITION_CHANNELS,
    BEHAVIOUR,
    CATEGORIES,
    CATEGORY_AFFINITY,
    INDUSTRIES,
    INDUSTRY_P,
    INDUSTRY_SIZE,
    LIST_PRICE,
    MAIN_CHANNEL_GIVEN_ACQ,
    ORDER_CHANNELS,
    OTHER_CHANNEL_P,
    POPULARITY,
    PRODUCT_CATEGORY,
    REGION_P,
    REGIONS,
    SMALL_ORDER_SIZE,
)

# ---------------------------------------------------------------------------------------------
# Small vectorised helpers
# ---------------------------------------------------------------------------------------------


def _categorical(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one category per item, item ``k`` using the probability row ``probs[rows[k]]``.

    The category is the number of cumulative probabilities at or below a uniform draw. Counting
    one category at a time over a (categories x rows) layout keeps each lookup table small enough
    to stay in cache, which is several times faster than a binary search per item.
    """
    probs = np.asarray(probs, dtype=float)
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    # Where nothing is left after a column, it must read exactly 1 so rounding can never pick a
    # zero-probability category (catalogue rows are padded with zeros).
    left_after = np.zeros_like(cum)
    left_after[:, :-1] = np.cumsum(probs[:, ::-1], axis=1)[:, ::-1][:, 1:]
    cum[left_after == 0] = 1.0
    cum_by_category = np.ascontiguousarray(cum[:, :-1].T)
    u = rng.random(rows.size)
    hit = np.zeros(rows.size, dtype=np.int64)
    for column in cum_by_category:
        hit += u >= column[rows]
    return hit


def _group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at every group of a flat array grouped by ``counts``."""
    total = np.cumsum(values)
    ends = np.cumsum(counts)
    before = np.concatenate(([0.0], total))[ends - counts]
    return total - np.repeat(before, counts)


def ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Business-style identifiers such as ``SO-000123`` as an object array."""
    out = np.empty(numbers.size, dtype=object)
    out[:] = list(map(f"{prefix}%0{width}d".__mod__, numbers.tolist()))
    return out


# ---------------------------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerDraws:
    """Latent and observed customer traits, one array entry per customer."""

    first_day: np.ndarray  # day offset of the first purchase, sorted ascending
    lam: np.ndarray  # purchases per week
    p_drop: np.ndarray  # probability of leaving after a purchase
    industry: np.ndarray
    acq_channel: np.ndarray
    region: np.ndarray
    main_channel: np.ndarray
    size: np.ndarray  # order-size multiplier (quantity per line)
    line_p: np.ndarray  # lines per order = 1 + Binomial(5, line_p)
    category_p: np.ndarray  # (n, n_categories) category mix
    return_p: np.ndarray  # probability that a purchased line is returned
    needy: np.ndarray  # propensity to call customer service
    special_terms: np.ndarray  # bool
    discount: np.ndarray  # discount on list price that comes with special terms


def _acquisition_days(rng: np.random.Generator, n: int, n_days: int) -> np.ndarray:
    """First-purchase days, more early in the period (linearly falling density)."""
    # Inverse CDF of f(x) = e - 2(e-1)x on [0, 1]; e > 1 puts more mass early on.
    e = BEHAVIOUR.early
    v = rng.random(n)
    if e == 1.0:
        x = v
    else:
        x = (e - np.sqrt(e * e - 4.0 * (e - 1.0) * v)) / (2.0 * (e - 1.0))
    return np.sort(np.minimum((x * n_days).astype(np.int64), n_days - 1))


def draw_customers(rng: np.random.Generator, n: int, n_days: int) -> CustomerDraws:
    """Draw all customer-level traits."""
    first_day = _acquisition_days(rng, n, n_days)
    lam = rng.gamma(BEHAVIOUR.r, 1.0 / BEHAVIOUR.alpha, n)
    p_drop = np.clip(rng.beta(BEHAVIOUR.a, BEHAVIOUR.b, n), 1e-6, 1.0)
    industry = rng.choice(len(INDUSTRIES), n, p=INDUSTRY_P)
    acq = _categorical(rng, np.array(ACQ_GIVEN_INDUSTRY), industry)
    region = rng.choice(len(REGIONS), n, p=REGION_P)
    main = _categorical(rng, np.array(MAIN_CHANNEL_GIVEN_ACQ), acq)
    base = rng.gamma(BEHAVIOUR.size_shape, 1.0 / BEHAVIOUR.size_shape, n)
    size = base * np.take(INDUSTRY_SIZE, industry) * np.take(ACQ_SIZE, acq)
    line_p = rng.beta(BEHAVIOUR.line_a, BEHAVIOUR.line_b, n)
    affinity = rng.gamma(np.array(CATEGORY_AFFINITY)[industry])
    category_p = affinity / np.maximum(affinity.sum(axis=1, keepdims=True), 1e-12)
    category_p[category_p.sum(axis=1) == 0, 0] = 1.0  # all-zero draws buy coffee
    small = size < SMALL_ORDER_SIZE
    # Most customers return ~2% of lines; a minority (more of them small) 15-30%.
    heavy = rng.random(n) < np.where(small, 0.30, 0.07)
    return_p = np.where(heavy, rng.uniform(0.15, 0.30, n), rng.beta(2.0, 98.0, n))
    # Skewed: most customers rarely call, a few call all the time (small ones more so).
    needy = rng.gamma(0.5, 1.0 / 0.5, n) * np.where(small, 3.0, 1.0)
    # Large and field-sales accounts negotiate terms; some needy small customers got them too.
    terms_p = (
        0.04
        + 0.30 * (acq == ACQUISITION_CHANNELS.index("Field sales"))
        + 0.12 * (acq == ACQUISITION_CHANNELS.index("Trade fair"))
        + 0.12 * (size > 2.0)
        + 0.15 * (small & (needy > 1.5))
    )
    special = rng.random(n) < terms_p
    discount = np.where(special, rng.uniform(0.04, 0.12, n), 0.0)
    return CustomerDraws(
        first_day, lam, p_drop, industry, acq, region, main, size, line_p, category_p,
        return_p, needy, special, discount,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Orders, lines, returns
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderDraws:
    """One entry per order, in chronological order (index + 1 is the order number)."""

    cust: np.ndarray
    day: np.ndarray
    channel: np.ndarray


@dataclass(frozen=True)
class Lines:
    """One entry per order line (purchases) or returned line (returns)."""

    doc: np.ndarray  # order index (purchases) or return-document index (returns)
    line_no: np.ndarray
    cust: np.ndarray
    day: np.ndarray
    channel: np.ndarray
    product: np.ndarray
    qty: np.ndarray
    unit_price: np.ndarray
    unit_cost: np.ndarray


def _repeat_offsets(
    rng: np.random.Generator, cust: CustomerDraws, n_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate "buy till you die" repeats: (repeats per customer, day offsets after the first).

    While alive, a customer buys as a Poisson process, so the N purchases that would fall inside
    their window are uniform order statistics; leaving after the K-th repeat keeps the first
    min(K, N). The k smallest of N uniforms are S_j / S_(N+1) for cumulative sums S of Exp(1)
    draws, and S_(N+1) - S_k ~ Gamma(N + 1 - k), so only purchases that happen are drawn.
    """
    window_weeks = (n_days - cust.first_day) / 7.0
    n_poisson = rng.poisson(cust.lam * window_weeks)
    # Leaving is possible after every purchase, the first one included (as in MBG/NBD); this
    # gives the one-time buyers real shops have, which a Gamma(0.8) purchase rate alone would not.
    n_before_drop = rng.geometric(cust.p_drop) - 1
    m = np.minimum(n_poisson, n_before_drop)
    s = _group_cumsum(rng.exponential(1.0, int(m.sum())), m)
    has = m > 0
    last = np.zeros(m.size)
    last[has] = s[np.cumsum(m)[has] - 1]
    rest = rng.gamma((n_poisson - m + 1).astype(float))
    u = s / np.repeat(last + rest, m)
    offsets = np.floor(u * np.repeat(window_weeks * 7.0, m)).astype(np.int64)
    return m, offsets


def _move_off_weekends(
    rng: np.random.Generator, day: np.ndarray, channel: np.ndarray, start_weekday: int, n_days: int
) -> np.ndarray:
    """Move offline weekend orders to a weekday of the same week.

    Only the web shop takes orders on Sundays and only the stores open on Saturdays, which gives
    the weekday pattern users expect to see in a sales export.
    """
    weekday = (day + start_weekday) % 7  # Monday = 0
    online = channel == ORDER_CHANNELS.index("Online")
    store = channel == ORDER_CHANNELS.index("Store")
    closed = ~online & ((weekday == 6) | ((weekday == 5) & ~store))
    # Spreading over Monday-Friday (rather than all to Monday) avoids an artificial spike.
    moved = day - weekday + rng.integers(0, 5, day.size)
    return np.clip(np.where(closed, moved, day), 0, n_days - 1)


def draw_orders(
    rng: np.random.Generator, cust: CustomerDraws, n_days: int, start_weekday: int
) -> OrderDraws:
    """First purchases plus simulated repeats, with an ordering channel per order."""
    n = cust.first_day.size
    m, offsets = _repeat_offsets(rng, cust, n_days)
    who = np.concatenate((np.arange(n), np.repeat(np.arange(n), m)))
    day = np.concatenate((cust.first_day, np.repeat(cust.first_day, m) + offsets))
    in_main = rng.random(who.size) < BEHAVIOUR.main_channel_share
    other = rng.choice(len(ORDER_CHANNELS), who.size, p=OTHER_CHANNEL_P)
    channel = np.where(in_main, cust.main_channel[who], other)
    day = _move_off_weekends(rng, day, channel, start_weekday, n_days)
    chrono = np.lexsort((who, day))
    return OrderDraws(who[chrono], day[chrono], channel[chrono])


_CATEGORY_START = np.searchsorted(PRODUCT_CATEGORY, np.arange(len(CATEGORIES)))
_MARGIN = np.array([margin for margin, _ in CATEGORIES.values()])
_LINE_QTY = np.array([qty for _, qty in CATEGORIES.values()])


def _within_group_number(group: np.ndarray) -> np.ndarray:
    """1, 2, 3, ... within runs of equal values of a grouped (contiguous) array."""
    idx = np.arange(group.size)
    first = np.ones(group.size, dtype=bool)
    first[1:] = group[1:] != group[:-1]
    return idx - np.maximum.accumulate(np.where(first, idx, 0)) + 1


def draw_lines(
    rng: np.random.Generator, cust: CustomerDraws, orders: OrderDraws, year: np.ndarray
) -> Lines:
    """Order lines: product from the customer's category mix, quantity from their order size."""
    n_lines = 1 + rng.binomial(5, cust.line_p[orders.cust])
    doc = np.repeat(np.arange(orders.cust.size), n_lines)
    who = orders.cust[doc]
    category = _categorical(rng, cust.category_p, who)
    product = _CATEGORY_START[category] + _categorical(rng, POPULARITY, category)
    # An order lists each product once (an ERP merges repeats into one line); without this, two
    # identical lines would be indistinguishable from a copy-paste duplicate.
    key = doc.astype(np.int64) * (int(product.max()) + 1) + product
    first = np.zeros(doc.size, bool)
    first[np.unique(key, return_index=True)[1]] = True
    doc, who, product, category = doc[first], who[first], product[first], category[first]
    noise = rng.gamma(2.0, 0.5, doc.size)
    qty = 1 + rng.poisson((_LINE_QTY[category] - 1.0) * cust.size[who] * noise)
    # Price lists (and purchase costs) go up every January; special terms discount the price.
    price_index = (1.0 + BEHAVIOUR.inflation) ** year[doc]
    list_price = LIST_PRICE[product] * price_index
    unit_price = np.round(list_price * (1.0 - cust.discount[who]), 2)
    unit_cost = list_price * (1.0 - _MARGIN[category])
    return Lines(
        doc, _within_group_number(doc), who, orders.day[doc], orders.channel[doc], product,
        qty, unit_price, unit_cost,
    )  # fmt: skip


def draw_returns(
    rng: np.random.Generator, cust: CustomerDraws, lines: Lines, n_orders: int, n_days: int
) -> Lines:
    """Returned lines, grouped into one return document per original order.

    Only returns that arrive within the period are kept; quantities are positive here and turned
    negative when the table is built.
    """
    returned = rng.random(lines.doc.size) < cust.return_p[lines.cust]
    delay = rng.integers(3, 31, n_orders)  # days between purchase and return, per order
    ret_day = lines.day + delay[lines.doc]
    idx = np.flatnonzero(returned & (ret_day <= n_days - 1))
    qty = lines.qty[idx]
    partial = np.minimum(1 + np.floor(rng.random(idx.size) * qty).astype(np.int64), qty)
    qty = np.where(rng.random(idx.size) < 0.6, qty, partial)
    # Number return documents in the order they arrive.
    orders_back, first = np.unique(lines.doc[idx], return_index=True)
    chrono = np.lexsort((orders_back, ret_day[idx][first]))
    doc_no = np.empty(orders_back.size, dtype=np.int64)
    doc_no[chrono] = np.arange(orders_back.size)
    doc = doc_no[np.searchsorted(orders_back, lines.doc[idx])]
    return Lines(
        doc, _within_group_number(lines.doc[idx]), lines.cust[idx], ret_day[idx],
        lines.channel[idx], lines.product[idx], qty, lines.unit_price[idx], lines.unit_cost[idx],
    )  # fmt: skip
