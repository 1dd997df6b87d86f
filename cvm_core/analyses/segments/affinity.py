"""Cross-sell affinity between product categories, at customer level.

A customer "bought" a category when they have at least one purchase line (not a return) in it.
For categories A and B, over the customers in scope who bought at least one category:

* support(A, B) = share of customers who bought both,
* confidence(A -> B) = share of A's buyers who also bought B,
* lift(A, B) = support(A, B) / (support(A) x support(B)): how many times more likely A's buyers are
  to buy B than customers in general (1 = no association; lift is symmetric).

Customers with the same set of categories get the same recommendations, so everything is computed
on the distinct category sets weighted by how many customers hold each (a few hundred sets for a
million customers in typical retail data), with matrix products instead of loops over customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.profitability.drivers import index_positions
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message

MAX_CATEGORIES = 100
"""More categories than this are cut to the most bought ones (the rest are too thin to pair)."""

MIN_PAIR_CUSTOMERS = 5
"""A pair needs at least this many customers who bought both before its lift is trusted."""

MIN_LIFT = 1.0
"""A next-best category must have a lift above this with something the customer bought."""

MIN_CONFIDENCE = 0.2
"""...and at least this share of the buyers of that something must also have bought it. Without it a
rare category wins everywhere: its few buyers are heavy buyers of everything, so its lift with every
other category is high even though few customers ever buy it (the minimum-support/confidence rule of
association-rule mining)."""

PAIR_COLUMNS = (
    "antecedent", "consequent", "customers_both", "antecedent_customers", "consequent_customers",
    "support", "confidence", "lift",
)  # fmt: skip


_NO_CATEGORIES = N_(
    "The data has no product category column, so cross-sell affinity cannot be computed. Map a "
    "category (or product group) column on the Upload page to see it."
)


@dataclass(frozen=True)
class CategoryBaskets:
    """Which categories each customer bought, stored as distinct category sets.

    Attributes
    ----------
    customers : Index
        customer_id of every customer in scope (also those without a categorised purchase).
    categories : Index
        Category names, most bought first.
    sets : ndarray of bool, shape (n_sets, n_categories)
        The distinct category sets.
    set_of_customer : ndarray of int, shape (n_customers,)
        Row of ``sets`` that each customer holds.
    dropped_categories : int
        Categories left out because there were more than ``max_categories``.
    """

    customers: pd.Index
    categories: pd.Index
    sets: np.ndarray
    set_of_customer: np.ndarray
    dropped_categories: int = 0

    def weights(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Customers holding each set, optionally only those where ``mask`` is True."""
        codes = self.set_of_customer if mask is None else self.set_of_customer[mask]
        return np.bincount(codes, minlength=len(self.sets)).astype(float)

    def customer_matrix(self) -> pd.DataFrame:
        """The customer x category boolean matrix (for checks and small data; n x K booleans)."""
        return pd.DataFrame(
            self.sets[self.set_of_customer], index=self.customers, columns=self.categories
        )


def category_baskets(
    transactions: pd.DataFrame,
    customers: pd.Index | None = None,
    max_categories: int = MAX_CATEGORIES,
    customer_codes: np.ndarray | None = None,
) -> CategoryBaskets:
    """Build the customer x category purchase sets.

    Parameters
    ----------
    transactions : DataFrame
        Canonical transactions with customer_id, is_return and category.
    customers : Index, optional
        Customers in scope (e.g. the customer summary's index); default every customer in
        ``transactions``. Customers without a categorised purchase hold the empty set.
    max_categories : int
        Keep at most this many categories, the ones most customers bought.
    customer_codes : ndarray of int, optional
        Position of each transaction's customer in ``customers`` (-1 if absent), when the caller
        has it already: looking up a million string ids is the slowest step here.

    Returns
    -------
    CategoryBaskets

    Raises
    ------
    ValidationError
        When there is no category column or it is empty.
    """
    if "category" not in transactions or transactions["category"].notna().sum() == 0:
        raise ValidationError(Message(_NO_CATEGORIES))
    if customers is None:
        customers = pd.Index(pd.unique(transactions["customer_id"]), name="customer_id")
    selected = ~transactions["is_return"].to_numpy() & transactions["category"].notna().to_numpy()
    if customer_codes is None:
        cust = customers.get_indexer(transactions["customer_id"].to_numpy()[selected])
    else:
        cust = np.asarray(customer_codes)[selected]
    categories = transactions["category"][selected].astype(str)
    return _baskets(customers, cust, categories, max_categories)


