"""The product detector: one box per visible product facing, from local YOLO weights.

Two backends run the same network with the same pre- and post-processing, so they give the same boxes:

* PyTorch (``.pt`` ultralytics checkpoint) — used on CUDA, where images are run in batches;
* ONNX Runtime (``.onnx``) — used on CPU when an ``.onnx`` exported from the same ``.pt`` lies next to it:
  in the full pipeline on the shared 2-core CPU its p95 was 4x lower than PyTorch's, whose OpenMP threads
  stall when the cores are busy (docs/MODEL_CARD.md, ``bench/vision_latency.py``).

Photos are letterboxed so the long side is ``imgsz`` (1088 by default: measured best on the real validation
photos for the shipped model, trained at 640 then 800 px on whole-shelf photos; a 12 MP phone photo of a
shelf bay shows products at the same relative scale, so it is resized rather than tiled — see
docs/MODEL_CARD.md). NMS keeps up to ``max_det`` boxes: dense shelves hold 400 products and more. Each kept
box is then moved to the score-weighted mean of the candidates overlapping it (:func:`merge_nms`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from shelfai.vision.types import Box

os.environ.setdefault("YOLO_OFFLINE", "1")  # never let ultralytics reach for the network

log = logging.getLogger(__name__)

STRIDE = 32
PAD_VALUE = 114


class DetectorUnavailable(RuntimeError):
    """The weights cannot be used. The message says what is wrong and what to do about it."""


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    imgsz: int = 1088  # long side of the network input; 1088 measured best on real val photos (model card)
    conf: float = 0.3  # boxes below this are dropped; with the mirror pass 0.3 keeps recall where one pass at
    # 0.25 had it (0.833), precision 0.764 (model card)
    iou: float = 0.6  # NMS overlap threshold: neighbouring packs touch but rarely overlap this much
    merge_iou: float = 0.7  # each kept box becomes the score-weighted mean of candidates overlapping it this
    # much (merge-NMS; 0 = plain NMS): +0.009 mAP50-95 on the real val photos for no extra pass (model card)
    flip: bool = True  # also run the mirror image and merge both passes' boxes: +0.006 mAP50-95 more (0.502
    # with merge-NMS at 1088 px) for a second forward pass, detect p50 +60-130 ms on 2 CPU cores (model card)
    max_det: int = 1000  # dense shelves: 400+ facings on one photo
    batch: int = 16  # images per forward pass on CUDA
    # Close-up photos: the model learnt packs at SKU-110K's scale (median box 6 % of the photo's height,
    # 99 % under 15 %) and cuts packs much taller than that into panels. When the first pass's upper-quartile box
    # is taller than ``zoom_out_above`` of the photo, the photo is detected again on a larger canvas (the
    # photo at its top left, grey around it) so its packs come out near ``zoom_target``. 0 turns it off.
    zoom_out_above: float = 0.09
    zoom_target: float = 0.055
    max_zoom: float = 3.0


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _resolve_device(device: str) -> str:
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:  # ONNX-only install
        has_cuda = False
    if device == "auto":
        return "cuda:0" if has_cuda else "cpu"
    if device.startswith("cuda") and not has_cuda:
        raise DetectorUnavailable(
            f"Device '{device}' was asked for but no CUDA GPU is visible to this process. "
            "Set DETECTOR_DEVICE=auto (or cpu), or run this worker on a GPU node."
        )
    return "cuda:0" if device == "cuda" else device


# --------------------------------------------------------------------------------------------- backends
class _TorchBackend:
    def __init__(self, path: Path, device: str):
        import torch
        from ultralytics.nn.tasks import load_checkpoint

        self.torch = torch
        self.device = torch.device(device)
        # tiny activations of a from-scratch model hit slow denormal-float paths on x86 (measured 2-3x)
        torch.set_flush_denormal(True)
        try:
            # safe load: an allow-list of ultralytics/torch classes, so a foreign pickle cannot run code
            os.environ.setdefault("ULTRALYTICS_SAFE_LOAD", "1")
            model, ckpt = load_checkpoint(str(path), device=self.device, fuse=True)
        except Exception as exc:  # torch raises many types for a bad file; all mean the same to the user
            raise DetectorUnavailable(
                f"{path} is not a readable ultralytics YOLO checkpoint ({type(exc).__name__}: {exc}). "
                "Replace it with weights made by `python manage.py train_detector`, or point DETECTOR_WEIGHTS "
                "at a valid .pt/.onnx file."
            ) from exc
        if getattr(model, "task", "detect") != "detect":
            raise DetectorUnavailable(
                f"{path} is a YOLO '{model.task}' model, not a detector. Use detection weights "
                "(python manage.py train_detector)."
            )
        self.model = model.half() if self.device.type == "cuda" else model
        self.names = dict(getattr(model, "names", {0: "product"}))
        self.imgsz = int((ckpt.get("train_args") or {}).get("imgsz") or 640)

    def __call__(self, batch: np.ndarray) -> Any:
        tensor = self.torch.from_numpy(batch).to(self.device)
        tensor = tensor.half() if self.device.type == "cuda" else tensor
        with self.torch.inference_mode():
            out = self.model(tensor)
        out = out[0] if isinstance(out, (list, tuple)) else out
        return out.float()


class _OnnxBackend:
    def __init__(self, path: Path, threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise DetectorUnavailable(
                f"{path} is not a readable ONNX model ({type(exc).__name__}). Re-export it from the .pt weights "
                "(shelfai.vision.detector.export_onnx(WEIGHTS.pt)) or delete it so the .pt file is used."
            ) from exc
        self.input_name = self.session.get_inputs()[0].name
        meta = self.session.get_modelmeta().custom_metadata_map
        self.meta = meta
        self.imgsz = int(json.loads(meta.get("imgsz", "[640]").replace("'", '"'))[0]) if meta else 640
        self.names = {0: "product"}

    def __call__(self, batch: np.ndarray) -> Any:
        import torch

        return torch.from_numpy(self.session.run(None, {self.input_name: batch})[0])


# --------------------------------------------------------------------------------------------- detector
def _looks_like_torch_zip(path: Path) -> bool:
    return zipfile.is_zipfile(path)


class ProductDetector:
    """Load once per process, then call :meth:`detect` for each batch of photos."""

    def __init__(self, backend: Any, *, name: str, model_hash: str, device: str, settings: DetectorSettings):
        self._backend = backend
        self.name = name
        self.model_hash = model_hash  # sha256 of the weights file the caller asked for
        self.device = device
        self.backend_name = "onnxruntime" if isinstance(backend, _OnnxBackend) else "pytorch"
        self.settings = settings

    @classmethod
    def load(
        cls, weights: Path, *, device: str = "auto", settings: DetectorSettings | None = None,
        prefer_onnx: bool = True,
    ) -> ProductDetector:
        """Open local weights (``.pt`` or ``.onnx``); never downloads anything.

        On CPU a ``.pt`` whose sibling ``.onnx`` was exported from it (its sha256 is stored in the ONNX
        metadata) runs through ONNX Runtime; ``model_hash`` stays the hash of the file asked for.
        """
        weights = Path(weights)
        settings = settings or DetectorSettings()
        if not weights.is_file():
            raise DetectorUnavailable(
                f"Detector weights not found at {weights}. Train a model (python manage.py train_detector) "
                "or restore shelfai/vision/weights/ from the repository."
            )
        if weights.stat().st_size == 0:
            raise DetectorUnavailable(f"Detector weights {weights} are empty (0 bytes). Restore or retrain them.")
        model_hash = file_sha256(weights)
        device = _resolve_device(device)
        suffix = weights.suffix.lower()
        if suffix == ".onnx":
            backend: Any = _OnnxBackend(weights)
            device = "cpu"
        elif suffix == ".pt":
            if not _looks_like_torch_zip(weights):
                raise DetectorUnavailable(
                    f"{weights} is not a PyTorch checkpoint (corrupt or another format). "
                    "Replace it with weights made by `python manage.py train_detector`."
                )
            sibling = weights.with_suffix(".onnx")
            backend = None
            if device == "cpu" and prefer_onnx and sibling.is_file():
                backend = _matching_onnx(sibling, model_hash)
            if backend is None:
                backend = _TorchBackend(weights, device)
        else:
            raise DetectorUnavailable(
                f"Unsupported weights format '{weights.suffix}' for {weights}: use a YOLO .pt or .onnx file."
            )
        if settings.imgsz <= 0:
            settings = DetectorSettings(**{**_asdict(settings), "imgsz": backend.imgsz})
        return cls(backend, name=weights.stem, model_hash=model_hash, device=device, settings=settings)

    @property
    def run_settings(self) -> dict[str, Any]:
        """How this detector runs (backend and settings), recorded with each run: the same weights give
        other boxes under other settings."""
        return {"backend": self.backend_name, **_asdict(self.settings)}

    # -------------------------------------------------------------------------------------------- detect
    def detect(self, images: list[np.ndarray]) -> list[list[Box]]:
        """Product boxes for each BGR image, in that image's pixels, highest confidence first."""
        if not images:
            return []
        step = self.settings.batch if self.device.startswith("cuda") else 1
        results: list[list[Box]] = []
        for start in range(0, len(images), step):
            results.extend(self._detect_batch(images[start : start + step]))
        for i, zoom in enumerate(self.zoom_for(image, boxes) for image, boxes in zip(images, results, strict=True)):
            if zoom > 1:
                results[i] = self._detect_zoomed_out(images[i], zoom)
        return results

    def zoom_for(self, image: np.ndarray, boxes: list[Box]) -> float:
        """How far to zoom out so the photo's packs look the size the model learnt (1 = as it is)."""
        s = self.settings
        if s.zoom_out_above <= 0 or len(boxes) < 3:
            return 1.0
        # The upper quartile, not the median: when most packs are cut into small panels, the whole packs
        # that remain still say how big the packs are.
        tall = float(np.percentile([b.y2 - b.y1 for b in boxes], 75)) / max(1, image.shape[0])
        if tall <= s.zoom_out_above:
            return 1.0
        return float(min(s.max_zoom, tall / s.zoom_target))

    def _detect_zoomed_out(self, image: np.ndarray, zoom: float) -> list[Box]:
        h, w = image.shape[:2]
        canvas = np.full((round(h * zoom), round(w * zoom), 3), PAD_VALUE, np.uint8)
        canvas[:h, :w] = image[:, :, :3] if image.ndim == 3 else image[:, :, None]
        boxes = self._detect_batch([canvas])[0]
        # Only boxes on the photo itself; clipped to it, as the first pass's are.
        return [Box(b.x1, b.y1, min(b.x2, w), min(b.y2, h), b.confidence) for b in boxes
                if b.x1 < w - 2 and b.y1 < h - 2 and (min(b.x2, w) - b.x1) > 0.5 * (b.x2 - b.x1)
                and (min(b.y2, h) - b.y1) > 0.5 * (b.y2 - b.y1)]

    def _detect_batch(self, images: list[np.ndarray]) -> list[list[Box]]:
        prepared = [letterbox(img, self.settings.imgsz) for img in images]
        h = max(p[0].shape[0] for p in prepared)
        w = max(p[0].shape[1] for p in prepared)
        batch = np.full((len(prepared), 3, h, w), PAD_VALUE / 255.0, np.float32)
        for i, (canvas, _, _) in enumerate(prepared):
            ch, cw = canvas.shape[:2]
            batch[i, :, :ch, :cw] = network_input(canvas)
        raw = self._backend(batch)
        if self.settings.flip:
            raw = with_mirror_pass(raw, self._backend(np.ascontiguousarray(batch[..., ::-1])), w)
        kept = merge_nms(raw, conf=self.settings.conf, iou=self.settings.iou, max_det=self.settings.max_det,
                         merge_iou=self.settings.merge_iou)
        out = []
        for det, (_, scale, image) in zip(kept, prepared, strict=True):
            det = det.cpu().numpy()
            ih, iw = image
            boxes = []
            for x1, y1, x2, y2, conf in det[:, :5]:
                boxes.append(Box(float(np.clip(x1 / scale, 0, iw)), float(np.clip(y1 / scale, 0, ih)),
                                 float(np.clip(x2 / scale, 0, iw)), float(np.clip(y2 / scale, 0, ih)),
                                 float(conf)))
            out.append(boxes)
        return out


