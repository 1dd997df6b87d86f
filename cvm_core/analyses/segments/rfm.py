"""Customer segments: RFM scores and named segments, behavioural clusters, contribution by segment.

RFM (recency, frequency, monetary value) scores each customer 1-5 on each measure by quintiles of
the customer base; the recency score and the combined frequency-monetary score then place the
customer in a named segment (Champions, At risk, ...) through a grid that is a parameter.

Clusters come from k-means on log-transformed, standardised recency, frequency, monetary value and
any numeric customer attributes chosen. They are named by their profile ("High value, frequent,
recent"), never by the arbitrary label numbers k-means hands out, so the same customers get the
same names on every run.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from cvm_core.analyses.segments import affinity
from cvm_core.errors import ModelError, ValidationError
from cvm_core.formatting import count, pct
from cvm_core.intake.schema import CUSTOMER_ROLES

# --- RFM --------------------------------------------------------------------------------------

N_SCORES = 5

RFM_SEGMENT_GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("New", "Potential loyalists", "Potential loyalists", "Champions", "Champions"),
    4: ("Promising", "Potential loyalists", "Potential loyalists", "Loyal", "Champions"),
    3: ("About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"),
    2: ("Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"),
    1: ("Lost", "Lost", "At risk", "At risk", "Can't lose them"),
}
"""Named segment of every (R score, FM score) cell: keys are R scores, tuple positions FM scores
1..5. FM is the rounded-up mean of the F and M scores. Modelled on the widely used R x FM grid."""

RFM_SEGMENT_ORDER: tuple[str, ...] = (
    "Champions", "Loyal", "Potential loyalists", "New", "Promising", "Need attention",
    "About to sleep", "At risk", "Can't lose them", "Hibernating", "Lost",
)  # fmt: skip
"""Order in which segments are listed (names missing here follow in grid order)."""

RFM_SEGMENT_DESCRIPTIONS: dict[str, str] = {
    "Champions": "Bought recently, buy often, spend the most. Reward them; ask for referrals.",
    "Loyal": "Buy often and spend well. Offer loyalty benefits and upgrades.",
    "Potential loyalists": "Recent customers with some repeat buying. Offer membership or bundles.",
    "New": "Bought for the first time recently. Onboard them well.",
    "Promising": "Recent but low spend. Build the habit with targeted offers.",
    "Need attention": "Average on every measure and slipping. Reactivate with limited offers.",
    "About to sleep": "Below average and fading. Share popular products; win them back now.",
    "At risk": "Spent well and bought often, but long ago. Send personal win-back offers.",
    "Can't lose them": "Top spenders who have not come back. Contact them personally.",
    "Hibernating": "Low spend, few orders, long ago. Offer relevant products at low cost.",
    "Lost": "Lowest on every measure. Try one reactivation, then stop spending on them.",
}

FREQUENCY_MEASURES: dict[str, str] = {"orders": "orders", "purchase_days": "purchase days"}
"""Summary columns that can serve as F, with the word shown to users."""

RFM_COLUMNS = (
    "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "fm_score",
    "rfm_code", "rfm_segment",
)  # fmt: skip


@dataclass(frozen=True)
class RFMResult:
    """RFM scores and segments.

    Attributes
    ----------
    table : DataFrame
        Indexed by customer_id; columns :data:`RFM_COLUMNS`. recency_days: days from the last
        purchase to the observation end; frequency: orders or purchase days; monetary: net
        revenue; *_score: 1 (worst) to 5 (best); rfm_segment: ordered categorical.
    notes : tuple of str
        What users should know about the scores (small data, ties, returns).
    grid : dict
        The segment grid used.
    frequency : str
        The summary column used as F ("orders" or "purchase_days").
    """

    table: pd.DataFrame
    notes: tuple[str, ...]
    grid: Mapping[int, Sequence[str]]
    frequency: str = "orders"


def quantile_scores(keys: Sequence[np.ndarray], n_scores: int = N_SCORES) -> np.ndarray:
    """Scores 1..n_scores by rank, each score holding an equal share of customers.

    Parameters
    ----------
    keys : sequence of arrays
        Sort keys, primary first, each ascending = better. Later keys break ties of earlier ones,
        and remaining ties go by position, so equal values never pile into one score.
    n_scores : int

    Returns
    -------
    ndarray of int
        Customer at (0-based) rank p of n gets floor((p + 1/2) * n_scores / n) + 1, the score of
        the quantile bin holding the middle of its rank. With fewer customers than scores that
        spreads them evenly over the range (3 customers: 1, 3, 5). If the primary key is the same
        for everyone it carries no information and everyone gets the middle score.
    """
    primary = np.asarray(keys[0])
    n = len(primary)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if np.all(primary == primary[0]):
        return np.full(n, (n_scores + 1) // 2, dtype=np.int64)
    order = _sort_order([np.asarray(k) for k in keys])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    # Integer arithmetic: (2p + 1) * n_scores / (2n) never lands exactly on a bin edge.
    return (2 * rank + 1) * n_scores // (2 * n) + 1


_SMALL_RANGE = 1 << 22


def _ordinal_codes(key: np.ndarray) -> tuple[np.ndarray, int]:
    """Integers in the same order as ``key`` (equal values equal), and how many values they span.

    Whole numbers with a small range (days, orders) are just shifted, which costs no sort; other
    keys (money) get dense ranks from one sort.
    """
    if key.dtype.kind in "iub":
        low, high = int(key.min()), int(key.max())
        if high - low < _SMALL_RANGE:
            return key.astype(np.int64) - low, high - low + 1
    _, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    return inverse, int(inverse.max()) + 1


def _sort_order(keys: list[np.ndarray]) -> np.ndarray:
    """The order of np.lexsort (primary key first here; remaining ties by position), computed as
    one stable sort of a combined integer key when it fits in 63 bits: several times faster than
    lexsort over three keys of a million customers."""
    coded = [_ordinal_codes(key) for key in keys]
    if np.prod([float(size) for _, size in coded]) >= 2.0**62:
        return np.lexsort(list(reversed(keys)))
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    for code, size in coded:  # mixed radix: primary key in the highest digits
        combined = combined * size + code
    return np.argsort(combined, kind="stable")


def _check_grid(grid: Mapping[int, Sequence[str]]) -> None:
    if sorted(grid) != list(range(1, N_SCORES + 1)) or any(
        len(r) != N_SCORES for r in grid.values()
    ):
        raise ValidationError(
            "The RFM segment map must name a segment for every R score 1-5 and FM score 1-5."
        )
    for r in range(N_SCORES, 0, -1):
        for fm, name in enumerate(grid[r], start=1):
            if not isinstance(name, str) or not name.strip():
                raise ValidationError(
                    f"The RFM segment map has no segment name for R = {r}, FM = {fm}. Type a name "
                    "into that cell, or reset the map to the default."
                )


def grid_from_frame(frame: pd.DataFrame) -> dict[int, tuple[str, ...]]:
    """Read a segment map edited in the layout of :func:`segment_grid_frame` (rows R = 5..1,
    columns FM = 1..5) back into a grid; names are stripped of surrounding spaces.

    Raises
    ------
    ValidationError
        When the table is not 5 x 5 or a cell is empty.
    """
    if frame.shape != (N_SCORES, N_SCORES):
        raise ValidationError("The RFM segment map must have 5 rows (R = 5..1) and 5 columns (FM).")
    cells = frame.to_numpy(dtype=object)
    grid = {
        N_SCORES - i: tuple(str(v).strip() if isinstance(v, str) else "" for v in cells[i])
        for i in range(N_SCORES)
    }
    _check_grid(grid)
    return grid


def segment_order(
    grid: Mapping[int, Sequence[str]], order: Sequence[str] = RFM_SEGMENT_ORDER
) -> list[str]:
    """Segment names of ``grid``, listed in ``order`` first, others in grid order."""
    names = list(dict.fromkeys(name for r in sorted(grid, reverse=True) for name in grid[r]))
    return [n for n in order if n in names] + [n for n in names if n not in order]


def rfm_scores(
    summary: pd.DataFrame,
    observation_end: pd.Timestamp | str | None = None,
    frequency: str = "orders",
    grid: Mapping[int, Sequence[str]] = RFM_SEGMENT_GRID,
    order: Sequence[str] = RFM_SEGMENT_ORDER,
) -> RFMResult:
    """Score customers 1-5 on recency, frequency and monetary value and name their segment.

    Parameters
    ----------
    summary : DataFrame
        From :func:`cvm_core.intake.summary.customer_summary` (last_purchase, orders, purchase_days,
        net_revenue).
    observation_end : Timestamp or str, optional
        Recency is counted in days up to this date; default the last purchase in ``summary``.
    frequency : {"orders", "purchase_days"}
        What counts as a purchase for F.
    grid : mapping
        Segment of each (R, FM) cell, see :data:`RFM_SEGMENT_GRID`.
    order : sequence of str
        Display order of the segments.

    Returns
    -------
    RFMResult

    Notes
    -----
    Scores are quintiles of rank, so each score holds a fifth of customers. Customers with equal
    values are ordered by their other measures (frequency ties by spend, spend ties by frequency,
    recency ties by frequency then spend) and then by customer id, which keeps scores balanced
    when, say, half the customers bought once.
    """
    if frequency not in FREQUENCY_MEASURES:
        raise ValidationError(
            f"Frequency must be one of {', '.join(FREQUENCY_MEASURES)}; got '{frequency}'."
        )
    missing = {"last_purchase", frequency, "net_revenue"} - set(summary.columns)
    if missing:
        raise ValidationError(f"The customer summary lacks {', '.join(sorted(missing))}.")
    if summary.empty:
        raise ValidationError("There are no customers to score.")
    if not (summary[frequency] > 0).any():
        raise ValidationError(
            "Every transaction up to the observation end is a return, so there are no purchases "
            "to segment. Check the return flag or revenue sign mapping on the Upload page, or move "
            "the observation end."
        )
    _check_grid(grid)
    end = (
        pd.Timestamp(observation_end)
        if observation_end is not None
        else summary["last_purchase"].max()
    )
    last = summary["last_purchase"].to_numpy().astype("datetime64[D]")
    recency = np.maximum((np.datetime64(end, "D") - last).astype(np.int64), 0)
    freq = summary[frequency].to_numpy(dtype=np.int64)
    money = summary["net_revenue"].to_numpy(dtype=float)
    # Spend ranked once (equal amounts equal) so the three scores below need no further sort of it.
    money_rank = _ordinal_codes(money)[0]
    r = quantile_scores([-recency, freq, money_rank])
    f = quantile_scores([freq, money_rank, -recency])
    m = quantile_scores([money_rank, freq, -recency])
    fm = (f + m + 1) // 2
    names = segment_order(grid, order)
    # Categorical codes straight from the 25 cells and 125 score triples: no per-customer strings.
    cell_code = np.array([[names.index(grid[r][c]) for c in range(N_SCORES)] for r in range(1, 6)])
    triples = [f"{a}{b}{c}" for a in range(1, 6) for b in range(1, 6) for c in range(1, 6)]
    table = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": freq,
            "monetary": money,
            "r_score": r,
            "f_score": f,
            "m_score": m,
            "fm_score": fm,
            "rfm_code": pd.Categorical.from_codes(
                (r - 1) * 25 + (f - 1) * 5 + (m - 1), categories=triples
            ),
            "rfm_segment": pd.Categorical.from_codes(
                cell_code[r - 1, fm - 1], categories=names, ordered=True
            ),
        },
        index=summary.index,
    )
    return RFMResult(table, tuple(_rfm_notes(table, frequency)), grid, frequency)


def _rfm_notes(table: pd.DataFrame, frequency: str) -> list[str]:
    n = len(table)
    notes = []
    if n < N_SCORES:
        notes.append(
            f"Only {n} customer{'s' if n != 1 else ''}: scores are spread over 1-5 by rank, so "
            "the segments are indicative only."
        )
    words = {
        "recency_days": ("days since the last purchase", "R", "orders, then spend"),
        "frequency": (FREQUENCY_MEASURES[frequency], "F", "spend"),
        "monetary": ("net revenue", "M", FREQUENCY_MEASURES[frequency]),
    }
    for column, (label, letter, tiebreak) in words.items():
        counts = table[column].value_counts()
        top = int(counts.iloc[0])
        mode = float(counts.index[counts.to_numpy() == top].min())
        shown = count(mode) if column != "monetary" else f"{mode:,.2f}"
        if len(counts) == 1 and n > 1:
            notes.append(
                f"All customers have the same {label} ({shown}): it cannot tell them apart, so "
                f"everyone gets {letter} = 3."
            )
        elif top / n > 1 / N_SCORES and n >= N_SCORES:
            notes.append(
                f"{pct(top / n, 0)} of customers have the same {label} ({shown}); they are ordered "
                f"by {tiebreak} so that each {letter} score still holds about a fifth of customers."
            )
    only_returns = int((table["frequency"] == 0).sum())
    if only_returns:
        notes.append(
            f"{count(only_returns)} customer{'s' if only_returns != 1 else ''} only returned goods in "
            "this period (no purchase): they get the lowest F and M scores. Their purchases may lie "
            "before the data starts; check the return flag if this looks wrong."
        )
    non_positive = int(((table["monetary"] <= 0) & (table["frequency"] > 0)).sum())
    if non_positive:
        notes.append(
            f"{count(non_positive)} customer{'s' if non_positive != 1 else ''} returned as much as "
            "they bought or more (net revenue of zero or less) and get the lowest M scores."
        )
    return notes


def segment_grid_frame(grid: Mapping[int, Sequence[str]] = RFM_SEGMENT_GRID) -> pd.DataFrame:
    """The segment map as a table: rows R = 5..1, columns FM = 1..5 (for showing it to users)."""
    _check_grid(grid)
    return pd.DataFrame(
        [list(grid[r]) for r in range(N_SCORES, 0, -1)],
        index=pd.Index([f"R = {r}" for r in range(N_SCORES, 0, -1)], name="Recency score"),
        columns=[f"FM = {s}" for s in range(1, N_SCORES + 1)],
    )


def grid_cells(rfm: RFMResult) -> pd.DataFrame:
    """Customers in each of the 25 (R, FM) cells with the cell's segment (for the grid chart)."""
    table = rfm.table
    counts = np.bincount(
        (table["r_score"] - 1) * N_SCORES + table["fm_score"] - 1, minlength=N_SCORES**2
    )
    r, fm = np.divmod(np.arange(N_SCORES**2), N_SCORES)
    return pd.DataFrame(
        {
            "r_score": r + 1,
            "fm_score": fm + 1,
            "segment": [rfm.grid[a + 1][b] for a, b in zip(r, fm, strict=True)],
            "customers": counts,
            "share": counts / max(len(table), 1),
        }
    )


