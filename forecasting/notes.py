"""A forecast's note (SeriesFit.note: why this model, what was left out) in the reader's language.

The models are pure (forecasting.model, forecasting.selection: no Django, no gettext) and write their note
as English sentences of a fixed form, with the figures in them. That form is the note's code and
parameters: each sentence is matched against the patterns below and said again with gettext, its figures
carried over as they are. A sentence this version does not know (a library's error text, a note from an
older version) stays as it was written. Stored notes are never rewritten, so old rows read translated too.
"""

from __future__ import annotations

import re

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# (pattern of one English sentence, its translatable form with the same named placeholders)
SENTENCES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + r"$"), message)
    for pattern, message in (
        (r"(?P<model>[\w ]+) chosen: lowest WAPE over (?P<origins>\d+) validation origin\(s\) of "
         r"(?P<horizon>\d+) periods in the training data \((?:this series: )?(?P<ranking>.*)\)\.",
         _("%(model)s chosen: lowest WAPE over %(origins)s validation origin(s) of %(horizon)s periods in the "
           "training data (%(ranking)s).")),
        (r"(?P<model>[\w ]+): no validation origin in the training data to choose on\.",
         _("%(model)s: no validation origin in the training data to choose on.")),
        (r"seasonal naive chosen: it beat Prophet on the last (?P<horizon>\d+) periods \(WAPE (?P<naive>[\d.]+) vs "
         r"(?P<prophet>[\d.]+)\)\.",
         _("seasonal naive chosen: it beat Prophet on the last %(horizon)s periods (WAPE %(naive)s vs "
           "%(prophet)s).")),
        (r"Passed over now: (?P<models>.*)\.", _("Passed over now: %(models)s.")),
        (r"Prophet settings: (?P<variant>.*), chosen on the same validation origins \(WAPE (?P<wape>[\d.]+); next "
         r"(?P<next>.*)\)\.",
         _("Prophet settings: %(variant)s, chosen on the same validation origins (WAPE %(wape)s; next %(next)s).")),
        (r"(?P<width>\d+%) interval calibrated on its errors over the last (?P<n>\d+) validation periods\.",
         _("%(width)s interval calibrated on its errors over the last %(n)s validation periods.")),
        (r"left out as outliers \(over (?P<ratio>\d+)x the periods around them\): (?P<periods>.*)\.",
         _("left out as outliers (over %(ratio)sx the periods around them): %(periods)s.")),
        (r"not enough history: no sales rows\.", _("not enough history: no sales rows.")),
        (r"not enough history: every period was out of stock\.",
         _("not enough history: every period was out of stock.")),
        (r"no sales in (?P<n>\d+) periods of history: forecasting zero\.",
         _("no sales in %(n)s periods of history: forecasting zero.")),
        (r"short history \((?P<n>\d+) periods; Prophet needs (?P<needed>\d+)\): seasonal naive\.",
         _("short history (%(n)s periods; Prophet needs %(needed)s): seasonal naive.")),
        (r"Prophet's forecast not used \((?P<reason>.*)\): seasonal naive\.",
         _("Prophet's forecast not used (%(reason)s): seasonal naive.")),
        (r"Prophet failed \((?P<error>.*)\): seasonal naive\.", _("Prophet failed (%(error)s): seasonal naive.")),
        (r"every campaign day was out of stock", _("every campaign day was out of stock")),
        # A forecast run's error (ForecastRun.error), as forecasting.runs writes it.
        (r"No sales history matches this run: import sales first \(import_sales\)\.",
         _("No sales history matches this run: import sales first (import_sales).")),
        (r"Every series failed, e\.g\. failed: (?P<error>.*)", _("Every series failed, e.g. %(error)s")),
    )
)
_N = r"[-\d.e+]+"  # a figure as the guards write it (".3g": 12.5, 1.2e+03)
# Reasons inside a sentence (why a model was passed over or a forecast not used), said again the same way.
REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + r"$"), message)
    for pattern, message in (
        (r"no in-stock sales to set a level", _("no in-stock sales to set a level")),
        (r"no global model \(too few periods across the series\), or no recent sales to start from",
         _("no global model (too few periods across the series), or no recent sales to start from")),
        (r"needs both the pooled and the global model", _("needs both the pooled and the global model")),
        (r"not available", _("not available")),
        (r"the forecast has missing values", _("the forecast has missing values")),
        (rf"forecasts about zero \((?P<level>{_N}) a period\) for a series selling (?P<mean>{_N}) a period",
         _("forecasts about zero (%(level)s a period) for a series selling %(mean)s a period")),
        (rf"forecast peak (?P<peak>{_N}) is over (?P<times>{_N})x the history's highest",
         _("forecast peak %(peak)s is over %(times)sx the history's highest")),
        (rf"level jump: mean forecast (?P<level>{_N}) is (?P<times>{_N})x the recent median (?P<median>{_N})",
         _("level jump: mean forecast %(level)s is %(times)sx the recent median %(median)s")),
        (rf"level collapse: mean forecast (?P<level>{_N}) against a recent median of (?P<median>{_N})",
         _("level collapse: mean forecast %(level)s against a recent median of %(median)s")),
        (rf"explosion: forecast peak (?P<peak>{_N}) is (?P<times>{_N})x the history's highest period",
         _("explosion: forecast peak %(peak)s is %(times)sx the history's highest period")),
    )
)
_PASSED_OVER = re.compile(r"(?P<model>[\w ]+) \((?P<why>.*)\)$")

# A sentence ends with ". " (a figure like "0.210" has no space after its point).
_BOUNDARY = re.compile(r"(?<=\.) (?=\S)")


def model_note(note: str) -> str:
    """``note`` with every sentence of a known form said in the active language."""
    if not note or (get_language() or "en").startswith("en"):
        return note
    whole = _sentence(note.strip())  # a note of one known form ("Every series failed, e.g. ...")
    if whole is not note.strip():
        return whole
    gap = "" if (get_language() or "").startswith("zh") else " "
    out = ""
    for part in _BOUNDARY.split(note.strip()):
        said = _sentence(part)
        # Chinese sentences follow each other without a space; one left in English keeps its space.
        out += (gap if said is not part else " ") + said if out else said
    return out


def _sentence(text: str) -> str:
    for pattern, message in SENTENCES:
        match = pattern.match(text)
        if match:
            parts = match.groupdict()
            if "reason" in parts:
                parts["reason"] = _reason(parts["reason"])
            if "models" in parts:
                parts["models"] = "; ".join(_passed_over(item) for item in parts["models"].split("; "))
            return str(message) % parts
    return text


def _reason(text: str) -> str:
    for pattern, message in REASONS:
        match = pattern.match(text)
        if match:
            return str(message) % match.groupdict()
    return text


def _passed_over(item: str) -> str:
    """ "pooled (no in-stock sales to set a level)": the model's name stays, its reason is said again."""
    match = _PASSED_OVER.match(item)
    if not match:
        return item
    # Translators: a model passed over and why, e.g. "pooled (no in-stock sales to set a level)".
    return _("%(model)s (%(why)s)") % {"model": match["model"], "why": _reason(match["why"])}