def baskets_from_pairs(
    pairs: pd.DataFrame, customers: pd.Index, max_categories: int = MAX_CATEGORIES
) -> CategoryBaskets:
    """:func:`category_baskets` from the ``item_first_periods`` table of categories
    (:mod:`cvm_core.intake.aggregations`, DuckDB or Spark): customer_id, item (a category bought),
    one row per pair."""
    if pairs.empty:
        raise ValidationError(Message(_NO_CATEGORIES))
    cust = index_positions(customers, pairs["customer_id"])
    return _baskets(customers, cust, pairs["item"].astype(str), max_categories)


def _baskets(
    customers: pd.Index, cust: np.ndarray, categories: pd.Series, max_categories: int
) -> CategoryBaskets:
    """The baskets from the (customer position, category) of every categorised purchase."""
    cat_codes, cat_names = pd.factorize(categories)
    keep = cust >= 0
    cust, cat_codes = cust[keep].astype(np.int64), cat_codes[keep]
    matrix, kept = _bought_matrix(
        cust, cat_codes, np.asarray(cat_names), len(customers), max_categories
    )
    sets, set_of_customer = _distinct_rows(matrix)
    return CategoryBaskets(
        customers=customers,
        categories=pd.Index(np.asarray(cat_names, dtype=object)[kept], name="category"),
        sets=sets,
        set_of_customer=set_of_customer,
        dropped_categories=int(len(cat_names) - len(kept)),
    )


_DENSE_CELLS = 100_000_000
"""Customer x category cells up to which the bought-matrix is filled directly (100 MB of booleans)."""


def _bought_matrix(
    cust: np.ndarray, cat: np.ndarray, names: np.ndarray, n: int, max_categories: int
) -> tuple[np.ndarray, np.ndarray]:
    """Customer x kept-category booleans, and the kept category codes, most bought first (equal
    counts by name, so the order is the same on every run)."""
    k = len(names)
    if n * k <= _DENSE_CELLS:
        # Writing True twice is harmless, so repeat purchases need no de-duplication pass.
        full = np.zeros((n, k), dtype=bool)
        full[cust, cat] = True
        buyers = full.sum(axis=0)
        order = np.lexsort((names.astype(str), -buyers))
        kept = order[:max_categories]
        return full[:, kept], kept
    # Many categories: one (customer, category) pair per buyer, so counts are customers.
    pairs = np.unique(cust * k + cat)
    pair_cust, pair_cat = np.divmod(pairs, k)
    buyers = np.bincount(pair_cat, minlength=k)
    order = np.lexsort((names.astype(str), -buyers))
    kept = order[:max_categories]
    rank = np.full(k, -1)
    rank[kept] = np.arange(len(kept))
    new_cat = rank[pair_cat]
    inside = new_cat >= 0
    matrix = np.zeros((n, len(kept)), dtype=bool)
    matrix[pair_cust[inside], new_cat[inside]] = True
    return matrix, kept


