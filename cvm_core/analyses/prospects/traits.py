"""Traits of valuable customers (discriminant analysis): which attributes separate the top value
tier from the rest.

A shallow decision tree on the one-hot attributes (:mod:`.features`) is fitted on part of the
customers and checked on the rest (AUC and the lift of the top decile, out of sample); its leaves
become plain sentences ("Customers with Acquisition channel = Referral and Industry = Hospitality
are 3.1x as likely to be Platinum"), each with its lift measured on every customer. The tree is
balanced by class weight, since the top tier is a small share (5% by default): otherwise it would
find no split worth making.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from cvm_core import formatting
from cvm_core.analyses.prospects.features import label, one_hot
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, _

MIN_CUSTOMERS = 100
MIN_TOP = 20
"""Top-tier customers needed to learn what sets them apart and check it on a holdout."""
MIN_RULE_LIFT = 1.2
"""Leaves at least this much more likely than average to be top tier become sentences."""
MAX_RULES = 6
SPLIT_Z = 2.0
"""A split stays in a rule when its two sides' top-tier shares differ by this many standard
errors on the training customers."""
LIFT_COLUMNS = ("decile", "customers", "top", "lift", "cumulative_lift", "captured")
RULE_COLUMNS = ("rule", "customers", "top", "rate", "lift")
ATTRIBUTE_COLUMNS = ("attribute", "value", "customers", "top", "rate", "lift")


@dataclass(frozen=True)
class Traits:
    """What sets the top tier apart, and how well it does so out of sample.

    Attributes
    ----------
    target : str
        The top tier(s) in words ("Platinum", "Platinum or Gold").
    base_rate : float
        Share of all customers in the target.
    auc, top_decile_lift : float
        On the held-out customers: the area under the ROC curve and how many times the average
        share of top-tier customers the 10% scored highest hold.
    lift : DataFrame
        :data:`LIFT_COLUMNS` per decile of the held-out customers (by score, highest first).
    rules : DataFrame
        :data:`RULE_COLUMNS`: the tree's leaves with lift of at least :data:`MIN_RULE_LIFT`, on
        every customer, highest lift first.
    attributes : DataFrame
        :data:`ATTRIBUTE_COLUMNS`: every attribute value on its own, highest lift first.
    importance : Series
        Share of the tree's separation each attribute provides, by attribute label.
    n_train, n_test : int
    """

    target: str
    base_rate: float
    auc: float
    top_decile_lift: float
    lift: pd.DataFrame
    rules: pd.DataFrame
    attributes: pd.DataFrame
    importance: pd.Series
    n_train: int
    n_test: int

    def sentences(self) -> list[str]:
        """The rules as sentences a sales team reads."""
        return [rule_sentence(row, self.target) for row in self.rules.itertuples()]


def rule_sentence(row, target: str) -> str:
    return _("Customers with {rule} are {lift}x as likely to be {target} ({top} of {customers}, {rate}).").format(
        rule=row.rule, lift=formatting.number(row.lift, 1), target=target,
        top=formatting.count(row.top), customers=formatting.count(row.customers),
        rate=formatting.pct(row.rate, 0),
    )  # fmt: skip


def find_traits(
    features: pd.DataFrame,
    top: pd.Series,
    target: str,
    max_depth: int = 3,
    min_leaf_share: float = 0.02,
    test_share: float = 0.3,
    random_state: int = 0,
) -> Traits:
    """Fit, check out of sample and describe the tree that separates ``top`` customers.

    Parameters
    ----------
    features : DataFrame
        Text attributes per customer (:func:`.features.customer_features`).
    top : Series of bool
        Whether each customer (same index) is in the top tier(s).

    Raises
    ------
    ValidationError
        Too few customers, too few in the top tier, or no attribute to learn from.
    """
    y = top.reindex(features.index).fillna(False).to_numpy(dtype=bool)
    _check(features, y)
    x, columns = one_hot(features)
    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=test_share, stratify=y, random_state=random_state)
    tree = _tree(max_depth, min_leaf_share, len(train), random_state).fit(x[train], y[train])
    score = tree.predict_proba(x[test])[:, 1]
    lift = lift_table(score, y[test])
    base = float(y.mean())
    rules = _rules(tree, columns, x, y, base, train)
    return Traits(
        target=target,
        base_rate=base,
        auc=float(roc_auc_score(y[test], score)) if len(set(y[test])) == 2 else float("nan"),
        top_decile_lift=float(lift["cumulative_lift"].iloc[0]),
        lift=lift,
        rules=rules,
        attributes=attribute_lifts(features, y),
        importance=_importance(tree, columns),
        n_train=len(train),
        n_test=len(test),
    )


def _check(features: pd.DataFrame, y: np.ndarray) -> None:
    if features.shape[1] == 0:
        raise ValidationError(
            Message(
                N_("There are no customer attributes to learn from: add a Customers sheet with "
                   "acquisition channel, region or industry, or transactions with category or "
                   "channel.")
            )
        )  # fmt: skip
    if len(y) < MIN_CUSTOMERS or y.sum() < MIN_TOP or (~y).sum() < MIN_TOP:
        raise ValidationError(
            Message(
                N_("{customers} with {top} in the top tier are too few to tell what sets them "
                   "apart: it needs at least {min_customers} customers and {min_top} in the top "
                   "tier (choose more top tiers)."),
                customers=formatting.counted(len(y), "customer"), top=int(y.sum()),
                min_customers=MIN_CUSTOMERS, min_top=MIN_TOP,
            )
        )  # fmt: skip


def _tree(max_depth: int, min_leaf_share: float, n: int, random_state: int):
    return DecisionTreeClassifier(
        max_depth=max_depth,
        min_samples_leaf=max(10, int(round(min_leaf_share * n))),
        class_weight="balanced",
        random_state=random_state,
    )


def lift_table(score: np.ndarray, y: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Top-tier customers per score decile, highest scores first.

    Customers with equal scores (a tree's leaf) are split across a decile edge in proportion,
    as a random order among them would on average, so the lift does not depend on row order.
    """
    n = len(score)
    order = np.argsort(-score, kind="stable")
    s, t = score[order], y[order].astype(float)
    # Cumulative top-tier count at each position, with ties spread evenly over their block.
    _values, starts, counts = np.unique(-s, return_index=True, return_counts=True)
    block_top = np.add.reduceat(t, starts)
    cum_before = np.concatenate([[0.0], np.cumsum(block_top)])
    edges = np.linspace(0, n, bins + 1)

    def captured(position: float) -> float:
        k = np.searchsorted(starts, position, side="right") - 1
        k = int(np.clip(k, 0, len(starts) - 1))
        within = min(position - starts[k], counts[k])
        return float(cum_before[k] + block_top[k] * within / counts[k])

    cum = np.array([captured(e) for e in edges])
    total, base = float(t.sum()), float(t.mean())
    per_bin, size = np.diff(cum), np.diff(edges)
    return pd.DataFrame(
        {
            "decile": np.arange(1, bins + 1),
            "customers": size,
            "top": per_bin,
            "lift": per_bin / size / base if base > 0 else np.nan,
            "cumulative_lift": cum[1:] / edges[1:] / base if base > 0 else np.nan,
            "captured": cum[1:] / total if total > 0 else np.nan,
        }
    )


