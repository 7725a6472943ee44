"""The Prophet settings tried for each series, and how one reads in a note. Pure.

forecasting.selection fits each of these at every validation origin and keeps, per series, the one with
the lowest WAPE there weighed with the category's (Validation.pick_variant).
"""

from __future__ import annotations

from forecasting.model import ModelSettings

# Prophet settings tried per series (overrides of ModelSettings), the default first. Why these: a log target
# turns promotions into multipliers but over-forecasts a series whose level fell (expm1 of a falling trend
# bends up less than units do); the changepoint prior is how far the trend may follow the last few weeks
# (0.01 nearly straight, 0.5 follows jumps); standardising changes how hard the regressors' priors hold
# their effects to zero. Five variants, not a grid of all twelve: each costs a Prophet fit per origin.
PROPHET_VARIANTS: tuple[dict, ...] = (
    {},
    {"changepoint_prior_scale": 0.01},
    {"changepoint_prior_scale": 0.5},
    {"log_target": False},
    {"standardize_regressors": True},
)

# How much the category's WAPE counts in a series' choice of Prophet variant (Validation.pick_variant). Set
# on the cheese set's training part (the real holdout dropped, the 12 weeks before it as the test): each
# series' own pick over 3 origins did worse than the default for all (next-window WAPE 0.286 vs 0.268; it
# picks noise, e.g. "standardised", which barely changes a fit, won 13 series), weighed 0.5 with the
# category 0.272, weighed 0.75 0.254 (as good as the best single variant, changepoint prior 0.01).
VARIANT_CATEGORY_WEIGHT = 0.75


def variant_label(overrides: dict) -> str:
    """How a Prophet variant reads in a note: 'log1p, changepoint prior 0.05, regressors as they are'."""
    base = ModelSettings()
    merged = {**{"log_target": True, "changepoint_prior_scale": base.changepoint_prior_scale}, **overrides}
    return (
        f"{'log1p' if merged['log_target'] else 'units'}, changepoint prior {merged['changepoint_prior_scale']:g}, "
        f"regressors {'standardised' if overrides.get('standardize_regressors') else 'as they are'}"
    )
