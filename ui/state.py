"""Session-state keys, in one place so pages never disagree on a spelling."""

DATASET = "cvm.dataset"
"""The active cvm_core.intake.dataset.Dataset; stays loaded when a later upload fails."""

LANGUAGE = "cvm.lang"
"""Global language of the app: 'en' | 'de' | 'zh' (cvm_core.i18n)."""

UNIT = "cvm.unit"
"""Global time unit for frequency/recency/T: 'day' | 'week' | 'month'."""

OBSERVATION_END = "cvm.observation_end"  # suffixed per dataset, see ui.data.setting_key
"""Global observation end (datetime.date) or None for the last date in the data."""

CURRENCY = "cvm.currency"  # suffixed per dataset
"""Currency code shown beside money; defaults to the dataset's detected currency."""

UPLOAD_DATE_ORDER = "cvm.upload.date_order"
UPLOAD_LOAD_ERROR = "cvm.upload.error"
UPLOAD_KEPT = "cvm.upload.kept"
"""dict kind -> {key: result}: the Upload page's workbooks and datasets, kept in the session that
uploaded them (ui/loaders.py), so they go when it ends."""
UPLOAD_EARLY = "cvm.upload.early"
"""dict (kind, key) -> Future: a dataset being built in the background for the mapping on screen
(ui/loaders.start_build), taken by :func:`ui.loaders.build` when "Use this data" asks for it."""
UPLOAD_DIGEST = "cvm.upload.digest"
"""(file id, fingerprint) of the file in the uploader, hashed once per upload."""
UPLOAD_SHOWN = "cvm.upload.shown"
"""Digest of what the Upload page's file uploader held when the active dataset was loaded: a
different file there is a new one being mapped, and the active dataset's figures are not its."""

# Results pages share (CLV values, segments, the P&L, retention, scorecard, what-ifs) are not
# plain keys: they live in ui/session.py, published and read per dataset.

DECK_CHARTS = "cvm.deck.charts"
"""dict file-stem -> ui.charts.DeckChart(title, chart, takeaway): every chart shown this session, latest
version, in order of first appearance; the deck puts those its story does not tell in its appendix."""
