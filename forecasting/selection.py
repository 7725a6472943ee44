"""The candidate models for one series, their rolling-origin validation on the training part, the choice
between them, and conformal intervals. Pure (no Django).

Candidates: ShelfAI's Prophet (forecasting.model), the pooled-effects model (forecasting.pooled), the
global gradient-boosted model (forecasting.global_model), the ensemble of the last two (the mean on
log1p(units), i.e. the geometric mean of the two forecasts), seasonal naive and the last value carried
forward. Why each is there: Prophet is the explainable model and wins on long, seasonal series; the pooled
model wins on short series where one store's own effects are noise; the global model learns from every
series how sales move after a jump and under a display or a price cut; the ensemble averages away what
each gets wrong on its own; the two naive ones keep the others honest.

Validation: origins ``horizon`` periods apart at the end of the training part (up to MAX_ORIGINS), each
candidate trained on what came before and scored on the next ``horizon`` periods. The model with the lowest
pooled WAPE over those origins is chosen; a candidate whose forecast fails forecasting.guards.implausible at
any origin or now is out. The holdout the backtest reports is never seen by any of this.

Prophet's own settings (log1p target or units, changepoint prior, standardised regressors: PROPHET_VARIANTS)
are chosen per series the same way: each variant is fitted at every validation origin, the one with the
lowest WAPE there is the series' "prophet" candidate (its errors are that candidate's validation errors),
and the forecast after the cut uses it. The default comes first and wins ties.

Intervals (conformal, forecasting.intervals): the absolute errors on log1p(units) at the validation
origins give each candidate its own interval half-width.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import lightgbm as lgb
import numpy as np
import pandas as pd

from forecasting import pooled as pooled_model
from forecasting.global_model import GLOBAL, GlobalModel, fit_global
from forecasting.guards import implausible
from forecasting.intervals import conformal_interval, log_errors  # noqa: F401  (conformal_interval: re-exported)
from forecasting.model import (
    MIN_PROPHET_PERIODS,
    PROPHET,
    SEASONAL_NAIVE,
    Forecast,
    ModelSettings,
    NotEnoughHistory,
    UnknownCountry,
    prepare,
    prophet_forecast,
    seasonal_naive,
)
from forecasting.pooled import PooledEffects
from forecasting.prophet_variants import PROPHET_VARIANTS, VARIANT_CATEGORY_WEIGHT, variant_label  # noqa: F401
from forecasting.references import LAST_VALUE, last_value

POOLED = "pooled"
ENSEMBLE = "ensemble"
CANDIDATES = (PROPHET, POOLED, GLOBAL, ENSEMBLE, SEASONAL_NAIVE, LAST_VALUE)
# Prophet is left out of the ensemble: on the training parts of both real sets (rolling validation
# origins, never the reported holdout) pooled x global beat prophet x pooled x global (cheese 0.203 vs
# 0.207 WAPE, tuna 0.394 vs 0.402). Prophet stays a candidate of its own, and the model planners see.
ENSEMBLE_MEMBERS = (POOLED, GLOBAL)
MAX_ORIGINS = 3
MAX_LOOKBACK = 8  # validation windows tried, latest first, to find MAX_ORIGINS with sales data
# How much the category's validation score counts in a series' choice (choose), and its half-width in the
# interval. 0.75, not 0.5: on both sets' training parts (real holdout dropped, the 12 weeks before it as the
# test, bench/forecast_accuracy.py --training-only) the choice did better: cheese 0.216 vs 0.219, tuna
# 0.370 vs 0.400; a store's few validation weeks are mostly noise next to 88 stores' weeks.
CATEGORY_WEIGHT = 0.75


@dataclass(frozen=True)
class Learned:
    """What was learned across every series from the training parts before one cut."""

    pooled: PooledEffects | None = None
    global_model: GlobalModel | None = None


def _in_stock_y(frame: pd.DataFrame) -> np.ndarray:
    return frame.loc[~frame["oos"].astype(bool), "y"].astype(float).to_numpy()


def candidate_forecasts(
    train: pd.DataFrame,
    future: pd.DataFrame,
    settings: ModelSettings,
    learned: Learned | None,
    *,
    include: tuple[str, ...] = CANDIDATES,
) -> tuple[dict[str, Forecast], dict[str, str], dict[str, Forecast]]:
    """Each usable candidate's forecast for ``future``; why any candidate is missing; and the forecasts the
    guardrail rejected (kept so a backtest can still score what the model alone would have done)."""
    out: dict[str, Forecast] = {}
    rejected: dict[str, Forecast] = {}
    missing: dict[str, str] = {}
    history = _in_stock_y(train)
    learned = learned or Learned()
    pooled = learned.pooled
    if PROPHET in include:
        forecast, reason = _prophet(train, future, settings)
        if forecast is None:
            missing[PROPHET] = reason
        else:
            out[PROPHET] = forecast
    if POOLED in include or ENSEMBLE in include:
        fitted = pooled_model.fit_series(train, pooled, freq=settings.freq, half_life=None)
        if fitted is None:
            missing[POOLED] = "no in-stock sales to set a level"
        else:
            center = fitted.log_forecast(future)
            yhat = np.clip(np.expm1(center), 0.0, None)
            out[POOLED] = Forecast(
                POOLED,
                pd.DatetimeIndex(future["ds"]),
                yhat,
                yhat.copy(),
                yhat.copy(),
                effects=fitted.effect_estimates(pooled),
                regressors={name: column for name, column in _regressor_columns(future, fitted.reference)},
                history_periods=len(history),
            )
    if GLOBAL in include or ENSEMBLE in include:
        yhat = learned.global_model.forecast(train, future) if learned.global_model else None
        if yhat is None:
            missing[GLOBAL] = "no global model (too few periods across the series), or no recent sales to start from"
        else:
            out[GLOBAL] = Forecast(
                GLOBAL,
                pd.DatetimeIndex(future["ds"]),
                yhat,
                yhat.copy(),
                yhat.copy(),
                regressors=model_regressors(future),
                history_periods=len(history),
            )
    for name in ENSEMBLE_MEMBERS:  # a member the guardrail rejects must not reach the ensemble
        reason = implausible(out[name].yhat, history) if name in out else None
        if reason:
            missing[name] = reason
            rejected[name] = out.pop(name)
    members = [name for name in ENSEMBLE_MEMBERS if name in out]
    if ENSEMBLE in include and len(members) == len(ENSEMBLE_MEMBERS):
        yhat = np.expm1(np.mean([np.log1p(out[name].yhat) for name in members], axis=0))
        out[ENSEMBLE] = Forecast(
            ENSEMBLE, pd.DatetimeIndex(future["ds"]), yhat, yhat.copy(), yhat.copy(), history_periods=len(history)
        )
    if SEASONAL_NAIVE in include:
        out[SEASONAL_NAIVE] = seasonal_naive(train, future, settings)
    if LAST_VALUE in include:
        out[LAST_VALUE] = last_value(train, future, settings)
    reason = implausible(out[ENSEMBLE].yhat, history) if ENSEMBLE in out else None
    if reason:
        missing[ENSEMBLE] = reason
        rejected[ENSEMBLE] = out.pop(ENSEMBLE)
    for name in include:
        if name not in out and name not in missing:
            missing[name] = "needs both the pooled and the global model"
    return {name: out[name] for name in include if name in out}, missing, rejected


def _prophet(train: pd.DataFrame, future: pd.DataFrame, settings: ModelSettings) -> tuple[Forecast | None, str]:
    try:
        return prophet_forecast(train, future, settings), ""
    except UnknownCountry:
        raise
    except (RuntimeError, ValueError, NotEnoughHistory, np.linalg.LinAlgError) as exc:
        return None, f"Prophet failed ({type(exc).__name__}: {str(exc)[:100]})"


def model_regressors(future: pd.DataFrame) -> dict[str, np.ndarray]:
    return {name: future[name].astype(float).to_numpy() for name in ("promo", "display") if name in future}


def _regressor_columns(future: pd.DataFrame, reference: float | None):
    features = pooled_model.feature_matrix(future, reference)
    for index, name in enumerate(pooled_model.FEATURES):
        yield name, features[:, index]


@dataclass
class Validation:
    """Each candidate's WAPE over the validation origins and its errors on log1p(units)."""

    horizon: int
    origins: int = 0
    abs_error: dict[str, float] = field(default_factory=dict)
    actual: dict[str, float] = field(default_factory=dict)
    log_errors: dict[str, list[float]] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)
    prophet_overrides: dict = field(default_factory=dict)  # the Prophet variant chosen (PROPHET_VARIANTS)
    prophet_variants: dict[str, float] = field(default_factory=dict)  # each variant's own WAPE, by label
    # index in PROPHET_VARIANTS -> that variant's validation (its "prophet" entry), kept so the backtest can
    # pick again once it knows how each variant did over the whole category (pick_variant)
    variant_results: dict[int, Validation] = field(default_factory=dict)

    def scores(self) -> dict[str, float]:
        return {
            name: round(self.abs_error[name] / self.actual[name], 4)
            for name in self.abs_error
            if name not in self.excluded and self.actual.get(name, 0) > 0
        }

    def tuned(self, settings: ModelSettings) -> ModelSettings:
        """``settings`` with this series' chosen Prophet variant."""
        return replace(settings, **self.prophet_overrides) if self.prophet_overrides else settings

    def variant_totals(self) -> dict[int, tuple[float, float]]:
        """(absolute error, actual) of each Prophet variant that ran at every origin."""
        return {
            index: (v.abs_error[PROPHET], v.actual[PROPHET])
            for index, v in self.variant_results.items()
            if PROPHET in v.scores()
        }

    def pick_variant(self, category: dict[int, float] | None = None, weight: float = 0.0) -> None:
        """Make the best Prophet variant this series' "prophet" candidate: lowest own WAPE over the origins,
        or, with ``category`` (each variant's WAPE over every series), the own WAPE weighed with it. A
        variant that failed at an origin is out; ties go to the earlier one (the default first)."""
        if not self.variant_results:
            return
        own = {index: v.scores()[PROPHET] for index, v in self.variant_results.items() if PROPHET in v.scores()}
        self.prophet_variants = {variant_label(PROPHET_VARIANTS[i]): score for i, score in own.items()}
        if not own:
            reasons = [v.excluded[PROPHET] for v in self.variant_results.values() if PROPHET in v.excluded]
            if reasons:
                self.excluded[PROPHET] = reasons[0]
            return
        score = {
            i: (1 - weight) * own[i] + weight * category[i] if category and i in category else own[i] for i in own
        }
        best = min(score, key=lambda index: (score[index], index))
        chosen = self.variant_results[best]
        self.prophet_overrides = dict(PROPHET_VARIANTS[best])
        self.abs_error[PROPHET] = chosen.abs_error[PROPHET]
        self.actual[PROPHET] = chosen.actual[PROPHET]
        self.log_errors[PROPHET] = chosen.log_errors[PROPHET]

    def prophet_note(self) -> str:
        if len(self.prophet_variants) < 2:
            return ""
        ranked = sorted(self.prophet_variants.items(), key=lambda item: item[1])
        return (
            f"Prophet settings: {variant_label(self.prophet_overrides)}, chosen on the same validation origins "
            f"(WAPE {ranked[0][1]:.3f}; next {ranked[1][0]} {ranked[1][1]:.3f})."
        )


