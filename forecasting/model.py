"""Demand models for one series: Prophet with shelf and campaign regressors, and a seasonal-naive baseline.

Pure: pandas frames in, :class:`Forecast` out; no Django. Decisions, and why:

- **log1p target.** Prophet is fit on log1p(units) and forecasts are expm1'd back, so a forecast of counts
  can never be negative (and is clipped at 0 as a belt-and-braces), and promotions, displays and seasons act
  as multipliers, which is how retail demand behaves (a display lifts a big seller more than a slow one).
  The point forecast is the median, which is what WAPE rewards; the backtest's bias shows the cost.
- **Stock-outs are masked, not modelled.** Days observed out of stock are dropped from training: their sales
  are censored demand, and a regressor would need a future value we do not know. Prophet handles gaps.
- **Intervals are analytic.** Prophet's default draws 1,000 simulated paths per series; we use
  sd(h)^2 = residual variance + the variance of Prophet's own trend-change process (future changepoints at
  the historical rate, Laplace deltas at the historical mean size), integrated in closed form. Same model,
  about a quarter of the time per series.
- **Regressors** (promo, display, price_index = price / median historical price; weekly also the holiday
  columns of :func:`weekly_holiday_features`)
  enter only when they vary in the training data. Their coefficients are reported as :class:`EffectEstimate`
  with a standard error from a least-squares approximation on Prophet's own design (trend held fixed).
- **Short series** never crash: no rows -> "not enough history"; all zeros -> zeros; one row -> repeat it;
  fewer than MIN_PROPHET_PERIODS -> seasonal naive, with a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from statistics import NormalDist

import numpy as np
import pandas as pd

from forecasting.guards import OUTLIER_RATIO as OUTLIER_NOTE_RATIO
from forecasting.guards import implausible, input_problem, outlier_periods
from forecasting.intervals import MIN_RESIDUALS, conformal_interval, log_errors
from forecasting.metrics import wape
from forecasting.planning import EffectEstimate

PROPHET = "prophet"
SEASONAL_NAIVE = "seasonal_naive"
NO_FORECAST = "none"
SEASON = {"D": 7, "W": 52}
STEP = {"D": pd.Timedelta(days=1), "W": pd.Timedelta(weeks=1)}
MIN_PROPHET_PERIODS = {"D": 28, "W": 13}
REGRESSORS = ("promo", "display", "price_index")


@dataclass(frozen=True)
class ModelSettings:
    freq: str = "D"
    country: str | None = "US"
    interval_width: float = 0.8
    yearly_order: int = 8
    weekly_order: int = 3
    n_changepoints: int = 20
    changepoint_prior_scale: float = 0.05
    log_target: bool = True  # Prophet on log1p(units); chosen per series by validation (selection.py)
    standardize_regressors: bool = False

    def __post_init__(self) -> None:
        if self.freq not in SEASON:
            raise ValueError(f"freq must be 'D' (daily) or 'W' (weekly), not {self.freq!r}.")

    @property
    def z(self) -> float:
        return NormalDist().inv_cdf(0.5 + self.interval_width / 2)


@dataclass
class Forecast:
    model: str
    ds: pd.DatetimeIndex
    yhat: np.ndarray
    yhat_lower: np.ndarray
    yhat_upper: np.ndarray
    note: str = ""
    effects: dict[str, EffectEstimate] = field(default_factory=dict)
    regressors: dict[str, np.ndarray] = field(default_factory=dict)
    validation: dict[str, float] = field(default_factory=dict)
    history_periods: int = 0


class NotEnoughHistory(ValueError):
    """Raised by fitting functions when a series cannot support the requested model."""


class UnknownCountry(ValueError):
    """FORECAST_COUNTRY names no calendar the holidays package has: a configuration error, not a fallback."""


# --- frames -------------------------------------------------------------------------------------------------


def regularize(history: pd.DataFrame, freq: str) -> pd.DataFrame:
    """One row per period from first to last; periods without a row sold nothing (POS omits zero lines)."""
    if history.empty:
        return _empty_history()
    frame = history.copy()
    frame["ds"] = pd.to_datetime(frame["ds"])
    for column, default in (("promo", 0.0), ("display", 0.0), ("price", np.nan), ("oos", False)):
        if column not in frame:
            frame[column] = default
    frame = frame.sort_values("ds").drop_duplicates("ds", keep="last").set_index("ds")
    full = pd.date_range(frame.index.min(), frame.index.max(), freq=STEP[freq])
    frame = frame.reindex(full)
    frame.index.name = "ds"
    frame["y"] = frame["y"].astype(float).fillna(0.0).clip(lower=0.0)
    frame[["promo", "display"]] = frame[["promo", "display"]].astype(float).fillna(0.0)
    frame["price"] = frame["price"].astype(float)
    frame["oos"] = frame["oos"].astype("boolean").fillna(False).astype(bool)
    return frame.reset_index()[["ds", "y", "promo", "display", "price", "oos"]]


def _empty_history() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ds": pd.to_datetime([]),
            "y": [],
            "promo": [],
            "display": [],
            "price": [],
            "oos": pd.Series([], dtype=bool),
        }
    )


def daily_to_weekly(daily: pd.DataFrame) -> pd.DataFrame:
    """Weeks starting Monday. Units on out-of-stock days are replaced by the in-stock daily rate of that
    week; a week with fewer than four in-stock days is itself marked out of stock. Part weeks at the ends
    are dropped.

    A series recorded weekly (``recorded`` marks the days that had a sales row, and they are a week apart)
    is binned row by row instead; see :func:`recorded_weeks`.
    """
    if "recorded" in daily and recorded_weekly(daily):
        return recorded_weeks(daily)
    frame = regularize(daily, "D")
    if frame.empty:
        return _empty_history()
    frame["week"] = frame["ds"] - pd.to_timedelta(frame["ds"].dt.day_of_week, unit="D")
    frame["in_stock_units"] = frame["y"].where(~frame["oos"], 0.0)
    grouped = frame.groupby("week")
    weekly = pd.DataFrame(
        {
            "days": grouped.size(),
            "in_stock_days": grouped["oos"].apply(lambda s: int((~s).sum())),
            "in_stock_units": grouped["in_stock_units"].sum(),
            "promo": grouped["promo"].mean(),
            "display": grouped["display"].mean(),
            "price": grouped["price"].mean(),
        }
    )
    weekly = weekly[weekly["days"] == 7]
    rate = weekly["in_stock_units"] / weekly["in_stock_days"].where(weekly["in_stock_days"] > 0)
    weekly["y"] = (rate * 7).fillna(0.0)
    weekly["oos"] = weekly["in_stock_days"] < 4
    weekly.index.name = "ds"
    return weekly.reset_index()[["ds", "y", "promo", "display", "price", "oos"]]


def recorded_weekly(daily: pd.DataFrame) -> bool:
    """True when the rows that were actually recorded are (typically) a week or more apart."""
    days = pd.to_datetime(daily.loc[daily["recorded"].astype(bool), "ds"]).sort_values()
    return len(days) >= 2 and days.diff().dt.days.median() >= 6


def recorded_weeks(daily: pd.DataFrame) -> pd.DataFrame:
    """A weekly-recorded series as Monday weeks, each recorded row in the week that contains its date.

    Why not the daily path: a weekly file has one row per week, so the days between rows are not "sold
    nothing", and a week missing from the file is unknown, not zero. Taking those days as zero sales made
    the tuna chain's 41-week gap a run of zero weeks and forecast zero; cutting Monday weeks from
    Thursday-dated rows dropped the first and last weeks as "part weeks". Here a missing week is marked
    ``oos`` (unknown demand: left out of training and scoring, as a stock-out is), and the series ends at
    its own last row rather than at the latest date of the whole selection.
    """
    rows = daily[daily["recorded"].astype(bool)].copy()
    rows["ds"] = pd.to_datetime(rows["ds"])
    rows["week"] = rows["ds"] - pd.to_timedelta(rows["ds"].dt.day_of_week, unit="D")
    grouped = rows.groupby("week")
    weekly = pd.DataFrame(
        {
            "y": grouped["y"].sum().astype(float),
            "promo": grouped["promo"].mean().astype(float),
            "display": grouped["display"].mean().astype(float),
            "price": grouped["price"].mean().astype(float),
            "oos": grouped["oos"].any().astype(bool) if "oos" in rows else False,
        }
    )
    full = pd.date_range(weekly.index.min(), weekly.index.max(), freq=STEP["W"])
    weekly = weekly.reindex(full)
    weekly.index.name = "ds"
    missing = weekly["y"].isna()
    weekly["y"] = weekly["y"].fillna(0.0).clip(lower=0.0)
    weekly[["promo", "display"]] = weekly[["promo", "display"]].fillna(0.0)
    weekly["oos"] = (weekly["oos"].astype("boolean").fillna(False).astype(bool)) | missing
    return weekly.reset_index()[["ds", "y", "promo", "display", "price", "oos"]]


def future_frame(last_ds: pd.Timestamp, horizon: int, freq: str) -> pd.DataFrame:
    """Periods after ``last_ds`` with neutral regressors (no promotion, no display, unknown price)."""
    ds = pd.date_range(pd.Timestamp(last_ds) + STEP[freq], periods=horizon, freq=STEP[freq])
    return pd.DataFrame({"ds": ds, "promo": 0.0, "display": 0.0, "price": np.nan})


# --- holidays -----------------------------------------------------------------------------------------------

# China's calendar (FORECAST_COUNTRY=CN): the holidays package names each day of the Spring Festival break
# separately (the eve, the festival, "(observed)" days, "Day off (substituted from 02/14/2026)" bridge days).
# One festival is one effect, so the break's days share one name; the other substituted days take the name of
# the holiday they bridge. Spring Festival also moves sales before it (gift boxes of milk are bought in the
# week before), which the calendar does not name: SPRING_FESTIVAL_BEFORE marks the days of the week before
# New Year's Day that are not already part of the break.
SPRING_FESTIVAL = "Chinese New Year (Spring Festival)"
SPRING_FESTIVAL_BEFORE = "Spring Festival stock-up week"
_CN_EVE = "Chinese New Year's Eve"
_BRIDGE_DAYS = 3  # a substituted day off belongs to a holiday at most this many days away
# Weekly fits take holidays as regressors (Prophet's day dummies cannot sit on weekly rows): holiday days in
# the week, and with CN the Spring Festival week (the Monday week holding the festival's first day, where the
# break's effect lands) and the week before it (the stock-up).
WEEKLY_HOLIDAY_FEATURES = ("holiday_days", "spring_festival", "spring_festival_before")


@lru_cache(maxsize=32)
def _calendar(country: str, first_year: int, last_year: int) -> tuple[tuple[pd.Timestamp, str], ...]:
    """The holidays package's calendar, as it names the days."""
    import holidays

    try:
        calendar = holidays.country_holidays(country, years=range(first_year, last_year + 1))
    except NotImplementedError:
        raise UnknownCountry(
            f"FORECAST_COUNTRY={country!r} is not a country the holidays package knows; "
            "use an ISO code like US or DE."
        ) from None
    return tuple(sorted((pd.Timestamp(day), name) for day, name in calendar.items()))


