"""Safe, fast image decoding: one decode gives the model input, the grid thumbnail and metadata.

JPEGs are decoded at reduced size (Pillow's `draft`, DCT scaling) because a full 12 MP decode
costs more than the model's share of the work; the result is still larger than both the model
input and the thumbnail, so quality holds (tests compare with open_clip's own preprocessing).
Every failure becomes a `DecodeError` with a reason a person can read.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
import threading
import warnings
from dataclasses import dataclass
from typing import IO

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from inphotos.core import heic, raw
from inphotos.core.exif import exif_bytes_taken_ms, exif_taken_ms
from inphotos.core.formats import RAW_EXTENSIONS, is_raw_name, is_video_name
from inphotos.errors import DecodeError
from inphotos.ml.pixels import PixelSpec

log = logging.getLogger(__name__)

#: Images with more pixels than this are skipped: decoding them would take gigabytes.
MAX_PIXELS = 180_000_000
#: Beyond this aspect ratio, the model's input is cut from the centre before resizing, so a
#: strip of 1×30,000 pixels costs kilobytes, not gigabytes (see model_pixels).
MAX_ASPECT = 4
#: A decode above this many pixels that cannot be shrunk while decoding (anything but JPEG)
#: waits for any other such decode to finish: two 150-megapixel PNGs decoded at once by the
#: indexing threads would take gigabytes.
BIG_DECODE_PIXELS = 40_000_000
_BIG_DECODE = threading.BoundedSemaphore(1)
#: Thumbnails are stored at this size (long side); the grid shows them at up to this size.
THUMB_SIZE = 320
THUMB_CHECKER = 8  # the squares of the checkerboard behind a transparent thumbnail
FINGERPRINT_CHUNK = 64 * 1024

Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Refusing a bomb is `open_upright`'s own size check (a clear reason for the user), not a
# warning; and broken EXIF is common and harmless (the date is just unknown). Neither may
# print to the console or, under -W error, fail a photo. (catch_warnings is not thread-safe.)
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
warnings.filterwarnings("ignore", message=r"(Possibly )?[Cc]orrupt EXIF", category=UserWarning)
ImageFile.LOAD_TRUNCATED_IMAGES = False

_heif_registered = False
_jxl_registered: bool | None = None


def register_heif() -> bool:
    """Teach Pillow HEIC/HEIF (iPhone photos); False when pillow-heif is missing."""
    global _heif_registered
    if not _heif_registered:
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
            _heif_registered = True
        except ImportError:  # pragma: no cover - it is a dependency, but keep going without it
            log.warning("pillow-heif is not installed: HEIC photos will be skipped")
    return _heif_registered


def register_jxl() -> bool:
    """Teach Pillow JPEG XL (pillow-jxl-plugin registers itself on import); False without it."""
    global _jxl_registered
    if _jxl_registered is None:
        try:
            import pillow_jxl  # noqa: F401

            _jxl_registered = True
        except ImportError:
            log.warning("pillow-jxl-plugin is not installed: JPEG XL photos will be skipped")
            _jxl_registered = False
    return _jxl_registered


def avif_supported() -> bool:
    """Whether this Pillow reads AVIF (Pillow 11.2 and later, built with libavif)."""
    try:
        from PIL import features

        return bool(features.check("avif"))
    except (ValueError, ImportError):  # an older Pillow that does not know the feature
        return False


#: Why a file is skipped when the library that reads its format is missing: each names what
#: to install. core/plan.py tries such a file again once its reader is there.
MISSING_DECODER_REASONS = {
    ".avif": "AVIF photos need a Pillow built with AVIF: install it with 'pip install -U pillow'",
    ".jxl": "JPEG XL photos need pillow-jxl-plugin: install it with 'pip install pillow-jxl-plugin'",
    **dict.fromkeys(RAW_EXTENSIONS, raw.NEEDS_RAWPY),
}


def missing_decoder(path: str | os.PathLike[str]) -> str:
    """Why this file cannot be read here (the library for its format is missing), or ""."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in MISSING_DECODER_REASONS:
        return ""
    readable = {".avif": avif_supported, ".jxl": register_jxl}.get(ext)
    ok = readable() if readable is not None else raw.rawpy_module() is not None
    return "" if ok else MISSING_DECODER_REASONS[ext]


