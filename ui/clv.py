"""Widgets, cached calls and renderers of the Customer Lifetime Value page.

The model fit is cached as a resource on the dataset fingerprint plus :class:`cvm_core.analyses.clv.fit.
FitSettings` (model, unit, calibration end, observation end): changing the horizon, margin or tiers
never refits. Values are cached on the value settings too. Both use ``st.cache_resource``, not
``cache_data``, on purpose: the fitted models and per-customer frames are read-only, and cache_data
would unpickle a fresh copy of a 1M-row frame on every rerun. The value matrix and acquisition
views are in :mod:`ui.clv_value`, the what-if fragment in :mod:`ui.clv_whatif`.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.analyses import assumptions
from cvm_core.analyses.clv import charts, constants, scenario, tiers
from cvm_core.analyses.clv import fit as clv
from cvm_core.analyses.clv import holdout as clv_holdout
from cvm_core.analyses.clv import run as clv_run
from cvm_core.analyses.clv import slides as clv_slides
from cvm_core.analyses.clv import takeaways as clv_takeaways
from cvm_core.analyses.clv import values as clv_values
from cvm_core.analyses.clv.value_matrix import ValueMatrix, expected_losers
from cvm_core.analyses.inputs import dataset_source
from cvm_core.analyses.profitability import projection
from cvm_core.analyses.profitability.analysis import WhaleAnalysis
from cvm_core.analyses.profitability.run import CostModel
from cvm_core.analyses.retention import active as retention_active
from cvm_core.analyses.retention import gaps as retention_gaps
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, _, ngettext
from cvm_core.intake.dataset import Dataset
from cvm_core.outputs import workspace_settings
from ui import assumed, customer_dialog, data, downloads, languages, session
from ui import retention as retention_view
from ui import whale as whale_view
from ui.charts import built_once, show_chart
from ui.tables import show_table

_KEY = "clv"
SHOWN_WORDS = (
    N_("Auto (recommended by the comparison)"),  # constants.MODEL_CHOICES
    N_("From the cost column"),  # workspace_settings.MARGIN_SOURCES
    N_("Percent of revenue"),
    N_("Platinum"),  # tiers.DEFAULT_TIER_NAMES
    N_("Gold"),
    N_("Iron"),
    N_("Lead"),
)
"""Texts defined in cvm_core that this page shows, translated with ``_(text)`` where shown."""
UNIT_WORDS = charts.UNIT_WORDS
FORMULA = N_(
    "**CLV** = future margin − future cost-to-serve. Future margin = margin × expected spend per "
    "purchase × D, where D = P(alive) × Σ over months m = 1…H of (E[purchases by month m] − "
    "E[purchases by month m−1]) ÷ (1 + annual discount rate)^(m/12) and E[…] are the purchases the "
    "fitted model expects from a customer who is still active. Future cost-to-serve = cost per "
    "purchase × D + cost per time unit × D ÷ the customer's purchase rate (the discounted time "
    "they are expected to stay), both rates from the customer's own activity costs to date on the "
    "Whale Curve page."
)
SUMMARY_NO_HOLDOUT = N_(
    "Holdout validation needs the transactions (each customer's purchases after a calibration "
    "end); this dataset is a customer summary made by `python -m cvm_core summarize`, so the "
    "models are fitted to the whole period. Upload the transactions file to validate them."
)
CUSTOMER_COLUMNS = {
    "customer_name": N_("Customer"),
    "tier": N_("Tier"),
    "clv": N_("CLV"),
    "future_margin": N_("Future margin"),
    "future_cost_to_serve": N_("Future cost-to-serve"),
    "p_alive": N_("P(alive)"),
    "expected_purchases": N_("Expected purchases"),
    "expected_spend": N_("Expected spend per purchase"),
    "margin_rate": N_("Margin"),
    "frequency": N_("Repeat purchases"),
    "recency": N_("Recency"),
    "T": N_("Age (T)"),
    "net_revenue": N_("Net revenue to date"),
}


def clv_key(name: str, dataset: Dataset) -> str:
    return data.setting_key(f"{_KEY}.{name}", dataset)


def model_key(dataset: Dataset) -> str:
    """Session key of the model selectbox (tests and the 'use recommended' button set it)."""
    return clv_key("model", dataset)


# --- settings ------------------------------------------------------------------------------------


MIN_HOLDOUT_SPAN_DAYS = 2
"""Below this span there is no calibration end with a day on either side of it."""


def fit_settings_form(dataset: Dataset) -> clv.FitSettings:
    """Model and holdout choice: everything that needs a refit."""
    end = data.observation_end(dataset)
    start = dataset.observation_start
    left, middle, right = st.columns([1.2, 1, 1.3])
    model = left.selectbox(
        _("Model"), list(constants.MODEL_CHOICES), format_func=lambda m: _(constants.MODEL_CHOICES[m]), key=model_key(dataset), persist_state="session",
        help=_("Auto uses the model the comparison under 'Validation' recommends (lowest holdout "
        "error per customer); or pick one yourself."),
    )  # fmt: skip
    if not dataset.has_transactions:  # a summary file: fitted on the whole period
        middle.toggle(_("Validate on a holdout"), value=False, disabled=True, key=clv_key("holdout", dataset), persist_state="session",
                      help=_(SUMMARY_NO_HOLDOUT))  # fmt: skip
        return clv.FitSettings(model, data.unit(), None, end, True)
    if (end - start).days < MIN_HOLDOUT_SPAN_DAYS:  # no day left to hold out
        middle.toggle(_("Validate on a holdout"), value=False, disabled=True, key=clv_key("holdout", dataset), persist_state="session",
                      help=_("The data spans {days}: a holdout needs a calibration period and a later "
                      "one to check it on.").format(days=formatting.counted((end - start).days + 1, 'day')))  # fmt: skip
        return clv.FitSettings(model, data.unit(), None, end, True)
    holdout = middle.toggle(
        _("Validate on a holdout"), value=True, key=clv_key("holdout", dataset), persist_state="session",
        help=_("Fit on the data up to the calibration end and check the predictions against what "
        "customers actually bought afterwards."),
    )  # fmt: skip
    calibration_end = None
    if holdout:
        default = clv_holdout.default_calibration_end(start, end).date()
        chosen = right.date_input(
            _("Calibration end"), value=default, min_value=(start + pd.Timedelta(days=1)).date(),
            max_value=(end - pd.Timedelta(days=1)).date(), key=clv_key(f"calibration_end.{end:%Y%m%d}", dataset), persist_state="session",
            help=_("Default: the last third of the period is kept back as holdout."),
            format=languages.date_input_format(),
        )  # fmt: skip
        calibration_end = pd.Timestamp(chosen)
    return clv.FitSettings(model, data.unit(), calibration_end, end, True)


def value_settings_form(dataset: Dataset) -> clv_values.ValueSettings:
    """Horizon, discount rate, margin and tier sizes: cheap to change, no refit."""
    c1, c2, c3 = st.columns([1.2, 1, 1.3])
    horizon = c1.slider(
        _("CLV horizon (months)"),
        3,
        120,
        clv_values.DEFAULT_HORIZON_MONTHS,
        3,
        key=clv_key("horizon", dataset),
        persist_state="session",
    )
    discount = c2.number_input(
        _("Annual discount rate (%)"), 0.0, 50.0, clv_values.DEFAULT_DISCOUNT_RATE * 100, 0.5, key=clv_key("discount", dataset), persist_state="session",
        help=_("Money next year is worth less than today; 8-12% is typical for a company's cost of capital."),
    )  # fmt: skip
    margin = _margin_input(c3, dataset)
    net = _net_of_cost_input(dataset)
    with st.expander(_("Value tiers (customer pyramid)"), icon=":material/change_history:"):
        names = tiers.DEFAULT_TIER_NAMES
        sizes = []
        cols = st.columns(len(names))
        defaults = _tier_sizes(tiers.DEFAULT_TIER_CUTOFFS)
        for i, name in enumerate(names[:-1]):
            sizes.append(cols[i].number_input(
                _("{tier}: % of customers").format(tier=_(name)), 0.5, 90.0, defaults[i], 0.5, key=clv_key(f"tier.{name}", dataset), persist_state="session",
            ))  # fmt: skip
        rest = 100.0 - sum(sizes)
        cols[-1].metric(
            _("{tier}: % of customers").format(tier=_(names[-1])), formatting.pct(rest / 100, 1)
        )
        st.caption(_("Customers are ranked by CLV; the top share is the first tier, and so on."))
    cutoffs = tuple(round(sum(sizes[: i + 1]) / 100.0, 6) for i in range(len(sizes)))
    return clv_values.ValueSettings(
        int(horizon), float(discount) / 100.0, margin, cutoffs, names, net_of_cost_to_serve=net
    )


def _net_of_cost_input(dataset: Dataset) -> bool:
    if not dataset.has_transactions:  # a summary file has no orders or lines to cost
        st.toggle(_("Deduct future cost-to-serve"), value=False, disabled=True, key=clv_key("net_of_cost", dataset), persist_state="session",
                  help=_("Cost-to-serve needs the transactions (orders, lines, returns); this "
                  "customer summary file only supports gross-margin CLV."))  # fmt: skip
        return False
    return st.toggle(
        _("Deduct future cost-to-serve (CLV = future profit)"), value=True, key=clv_key("net_of_cost", dataset), persist_state="session",
        help=_("On: each customer's expected cost of orders, lines, returns, calls and visits is taken "
        "off their future margin, at the Whale Curve page's activity rates. Off: gross margin only."),
    )  # fmt: skip


def _tier_sizes(cutoffs: tuple[float, ...]) -> list[float]:
    edges = [0.0, *cutoffs]
    return [round((edges[i + 1] - edges[i]) * 100, 2) for i in range(len(cutoffs))]


def _margin_input(column, dataset: Dataset) -> float | None:
    if dataset.has("cost"):
        source = column.radio(
            _("Margin"), list(workspace_settings.MARGIN_SOURCES), horizontal=True, key=clv_key("margin_source", dataset), persist_state="session",
            format_func=_,
            help=_("From the cost column: each customer's own margin (net revenue − cost of goods) ÷ net revenue."),
        )  # fmt: skip
        if source == workspace_settings.MARGIN_FROM_COST:
            return None
    value = column.number_input(
        _("Margin (% of revenue)"), 0.0, 100.0, clv_values.DEFAULT_MARGIN * 100, 1.0, key=clv_key("margin", dataset), persist_state="session",
        help=_("Gross margin on revenue used to turn expected spend into value."),
    )  # fmt: skip
    return float(value) / 100.0


# --- cached core calls ---------------------------------------------------------------------------


@st.cache_resource(
    max_entries=8,
    ttl="2h",
    show_spinner=False,  # the caller's spinner, in the session's language
)
def _fit(
    _dataset: Dataset, _summary: pd.DataFrame, fingerprint: str, settings: clv.FitSettings
) -> clv.CLVFit | CvmError:
    # A summary file has no transactions: its empty frame says so to the fit.
    source = dataset_source(_dataset) if _dataset.has_transactions else _dataset.transactions
    try:
        return clv_run.fit(source, _summary, settings)
    except CvmError as error:
        # Kept like a fit: a cache keeps no exception, so data the models cannot fit (a short
        # history: "not identifiable") were fitted again on every click of the page, 9 s each
        # for a 300-customer file, to fail the same way.
        return error


def fit(dataset: Dataset, settings: clv.FitSettings) -> clv.CLVFit:
    """The cached fit (the models are read-only once fitted); raises the CvmError it failed
    with, also when that failure is the one kept."""
    summary = data.customer_summary(dataset)
    fitted = data.with_spinner(
        _("Fitting BG/NBD, Pareto/NBD and MBG/NBD and checking them on the holdout…"),
        ("clv.fit", dataset.fingerprint, settings),
        lambda: _fit(dataset, summary, dataset.fingerprint, settings),
    )
    if isinstance(fitted, CvmError):
        raise fitted.with_traceback(None)  # the kept error, without the last raise's trail
    return fitted


def default_fit_settings(dataset: Dataset) -> clv.FitSettings:
    """What :func:`fit_settings_form` returns before the user touches it: the first model
    choice (Auto), and a holdout from the default calibration end where the data allows one."""
    end = data.observation_end(dataset)
    start = dataset.observation_start
    model = next(iter(constants.MODEL_CHOICES))
    calibration_end = None
    if dataset.has_transactions and (end - start).days >= MIN_HOLDOUT_SPAN_DAYS:
        calibration_end = pd.Timestamp(clv_holdout.default_calibration_end(start, end).date())
    return clv.FitSettings(model, data.unit(), calibration_end, end, True)


def default_job(dataset: Dataset) -> partial:
    """The page's fit with its default settings, as a call for the background prefetch
    (ui/prefetch.py), through the same cache :func:`fit` reads."""
    settings = default_fit_settings(dataset)
    return partial(_fit, dataset, data.customer_summary(dataset), dataset.fingerprint, settings)


WHALE_RATES = N_("the Whale Curve page's activity rates")
DEFAULT_RATES = f"{projection.DEFAULT_RATES_SOURCE} (edit them on the Whale Curve page)"
BASIS_WORDS = (
    N_("the default activity rates"),  # projection.DEFAULT_RATES_SOURCE
    N_("gross margin only: no cost-to-serve deducted"),  # clv_values.GROSS_MARGIN_ONLY
)


def cost_basis_words(basis: str) -> str:
    """What the CLV figures deduct (the values carry it in English, for the deck) in the
    current language."""
    if basis == DEFAULT_RATES:
        return _("{rates} (edit them on the Whale Curve page)").format(
            rates=_(projection.DEFAULT_RATES_SOURCE)
        )
    return _(basis)


@st.cache_resource(max_entries=4, ttl="2h", show_spinner=False)
def _service_costs(
    _pnl: WhaleAnalysis, _summary: pd.DataFrame, key: tuple, unit: str, source: str
) -> projection.ServiceCosts:
    return projection.costs_of(_pnl.result, _summary, unit, source)


def cost_model(dataset: Dataset) -> tuple[CostModel, str]:
    """The Whale Curve page's cost model once that page has run on this dataset, else the
    default rates as that page starts with them (:func:`ui.whale.model_in_use`: the P&L the
    background prefetch made for the Whale page serves here too); and which it is, in words."""
    published = session.read(session.COST_MODEL, dataset) is not None
    return whale_view.model_in_use(dataset), WHALE_RATES if published else DEFAULT_RATES


def service_costs(
    dataset: Dataset, settings: clv_values.ValueSettings
) -> projection.ServiceCosts | None:
    """The cost-to-serve CLV deducts, from the P&L the Whale Curve page caches (so it is not
    computed twice) under :func:`cost_model` (None: gross-margin CLV)."""
    if not settings.net_of_cost_to_serve or not dataset.has_transactions:
        return None
    model, source = cost_model(dataset)
    pnl = whale_view.cached_analysis(dataset, model)
    key = (dataset.fingerprint, data.observation_end(dataset).date(), model)
    return _service_costs(pnl, data.customer_summary(dataset), key, data.unit(), source)


PUBLISHED_COLUMNS = [
    "p_alive", "expected_purchases", "expected_spend", "margin_rate", "future_margin",
    "future_cost_to_serve", "clv", "tier",
]  # fmt: skip
"""The per-customer CLV columns other pages read (session.CLV_CUSTOMERS)."""


@st.cache_resource(max_entries=16, ttl="2h", show_spinner=False)
def _values(
    _fit: clv.CLVFit,
    fingerprint: str,
    fit_settings: clv.FitSettings,
    settings: clv_values.ValueSettings,
    _costs: projection.ServiceCosts | None,
    costs_key: tuple,
):
    values = clv_run.value(_fit, settings, _costs)
    base = scenario.prepare(
        values.customers,
        _fit.model,
        fit_settings.unit,
        settings.horizon_months,
        settings.discount_rate,
    )
    published = values.customers[PUBLISHED_COLUMNS]  # taken once: 8 columns of every customer
    return values, base, clv_run.matrix_of(values, _costs), published


def values(
    dataset: Dataset, fitted: clv.CLVFit, settings: clv_values.ValueSettings
) -> tuple[clv_values.CLVValues, scenario.ScenarioBase, ValueMatrix | None]:
    """Cached values, scenario base and value matrix (None for gross-margin CLV); the
    per-customer table is published for other pages."""
    costs = service_costs(dataset, settings)
    # The cost rates are keyed by what made them (the cache must not hash a per-customer frame).
    costs_key = () if costs is None else cost_model(dataset)
    result, base, matrix, published = data.with_spinner(
        _("Valuing every customer…"),
        ("clv.values", dataset.fingerprint, fitted.settings, settings, costs_key),
        lambda: _values(fitted, dataset.fingerprint, fitted.settings, settings, costs, costs_key),
    )
    # Shared by every session, as the customer summary is (ui/data.py): each gets a shallow copy.
    session.publish(session.CLV_CUSTOMERS, dataset, published.copy(deep=False))
    return result, base, matrix


# --- rendering -----------------------------------------------------------------------------------


def show_notes(fitted: clv.CLVFit) -> None:
    for note in fitted.notes:
        st.warning(formatting.escape_markdown(i18n.shown(note)), icon=":material/info:")


def active_customers(
    dataset: Dataset, fitted: clv.CLVFit, result: clv_values.CLVValues
) -> retention_active.ActiveCustomers | None:
    """Active customers under the one churn rule: the Retention page's once it has run on this
    dataset, else its default (inactivity for the window the data suggests). None for a customer
    summary file, which has no purchase dates to apply a rule to."""
    if not dataset.has_transactions:
        return None
    return _active_customers(
        data.customer_summary(dataset), result.customers["p_alive"], dataset.fingerprint,
        fitted.settings, data.observation_end(dataset), retention_view.churn_rule(dataset),
    )  # fmt: skip


@st.cache_resource(max_entries=8, ttl="2h", show_spinner=False)
def _active_customers(
    _summary: pd.DataFrame,
    _p_alive: pd.Series,
    fingerprint: str,
    fit_settings: clv.FitSettings,
    observation_end: pd.Timestamp,
    rule: retention_gaps.ChurnRule,
) -> retention_active.ActiveCustomers:
    # P(alive) comes from the fit alone, so a horizon or margin move finds this again (the
    # count walks every customer: 24 ms of each rerun at 1M rows).
    return retention_active.active_customers(_summary, rule, observation_end, _p_alive)


def assumed_topics(result: clv_values.CLVValues) -> tuple[str, ...]:
    """What this page's figures rest on: the cost model only when CLV deducts cost-to-serve."""
    if result.cost_basis == clv_values.GROSS_MARGIN_ONLY:
        return (assumptions.MARGIN, assumptions.CURRENCY, assumptions.CHURN_RULE)
    return assumed.ALL_TOPICS


