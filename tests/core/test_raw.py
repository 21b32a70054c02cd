"""Camera RAW: the embedded preview when it is big enough, else the sensor data; upright; dated.

The RAW files are real DNGs written by tests/dng.py and read by LibRaw through rawpy, as a
camera's would be. The other RAW formats (CR2, NEF, ...) go through the same LibRaw calls;
only their parsing inside LibRaw is not exercised here (no such file can be made here).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inphotos.core import imaging, raw
from inphotos.core.imaging import DecodeError, PixelSpec, decode, load_preview, open_upright
from inphotos.core.thumbs import ThumbnailCache
from tests.dng import halves, write_dng

rawpy = pytest.importorskip("rawpy")

RED, BLUE, GREEN, YELLOW = (230, 30, 30), (30, 30, 230), (30, 200, 30), (230, 230, 30)
SENSOR = (600, 400)  # W×H of the sensor data in these files


def _colour(img: Image.Image, xy: tuple[int, int]) -> str:
    r, g, b = img.convert("RGB").getpixel(xy)[:3]
    if r > 150 and g > 150 and b < 100:
        return "yellow"
    if r > 150 and g < 100 and b < 100:
        return "red"
    if b > 150 and r < 100 and g < 100:
        return "blue"
    if g > 150 and r < 100 and b < 100:
        return "green"
    return f"other{(r, g, b)}"


def _camera_raw(path: Path, preview_size: tuple[int, int] | None, orientation: int = 1, **kw) -> Path:
    """A DNG whose sensor shows red|blue and whose preview (if any) shows green|yellow: which
    source a decode used can be told from its colours."""
    preview = Image.fromarray(halves(preview_size, GREEN, YELLOW)) if preview_size else None
    return write_dng(path, halves(SENSOR, RED, BLUE), preview, orientation=orientation, **kw)


def test_a_big_enough_preview_is_indexed_without_demosaicing(tmp_path: Path) -> None:
    path = _camera_raw(tmp_path / "IMG_0001.dng", preview_size=(480, 320))

    d = decode(path, PixelSpec(size=224))

    # The preview's colours (the sensor shows red|blue): LibRaw never touched the sensor data.
    assert d.thumbnail is not None
    left, right = _colour(d.thumbnail, (5, 5)), _colour(d.thumbnail, (d.thumbnail.width - 5, 5))
    assert (left, right) == ("green", "yellow")
    assert (d.width, d.height) == SENSOR  # the photo's size is the sensor's, not the preview's
    assert d.pixels is not None
    assert d.pixels.shape == (3, 224, 224)


def test_a_small_or_missing_preview_falls_back_to_a_half_size_sensor_decode(tmp_path: Path) -> None:
    small = _camera_raw(tmp_path / "small.dng", preview_size=(160, 106))
    missing = _camera_raw(tmp_path / "none.dng", preview_size=None)

    for path in (small, missing):
        img, fw, fh, _ = open_upright(path, min_size=320, min_short=224)
        assert (fw, fh) == SENSOR
        assert img.size == (SENSOR[0] // 2, SENSOR[1] // 2)  # half size: no interpolation
        assert (_colour(img, (5, 5)), _colour(img, (img.width - 5, 5))) == ("red", "blue")
    # A thumbnail alone needs less: the small preview serves it.
    thumb, _, _, _ = open_upright(small, min_size=150)
    assert _colour(thumb, (5, 5)) == "green"


@pytest.mark.parametrize(("orientation", "top", "bottom"), [(6, "left", "right"), (8, "right", "left")])
def test_raws_are_upright_by_their_orientation_from_either_source(
    tmp_path: Path, orientation: int, top: str, bottom: str
) -> None:
    """Held upright (turned 90°), the sensor's left half becomes the top (6) or bottom (8)."""
    colours = {"preview": {"left": "green", "right": "yellow"}, "sensor": {"left": "red", "right": "blue"}}
    with_preview = _camera_raw(tmp_path / "p.dng", preview_size=(480, 320), orientation=orientation)
    without = _camera_raw(tmp_path / "s.dng", preview_size=None, orientation=orientation)
    cache = ThumbnailCache(tmp_path / "cache")
    for path, source in ((with_preview, "preview"), (without, "sensor")):
        d = decode(path, PixelSpec(size=32))
        st = os.stat(path)
        with Image.open(cache.ensure(str(path), st.st_mtime_ns, st.st_size)) as cached:
            shown = load_preview(path, 400)
            for img in (d.thumbnail, cached, shown):
                assert img is not None
                w, h = img.size
                assert h > w, (source, img.size)
                assert _colour(img, (w // 2, 3)) == colours[source][top]
                assert _colour(img, (w // 2, h - 4)) == colours[source][bottom]
        assert (d.width, d.height) == (SENSOR[1], SENSOR[0])


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_date_taken_is_the_raws_camera_clock_from_either_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tz: str
) -> None:
    """LibRaw reads the date through this computer's time zone (and gives it to the preview
    too): stored, it is still the camera's wall clock, wherever the library is indexed."""
    with_preview = _camera_raw(tmp_path / "a.dng", preview_size=(480, 320), date="2019:03:04 05:06:07")
    plain = _camera_raw(tmp_path / "b.dng", preview_size=None, date="2018:12:24 18:00:00")
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        dates = [decode(p, PixelSpec(size=32)).taken_ms for p in (with_preview, plain)]
    finally:
        monkeypatch.undo()
        time.tzset()

    def ms(*when: int) -> int:
        return int(datetime(*when, tzinfo=UTC).timestamp() * 1000)

    assert dates == [ms(2019, 3, 4, 5, 6, 7), ms(2018, 12, 24, 18, 0, 0)]


def test_damaged_raw_files_are_skipped_with_a_reason(tmp_path: Path) -> None:
    good = _camera_raw(tmp_path / "good.dng", preview_size=None)
    (tmp_path / "cut.dng").write_bytes(good.read_bytes()[:2000])
    (tmp_path / "text.cr2").write_bytes(b"this is not a raw file at all" * 10)

    for name in ("cut.dng", "text.cr2"):
        with pytest.raises(DecodeError, match="RAW"):
            decode(tmp_path / name, PixelSpec(size=32))


def test_without_rawpy_raw_files_are_skipped_naming_what_to_install(tmp_path: Path, monkeypatch) -> None:
    path = _camera_raw(tmp_path / "a.dng", preview_size=(480, 320))
    monkeypatch.setattr(raw, "_rawpy", False)  # as if `import rawpy` had failed

    with pytest.raises(DecodeError, match=r"pip install rawpy"):
        decode(path, PixelSpec(size=32))
    assert imaging.missing_decoder(path) == raw.NEEDS_RAWPY
    assert imaging.missing_decoder(tmp_path / "photo.jpg") == ""


def test_a_big_sensor_is_reduced_after_the_half_size_decode(tmp_path: Path) -> None:
    path = write_dng(tmp_path / "big.dng", np.full((1200, 1600, 3), 128, np.uint8))
    img, fw, fh, _ = open_upright(path, min_size=200, min_short=100)
    assert (fw, fh) == (1600, 1200)
    assert 200 <= max(img.size) < 800  # 800×600 after the half-size decode, then reduced


def test_a_raw_with_too_many_pixels_is_refused_before_decoding(tmp_path: Path, monkeypatch) -> None:
    path = _camera_raw(tmp_path / "huge.dng", preview_size=(480, 320))
    monkeypatch.setattr(imaging, "MAX_PIXELS", 100_000)  # the sensor has 240,000
    with pytest.raises(DecodeError, match="too many pixels"):
        decode(path, PixelSpec(size=32))
