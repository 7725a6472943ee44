"""Undo ultralytics' global patch of ``PIL.Image.open``.

Importing ultralytics replaces ``Image.open`` with a wrapper that, on a file Pillow cannot identify,
tries to pip-install a HEIF plugin at run time. Here that means a network call (and a hang or a
confusing ModuleNotFoundError) for every corrupt upload. We register pillow-heif ourselves, so the
original opener is all we need.
"""

from __future__ import annotations

import sys

from PIL import Image


def restore_pil_open() -> None:
    patches = sys.modules.get("ultralytics.utils.patches")
    original = getattr(patches, "_image_open", None)
    if original is not None and Image.open is not original:
        Image.open = original
