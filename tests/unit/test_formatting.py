"""Numbers and user text as the pages show them."""

import numpy as np

from cvm_core import formatting


def test_numpy_numbers_format_like_python_numbers():
    assert formatting.count(np.int64(1234)) == "1,234"
    assert formatting.money(np.float32(2.5), "EUR", 1) == "€2.5"
    assert formatting.count(float("nan")) == "–" and formatting.count(True) == "–"


def test_user_text_is_shown_literally_in_markdown():
    name = "Q1_**final** [click](http://x) :red[alarm].xlsx"
    assert formatting.escape_markdown(name) == (
        r"Q1\_\*\*final\*\* \[click\](http\://x) \:red\[alarm\].xlsx"
    )
    assert (
        formatting.escape_markdown("Demo retail (4,000 customers)")
        == "Demo retail (4,000 customers)"
    )


def test_counted_is_singular_for_one_only():
    assert formatting.counted(1, "day") == "1 day"
    assert formatting.counted(0, "day") == "0 days"
    assert formatting.counted(2, "week") == "2 weeks"
    assert formatting.counted(1234, "customer") == "1,234 customers"
    assert formatting.counted(1.0, "month") == "1 month"
    assert formatting.counted(1.04, "day") == "1 day"  # shown as 1
    assert formatting.counted(1.5, "day", 1) == "1.5 days"
    assert formatting.counted(1, "activity", plural="activities") == "1 activity"
    assert formatting.counted(float("nan"), "day") == "–"
