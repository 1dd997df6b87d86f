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

from cvm_core.errors import AmbiguousDateOrderError

# --- distinct values ---------------------------------------------------------------------------


def factorize_column(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 for missing) and distinct values as an object array.

    Free for categorical columns (the CSV reader dictionary-encodes), one hash pass otherwise. All
    parsers work on the distinct values and map back through the codes.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(dtype=np.int64), column.cat.categories.to_numpy(
            dtype=object
        )
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def expand(codes: np.ndarray, per_unique: np.ndarray, missing: object) -> np.ndarray:
    """Map values computed per distinct value back to rows (``missing`` where the code is -1)."""
    if len(per_unique) == 0:
        return np.full(
            len(codes), missing, dtype=object if isinstance(missing, str | None) else None
        )
    if len(codes) and codes.min() < -1:  # any negative code means missing
        return np.where(codes >= 0, per_unique[np.maximum(codes, 0)], missing)
    # One gather from the distinct values with ``missing`` in an extra last slot, which code -1
    # picks: np.where's second pass over the rows doubled the cost for object arrays (10M rows).
    # The dtype is the one np.where gives, found on one element.
    dtype = np.where([True, False], per_unique[:1], missing).dtype
    table = np.empty(len(per_unique) + 1, dtype=dtype)
    table[:-1] = per_unique
    table[-1] = missing
    return table[codes]


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
    """

    roles: dict[str, str] = field(default_factory=dict)
    attributes: tuple[str, ...] = ()

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
    candidates = sorted(
        (
            (_header_score(role, col), -order, role, col)
            for order, role in enumerate(vocabulary)
            for col in frame.columns
        ),
        reverse=True,
    )
    chosen: dict[str, str] = {}
    for score, _, role, col in candidates:
        if score > 0 and role not in chosen and col not in chosen.values():
            chosen[role] = col
    if vocabulary is TRANSACTION_ROLES:
        _guess_from_content(frame, chosen)
    attributes = tuple(c for c in frame.columns if c not in chosen.values())
    return ColumnMapping(chosen, attributes)


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


# --- amounts -----------------------------------------------------------------------------------

_CURRENCY = re.compile(r"(?i)[€$£¥₹\s\u00a0']|\b(?:euros?|eur|usd|gbp|chf|cny|rmb|jpy)\b|元")
# Unambiguous evidence only. "1.500" and "1,234" (one separator, three digits after it, at most
# three before) read either way and count for neither side, so whole thousands cannot outvote
# the cents of "12,50". Two of the same separator mark thousands ("1.234.567": the decimal is
# the comma); both separators mean the last one is the decimal.
_DECIMAL_COMMA_EVIDENCE = re.compile(
    r"^\d{1,3}(?:\.\d{3})+,\d*$"  # 1.234,5
    r"|^\d{1,3}(?:\.\d{3}){2,}$"  # 1.234.567
    r"|^\d*,(?:\d{1,2}|\d{4,})$"  # 12,5  12,50  0,1234  ,5
    r"|^(?:\d{4,}|0),\d{3}$"  # 1234,567  0,500
)
_DECIMAL_POINT_EVIDENCE = re.compile(
    r"^\d{1,3}(?:,\d{3})+\.\d*$"
    r"|^\d{1,3}(?:,\d{3}){2,}$"
    r"|^\d*\.(?:\d{1,2}|\d{4,})$"
    r"|^(?:\d{4,}|0)\.\d{3}$"
)
CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "CNY", "₹": "INR"}


@dataclass(frozen=True)
class ParsedColumn:
    """Values parsed from a column, with which cells were filled but could not be read."""

    values: np.ndarray
    invalid: np.ndarray
    note: str = ""


def parse_amounts(column: pd.Series) -> ParsedColumn:
    """Read money or counts written as numbers or as text.

    Handles currency symbols and codes, thousands separators, decimal commas (decided once per column
    from the evidence, so 1.234 is not read as 1234 in one row and 1.234 in another), trailing minus
    (``12,50-``) and parentheses for negatives (``(12.50)``).
    """
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=float, copy=True)
        infinite = np.isinf(values)
        values[infinite] = np.nan  # no inf may reach a sum or the screen
        return ParsedColumn(values, infinite)
    codes, uniques = factorize_column(column)
    parsed, note = _parse_amount_uniques(pd.Series(uniques, dtype=object))
    parsed[~np.isfinite(parsed)] = np.nan  # "inf", "Infinity", "1e999" are not amounts
    values = expand(codes, parsed, np.nan).astype(float)
    filled = expand(codes, _is_filled(uniques), False).astype(bool)
    return ParsedColumn(values, filled & np.isnan(values), note)


def _is_filled(uniques: np.ndarray | pd.Index) -> np.ndarray:
    text = pd.Series(uniques, dtype=object).astype(str).str.strip()
    return (text != "").to_numpy() & ~pd.isna(pd.Series(uniques, dtype=object)).to_numpy()


def _parse_amount_uniques(uniques: pd.Series) -> tuple[np.ndarray, str]:
    is_text = uniques.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    values = pd.to_numeric(uniques.where(~is_text), errors="coerce").to_numpy(dtype=float)
    if not is_text.any():
        return values, ""
    text = uniques[is_text].astype(str).str.strip()
    decimal_comma = _uses_decimal_comma(text)
    if decimal_comma:
        plain = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        plain = text.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(plain, errors="coerce")  # fast path: most cells are plain numbers
    messy = numbers.isna() & (text != "")
    if messy.any():
        numbers[messy] = _parse_messy_amounts(plain[messy])
    values[is_text] = numbers.to_numpy(dtype=float)
    return values, "decimal comma" if decimal_comma else ""


def _uses_decimal_comma(text: pd.Series) -> bool:
    """One decision per column, from a sample: 1.234,50 and 12,5 say comma; 1,234.50 and 12.5 say point."""
    sample = text.sample(min(len(text), 5000), random_state=0) if len(text) > 5000 else text
    sample = sample.str.replace(_CURRENCY, "", regex=True).str.strip("()+-−%")
    commas = sample.str.match(_DECIMAL_COMMA_EVIDENCE).sum()
    points = sample.str.match(_DECIMAL_POINT_EVIDENCE).sum()
    return bool(commas > points)


def _parse_messy_amounts(plain: pd.Series) -> pd.Series:
    """Currency symbols and codes, (12.50) and 12.50- negatives, percent signs."""
    cleaned = plain.str.replace(_CURRENCY, "", regex=True).str.replace("−", "-", regex=False)
    negative = (
        cleaned.str.match(r"^\(.*\)$") | cleaned.str.endswith("-") | cleaned.str.startswith("-")
    )
    numbers = pd.to_numeric(cleaned.str.strip("()+-").str.rstrip("%"), errors="coerce")
    return numbers.where(~negative, -numbers)


def detect_currency(column: pd.Series, header: str = "") -> str | None:
    """The currency written in a column's cells or its header, if any (EUR, USD, ...)."""
    head = " ".join(column.head(200).astype(str).tolist()) + " " + header
    for symbol, code in CURRENCY_SYMBOLS.items():
        if symbol in head:
            return code
    found = re.search(r"(?i)\b(EUR|EUROS?|USD|GBP|CHF|CNY|RMB|JPY)\b", head)
    if found:
        code = found.group(1).upper()
        return {"RMB": "CNY", "EURO": "EUR", "EUROS": "EUR"}.get(code, code)
    return None