@lru_cache(maxsize=32)
def _holiday_dates(country: str, first_year: int, last_year: int) -> tuple[tuple[pd.Timestamp, str], ...]:
    dates = _calendar(country, first_year, last_year)
    return _chinese_festivals(dates) if country == "CN" else dates


def _chinese_festivals(dates: tuple[tuple[pd.Timestamp, str], ...]) -> tuple[tuple[pd.Timestamp, str], ...]:
    """One name per festival (see SPRING_FESTIVAL above), plus the stock-up week before each Spring Festival."""
    named = {day: name.removesuffix(" (observed)") for day, name in dates if not name.startswith("Day off")}
    named = {day: SPRING_FESTIVAL if name == _CN_EVE else name for day, name in named.items()}
    out = dict(named)
    for day, name in dates:
        if name.startswith("Day off"):
            near = min(named, key=lambda other: abs((other - day).days), default=None)
            if near is not None and abs((near - day).days) <= _BRIDGE_DAYS:
                out[day] = named[near]
    for new_year in lunar_new_years(dates):
        for back in range(1, 9):
            out.setdefault(new_year - pd.Timedelta(days=back), SPRING_FESTIVAL_BEFORE)
    return tuple(sorted(out.items()))


def spring_festival_calendar(first_year: int, last_year: int) -> tuple[tuple[pd.Timestamp, str], ...]:
    """China's public holidays as the holidays package names them (for :func:`lunar_new_years`)."""
    return _calendar("CN", first_year, last_year)


