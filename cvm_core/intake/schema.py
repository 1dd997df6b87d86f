"""Column roles: what each column of an uploaded table means, and parsing its cells.

The role guesser reads headers in English, German and Chinese and falls back on content. Parsers
work on a column's distinct values and map back, because sales exports repeat the same dates and
amounts many times; that keeps a million-row file fast without giving up messy formats (decimal
commas, currency symbols, trailing minus, Excel serial dates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvm_core.i18n import N_, Message
from cvm_core.intake.amounts import parse_amounts
from cvm_core.intake.dates import parse_dates
from cvm_core.intake.distinct import expand, factorize_column

# --- roles -------------------------------------------------------------------------------------

TRANSACTION_ROLES: dict[str, str] = {
    "customer_id": "Customer ID",
    "date": "Date",
    "revenue": "Revenue",
    "order_id": "Order ID",
    "quantity": "Quantity",
    "unit_price": "Unit price",
    "product": "Product",
    "category": "Category",
    "channel": "Channel",
    "cost": "Cost of goods",
    "margin_pct": "Margin %",
    "return_flag": "Return flag",
}
"""Role key -> label shown to users. customer_id, date and revenue (or quantity x unit price) are required."""

REQUIRED_ROLES = ("customer_id", "date", "revenue")

CUSTOMER_ROLES: dict[str, str] = {
    "customer_id": "Customer ID",
    "customer_name": "Customer name",
    "acquisition_date": "Acquisition date",
    "acquisition_channel": "Acquisition channel",
    "acquisition_cost": "Acquisition cost",
    "region": "Region",
    "industry": "Industry",
    "category_spend": "Total category spend (wallet)",
}

# Headers are compared after _normalise(): lower case, units in brackets and punctuation removed.
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customerid",
        "customer",
        "custid",
        "customerno",
        "customernumber",
        "customercode",
        "clientid",
        "client",
        "clientno",
        "accountid",
        "account",
        "accountnumber",
        "memberid",
        "userid",
        "buyerid",
        "kundennummer",
        "kundennr",
        "kunde",
        "kundenid",
        "kundencode",
        "客户编号",
        "客户id",
        "客户",
        "客户代码",
        "客户号",
        "会员id",
        "会员编号",
        "用户id",
    ),
    "date": (
        "date",
        "orderdate",
        "invoicedate",
        "transactiondate",
        "purchasedate",
        "salesdate",
        "saledate",
        "datum",
        "bestelldatum",
        "rechnungsdatum",
        "belegdatum",
        "auftragsdatum",
        "verkaufsdatum",
        "订单日期",
        "日期",
        "交易日期",
        "购买日期",
        "下单日期",
        "销售日期",
    ),
    "revenue": (
        "revenue",
        "sales",
        "amount",
        "netsales",
        "salesamount",
        "totalamount",
        "netamount",
        "netrevenue",
        "turnover",
        "linetotal",
        "value",
        "salesvalue",
        "dollars",  # CDNOW and other US exports name the amount column by its currency
        "dollar",
        "euros",
        "umsatz",
        "betrag",
        "nettobetrag",
        "nettoumsatz",
        "gesamtbetrag",
        "金额",
        "销售额",
        "收入",
        "订单金额",
        "销售金额",
        "实付金额",
        "成交金额",
    ),
    "order_id": (
        "orderid",
        "order",
        "ordernumber",
        "orderno",
        "invoice",
        "invoiceno",
        "invoicenumber",
        "invoiceid",
        "transactionid",
        "receiptid",
        "bestellnummer",
        "auftragsnummer",
        "rechnungsnummer",
        "belegnummer",
        "auftrag",
        "订单编号",
        "订单号",
        "单号",
        "订单id",
    ),
    "quantity": ("quantity", "qty", "units", "menge", "anzahl", "stuck", "stück", "数量", "件数"),
    "unit_price": (
        "unitprice",
        "price",
        "priceeach",
        "priceperunit",
        "einzelpreis",
        "preis",
        "stückpreis",
        "单价",
        "价格",
    ),
    "product": (
        "product",
        "productname",
        "productid",
        "item",
        "itemname",
        "sku",
        "article",
        "artikel",
        "artikelnummer",
        "produkt",
        "产品",
        "商品",
        "产品名称",
        "商品名称",
    ),
    "category": (
        "category",
        "productcategory",
        "productgroup",
        "kategorie",
        "warengruppe",
        "produktgruppe",
        "类别",
        "品类",
        "产品类别",
        "商品类别",
    ),
    "channel": ("channel", "saleschannel", "vertriebskanal", "kanal", "渠道", "销售渠道"),
    "cost": (
        "costofgoods",
        "cogs",
        "costofgoodssold",
        "costofsales",
        "cost",
        "productcost",
        "wareneinsatz",
        "herstellkosten",
        "kosten",
        "成本",
        "销售成本",
        "商品成本",
    ),
    "margin_pct": ("marginpct", "marginpercent", "grossmarginpct", "margenprozent", "毛利率"),
    "return_flag": (
        "return",
        "returned",
        "isreturn",
        "returnflag",
        "retoure",
        "rücksendung",
        "rückgabe",
        "退货",
        "是否退货",
    ),
    "customer_name": ("customername", "name", "company", "kundenname", "firma", "客户名称", "名称"),
    "acquisition_date": (
        "acquisitiondate",
        "firstorderdate",
        "signupdate",
        "customersince",
        "kundeseit",
        "erstkaufdatum",
        "获客日期",
        "注册日期",
    ),
    "acquisition_channel": (
        "acquisitionchannel",
        "source",
        "leadsource",
        "akquisitionskanal",
        "获客渠道",
        "来源",
    ),
    "acquisition_cost": (
        "acquisitioncost",
        "cac",
        "costofacquisition",
        "akquisitionskosten",
        "获客成本",
    ),
    "region": ("region", "area", "territory", "gebiet", "地区", "区域"),
    "industry": ("industry", "sector", "branche", "segment", "行业"),
    "category_spend": (
        "categoryspend",
        "totalcategoryspend",
        "walletsize",
        "wallet",
        "kategorieausgaben",
        "品类支出",
        "钱包份额",
    ),
}

# A header containing these is never a customer id, whatever else it says.
_NOT_AN_ID = re.compile(r"name|mail|address|adresse|phone|telefon|名称|姓名|地址|电话")
_UNITS_IN_BRACKETS = re.compile(r"[\(\[（].*?[\)\]）]")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def _normalise(header: str) -> str:
    text = _UNITS_IN_BRACKETS.sub("", str(header)).lower()
    text = text.replace("%", "pct").replace("ä", "a").replace("ö", "o").replace("ü", "u")
    return _NON_WORD.sub("", text)


def normalise_header(header: str) -> str:
    """A header as role synonyms are compared: lower case, units in brackets and punctuation
    removed ("Amount (EUR)" -> "amount"); other tables' role guessers use it too."""
    return _normalise(header)


