"""Camera RAW files (CR2, CR3, NEF, ARW, RAF, ORF, RW2, DNG, PEF, SRW) through rawpy (LibRaw).

Every camera stores a JPEG preview inside its RAW file, usually at full or near-full size.
Reading it costs what a JPEG costs; demosaicing the sensor data costs ten times more and
looks no better to the model, which sees 224 pixels. So a RAW is read from its preview when
the preview is large enough for what is asked, and otherwise from a reduced-size LibRaw
decode (half size: each 2×2 sensor block becomes one pixel, no interpolation).

The preview's pixels are in sensor orientation: the RAW's own orientation (LibRaw's `flip`)
turns the result upright, whichever source it came from. The date taken is the preview's
EXIF date (LibRaw writes the RAW's own metadata into the preview it hands out), else the
one LibRaw read from the RAW's metadata.

rawpy is a default dependency where it has wheels; without it, RAW files are skipped with a
reason that says what to install.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import threading
from datetime import UTC
from typing import Any

import numpy as np
from PIL import Image

from inphotos.core.exif import exif_taken_ms
from inphotos.errors import DecodeError

log = logging.getLogger(__name__)

#: The reason a RAW file is skipped when rawpy is missing (core/plan.py retries such files
#: once it is installed).
NEEDS_RAWPY = "camera RAW files need rawpy: install it with 'pip install rawpy'"

#: LibRaw's `flip` (dcraw's bit set: 1 mirror, 2 flip, 4 transpose) as an EXIF orientation.
_FLIP_TO_ORIENTATION = {0: 1, 1: 2, 2: 4, 3: 3, 4: 5, 5: 8, 6: 6, 7: 7}

_rawpy: Any = None
_rawpy_lock = threading.Lock()


def rawpy_module() -> Any:
    """rawpy, imported once; None when it is not installed."""
    global _rawpy
    with _rawpy_lock:
        if _rawpy is None:
            try:
                import rawpy

                _rawpy = rawpy
            except ImportError:
                _rawpy = False
                log.warning("rawpy is not installed: camera RAW files will be skipped")
    return _rawpy or None


def open_raw(
    path: str | os.PathLike[str], min_size: int = 0, min_short: int = 0, max_pixels: int = 0,
    gate: Any = None, big_pixels: int = 0,
) -> tuple[Image.Image, int, int, int, int]:
    """A RAW file as an RGB image in sensor orientation, with what the caller needs to turn it.

    The embedded preview is used when its long side is at least `min_size` and its short
    side at least `min_short`; otherwise LibRaw decodes the sensor data at half size.

    Returns (image, full_width, full_height, taken_ms, orientation): the full size is the
    sensor image's, upright; `orientation` is the EXIF orientation that makes `image` upright.

    Args:
        max_pixels: a RAW with more pixels than this is refused (0: no limit).
        gate: a context manager held around a sensor decode of more than `big_pixels`.

    Raises:
        DecodeError: rawpy is missing, or the file cannot be read; the message says why.
    """
    rawpy = rawpy_module()
    if rawpy is None:
        raise DecodeError(NEEDS_RAWPY)
    try:
        with rawpy.imread(os.fspath(path)) as raw:
            sizes = raw.sizes
            fw, fh = int(sizes.width), int(sizes.height)
            if fw <= 0 or fh <= 0:
                raise DecodeError("the RAW file has no image")
            if max_pixels and fw * fh > max_pixels:
                raise DecodeError(f"too many pixels ({fw}×{fh}), skipped to protect memory")
            orientation = _FLIP_TO_ORIENTATION.get(int(sizes.flip), 1)
            preview = _preview(raw, rawpy)
            loaded = None
            if preview is not None and _big_enough(preview.size, min_size, min_short):
                loaded = _load_preview(preview, min_size, min_short)
            elif preview is not None:
                preview.close()
            if loaded is not None:
                image, taken = loaded
            else:
                big = fw * fh > big_pixels if big_pixels else False
                with gate if (big and gate is not None) else contextlib.nullcontext():
                    rgb = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8, user_flip=0)
                image, taken = Image.fromarray(np.ascontiguousarray(rgb)), 0
            if not taken:
                taken = _libraw_taken_ms(raw)
    except DecodeError:
        raise
    except MemoryError as e:
        raise DecodeError("not enough memory to decode this RAW file") from e
    except (FileNotFoundError, PermissionError) as e:
        raise DecodeError.unreadable(e) from e
    except (rawpy.LibRawError, rawpy.NotSupportedError, OSError, ValueError) as e:
        raise DecodeError(_reason(e, rawpy)) from e
    if orientation in (5, 6, 7, 8):
        fw, fh = fh, fw
    return image, fw, fh, taken, orientation


def _big_enough(size: tuple[int, int], min_size: int, min_short: int) -> bool:
    return max(size) >= min_size and min(size) >= min_short


def _preview(raw: Any, rawpy: Any) -> Image.Image | None:
    """The embedded preview, opened but not decoded; None when there is none or it is unreadable."""
    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    except rawpy.LibRawError as e:  # a damaged preview: the sensor data may still be fine
        log.info("RAW preview unreadable, decoding the sensor data instead: %s", e)
        return None
    if thumb.format == rawpy.ThumbFormat.BITMAP:
        return Image.fromarray(np.ascontiguousarray(thumb.data))
    try:
        return Image.open(io.BytesIO(thumb.data))
    except (OSError, SyntaxError, ValueError) as e:
        log.info("RAW preview is not a readable JPEG, decoding the sensor data instead: %s", e)
        return None


def _load_preview(img: Image.Image, min_size: int, min_short: int) -> tuple[Image.Image, int] | None:
    """Decode the preview (a JPEG at the smallest DCT scale that is still big enough) as RGB;
    returns it and its EXIF date (0: none), or None when it is damaged (the sensor data may
    still be fine)."""
    try:
        if img.format == "JPEG" and (min_size or min_short):
            w, h = img.size
            long_side, short_side = max(min_size, min_short, 1), max(min_short, 1)
            img.draft("RGB", (long_side, short_side) if w >= h else (short_side, long_side))
        img.load()
        taken = exif_taken_ms(img)
        rgb = img.convert("RGB")
    except (OSError, SyntaxError, ValueError) as e:
        img.close()
        log.info("RAW preview damaged, decoding the sensor data instead: %s", e)
        return None
    if rgb is not img:
        img.close()
    return rgb, taken


def _libraw_taken_ms(raw: Any) -> int:
    """The date LibRaw read from the RAW's metadata, as the camera's wall clock (see imaging).

    LibRaw turns the EXIF date into a timestamp in this computer's time zone, and rawpy back
    into a local datetime: the camera's wall clock again, which is stored as if UTC.
    """
    try:
        dt = raw.other.timestamp
    except Exception:  # metadata LibRaw could not read: the date is just unknown
        return 0
    if dt is None or dt.year <= 1970:
        return 0
    return int(dt.replace(tzinfo=UTC).timestamp() * 1000)


def _reason(e: BaseException, rawpy: Any) -> str:
    if isinstance(e, rawpy.LibRawFileUnsupportedError):
        return "not a RAW file LibRaw can read (damaged, or a camera it does not know yet)"
    if isinstance(e, rawpy.LibRawTooBigError | rawpy.LibRawUnsufficientMemoryError):
        return "the RAW file is too big to decode here"
    if isinstance(e, rawpy.LibRawIOError | rawpy.LibRawDataError):
        return "the RAW file is damaged or truncated (incomplete download or copy)"
    text = str(e) or type(e).__name__
    return f"damaged or unreadable RAW file: {text}"
