"""Shelves for the row and gap tests: hand-made pack geometry, and generated scenes with exact truth."""

from __future__ import annotations

import numpy as np

from shelfai.vision.types import Box


def shelf(y_bottom: float, x_start: float, count: int, *, width=40.0, height=90.0, spacing=4.0,
          slope=0.0, skip=()) -> list[Box]:
    """``count`` packs standing on a shelf edge at ``y_bottom`` (rising by ``slope`` per pixel)."""
    boxes = []
    for i in range(count):
        if i in skip:
            continue
        x1 = x_start + i * (width + spacing)
        bottom = y_bottom + slope * (x1 + width / 2)
        boxes.append(Box(x1, bottom - height, x1 + width, bottom))
    return boxes


def generated_catalog():
    """The look-alike catalog both test modules render their scenes from (built once per module)."""
    from shelfai.vision.offline.synthetic import random_catalog

    return random_catalog(12, 4, np.random.default_rng(1))


def scene(catalog, seed: int, rotation: float, gap_rate: float = 0.0):
    """A five-shelf 960 x 720 photo of ``catalog``, slightly in perspective and turned by ``rotation``."""
    from shelfai.vision.offline.synthetic import RenderOptions, random_layout, render_shelf

    rng = np.random.default_rng(seed)
    layout = random_layout(catalog.codes, rng, n_rows=5, gap_rate=gap_rate)
    options = RenderOptions(size=(960, 720), perspective=0.06, rotation_deg=rotation)
    return render_shelf(layout, catalog.pack_images, options=options, rng=rng)
