"""Plain data exchanged by the vision code and its callers.

Coordinates are pixels in the *oriented* image (EXIF orientation applied), origin top-left.
Nothing here imports Django: the ORM glue in ``shelfai.detection`` converts these to rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

UNKNOWN_SKU = "unknown"


class ImageRejected(ValueError):
    """The upload is not a photo we can analyse.

    ``str()`` is the sentence shown to the user as is; ``reason`` is a short code ("empty",
    "truncated", ...) for logs and callers that branch on the kind of refusal. One class for the intake
    check (``shelfai.visits.imaging``) and the decode (``shelfai.vision.pipeline``), so a caller catches
    both the same way.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Box:
    x1: float
    y1: float
    x2: float
    y2: float
    confidence: float = 1.0

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def cx(self) -> float:
        return (self.x1 + self.x2) / 2

    @property
    def cy(self) -> float:
        return (self.y1 + self.y2) / 2


@dataclass(slots=True)
class Facing:
    """One visible product facing: a detector box, the shelf row it stands on and its SKU."""

    box: Box
    row: int | None = None  # 1 = top shelf row of the photo
    sku: str = UNKNOWN_SKU  # a Product.sku code, or UNKNOWN_SKU when recognition is not sure
    sku_confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class ShelfRow:
    """A horizontal band of facings standing on one shelf, numbered from the top of the photo."""

    level: int
    y1: float
    y2: float
    x1: float
    x2: float


@dataclass(frozen=True, slots=True)
class Gap:
    """An empty stretch on a shelf row wide enough to hold at least one product (an out-of-stock void)."""

    row: int
    box: Box
    width_in_facings: float


@dataclass(slots=True)
class QualityVerdict:
    """Whether a photo is fit for scoring. ``reasons`` are English sentences a field rep understands;
    ``codes`` say the same as ``{"code", "params"}`` (``quality.REASONS``), which the Django layer
    (``shelfai.detection.messages``) writes in the reader's language."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    codes: list[dict] = field(default_factory=list)


@dataclass(slots=True)
class PhotoAnalysis:
    width: int
    height: int
    quality: QualityVerdict
    facings: list[Facing] = field(default_factory=list)
    rows: list[ShelfRow] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