def validation_cuts(
    train: pd.DataFrame, horizon: int, freq: str, origins: int = MAX_ORIGINS
) -> list[tuple[int, int]]:
    """(j, cut) of up to MAX_ORIGINS validation origins, latest first: cut = len(train) - horizon x j.

    A window with no sales data after its cut (weeks missing from the file, a stock-out) is passed over
    and the next one back is tried, up to MAX_LOOKBACK windows: the tuna chain's weeks go missing for
    months right before its last year, and stopping there left every brand with nothing to choose on.
    """
    cuts = []
    oos = train["oos"].astype(bool).to_numpy()
    sales = train["y"].astype(float).to_numpy()
    for j in range(1, MAX_LOOKBACK + 1):
        cut = len(train) - horizon * j
        if cut <= 0 or (~oos[:cut]).sum() < MIN_PROPHET_PERIODS[freq]:
            break
        window = slice(cut, cut + horizon)
        if sales[window][~oos[window]].sum() > 0:
            cuts.append((j, cut))
        if len(cuts) == origins:
            break
    return cuts


def validate(
    train: pd.DataFrame,
    horizon: int,
    settings: ModelSettings,
    learned_at: Callable[[int], Learned | None],
    *,
    include: tuple[str, ...] = CANDIDATES,
    origins: int = MAX_ORIGINS,
    tune_prophet: bool = True,
) -> Validation:
    """Rolling-origin validation inside ``train``; ``learned_at(j)`` is what was learned before origin j.

    With ``tune_prophet``, Prophet is fitted once per PROPHET_VARIANTS entry at each origin; the best
    variant over the origins becomes the "prophet" candidate's score and errors (Validation.pick_variant),
    and ``tuned`` hands its settings on.
    """
    result = Validation(horizon)
    tuning = PROPHET in include and tune_prophet
    others = tuple(name for name in include if name != PROPHET) if tuning else include
    variants = PROPHET_VARIANTS if tuning else ()
    per_variant: dict[int, Validation] = {i: Validation(horizon) for i in range(len(variants))}
    for j, cut in validation_cuts(train, horizon, settings.freq, origins):
        before, after = train.iloc[:cut], train.iloc[cut : cut + horizon]
        future = after[["ds", "promo", "display", "price"]]
        in_stock = ~after["oos"].astype(bool).to_numpy()
        actual = after["y"].astype(float).to_numpy()[in_stock]
        origin = f"validation origin {after['ds'].iloc[0].date()}"
        result.origins += 1
        forecasts, missing, _ = candidate_forecasts(before, future, settings, learned_at(j), include=others)
        for name, reason in missing.items():
            result.excluded.setdefault(name, f"{origin}: {reason}")
        for name, forecast in forecasts.items():
            _score(result, name, actual, forecast.yhat[in_stock])
        for index, overrides in enumerate(variants):
            forecast, reason = _prophet(before, future, replace(settings, **overrides))
            if forecast is None:
                per_variant[index].excluded.setdefault(PROPHET, f"{origin}: {reason}")
            else:
                _score(per_variant[index], PROPHET, actual, forecast.yhat[in_stock])
    if tuning:
        result.variant_results = per_variant
        result.pick_variant()
    return result