# --- dates -------------------------------------------------------------------------------------

# Shape of a date's text -> strptime format; the two slash shapes depend on the day/month order.
_DATE_SHAPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$"), "%Y/%m/%d"),
    (re.compile(r"^\d{4}\.\d{1,2}\.\d{1,2}$"), "%Y.%m.%d"),
    (re.compile(r"^\d{8}$"), "%Y%m%d"),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"), "%d.%m.%Y"),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2}$"), "%d.%m.%y"),
    (re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$"), "%Y年%m月%d日"),
    (re.compile(r"^\d{1,2}[/-]\d{1,2}[/-]\d{4}$"), "slash4"),
    (re.compile(r"^\d{1,2}[/-]\d{1,2}[/-]\d{2}$"), "slash2"),
    (re.compile(r"^\d{5}(?:\.\d+)?$"), "serial"),
]
_TIME_PART = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?[AaPp][Mm])?Z?)$")
# Lower case on purpose: the free-form parser's sanity check looks for three lower-case letters.
_GERMAN_MONTHS = {
    "januar": "january",
    "jänner": "january",
    "februar": "february",
    "märz": "march",
    "maerz": "march",
    "mai": "may",
    "juni": "june",
    "juli": "july",
    "oktober": "october",
    "dezember": "december",
    "okt": "oct",
    "dez": "dec",
    "mär": "mar",
}
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
DATE_ORDERS = ("auto", "dayfirst", "monthfirst")


def parse_dates(column: pd.Series, order: str = "auto", column_name: str = "") -> ParsedColumn:
    """Read dates in any of the usual spellings, one day-first/month-first decision per column.

    Parameters
    ----------
    column : Series
        Strings, datetimes, dates or Excel serial numbers, mixed freely.
    order : {"auto", "dayfirst", "monthfirst"}
        How to read 03/04/2024. With "auto" the column's own values decide (a first part above 12 means
        day-first); if nothing decides, :class:`AmbiguousDateOrderError` asks the user.

    Returns
    -------
    ParsedColumn
        ``values`` are datetime64 at day resolution (times of day dropped); unreadable cells are NaT.
    """
    if pd.api.types.is_datetime64_any_dtype(column):
        values = pd.to_datetime(column).dt.tz_localize(None) if column.dt.tz else column
        return ParsedColumn(values.dt.normalize().to_numpy(), np.zeros(len(column), bool))
    codes, uniques = factorize_column(column)
    parsed, note = _parse_date_uniques(pd.Series(uniques, dtype=object), order, column_name)
    values = np.where(
        codes >= 0, parsed[np.maximum(codes, 0)] if len(parsed) else None, np.datetime64("NaT")
    )
    values = values.astype("datetime64[ns]")
    filled = expand(codes, _is_filled(uniques), False).astype(bool)
    return ParsedColumn(values, filled & np.isnat(values), note)