@dataclass
class Decoded:
    """What one decode yields."""

    pixels: np.ndarray | None  # float32 CHW, normalised for the model; None when not asked for
    width: int  # upright (after EXIF orientation), full resolution
    height: int
    taken_ms: int  # EXIF date taken in ms since the epoch (local time as UTC), 0 if unknown
    thumbnail: Image.Image | None


def fingerprint(path: str | os.PathLike[str], size: int | None = None, full: bool = False) -> str:
    """A content fingerprint: size plus hashes of the first and last 64 KiB ("quick").

    Used to recognise a photo that was moved or renamed. Two different files can share the
    quick part (same size, same head and tail), so `full=True` adds a hash of the whole
    content ("QUICK:FULL"); that is what the index stores, and a move is only taken when the
    whole content matches. The plan reads whole files only when the quick parts match.
    """
    with open(path, "rb") as f:
        if size is None:
            size = os.fstat(f.fileno()).st_size
        h = hashlib.blake2b(digest_size=16)
        h.update(size.to_bytes(8, "little"))
        h.update(f.read(FINGERPRINT_CHUNK))
        if size > 2 * FINGERPRINT_CHUNK:
            f.seek(size - FINGERPRINT_CHUNK)
            h.update(f.read(FINGERPRINT_CHUNK))
        if not full:
            return h.hexdigest()
        f.seek(0)
        whole = hashlib.blake2b(digest_size=16)
        while chunk := f.read(1 << 20):
            whole.update(chunk)
    return f"{h.hexdigest()}:{whole.hexdigest()}"


def fingerprint_bytes(data: bytes) -> str:
    """`fingerprint(path, full=True)` of a file whose whole content is `data` (read once to
    send it to a cluster worker)."""
    size = len(data)
    h = hashlib.blake2b(digest_size=16)
    h.update(size.to_bytes(8, "little"))
    h.update(data[:FINGERPRINT_CHUNK])
    if size > 2 * FINGERPRINT_CHUNK:
        h.update(data[size - FINGERPRINT_CHUNK:])
    return f"{h.hexdigest()}:{hashlib.blake2b(data, digest_size=16).hexdigest()}"


def quick_part(stored: str) -> str:
    """The quick part of a stored fingerprint (an index before 0.x stored only that)."""
    return stored.split(":", 1)[0]


_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _to_rgb(img: Image.Image, keep_alpha: bool = False) -> Image.Image:
    """RGB; an image with transparency is RGBA with `keep_alpha`, else flattened onto white
    (what the model sees: logos and PNGs as on a page)."""
    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        return rgba if keep_alpha else flatten(rgba)
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float32)
        top = float(arr.max()) or 1.0
        return Image.fromarray((arr * (255.0 / top)).clip(0, 255).astype(np.uint8)).convert("RGB")
    return img.convert("RGB")


#: The two greys of the checkerboard a transparent image is shown on (as image editors do):
#: a white wallpaper with a transparent part stays visible as a picture, not a blank cell.
CHECKER = ((204, 204, 204), (238, 238, 238))


