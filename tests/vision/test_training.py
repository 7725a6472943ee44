"""Training, resuming and evaluating a detector, on a handful of generated shelf photos.

The model trained here is tiny and barely trained (two epochs at 160 px): it proves the plumbing — a run
that is interrupted resumes from its checkpoint, weights load, metrics come out — not accuracy, which
``bench/detector_accuracy.py`` measures on real photos. The ``tiny_weights`` fixture is shared with
test_detector.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from shelfai.vision.offline.training import (
    TrainingError,
    _load_checkpoint,
    average_weights,
    cpu_threads,
    evaluate,
    resolve_data,
    train,
    write_tiles,
)

TINY = {"model_cfg": "yolo11n.yaml", "imgsz": 160, "batch": 4, "workers": 0}


def write_scenes(root: Path, count: int, split: str, seed: int) -> None:
    from shelfai.vision.offline.synthetic import RenderOptions, random_catalog, random_layout, render_shelf

    rng = np.random.default_rng(seed)
    catalog = random_catalog(6, 2, rng)
    for i in range(count):
        layout = random_layout(catalog.codes, rng, n_rows=3, facings_per_row=(7, 9))
        scene = render_shelf(layout, catalog.pack_images, rng=rng, options=RenderOptions(size=(320, 240)))
        scene.write_yolo(root / "images" / split, root / "labels" / split, f"{split}_{i}")


@pytest.fixture(scope="session")
def scene_dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("scenes")
    write_scenes(root, 6, "train", seed=1)
    write_scenes(root, 2, "val", seed=2)
    return root


class _StopAfterFirstEpoch(Exception):
    pass


@pytest.fixture(scope="session")
def tiny_run(scene_dataset, tmp_path_factory):
    """Train 2 epochs, killed after the first; then resume. Returns (first attempt's events, result)."""
    out = tmp_path_factory.mktemp("run")
    data_yaml = resolve_data(scene_dataset, out)
    events: list[dict] = []

    def crash_after_first_epoch(event: dict) -> None:
        import torch

        events.append({**event, "torch_threads": torch.get_num_threads()})
        if event["event"] == "epoch":
            raise _StopAfterFirstEpoch

    with pytest.raises(_StopAfterFirstEpoch):
        train(data_yaml, epochs=2, out_dir=out, progress=crash_after_first_epoch, **TINY)
    resumed: list[dict] = []
    result = train(data_yaml, resume=True, out_dir=out, progress=resumed.append)
    return events, resumed, result


@pytest.fixture(scope="session")
def tiny_weights(tiny_run) -> Path:
    return tiny_run[2].best


def test_training_reports_progress_and_an_interrupted_run_resumes(tiny_run):
    events, resumed, result = tiny_run
    first = [e for e in events if e["event"] == "epoch"]
    assert first[0]["epoch"] == 1 and first[0]["epochs"] == 2
    assert any(e["event"] == "batch" for e in events)  # progress inside an epoch too
    assert [e["epoch"] for e in resumed if e["event"] == "epoch"] == [2]  # it did not start over
    assert [e["event"] for e in resumed if e["event"] != "batch"][-1] == "final"  # best.pt's metrics
    assert result.epochs_done == 2
    assert result.best.is_file() and result.last.is_file()


def test_training_on_the_cpu_uses_every_core(tiny_run):
    # ultralytics alone would train on min(8, cores - 1) threads: one of this machine's two cores
    events = tiny_run[0]
    assert {e["torch_threads"] for e in events if e["event"] == "batch"} == {cpu_threads()}


def test_evaluate_measures_the_weights_on_the_validation_photos(tiny_weights, scene_dataset):
    metrics = evaluate(tiny_weights, scene_dataset, imgsz=160)
    assert metrics["images"] == 2
    for key in ("map50", "map50_95", "precision", "recall"):
        assert 0.0 <= metrics[key] <= 1.0
    assert metrics["map50_95"] <= metrics["map50"]
    assert metrics["seconds_per_image"] > 0


def test_evaluate_detector_command_prints_one_json_object(tiny_weights, scene_dataset):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("evaluate_detector", "--data", str(scene_dataset), "--weights", str(tiny_weights),
                 "--imgsz", "160", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert set(payload) == {"map50", "map50_95", "precision", "recall", "images", "seconds_per_image", "by_size",
                            "worst_photos"}
    assert payload["images"] == 2
    # Where it fails, on the deployed path, over the same two validation photos.
    assert sum(row["truth"] for row in payload["by_size"].values()) == sum(
        len((scene_dataset / "labels" / "val" / f.name).read_text().split("\n")) - 1
        for f in (scene_dataset / "labels" / "val").glob("*.txt"))
    assert len(payload["worst_photos"]) == 2


def test_evaluate_detector_command_explains_a_folder_without_labels(tmp_path, tiny_weights):
    from django.core.management import CommandError, call_command

    (tmp_path / "images").mkdir()
    with pytest.raises(CommandError, match="labels/"):
        call_command("evaluate_detector", "--data", str(tmp_path), "--weights", str(tiny_weights))


def test_averaged_weights_are_the_mean_of_the_epochs_and_still_detect(tiny_run, scene_dataset, tmp_path):
    import torch

    from shelfai.vision.detector import DetectorSettings, ProductDetector

    epochs = sorted(tiny_run[2].run_dir.glob("weights/epoch*.pt"))
    assert len(epochs) == 2
    out = average_weights(epochs, tmp_path / "soup.pt")

    def weights(path):
        return _load_checkpoint(path)[1].float().state_dict()

    first, second, soup = (weights(p) for p in (*epochs, out))
    key = next(k for k, v in soup.items() if v.is_floating_point() and v.numel() > 100)
    assert not torch.equal(first[key], second[key])
    assert torch.allclose(soup[key], (first[key] + second[key]) / 2, atol=1e-2)  # stored as FP16
    metrics = evaluate(out, scene_dataset, imgsz=160)
    assert metrics["images"] == 2
    detector = ProductDetector.load(out, device="cpu", settings=DetectorSettings(imgsz=160), prefer_onnx=False)
    assert detector.backend_name == "pytorch"


def test_average_detector_command_refuses_what_it_cannot_average(tmp_path, tiny_weights):
    from django.core.management import CommandError, call_command

    not_a_model = tmp_path / "notes.pt"
    not_a_model.write_bytes(b"not a checkpoint")
    with pytest.raises(CommandError, match="Could not read checkpoint"):
        call_command("average_detector", str(tiny_weights), str(not_a_model), "--out", str(tmp_path / "o.pt"))
    with pytest.raises(CommandError, match="at least two"):
        call_command("average_detector", str(tiny_weights), "--out", str(tmp_path / "o.pt"))
    with pytest.raises(CommandError, match="not found"):
        call_command("average_detector", str(tiny_weights), str(tmp_path / "gone.pt"), "--out", str(tmp_path / "o.pt"))
    assert not (tmp_path / "o.pt").exists()


def test_resume_without_a_checkpoint_says_what_to_do(tmp_path):
    with pytest.raises(TrainingError, match="Start without --resume"):
        train(tmp_path / "data.yaml", resume=True, out_dir=tmp_path)


def test_a_folder_without_images_is_refused_with_the_expected_layout(tmp_path):
    with pytest.raises(TrainingError, match="images/ and labels/"):
        resolve_data(tmp_path, tmp_path / "work")


def test_the_dataset_is_linked_not_copied_and_the_source_stays_untouched(scene_dataset, tmp_path):
    before = sorted(p.name for p in scene_dataset.rglob("*"))
    data_yaml = resolve_data(scene_dataset, tmp_path)
    linked = next((tmp_path / "dataset" / "images" / "train").iterdir())
    assert linked.is_symlink()
    assert "train: images/train" in data_yaml.read_text() and "val: images/val" in data_yaml.read_text()
    assert sorted(p.name for p in scene_dataset.rglob("*")) == before


def test_tiles_keep_the_boxes_they_contain():
    image = np.zeros((400, 600, 3), np.uint8)
    # one box well inside the first tile, one straddling the first two tiles' overlap
    labels = np.array([[0, 100 / 600, 100 / 400, 40 / 600, 60 / 400], [0, 300 / 600, 200 / 400, 40 / 600, 60 / 400]])
    tiles = write_tiles(image, labels, tile=320, overlap=0.25)
    assert all(t[0].shape[:2] == (320, 320) for t in tiles)
    first_tile_boxes = tiles[0][1]
    assert len(first_tile_boxes) == 2
    xc, yc, w, h = first_tile_boxes[0, 1:]
    assert (xc * 320, yc * 320, w * 320, h * 320) == pytest.approx((100, 100, 40, 60))


@pytest.mark.django_db
def test_registering_weights_makes_exactly_one_model_active(tiny_weights, tmp_path):
    from shelfai.detection.management.commands.train_detector import register_model
    from shelfai.detection.models import DetectorModel

    other = tmp_path / "other.pt"
    other.write_bytes(tiny_weights.read_bytes() + b"\0")  # different hash, same model
    first = register_model(tiny_weights, name="a", metrics={"map50": 0.1}, trained_on="x", activate=True)
    second = register_model(other, name="b", metrics={"map50": 0.2}, trained_on="y", activate=True)
    again = register_model(other, name="b", metrics={"map50": 0.3}, trained_on="y", activate=False)
    assert again.pk == second.pk  # the same file is one registry row
    assert list(DetectorModel.objects.filter(is_active=True)) == [second]
    first.refresh_from_db()
    assert not first.is_active
    assert DetectorModel.objects.get(pk=second.pk).metrics == {"map50": 0.3}


def test_train_detector_command_trains_evaluates_and_keeps_the_weights(scene_dataset, tmp_path):
    from django.core.management import call_command

    out = io.StringIO()
    # As import_labels leaves a set built from an export with one photo a reviewer corrected.
    (scene_dataset / "sources.json").write_text('{"photos": 3, "reviewed_photos": 1, "reviewed": ["a"]}')
    call_command("train_detector", "--data", str(scene_dataset), "--epochs", "1", "--imgsz", "96",
                 "--batch", "4", "--out", str(tmp_path), "--no-register", "--set", "lr0=0.0015",
                 "--set", "cos_lr=true", "--set", "optimizer=AdamW", stdout=out)
    text = out.getvalue()
    assert "epoch 1/1" in text
    kept = list(tmp_path.glob("shelf-detector-*.pt"))
    assert len(kept) == 1
    assert '"images": 2' in text  # evaluated on the validation split
    assert "Reviewed photos in the training data: 1" in text  # what the model card records
    # the recipe's extra settings reached the trainer (ultralytics records the run's arguments)
    recorded = (tmp_path / "train" / "args.yaml").read_text()
    assert "lr0: 0.0015" in recorded and "cos_lr: true" in recorded and "optimizer: AdamW" in recorded


@pytest.mark.parametrize("pair,message", [
    ("lr_0=0.01", "not an ultralytics training setting"),
    ("lr0", "write KEY=VALUE"),
    ("epochs=5", "use the command's own --epochs option"),
])
def test_a_mistyped_training_setting_is_refused_before_training(scene_dataset, tmp_path, pair, message):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("train_detector", "--data", str(scene_dataset), "--out", str(tmp_path), "--set", pair)
    assert not (tmp_path / "train").exists()  # nothing started
