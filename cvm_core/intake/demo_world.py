"""The demo business the generator draws from: catalogue, channels, regions, industries and the
behaviour that ties them together (who buys what, how often, through which channel).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------------------------------------
# The business: catalogue, channels, customer attributes
# ---------------------------------------------------------------------------------------------

# Category -> (gross margin on list price, typical quantity per order line).
CATEGORIES: dict[str, tuple[float, float]] = {
    "Coffee": (0.38, 4.0),
    "Tea": (0.45, 3.0),
    "Machines": (0.22, 1.05),
    "Accessories": (0.52, 2.0),
    "Cleaning": (0.41, 3.0),
    "Snacks": (0.30, 6.0),
    "Gifts": (0.47, 2.0),
    "Spare parts": (0.55, 1.2),
}

# Products in order of popularity within their category, with list prices at the period start.
CATALOG: dict[str, list[tuple[str, float]]] = {
    "Coffee": [
        ("House Blend 1kg", 13.90),
        ("Espresso Classico 1kg", 18.90),
        ("Crema Bar 1kg", 16.50),
        ("Coffee Pods x50", 15.90),
        ("Organic Fairtrade 1kg", 22.90),
        ("Decaf Blend 1kg", 19.50),
        ("Single Origin Ethiopia 500g", 14.90),
        ("Instant Premium 500g", 12.50),
    ],
    "Tea": [
        ("Earl Grey 100 bags", 6.90),
        ("Green Sencha 100 bags", 7.50),
        ("Herbal Mix 100 bags", 5.90),
        ("Rooibos 100 bags", 6.50),
        ("Chai Loose 250g", 9.90),
        ("Matcha 100g", 24.90),
    ],
    "Machines": [
        ("Capsule Machine Office", 249.00),
        ("Filter Brewer XL", 389.00),
        ("Milk Frother Station", 459.00),
        ("Bean-to-cup B200", 1290.00),
        ("Bean-to-cup Pro 500", 2490.00),
        ("Espresso 2-group", 3890.00),
    ],
    "Accessories": [
        ("Paper Cups 200 pcs", 12.90),
        ("Stirrers 1000 pcs", 4.90),
        ("Sugar Sticks 500 pcs", 8.90),
        ("Porcelain Cups x6", 24.90),
        ("Milk Jug Steel", 14.50),
        ("Thermos 2L", 29.90),
        ("Barista Apron", 19.90),
        ("Tamper Pro", 34.90),
    ],
    "Cleaning": [
        ("Descaler 1L", 9.90),
        ("Cleaning Tablets x100", 19.90),
        ("Milk System Cleaner", 12.90),
        ("Water Filter Cartridge", 24.90),
        ("Grinder Cleaner", 11.50),
    ],
    "Snacks": [
        ("Cookies Assorted 500g", 6.90),
        ("Biscotti 1kg", 11.90),
        ("Chocolate Squares x200", 14.90),
        ("Waffles x48", 9.90),
        ("Almond Cantuccini 500g", 8.50),
    ],
    "Gifts": [
        ("Mug Set Branded", 24.90),
        ("Coffee Tasting Set", 29.90),
        ("Tea Collection Tin", 19.90),
        ("Gift Box Discovery", 39.90),
    ],
    "Spare parts": [
        ("Brew Unit Gasket Set", 18.50),
        ("Drip Tray", 22.00),
        ("Water Tank 2L", 39.00),
        ("Steam Wand", 64.00),
        ("Grinder Burr Set", 89.00),
        ("Pump Module", 149.00),
    ],
}

ORDER_CHANNELS = ("Online", "Store", "Phone", "Field sales")
ACQUISITION_CHANNELS = ("Paid search", "Referral", "Trade fair", "Field sales", "Organic")
REGIONS = ("North", "South", "East", "West", "International")
INDUSTRIES = ("Hospitality", "Office", "Retail", "Private", "Education")

REGION_P = (0.28, 0.26, 0.21, 0.20, 0.05)
INDUSTRY_P = (0.22, 0.28, 0.15, 0.25, 0.10)
# Order size relative to the average customer: a café buys more per order than a household.
INDUSTRY_SIZE = (1.8, 1.2, 1.5, 0.45, 1.1)
# P(acquisition channel | industry); rows follow INDUSTRIES, columns ACQUISITION_CHANNELS.
# Households are not won by field sales or at trade fairs.
ACQ_GIVEN_INDUSTRY = (
    (0.15, 0.25, 0.20, 0.25, 0.15),
    (0.25, 0.20, 0.10, 0.20, 0.25),
    (0.15, 0.25, 0.25, 0.20, 0.15),
    (0.45, 0.15, 0.02, 0.00, 0.38),
    (0.20, 0.25, 0.15, 0.15, 0.25),
)
# Mean acquisition cost per channel: a referral bonus is cheap, a field sales campaign is not.
ACQ_COST_MEAN = (85.0, 35.0, 260.0, 650.0, 12.0)
# Field-sales and trade-fair accounts are larger.
ACQ_SIZE = (1.0, 1.0, 1.3, 1.6, 0.9)
# P(main ordering channel | acquisition channel); columns follow ORDER_CHANNELS.
MAIN_CHANNEL_GIVEN_ACQ = (
    (0.85, 0.05, 0.10, 0.00),
    (0.35, 0.40, 0.20, 0.05),
    (0.30, 0.05, 0.35, 0.30),
    (0.10, 0.00, 0.20, 0.70),
    (0.50, 0.35, 0.15, 0.00),
)
# Orders outside the customer's main channel; field sales only visit their own accounts.
OTHER_CHANNEL_P = (0.50, 0.25, 0.25, 0.00)
# Dirichlet concentrations of each industry's category mix; columns follow CATEGORIES. Small
# totals make customers differ (some only buy coffee); machines are rare purchases everywhere.
CATEGORY_AFFINITY = (
    (2.2, 0.9, 0.12, 0.5, 0.8, 0.6, 0.10, 0.40),
    (1.8, 1.0, 0.08, 0.5, 0.5, 1.0, 0.25, 0.20),
    (1.4, 1.0, 0.08, 0.7, 0.3, 1.0, 0.80, 0.15),
    (1.8, 0.7, 0.04, 0.7, 0.3, 0.3, 0.50, 0.20),
    (1.4, 1.0, 0.06, 0.3, 0.5, 1.0, 0.10, 0.15),
)

SYLLABLES = (
    "ka", "lo", "ven", "dra", "mi", "sol", "ta", "ber", "ri", "no", "vak", "el", "mar", "tin",
    "do", "ra", "zu", "fen", "gal", "hol", "is", "jor", "lin", "mo", "pe", "qua", "sen", "tor",
    "ul", "wes", "an", "bel", "cor", "da", "er", "fi",
)  # fmt: skip
FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Karin",
    "Luca", "Maria", "Noah", "Olga", "Paul", "Rosa", "Sven", "Tara", "Ugo", "Vera", "Wim",
)  # fmt: skip
# Company-style suffixes per industry (Private customers get person names instead).
NAME_SUFFIXES = (
    ("Café", "Bistro", "Hotel", "Catering", "Bar & Grill", "Kitchen"),
    ("Consulting", "Partners", "Solutions", "Office Group", "& Co", "Services"),
    ("Store", "Market", "Shop", "Trading", "Deli", "Outlet"),
    ("",),
    ("School", "Academy", "College", "Institute", "Learning Centre", "University"),
)


@dataclass(frozen=True)
class _Behaviour:
    """Parameters of the simulated behaviour, tuned so 4,000 customers give ~100k rows."""

    # Purchase rate per week ~ Gamma(r, scale=1/alpha); the probability of leaving after each
    # purchase ~ Beta(a, b).
    r: float = 0.8
    alpha: float = 2.8
    # a < 1 makes the churn propensity U-shaped: many quick leavers and a loyal core.
    a: float = 0.5
    b: float = 1.8
    # Acquisition density falls linearly from `early` to `2 - early` over the period.
    early: float = 1.4
    # Order lines: 1 + Binomial(5, Beta(line_a, line_b)) gives 1-6 lines per order.
    line_a: float = 2.5
    line_b: float = 4.5
    # Customer order size ~ Gamma(size_shape) with mean 1, times industry and channel factors.
    size_shape: float = 1.2
    # Share of orders placed in the customer's main channel.
    main_channel_share: float = 0.8
    # Yearly list-price and cost increase.
    inflation: float = 0.035


BEHAVIOUR = _Behaviour()
SMALL_ORDER_SIZE = 0.6  # customers below this order size count as "small-order" customers


def _catalog_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Catalogue as arrays: product names, category index, list price, popularity matrix."""
    names, cats, prices = [], [], []
    width = max(len(items) for items in CATALOG.values())
    popularity = np.zeros((len(CATEGORIES), width))
    for c, category in enumerate(CATEGORIES):
        items = CATALOG[category]
        names += [name for name, _ in items]
        cats += [c] * len(items)
        prices += [price for _, price in items]
        # Zipf-like: the first products in each list sell most.
        popularity[c, : len(items)] = 1.0 / np.arange(1, len(items) + 1) ** 0.8
    return np.array(names, dtype=object), np.array(cats), np.array(prices), popularity


PRODUCT_NAMES, PRODUCT_CATEGORY, LIST_PRICE, POPULARITY = _catalog_arrays()
