"""Write the client-style test files the browser and app tests upload (deterministic: fixed seed).

    python tests/files/make_client_files.py

* german_export.xlsx: a German ERP export, a title row above German headers, channels Filiale /
  Telefon / Online / Außendienst, returns flagged Ja/Nein, ~300 customers over two years.
* chinese_gbk.csv: a Chinese shop export in GBK, channels 线上 / 门店 / 电话, amounts in 元.
* cdnow_dollars.csv: CDNOW's layout (customer id, date, dollars), a few hundred rows.

Rerunning writes the same rows; commit the files together with any change here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20240601
START = dt.date(2023, 1, 1)
DAYS = 730  # two years


def _orders(rng: np.random.Generator, customers: int, channels: list[str], p: list[float]):
    """One row per order: customer, day, channel (each customer mostly uses one channel), amount."""
    rows = []
    number = 10_000
    for c in range(customers):
        first = int(rng.integers(0, DAYS - 30))
        count = 1 + int(rng.poisson(rng.gamma(2.0, 3.0)))
        home = rng.choice(len(channels), p=p)
        days = np.sort(rng.integers(first, DAYS, size=count))
        size = rng.gamma(2.0, 40.0)  # the customer's typical order value
        for day in days:
            channel = home if rng.random() < 0.8 else rng.choice(len(channels), p=p)
            amount = round(float(max(2.0, rng.gamma(3.0, size / 3.0))), 2)
            number += 1
            rows.append((c, int(day), channels[channel], amount, number))
    return rows


def german_export(path: Path) -> None:
    rng = np.random.default_rng(SEED)
    orders = _orders(
        rng, 300, ["Filiale", "Telefon", "Online", "Außendienst"], [0.35, 0.25, 0.3, 0.1]
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Umsätze"
    sheet.append(["Umsatzliste Muster Handels GmbH, Export 2023–2024"])
    sheet.append([])
    sheet.append(["Kundennummer", "Bestelldatum", "Bestellnummer", "Kanal", "Menge", "Umsatz (€)",
                  "Retoure"])  # fmt: skip
    for customer, day, channel, amount, number in orders:
        date = START + dt.timedelta(days=day)
        lines = 1 + int(rng.integers(0, 3))
        for share in rng.dirichlet(np.ones(lines)):
            quantity = 1 + int(rng.integers(0, 4))
            sheet.append([f"K-{1000 + customer}", date, f"B-{number}", channel, quantity,
                          round(amount * float(share), 2), "Nein"])  # fmt: skip
        if rng.random() < 0.05:  # a returned order, a week later, flagged
            sheet.append([f"K-{1000 + customer}", date + dt.timedelta(days=7), f"R-{number}",
                          channel, 1, round(amount / 2, 2), "Ja"])  # fmt: skip
    for row in sheet.iter_rows(min_row=4, min_col=2, max_col=2):
        row[0].number_format = "DD.MM.YYYY"
    fixed = dt.datetime(2024, 12, 31, 12, 0)
    book.properties.created = book.properties.modified = fixed  # the same bytes on every run
    book.save(path)


def chinese_gbk(path: Path) -> None:
    rng = np.random.default_rng(SEED + 1)
    orders = _orders(rng, 200, ["线上", "门店", "电话"], [0.5, 0.35, 0.15])
    rows = []
    for customer, day, channel, amount, number in orders:
        date = START + dt.timedelta(days=day)
        returned = "是" if rng.random() < 0.04 else "否"
        rows.append((f"C{2000 + customer}", f"{date:%Y/%m/%d}", f"{amount * 7:.2f}",
                     f"D{number}", channel, returned))  # fmt: skip
    frame = pd.DataFrame(
        rows, columns=["客户编号", "订单日期", "金额(元)", "订单号", "渠道", "是否退货"]
    )
    frame.to_csv(path, index=False, encoding="gbk")


def cdnow_dollars(path: Path) -> None:
    rng = np.random.default_rng(SEED + 2)
    orders = _orders(rng, 80, ["-"], [1.0])
    rows = [
        (customer + 1, f"{START + dt.timedelta(days=day):%Y%m%d}", f"{amount / 3:.2f}")
        for customer, day, _, amount, _ in orders
    ]
    pd.DataFrame(rows, columns=["customer id", "date", "dollars"]).to_csv(path, index=False)


if __name__ == "__main__":
    german_export(HERE / "german_export.xlsx")
    chinese_gbk(HERE / "chinese_gbk.csv")
    cdnow_dollars(HERE / "cdnow_dollars.csv")
    for name in ("german_export.xlsx", "chinese_gbk.csv", "cdnow_dollars.csv"):
        print(name, (HERE / name).stat().st_size, "bytes")