def merge_nms(
    raw: Any, *, conf: float, iou: float, max_det: int, merge_iou: float, max_candidates: int = 30000,
) -> list[Any]:
    """NMS, then each kept box replaced by the score-weighted mean of the candidates overlapping it.

    ``raw`` is the network's output (batch x (4 + classes) x anchors: centre x, centre y, width, height,
    class scores). The box whose score wins a cluster is not always the best-placed one; its neighbours in
    the cluster are further guesses at the same pack, and their weighted mean sits closer to the true
    edges (YOLOv5's "merge-NMS"). Candidates of the same class that overlap a kept box by more than
    ``merge_iou`` take part, the kept box included; its score and class are unchanged, so the boxes kept and
    their order are exactly plain NMS's. ``merge_iou`` 0 gives plain NMS. Returns one (n x 6) tensor per
    image: x1, y1, x2, y2, score, class, highest score first.
    """
    import torch
    import torchvision
    from ultralytics.utils.metrics import box_iou
    from ultralytics.utils.ops import xywh2xyxy

    raw = torch.as_tensor(raw).float()
    out = []
    for pred in raw:
        pred = pred.T
        scores, classes = pred[:, 4:].max(1)
        above = scores > conf
        boxes, scores, classes = xywh2xyxy(pred[above, :4]), scores[above], classes[above]
        order = scores.argsort(descending=True)[:max_candidates]
        boxes, scores, classes = boxes[order], scores[order], classes[order]
        kept = torchvision.ops.batched_nms(boxes, scores, classes, iou)[:max_det]
        kept_boxes = boxes[kept]
        if merge_iou > 0 and len(kept):
            merged = []
            for start in range(0, len(kept), 256):  # 256 x 30000 overlaps at most: ~30 MB
                rows = kept[start : start + 256]
                weights = (box_iou(boxes[rows], boxes) > merge_iou) & (classes[rows, None] == classes[None])
                weights = weights * scores[None]
                merged.append(weights @ boxes / weights.sum(1, keepdim=True))
            kept_boxes = torch.cat(merged)
        out.append(torch.cat([kept_boxes, scores[kept, None], classes[kept, None].float()], 1))
    return out