def _distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a boolean matrix and each row's position among them."""
    n, k = matrix.shape
    if k <= 20:
        # Each row as a number below 2^20: counting instead of sorting a million rows.
        code = matrix.astype(np.int64) @ (np.int64(1) << np.arange(k, dtype=np.int64))
        present = np.flatnonzero(np.bincount(code, minlength=1 << k))
        lookup = np.empty(1 << k, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        sets = ((present[:, None] >> np.arange(k)) & 1).astype(bool)
        return sets, lookup[code]
    packed = np.packbits(matrix, axis=1)
    width = -(-packed.shape[1] // 8) * 8
    padded = np.zeros((n, max(width, 8)), dtype=np.uint8)
    padded[:, : packed.shape[1]] = packed
    # Bits packed into 64-bit words: one word covers 64 categories, the common case.
    words = padded.view(np.uint64)
    if words.shape[1] == 1:
        _, first, inverse = np.unique(words[:, 0], return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(words, axis=0, return_index=True, return_inverse=True)
    return matrix[first], inverse.reshape(-1)


@dataclass(frozen=True)
class _Counts:
    n: float
    buyers: np.ndarray  # (K,) customers who bought each category
    both: np.ndarray  # (K, K) customers who bought both


def _counts(baskets: CategoryBaskets, mask: np.ndarray | None) -> _Counts:
    weights = baskets.weights(mask)
    weights[~baskets.sets.any(axis=1)] = 0.0  # support counts customers who bought something
    sets = baskets.sets.astype(float)
    return _Counts(
        n=float(weights.sum()), buyers=weights @ sets, both=sets.T @ (sets * weights[:, None])
    )


def pair_affinity(
    baskets: CategoryBaskets,
    mask: np.ndarray | None = None,
    min_customers: int = MIN_PAIR_CUSTOMERS,
) -> pd.DataFrame:
    """Support, confidence and lift of every ordered category pair.

    Parameters
    ----------
    baskets : CategoryBaskets
    mask : ndarray of bool, optional
        Customers in scope (aligned with ``baskets.customers``), e.g. one segment; default all.
    min_customers : int
        Leave out pairs fewer customers than this bought together.

    Returns
    -------
    DataFrame
        Columns :data:`PAIR_COLUMNS`, one row per ordered pair (A -> B and B -> A), highest lift
        first. Empty with these columns when there are fewer than two categories or no pair has
        enough customers.
    """
    c = _counts(baskets, mask)
    k = len(baskets.categories)
    if k < 2 or c.n == 0:
        return pd.DataFrame(columns=list(PAIR_COLUMNS))
    a, b = np.nonzero(~np.eye(k, dtype=bool))
    both = c.both[a, b]
    keep = both >= max(min_customers, 1)
    a, b, both = a[keep], b[keep], both[keep]
    out = pd.DataFrame(
        {
            "antecedent": baskets.categories[a],
            "consequent": baskets.categories[b],
            "customers_both": both.astype(np.int64),
            "antecedent_customers": c.buyers[a].astype(np.int64),
            "consequent_customers": c.buyers[b].astype(np.int64),
            "support": both / c.n,
            "confidence": both / c.buyers[a],
            "lift": both * c.n / (c.buyers[a] * c.buyers[b]),
        }
    )
    return out.sort_values(
        ["lift", "customers_both", "antecedent", "consequent"],
        ascending=[False, False, True, True],
        kind="stable",
    ).reset_index(drop=True)


def top_pairs(pairs: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` highest-lift pairs, each unordered pair once (in its more confident direction)."""
    if pairs.empty:
        return pairs.head(0)
    a = pairs["antecedent"].to_numpy(dtype=object)
    b = pairs["consequent"].to_numpy(dtype=object)
    ranked = pairs.assign(_a=np.where(a < b, a, b), _b=np.where(a < b, b, a)).sort_values(
        ["lift", "confidence", "customers_both"], ascending=False, kind="stable"
    )
    return (
        ranked.drop_duplicates(["_a", "_b"])
        .drop(columns=["_a", "_b"])
        .head(n)
        .reset_index(drop=True)
    )


def categories_per_customer(
    baskets: CategoryBaskets, mask: np.ndarray | None = None
) -> pd.DataFrame:
    """How many customers bought 0, 1, 2, ... categories.

    Returns
    -------
    DataFrame
        Columns categories (int), customers (int), share (of customers in scope); one row per count
        from 0 to the number of categories, zeros included so the chart has no gaps.
    """
    weights = baskets.weights(mask)
    per_set = baskets.sets.sum(axis=1)
    k = len(baskets.categories)
    customers = np.bincount(per_set, weights=weights, minlength=k + 1)[: k + 1]
    total = customers.sum()
    return pd.DataFrame(
        {
            "categories": np.arange(k + 1),
            "customers": customers.astype(np.int64),
            "share": customers / total if total else np.zeros(k + 1),
        }
    )


def next_best_categories(
    baskets: CategoryBaskets,
    min_customers: int = MIN_PAIR_CUSTOMERS,
    min_lift: float = MIN_LIFT,
    min_confidence: float = MIN_CONFIDENCE,
) -> pd.DataFrame:
    """Each customer's next-best category: the highest-lift category they have not bought yet.

    For a customer who bought the set S, a category j outside S scores max over i in S of
    lift(i, j), counting only rules i -> j that at least ``min_customers`` customers followed and
    whose confidence (share of i's buyers who also bought j) is at least ``min_confidence``. The
    best-scoring j is recommended when its lift exceeds ``min_lift``; equal lifts go to the more
    widely bought category.

    Returns
    -------
    DataFrame
        Indexed by customer_id: next_best_category (None when nothing qualifies), lift,
        confidence (share of buyers of ``because_bought`` who also bought it), because_bought.
    """
    k = len(baskets.categories)
    per_set = pd.DataFrame(
        {"next_best_category": None, "lift": np.nan, "confidence": np.nan, "because_bought": None},
        index=np.arange(len(baskets.sets)),
    )
    if k >= 2:
        per_set = _best_per_set(baskets, min_customers, min_lift, min_confidence)
    out = per_set.iloc[baskets.set_of_customer].set_axis(baskets.customers)
    out.index.name = "customer_id"
    return out


def _best_per_set(
    baskets: CategoryBaskets, min_customers: int, min_lift: float, min_confidence: float
) -> pd.DataFrame:
    c = _counts(baskets, None)
    k = len(baskets.categories)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = c.both * c.n / np.outer(c.buyers, c.buyers)
        confidence = c.both / c.buyers[:, None]
    usable = (c.both >= max(min_customers, 1)) & ~np.eye(k, dtype=bool) & (lift > min_lift)
    usable &= np.nan_to_num(confidence) >= min_confidence
    lift = np.where(usable, lift, -np.inf)
    best = np.full(baskets.sets.shape, -np.inf)
    source = np.zeros(baskets.sets.shape, dtype=np.int64)
    for i in range(k):  # K passes over the distinct sets, not over customers
        candidate = np.where(baskets.sets[:, [i]], lift[i], -np.inf)
        better = candidate > best
        best = np.where(better, candidate, best)
        source = np.where(better, i, source)
    best[baskets.sets] = -np.inf
    # Categories are ordered most bought first, so argmax breaks ties towards the popular one.
    choice = best.argmax(axis=1)
    rows = np.arange(len(baskets.sets))
    found = np.isfinite(best[rows, choice])
    because = source[rows, choice]
    names = np.asarray(baskets.categories, dtype=object)
    return pd.DataFrame(
        {
            "next_best_category": np.where(found, names[choice], None),
            "lift": np.where(found, best[rows, choice], np.nan),
            "confidence": np.where(found, confidence[because, choice], np.nan),
            "because_bought": np.where(found, names[because], None),
        }
    )


def recommendation_counts(next_best: pd.DataFrame) -> pd.DataFrame:
    """Customers per next-best category (category, customers, share of all customers), most first;
    customers without a recommendation are counted under "(none)"."""
    chosen = next_best["next_best_category"].fillna("(none)")
    counts = chosen.value_counts()
    return pd.DataFrame(
        {
            "category": counts.index.astype(str),
            "customers": counts.to_numpy(),
            "share": counts.to_numpy() / max(len(chosen), 1),
        }
    )


# --- one-line takeaways (the message a chart's slide carries) ---------------------------------


def lift_takeaway(pairs: pd.DataFrame) -> str:
    """The strongest pair in words, e.g. 'Buyers of Tea are 1.40x as likely ... (62% do).'"""
    top = top_pairs(pairs, 1)
    if top.empty:
        return "No category pair was bought together often enough to measure its lift."
    p = top.iloc[0]
    return (
        f"Buyers of {p['antecedent']} are {p['lift']:.2f}x as likely as the average customer to "
        f"also buy {p['consequent']} ({p['confidence'] * 100:.0f}% of them do)."
    )


def categories_takeaway(distribution: pd.DataFrame) -> str:
    """Mean categories per buying customer and the share who bought from one category only."""
    buyers = distribution[distribution["categories"] > 0]
    total = int(buyers["customers"].sum())
    if total == 0:
        return "No customer in this group bought from a product category."
    mean = float((buyers["categories"] * buyers["customers"]).sum()) / total
    single = int(buyers.loc[buyers["categories"] == 1, "customers"].sum())
    return (
        f"Customers bought from {mean:.1f} categories on average; {single / total * 100:.0f}% "
        "bought from only one, the first cross-sell target."
    )


def next_best_takeaway(counts: pd.DataFrame) -> str:
    """The most offered next-best category and how many customers have no qualifying offer."""
    offered = counts[counts["category"] != "(none)"]
    none = int(counts.loc[counts["category"] == "(none)", "customers"].sum())
    if offered.empty:
        return "No category passes the lift and confidence thresholds for any customer."
    top = offered.iloc[0]
    return (
        f"{top['category']} is the next-best offer for {formatting.counted(int(top['customers']), 'customer')} "
        f"({top['share'] * 100:.0f}%); {none:,} have no offer that qualifies."
    )
