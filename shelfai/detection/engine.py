"""The per-process vision engine: the detector and the SKU catalog, loaded once and reused.

A worker process handles many photos; loading YOLO weights per task would cost seconds each.
The detector is reloaded only when another model version is activated, the catalog only when
reference images change.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings

from shelfai.detection.models import DetectorModel
from shelfai.pil_safety import restore_pil_open
from shelfai.stores.models import ProductImage
from shelfai.vision.detector import DetectorUnavailable, ProductDetector, file_sha256
from shelfai.vision.sku import SkuCatalog

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = Path(settings.BASE_DIR) / "shelfai" / "vision" / "weights" / "shelf-detector.pt"


class EngineUnavailable(RuntimeError):
    """No usable detector. Final for the photo (retrying will not help until an admin acts)."""


@dataclass
class LoadedDetector:
    sha256: str
    detector: object
    model_id: int | None


_lock = threading.Lock()
_detector: LoadedDetector | None = None
_catalog: tuple[str, object] | None = None


def resolve_weights() -> tuple[Path, int | None]:
    """The weights to use: DETECTOR_WEIGHTS, else the active registered model, else the shipped default."""
    if settings.DETECTOR_WEIGHTS:
        return Path(settings.DETECTOR_WEIGHTS), None
    active = DetectorModel.objects.active()
    if active is not None:
        path = Path(active.file_path)
        return (path if path.is_absolute() else Path(settings.BASE_DIR) / path), active.pk
    return DEFAULT_WEIGHTS, None


def get_detector() -> LoadedDetector:
    global _detector
    path, model_id = resolve_weights()
    if not path.is_file():
        raise EngineUnavailable(
            f"Detector weights not found at {path}. Train or register a model "
            "(python manage.py train_detector --activate) or set DETECTOR_WEIGHTS."
        )
    sha = _file_sha256(path)
    with _lock:
        if _detector is None or _detector.sha256 != sha:
            try:
                detector = ProductDetector.load(path, device=settings.DETECTOR_DEVICE)
            except DetectorUnavailable as exc:
                raise EngineUnavailable(str(exc)) from exc
            restore_pil_open()  # ultralytics patched PIL on import; see shelfai.pil_safety
            log.info("Loaded detector %s (%s)", path.name, sha[:12])
            _detector = LoadedDetector(sha, detector, model_id)
        return _detector


_sha_cache: dict[tuple[str, float, int], str] = {}


def _file_sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path), stat.st_mtime, stat.st_size)
    if key not in _sha_cache:  # hashing 5 MB per photo would be wasted: only when the file changed
        _sha_cache[key] = file_sha256(path)
    return _sha_cache[key]


def catalog_version() -> str:
    rows = ProductImage.objects.order_by("pk").values_list("product__sku", "sha256")
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()[:16]


def get_catalog():
    """The SKU catalog built from every active product's reference images (None without any)."""
    global _catalog
    version = catalog_version()
    with _lock:
        if _catalog is not None and _catalog[0] == version:
            return version, _catalog[1]
    catalog = _build_catalog()
    with _lock:
        _catalog = (version, catalog)
    return version, catalog


def _build_catalog():
    references: dict[str, list] = {}
    for image in ProductImage.objects.filter(product__is_active=True).select_related("product"):
        with image.image.open("rb") as fh:
            pixels = cv2.imdecode(np.frombuffer(fh.read(), np.uint8), cv2.IMREAD_COLOR)
        if pixels is not None:
            references.setdefault(image.product.sku, []).append(pixels)
    if not references:
        return None
    return SkuCatalog.build(references)


def reset() -> None:
    """Forget loaded models (tests, or after an activation in this process)."""
    global _detector, _catalog
    with _lock:
        _detector = None
        _catalog = None