def show_headline(
    result: clv_values.CLVValues,
    fitted: clv.CLVFit,
    currency: str,
    active: retention_active.ActiveCustomers | None,
) -> None:
    horizon = result.settings.horizon_months
    customers = result.customers
    n = len(customers)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        _("Total CLV, next {months}").format(months=formatting.counted(horizon, "month")),
        formatting.money_short(result.total_clv, currency),
    )
    c2.metric(
        _("Average CLV per customer"), formatting.money(result.total_clv / max(n, 1), currency)
    )
    if active is not None:
        c3.metric(
            _("Active customers"),
            active.share_text(),
            help=active.sentence()
            + " "
            + _(
                "The same rule counts active customers on every page; "
                "change it on the Retention page."
            ),
        )
    else:  # a summary file: the model's P(alive) is all there is
        share = float((customers["p_alive"] >= 0.5).mean()) if n else 0.0
        c3.metric(_("Probably still active"), formatting.pct(share, 0),
                  help=_("Share of customers with P(alive) ≥ 50%."))  # fmt: skip
    c4.metric(
        _("Expected purchases, next {months}").format(months=formatting.counted(horizon, "month")),
        formatting.count(result.expected_purchases),
    )
    st.caption(
        _("{basis}. {models} + Gamma-Gamma fitted to {customers} up to {end}; margin: {margin}; "
          "discount rate {rate} a year.").format(
            basis=value_basis(result, currency), models=clv_takeaways.model_words(fitted),
            customers=formatting.counted(n, "customer"), end=formatting.date(fitted.settings.observation_end),
            margin=i18n.shown(result.margin_basis), rate=formatting.pct(result.settings.discount_rate, 1))
    )  # fmt: skip
    one_time = clv_takeaways.one_time_buyers_note(fitted)
    if one_time:
        st.info(one_time, icon=":material/info:")