def _parse_date_uniques(uniques: pd.Series, order: str, column_name: str) -> tuple[np.ndarray, str]:
    out = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns]")
    is_text = uniques.map(lambda v: isinstance(v, str))
    is_number = uniques.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
    others = ~is_text & ~is_number
    if others.any():  # datetime / date objects from a workbook
        out[others] = pd.to_datetime(uniques[others], errors="coerce")
    if is_number.any():
        out[is_number] = _from_excel_serial(uniques[is_number].astype(float))
    note = ""
    if is_text.any():
        text = uniques[is_text].astype(str).str.strip().str.replace(_TIME_PART, "", regex=True)
        parsed, note = _parse_date_text(text, order, column_name)
        out[is_text] = parsed
    return out.dt.normalize().to_numpy(dtype="datetime64[ns]"), note


def _from_excel_serial(numbers: pd.Series) -> pd.Series:
    # 1954..2119 as serials; outside that a number is not a plausible sales date.
    plausible = numbers.between(20_000, 80_000)
    days = pd.to_timedelta(numbers.where(plausible), unit="D")
    return (_EXCEL_EPOCH + days).where(plausible)


def _parse_date_text(text: pd.Series, order: str, column_name: str) -> tuple[pd.Series, str]:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    remaining = pd.Series(True, index=text.index)
    note = ""
    for pattern, fmt in _DATE_SHAPES:
        matches = remaining & text.str.match(pattern)
        if not matches.any():
            continue
        remaining &= ~matches
        values = text[matches]
        if fmt == "serial":
            out[matches] = _from_excel_serial(values.astype(float))
            continue
        if fmt.startswith("slash"):
            day_first = _decide_day_first(values, order, column_name)
            note = "day-first" if day_first else "month-first"
            values = values.str.replace("-", "/", regex=False)
            year = "%Y" if fmt == "slash4" else "%y"
            fmt = f"%d/%m/{year}" if day_first else f"%m/%d/{year}"
        elif fmt.startswith("%d.%m") and not note:
            # Dotted dates are day-first wherever they are written (31.12.2024); say so rather
            # than ask, since a month-first dotted date is not a convention anywhere.
            note = "day-first (dates with dots, like 03.04.2024, are written day-first)"
        out[matches] = pd.to_datetime(values, format=fmt, errors="coerce")
    if remaining.any():  # text months and other free forms
        out[remaining] = _parse_free_form(text[remaining], order)
    return out, note


def _decide_day_first(values: pd.Series, order: str, column_name: str) -> bool:
    if order != "auto":
        return order == "dayfirst"
    parts = values.str.extract(r"^(\d{1,2})[/-](\d{1,2})").astype(int)
    first_is_day = int((parts[0] > 12).sum())
    second_is_day = int((parts[1] > 12).sum())
    if first_is_day or second_is_day:
        return first_is_day >= second_is_day
    if (parts[0] == parts[1]).all():
        return True  # 01/01, 02/02 ...: both readings give the same dates
    raise AmbiguousDateOrderError(column_name or "date", values.head(6).tolist())


def _parse_free_form(text: pd.Series, order: str) -> pd.Series:
    lowered = text.str.lower()
    for german, english in _GERMAN_MONTHS.items():
        lowered = lowered.str.replace(rf"\b{german}\b", english, regex=True)
    lowered = lowered.str.replace(r"(\d)\.(?=\s)", r"\1", regex=True)  # "12. März" -> "12 March"
    parsed = pd.to_datetime(
        lowered, format="mixed", dayfirst=order != "monthfirst", errors="coerce"
    )
    # Free-form parsing accepts bare numbers and words as dates; insist on a month or a year in them.
    sensible = lowered.str.contains(r"[a-z]{3}", regex=True) & lowered.str.contains(
        r"\d", regex=True
    )
    return parsed.where(sensible)


# --- identifiers -------------------------------------------------------------------------------


def clean_ids(column: pd.Series) -> pd.Series:
    """Identifiers as text; 1001.0 from a workbook becomes '1001'; blanks become missing."""
    codes, uniques = factorize_column(column)
    cleaned = np.array([_id_text(u) for u in uniques], dtype=object)
    cleaned[cleaned == ""] = None
    return pd.Series(expand(codes, cleaned, None), index=column.index, dtype=object)


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
