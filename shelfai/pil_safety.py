"""Undo ultralytics' global patch of ``PIL.Image.open``.

Importing ultralytics replaces ``Image.open`` with a wrapper that, on a file Pillow cannot identify,
tries to pip-install a HEIF plugin at run time. Here that means a network call (and a hang or a
confusing ModuleNotFoundError) for every corrupt upload. We register pillow-heif ourselves, so the
original opener is all we need.
"""

from __future__ import annotations

import sys

from PIL import Image


def _original_open():
    """Pillow's own ``Image.open`` if ultralytics has wrapped it, else None."""
    patches = sys.modules.get("ultralytics.utils.patches")
    return getattr(patches, "_image_open", None) if patches is not None else None


def restore_pil_open() -> None:
    original = _original_open()
    if original is not None and Image.open is not original:
        Image.open = original


def pillow_open(fp):
    """``Image.open`` as Pillow wrote it, whether or not ultralytics has been imported since (decoding
    uploads must never reach the wrapper)."""
    return (_original_open() or Image.open)(fp)
