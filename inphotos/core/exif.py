"""The date a photo was taken, from its EXIF (of an image, or of raw EXIF bytes)."""

from __future__ import annotations

from datetime import UTC, datetime

from PIL import Image


def exif_taken_ms(img: Image.Image) -> int:
    """The EXIF date taken in ms (the camera's wall clock read as UTC); 0 when unknown."""
    try:
        return _exif_date(img.getexif())
    except Exception:  # broken EXIF is common; the date is just unknown
        return 0


def exif_bytes_taken_ms(exif: bytes) -> int:
    """The same from EXIF bytes as a container stores them (a HEIC's); 0 when unknown."""
    if not exif:
        return 0
    try:
        data = Image.Exif()
        data.load(exif)
        return _exif_date(data)
    except Exception:  # broken EXIF is common; the date is just unknown
        return 0


def _exif_date(exif: Image.Exif) -> int:
    value = exif.get_ifd(0x8769).get(36867) or exif.get(306)  # DateTimeOriginal, DateTime
    if not value:
        return 0
    text = value.decode(errors="ignore") if isinstance(value, bytes) else str(value)
    dt = datetime.strptime(text.strip().rstrip("\x00")[:19], "%Y:%m:%d %H:%M:%S")
    # EXIF has no time zone: keep the camera's wall clock, read as UTC, so the value does not
    # depend on the time zone of the computer that indexed it.
    return int(dt.replace(tzinfo=UTC).timestamp() * 1000) if dt.year > 1900 else 0
