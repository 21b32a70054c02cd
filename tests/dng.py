"""A minimal DNG writer for tests: real camera RAW files that LibRaw reads, made on the spot.

A DNG is a TIFF: IFD0 holds the camera's description and (optionally) an embedded JPEG
preview, as cameras and converters write it; a SubIFD holds the sensor data, a 16-bit Bayer
mosaic (RGGB) made from a picture, uncompressed. An EXIF IFD carries the date taken.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image

_BYTE, _ASCII, _SHORT, _LONG, _RATIONAL, _SRATIONAL = 1, 2, 3, 4, 5, 10
_BLACK, _WHITE = 64, 4064


def _ascii(text: str) -> tuple[int, int, bytes]:
    data = text.encode() + b"\0"
    return _ASCII, len(data), data


def _shorts(*v: int) -> tuple[int, int, bytes]:
    return _SHORT, len(v), struct.pack(f"<{len(v)}H", *v)


def _longs(*v: int) -> tuple[int, int, bytes]:
    return _LONG, len(v), struct.pack(f"<{len(v)}I", *v)


def _bytes(*v: int) -> tuple[int, int, bytes]:
    return _BYTE, len(v), bytes(v)


def _rationals(kind: int, *v: float) -> tuple[int, int, bytes]:
    fmt = "<ii" if kind == _SRATIONAL else "<II"
    return kind, len(v), b"".join(struct.pack(fmt, round(x * 10000), 10000) for x in v)


def mosaic(rgb: np.ndarray) -> np.ndarray:
    """The RGGB sensor data a camera would record for an sRGB-ish picture (linear, 12 bits)."""
    lin = (rgb.astype(np.float32) / 255.0) ** 2.2 * (_WHITE - _BLACK) + _BLACK
    cfa = np.empty(rgb.shape[:2], np.uint16)
    cfa[0::2, 0::2] = lin[0::2, 0::2, 0]
    cfa[0::2, 1::2] = lin[0::2, 1::2, 1]
    cfa[1::2, 0::2] = lin[1::2, 0::2, 1]
    cfa[1::2, 1::2] = lin[1::2, 1::2, 2]
    return cfa


def write_dng(
    path: Path, sensor: np.ndarray, preview: Image.Image | None = None, orientation: int = 1,
    date: str = "2019:03:04 05:06:07",
) -> Path:
    """Write a DNG whose sensor data shows `sensor` (H×W×3 uint8, even sides).

    Args:
        preview: the embedded JPEG preview (None: a 1×1 placeholder, as LibRaw sees no preview).
        orientation: the EXIF orientation of the whole file (the preview is stored unturned).
        date: the date taken in the DNG's EXIF.
    """
    h, w, _ = sensor.shape
    raw = mosaic(sensor).astype("<u2").tobytes()
    jpeg = b""
    if preview is not None:
        buf = io.BytesIO()
        preview.save(buf, "JPEG", quality=92)
        jpeg = buf.getvalue()
    data = bytearray()

    def place(blob: bytes) -> int:
        at = len(data)
        data.extend(blob + b"\0" * (len(blob) % 2))
        return at

    raw_at = place(raw)
    if jpeg:
        assert preview is not None
        pw, ph = preview.size
        prev_at, prev_len, prev_tags = place(jpeg), len(jpeg), {
            256: _longs(pw), 257: _longs(ph), 258: _shorts(8, 8, 8), 259: _shorts(7), 262: _shorts(6),
            277: _shorts(3), 278: _longs(ph),
        }
    else:
        prev_at, prev_len, prev_tags = place(b"\0\0\0"), 3, {
            256: _longs(1), 257: _longs(1), 258: _shorts(8, 8, 8), 259: _shorts(1), 262: _shorts(2),
            277: _shorts(3), 278: _longs(1),
        }
    exif_ifd = {36867: _ascii(date), 306: _ascii(date)}
    sub_ifd = {
        254: _longs(0), 256: _longs(w), 257: _longs(h), 258: _shorts(16), 259: _shorts(1),
        262: _shorts(32803), 273: ("data", raw_at), 277: _shorts(1), 278: _longs(h),
        279: _longs(len(raw)), 33421: _shorts(2, 2), 33422: _bytes(0, 1, 1, 2),
        50714: _longs(_BLACK), 50717: _longs(_WHITE),
    }
    ifd0 = {
        254: _longs(1), 271: _ascii("InPhotos"), 272: _ascii("Test DNG"), 274: _shorts(orientation),
        306: _ascii(date), 273: ("data", prev_at), 279: _longs(prev_len), 330: ("ifd", 1),
        34665: ("ifd", 2), 50706: _bytes(1, 4, 0, 0), 50708: _ascii("InPhotos Test DNG"),
        50721: _rationals(_SRATIONAL, 1, 0, 0, 0, 1, 0, 0, 0, 1),
        50728: _rationals(_RATIONAL, 1, 1, 1), 50778: _shorts(21), **prev_tags,
    }
    ifds = [ifd0, sub_ifd, exif_ifd]

    def size_of(ifd: dict) -> int:
        blobs = [v[2] for v in ifd.values() if isinstance(v[0], int) and len(v[2]) > 4]
        extra = sum(len(b) + len(b) % 2 for b in blobs)
        return 2 + 12 * len(ifd) + 4 + extra

    starts = [8]
    for ifd in ifds[:-1]:
        starts.append(starts[-1] + size_of(ifd))
    data_start = starts[-1] + size_of(ifds[-1])

    def encode(ifd: dict, start: int) -> bytes:
        out = bytearray(struct.pack("<H", len(ifd)))
        extra = bytearray()
        extra_at = start + 2 + 12 * len(ifd) + 4
        for tag in sorted(ifd):
            value = ifd[tag]
            if value[0] == "data":
                out += struct.pack("<HHII", tag, _LONG, 1, data_start + value[1])
            elif value[0] == "ifd":
                out += struct.pack("<HHII", tag, _LONG, 1, starts[value[1]])
            else:
                kind, count, payload = value
                if len(payload) <= 4:
                    out += struct.pack("<HHI", tag, kind, count) + payload.ljust(4, b"\0")
                else:
                    out += struct.pack("<HHII", tag, kind, count, extra_at + len(extra))
                    extra += payload + b"\0" * (len(payload) % 2)
        return bytes(out + struct.pack("<I", 0) + extra)

    head = b"II*\0" + struct.pack("<I", 8) + b"".join(encode(i, s) for i, s in zip(ifds, starts, strict=True))
    assert len(head) == data_start
    path.write_bytes(head + bytes(data))
    return path


def halves(size: tuple[int, int], left: tuple[int, int, int], right: tuple[int, int, int]) -> np.ndarray:
    """A picture (W×H `size`) whose left half is one colour and right half another."""
    w, h = size
    arr = np.empty((h, w, 3), np.uint8)
    arr[:, : w // 2] = left
    arr[:, w // 2 :] = right
    return arr
