"""Training, evaluation and dataset preparation for the product detector.

Pure functions around ultralytics: folders and numbers in, folders and dicts out, no Django. The management
commands ``train_detector`` / ``evaluate_detector`` are thin wrappers around :func:`train` and
:func:`evaluate`.

Everything here works offline: models are built from a YAML architecture (``yolo11n.yaml``), never from a
hub checkpoint, and the options that would make ultralytics fetch fonts or AMP-check weights are turned off.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Set before ultralytics is imported anywhere: it then skips every online check (hub, fonts, updates).
os.environ.setdefault("YOLO_OFFLINE", "1")

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
DEFAULT_MODEL_CFG = "yolo11n.yaml"

ProgressFn = Callable[[dict[str, Any]], None]


class TrainingError(RuntimeError):
    """A dataset or checkpoint problem that the user can fix; the message says how."""


@dataclass(frozen=True, slots=True)
class TrainResult:
    best: Path
    last: Path
    run_dir: Path
    epochs_done: int
    metrics: dict[str, float]


# --------------------------------------------------------------------------------------------- datasets
def _split_dirs(data_dir: Path) -> list[str]:
    """The split folders under ``images/`` (``train``, ``val``...), or ``[""]`` for a flat ``images/``."""
    images = data_dir / "images"
    if not images.is_dir():
        raise TrainingError(f"{data_dir} has no images/ folder: expected images/ and labels/ in YOLO format.")
    subdirs = sorted(p.name for p in images.iterdir() if p.is_dir())
    return subdirs or [""]


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def link_dataset(src: Path, dst: Path) -> Path:
    """Mirror a YOLO dataset folder as symlinks under ``dst``.

    Why: ultralytics writes ``labels/*.cache`` next to the labels, and the shared data folder must stay
    untouched (and may be read-only). Folders are real and files are links: ultralytics resolves folder
    paths, so a linked folder would lead it straight back into the source. Nothing is copied, so the data
    never ends up inside the repository.
    """
    src, dst = Path(src).resolve(), Path(dst)
    for kind in ("images", "labels"):
        if not (src / kind).is_dir():
            raise TrainingError(f"{src} has no {kind}/ folder: expected images/ and labels/ in YOLO format.")
        for file in sorted((src / kind).rglob("*")):
            if file.is_dir() or file.suffix == ".cache":
                continue
            link = dst / kind / file.relative_to(src / kind)
            link.parent.mkdir(parents=True, exist_ok=True)
            if not (link.is_symlink() or link.exists()):
                link.symlink_to(file)
    return dst


def write_data_yaml(data_dir: Path, out_yaml: Path | None = None, *, val_split: str | None = None) -> Path:
    """Write an ultralytics data YAML for ``data_dir`` (``images/{train,val}`` or a flat ``images/``).

    With a flat folder the same images serve as train and val (fine for smoke tests and evaluation).
    """
    data_dir = Path(data_dir).resolve()
    splits = _split_dirs(data_dir)
    train = "images/train" if "train" in splits else ("images" if splits == [""] else f"images/{splits[0]}")
    val_name = val_split or ("val" if "val" in splits else ("valid" if "valid" in splits else None))
    val = f"images/{val_name}" if val_name else train
    out_yaml = Path(out_yaml) if out_yaml else data_dir / "data.yaml"
    out_yaml.parent.mkdir(parents=True, exist_ok=True)
    out_yaml.write_text(f"path: {data_dir}\ntrain: {train}\nval: {val}\nnames:\n  0: product\n")
    return out_yaml


def yaml_value(data_yaml: Path, key: str) -> str:
    """One top-level ``key: value`` of a data YAML written by :func:`write_data_yaml`."""
    for line in Path(data_yaml).read_text().splitlines():
        if line.startswith(f"{key}:"):
            return line.split(":", 1)[1].strip()
    raise TrainingError(f"{data_yaml} has no '{key}' entry.")


def resolve_data(data: Path, work_dir: Path) -> Path:
    """Accept a data YAML or a dataset folder; for a folder, link it under ``work_dir`` and write a YAML."""
    data = Path(data)
    if data.suffix in {".yaml", ".yml"}:
        if not data.is_file():
            raise TrainingError(f"Data file {data} does not exist.")
        return data
    if not data.is_dir():
        raise TrainingError(f"{data} is neither a data YAML nor a folder with images/ and labels/.")
    linked = link_dataset(data, Path(work_dir) / "dataset")
    return write_data_yaml(linked)


def write_tiles(
    image: np.ndarray, labels: np.ndarray, tile: int, overlap: float = 0.2, min_visible: float = 0.6
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cut an image and its YOLO labels (``cls xc yc w h``, normalised) into overlapping square tiles.

    A box is kept in a tile when at least ``min_visible`` of its area lies inside, clipped to the tile.
    Used to get more, larger-scale training samples out of a few high-resolution photos.
    """
    h, w = image.shape[:2]
    step = max(int(tile * (1 - overlap)), 1)
    xs = list(range(0, max(w - tile, 0) + 1, step)) or [0]
    ys = list(range(0, max(h - tile, 0) + 1, step)) or [0]
    if xs[-1] + tile < w:
        xs.append(w - tile)
    if ys[-1] + tile < h:
        ys.append(h - tile)
    boxes = labels[:, 1:5] * [w, h, w, h] if len(labels) else np.zeros((0, 4))
    x1, y1 = boxes[:, 0] - boxes[:, 2] / 2, boxes[:, 1] - boxes[:, 3] / 2
    x2, y2 = x1 + boxes[:, 2], y1 + boxes[:, 3]
    area = np.maximum(boxes[:, 2] * boxes[:, 3], 1e-9)
    tiles = []
    for ty in ys:
        for tx in xs:
            crop = image[ty : ty + tile, tx : tx + tile]
            ch, cw = crop.shape[:2]
            cx1, cy1 = np.clip(x1 - tx, 0, cw), np.clip(y1 - ty, 0, ch)
            cx2, cy2 = np.clip(x2 - tx, 0, cw), np.clip(y2 - ty, 0, ch)
            keep = (cx2 - cx1) * (cy2 - cy1) / area >= min_visible
            out = np.stack(
                [np.zeros(keep.sum()), (cx1 + cx2)[keep] / 2 / cw, (cy1 + cy2)[keep] / 2 / ch,
                 (cx2 - cx1)[keep] / cw, (cy2 - cy1)[keep] / ch],
                axis=1,
            )
            tiles.append((crop, out))
    return tiles


# --------------------------------------------------------------------------------------------- training
def _loss_items(trainer: Any) -> dict[str, float]:
    try:
        items = trainer.label_loss_items(trainer.tloss, prefix="train")
        return {k.split("/")[-1]: round(float(v), 4) for k, v in items.items()}
    except Exception:  # noqa: BLE001 - the loss layout differs between ultralytics versions
        return {}


def _progress_callbacks(model: Any, progress: ProgressFn | None) -> None:
    if progress is None:
        return

    reported: set[int] = set()

    def on_epoch_end(trainer: Any) -> None:
        # ultralytics fires this once more after training, for the final validation of best.pt (then the
        # metrics carry no validation losses): report that as the "final" event
        final = not any("val/" in k for k in (trainer.metrics or {}))
        if not final and trainer.epoch in reported:
            return
        reported.add(trainer.epoch)
        # a progress report must never stop a training run: read what is there, defensively
        metrics = {k.split("/")[-1].replace("(B)", ""): round(float(v), 4)
                   for k, v in (trainer.metrics or {}).items() if np.isscalar(v) or hasattr(v, "item")}
        progress(
            {
                "event": "final" if final else "epoch",
                "epoch": trainer.epoch + (0 if final else 1),
                "epochs": trainer.epochs,
                "seconds": round(float(trainer.epoch_time or 0.0), 1),
                "train_loss": _loss_items(trainer),
                **metrics,
            }
        )

    def on_batch_end(trainer: Any) -> None:
        progress({"event": "batch", "epoch": trainer.epoch + 1, "epochs": trainer.epochs})

    model.add_callback("on_fit_epoch_end", on_epoch_end)
    model.add_callback("on_train_batch_end", on_batch_end)


def _skip_online_amp_check() -> None:
    """ultralytics checks AMP by downloading a reference model and comparing outputs; offline that
    download fails. AMP on CUDA with YOLO is the ultralytics default and safe, so trust it."""
    import ultralytics.engine.trainer as trainer_module

    trainer_module.check_amp = lambda model: True


def cpu_threads() -> int:
    """Cores this process may use (its CPU affinity, which a container's limit narrows)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _use_all_cores() -> None:
    """ultralytics trains and validates on ``min(8, cores - 1)`` CPU threads, which on a 2-core machine is
    one: half the machine sits idle (measured: one core busy, 12.5 s per batch of 8 at 800 px instead of
    7 s). Training or evaluating is the only work such a run does, so give it every core: ultralytics
    passes this number to ``torch.set_num_threads`` when it selects the CPU."""
    import ultralytics.utils.torch_utils as torch_utils

    torch_utils.NUM_THREADS = cpu_threads()


def train(
    data_yaml: Path,
    *,
    model_cfg: str = DEFAULT_MODEL_CFG,
    epochs: int = 100,
    imgsz: int = 640,
    resume: bool = False,
    out_dir: Path = Path("var/train"),
    progress: ProgressFn | None = None,
    batch: int = 8,
    hours: float | None = None,
    device: str = "cpu",
    **overrides: Any,
) -> TrainResult:
    """Train a one-class product detector from scratch (or resume) and return its checkpoints.

    ``model_cfg`` is an architecture YAML (no pretrained download) or a ``.pt`` to fine-tune from.
    Checkpoints are written every epoch under ``out_dir/train/weights`` (``last.pt``, ``best.pt``), so an
    interrupted run loses at most one epoch: rerun with ``resume=True``. ``hours`` caps the wall time
    (ultralytics then fits the epoch count and learning-rate schedule to it).
    """
    from ultralytics import YOLO

    out_dir = Path(out_dir).resolve()
    run_dir = out_dir / "train"
    last = run_dir / "weights" / "last.pt"
    if resume and not last.is_file():
        raise TrainingError(f"Nothing to resume: {last} does not exist. Start without --resume.")
    if not resume and not Path(data_yaml).is_file():
        raise TrainingError(f"Data file {data_yaml} does not exist.")
    model = YOLO(str(last) if resume else model_cfg)
    _progress_callbacks(model, progress)
    _skip_online_amp_check()
    _use_all_cores()
    if resume:
        model.train(resume=True)
    else:
        args: dict[str, Any] = {
            "data": str(data_yaml),
            "epochs": epochs,
            "imgsz": imgsz,
            "batch": batch,
            # One optimiser step per batch: the default nominal batch of 64 would mean only a handful of
            # steps per epoch on a small dataset.
            "nbs": batch,
            "device": device,
            "project": str(out_dir),
            "name": "train",
            "exist_ok": True,
            "plots": False,  # plotting fetches a font from the internet
            # Mixed precision on a GPU (about twice as fast); CPU training does not use it
            "amp": not str(device).startswith("cpu"),
            "max_det": 1000,  # dense shelves: up to ~400 products per photo
            "single_cls": True,
            "save_period": 1,
            "cache": "ram",
            "patience": 1000,
            "verbose": False,
        }
        if hours:
            args["time"] = hours
        args.update(overrides)
        model.train(**args)
    trainer = model.trainer
    best = Path(trainer.best) if Path(trainer.best).is_file() else Path(trainer.last)
    metrics = {k: float(v) for k, v in (trainer.metrics or {}).items()}
    return TrainResult(best=best, last=Path(trainer.last), run_dir=Path(trainer.save_dir),
                       epochs_done=int(trainer.epoch) + 1, metrics=metrics)


def average_weights(checkpoints: list[Path], out: Path) -> Path:
    """One checkpoint whose weights are the mean of ``checkpoints``' (a "model soup").

    For checkpoints of one lineage (a run's last epochs, or a fine-tuned model and the model it was
    fine-tuned from), the mean usually lands nearer the middle of the minimum they share than any one
    of them: better boxes for free at inference. Each checkpoint's EMA weights are used when it has
    them (what ultralytics validates and ships). Batch-norm statistics are averaged too. Written as
    an ultralytics checkpoint (FP16, like a stripped ``best.pt``); architectures must match.
    """
    import torch

    if len(checkpoints) < 2:
        raise TrainingError("Averaging needs at least two checkpoints.")
    first_ckpt, model = _load_checkpoint(checkpoints[0])
    model = model.float()
    total = model.state_dict()  # summed in place, one checkpoint at a time
    for path in checkpoints[1:]:
        state = _load_checkpoint(path)[1].float().state_dict()
        if state.keys() != total.keys() or any(state[k].shape != total[k].shape for k in total):
            raise TrainingError(f"{path} has another architecture than {checkpoints[0]}: cannot average them.")
        for key, value in state.items():
            if value.is_floating_point():
                total[key] += value
    for value in total.values():
        if value.is_floating_point():
            value /= len(checkpoints)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({**first_ckpt, "model": model.half(), "ema": None, "optimizer": None, "scaler": None,
                "updates": None, "best_fitness": None, "averaged_from": [str(p) for p in checkpoints]}, out)
    return out


def _load_checkpoint(path: Path) -> tuple[dict, Any]:
    """An ultralytics checkpoint and its network: the EMA while training, ``model`` once stripped."""
    import torch

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise TrainingError(f"Could not read checkpoint {path}: {type(exc).__name__}: {exc}") from exc
    model = None
    if isinstance(ckpt, dict):
        model = ckpt["ema"] if ckpt.get("ema") is not None else ckpt.get("model")
    if model is None:
        raise TrainingError(f"{path} is not an ultralytics checkpoint (no model in it).")
    return ckpt, model


def copy_weights(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)
    return dst


# ------------------------------------------------------------------------------------------- evaluation
@contextlib.contextmanager
def _ultralytics_logs_to_stderr():
    """ultralytics logs and draws progress bars on stdout; callers print results there (``--json``)."""
    from ultralytics.utils import LOGGER

    handlers = [h for h in LOGGER.handlers if isinstance(h, logging.StreamHandler)]
    previous = [h.stream for h in handlers]
    for handler in handlers:
        handler.setStream(sys.stderr)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)


def _merging_validator(merge_iou: float, flip: bool) -> type:
    """ultralytics' detection validator with the detector's own post-processing: the mirror pass when
    ``flip`` (:func:`with_mirror_pass`), then :func:`merge_nms`."""
    from ultralytics.models.yolo.detect import DetectionValidator

    from shelfai.vision.detector import merge_nms, with_mirror_pass

    def first(preds: Any) -> Any:
        return preds[0] if isinstance(preds, (list, tuple)) else preds

    class MergeNmsValidator(DetectionValidator):
        def init_metrics(self, model: Any) -> None:
            self.network = model  # for the mirror pass
            super().init_metrics(model)

        def preprocess(self, batch: dict[str, Any]) -> dict[str, Any]:
            batch = super().preprocess(batch)
            self.images = batch["img"]
            return batch

        def postprocess(self, preds: Any) -> list[dict[str, Any]]:
            preds = first(preds)
            if flip:
                preds = with_mirror_pass(preds, first(self.network(self.images.flip(-1))), self.images.shape[-1])
            kept = merge_nms(preds, conf=self.args.conf, iou=self.args.iou, max_det=self.args.max_det,
                             merge_iou=merge_iou)
            return [{"bboxes": x[:, :4], "conf": x[:, 4], "cls": x[:, 5], "extra": x[:, 6:]} for x in kept]

    return MergeNmsValidator


def evaluate(
    weights: Path, data_dir: Path, *, imgsz: int = 640, device: str = "cpu", work_dir: Path | None = None,
    conf: float = 0.001, iou: float | None = None, max_det: int = 1000, merge_iou: float | None = None,
    flip: bool | None = None,
) -> dict[str, float | int]:
    """mAP50, mAP50-95, precision and recall of ``weights`` on a YOLO folder (``images/`` + ``labels/``).

    Uses ultralytics' validator (COCO-style 101-point interpolated AP) on the ``val`` split when there is
    one, else on the whole folder, scored as the detector runs: with the mirror pass when ``flip``, NMS at
    ``iou`` and merge-NMS at ``merge_iou`` (all three default to ``DetectorSettings``; ``flip=False,
    merge_iou=0`` scores the plain network).
    ``seconds_per_image`` is the validator's preprocess + inference + postprocess time, i.e. what detection
    costs per photo at this ``imgsz`` on this device.
    """
    import tempfile

    from ultralytics import YOLO

    from shelfai.vision.detector import DetectorSettings

    defaults = DetectorSettings()
    iou = defaults.iou if iou is None else iou
    merge_iou = defaults.merge_iou if merge_iou is None else merge_iou
    flip = defaults.flip if flip is None else flip
    data_dir = Path(data_dir)
    if not (data_dir / "images").is_dir() or not (data_dir / "labels").is_dir():
        raise TrainingError(f"{data_dir} must hold images/ and labels/ in YOLO format (class 0 = product).")
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        linked = link_dataset(data_dir, Path(tmp) / "dataset")
        data_yaml = write_data_yaml(linked)
        images = len(list_images(linked / yaml_value(data_yaml, "val")))
        with _ultralytics_logs_to_stderr():
            model = YOLO(str(weights), task="detect")
            _use_all_cores()
            started = time.perf_counter()
            results = model.val(
                validator=_merging_validator(merge_iou, flip), data=str(data_yaml), imgsz=imgsz, batch=1,
                device=device, conf=conf, iou=iou, max_det=max_det,
                plots=False, save_json=False, verbose=False, project=str(Path(tmp) / "runs"), name="val",
                single_cls=True, workers=0,
            )
            wall = time.perf_counter() - started
    box = results.box
    speed = results.speed or {}
    per_image_ms = sum(float(speed.get(k, 0.0)) for k in ("preprocess", "inference", "postprocess"))
    return {
        "map50": round(float(box.map50), 4),
        "map50_95": round(float(box.map), 4),
        "precision": round(float(box.mp), 4),
        "recall": round(float(box.mr), 4),
        "images": images,
        "seconds_per_image": round(per_image_ms / 1000.0, 4),
        "wall_seconds": round(wall, 1),
        "imgsz": imgsz,
    }