def value_basis(result: clv_values.CLVValues, currency: str) -> str:
    """What the CLV figures are, in one sentence with the money split."""
    if result.cost_basis == clv_values.GROSS_MARGIN_ONLY:
        return _("CLV is future gross margin only: no cost-to-serve deducted")
    losing = expected_losers(result.customers["clv"])
    expected = ngettext(
        "{customers} is expected to cost more than they bring",
        "{customers} are expected to cost more than they bring",
        losing,
    ).format(customers=formatting.counted(losing, "customer"))
    return _("CLV is future profit: future margin {margin} − future cost-to-serve {cost} at {rates}; "
             "{expected}").format(
        margin=formatting.money_short(result.future_margin, currency),
        cost=formatting.money_short(result.future_cost_to_serve, currency),
        rates=cost_basis_words(result.cost_basis), expected=expected,
    )  # fmt: skip


def show_validation(fitted: clv.CLVFit, dataset: Dataset) -> None:
    unit = fitted.settings.unit
    check = fitted.holdout
    if check is None and not dataset.has_transactions:
        st.info(_(SUMMARY_NO_HOLDOUT), icon=":material/info:")
    elif check is None:
        st.info(
            _(
                "No holdout: switch on 'Validate on a holdout' to see how well the model predicts purchases it has not seen."
            )
        )
    else:
        c1, c2, c3 = st.columns(3)
        c1.metric(_("Holdout purchases: actual"), formatting.count(check.actual))
        c2.metric(_("Holdout purchases: model"), formatting.count(check.predicted), formatting.pct(check.pct_error, 1), delta_color="off",
                  help=_("Total % error = (model − actual) ÷ actual, over all calibration customers."))  # fmt: skip
        c3.metric(
            _("Mean absolute error per customer"),
            _("{n} purchases").format(n=formatting.number(check.mae, 2)),
        )
        _show_baselines(check)
        # The fit's charts are built once per fit: a horizon move reran their 25 ms at 1M rows.
        cumulative = built_once("clv.cumulative", lambda: charts.cumulative_chart(
            fitted.cumulative, fitted.settings.calibration_end), fitted)  # fmt: skip
        show_chart(cumulative,
                   _("Total repeat purchases so far by the customers of the calibration period; the model "
                   "line should follow the actual one, also after the dashed line where it saw no data."),
                   name="CLV repeat purchases actual vs model", data=fitted.cumulative,
                   takeaway=clv_takeaways.holdout_takeaway(check, fitted))  # fmt: skip
        by_frequency = built_once("clv.by_frequency", lambda: charts.holdout_by_frequency_chart(
            check.by_frequency, check.periods, unit), fitted)  # fmt: skip
        show_chart(by_frequency,
                   _("Customers grouped by how often they bought before the calibration end: what the model "
                   "expected each group to buy in the holdout vs what they bought."),
                   name="CLV holdout purchases by past frequency", data=check.by_frequency,
                   takeaway=clv_takeaways.frequency_takeaway(check.by_frequency))  # fmt: skip
    show_comparison(fitted, dataset)