def _score(result: Validation, name: str, actual: np.ndarray, predicted: np.ndarray) -> None:
    result.abs_error[name] = result.abs_error.get(name, 0.0) + float(np.abs(predicted - actual).sum())
    result.actual[name] = result.actual.get(name, 0.0) + float(actual.sum())
    result.log_errors.setdefault(name, []).extend(log_errors(actual, predicted).tolist())


def choose(
    validation: Validation, available: dict[str, Forecast], category: dict[str, float] | None = None
) -> tuple[str, str]:
    """The best candidate in validation among those available now, and a sentence saying so.

    With ``category`` (each candidate's validation WAPE over every series), a series' own score is
    weighed with the category's (CATEGORY_WEIGHT): three validation origins of one store are a few dozen
    noisy weeks, and picking the best of six on so little picks luck as often as skill (on the cheese
    set's training part the per-series pick alone did worse than the ensemble it could have kept).
    A candidate this series cannot use (excluded in its validation, or not available now) is never
    chosen, however well it does elsewhere.
    """
    own = {name: score for name, score in validation.scores().items() if name in available}
    if not own:
        fallback = PROPHET if PROPHET in available else next(iter(available))
        return fallback, f"{fallback}: no validation origin in the training data to choose on."
    if category:
        scores = {
            name: (1 - CATEGORY_WEIGHT) * score + CATEGORY_WEIGHT * category[name]
            for name, score in own.items()
            if name in category
        } or own
    else:
        scores = own
    best = min(scores, key=scores.get)
    ranking = ", ".join(f"{name} {own[name]:.3f}" for name, _ in sorted(scores.items(), key=lambda i: i[1]))
    weighed = (
        f"; weighed {CATEGORY_WEIGHT:.0%} with the category's ({', '.join(f'{n} {category[n]:.3f}' for n in scores)})"
        if category and scores is not own
        else ""
    )
    return best, (
        f"{best} chosen: lowest WAPE over {validation.origins} validation origin(s) of "
        f"{validation.horizon} periods in the training data (this series: {ranking}{weighed})."
    )


