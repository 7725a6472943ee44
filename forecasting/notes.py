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
    )
)
# A sentence ends with ". " (a figure like "0.210" has no space after its point).
_BOUNDARY = re.compile(r"(?<=\.) (?=\S)")


def model_note(note: str) -> str:
    """``note`` with every sentence of a known form said in the active language."""
    if not note or (get_language() or "en").startswith("en"):
        return note
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
            return str(message) % match.groupdict()
    return text