def _show_baselines(check: clv_holdout.HoldoutCheck) -> None:
    """The model against naive predictions, and its calibration by tenth of prediction."""
    table = check.baselines
    shown = pd.DataFrame({
        _("Prediction"): table["method"],
        _("Error per customer (MAE)"): table["mae"].map(lambda v: formatting.number(v, 3)),
        "RMSE": table["rmse"].map(lambda v: formatting.number(v, 3)),
        _("Total error"): table["total_pct_error"].map(lambda v: formatting.pct(v, 1)),
    })  # fmt: skip
    st.markdown("**" + _("Does the model beat naive guesses?") + "**")
    show_table(shown, hide_index=True, width="stretch")
    st.caption(clv_takeaways.baseline_takeaway(check))
    deciles = built_once("clv.deciles", lambda: charts.decile_chart(check.deciles), check)
    show_chart(deciles,
               _("Customers split into tenths by what the model predicted for the holdout: a well-"
               "calibrated model is close to the actual purchases in every tenth, not only in total."),
               name="CLV holdout by tenth of prediction", data=check.deciles,
               takeaway=clv_takeaways.decile_takeaway(check.deciles))  # fmt: skip


def show_comparison(fitted: clv.CLVFit, dataset: Dataset) -> None:
    st.markdown("**" + _("Model comparison") + "**")
    table = fitted.comparison
    shown = pd.DataFrame({
        _("Model"): table["name"] + table["recommended"].map({True: " ★ " + _("recommended"), False: ""}),
        _("Parameters"): table["parameters"].where(table["error"] == "", _("could not be fitted")),
        _("Log-likelihood"): table["log_likelihood"].map(lambda v: formatting.number(v, 1)),
        _("Holdout total error"): table["holdout_pct_error"].map(lambda v: formatting.pct(v, 1)),
        _("Holdout error per customer (MAE)"): table["holdout_mae"].map(lambda v: formatting.number(v, 3)),
    })  # fmt: skip
    show_table(shown, hide_index=True, width="stretch")
    rule = (
        _("lowest holdout error per customer")
        if fitted.holdout is not None
        else _("highest log-likelihood (all have 4 parameters)")
    )
    customers = fitted.calibration_model.n_customers_
    sampled = table["fitted_customers"].fillna(customers) < customers
    sample = (
        " "
        + _(
            "The other models were fitted to a random {sample} of the {customers} (to save time) "
            "and scored on all of them."
        ).format(
            sample=formatting.count(clv.COMPARE_SAMPLE),
            customers=formatting.counted(customers, "customer"),
        )
        if sampled.any()
        else ""
    )
    st.caption(
        _(
            "Each model fitted to the calibration period; alpha and beta are in {unit}. "
            "Recommended: the {rule}."
        ).format(
            unit=ngettext(fitted.settings.unit, UNIT_WORDS[fitted.settings.unit], 2), rule=rule
        )
        + sample
    )
    recommended = fitted.recommended
    if recommended != fitted.settings.model:
        st.button(_("Use {model}").format(model=constants.MODELS[recommended]), key="clv.use_recommended", on_click=_use_model,
                  args=(model_key(dataset), recommended), icon=":material/recommend:")  # fmt: skip