_ALL_SYNONYMS = {_normalise(s) for values in HEADER_SYNONYMS.values() for s in values}


def header_keyword_hits(cells: list[str]) -> int:
    """How many of these cells read as a column name we know (used to find the header row)."""
    return sum(_normalise(c) in _ALL_SYNONYMS for c in cells)


def _header_score(role: str, header: str) -> int:
    """3 for an exact synonym, 2 when a long synonym starts or ends the header, else 0."""
    name = _normalise(header)
    if not name or (role == "customer_id" and _NOT_AN_ID.search(str(header).lower())):
        return 0
    synonyms = [_normalise(s) for s in HEADER_SYNONYMS[role]]
    if name in synonyms:
        return 3
    if any(len(s) >= 4 and (name.startswith(s) or name.endswith(s)) for s in synonyms):
        return 2
    return 0


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column plays which role. Roles not in ``roles`` are absent from the data.

    Attributes
    ----------
    roles : dict[str, str]
        Role key -> source column name.
    attributes : tuple[str, ...]
        Further source columns kept as customer or transaction attributes.
    channels : dict[str, str]
        The user's choices for channel values (value as written -> the cost model's channel, or
        the value itself to keep it); values not listed are matched by
        :func:`cvm_core.intake.channels.channel_mapping`.
    """

    roles: dict[str, str] = field(default_factory=dict)
    attributes: tuple[str, ...] = ()
    channels: dict[str, str] = field(default_factory=dict)

    def get(self, role: str) -> str | None:
        return self.roles.get(role)

    def missing_required(self) -> list[str]:
        """Required roles with no column (revenue counts as present given quantity and unit price)."""
        missing = [r for r in REQUIRED_ROLES if r not in self.roles]
        if "revenue" in missing and {"quantity", "unit_price"} <= self.roles.keys():
            missing.remove("revenue")
        return missing


def guess_mapping(frame: pd.DataFrame, roles: dict[str, str] | None = None) -> ColumnMapping:
    """Guess each column's role from its header, then fill required gaps from the content.

    Parameters
    ----------
    frame : DataFrame
        A raw table (see :func:`cvm_core.intake.io.read_workbook`).
    roles : dict, optional
        Role vocabulary to guess; defaults to :data:`TRANSACTION_ROLES`.

    Returns
    -------
    ColumnMapping
        Every column is used at most once; unmapped columns become attributes.
    """
    vocabulary = roles or TRANSACTION_ROLES
    # Best score first, then the role listed first, then the leftmost column: of two columns
    # both called "Amount" (read as "Amount" and "Amount (2)") the first is revenue.
    candidates = sorted(
        (
            (_header_score(role, col), -order, -position, role, col)
            for order, role in enumerate(vocabulary)
            for position, col in enumerate(frame.columns)
        ),
        reverse=True,
    )
    chosen: dict[str, str] = {}
    for score, _, _, role, col in candidates:
        if score > 0 and role not in chosen and col not in chosen.values():
            chosen[role] = col
    if vocabulary is TRANSACTION_ROLES:
        _guess_from_content(frame, chosen)
    attributes = tuple(c for c in frame.columns if c not in chosen.values())
    return ColumnMapping(chosen, attributes)


_COPY_SUFFIX = re.compile(r"^(.*) \((\d+)\)$")  # how io.read_workbook names a repeated header
_COUNT_WORDS = {2: Message(N_("Two")), 3: Message(N_("Three")), 4: Message(N_("Four"))}
_ORDINALS = {
    1: Message(N_("first")),
    2: Message(N_("second")),
    3: Message(N_("third")),
    4: Message(N_("fourth")),
}


class RoleLabel(Message):
    """A role's label inside a sentence: lower-cased in English ("unit price"), in another
    language the label as the catalogs translate it (German nouns keep their capital)."""

    def __new__(cls, template: str, **values: object) -> RoleLabel:
        label = str.__new__(cls, template[:1].lower() + template[1:])
        label.template, label.values = template, {}
        return label


def duplicate_header_notes(columns: list[str] | pd.Index, roles: dict[str, str]) -> list[str]:
    """A note for each mapped column whose header the file repeats, naming the columns.

    The reader keeps both columns of a header written twice ("Amount", "Amount (2)"); the guess
    maps the first. The user may mean the other, so say which was used and how to change it.
    """
    columns = [str(c) for c in columns]
    groups: dict[str, list[str]] = {}
    for column in columns:
        copy = _COPY_SUFFIX.match(column)
        base = copy.group(1) if copy and copy.group(1) in columns else column
        groups.setdefault(base, []).append(column)
    notes = []
    for role, used in roles.items():
        group = next((g for g in groups.values() if used in g and len(g) > 1), None)
        others = [c for c in group or [] if c != used and c not in roles.values()]
        if not others:
            continue
        base = group[0]
        count = _COUNT_WORDS.get(len(group), len(group))
        position = group.index(used) + 1
        nth = _ORDINALS.get(position) or Message(N_("number {n}"), n=str(position))
        label = RoleLabel(TRANSACTION_ROLES.get(role, role))
        choices = ", ".join(f"'{c}'" for c in others)
        template = (
            N_(
                "{count} columns are called '{base}'; used the {nth} ('{used}') as {label}; choose the other ({choices}) in the column mapping if that is the right one."
            )  # fmt: skip
            if len(others) == 1
            else N_(
                "{count} columns are called '{base}'; used the {nth} ('{used}') as {label}; choose another ({choices}) in the column mapping if that is the right one."
            )  # fmt: skip
        )
        notes.append(
            Message(
                template, count=count, base=base, nth=nth, used=used, label=label, choices=choices
            )
        )
    return notes


def _guess_from_content(frame: pd.DataFrame, chosen: dict[str, str]) -> None:
    """Fill missing required roles from what the columns hold, on a sample of rows."""
    sample = frame.head(500)
    free = [c for c in frame.columns if c not in chosen.values()]
    if "date" not in chosen:
        for col in free:
            if _share_parsed(parse_dates(sample[col], "dayfirst").values, sample[col]) >= 0.8:
                chosen["date"] = col
                free.remove(col)
                break
    if "revenue" not in chosen and not {"quantity", "unit_price"} <= chosen.keys():
        amounts = {c: parse_amounts(sample[c]).values for c in free}
        numeric = {c: v for c, v in amounts.items() if _share_parsed(v, sample[c]) >= 0.9}
        # Money has cents; ids and counts don't.
        money = [c for c, v in numeric.items() if np.nanmax(np.abs(v % 1), initial=0) > 0]
        if money:
            chosen["revenue"] = max(money, key=lambda c: np.nansum(np.abs(numeric[c])))
            free.remove(chosen["revenue"])
    if "customer_id" not in chosen:
        # Names, e-mails and addresses repeat like ids but are never the id (same rule as headers).
        for col in [c for c in free if not _NOT_AN_ID.search(str(c).lower())]:
            distinct = sample[col].nunique()
            if 1 < distinct < 0.7 * len(sample) and sample[col].map(_looks_like_id).mean() > 0.9:
                chosen["customer_id"] = col
                break


def _looks_like_id(value: object) -> bool:
    text = str(value).strip()
    return bool(text) and len(text) <= 40 and not re.fullmatch(r"-?\d+[.,]\d+", text)


def _share_parsed(values: np.ndarray, raw: pd.Series) -> float:
    filled = raw.notna() & (raw.astype(str).str.strip() != "")
    if not filled.any():
        return 0.0
    return float((~pd.isna(values) & filled.to_numpy()).sum() / filled.sum())


# --- identifiers -------------------------------------------------------------------------------


def clean_ids(column: pd.Series) -> pd.Series:
    """Identifiers as text; 1001.0 from a workbook becomes '1001'; blanks become missing."""
    codes, uniques = factorize_column(column)
    cleaned = np.array([_id_text(u) for u in uniques], dtype=object)
    cleaned[cleaned == ""] = None
    return pd.Series(expand(codes, cleaned, None), index=column.index, dtype=object)


def id_counts(column: pd.Series) -> pd.Series:
    """Exactly ``clean_ids(column).value_counts()``, counted on the distinct raw values.

    The rows are never turned into text: each distinct value is cleaned once and the counts of
    values that clean to the same text (" Web" and "Web") are added. A third of the time on a
    million rows of a few channels, on every run of the Upload page.
    """
    codes, uniques = factorize_column(column)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    # value_counts counts in order of first appearance before it sorts, so ties come out in that
    # order. Factorized codes follow it already; a categorical's follow its categories.
    order = (
        pd.unique(codes[codes >= 0])
        if isinstance(column.dtype, pd.CategoricalDtype)
        else np.arange(len(uniques))
    )
    cleaned = pd.Series([_id_text(u) for u in uniques[order]], dtype=object).replace("", None)
    kept = cleaned.notna().to_numpy()
    summed = pd.Series(counts[order][kept]).groupby(cleaned[kept].to_numpy(), sort=False).sum()
    return summed.sort_values(ascending=False).rename("count").rename_axis(None)


def _id_text(value: object) -> str | None:
    if isinstance(value, float):
        if np.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    return str(value).strip()


# --- flags -------------------------------------------------------------------------------------

_TRUE_WORDS = {
    "1",
    "1.0",
    "y",
    "yes",
    "true",
    "x",
    "ja",
    "j",
    "wahr",
    "returned",
    "return",
    "retoure",
    "是",
    "退货",
}


def parse_flags(column: pd.Series) -> np.ndarray:
    """Read a yes/no column (Yes/No, Ja/Nein, 1/0, TRUE/FALSE, 是/否, x/blank) as booleans."""
    if pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=bool)
    codes, uniques = factorize_column(column)
    truthy = np.array([str(u).strip().lower() in _TRUE_WORDS or u is True for u in uniques], bool)
    return expand(codes, truthy, False).astype(bool)