# --- live forecasts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunLearning:
    """What a forecast run learns from all its series before fitting any one: at the run's last date
    (``now``) and one validation window earlier (``before``, for the validation that the choice and the
    conformal interval rest on)."""

    now: Learned
    before: Learned
    horizon: int

    def to_json(self) -> str:
        now, before = _learned_dict(self.now), _learned_dict(self.before)
        return json.dumps({"horizon": self.horizon, "now": now, "before": before})

    @classmethod
    def from_json(cls, text: str) -> RunLearning:
        data = json.loads(text)
        return cls(_learned_from(data["now"]), _learned_from(data["before"]), int(data["horizon"]))

    @classmethod
    def from_parts(cls, now: str, before: str, horizon: int) -> RunLearning:
        """From the two halves as ``learned_to_json`` wrote them (two tasks learn them at once)."""
        return cls(_learned_from(json.loads(now)), _learned_from(json.loads(before)), horizon)


# The two halves of a run's learning: independent of each other, so a run learns them in two tasks at once.
LEARN_PARTS = ("now", "before")


def learn_part(
    frames: list[pd.DataFrame], horizon: int, freq: str, part: str, country: str | None = None
) -> Learned:
    """The pooled effects and the global model from every series of a run, at its last date (``now``) or
    one validation window back (``before``)."""
    if part not in LEARN_PARTS:
        raise ValueError(f"part is one of {LEARN_PARTS}, not {part!r}")
    if part == "before":
        frames = [f.iloc[: max(len(f) - horizon, 0)] for f in frames]
    parts = [p for p in frames if len(p)]
    effects = pooled_model.fit_pooled(parts)
    return Learned(effects, fit_global(parts, freq, country=country))