def flatten(img: Image.Image, checker: int = 0) -> Image.Image:
    """An RGBA image as RGB: on white, or (`checker`: the squares' size in pixels) on a
    checkerboard. Any other image is returned as it is."""
    if img.mode != "RGBA":
        return img
    if checker > 0:
        w, h = img.size
        yy, xx = np.mgrid[0:h, 0:w]
        odd = ((yy // checker + xx // checker) % 2).astype(bool)
        board = np.empty((h, w, 3), np.uint8)
        board[~odd], board[odd] = CHECKER
        background = Image.fromarray(board)
    else:
        background = Image.new("RGB", img.size, (255, 255, 255))
    background.paste(img, mask=img.getchannel("A"))
    return background


_RESAMPLE = {
    "bilinear": Image.Resampling.BILINEAR,
    "nearest": Image.Resampling.NEAREST,
    "lanczos": Image.Resampling.LANCZOS,
}


def resample_filter(spec: PixelSpec) -> Image.Resampling:
    """Pillow's filter for the model's interpolation (bicubic unless it names another)."""
    return _RESAMPLE.get(spec.interpolation, Image.Resampling.BICUBIC)


def model_pixels(img: Image.Image, spec: PixelSpec) -> np.ndarray:
    """Resize (shortest side, bicubic), centre-crop and normalise an RGB image to CHW float32."""
    s = spec.size
    w, h = img.size
    if spec.resize_mode == "squash":
        img = img.resize((s, s), resample_filter(spec))
    else:
        if spec.resize_mode == "shortest" and max(w, h) > MAX_ASPECT * min(w, h):
            # A strip (1×30,000): resizing its short side to `s` first would make a long side
            # of millions of pixels (gigabytes) on the way to an s×s centre crop. Cropping
            # the centre to MAX_ASPECT:1 first keeps every pixel the crop uses.
            short = min(w, h)
            keep = MAX_ASPECT * short
            if w > h:
                img = img.crop(((w - keep) // 2, 0, (w - keep) // 2 + keep, h))
            else:
                img = img.crop((0, (h - keep) // 2, w, (h - keep) // 2 + keep))
            w, h = img.size
        scale = s / min(w, h) if spec.resize_mode == "shortest" else s / max(w, h)
        nw, nh = max(s, round(w * scale)), max(s, round(h * scale))
        if spec.resize_mode == "longest":
            nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        img = img.resize((nw, nh), resample_filter(spec))
        left, top = (nw - s) // 2, (nh - s) // 2
        img = img.crop((left, top, left + s, top + s))  # pads with black when "longest"
    gain = np.float32(1 / 255) / np.asarray(spec.std, np.float32)
    shift = np.asarray(spec.mean, np.float32) / np.asarray(spec.std, np.float32)
    arr: np.ndarray = np.asarray(img, dtype=np.float32) * gain - shift
    return np.ascontiguousarray(arr.transpose(2, 0, 1))


def check_regular_file(path: str | os.PathLike[str]) -> os.stat_result:
    """stat() a path and refuse anything but a readable regular file, with a reason."""
    try:
        st = os.stat(path)
    except FileNotFoundError as e:
        raise DecodeError("file not found (deleted or a broken link)", retry_later=True) from e
    except PermissionError as e:
        raise DecodeError("no permission to read the file") from e
    except OSError as e:
        raise DecodeError(f"cannot read the file: {e.strerror or e}") from e
    if not stat.S_ISREG(st.st_mode):
        raise DecodeError("not a regular file")
    if st.st_size == 0:
        raise DecodeError("empty file (0 bytes)")
    return st


def open_upright(
    path: str | os.PathLike[str] | IO[bytes], min_size: int = 0, first_frame: bool = True,
    keep_alpha: bool = False, min_short: int = 0,
) -> tuple[Image.Image, int, int, int]:
    """Open and fully decode an image, upright, as RGB, at least `min_size` on its short side
    (`keep_alpha`: RGBA when it has transparency; `flatten` makes it RGB).

    Returns (image, full_width, full_height, taken_ms). A JPEG is decoded at the smallest DCT
    scale that still gives `min_size` pixels (0: full size). A video gives its first frame.

    An image the file already holds smaller (a camera RAW's JPEG preview, a HEIC's thumbnail)
    stands in for the full image when its long side is at least `min_size` and its short side
    at least `min_short` (see core/raw.py and core/heic.py).
    """
    from inphotos.core.video import open_frame

    register_heif()
    if isinstance(path, (str, os.PathLike)):  # (bytes sent to a cluster worker have no name)
        if is_video_name(path):
            return open_frame(path, min_size)
        missing = missing_decoder(path)
        if missing:
            raise DecodeError(missing)
        if is_raw_name(path):
            return _open_raw(path, min_size, min_short)
    if min_size and isinstance(path, (str, os.PathLike)) and heic.is_heif_name(path):
        found = heic.open_thumbnail(path, min_size, min_short)
        if found is not None:
            thumb, fw, fh, exif = found
            rgb = _to_rgb(thumb, keep_alpha)
            if rgb is not thumb:
                thumb.close()
            return rgb, fw, fh, exif_bytes_taken_ms(exif)
    try:
        img = Image.open(path)
        try:
            fw, fh = img.size
            if fw <= 0 or fh <= 0:
                raise DecodeError("image has no pixels")
            if fw * fh > MAX_PIXELS:
                raise DecodeError(f"too many pixels ({fw}×{fh}), skipped to protect memory")
            if first_frame and getattr(img, "n_frames", 1) > 1:
                img.seek(0)
            if img.format == "JPEG" and min_size:
                img.draft("RGB", (min_size, min_size))
            big = img.size[0] * img.size[1] > BIG_DECODE_PIXELS  # (after draft: as decoded)
            with _BIG_DECODE if big else contextlib.nullcontext():
                img.load()
                rgb = _to_rgb(img, keep_alpha)
                factor = min(rgb.size) // min_size if min_size else 0
                if factor >= 2:
                    # What draft() does for JPEG, for every other format: shrink by an integer
                    # factor (box filter) right away, so later steps and memory stay small.
                    rgb = rgb.reduce(factor)
            # After load(): a PNG's EXIF may follow its pixels, and reading it decodes them,
            # which must happen under the gate above, not before it.
            taken = exif_taken_ms(img)
            try:
                orientation = int(img.getexif().get(0x0112, 1) or 1)
            except Exception:
                orientation = 1
            method = _ORIENTATION.get(orientation)
            if method is not None:
                rgb = rgb.transpose(method)
            if rgb is img:  # the file's image is closed below; keep a copy of its pixels
                rgb = img.copy()
            rgb.load()
        finally:
            img.close()
    except DecodeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise DecodeError("too many pixels (possible decompression bomb), skipped") from e
    except UnidentifiedImageError as e:
        raise DecodeError("not an image, or an image format InPhotos cannot read") from e
    except (FileNotFoundError, PermissionError) as e:
        raise DecodeError.unreadable(e) from e
    except MemoryError as e:
        raise DecodeError("not enough memory to decode this image") from e
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as e:
        text = str(e) or type(e).__name__
        if "truncated" in text.lower():
            raise DecodeError("the file is truncated (incomplete download or copy)") from e
        raise DecodeError(f"damaged or unreadable image: {text}") from e
    if orientation in (5, 6, 7, 8):
        fw, fh = fh, fw
    return rgb, fw, fh, taken


def _open_raw(
    path: str | os.PathLike[str], min_size: int, min_short: int
) -> tuple[Image.Image, int, int, int]:
    """A camera RAW, upright, through core/raw.py (its preview, else a half-size decode)."""
    img, fw, fh, taken, orientation = raw.open_raw(
        path, min_size, min_short, max_pixels=MAX_PIXELS, gate=_BIG_DECODE, big_pixels=BIG_DECODE_PIXELS,
    )
    w, h = img.size
    factor = min(max(w, h) // min_size if min_size else 0, min(w, h) // min_short if min_short else 1 << 30)
    if factor >= 2:  # a half-size decode of a 45 MP sensor is still far more than asked for
        smaller = img.reduce(factor)
        img.close()
        img = smaller
    method = _ORIENTATION.get(orientation)
    if method is not None:
        turned = img.transpose(method)
        img.close()
        img = turned
    return img, fw, fh, taken


def decode(
    path: str | os.PathLike[str] | IO[bytes],
    spec: PixelSpec | None,
    thumb_size: int = THUMB_SIZE,
    want_thumbnail: bool = True,
) -> Decoded:
    """Decode a photo once for indexing: model pixels, thumbnail and metadata.

    Raises:
        DecodeError: the file cannot be indexed; the message says why.
    """
    need = max(spec.size if spec else 0, thumb_size if want_thumbnail else 0)
    rgb, fw, fh, taken = open_upright(path, min_size=need, keep_alpha=want_thumbnail,
                                      min_short=spec.size if spec else 0)
    try:
        pixels = model_pixels(flatten(rgb), spec) if spec else None
        thumb = None
        if want_thumbnail:
            thumb = rgb.copy()
            thumb.thumbnail((thumb_size, thumb_size), Image.Resampling.BICUBIC, reducing_gap=2.0)
            thumb = flatten(thumb, checker=THUMB_CHECKER)
    except (OSError, ValueError, MemoryError) as e:
        raise DecodeError(f"damaged or unreadable image: {e}") from e
    finally:
        rgb.close()
    return Decoded(pixels, fw, fh, taken, thumb)


def load_preview(path: str | os.PathLike[str], max_side: int) -> Image.Image:
    """An upright RGB image no larger than `max_side`, for the preview pane."""
    rgb, _, _, _ = open_upright(path, min_size=max_side, keep_alpha=True)
    if max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return flatten(rgb, checker=2 * THUMB_CHECKER)


