"""RFM scores and named segments.

RFM (recency, frequency, monetary value) scores each customer 1-5 on each measure by quintiles of
the customer base; the recency score and the combined frequency-monetary score then place the
customer in a named segment (Champions, At risk, ...) through a grid that is a parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.analyses.segments.defaults import FREQUENCY_MEASURES, N_SCORES, RFM_SEGMENT_GRID
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, Number, Percent

RFM_SEGMENT_ORDER: tuple[str, ...] = (
    N_("Champions"), N_("Loyal"), N_("Potential loyalists"), N_("New"), N_("Promising"),
    N_("Need attention"), N_("About to sleep"), N_("At risk"), N_("Can't lose them"),
    N_("Hibernating"), N_("Lost"),
)  # fmt: skip
"""Order in which segments are listed (names missing here follow in grid order). The names stay
English in results (they are data: filters, colours and the edited map compare them); they are
translated where shown, with ``_(name)`` (a user's own segment name is shown as it is)."""

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


def tied_quantile_scores(key: np.ndarray, n_scores: int = N_SCORES) -> np.ndarray:
    """Scores 1..n_scores by rank where equal values share one score (ascending = better).

    A value's score is that of the first customer holding it in :func:`quantile_scores`' rank
    scheme, so the lowest value always scores 1 and scores stay as balanced as the ties allow:
    when half the customers bought once, they all get F = 1 and some scores are left empty
    (ranking them by spend instead would hand a one-time buyer F = 3). Everyone equal: the
    middle score, as there.
    """
    key = np.asarray(key)
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if np.all(key == key[0]):
        return np.full(n, (n_scores + 1) // 2, dtype=np.int64)
    codes, size = _ordinal_codes(key)
    holders = np.bincount(codes, minlength=size)
    first_rank = (np.cumsum(holders) - holders)[codes]
    return (2 * first_rank + 1) * n_scores // (2 * n) + 1


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
            Message(
                N_("The RFM segment map must name a segment for every R score 1-5 and FM score "
                   "1-5.")
            )
        )  # fmt: skip
    for r in range(N_SCORES, 0, -1):
        for fm, name in enumerate(grid[r], start=1):
            if not isinstance(name, str) or not name.strip():
                raise ValidationError(
                    Message(
                        N_("The RFM segment map has no segment name for R = {r}, FM = {fm}. Type "
                           "a name into that cell, or reset the map to the default."),
                        r=r, fm=fm,
                    )
                )  # fmt: skip


def grid_from_frame(frame: pd.DataFrame) -> dict[int, tuple[str, ...]]:
    """Read a segment map edited in the layout of :func:`segment_grid_frame` (rows R = 5..1,
    columns FM = 1..5) back into a grid; names are stripped of surrounding spaces.

    Raises
    ------
    ValidationError
        When the table is not 5 x 5 or a cell is empty.
    """
    if frame.shape != (N_SCORES, N_SCORES):
        raise ValidationError(
            Message(N_("The RFM segment map must have 5 rows (R = 5..1) and 5 columns (FM)."))
        )
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
    Scores are quintiles of rank. F: customers with the same number of purchases share a score
    (:func:`tied_quantile_scores`), so when half the customers bought once they all get F = 1 and
    fewer than five F scores are used (a note says so). R and M, where large ties are rare, are
    ordered within ties by the other measures (recency ties by frequency then spend, spend ties by
    frequency) and then by customer id, so each of their scores holds a fifth of customers.
    """
    if frequency not in FREQUENCY_MEASURES:
        raise ValidationError(
            Message(
                N_("Frequency must be one of {choices}; got '{value}'."),
                choices=", ".join(FREQUENCY_MEASURES), value=frequency,
            )
        )  # fmt: skip
    missing = {"last_purchase", frequency, "net_revenue"} - set(summary.columns)
    if missing:
        raise ValidationError(
            Message(N_("The customer summary lacks {columns}."), columns=", ".join(sorted(missing)))
        )  # fmt: skip
    if summary.empty:
        raise ValidationError(Message(N_("There are no customers to score.")))
    if not (summary[frequency] > 0).any():
        raise ValidationError(
            Message(
                N_("Every transaction up to the observation end is a return, so there are no "
                   "purchases to segment. Check the return flag or revenue sign mapping on the "
                   "Upload page, or move the observation end.")
            )
        )  # fmt: skip
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
    f = tied_quantile_scores(freq)  # equal order counts are equally frequent buyers
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
    """What the user should know about the scores, as Messages: the result is cached across
    language switches, and the page shows them in the language on screen (i18n.shown)."""
    n = len(table)
    notes = []
    if n < N_SCORES:
        notes.append(Message(
            N_("Only {n} customer: scores are spread over 1-5 by rank, so the segments are "
               "indicative only.") if n == 1 else
            N_("Only {n} customers: scores are spread over 1-5 by rank, so the segments are "
               "indicative only."),
            n=n,
        ))  # fmt: skip
    words = {
        "recency_days": (Message(N_("days since the last purchase")), "R", Message(N_("orders, then spend"))),
        "monetary": (Message(N_("net revenue")), "M", Message(FREQUENCY_MEASURES[frequency])),
    }  # fmt: skip
    notes.extend(_frequency_notes(table, frequency))
    for column, (label, letter, tiebreak) in words.items():
        counts = table[column].value_counts()
        top = int(counts.iloc[0])
        mode = float(counts.index[counts.to_numpy() == top].min())
        shown = Number(mode, 0 if column != "monetary" else 2)
        if len(counts) == 1 and n > 1:
            notes.append(_all_the_same(label, shown, letter))
        elif top / n > 1 / N_SCORES and n >= N_SCORES:
            notes.append(Message(
                N_("{share} of customers have the same {label} ({value}); they are ordered by "
                   "{tiebreak} so that each {letter} score still holds about a fifth of customers."),
                share=Percent(top / n, 0), label=label, value=shown, tiebreak=tiebreak, letter=letter,
            ))  # fmt: skip
    only_returns = int((table["frequency"] == 0).sum())
    if only_returns:
        notes.append(Message(
            N_("{n} customer only returned goods in this period (no purchase): they get the "
               "lowest F and M scores. Their purchases may lie before the data starts; check the "
               "return flag if this looks wrong.") if only_returns == 1 else
            N_("{n} customers only returned goods in this period (no purchase): they get the "
               "lowest F and M scores. Their purchases may lie before the data starts; check the "
               "return flag if this looks wrong."),
            n=only_returns,
        ))  # fmt: skip
    non_positive = int(((table["monetary"] <= 0) & (table["frequency"] > 0)).sum())
    if non_positive:
        notes.append(Message(
            N_("{n} customer returned as much as they bought or more (net revenue of zero or "
               "less) and get the lowest M scores.") if non_positive == 1 else
            N_("{n} customers returned as much as they bought or more (net revenue of zero or "
               "less) and get the lowest M scores."),
            n=non_positive,
        ))  # fmt: skip
    return notes


def _all_the_same(label: Message, value: object, letter: str) -> Message:
    return Message(
        N_("All customers have the same {label} ({value}): it cannot tell them apart, so everyone "
           "gets {letter} = 3."),
        label=label, value=value, letter=letter,
    )  # fmt: skip


def _frequency_notes(table: pd.DataFrame, frequency: str) -> list[str]:
    """Say when equal purchase counts leave F scores unused (F ties share a score)."""
    used = np.unique(table["f_score"])
    label = Message(FREQUENCY_MEASURES[frequency])
    lowest = int(table["frequency"].min())
    if len(table) > 1 and (table["frequency"] == lowest).all():
        return [_all_the_same(label, lowest, "F")]
    if len(table) < N_SCORES or len(used) >= N_SCORES:
        return []
    share = float((table["frequency"] == lowest).mean())
    return [Message(
        N_("Only {used} of the 5 F scores are used ({scores}): customers with the same {label} "
           "share a score, and {share} of customers have the lowest ({lowest}), so they all get "
           "F = 1."),
        used=len(used), scores=", ".join(str(s) for s in used), label=label,
        share=Percent(share, 0), lowest=lowest,
    )]  # fmt: skip


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