def learn_run(frames: list[pd.DataFrame], horizon: int, freq: str, country: str | None = None) -> RunLearning:
    """The pooled effects and the global model from every series of a run, now and one window back."""
    now, before = (learn_part(frames, horizon, freq, part, country=country) for part in LEARN_PARTS)
    return RunLearning(now, before, horizon)


def learned_to_json(learned: Learned) -> str:
    return json.dumps(_learned_dict(learned))


def _learned_dict(learned: Learned) -> dict:
    pooled, model = learned.pooled, learned.global_model
    return {
        "pooled": None
        if pooled is None
        else {
            "coef": pooled.coef.tolist(),
            "se": pooled.se.tolist(),
            "between_var": pooled.between_var.tolist(),
            "residual_var": pooled.residual_var,
            "series": pooled.series,
        },
        # LightGBM's own text format, not a pickle: a stored run must never be able to run code when read.
        "global": None
        if model is None
        else {"booster": model.booster.model_to_string(), "freq": model.freq, "rows": model.rows,
              "country": model.country},
    }


def _learned_from(data: dict) -> Learned:
    pooled = data.get("pooled")
    model = data.get("global")
    return Learned(
        None
        if pooled is None
        else PooledEffects(
            np.asarray(pooled["coef"]),
            np.asarray(pooled["se"]),
            np.asarray(pooled["between_var"]),
            float(pooled["residual_var"]),
            int(pooled["series"]),
        ),
        None
        if model is None
        else GlobalModel(
            lgb.Booster(model_str=model["booster"]), model["freq"], int(model["rows"]), model.get("country")
        ),
    )


def forecast_chosen(
    history: pd.DataFrame,
    future: pd.DataFrame,
    settings: ModelSettings,
    learning: RunLearning,
    *,
    tune_prophet: bool = False,
) -> Forecast:
    """A live forecast by the backtest's rule: every candidate validated on the window before the last date
    (with what the run learned across its series), the one with the lowest WAPE there chosen and said so,
    its interval the conformal one from its errors there. Bad input, no sales and short histories are
    decided as in forecasting.model.forecast_series.

    Only the chosen candidate is fitted again on the whole history (and the pooled model, which is cheap and
    whose per-series effects campaign uplift reads when the chosen model has none of its own): refitting
    Prophet for a series where the global model won doubled the time a run takes. If the chosen one fails
    or is implausible now, the next best in validation is used, and the note says so.

    Prophet keeps its default settings here unless ``tune_prophet``: trying the five PROPHET_VARIANTS costs
    five daily Prophet fits per series (bench/forecast_speed.py: 0.52 s CPU per series instead of 0.105,
    about 290 s for 1,000 series on 2 cores against a 90 s budget), and Prophet is chosen for few live
    series. The backtest always tunes, so its "chosen" figure includes the tuning.
    """
    history, future, cleaned, early = prepare(history, future, settings)
    if early is not None:
        early.note = cleaned + early.note
        return early
    validation = validate(
        history, learning.horizon, settings, lambda j: learning.before, origins=1, tune_prophet=tune_prophet
    )
    settings = validation.tuned(settings)
    scores = validation.scores()
    ranked = sorted(scores, key=scores.get) or [PROPHET]
    passed_over: list[str] = []
    for name in [*ranked, SEASONAL_NAIVE]:
        members = ENSEMBLE_MEMBERS if name == ENSEMBLE else (name,)
        forecasts, missing, _ = candidate_forecasts(
            history, future, settings, learning.now, include=tuple(dict.fromkeys((*members, name, POOLED)))
        )
        if name in forecasts:
            break
        passed_over.append(f"{name} ({missing.get(name, 'not available')})")
    chosen = forecasts[name]
    conformal_interval(chosen, validation.log_errors.get(name, []), settings.interval_width)
    pooled = forecasts.get(POOLED)
    if pooled is not None:
        chosen.effects = chosen.effects or pooled.effects
        chosen.regressors = {**pooled.regressors, **chosen.regressors}
    chosen.validation = scores
    if scores:
        ranking = ", ".join(f"{n} {scores[n]:.3f}" for n in ranked)
        note = (
            f"{name} chosen: lowest WAPE over {validation.origins} validation origin(s) of {validation.horizon} "
            f"periods in the training data ({ranking})."
        )
    else:
        note = f"{name}: no validation origin in the training data to choose on."
    if passed_over:
        note += f" Passed over now: {'; '.join(passed_over)}."
    if name == PROPHET and validation.prophet_note():
        note += " " + validation.prophet_note()
    chosen.note = cleaned + note
    return chosen
