"""Prophet fitted fast and quietly, with analytic intervals and regressor effects. Pure (forecasting.model).

Speed matters here (1,000 daily series in 90 s on two cores), so three things differ from a plain
``Prophet().fit(); predict()``:
- ``uncertainty_samples=0`` and an analytic interval (:func:`_trend_variance`) instead of 1,000 sampled paths;
- the Stan input is written with the C JSON encoder (:class:`_FastJsonStanModel`): cmdstanpy's writer
  goes through the pure-Python encoder, which costs about as long as the Stan optimisation itself;
- holidays come from a cached frame instead of being rebuilt by the holidays package for every series;
- the feature matrix for predictions, and the component map for fits, are built with numpy
  (:func:`design_matrix`, :func:`fast_regressor_column_matrix`) instead of pandas; the first is checked
  against Prophet's own training matrix on every fit, the second by a test.
Stan's CSV output goes to a temporary folder that is removed after each fit, so a long-running worker
does not fill /tmp.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import types
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from cmdstanpy.utils import get_logger as get_cmdstanpy_logger
from prophet import Prophet
from prophet.utilities import regressor_index

from forecasting.planning import EffectEstimate

# cmdstanpy logs two INFO lines per fit (its logger is set up on first use, so set it up now and then quiet
# it), and Prophet warns about the yearly seasonality we enable on purpose with under two years of history.
get_cmdstanpy_logger().setLevel(logging.WARNING)
logging.getLogger("prophet").setLevel(logging.ERROR)
# Prophet 1.5 uses pandas' deprecated inplace= arguments; the warning is about Prophet, not about us.
warnings.filterwarnings(
    "ignore", category=getattr(pd.errors, "Pandas4Warning", DeprecationWarning), module="prophet"
)

def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to Stan JSON")


class _FastJsonStanModel:
    """Stands in for cmdstanpy's CmdStanModel inside one Prophet object; only ``optimize`` differs."""

    def __init__(self, model) -> None:
        self._model = model
        self.design: np.ndarray | None = None  # the feature matrix Prophet built, kept for standard errors

    def __getattr__(self, name: str):
        return getattr(self._model, name)

    def optimize(self, *, data, inits, **kwargs):
        self.design = np.asarray(data["X"], dtype=float).reshape(len(data["y"]), -1)
        with tempfile.TemporaryDirectory(prefix="shelfai-stan-") as folder:
            data_path = os.path.join(folder, "data.json")
            inits_path = os.path.join(folder, "inits.json")
            with open(data_path, "w") as handle:
                handle.write(json.dumps(data, default=_json_default))
            with open(inits_path, "w") as handle:
                handle.write(json.dumps(inits, default=_json_default))
            # CmdStanMLE reads its CSV when constructed, so the folder can go once this returns.
            return self._model.optimize(data=data_path, inits=inits_path, output_dir=folder, **kwargs)


@dataclass
class ProphetFit:
    """A fitted Prophet model plus what is needed to forecast and explain it."""

    model: Prophet
    freq: str
    regressors: tuple[str, ...]
    reference_price: float | None
    residual_var: float
    effects: dict[str, EffectEstimate]
    last_ds: pd.Timestamp
    fast_design: bool = False  # our feature builder reproduced Prophet's training matrix exactly
    price_range: tuple[float, float] | None = None  # the price index seen in training
    log_target: bool = True  # fitted on log1p(units); False: on units


def price_index(price: pd.Series, reference: float | None) -> np.ndarray:
    """Price relative to the series' median price; unknown prices count as the reference price, and so does
    a price of 0 (a missing price written as 0, never a free product: as an index of 0 it would read as a
    100% price cut and throw the price effect far off)."""
    if not reference:
        return np.ones(len(price))
    values = price.astype(float)
    return (values.where(values > 0) / reference).fillna(1.0).to_numpy()


def regressor_frame(
    frame: pd.DataFrame, reference_price: float | None, holiday_features: dict[str, np.ndarray] | None
):
    out = pd.DataFrame({"ds": pd.to_datetime(frame["ds"]).to_numpy()})
    out["promo"] = frame["promo"].astype(float).to_numpy()
    out["display"] = frame["display"].astype(float).to_numpy()
    out["price_index"] = price_index(frame["price"], reference_price)
    for name, values in (holiday_features or {}).items():
        out[name] = values
    return out