def _rules(tree, columns, x: np.ndarray, y: np.ndarray, base: float, train) -> pd.DataFrame:
    paths = _leaf_paths(tree, columns)
    members = tree.decision_path(x).tocsc()
    kept = _pruned_leaves(tree, members, y, train)
    rows = []
    for node in kept:
        member = members[:, node].toarray().ravel().astype(bool)
        n, k = int(member.sum()), int(y[member].sum())
        if n == 0 or not paths[node]:
            continue
        rate = k / n
        rows.append((_describe(paths[node]), n, k, rate, rate / base if base > 0 else np.nan))
    table = pd.DataFrame(rows, columns=list(RULE_COLUMNS))
    table = table[table["lift"] >= MIN_RULE_LIFT].sort_values(
        ["lift", "customers"], ascending=False, kind="stable"
    )
    return table.head(MAX_RULES).reset_index(drop=True)


def _pruned_leaves(tree, members, y: np.ndarray, train: np.ndarray) -> list[int]:
    """The tree's nodes that end a rule: a split whose two sides do not differ significantly
    (two-proportion z below :data:`SPLIT_Z`, on the training customers) is undone, bottom up, so
    a rule carries no condition the data do not support ("and Region not North")."""
    inner = tree.tree_
    on_train = members[train]
    y_train = y[train].astype(float)

    def counts(node: int) -> tuple[float, float]:
        member = on_train[:, node].toarray().ravel().astype(bool)
        return float(member.sum()), float(y_train[member].sum())

    def visit(node: int) -> list[int]:
        left, right = inner.children_left[node], inner.children_right[node]
        if left == right:
            return [node]
        below = visit(left) + visit(right)
        if below == [left, right] and not _differ(counts(left), counts(right)):
            return [node]
        return below

    return visit(0)


