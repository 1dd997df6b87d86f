"""Behavioural clusters: k-means on log-transformed, standardised recency, frequency, monetary value
and any numeric customer attributes chosen, k by silhouette. Clusters are named by their profile
("High value, frequent, recent"), never by the arbitrary label numbers k-means hands out, so the
same customers get the same names on every run.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from cvm_core import i18n
from cvm_core.analyses.segments.defaults import FEATURE_LABELS, RFM_FEATURES
from cvm_core.errors import ModelError, ValidationError
from cvm_core.i18n import N_, Message

K_RANGE = (2, 8)
"""The k whose silhouette is computed (and that a user may choose)."""
AUTO_MIN_K = 3
"""Auto chooses k from here up: two clusters often separate best (high vs low value) but are too
coarse to run campaigns on (issue 13 found Auto picking 2 on every dataset)."""
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


def silhouette_by_k(z: np.ndarray, labels: Mapping[int, np.ndarray], chunk: int = 256) -> pd.Series:
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
    sums = np.zeros((n, offsets[-1]))
    squared = (z**2).sum(axis=1)
    for start in range(0, n, chunk):
        part, onward, after = slice(start, start + chunk), slice(start, None), start + chunk
        # Distances from this block to itself and every later point only: each pair once (the
        # matrix is symmetric), added to both sides' sums. |a-b|^2 = |a|^2 + |b|^2 - 2ab is built
        # in place in one array: the temporaries of the plain expression made the search
        # memory-bound. 10,000 points: 0.96 s (full matrix, temporaries) -> 0.32 s.
        distance = z[part] @ z[onward].T
        distance *= -2.0
        distance += squared[None, onward]
        distance += squared[part, None]
        np.maximum(distance, 0.0, out=distance)
        np.sqrt(distance, out=distance)
        sums[part] += distance @ onehot[onward]
        if after < n:
            sums[after:] += distance[:, chunk:].T @ onehot[part]
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


def auto_k(silhouette: pd.Series) -> int:
    """The k Auto uses: the best silhouette among k >= :data:`AUTO_MIN_K`, else the best."""
    usable = silhouette[silhouette.index >= AUTO_MIN_K]
    return int((usable if len(usable) else silhouette).idxmax())


class CustomerClusters:
    """k-means segments of customers, named by their profile.

    Pipeline: median imputation (attributes missing for some customers), signed log1p, standard
    scaling, k-means. k is the best silhouette from :data:`AUTO_MIN_K` to the top of ``k_range``
    (2 only when fewer than 3 distinct profiles exist), judged on a random sample of at most
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
                Message(
                    N_("All customers have the same {measure}, so it was left out of clustering."),
                    measure=_FeatureName(label),
                )
            )
        if not used:
            raise ModelError(
                Message(
                    N_("All customers look the same on every measure chosen, so there are no "
                       "groups to find. Add customer attributes or use more data.")
                )
            )  # fmt: skip
        return used

    def _k_values(self, n: int, distinct: int) -> list[int]:
        low, high = self.k_range
        values = list(range(max(low, 2), min(high, distinct, n - 1) + 1))
        if self.n_clusters is not None:
            k = int(self.n_clusters)
            if k < 2:
                raise ModelError(Message(N_("Choose at least {low} clusters."), low=2))
            if k > distinct:
                raise ModelError(
                    Message(_too_few_template(n, distinct), n=n, distinct=distinct, k=k)
                )
        elif not values:
            template = (
                N_("Clustering needs at least {low} customers with different profiles; there is "
                   "only {distinct} here.")
                if distinct == 1
                else N_("Clustering needs at least {low} customers with different profiles; "
                        "there are only {distinct} here.")
            )  # fmt: skip
            raise ModelError(Message(template, low=3, distinct=distinct))
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
        k = int(self.n_clusters) if self.n_clusters is not None else auto_k(self.silhouette_)
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


def _too_few_template(n: int, distinct: int) -> str:
    """The message for more clusters asked than customers (or distinct profiles) to split."""
    if distinct != n:
        return N_(
            "There are only {distinct} distinct customer profiles, fewer than the {k} clusters "
            "asked for. Choose at most {distinct} clusters, or let the page choose."
        )
    if n == 1:
        return N_(
            "There are only {n} customer, fewer than the {k} clusters asked for. Choose at most "
            "{distinct} clusters, or let the page choose."
        )
    return N_(
        "There are only {n} customers, fewer than the {k} clusters asked for. Choose at most "
        "{distinct} clusters, or let the page choose."
    )


def _check_features(features: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in RFM_FEATURES if c not in features.columns]
    if missing:
        raise ValidationError(
            Message(N_("Clustering needs the columns {columns}."), columns=", ".join(missing))
        )
    if len(features) == 0:
        raise ModelError(Message(N_("There are no customers to cluster.")))
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


class _FeatureName(str):
    """A clustering measure inside a sentence: lower case in English ('days since last purchase'),
    the catalog's own form elsewhere (German nouns keep their capital)."""

    label: str

    def __new__(cls, label: str) -> _FeatureName:
        name = super().__new__(cls, label.lower())
        name.label = label
        return name

    def __reduce__(self):
        return (_FeatureName, (self.label,))

    def in_language(self) -> str:
        return self.lower() if i18n.current() == "en" else i18n._(self.label)
