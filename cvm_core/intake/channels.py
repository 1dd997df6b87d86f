"""Sales channels as clients write them, matched to the cost model's channels.

The cost model prices orders per channel ("Orders via Phone", "Orders via Store", ...), and a
German export says Telefon and Filiale, a Chinese one 电话 and 门店. Matching them here, when the
dataset is built, means every analysis sees the cost model's names; a value nothing matches is
kept as written (the cost model then charges it an assumed rate, see
:func:`cvm_core.analyses.profitability.activities.with_assumed_channel_rates`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from cvm_core.intake.schema import id_counts

STORE, PHONE, ONLINE, FIELD_SALES = "Store", "Phone", "Online", "Field sales"
CHANNELS: tuple[str, ...] = (STORE, PHONE, ONLINE, FIELD_SALES)
"""The channels the default activity table prices (its drivers are "Orders via <channel>")."""

CHANNEL_SYNONYMS: dict[str, tuple[str, ...]] = {
    STORE: (
        "store", "shop", "retail", "branch", "in store", "in-store", "pos", "point of sale",
        "filiale", "laden", "ladengeschäft", "geschäft", "geschaeft", "markt", "stationär",
        "stationaer", "门店", "店铺", "实体店", "线下", "商店",
    ),
    PHONE: (
        "phone", "telephone", "by phone", "call center", "call centre", "hotline", "telefon",
        "telefonisch", "電話", "电话", "电话订购", "电话销售", "热线",
    ),
    ONLINE: (
        "online", "web", "webshop", "web shop", "website", "e-commerce", "ecommerce", "internet",
        "online shop", "onlineshop", "shop online", "线上", "网店", "网上", "电商", "网站", "网络",
    ),
    FIELD_SALES: (
        "field sales", "field", "sales rep", "sales representative", "sales force", "außendienst",
        "aussendienst", "vertreter", "handelsvertreter", "外勤", "销售代表", "地推", "上门",
    ),
}  # fmt: skip
"""Per channel, the words clients use for it (English, German, Chinese). Matched after
:func:`normalise_channel`, so case, spaces, hyphens and accents do not matter."""


def normalise_channel(value: object) -> str:
    """Text for matching: accents stripped, case folded, spaces and punctuation removed.

    "E-Commerce" and "ecommerce", "Außendienst" and "AUSSENDIENST", "Geschäft" and "Geschaft"
    all compare equal.
    """
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", "", text.casefold())


_LOOKUP: dict[str, str] = {
    normalise_channel(word): channel
    for channel, words in CHANNEL_SYNONYMS.items()
    for word in (channel, *words)
}


def guess_channel(value: object) -> str | None:
    """The cost model's channel a value names (``"Telefon"`` -> ``"Phone"``), or None.

    Examples
    --------
    >>> guess_channel(" Filiale "), guess_channel("线上"), guess_channel("Kiosk")
    ('Store', 'Online', None)
    """
    return _LOOKUP.get(normalise_channel(value))


def channel_mapping(values: Iterable, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """What each distinct channel value becomes: the user's choice, else a synonym's channel,
    else the value as written.

    Parameters
    ----------
    values : iterable
        Channel values (missing values are skipped; others are compared as text).
    overrides : mapping, optional
        Raw value -> channel, as chosen by the user. A channel equal to the raw value keeps it as
        written; an empty one is ignored.

    Returns
    -------
    dict
        Raw value (as text) -> channel, in order of first appearance.
    """
    overrides = {str(k): str(v).strip() for k, v in (overrides or {}).items()}
    out: dict[str, str] = {}
    for value in values:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        raw = str(value)
        if raw in out:
            continue
        out[raw] = overrides.get(raw) or guess_channel(raw) or raw
    return out


def map_channels(
    column: pd.Series, overrides: Mapping[str, str] | None = None
) -> tuple[pd.Series, dict[str, str]]:
    """A channel column with the cost model's names, and the mapping used.

    The column is factorised once (a few distinct values), so a million rows cost little.

    Returns
    -------
    channels : Series
        Same index as ``column``; missing values stay missing; text otherwise.
    mapping : dict
        See :func:`channel_mapping`.
    """
    codes, uniques = pd.factorize(column.to_numpy())
    mapping = channel_mapping(uniques, overrides)
    names = np.array([mapping[str(u)] for u in uniques] + [None], dtype=object)
    return pd.Series(names[codes], index=column.index, name=column.name), mapping


def mapped_values(mapping: Mapping[str, str]) -> dict[str, str]:
    """Only the values a synonym or the user changed (raw -> channel), for notes and tables."""
    return {raw: channel for raw, channel in mapping.items() if raw != channel}


# --- the user's choices ----------------------------------------------------------------------

KEEP_AS_WRITTEN = "(keep as written)"
"""The choice that keeps a channel value as it is in the file."""
MAX_CHOICES = 50
"""More distinct values than this and the column is not a handful of channels: no table."""


def channel_choices(
    column: pd.Series, overrides: Mapping[str, str] | None = None, limit: int = MAX_CHOICES
) -> pd.DataFrame:
    """The channel values of a raw column with what each becomes, for the user to correct.

    Parameters
    ----------
    column : Series
        The channel column as read from the file (cleaned as validation cleans it, so the values
        match the transactions').
    overrides : mapping, optional
        Earlier choices (raw value -> channel), as in :func:`channel_mapping`.
    limit : int
        At most this many values, most frequent first.

    Returns
    -------
    DataFrame
        ``value`` (as written), ``rows`` (how many rows carry it), ``guess`` (the channel a
        synonym gives, else :data:`KEEP_AS_WRITTEN`) and ``channel`` (the current choice: one of
        :data:`CHANNELS` or :data:`KEEP_AS_WRITTEN`).
    """
    counts = id_counts(column).head(limit)
    values = [str(v) for v in counts.index]
    guesses = [guess_channel(v) or KEEP_AS_WRITTEN for v in values]
    used = channel_mapping(values, overrides)
    chosen = [
        used[v] if used[v] in CHANNELS else KEEP_AS_WRITTEN for v in values
    ]  # a free-text choice from a hand-edited workspace shows as kept
    return pd.DataFrame(
        {"value": values, "rows": counts.to_numpy(), "guess": guesses, "channel": chosen}
    )


def overrides_from_choices(choices: pd.DataFrame) -> dict[str, str]:
    """The user's corrections in a :func:`channel_choices` table as overrides for
    :class:`cvm_core.intake.schema.ColumnMapping`: only the rows whose channel differs from the
    guess (raw value -> channel, or -> the value itself for :data:`KEEP_AS_WRITTEN`)."""
    out: dict[str, str] = {}
    for row in choices.itertuples(index=False):
        channel = row.channel if isinstance(row.channel, str) and row.channel else row.guess
        if channel != row.guess:
            out[str(row.value)] = str(row.value) if channel == KEEP_AS_WRITTEN else channel
    return out