def lunar_new_years(dates) -> list[pd.Timestamp]:
    """Chinese New Year's Day of each year in a CN calendar: the first day it names the Spring Festival."""
    days = sorted(day for day, name in dates if name == SPRING_FESTIVAL)
    return [day for position, day in enumerate(days) if position == 0 or (day - days[position - 1]).days > 30]


def holiday_frame(country: str | None, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame | None:
    """Prophet's holidays frame for the years spanned: one cached, read-only frame per span."""
    return _holiday_frame(country, start.year, end.year) if country else None


@lru_cache(maxsize=32)
def _holiday_frame(country: str, first_year: int, last_year: int) -> pd.DataFrame | None:
    dates = _holiday_dates(country, first_year, last_year)
    if not dates:
        return None
    return pd.DataFrame({"ds": [d for d, _ in dates], "holiday": [name for _, name in dates]})


def holiday_days_per_week(country: str | None, weeks: pd.Series) -> np.ndarray:
    """Public holiday days in each Monday week (with CN: outside the Spring Festival and its stock-up)."""
    return weekly_holiday_features(country, weeks)["holiday_days"]


def weekly_holiday_features(country: str | None, weeks: pd.Series) -> dict[str, np.ndarray]:
    """The weekly holiday regressors (WEEKLY_HOLIDAY_FEATURES) for Monday weeks starting on ``weeks``.

    The Spring Festival columns come only with CN; "spring_festival" is 1 on the week holding Chinese New
    Year's Day, not on every week the break touches (a break from a Sunday to the next Friday would count
    twice), and "spring_festival_before" on the week before it.
    """
    if not country or weeks.empty:
        return {"holiday_days": np.zeros(len(weeks))}
    starts = pd.DatetimeIndex(pd.to_datetime(weeks))
    dates = _holiday_dates(country, starts.min().year, (starts.max() + pd.Timedelta(days=6)).year + 1)
    festival = {SPRING_FESTIVAL, SPRING_FESTIVAL_BEFORE}
    other = pd.DatetimeIndex([day for day, name in dates if name not in festival or country != "CN"])
    features = {"holiday_days": _count_by_week(other, starts)}
    if country == "CN":
        new_years = pd.DatetimeIndex(lunar_new_years(_calendar(country, starts.min().year, starts.max().year + 1)))
        week_of = new_years - pd.to_timedelta(new_years.day_of_week, unit="D")
        features["spring_festival"] = starts.isin(week_of).astype(float)
        features["spring_festival_before"] = starts.isin(week_of - pd.Timedelta(weeks=1)).astype(float)
    return features


def _count_by_week(days: pd.DatetimeIndex, starts: pd.DatetimeIndex) -> np.ndarray:
    week_of_day = days - pd.to_timedelta(days.day_of_week, unit="D")
    counts = pd.Series(1, index=week_of_day).groupby(level=0).sum()
    return counts.reindex(starts).fillna(0).to_numpy(dtype=float)


# --- seasonal naive -----------------------------------------------------------------------------------------


def seasonal_naive(history: pd.DataFrame, future: pd.DataFrame, settings: ModelSettings) -> Forecast:
    """Repeat the last season (7 days, or 52 weeks; 1 when history is shorter), skipping stock-out periods.

    Interval: the in-sample seasonal-difference error, widened by sqrt(seasons ahead) as usual for this model.
    """
    values = history["y"].to_numpy(dtype=float).copy()
    values[history["oos"].to_numpy(dtype=bool)] = np.nan
    season = SEASON[settings.freq] if len(values) >= SEASON[settings.freq] else 1
    fallback = float(np.nanmean(values)) if np.isfinite(values).any() else 0.0
    horizon = len(future)
    yhat = np.empty(horizon)
    for step in range(horizon):
        position = len(values) - season + (step % season)
        value = np.nan
        while position >= 0 and np.isnan(value):
            value = values[position]
            position -= season
        yhat[step] = fallback if np.isnan(value) else value
    errors = values[season:] - values[:-season] if len(values) > season else np.array([])
    errors = errors[np.isfinite(errors)]
    sigma = float(np.sqrt(np.mean(errors**2))) if errors.size else float(np.sqrt(max(fallback, 1.0)))
    widen = np.sqrt(np.arange(horizon) // season + 1)
    half = settings.z * sigma * widen
    return Forecast(
        model=SEASONAL_NAIVE,
        ds=pd.DatetimeIndex(future["ds"]),
        yhat=yhat,
        yhat_lower=np.clip(yhat - half, 0.0, None),
        yhat_upper=yhat + half,
        regressors=_regressor_values(future),
        history_periods=int(np.isfinite(values).sum()),
    )


def _regressor_values(future: pd.DataFrame) -> dict[str, np.ndarray]:
    return {name: future[name].astype(float).to_numpy() for name in ("promo", "display") if name in future}


# --- Prophet ------------------------------------------------------------------------------------------------


def prophet_forecast(history: pd.DataFrame, future: pd.DataFrame, settings: ModelSettings) -> Forecast:
    """Prophet on the in-stock periods of ``history``; raises NotEnoughHistory for too short a series."""
    from forecasting.prophet_fit import fit_prophet, predict_prophet

    train = history[~history["oos"]].reset_index(drop=True)
    if len(train) < MIN_PROPHET_PERIODS[settings.freq]:
        raise NotEnoughHistory(
            f"{len(train)} in-stock periods; Prophet needs at least {MIN_PROPHET_PERIODS[settings.freq]}."
        )
    start, end = (
        train["ds"].iloc[0],
        pd.Timestamp(future["ds"].iloc[-1]) if len(future) else train["ds"].iloc[-1],
    )
    weekly = settings.freq == "W"
    fit = fit_prophet(
        train,
        freq=settings.freq,
        holidays=None if weekly else holiday_frame(settings.country, start, end),
        holiday_features=weekly_holiday_features(settings.country, train["ds"]) if weekly else None,
        yearly_order=settings.yearly_order if not weekly else min(settings.yearly_order, 6),
        weekly_order=settings.weekly_order,
        n_changepoints=settings.n_changepoints,
        changepoint_prior_scale=settings.changepoint_prior_scale,
        interval_width=settings.interval_width,
        log_target=settings.log_target,
        standardize=settings.standardize_regressors,
    )
    yhat, lower, upper, regressors = predict_prophet(
        fit,
        future,
        z=settings.z,
        holiday_features=weekly_holiday_features(settings.country, future["ds"]) if weekly else None,
    )
    return Forecast(
        model=PROPHET,
        ds=pd.DatetimeIndex(future["ds"]),
        yhat=yhat,
        yhat_lower=lower,
        yhat_upper=upper,
        effects=fit.effects,
        regressors=regressors,
        history_periods=len(train),
    )


# --- choosing and forecasting -------------------------------------------------------------------------------


def validation_errors(
    history: pd.DataFrame, horizon: int, settings: ModelSettings
) -> tuple[dict[str, float], dict[str, np.ndarray]] | None:
    """WAPE of Prophet and seasonal naive on the last ``horizon`` periods, each trained on what came before,
    and each one's errors on log1p(units) there (for its conformal interval).

    None when the series is too short to hold out ``horizon`` periods and still fit Prophet.
    """
    if len(history) - horizon < MIN_PROPHET_PERIODS[settings.freq] or horizon < 1:
        return None
    train, holdout = history.iloc[:-horizon], history.iloc[-horizon:]
    in_stock = ~holdout["oos"].to_numpy()
    actual = holdout["y"].to_numpy()[in_stock]
    if actual.sum() <= 0 or (~train["oos"]).sum() < MIN_PROPHET_PERIODS[settings.freq]:
        return None
    future = holdout[["ds", "promo", "display", "price"]]
    scores, errors = {}, {}
    for name, method in ((PROPHET, prophet_forecast), (SEASONAL_NAIVE, seasonal_naive)):
        forecast = method(train, future, settings)
        scores[name] = round(wape(actual, forecast.yhat[in_stock]), 4)
        errors[name] = log_errors(actual, forecast.yhat[in_stock])
    return scores, errors


def validation_scores(history: pd.DataFrame, horizon: int, settings: ModelSettings) -> dict[str, float] | None:
    result = validation_errors(history, horizon, settings)
    return None if result is None else result[0]


def _pick(scores: dict[str, float] | None, horizon: int) -> tuple[str, str]:
    if scores and scores[SEASONAL_NAIVE] < scores[PROPHET]:
        return SEASONAL_NAIVE, (
            f"seasonal naive chosen: it beat Prophet on the last {horizon} periods "
            f"(WAPE {scores[SEASONAL_NAIVE]:.3f} vs {scores[PROPHET]:.3f})."
        )
    return PROPHET, ""


def choose_model(
    history: pd.DataFrame, horizon: int, settings: ModelSettings
) -> tuple[str, str, dict[str, float]]:
    """The model the system uses for this series, with the reason: Prophet unless the baseline beat it."""
    scores = validation_scores(history, horizon, settings)
    return (*_pick(scores, horizon), scores or {})


def clean_history(history: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The history with its huge outlier periods marked out (guards.outlier_periods), and a note naming them."""
    outliers = outlier_periods(history)
    if not outliers.any():
        return history, ""
    rows = history[outliers]
    named = ", ".join(f"{row.ds.date()} ({row.y:,.0f} units)" for row in rows.head(3).itertuples())
    more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
    history = history.copy()
    history.loc[outliers, "oos"] = True
    return history, (
        f"left out as outliers (over {OUTLIER_NOTE_RATIO:.0f}x the periods around them): {named}{more}. "
    )


def forecast_series(
    history: pd.DataFrame,
    future: pd.DataFrame,
    settings: ModelSettings,
    *,
    select: bool = True,
    validation_horizon: int | None = None,
) -> Forecast:
    """A forecast for each row of ``future`` (ds, promo, display, price), or NO_FORECAST with the reason.

    ``history`` is one series at ``settings.freq`` (ds, y, and optionally promo, display, price, oos).
    With ``select``, the model is chosen on a validation window of ``validation_horizon`` (default: the
    forecast horizon) at the end of the history, the same rule the backtest reports as "chosen".
    """
    history, future, cleaned, early = prepare(history, future, settings)
    forecast = early or _forecast_clean(
        history, future, settings, select=select, validation_horizon=validation_horizon
    )
    forecast.note = cleaned + forecast.note
    return forecast


def prepare(
    history: pd.DataFrame, future: pd.DataFrame, settings: ModelSettings
) -> tuple[pd.DataFrame, pd.DataFrame, str, Forecast | None]:
    """What every forecasting path does first: the inputs checked, the history at ``settings.freq`` with its
    outliers marked out (and a note naming them), and the forecast itself where the history decides it
    (a value out of range, no sales, all zeros, too short for Prophet); None there means "go on and fit"."""
    future = future.reset_index(drop=True)
    for column, default in (("promo", 0.0), ("display", 0.0), ("price", np.nan)):
        if column not in future:
            future[column] = default
    problem = input_problem(history, "history") or input_problem(future, "future")
    if problem:
        return history, future, "", _no_forecast(future, problem)
    history, cleaned = clean_history(regularize(history, settings.freq))
    return history, future, cleaned, _early_forecast(history, future, settings)


def _early_forecast(history: pd.DataFrame, future: pd.DataFrame, settings: ModelSettings) -> Forecast | None:
    in_stock = history[~history["oos"]]
    if in_stock.empty:
        reason = "no sales rows" if history.empty else "every period was out of stock"
        return _no_forecast(future, f"not enough history: {reason}.")
    if in_stock["y"].sum() == 0:
        zeros = np.zeros(len(future))
        note = f"no sales in {len(in_stock)} periods of history: forecasting zero."
        return Forecast(
            SEASONAL_NAIVE,
            pd.DatetimeIndex(future["ds"]),
            zeros,
            zeros,
            zeros,
            note=note,
            regressors=_regressor_values(future),
            history_periods=len(in_stock),
        )
    if len(in_stock) < MIN_PROPHET_PERIODS[settings.freq]:
        forecast = seasonal_naive(history, future, settings)
        forecast.note = (
            f"short history ({len(in_stock)} periods; Prophet needs {MIN_PROPHET_PERIODS[settings.freq]}): "
            "seasonal naive."
        )
        return forecast
    return None


def _forecast_clean(
    history: pd.DataFrame, future: pd.DataFrame, settings: ModelSettings, *, select: bool, validation_horizon
) -> Forecast:
    in_stock = history[~history["oos"]]
    model_name, note, scores, errors = PROPHET, "", {}, {}
    if select:
        horizon = validation_horizon or len(future)
        validated = validation_errors(history, horizon, settings)
        scores, errors = validated or ({}, {})
        model_name, note = _pick(scores, horizon)
    if model_name == PROPHET:
        try:
            forecast = prophet_forecast(history, future, settings)
        except UnknownCountry:
            raise
        except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
            forecast = seasonal_naive(history, future, settings)
            note = f"Prophet failed ({type(exc).__name__}: {str(exc)[:120]}): seasonal naive."
    else:
        forecast = seasonal_naive(history, future, settings)
    reason = implausible(forecast.yhat, in_stock["y"].to_numpy()) if forecast.model == PROPHET else None
    if reason:
        forecast = seasonal_naive(history, future, settings)
        note = f"Prophet's forecast not used ({reason}): seasonal naive."
    # The interval planners order from (inventory safety stock) is the conformal one from the validation
    # errors when there are enough of them: Prophet's own covered a third of real outcomes, not 80%.
    calibrated = len(errors.get(forecast.model, ())) >= MIN_RESIDUALS
    if calibrated:
        conformal_interval(forecast, errors[forecast.model], settings.interval_width)
        note = (note + " " if note else "") + (
            f"{settings.interval_width:.0%} interval calibrated on its errors over the last "
            f"{len(errors[forecast.model])} validation periods."
        )
    forecast.note, forecast.validation = note, scores
    return forecast


def _no_forecast(future: pd.DataFrame, note: str) -> Forecast:
    empty = np.full(len(future), np.nan)
    return Forecast(NO_FORECAST, pd.DatetimeIndex(future["ds"]), empty, empty, empty, note=note)