def _use_model(key: str, model: str) -> None:
    st.session_state[key] = model


def show_customers(
    result: clv_values.CLVValues,
    fitted: clv.CLVFit,
    dataset: Dataset,
    currency: str,
    active: retention_active.ActiveCustomers | None,
) -> None:
    horizon, unit = result.settings.horizon_months, fitted.settings.unit
    distribution = clv_values.clv_distribution(result.customers["clv"], upper_quantile=0.95)
    show_chart(charts.clv_histogram_chart(distribution, currency, horizon),
               _("How many customers are worth how much; the last bar gathers the most valuable 5%."),
               name="CLV distribution", data=distribution,
               takeaway=clv_takeaways.distribution_takeaway(result.customers["clv"], currency, horizon))  # fmt: skip
    matrix = clv_values.p_alive_matrix(fitted.model, fitted.summary)
    show_chart(charts.p_alive_heatmap(matrix, unit),
               _("Frequent buyers who have not bought for a long time are probably gone (red); "
               "recent buyers are probably still active (green)."),
               name="CLV probability still active", data=matrix,
               takeaway=clv_takeaways.p_alive_takeaway(result.customers["p_alive"], active))  # fmt: skip
    st.markdown(
        "**"
        + _("Top customers by CLV")
        + "** "
        + _("(next {months})").format(months=formatting.counted(horizon, "month"))
    )
    names = data.customer_names(dataset)
    top = clv_values.top_customers(result.customers, 25, names)
    st.caption(_("Click a row to open that customer."))
    customer_dialog.selectable_table(
        _customer_table(top, currency, unit),
        top.index.to_series(),
        dataset,
        "clv.top.table",
        width="stretch",
    )
    st.caption(_("Download the CLV of every customer:"))
    downloads.csv_and_excel(
        lambda: _export_table(result.customers, names),  # built on a click: 1M rows otherwise
        "customer_clv",
        "clv.dl.customers",
        _("Customer CLV"),
    )


