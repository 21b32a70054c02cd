"""HEIC from its stored thumbnail (as good for the model as the full decode), AVIF and JPEG XL."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import Image, ImageDraw

from inphotos.core import heic, imaging
from inphotos.core.imaging import DecodeError, PixelSpec, decode, model_pixels, open_upright
from inphotos.core.scanner import walk_images
from tests.core.test_imaging import embedder_224  # noqa: F401  (a fixture)

pillow_heif.register_heif_opener()


def _scene(size: tuple[int, int], seed: int) -> Image.Image:
    """Photo-like content: soft colour regions and sharp shapes (what a thumbnail must keep)."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8))
    img = img.resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        r = int(rng.integers(w // 20, w // 5))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return img


def _heic(path: Path, size: tuple[int, int], seed: int, thumbnails: list[int], **save: object) -> Path:
    # An iPhone stores a 320×240 thumbnail beside its 12 MP picture; pillow-heif writes the same.
    _scene(size, seed).save(path, format="HEIF", quality=85, thumbnails=thumbnails, **save)
    return path


@pytest.mark.slow  # HEVC encoding, and a 224-pixel model
def test_heic_thumbnail_serves_the_model_as_well_as_the_full_decode(
    embedder_224, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    emb = embedder_224
    used = []
    real = heic.open_thumbnail
    monkeypatch.setattr(heic, "open_thumbnail", lambda *a: used.append(r := real(*a)) or r)
    for seed in range(2):
        path = _heic(tmp_path / f"IMG_{seed}.heic", (1280, 960), seed, thumbnails=[320])

        fast = decode(path, emb.pixel_spec)
        full, fw, fh, _ = open_upright(path)  # the primary image, whole: the reference
        reference = emb.encode_pixels(model_pixels(full, emb.pixel_spec)[None])[0]

        assert used[-1] is not None
        assert used[-1][0].size == (320, 240)
        assert (fast.width, fast.height) == (fw, fh) == (1280, 960)
        assert fast.thumbnail is not None
        assert fast.thumbnail.size == (320, 240)
        assert fast.pixels is not None
        vec = emb.encode_pixels(fast.pixels[None])[0]
        assert float(vec @ reference) >= 0.99


def test_heic_without_a_big_enough_thumbnail_is_decoded_whole_once(tmp_path: Path, monkeypatch) -> None:
    small = _heic(tmp_path / "small.heic", (400, 300), 1, thumbnails=[160])
    none = _heic(tmp_path / "none.heic", (400, 300), 2, thumbnails=[])
    opened = []
    real_open = Image.open
    monkeypatch.setattr(imaging.Image, "open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))

    for path in (small, none):
        d = decode(path, PixelSpec(size=224))
        assert (d.width, d.height) == (400, 300)
        assert d.thumbnail is not None
        assert d.thumbnail.size == (320, 240)
    assert opened == [small, none]  # one decode of the primary image each, for both uses
    # For the grid alone (no model input), the 160-pixel thumbnail is still too small...
    assert open_upright(small, min_size=320)[0].size == (400, 300)
    # ...and for a smaller cell it serves.
    assert open_upright(small, min_size=160)[0].size == (160, 120)


def test_heic_thumbnail_is_upright_and_the_date_comes_from_the_photo(tmp_path: Path) -> None:
    arr = np.zeros((480, 640, 3), np.uint8)
    arr[:, :320] = (230, 30, 30)  # stored left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # turned clockwise: the stored left is the upright top
    exif.get_ifd(0x8769)[36867] = "2022:08:09 10:11:12"
    path = tmp_path / "turned.heic"
    Image.fromarray(arr).save(path, format="HEIF", quality=90, thumbnails=[320], exif=exif.tobytes())

    d = decode(path, PixelSpec(size=224))

    assert (d.width, d.height) == (480, 640)
    assert d.thumbnail is not None
    assert d.thumbnail.size == (240, 320)
    r, g, _b = d.thumbnail.getpixel((120, 5))
    assert r > 180
    assert g < 80
    assert d.thumbnail.getpixel((120, 314))[0] < 80
    assert d.taken_ms == 1660039872000  # 2022-08-09 10:11:12, the camera's clock


def test_avif_and_jpeg_xl_photos_are_found_and_indexed(tmp_path: Path) -> None:
    from PIL import features

    assert features.check("avif")  # Pillow 11.2+ reads AVIF itself
    assert imaging.register_jxl()
    _scene((400, 300), 1).save(tmp_path / "a.avif", quality=80)
    _scene((400, 300), 2).save(tmp_path / "b.jxl", quality=80)

    found = sorted(os.path.basename(e.path) for e in walk_images(str(tmp_path)))
    assert found == ["a.avif", "b.jxl"]
    for name, seed in (("a.avif", 1), ("b.jxl", 2)):
        d = decode(tmp_path / name, PixelSpec(size=64))
        assert (d.width, d.height) == (400, 300)
        # The pixels are the picture's (lossy, so close, not equal).
        expected = np.asarray(_scene((400, 300), seed).resize((320, 240)), np.float32)
        assert d.thumbnail is not None
        assert np.abs(np.asarray(d.thumbnail, np.float32) - expected).mean() < 12


def test_without_their_plugin_avif_and_jpeg_xl_are_skipped_naming_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _scene((64, 48), 1).save(tmp_path / "b.jxl")
    (tmp_path / "a.avif").write_bytes(b"\0" * 64)
    monkeypatch.setattr(imaging, "_jxl_registered", False)
    monkeypatch.setattr(imaging, "avif_supported", lambda: False)

    with pytest.raises(DecodeError, match="pip install pillow-jxl-plugin"):
        decode(tmp_path / "b.jxl", PixelSpec(size=32))
    with pytest.raises(DecodeError, match="pip install -U pillow"):
        decode(tmp_path / "a.avif", PixelSpec(size=32))