# --- clustering -------------------------------------------------------------------------------

RFM_FEATURES = ("recency_days", "frequency", "monetary")
FEATURE_LABELS = {
    "recency_days": "Days since last purchase",
    "frequency": "Orders",
    "monetary": "Net revenue",
}
K_RANGE = (2, 8)
SILHOUETTE_SAMPLE = 10_000
"""k is chosen on a random sample of at most this many customers (silhouette costs n squared)."""
MINIBATCH_ABOVE = 100_000
"""Above this many customers the final model is mini-batch k-means, started from the sample's
centres: full k-means passes over every customer many times for the same partition."""

_VALUE_WORDS = ("Low value", "Mid value", "High value")
_FREQUENCY_WORDS = ("one-off", "occasional", "frequent")
_RECENCY_WORDS = ("recent", "lapsing", "lapsed")
_QUALIFIERS = {  # (higher, lower, noun) for telling apart clusters with the same name
    "monetary": ("higher spend", "lower spend", "spend"),
    "frequency": ("more orders", "fewer orders", "orders"),
    "recency_days": ("less recent", "more recent", "days since last purchase"),
    "acquisition_cost": ("higher acquisition cost", "lower acquisition cost", "acquisition cost"),
    "category_spend": ("larger wallet", "smaller wallet", "wallet"),
}