def fit_prophet(
    train: pd.DataFrame,
    *,
    freq: str,
    holidays: pd.DataFrame | None,
    holiday_features: dict[str, np.ndarray] | None,
    yearly_order: int,
    weekly_order: int,
    n_changepoints: int,
    changepoint_prior_scale: float,
    interval_width: float,
    log_target: bool = True,
    standardize: bool = False,
) -> ProphetFit:
    """Fit on log1p(units) of ``train`` (ds, y, promo, display, price; stock-out rows already removed), or on
    units themselves with ``log_target=False``; ``standardize`` centres and scales the regressors (Prophet's
    own option), which changes what their priors hold back. Which of these suits a series is decided by
    validation (forecasting.selection.PROPHET_VARIANTS), not here."""
    prices = train["price"].astype(float)
    prices = prices[prices > 0].dropna()
    reference = float(prices.median()) if len(prices) else None
    frame = regressor_frame(train, reference, holiday_features if freq == "W" else None)
    units = train["y"].astype(float).to_numpy()
    frame["y"] = np.log1p(units) if log_target else units
    # Yearly seasonality only with two full years: fitted on one year and a bit, 6-8 Fourier terms learn
    # that year's promotions and noise as "season" and repeat them (the cheese set's 60 weeks did).
    step_days = 7 if freq == "W" else 1
    two_years = (frame["ds"].iloc[-1] - frame["ds"].iloc[0]).days + step_days >= 2 * 364
    used = tuple(name for name in frame.columns if name not in ("ds", "y") and frame[name].std() > 1e-9)
    model = Prophet(
        growth="linear",
        yearly_seasonality=yearly_order if two_years and yearly_order > 0 else False,
        weekly_seasonality=weekly_order if freq == "D" else False,
        daily_seasonality=False,
        holidays=holidays if freq == "D" else None,
        n_changepoints=min(n_changepoints, max(len(frame) // 4, 1)),
        changepoint_prior_scale=changepoint_prior_scale,
        interval_width=interval_width,
        uncertainty_samples=0,
    )
    for name in used:
        model.add_regressor(name, standardize=standardize)
    model.regressor_column_matrix = types.MethodType(fast_regressor_column_matrix, model)
    stan_model = _FastJsonStanModel(model.stan_backend.model)
    model.stan_backend.model = stan_model
    model.fit(frame[["ds", "y", *used]])
    # Prophet's noise scale is the residual standard deviation of the fit, on Prophet's scaled y.
    residual_var = float((model.params["sigma_obs"][0, 0] * model.y_scale) ** 2)
    # Effects are read by the uplift maths as multipliers (coefficients on log1p): a fit on units has
    # additive ones in units, which would be misread, so it reports none and the pooled effects stand in.
    effects = _effects(model, used, residual_var, stan_model.design) if log_target else {}
    fast = stan_model.design is not None and _same(design_matrix(model, frame), stan_model.design)
    price_range = (float(frame["price_index"].min()), float(frame["price_index"].max()))
    return ProphetFit(
        model, freq, used, reference, residual_var, effects, frame["ds"].iloc[-1], fast, price_range, log_target
    )


def fast_regressor_column_matrix(self: Prophet, seasonal_features: pd.DataFrame, modes: dict):
    """Prophet.regressor_column_matrix without pandas crosstab/concat (a fifth of a fit's time); same output.

    Which feature columns make up which component (each seasonality, holiday, regressor, and the groups
    holidays / additive_terms / multiplicative_terms / extra_regressors_*), as a 0/1 frame with columns in
    crosstab's sorted order. tests/forecasting checks it against Prophet's own.
    """
    members: dict[str, set[int]] = {}
    for index, column in enumerate(seasonal_features.columns):
        members.setdefault(column.split("_delim_")[0], set()).add(index)

    def add_group(name: str, group) -> None:
        columns = set().union(*(members[g] for g in set(group) if g in members))
        if columns:
            members[name] = members.get(name, set()) | columns

    if self.train_holiday_names is not None:
        add_group("holidays", self.train_holiday_names.unique())
    for mode in ("additive", "multiplicative"):
        add_group(mode + "_terms", modes[mode])
        add_group(
            "extra_regressors_" + mode, [r for r, p in self.extra_regressors.items() if p["mode"] == mode]
        )
        modes[mode].append(mode + "_terms")
        modes[mode].append("extra_regressors_" + mode)
    modes[self.holidays_mode].append("holidays")
    names = sorted(members)
    matrix = np.zeros((seasonal_features.shape[1], len(names)), dtype=np.int64)
    for position, name in enumerate(names):
        matrix[sorted(members[name]), position] = 1
    component_cols = pd.DataFrame(
        matrix,
        index=pd.Index(np.arange(seasonal_features.shape[1]), name="col"),
        columns=pd.Index(names, name="component"),
    )
    for name in ("additive_terms", "multiplicative_terms"):
        if name not in component_cols:
            component_cols[name] = 0
    component_cols = component_cols.drop(columns="zeros", errors="ignore")
    if self.train_component_cols is not None:
        component_cols = component_cols[self.train_component_cols.columns]
        if not component_cols.equals(self.train_component_cols):
            raise RuntimeError("A bug occurred in constructing regressors.")
    return component_cols, modes


_HOLIDAY_CACHE: dict[int, tuple[pd.DataFrame, dict[str, np.ndarray]]] = {}


def _holiday_dates_by_name(holidays: pd.DataFrame) -> dict[str, np.ndarray]:
    """Holiday name -> its dates; cached per holiday frame (model.holiday_frame caches the frames)."""
    cached = _HOLIDAY_CACHE.get(id(holidays))
    if cached is None or cached[0] is not holidays:
        days = pd.to_datetime(holidays["ds"]).to_numpy(dtype="datetime64[D]")
        names = holidays["holiday"].to_numpy()
        cached = (holidays, {name: days[names == name] for name in set(names)})
        _HOLIDAY_CACHE.clear() if len(_HOLIDAY_CACHE) > 64 else None
        _HOLIDAY_CACHE[id(holidays)] = cached
    return cached[1]


def _same(ours: np.ndarray | None, prophets: np.ndarray) -> bool:
    return ours is not None and ours.shape == prophets.shape and np.allclose(ours, prophets, atol=1e-9)


def design_matrix(model: Prophet, frame: pd.DataFrame) -> np.ndarray | None:
    """Prophet's feature matrix (Fourier terms, holiday dummies, regressors) built with numpy alone.

    Prophet's own builder spends most of a prediction in pandas. This covers the configuration fit_prophet
    uses (additive, unconditional seasonalities, one-day holidays); anything else returns None and the caller
    uses Prophet's predict. fit_prophet checks it against the training matrix Prophet itself built.
    """
    ds = pd.to_datetime(frame["ds"]).to_numpy(dtype="datetime64[ns]")
    days = (ds - np.datetime64("1970-01-01", "ns")) / np.timedelta64(1, "D")
    blocks = []
    for props in model.seasonalities.values():
        if props["condition_name"] is not None or props["mode"] != "additive":
            return None
        angle = (
            2 * np.pi * days[:, None] * np.arange(1, props["fourier_order"] + 1)[None, :] / props["period"]
        )
        block = np.empty((len(ds), 2 * props["fourier_order"]))
        block[:, 0::2], block[:, 1::2] = np.sin(angle), np.cos(angle)
        blocks.append(block)
    if model.train_holiday_names is not None and len(model.train_holiday_names):
        holidays = model.holidays
        if holidays is None or {"lower_window", "upper_window"} & set(holidays.columns):
            return None
        day_of = ds.astype("datetime64[D]")
        dates_by_name = _holiday_dates_by_name(holidays)
        for column in sorted(f"{h}_delim_+0" for h in model.train_holiday_names):
            dates = dates_by_name.get(column[: -len("_delim_+0")], np.array([], dtype="datetime64[D]"))
            blocks.append(np.isin(day_of, dates).astype(float)[:, None])
    for name, props in model.extra_regressors.items():
        if props["mode"] != "additive":
            return None
        blocks.append(((frame[name].to_numpy(dtype=float) - props["mu"]) / props["std"])[:, None])
    return np.hstack(blocks) if blocks else None


def _effects(
    model: Prophet, used: tuple[str, ...], residual_var: float, features: np.ndarray | None
) -> dict[str, EffectEstimate]:
    """Coefficients on log1p(units) and their least-squares standard errors, trend held fixed.

    The design is Prophet's own seasonal, holiday and regressor features plus the fitted trend; the
    standard error of each regressor column is sqrt(residual variance x [(X'X)^-1]_jj). It ignores the
    priors and the trend's own uncertainty, so it is a good guide, not a posterior.
    """
    if not used:
        return {}
    beta = model.params["beta"][0]
    if features is None or features.shape[1] != len(beta):
        features = model.make_all_seasonality_features(model.history)[0].to_numpy(dtype=float)
    trend = model.predict_trend(model.history).to_numpy() / model.y_scale
    design = np.column_stack([trend, features])
    # einsum rather than design.T @ design: a multi-threaded BLAS spends longer starting threads than
    # multiplying a 730 x 40 matrix, and on a busy machine much longer.
    xtx_inv = np.linalg.pinv(np.einsum("ij,ik->jk", design, design))
    effects = {}
    for name in used:
        column = regressor_index(model, name)
        scale = float(model.extra_regressors[name]["std"])  # 1 unless standardised: back to raw units
        coef = float(beta[column] * model.y_scale) / scale
        se = float(np.sqrt(max(residual_var * xtx_inv[column + 1, column + 1], 0.0))) / scale
        effects[name] = EffectEstimate(coef=coef, se=se)
    return effects


def _trend_variance(model: Prophet, ds: pd.Series) -> np.ndarray:
    """Variance (in log1p units) of Prophet's simulated future trend, in closed form.

    Prophet draws future changepoints as a Poisson process with rate S (changepoints per unit of its scaled
    time, history = [0, 1]) and each change from Laplace(0, b), b = mean |delta|. A change at s shifts the
    trend at t by delta * (t - s), so Var[trend(t)] = S * 2 b^2 * (t - 1)^3 / 3 for t > 1.
    """
    t = ((pd.to_datetime(ds) - model.start) / model.t_scale).to_numpy(dtype=float)
    rate = len(model.changepoints_t)
    scale = float(np.mean(np.abs(model.params["delta"][0]))) + 1e-8
    beyond = np.clip(t - 1.0, 0.0, None)
    return rate * 2 * scale**2 * beyond**3 / 3 * model.y_scale**2


def predict_prophet(
    fit: ProphetFit, future: pd.DataFrame, *, z: float, holiday_features: dict[str, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Median forecast and interval in units (never negative), plus the regressor values used."""
    frame = regressor_frame(future, fit.reference_price, holiday_features if fit.freq == "W" else None)
    if fit.price_range is not None:
        # A price effect fitted on prices that barely moved (a store at 2.69-2.72 for months) is a noisy
        # slope; a planned cut to 2.01 far outside that range turned it into a forecast of 800,000 packs.
        # Prophet is trusted within the prices it saw; deeper cuts are the pooled and global models' job.
        frame["price_index"] = frame["price_index"].clip(*fit.price_range)
    model = fit.model
    features = design_matrix(model, frame) if fit.fast_design else None
    if features is not None:
        t = ((frame["ds"] - model.start) / model.t_scale).to_numpy(dtype=float)
        trend = model.piecewise_linear(
            t,
            model.params["delta"][0],
            model.params["k"][0, 0],
            model.params["m"][0, 0],
            model.changepoints_t,
        )
        center = (trend + features @ model.params["beta"][0]) * model.y_scale
    else:
        center = model.predict(frame[["ds", *fit.regressors]])["yhat"].to_numpy()
    sd = np.sqrt(fit.residual_var + _trend_variance(fit.model, frame["ds"]))
    back = np.expm1 if fit.log_target else (lambda values: values)
    yhat = np.clip(back(center), 0.0, None)
    lower = np.clip(back(center - z * sd), 0.0, None)
    upper = np.clip(back(center + z * sd), 0.0, None)
    regressors = {name: frame[name].to_numpy() for name in ("promo", "display", "price_index")}
    return yhat, lower, upper, regressors
