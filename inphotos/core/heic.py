"""HEIC/HEIF at JPEG speed: the thumbnail the camera stored, when it is big enough.

HEVC has nothing like JPEG's DCT scaling: a 12 MP HEIC decodes at full size, which costs
several times what the model's share of indexing costs. iPhones and most cameras store a
small thumbnail image beside the primary one (libheif applies the same rotation and mirror to
it, so it is upright). When that thumbnail is large enough for what is asked (the model's
input on its short side, the grid thumbnail on its long side), it is decoded instead; else
the caller decodes the primary image, once, for both.
"""

from __future__ import annotations

import logging
import os

from PIL import Image

log = logging.getLogger(__name__)

HEIF_EXTENSIONS = frozenset({".heic", ".heif"})


def is_heif_name(name: str | os.PathLike[str]) -> bool:
    return os.path.splitext(os.fspath(name))[1].lower() in HEIF_EXTENSIONS


def open_thumbnail(
    path: str | os.PathLike[str], min_size: int, min_short: int
) -> tuple[Image.Image, int, int, bytes] | None:
    """The smallest stored thumbnail whose long side is at least `min_size` and short side at
    least `min_short`, decoded and upright, with the primary image's upright size and EXIF.

    Returns (image, full_width, full_height, exif bytes), or None when there is no such
    thumbnail or the file cannot be read this way (the caller then decodes the primary
    image, and reports any error the usual way).
    """
    try:
        import pillow_heif
    except ImportError:  # pragma: no cover - a dependency; open_upright says what is missing
        return None
    try:
        heif = pillow_heif.open_heif(os.fspath(path), convert_hdr_to_8bit=True)
        primary = heif[heif.primary_index]
        boxes = list(primary.info.get("thumbnails") or [])
        if not boxes:
            return None
        fw, fh = primary.size
        best = None
        for index in range(len(boxes)):
            thumb = primary.get_thumbnail(index)
            w, h = thumb.size
            if max(w, h) >= min_size and min(w, h) >= min_short and (
                best is None or w * h < best[1].size[0] * best[1].size[1]
            ):
                best = (index, thumb)
        if best is None:
            return None
        image = best[1].to_pillow()
        image.load()
        exif = primary.info.get("exif") or b""
    except (OSError, ValueError, RuntimeError, IndexError, KeyError) as e:
        log.debug("No usable HEIF thumbnail in %s: %s", path, e)
        return None
    return image, int(fw), int(fh), exif