def signed_log1p(x: np.ndarray) -> np.ndarray:
    """log(1 + |x|) with the sign of x: tames long tails and keeps negative net revenue negative."""
    return np.sign(x) * np.log1p(np.abs(x))


def silhouette_by_k(z: np.ndarray, labels: Mapping[int, np.ndarray], chunk: int = 512) -> pd.Series:
    """Mean silhouette coefficient of several labelings of the same points, in one pass.

    Identical to :func:`sklearn.metrics.silhouette_score` (Euclidean), but the pairwise distances,
    the expensive part, are computed once for all labelings instead of once per k, and summed per
    cluster with one matrix product per block of rows.

    Parameters
    ----------
    z : ndarray, shape (n, d)
    labels : mapping k -> ndarray of int labels 0..k-1, shape (n,)

    Returns
    -------
    Series
        Silhouette per k (index k).
    """
    n = len(z)
    ks = list(labels)
    sizes = [int(labels[k].max()) + 1 for k in ks]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    onehot = np.zeros((n, offsets[-1]))
    for j, k in enumerate(ks):
        onehot[np.arange(n), offsets[j] + labels[k]] = 1.0
    sums = np.empty((n, offsets[-1]))
    squared = (z**2).sum(axis=1)
    for start in range(0, n, chunk):
        block = z[start : start + chunk]
        d2 = squared[start : start + chunk, None] + squared[None, :] - 2.0 * block @ z.T
        sums[start : start + chunk] = np.sqrt(np.maximum(d2, 0.0)) @ onehot
    scores = {}
    rows = np.arange(n)
    for j, k in enumerate(ks):
        lab = labels[k]
        s = sums[:, offsets[j] : offsets[j + 1]]
        size = np.bincount(lab, minlength=sizes[j]).astype(float)
        own = size[lab]
        a = np.divide(s[rows, lab], own - 1, out=np.zeros(n), where=own > 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_other = s / size
        mean_other[rows, lab] = np.inf
        mean_other[:, size == 0] = np.inf
        b = mean_other.min(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            sil = np.where(own > 1, (b - a) / np.maximum(a, b), 0.0)
        scores[k] = float(np.nan_to_num(sil).mean())
    return pd.Series(scores, name="silhouette").rename_axis("k")


class CustomerClusters:
    """k-means segments of customers, named by their profile.

    Pipeline: median imputation (attributes missing for some customers), signed log1p, standard
    scaling, k-means. k is chosen by the silhouette over ``k_range`` on a random sample of at most
    ``sample_size`` customers, unless ``n_clusters`` is given.

    Parameters
    ----------
    n_clusters : int, optional
        Fixed number of clusters; default chosen by silhouette.
    k_range : (int, int)
        Smallest and largest k tried.
    sample_size : int
        Customers sampled for the k search.
    minibatch_above : int
        Use mini-batch k-means for the final model above this many customers.
    random_state : int

    Attributes
    ----------
    features_ : list of str
        Columns used (constant columns are left out).
    n_clusters_ : int
    silhouette_ : Series
        Mean silhouette per k tried (on the sample).
    sample_size_ : int
    algorithm_ : str
        "k-means" or "mini-batch k-means".
    pipeline_ : sklearn Pipeline
    names_ : list of str
        Cluster name of each k-means label.
    order_ : list of str
        Cluster names, highest mean net revenue first.
    labels_ : Series
        Cluster name per customer (ordered categorical), indexed like the training frame.
    notes_ : list of str
    """

    def __init__(
        self,
        n_clusters: int | None = None,
        k_range: tuple[int, int] = K_RANGE,
        sample_size: int = SILHOUETTE_SAMPLE,
        minibatch_above: int = MINIBATCH_ABOVE,
        random_state: int = 0,
    ):
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.sample_size = sample_size
        self.minibatch_above = minibatch_above
        self.random_state = random_state

    def fit(self, features: pd.DataFrame) -> CustomerClusters:
        """Fit on a frame indexed by customer with recency_days, frequency, monetary (+ numeric
        attributes); returns self."""
        frame = _check_features(features)
        self.notes_ = []
        self.features_ = self._usable(frame)
        # The median imputer (for attributes some customers lack) sorts every column: at a million
        # customers that is most of the preparation time, so it joins only when a value is missing.
        missing = bool(frame[self.features_].isna().to_numpy().any())
        prep = Pipeline(
            [("impute", SimpleImputer(strategy="median"))] * missing
            + [("log", FunctionTransformer(signed_log1p)), ("scale", StandardScaler())]
        )
        # Small k-means fits lose more to thread start-up and contention than they gain from
        # threads; on this shared 2-core machine single-threaded was 15-30x faster.
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            z = prep.fit_transform(frame[self.features_].to_numpy(dtype=float))
            model = self._fit_kmeans(z)
        self.pipeline_ = Pipeline([*prep.steps, ("kmeans", model)])
        self.names_, self.order_ = name_clusters(
            frame, model.labels_, model.cluster_centers_, self.features_
        )
        names = np.asarray(self.names_, dtype=object)[model.labels_]
        self.labels_ = pd.Series(
            pd.Categorical(names, categories=self.order_, ordered=True),
            index=frame.index,
            name="cluster",
        )
        return self

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Cluster name of each customer in ``features`` (same columns as in ``fit``)."""
        frame = _check_features(features)
        with threadpool_limits(limits=1):
            labels = self.pipeline_.predict(frame[self.features_].to_numpy(dtype=float))
        names = np.asarray(self.names_, dtype=object)[labels]
        return pd.Series(
            pd.Categorical(names, categories=self.order_, ordered=True),
            index=frame.index,
            name="cluster",
        )

    def _usable(self, frame: pd.DataFrame) -> list[str]:
        used = []
        for column in frame.columns:
            if frame[column].nunique(dropna=True) > 1:
                used.append(column)
                continue
            label = FEATURE_LABELS.get(column, column)
            self.notes_.append(
                f"All customers have the same {label.lower()}, so it was left out of clustering."
            )
        if not used:
            raise ModelError(
                "All customers look the same on every measure chosen, so there are no groups to "
                "find. Add customer attributes or use more data."
            )
        return used

    def _k_values(self, n: int, distinct: int) -> list[int]:
        low, high = self.k_range
        values = list(range(max(low, 2), min(high, distinct, n - 1) + 1))
        if self.n_clusters is not None:
            k = int(self.n_clusters)
            if k < 2:
                raise ModelError("Choose at least 2 clusters.")
            if k > distinct:
                who = (
                    f"{count(n)} customers"
                    if distinct == n
                    else f"{count(distinct)} distinct customer profiles"
                )
                raise ModelError(
                    f"There are only {who}, fewer than the {k} clusters asked for. Choose at most "
                    f"{distinct} clusters, or let the page choose."
                )
        elif not values:
            raise ModelError(
                f"Clustering needs at least 3 customers with different profiles; there "
                f"{'is' if distinct == 1 else 'are'} only {distinct} here."
            )
        return values

    def _fit_kmeans(self, z: np.ndarray) -> KMeans | MiniBatchKMeans:
        n = len(z)
        rng = np.random.default_rng(self.random_state)
        sample = np.sort(rng.choice(n, size=min(n, self.sample_size), replace=False))
        zs = z[sample]
        distinct = _distinct_rows(zs)
        if distinct < min(self.k_range[1], n) and len(zs) < n:
            distinct = _distinct_rows(z)
        values = self._k_values(n, distinct)
        fits = {k: KMeans(k, n_init=4, random_state=self.random_state).fit(zs) for k in values}
        self.sample_size_ = len(zs)
        self.silhouette_ = (
            silhouette_by_k(zs, {k: m.labels_ for k, m in fits.items()})
            if fits
            else pd.Series(dtype=float)
        )
        k = int(self.n_clusters) if self.n_clusters is not None else int(self.silhouette_.idxmax())
        self.n_clusters_ = k
        self.algorithm_ = "k-means"
        if len(zs) == n and k in fits:
            return fits[k]
        init = fits[k].cluster_centers_ if k in fits else "k-means++"
        n_init = 1 if k in fits else 4
        if n > self.minibatch_above:
            self.algorithm_ = "mini-batch k-means"
            return MiniBatchKMeans(
                k, init=init, n_init=n_init, batch_size=4096, random_state=self.random_state
            ).fit(z)
        return KMeans(k, init=init, n_init=n_init, random_state=self.random_state).fit(z)


def _check_features(features: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in RFM_FEATURES if c not in features.columns]
    if missing:
        raise ValidationError(f"Clustering needs the columns {', '.join(missing)}.")
    if len(features) == 0:
        raise ModelError("There are no customers to cluster.")
    numeric = features.apply(pd.to_numeric, errors="coerce")
    return numeric.replace([np.inf, -np.inf], np.nan)


def _distinct_rows(z: np.ndarray) -> int:
    return len(np.unique(np.round(z, 9), axis=0))


def _level(value: float, low: float, high: float) -> int:
    return 0 if value <= low else 2 if value > high else 1


def _base_names(frame: pd.DataFrame, labels: np.ndarray, k: int) -> list[str]:
    medians = frame[list(RFM_FEATURES)].groupby(labels).median().reindex(range(k))
    q = frame[list(RFM_FEATURES)].quantile([1 / 3, 2 / 3])
    names = []
    for _, row in medians.iterrows():
        value = _VALUE_WORDS[_level(row["monetary"], *q["monetary"])]
        freq = 0 if row["frequency"] <= 1 else 1 + (row["frequency"] > q["frequency"].iloc[1])
        recency = _RECENCY_WORDS[_level(row["recency_days"], *q["recency_days"])]
        names.append(f"{value}, {_FREQUENCY_WORDS[freq]}, {recency}")
    return names


def _ordinal(i: int) -> str:
    suffix = "th" if 10 <= i % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(i % 10, "th")
    return f"{i}{suffix}"


def _qualifiers(group: list[int], centres: np.ndarray, features: list[str]) -> dict[int, str]:
    """Tell apart clusters that got the same name by the measure on which they differ most."""
    spread = centres[group].max(axis=0) - centres[group].min(axis=0)
    dim = int(spread.argmax())
    column = features[dim]
    label = str(column).lower()
    up, down, noun = _QUALIFIERS.get(column, (f"higher {label}", f"lower {label}", label))
    ranked = sorted(group, key=lambda g: (-centres[g, dim], g))
    if len(ranked) == 2:
        return {ranked[0]: up, ranked[1]: down}
    words = {g: f"{_ordinal(i + 1)} highest {noun}" for i, g in enumerate(ranked)}
    words[ranked[0]], words[ranked[-1]] = f"highest {noun}", f"lowest {noun}"
    return words


def name_clusters(
    frame: pd.DataFrame, labels: np.ndarray, centres: np.ndarray, features: list[str]
) -> tuple[list[str], list[str]]:
    """Name clusters by profile: value (median net revenue vs the customer base's terciles),
    frequency (one-off if the median customer bought once) and recency (median days since the last
    purchase vs terciles). Clusters with equal names get a qualifier on the measure where their
    centres differ most.

    Returns
    -------
    names : list of str
        Name of each label 0..k-1 (unique).
    order : list of str
        The names, highest mean net revenue first.
    """
    k = len(centres)
    names = _base_names(frame, labels, k)
    groups: dict[str, list[int]] = {}
    for label, name in enumerate(names):
        groups.setdefault(name, []).append(label)
    for name, group in groups.items():
        if len(group) > 1:
            for label, word in _qualifiers(group, centres, features).items():
                names[label] = f"{name} ({word})"
    mean_value = frame["monetary"].groupby(labels).mean().reindex(range(k))
    median_value = frame["monetary"].groupby(labels).median().reindex(range(k))
    order = sorted(range(k), key=lambda g: (-mean_value[g], -median_value[g], names[g]))
    return names, [names[g] for g in order]


# --- contribution and customer attributes -----------------------------------------------------

NOT_RECORDED = "(not recorded)"
CATEGORICAL_ROLES = ("region", "industry", "acquisition_channel")
MAX_GROUP_LEVELS = 30
"""Attributes with more distinct values than this are not offered as a breakdown."""


def segment_contribution(
    summary: pd.DataFrame, groups: pd.Series, features: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Customers, net revenue and margin of each group, with their shares of the total.

    Parameters
    ----------
    summary : DataFrame
        The customer summary (net_revenue, cost, margin).
    groups : Series
        Group of each customer (indexed by customer_id); missing -> "(not recorded)". An ordered
        categorical keeps its order; otherwise groups are sorted by net revenue, largest first.
    features : DataFrame, optional
        Per-customer measures (e.g. recency_days, frequency, monetary) whose means are added as
        ``avg_<column>``.

    Returns
    -------
    DataFrame
        segment, customers, customer_share, net_revenue, revenue_share, revenue_per_customer, and
        margin, margin_share when cost of goods is known. Shares are NaN when the total is not
        positive.
    """
    keys = groups.reindex(summary.index)
    ordered = isinstance(keys.dtype, pd.CategoricalDtype) and keys.cat.ordered
    if isinstance(keys.dtype, pd.CategoricalDtype):
        keys = (
            keys.cat.add_categories([NOT_RECORDED])
            if NOT_RECORDED not in keys.cat.categories
            else keys
        )
    keys = keys.fillna(NOT_RECORDED)
    has_margin = bool(summary["cost"].notna().any()) if "cost" in summary else False
    values = pd.DataFrame(
        {"customers": 1, "net_revenue": summary["net_revenue"]}, index=summary.index
    )
    if has_margin:
        values["margin"] = summary["margin"]
    if features is not None:
        for column in features.columns:
            values[f"avg_{column}"] = features[column].reindex(summary.index)
    grouped = values.groupby(keys.to_numpy(), observed=True, sort=False)
    out = grouped[["customers", "net_revenue", *(["margin"] if has_margin else [])]].sum()
    means = grouped[[c for c in values.columns if c.startswith("avg_")]].mean()
    out = out.join(means)
    out.index.name = "segment"
    if ordered:
        out = out.reindex([c for c in keys.cat.categories if c in out.index])
    else:
        out = out.sort_values("net_revenue", ascending=False, kind="stable")
    out["customer_share"] = out["customers"] / len(summary)
    out["revenue_share"] = _share(out["net_revenue"])
    out["revenue_per_customer"] = out["net_revenue"] / out["customers"]
    if has_margin:
        out["margin_share"] = _share(out["margin"])
    first = ["customers", "customer_share", "net_revenue", "revenue_share", "revenue_per_customer"]
    first += ["margin", "margin_share"] if has_margin else []
    out = out[first + [c for c in out.columns if c not in first]]
    out["customers"] = out["customers"].astype(np.int64)
    return out.reset_index()


def _share(values: pd.Series) -> pd.Series:
    total = values.sum()
    return values / total if total > 0 else values * np.nan


def main_channel(
    transactions: pd.DataFrame, customers: pd.Index, customer_codes: np.ndarray | None = None
) -> pd.Series:
    """Each customer's main channel: the one with the most gross purchase revenue (ties: by name).

    Parameters
    ----------
    transactions : DataFrame
        Canonical transactions (customer_id, revenue, is_return, channel).
    customers : Index
        The customers to report on.
    customer_codes : ndarray of int, optional
        Position of each transaction's customer in ``customers`` (-1 if absent), if known.

    Returns
    -------
    Series
        Indexed like ``customers``; "(not recorded)" where a customer has no channel.
    """
    out = pd.Series(NOT_RECORDED, index=customers, name="main_channel", dtype=object)
    if "channel" not in transactions:
        return out
    selected = ~transactions["is_return"].to_numpy() & transactions["channel"].notna().to_numpy()
    if customer_codes is None:
        cust = customers.get_indexer(transactions["customer_id"].to_numpy()[selected])
    else:
        cust = np.asarray(customer_codes)[selected]
    channel, names = pd.factorize(transactions["channel"][selected].astype(str), sort=True)
    keep = cust >= 0
    if not keep.any():
        return out
    key = cust[keep].astype(np.int64) * len(names) + channel[keep]
    revenue = transactions["revenue"].to_numpy(float)[selected][keep]
    who, which = _top_channel(key, revenue, len(customers), len(names))
    out.iloc[who] = np.asarray(names, dtype=object)[which]
    return out


def _top_channel(
    key: np.ndarray, revenue: np.ndarray, n: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Customers with a channel and the index of their top channel by revenue (channel index order
    breaks ties). ``key`` is customer * k + channel per line."""
    if n * k <= 10_000_000:
        # Few channels: a dense customer x channel table by counting, no sort.
        lines = np.bincount(key, minlength=n * k).reshape(-1, k)
        totals = np.bincount(key, weights=revenue, minlength=n * k).reshape(-1, k)
        totals[lines == 0] = -np.inf
        who = np.flatnonzero(lines.any(axis=1))
        return who, totals[who].argmax(axis=1)
    unique, inverse = np.unique(key, return_inverse=True)
    totals = np.bincount(inverse.reshape(-1), weights=revenue)
    who, which = np.divmod(unique, k)
    order = np.lexsort((which, -totals, who))
    first = order[np.r_[True, who[order][1:] != who[order][:-1]]]
    return who[first], which[first]


def attribute_label(column: str) -> str:
    """How a customer attribute is called on screen."""
    return FEATURE_LABELS.get(column) or CUSTOMER_ROLES.get(column) or str(column)


def customer_groups(
    transactions: pd.DataFrame,
    customers_table: pd.DataFrame | None,
    index: pd.Index,
    customer_codes: np.ndarray | None = None,
) -> dict[str, pd.Series]:
    """Categorical breakdowns of customers: main channel and the customer table's categories.

    Returns
    -------
    dict
        Label -> Series of group names indexed like ``index`` ("(not recorded)" where unknown).
        Attributes with a single value or more than :data:`MAX_GROUP_LEVELS` values are skipped.
    """
    groups: dict[str, pd.Series] = {}
    if "channel" in transactions and transactions["channel"].notna().any():
        groups["Main channel"] = main_channel(transactions, index, customer_codes)
    if customers_table is None:
        return groups
    table = customers_table[~customers_table.index.duplicated()]
    candidates = [c for c in CATEGORICAL_ROLES if c in table] + [
        c
        for c in table.columns
        if c not in CUSTOMER_ROLES
        and (table[c].dtype == object or isinstance(table[c].dtype, pd.CategoricalDtype))
    ]
    for column in candidates:
        values = table[column].reindex(index)
        values = values.where(values.notna() & (values.astype(str).str.strip() != ""), NOT_RECORDED)
        values = values.astype(str)
        levels = values[values != NOT_RECORDED].nunique()
        if 2 <= levels <= MAX_GROUP_LEVELS:
            groups[attribute_label(column)] = values
    return groups


def numeric_attributes(
    customers_table: pd.DataFrame | None, cost_to_serve: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Numeric per-customer attributes that can join the clustering (acquisition cost, wallet,
    cost-to-serve drivers, numeric extra columns), indexed by customer_id."""
    parts = []
    for table in (customers_table, cost_to_serve):
        if table is None:
            continue
        table = table[~table.index.duplicated()]
        numeric = {}
        for column in table.columns:
            if pd.api.types.is_bool_dtype(table[column]) or pd.api.types.is_datetime64_any_dtype(
                table[column]
            ):
                continue
            values = pd.to_numeric(table[column], errors="coerce")
            if values.notna().mean() >= 0.9 and values.nunique() > 1:
                numeric[column] = values
        parts.append(pd.DataFrame(numeric, index=table.index))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, axis=1)
    return out.loc[:, ~out.columns.duplicated()]


# --- the whole analysis -----------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentSettings:
    """What the user chose on the Segments page (or the command line)."""

    frequency: str = "orders"
    n_clusters: int | None = None
    cluster_attributes: tuple[str, ...] = ()
    random_state: int = 0
    min_pair_customers: int = affinity.MIN_PAIR_CUSTOMERS
    min_confidence: float = affinity.MIN_CONFIDENCE
    grid: tuple[tuple[str, ...], ...] = tuple(RFM_SEGMENT_GRID[r] for r in range(1, N_SCORES + 1))
    """The RFM segment map as rows R = 1..5 of FM = 1..5 names (a tuple, so settings hash)."""

    @property
    def segment_grid(self) -> dict[int, tuple[str, ...]]:
        """``grid`` as the mapping R score -> names that :func:`rfm_scores` takes."""
        return {r: tuple(row) for r, row in enumerate(self.grid, start=1)}


@dataclass(frozen=True)
class SegmentAnalysis:
    """Everything the Segments page shows.

    Attributes
    ----------
    rfm : RFMResult
    clusters : CustomerClusters or None
        None when clustering was not possible; ``cluster_message`` says why.
    cluster_profile : DataFrame or None
        Contribution table per cluster with the mean of every clustering feature.
    contribution : dict
        Breakdown label ("RFM segment", "Cluster", "Region", ...) -> contribution table.
    membership : DataFrame
        Per customer: rfm_segment, cluster, next_best_category, scores and measures.
    baskets : CategoryBaskets or None
    affinity : dict
        Scope ("All customers", "RFM: Champions", "Cluster: ...") -> pair table.
    categories_per_customer : dict
        Scope -> distribution of categories bought per customer.
    next_best : DataFrame or None
        Per customer: next_best_category, lift, confidence, because_bought.
    affinity_message : str or None
        Why affinity is missing or empty.
    has_margin : bool
    notes : tuple of str
    """

    rfm: RFMResult
    clusters: CustomerClusters | None
    cluster_message: str | None
    cluster_profile: pd.DataFrame | None
    contribution: dict[str, pd.DataFrame]
    membership: pd.DataFrame
    baskets: affinity.CategoryBaskets | None
    affinity: dict[str, pd.DataFrame]
    categories_per_customer: dict[str, pd.DataFrame]
    next_best: pd.DataFrame | None
    affinity_message: str | None
    has_margin: bool
    notes: tuple[str, ...] = field(default_factory=tuple)

    def segment_frame(self) -> pd.DataFrame:
        """rfm_segment, cluster (name) and next_best_category per customer, for other pages."""
        return self.membership[["rfm_segment", "cluster", "next_best_category"]]


ALL_CUSTOMERS = "All customers"


def analyse_segments(
    summary: pd.DataFrame,
    transactions: pd.DataFrame,
    customers_table: pd.DataFrame | None = None,
    cost_to_serve: pd.DataFrame | None = None,
    settings: SegmentSettings = SegmentSettings(),  # noqa: B008 - frozen, safe as a default
    observation_end: pd.Timestamp | str | None = None,
) -> SegmentAnalysis:
    """RFM segments, clusters, contribution by segment and cross-sell affinity in one call.

    Parameters
    ----------
    summary : DataFrame
        The customer summary for the chosen unit and observation end.
    transactions : DataFrame
        Canonical transactions (rows after ``observation_end`` are ignored).
    customers_table, cost_to_serve : DataFrame, optional
        The dataset's customer attributes and cost-to-serve drivers.
    settings : SegmentSettings
    observation_end : Timestamp or str, optional
        Default: the last date in ``transactions``.

    Returns
    -------
    SegmentAnalysis
    """
    end = (
        pd.Timestamp(observation_end) if observation_end is not None else transactions["date"].max()
    )
    tx = transactions[transactions["date"] <= end]
    # Each line's customer position, looked up once for the breakdowns and the baskets below.
    codes = summary.index.get_indexer(tx["customer_id"].to_numpy())
    rfm = rfm_scores(summary, end, settings.frequency, settings.segment_grid)
    features = rfm.table[list(RFM_FEATURES)]
    clusters, cluster_message, features = _clusters(
        features, customers_table, cost_to_serve, settings
    )
    contribution = {
        "RFM segment": segment_contribution(summary, rfm.table["rfm_segment"], features)
    }
    cluster_profile = None
    if clusters is not None:
        cluster_profile = segment_contribution(summary, clusters.labels_, features)
        contribution["Cluster"] = cluster_profile
    for label, groups in customer_groups(tx, customers_table, summary.index, codes).items():
        contribution[label] = segment_contribution(summary, groups, features)
    scopes = {
        f"RFM: {s}": (rfm.table["rfm_segment"] == s).to_numpy()
        for s in rfm.table["rfm_segment"].cat.categories
    }
    if clusters is not None:
        scopes |= {f"Cluster: {c}": (clusters.labels_ == c).to_numpy() for c in clusters.order_}
    cross = _affinity(tx, summary.index, codes, scopes, settings)
    membership = _membership(rfm, clusters, cross.next_best, customers_table)
    return SegmentAnalysis(
        rfm=rfm,
        clusters=clusters,
        cluster_message=cluster_message,
        cluster_profile=cluster_profile,
        contribution=contribution,
        membership=membership,
        baskets=cross.baskets,
        affinity=cross.pairs,
        categories_per_customer=cross.per_customer,
        next_best=cross.next_best,
        affinity_message=cross.message,
        has_margin=bool(summary["cost"].notna().any()),
        notes=rfm.notes,
    )


def _membership(
    rfm: RFMResult,
    clusters: CustomerClusters | None,
    next_best: pd.DataFrame | None,
    customers_table: pd.DataFrame | None,
) -> pd.DataFrame:
    index = rfm.table.index
    out = pd.DataFrame(index=index)
    if customers_table is not None and "customer_name" in customers_table:
        names = customers_table["customer_name"][~customers_table.index.duplicated()]
        out["customer_name"] = names.reindex(index)
    out["rfm_segment"] = rfm.table["rfm_segment"]
    out["cluster"] = clusters.labels_ if clusters is not None else None
    out["next_best_category"] = next_best["next_best_category"] if next_best is not None else None
    return out.join(rfm.table.drop(columns="rfm_segment"))


def _clusters(
    features: pd.DataFrame,
    customers_table: pd.DataFrame | None,
    cost_to_serve: pd.DataFrame | None,
    settings: SegmentSettings,
) -> tuple[CustomerClusters | None, str | None, pd.DataFrame]:
    if settings.cluster_attributes:
        available = numeric_attributes(customers_table, cost_to_serve)
        unknown = [a for a in settings.cluster_attributes if a not in available.columns]
        if unknown:
            raise ValidationError(
                f"Unknown customer attribute(s) {', '.join(unknown)}; numeric attributes available: "
                f"{', '.join(map(str, available.columns)) or 'none'}."
            )
        features = features.join(
            available[list(settings.cluster_attributes)].reindex(features.index)
        )
    model = CustomerClusters(n_clusters=settings.n_clusters, random_state=settings.random_state)
    try:
        return model.fit(features), None, features
    except ModelError as error:
        return None, str(error), features


@dataclass(frozen=True)
class _Affinity:
    baskets: affinity.CategoryBaskets | None = None
    pairs: dict[str, pd.DataFrame] = field(default_factory=dict)
    per_customer: dict[str, pd.DataFrame] = field(default_factory=dict)
    next_best: pd.DataFrame | None = None
    message: str | None = None


def _affinity(
    tx: pd.DataFrame,
    index: pd.Index,
    codes: np.ndarray,
    scopes: dict[str, np.ndarray],
    settings: SegmentSettings,
) -> _Affinity:
    min_customers = settings.min_pair_customers
    try:
        baskets = affinity.category_baskets(tx, index, customer_codes=codes)
    except ValidationError as error:
        return _Affinity(message=str(error))
    everyone = {ALL_CUSTOMERS: None} | {k: m for k, m in scopes.items() if m.any()}
    pairs = {k: affinity.pair_affinity(baskets, m, min_customers) for k, m in everyone.items()}
    per_customer = {k: affinity.categories_per_customer(baskets, m) for k, m in everyone.items()}
    next_best = affinity.next_best_categories(
        baskets, min_customers, min_confidence=settings.min_confidence
    )
    message = None
    if len(baskets.categories) == 0:
        message = (
            "No purchase line has a product category (only returns do), so cross-sell affinity "
            "cannot be computed. Check the category column mapping on the Upload page."
        )
    elif len(baskets.categories) < 2:
        message = (
            f"Only one product category ({baskets.categories[0]}) was bought, so there are no "
            "category pairs to compare. Map a more detailed category column to see cross-sell."
        )
    elif pairs[ALL_CUSTOMERS].empty:
        message = (
            f"No two categories were bought by at least {min_customers} of the same customers, "
            "so no lift can be trusted yet."
        )
    elif baskets.dropped_categories:
        message = (
            f"Only the {len(baskets.categories)} most bought categories are compared; "
            f"{baskets.dropped_categories} rarer ones were left out."
        )
    return _Affinity(baskets, pairs, per_customer, next_best, message)


# --- one-line takeaways (the message a chart's slide carries) ---------------------------------


def contribution_takeaway(table: pd.DataFrame, dimension: str) -> str:
    """The group with the largest share of net revenue, against its share of customers.

    Parameters
    ----------
    table : DataFrame
        From :func:`segment_contribution`.
    dimension : str
        What the groups are, in lower case for the sentence ("RFM segment", "cluster", "region").
    """
    known = table[(table["segment"] != NOT_RECORDED) & table["revenue_share"].notna()]
    if known.empty:
        return f"Net revenue is zero or negative in total, so no {dimension} has a share of it."
    top = known.loc[known["revenue_share"].idxmax()]
    text = (
        f"{dimension[:1].upper()}{dimension[1:]} '{top['segment']}': {pct(top['customer_share'], 0)} of "
        f"customers bring {pct(top['revenue_share'], 0)} of net revenue"
    )
    if "margin_share" in top and np.isfinite(top["margin_share"]):
        text += f" and {pct(top['margin_share'], 0)} of margin"
    return text + "."


def silhouette_takeaway(model: CustomerClusters) -> str:
    """Which k separates customers best, and whether the user overrode it."""
    scores = model.silhouette_
    if scores.empty:
        return f"{model.n_clusters_} clusters, as chosen."
    best = int(scores.idxmax())
    if model.n_clusters is not None and model.n_clusters_ != best:
        yours = (
            f" against {scores[model.n_clusters_]:.2f}" if model.n_clusters_ in scores.index else ""
        )
        return (
            f"You chose {model.n_clusters_} clusters; {best} would separate customers best "
            f"(silhouette {scores[best]:.2f}{yours})."
        )
    return (
        f"{best} clusters separate customers best (silhouette {scores[best]:.2f}, judged on "
        f"{count(model.sample_size_)} customers)."
    )


# --- campaign lists ---------------------------------------------------------------------------


def _in_segments(analysis: SegmentAnalysis, segments: Sequence[str]) -> np.ndarray:
    """Customers in any of the RFM ``segments`` (everyone when none are given)."""
    m = analysis.membership
    if not segments:
        return np.ones(len(m), dtype=bool)
    return m["rfm_segment"].isin(list(segments)).to_numpy()


@dataclass(frozen=True)
class ExportSizes:
    members: int
    offers: int


def export_sizes(analysis: SegmentAnalysis, segments: Sequence[str] = ()) -> ExportSizes:
    """Rows of the two campaign lists for the chosen RFM segments (all when none are chosen)."""
    keep = _in_segments(analysis, segments)
    has_offer = analysis.membership["next_best_category"].notna().to_numpy()
    return ExportSizes(members=int(keep.sum()), offers=int((keep & has_offer).sum()))


def membership_export(
    analysis: SegmentAnalysis, currency: str, segments: Sequence[str] = ()
) -> pd.DataFrame:
    """Segment membership per customer, with readable headers, ready for a campaign tool.

    Parameters
    ----------
    analysis : SegmentAnalysis
    currency : str
        Shown in the net revenue header.
    segments : sequence of str
        Only customers in these RFM segments; default everyone.
    """
    m = analysis.membership[_in_segments(analysis, segments)]
    frequency = FREQUENCY_MEASURES[analysis.rfm.frequency].capitalize()
    out = pd.DataFrame({"Customer ID": m.index.astype(str)})
    if "customer_name" in m:
        out["Customer name"] = m["customer_name"].to_numpy()
    out["RFM segment"] = m["rfm_segment"].astype(str).to_numpy()
    out["Cluster"] = m["cluster"].astype(object).to_numpy()
    out["Next-best category"] = m["next_best_category"].to_numpy()
    out["R score"] = m["r_score"].to_numpy()
    out["F score"] = m["f_score"].to_numpy()
    out["M score"] = m["m_score"].to_numpy()
    out["RFM code"] = m["rfm_code"].to_numpy()
    out["Days since last purchase"] = m["recency_days"].to_numpy()
    out[frequency] = m["frequency"].to_numpy()
    out[f"Net revenue ({currency})"] = m["monetary"].round(2).to_numpy()
    return out


def next_best_export(
    analysis: SegmentAnalysis, currency: str, segments: Sequence[str] = ()
) -> pd.DataFrame:
    """Customers with a next-best category, strongest lift first, with why it was chosen (only
    those in the RFM ``segments`` when given)."""
    columns = ["Customer ID", "Customer name", "RFM segment", "Cluster", "Next-best category",
               "Because they bought", "Lift", "Confidence (%)", f"Net revenue ({currency})"]  # fmt: skip
    if analysis.next_best is None:
        return pd.DataFrame(columns=columns)
    m = analysis.membership
    nb = analysis.next_best
    has = nb["next_best_category"].notna().to_numpy() & _in_segments(analysis, segments)
    out = pd.DataFrame(
        {
            "Customer ID": m.index[has].astype(str),
            "Customer name": m["customer_name"].to_numpy()[has] if "customer_name" in m else None,
            "RFM segment": m["rfm_segment"].astype(str).to_numpy()[has],
            "Cluster": m["cluster"].astype(object).to_numpy()[has],
            "Next-best category": nb["next_best_category"].to_numpy()[has],
            "Because they bought": nb["because_bought"].to_numpy()[has],
            "Lift": nb["lift"].to_numpy(dtype=float)[has].round(2),
            "Confidence (%)": (nb["confidence"].to_numpy(dtype=float)[has] * 100).round(1),
            f"Net revenue ({currency})": m["monetary"].to_numpy()[has].round(2),
        }
    )
    if "customer_name" not in m:
        out = out.drop(columns="Customer name")
    return out.sort_values(
        ["Lift", f"Net revenue ({currency})", "Customer ID"],
        ascending=[False, False, True],
        kind="stable",
    ).reset_index(drop=True)
