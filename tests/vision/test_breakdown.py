"""Where the detector fails: recall and precision by facing size, and the worst photos first."""

from __future__ import annotations

import numpy as np

from shelfai.vision.offline.breakdown import Breakdown, greedy_match, size_class


def test_matching_is_one_to_one_and_by_confidence_order():
    truth = np.array([[0, 0, 10, 10], [20, 0, 30, 10]], float)
    pred = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 0, 30, 10], [50, 50, 60, 60]], float)
    assert greedy_match(pred, truth).tolist() == [0, -1, 1, -1]  # the duplicate and the stray match nothing
    assert greedy_match(np.zeros((0, 4)), truth).tolist() == []


def test_size_is_the_facing_side_at_the_detectors_input():
    boxes = np.array([[0, 0, 40, 40], [0, 0, 100, 100], [0, 0, 300, 300]], float)
    # A 2000 px photo seen at 640 px: sides 12.8, 32 and 96 px.
    assert size_class(boxes, 2000, 1500, 640).tolist() == [0, 1, 2]


def test_the_breakdown_says_small_facings_are_missed_and_which_photo_is_worst():
    result = Breakdown(imgsz=640)
    small = np.array([[x, 0, x + 30, 30] for x in range(0, 300, 40)], float)   # 8 small facings
    large = np.array([[x, 500, x + 300, 800] for x in (0, 400)], float)      # 2 large ones
    truth = np.vstack([small, large])
    result.add("good.jpg", np.vstack([small, large]), truth, 2000, 1500)
    result.add("bad.jpg", np.vstack([small[:2], large, [[1500, 1000, 1600, 1100]]]), truth, 2000, 1500)
    rows = result.by_size()
    assert rows["small"] == {"truth": 16, "predicted": 10, "recall": 0.625, "precision": 1.0}
    assert rows["large"]["recall"] == 1.0
    assert rows["medium"]["truth"] == 0 and rows["medium"]["recall"] is None
    assert rows["medium"]["precision"] == 0.0  # the stray box was medium-sized and matched nothing
    worst = result.worst()
    assert [w["photo"] for w in worst] == ["bad.jpg", "good.jpg"]
    assert worst[0]["recall"] == 0.4 and worst[0]["predicted"] == 5
