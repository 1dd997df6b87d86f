"""Session-state keys, in one place so pages never disagree on a spelling."""

DATASET = "cvm.dataset"
"""The active cvm_core.intake.dataset.Dataset; stays loaded when a later upload fails."""

UNIT = "cvm.unit"
"""Global time unit for frequency/recency/T: 'day' | 'week' | 'month'."""

OBSERVATION_END = "cvm.observation_end"  # suffixed per dataset, see ui.data.setting_key
"""Global observation end (datetime.date) or None for the last date in the data."""

CURRENCY = "cvm.currency"  # suffixed per dataset
"""Currency code shown beside money; defaults to the dataset's detected currency."""

UPLOAD_DATE_ORDER = "cvm.upload.date_order"
UPLOAD_LOAD_ERROR = "cvm.upload.error"

CLV_SCENARIO = "cvm.clv.scenario"
"""The CLV page's what-if scenario (a plain core object), for the Scorecard."""

CLV_RESULT = "cvm.clv.result"
"""The CLV page's latest per-customer predictions (P(alive), CLV, tier), for Retention and Scorecard."""

WHALE_SCENARIO = "cvm.whale.scenario"
"""The whale-curve page's what-if fixes, for the Scorecard."""

RETENTION_RESULT = "cvm.retention.result"
"""(dataset.fingerprint, cvm_core.analyses.retention.churn.RetentionResult) of the Retention page's latest run, for
the Scorecard: annual_retention, churn_by_period (churn/retention rate per period), churned_share."""

SEGMENTS_RESULT = "cvm.segments.result"
"""(dataset.fingerprint, frame) of the Segments page's latest run, for Whale Curve, Retention and
Scorecard: frame indexed by customer_id with columns rfm_segment (ordered categorical), cluster (the
cluster's descriptive name, ordered by value; None when clustering was not possible) and
next_best_category (None when no category qualifies or the data has no category column)."""

WHALE_RESULT = "cvm.whale.result"
"""The whale-curve page's customer P&L for the Scorecard: (dataset fingerprint, DataFrame indexed by
customer_id with revenue, returns, cogs, cost_to_serve, profit)."""

DECK_CHARTS = "cvm.deck.charts"
"""dict file-stem -> ui.charts.DeckChart(title, chart, takeaway): every chart shown this session, latest
version, in order of first appearance; the "Download deck" export makes one slide of each."""