def _export_table(customers: pd.DataFrame, names: pd.Series | None) -> pd.DataFrame:
    table = customers.drop(columns=["discounted_purchases"])
    if names is not None:
        table.insert(0, "customer_name", names.reindex(table.index).fillna("").astype(str))
    table["tier"] = table["tier"].astype(str)
    return table.reset_index()


def _customer_table(top: pd.DataFrame, currency: str, unit: str) -> pd.DataFrame:
    columns = [c for c in CUSTOMER_COLUMNS if c in top]
    shown = top[columns].copy()
    for money in ("clv", "future_margin", "future_cost_to_serve", "expected_spend", "net_revenue"):
        if money in shown:
            shown[money] = shown[money].map(lambda v: formatting.money(v, currency))
    shown["p_alive"] = shown["p_alive"].map(lambda v: formatting.pct(v, 0))
    shown["margin_rate"] = shown["margin_rate"].map(lambda v: formatting.pct(v, 0))
    shown["expected_purchases"] = shown["expected_purchases"].map(lambda v: formatting.number(v, 1))
    for time_column in ("recency", "T"):
        shown[time_column] = shown[time_column].map(
            lambda v: f"{formatting.number(v, 1)} {ngettext(unit, UNIT_WORDS[unit], 2)}"
        )
    shown["tier"] = shown["tier"].astype(str).map(_)
    shown.index.name = _("Customer ID")
    return shown.rename(columns={key: _(title) for key, title in CUSTOMER_COLUMNS.items()})