def with_mirror_pass(raw: Any, raw_mirrored: Any, width: int) -> Any:
    """Both passes' candidates in one output: the mirror image's turned back (x -> ``width`` - x).

    ``raw_mirrored`` is the network's output for the input canvas flipped left-right (``width`` pixels
    wide). Merge-NMS then averages each pack's guesses from both passes, which places boxes better than
    either pass alone (test-time augmentation).
    """
    import torch

    raw = torch.as_tensor(raw).float()
    raw_mirrored = torch.as_tensor(raw_mirrored, device=raw.device).float().clone()
    raw_mirrored[:, 0] = width - raw_mirrored[:, 0]
    return torch.cat([raw, raw_mirrored], 2)


def letterbox(image: np.ndarray, imgsz: int) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Resize so the long side is ``imgsz`` and pad right/bottom to a multiple of the stride.

    Padding only on the right and bottom keeps the box maths to a single scale factor. Returns the
    canvas, the scale and the original (h, w).
    """
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    h, w = image.shape[:2]
    scale = imgsz / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    if scale < 0.5:
        # 12 MP -> 640: INTER_AREA over the whole photo costs ~100 ms; a bilinear step to twice the target
        # first, then INTER_AREA, gives the same pixels (mean difference < 1 grey level) in ~15 ms
        image = cv2.resize(image, (nw * 2, nh * 2), interpolation=cv2.INTER_LINEAR)
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    ph, pw = -(-nh // STRIDE) * STRIDE, -(-nw // STRIDE) * STRIDE
    canvas = np.full((ph, pw, 3), PAD_VALUE, np.uint8)
    canvas[:nh, :nw] = resized
    return canvas, scale, (h, w)


def network_input(canvas: np.ndarray) -> np.ndarray:
    """A letterboxed BGR ``uint8`` canvas as the network reads it: RGB, channels first, 0-1 float32."""
    return canvas[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / 255.0


def _asdict(settings: DetectorSettings) -> dict[str, Any]:
    return {k: getattr(settings, k) for k in DetectorSettings.__dataclass_fields__}


def _matching_onnx(path: Path, pt_hash: str) -> _OnnxBackend | None:
    """The ONNX twin of a .pt, or None when it was exported from other weights (then the .pt is used)."""
    try:
        backend = _OnnxBackend(path)
    except DetectorUnavailable as exc:
        log.warning("Ignoring %s: %s", path, exc)
        return None
    if backend.meta.get("source_sha256") != pt_hash:
        log.warning("Ignoring %s: it was not exported from the .pt next to it.", path)
        return None
    return backend


def export_onnx(pt_path: Path, *, imgsz: int = 640) -> Path:
    """Export ``pt_path`` to a dynamic-shape ONNX file next to it, tagged with the .pt's sha256."""
    import onnx
    from ultralytics import YOLO

    pt_path = Path(pt_path)
    out = Path(YOLO(str(pt_path)).export(format="onnx", imgsz=imgsz, dynamic=True, simplify=False,
                                          opset=17, batch=1))
    model = onnx.load(str(out))
    entry = model.metadata_props.add()
    entry.key, entry.value = "source_sha256", file_sha256(pt_path)
    onnx.save(model, str(out))
    return out
