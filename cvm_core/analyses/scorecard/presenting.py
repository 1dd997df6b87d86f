"""The scorecard as people read it: formatted values and changes, the table, the JSON form, and
targets typed as people write them.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from cvm_core import i18n
from cvm_core.analyses.scorecard.formats import DISPLAY_SCALE, format_change, format_value
from cvm_core.analyses.scorecard.inputs import Scorecard
from cvm_core.analyses.scorecard.specs import MONEY, measure_name, shown_source
from cvm_core.analyses.scorecard.takeaways import takeaway
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, _

TABLE_HEADERS = (
    N_("Perspective"), N_("Measure"), N_("Definition"), N_("Value"), N_("Previous period"),
    N_("Change"), N_("Target"), N_("Status"), N_("Scenario"), N_("Source / how to enable"),
    N_("Unit"), N_("Previous"),
)  # fmt: skip
"""Column headers (English in the frame; the deck and the workbook translate the header row)."""


def scorecard_table(result: Scorecard, formatted: bool = True) -> pd.DataFrame:
    """The scorecard as a plain table, for slides, workbooks and downloads.

    Parameters
    ----------
    result : Scorecard
    formatted : bool
        True: values as text with units (for a slide's native table). False: numbers (shares as
        fractions, money in ``result.currency``) with a Unit column, for a workbook.

    Returns
    -------
    DataFrame
        Columns :data:`TABLE_HEADERS` (formatted) or Perspective, Measure, Definition, Unit, Value,
        Previous period, Change, Target, Status, Scenario, Source / how to enable. The Value and
        Previous period headers name the periods.
    """
    t = result.table
    how = [
        shown_source(s) if s else _("Needs {needs}").format(needs=_(n))
        for s, n in zip(t["source"], t["needs"], strict=True)
    ]
    value_header = f"Value ({result.period})"
    previous_header = f"Previous ({result.previous_period or _('none')})"
    # Results are cached across languages, so their texts are English until shown.
    perspective = [_(p) for p in t["perspective"]]
    measure = [measure_name(k, m) for k, m in zip(t["key"], t["measure"], strict=True)]
    definition = [_(d) for d in t["definition"]]
    status = [_(s) for s in t["status"]]
    if not formatted:
        out = pd.DataFrame({
            "Perspective": perspective, "Measure": measure, "Definition": definition,
            "Unit": [result.currency if u == MONEY else _(u) for u in t["unit"]], value_header: t["value"],
            previous_header: t["previous"], "Change": t["change"], "Target": t["target"],
            "Status": status, "Scenario": t["projected"], "Source / how to enable": how,
        })  # fmt: skip
        return out.astype(object).where(out.notna(), None)
    cur = result.currency
    rows = zip(t["value"], t["previous"], t["target"], t["projected"], t["unit"], strict=True)
    text = [[format_value(x, u, cur) for x in (v, p, g, s)] for v, p, g, s, u in rows]
    value, previous, target, projected = (list(c) for c in zip(*text, strict=True))
    changes = [
        format_change(c, p, u, cur)
        for c, p, u in zip(t["change"], t["change_pct"], t["unit"], strict=True)
    ]
    snapshot = t["snapshot"].to_numpy()
    return pd.DataFrame({
        "Perspective": perspective, "Measure": measure, "Definition": definition,
        value_header: value, previous_header: np.where(snapshot, _("snapshot"), previous),
        "Change": changes, "Target": target, "Status": status, "Scenario": projected,
        "Source / how to enable": how,
    })  # fmt: skip


def as_dict(result: Scorecard) -> dict:
    """JSON-friendly scorecard (NaN as None) for the command line."""
    table = result.table.drop(columns=["snapshot"])
    rows = table.astype(object).where(table.notna(), None).to_dict(orient="records")
    return {
        "period": result.period,
        "previous_period": result.previous_period,
        "period_start": f"{result.period_start:%Y-%m-%d}",
        "period_end": f"{result.period_end:%Y-%m-%d}",
        "partial_period": result.partial,
        "currency": result.currency,
        "takeaway": takeaway(result),
        "measures": rows,
        "notes": list(result.notes),
    }


def parse_value(text: object, unit: str) -> float | None:
    """A target or typed-in value as people write it ('€1,200', '35%', '35', '4.5 days').

    Shares are read as percentages ('35' and '35%' both mean 0.35). Empty text means no value.

    Raises
    ------
    ValidationError
        When the text holds no number.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    if isinstance(text, int | float):
        number = float(text)
    else:
        written = str(text)
        if i18n.current() == "de":  # as the page shows numbers: '1.200' is 1200, '35,5 %' 35.5
            written = written.replace(".", "").replace(",", ".")
        cleaned = re.sub(r"[^0-9.\-]", "", written.replace(",", ""))
        if not written.strip():
            return None
        try:
            number = float(cleaned)
        except ValueError:
            raise ValidationError(
                Message(
                    N_(
                        "'{text}' is not a number. Type a plain number such as 1200, or 35 for 35%."
                    ),
                    text=text,
                )
            ) from None
    return number / DISPLAY_SCALE.get(unit, 1.0)