def _differ(a: tuple[float, float], b: tuple[float, float]) -> bool:
    (n1, k1), (n2, k2) = a, b
    if min(n1, n2) == 0:
        return False
    pooled = (k1 + k2) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return bool(spread > 0 and abs(k1 / n1 - k2 / n2) / spread >= SPLIT_Z)


def _leaf_paths(tree, columns) -> dict[int, list[tuple[str, str, bool]]]:
    """Each node's conditions (attribute, value, is-equal) from the root."""
    inner = tree.tree_
    out: dict[int, list[tuple[str, str, bool]]] = {}
    stack = [(0, [])]
    while stack:
        node, path = stack.pop()
        out[node] = path
        left, right = inner.children_left[node], inner.children_right[node]
        if left == right:  # a leaf
            continue
        attribute, value = columns[inner.feature[node]]
        # One-hot columns split at 0.5: left is "not this value", right "this value".
        stack.append((left, [*path, (attribute, value, False)]))
        stack.append((right, [*path, (attribute, value, True)]))
    return out


def _describe(conditions: list[tuple[str, str, bool]]) -> str:
    """ "Industry = Hospitality and Region not North"; an equality makes the same attribute's
    exclusions redundant, so they are dropped."""
    equal = {a for a, _value, is_equal in conditions if is_equal}
    parts = []
    for attribute, value, is_equal in conditions:
        if is_equal:
            ranged = value.startswith("under ") or value.endswith(" and more") or " to " in value
            parts.append(
                f"{label(attribute)} {value}" if ranged else f"{label(attribute)} = {value}"
            )
        elif attribute not in equal:
            parts.append(f"{label(attribute)} not {value}")
    return " and ".join(dict.fromkeys(parts))


def _importance(tree, columns) -> pd.Series:
    by_attribute: dict[str, float] = {}
    for (attribute, _value), weight in zip(columns, tree.feature_importances_, strict=True):
        by_attribute[label(attribute)] = by_attribute.get(label(attribute), 0.0) + float(weight)
    return pd.Series(by_attribute, name="importance").sort_values(ascending=False)


def attribute_lifts(features: pd.DataFrame, y: np.ndarray, min_customers: int = 10) -> pd.DataFrame:
    """Every attribute value on its own: customers, top-tier customers, their share and lift."""
    base = float(y.mean())
    frames = []
    for attribute in features.columns:
        grouped = pd.DataFrame({"value": features[attribute].to_numpy(), "top": y}).groupby(
            "value", observed=True
        )["top"]
        table = pd.DataFrame({"customers": grouped.size(), "top": grouped.sum()}).reset_index()
        table.insert(0, "attribute", label(attribute))
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    out = out[out["customers"] >= min_customers].copy()
    out["top"] = out["top"].astype(int)
    out["rate"] = out["top"] / out["customers"]
    out["lift"] = out["rate"] / base if base > 0 else np.nan
    out = out.sort_values(["lift", "customers"], ascending=False, kind="stable")
    return out[list(ATTRIBUTE_COLUMNS)].reset_index(drop=True)
