"""Reference forecasts every backtest reports next to the product's models, so a figure means something:
last value carried forward, plain Prophet (no seasonality, no regressors) and plain Prophet with the
display share and log price as regressors. Pure; these are what a planner could do without ShelfAI.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from prophet import Prophet

import forecasting.prophet_fit  # noqa: F401  (quiets cmdstanpy and Prophet logging)
from forecasting.model import Forecast, ModelSettings

LAST_VALUE = "last_value"
PROPHET_PLAIN = "prophet_plain"
PROPHET_REGRESSORS = "prophet_regressors"
REFERENCES = (LAST_VALUE, PROPHET_PLAIN, PROPHET_REGRESSORS)
INTERVAL_SAMPLES = 200  # Prophet's default is 1,000; 200 pins an 80% interval's ends well enough here


def last_value(train: pd.DataFrame, future: pd.DataFrame, settings: ModelSettings) -> Forecast:
    """The last in-stock period's units for every future period; interval from the in-sample step changes,
    widened by sqrt(steps ahead)."""
    values = train.loc[~train["oos"].astype(bool), "y"].astype(float).to_numpy()
    last = float(values[-1]) if values.size else 0.0
    steps = np.abs(np.diff(values)) if values.size > 1 else np.array([max(last, 1.0)])
    spread = float(np.quantile(steps, settings.interval_width)) if steps.size else 0.0
    yhat = np.full(len(future), last)
    half = spread * np.sqrt(np.arange(1, len(future) + 1))
    return Forecast(
        LAST_VALUE,
        pd.DatetimeIndex(future["ds"]),
        yhat,
        np.clip(yhat - half, 0.0, None),
        yhat + half,
        history_periods=int(values.size),
    )


def _log_price(frame: pd.DataFrame, fill: float) -> np.ndarray:
    price = frame["price"].astype(float).where(frame["price"].astype(float) > 0)
    return np.log(price.fillna(fill).to_numpy())


def plain_prophet(train: pd.DataFrame, future: pd.DataFrame, settings: ModelSettings, *, regressors: bool) -> Forecast:
    """Prophet out of the box on units (no log, no seasonality), optionally with display and log price."""
    rows = train[~train["oos"].astype(bool)]
    model = Prophet(
        yearly_seasonality=False,
        weekly_seasonality=False,
        daily_seasonality=False,
        interval_width=settings.interval_width,
        uncertainty_samples=INTERVAL_SAMPLES,
    )
    frame = pd.DataFrame({"ds": pd.to_datetime(rows["ds"]).to_numpy(), "y": rows["y"].astype(float).to_numpy()})
    ahead = pd.DataFrame({"ds": pd.to_datetime(future["ds"]).to_numpy()})
    if regressors:
        prices = rows["price"].astype(float)
        fill = float(np.log(prices[prices > 0].median())) if (prices > 0).any() else 0.0
        for name, values, later in (
            ("display", rows["display"].astype(float).to_numpy(), future["display"].astype(float).to_numpy()),
            ("log_price", _log_price(rows, np.exp(fill)), _log_price(future, np.exp(fill))),
        ):
            if np.std(values) > 1e-9:
                model.add_regressor(name)
                frame[name], ahead[name] = values, later
    model.fit(frame)
    # Prophet draws its interval's sample paths from numpy's global generator: seeded, so the reference's
    # coverage is the same on every run of the same data (it moved by ±0.01 between runs).
    np.random.seed(0)
    predicted = model.predict(ahead)
    return Forecast(
        PROPHET_REGRESSORS if regressors else PROPHET_PLAIN,
        pd.DatetimeIndex(future["ds"]),
        np.clip(predicted["yhat"].to_numpy(), 0.0, None),
        np.clip(predicted["yhat_lower"].to_numpy(), 0.0, None),
        np.clip(predicted["yhat_upper"].to_numpy(), 0.0, None),
        history_periods=len(rows),
    )
