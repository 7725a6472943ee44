"""A photo's status note reads in the reader's language: failure notes are matched back to their
English template, retake notes come from the run's quality codes, other notes stay as stored."""

from __future__ import annotations

from django.utils import translation

from shelfai.pipeline import messages
from shelfai.vision.pipeline import load_oriented_image
from shelfai.vision.types import ImageRejected
from shelfai.visits.models import Photo


def test_a_stored_failure_note_is_said_again_in_chinese():
    note = messages.failure_english("stopped", stage="analysis", n=3, photo=42)
    assert note.startswith("The analysis of this photo stopped 3 times")
    with translation.override("zh-hans"):
        text = messages.status_reason_text(Photo.Status.FAILED, note)
    assert "分析" in text and "3 次" in text and "42" in text


def test_the_decoders_english_refusal_reads_in_chinese():
    try:
        load_oriented_image(b"", max_pixels=10)
    except ImageRejected as exc:
        note = str(exc)
    with translation.override("zh-hans"):
        assert messages.failure_text(note) == "文件为空（0 字节）。请重新拍摄或选择照片。"
    with translation.override("en"):
        assert messages.failure_text(note) == note


def test_a_note_in_no_known_wording_is_shown_as_stored():
    with translation.override("zh-hans"):
        assert messages.failure_text("Something an older version wrote.") == "Something an older version wrote."


def test_a_retake_note_comes_from_the_runs_quality_codes():
    run = type("Run", (), {"quality_reasons": ["The photo is blurred — hold the phone still and tap the shelf on "
                                               "screen to focus, then retake."],
                           "quality_codes": [{"code": "blurred", "params": {}}]})()
    with translation.override("zh-hans"):
        assert messages.status_reason_text(Photo.Status.RETAKE, run.quality_reasons[0], run).startswith("照片模糊")
    with translation.override("en"):
        assert messages.status_reason_text(Photo.Status.RETAKE, "x", run) == run.quality_reasons[0]