def show_tiers(result: clv_values.CLVValues, currency: str) -> None:
    slide = clv_slides.pyramid_slide(result.tiers)
    show_chart(slide.chart,
               _("Each tier's share of customers, of future value (CLV) and of past revenue: a small top "
               "tier usually holds most of the future value."),
               name=slide.title, data=result.tiers, takeaway=slide.takeaway)  # fmt: skip
    table = result.tiers
    shown = pd.DataFrame({
        _("Tier"): table["tier"].astype(str).map(_),
        _("Customers"): table["customers"].map(formatting.count),
        _("Share of customers"): table["customer_share"].map(lambda v: formatting.pct(v, 1)),
        _("CLV"): table["clv"].map(lambda v: formatting.money(v, currency)),
        _("Share of CLV"): table["clv_share"].map(lambda v: formatting.pct(v, 1)),
        _("Average CLV"): table["avg_clv"].map(lambda v: formatting.money(v, currency)),
        _("Net revenue to date"): table["revenue"].map(lambda v: formatting.money(v, currency)),
        _("Share of revenue"): table["revenue_share"].map(lambda v: formatting.pct(v, 1)),
    })  # fmt: skip
    show_table(shown, hide_index=True, width="stretch")
    downloads.csv_and_excel(table, "clv_tiers", "clv.dl.tiers", _("Tier summary"))
