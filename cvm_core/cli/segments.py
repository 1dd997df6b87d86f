"""`segments`: RFM segment sizes and shares, cluster profiles and the top cross-sell pairs."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from pathlib import Path

import pandas as pd

from cvm_core.analyses.segments import affinity, analysis, clustering, defaults
from cvm_core.analyses.segments import rfm as core
from cvm_core.analyses.segments import run as segments_run
from cvm_core.cli.inputs import add_engine_arguments, inputs_from_args
from cvm_core.errors import ValidationError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_engine_arguments(parser)
    parser.add_argument(
        "--k",
        type=int,
        help=f"Number of clusters (default: best silhouette over {clustering.K_RANGE[0]}-{clustering.K_RANGE[1]}).",
    )
    parser.add_argument(
        "--frequency",
        choices=list(defaults.FREQUENCY_MEASURES),
        default="orders",
        help="What counts as a purchase for the F score (default %(default)s).",
    )
    parser.add_argument(
        "--attribute",
        action="append",
        default=[],
        metavar="COLUMN",
        help="Numeric customer attribute to cluster on as well (repeatable), e.g. acquisition_cost.",
    )
    parser.add_argument(
        "--top", type=int, default=10, help="Category pairs to list (default %(default)s)."
    )
    parser.add_argument(
        "--segment-map",
        type=Path,
        metavar="JSON",
        help='Own RFM segment map: a JSON file {"5": [names for FM 1..5], ..., "1": [...]} '
        "keyed by recency score (default: the standard 11-segment map).",
    )


def read_segment_map(path: Path) -> tuple[tuple[str, ...], ...]:
    """The segment map in a JSON file, as SegmentSettings.grid (rows R = 1..5)."""
    example = '{"5": ["New", "Potential loyalists", ...5 names for FM 1-5], ..., "1": [...]}'
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        rows = [list(raw[str(r)]) for r in range(defaults.N_SCORES, 0, -1)]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValidationError(
            f"Could not read the segment map {path} ({error}). Give a JSON file like {example}."
        ) from error
    grid = core.grid_from_frame(pd.DataFrame(rows))
    return tuple(grid[r] for r in range(1, defaults.N_SCORES + 1))


def _number(value: float, digits: int = 2) -> float | None:
    """JSON-safe rounding: None for NaN or infinity."""
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _pct(share: float) -> float | None:
    return _number(share * 100, 2)


def _groups(table: pd.DataFrame) -> dict[str, dict]:
    """Group name -> figures (a mapping, so the readable output lists one group per block)."""
    rows = {}
    for _, row in table.iterrows():
        item = {
            "customers": int(row["customers"]),
            "customers_pct": _pct(row["customer_share"]),
            "net_revenue": _number(row["net_revenue"]),
            "revenue_pct": _pct(row["revenue_share"]),
            "avg_days_since_last_purchase": _number(row["avg_recency_days"], 1),
            "avg_orders": _number(row["avg_frequency"], 2),
            "net_revenue_per_customer": _number(row["revenue_per_customer"]),
        }
        if "margin_share" in row:
            item["margin"] = _number(row["margin"])
            item["margin_pct"] = _pct(row["margin_share"])
        rows[str(row["segment"])] = item
    return rows


def _clusters(result: analysis.SegmentAnalysis) -> dict:
    model = result.clusters
    if model is None:
        return {"available": False, "message": result.cluster_message}
    return {
        "available": True,
        "k": model.n_clusters_,
        "k_chosen_by": "user" if model.n_clusters is not None else "silhouette",
        "features": ", ".join(map(str, model.features_)),
        "algorithm": model.algorithm_,
        "silhouette_sample_customers": model.sample_size_,
        "silhouette": {str(k): _number(v, 4) for k, v in model.silhouette_.items()},
        "notes": list(model.notes_),
        "profiles": _groups(result.cluster_profile),
    }


def _affinity(result: analysis.SegmentAnalysis, top: int) -> dict:
    if result.baskets is None:
        return {"available": False, "message": result.affinity_message}
    pairs = affinity.top_pairs(result.affinity[analysis.ALL_CUSTOMERS], top)
    spread = result.categories_per_customer[analysis.ALL_CUSTOMERS]
    total = spread["customers"].sum()
    return {
        "available": True,
        "message": result.affinity_message,
        "categories": ", ".join(map(str, result.baskets.categories)),
        "mean_categories_per_customer": _number(
            (spread["categories"] * spread["customers"]).sum() / total
        )
        if total
        else None,
        "top_pairs": {
            f"{p.antecedent} -> {p.consequent}": {
                "customers_both": int(p.customers_both),
                "support_pct": _pct(p.support),
                "confidence_pct": _pct(p.confidence),
                "lift": _number(p.lift, 3),
            }
            for p in pairs.itertuples()
        },
        "next_best_category_customers": {
            r.category: int(r.customers)
            for r in affinity.recommendation_counts(result.next_best).itertuples()
        },
    }


def run(args: argparse.Namespace) -> dict:
    name, inputs = inputs_from_args(args)
    summary, end = inputs.summary, inputs.observation_end
    settings = analysis.SegmentSettings(
        frequency=args.frequency, n_clusters=args.k, cluster_attributes=tuple(args.attribute)
    )
    if args.segment_map is not None:
        settings = dataclasses.replace(settings, grid=read_segment_map(args.segment_map))
    result = segments_run.run(inputs, settings)
    return {
        "dataset": name,
        "engine": args.engine,
        "currency": inputs.currency,
        "customers": len(summary),
        "observation_end": f"{end:%Y-%m-%d}",
        "frequency": args.frequency,
        "segment_map": {f"R={r}": list(result.rfm.grid[r]) for r in range(5, 0, -1)},
        "rfm_notes": list(result.rfm.notes),
        "rfm_segments": _groups(result.contribution["RFM segment"]),
        "clusters": _clusters(result),
        "affinity": _affinity(result, args.top),
    }
