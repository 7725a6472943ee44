"""Annotators get photos with the current boxes and send corrected labels back as a training set."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from shelfai.detection.models import Detection, DetectionRun
from shelfai.visits import services


@pytest.fixture
def analysed_photo(world, make_jpeg, monkeypatch):
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)
    visit, _ = services.visit_start(rep=world.users["rep"], store=world.store)
    upload = services.validate_upload(client_upload_id="a", data=make_jpeg(400, 200))
    photo, _ = services.photos_accept(visit=visit, user=world.users["rep"], uploads=[upload])[0]
    run = DetectionRun.objects.create(photo=photo, detector_sha256="x" * 64, facing_count=2)
    Detection.objects.create(run=run, x1=0, y1=0, x2=100, y2=100, confidence=0.9)
    Detection.objects.create(run=run, x1=200, y1=50, x2=300, y2=150, confidence=0.8)
    return photo


def test_export_writes_images_and_normalised_boxes(analysed_photo, tmp_path):
    out = tmp_path / "export"
    call_command("export_labels", out=out)
    labels = (out / "labels" / f"{analysed_photo.public_id}.txt").read_text().splitlines()
    assert labels == ["0 0.125000 0.250000 0.250000 0.500000", "0 0.625000 0.500000 0.250000 0.500000"]
    assert (out / "images" / f"{analysed_photo.public_id}.jpg").stat().st_size > 0


def test_corrected_labels_come_back_as_a_training_set(analysed_photo, tmp_path):
    out = tmp_path / "export"
    call_command("export_labels", out=out)
    label = out / "labels" / f"{analysed_photo.public_id}.txt"
    label.write_text(label.read_text() + "0 0.9 0.5 0.1 0.4\n")  # the annotator adds a missed product
    call_command("import_labels", data=out, out=tmp_path / "dataset")
    imported = list((tmp_path / "dataset" / "labels").rglob("*.txt"))
    assert len(imported) == 1 and len(imported[0].read_text().splitlines()) == 3
    assert "names:" in (tmp_path / "dataset" / "data.yaml").read_text()


def test_a_bad_label_line_imports_nothing_and_says_where(analysed_photo, tmp_path):
    out = tmp_path / "export"
    call_command("export_labels", out=out)
    label = out / "labels" / f"{analysed_photo.public_id}.txt"
    label.write_text(label.read_text() + "3 0.5 0.5 1.4 0.2\n")
    with pytest.raises(CommandError, match=r"line 3"):
        call_command("import_labels", data=out, out=tmp_path / "dataset")
    assert not (tmp_path / "dataset").exists()


def test_export_refuses_to_overwrite_an_earlier_export(analysed_photo, tmp_path):
    out = tmp_path / "export"
    call_command("export_labels", out=out)
    with pytest.raises(CommandError, match="not empty"):
        call_command("export_labels", out=out)


def test_corrupt_weights_are_not_activated(world, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    with pytest.raises(CommandError, match="Not activated"):
        call_command("activate_detector", weights=bad)
