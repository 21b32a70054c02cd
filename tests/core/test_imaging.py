"""Decoding: upright pixels, faithful fast preprocessing, metadata, and readable failures."""

from __future__ import annotations

import dataclasses
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inphotos.core import imaging
from inphotos.core.imaging import (
    CHECKER,
    THUMB_CHECKER,
    DecodeError,
    PixelSpec,
    check_regular_file,
    decode,
    load_preview,
    model_pixels,
)
from tests.conftest import make_photo

#: A random model big enough that resizing matters (a 32 px model hides resize differences).
MODEL_224 = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 224, "layers": 2, "width": 64, "patch_size": 32, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


def _marked_photo(path: Path, orientation: int) -> Path:
    """A landscape picture stored sideways: red band on the stored left edge, EXIF says rotate.

    With orientation 6 (camera turned clockwise) the stored left edge is the upright top.
    """
    arr = np.full((240, 320, 3), 90, np.uint8)
    arr[:, :40] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(arr).save(path, "JPEG", quality=95, exif=exif.tobytes())
    return path


def _is_red(pixel: tuple[int, ...]) -> bool:
    r, g, b = pixel[:3]
    return r > 200 and g < 60 and b < 60


def test_exif_orientation_gives_upright_size_pixels_and_thumbnail(tmp_path: Path) -> None:
    path = _marked_photo(tmp_path / "portrait.jpg", orientation=6)

    d = decode(path, PixelSpec(size=32))

    assert (d.width, d.height) == (240, 320)  # portrait, as the camera was held
    assert d.thumbnail is not None
    tw, th = d.thumbnail.size
    assert th > tw
    assert _is_red(d.thumbnail.getpixel((tw // 2, 2)))  # the red band is at the top
    assert not _is_red(d.thumbnail.getpixel((tw // 2, th - 3)))
    assert not _is_red(d.thumbnail.getpixel((2, th // 2)))


def test_thumbnail_cache_makes_upright_thumbnails(tmp_path: Path) -> None:
    from inphotos.core.thumbs import ThumbnailCache

    path = _marked_photo(tmp_path / "portrait.jpg", orientation=8)  # turned anticlockwise
    cache = ThumbnailCache(tmp_path / "cache")
    st = os.stat(path)

    with Image.open(cache.ensure(str(path), st.st_mtime_ns, st.st_size)) as thumb:
        tw, th = thumb.size
        assert th > tw
        assert _is_red(thumb.convert("RGB").getpixel((tw // 2, th - 3)))  # stored left = upright bottom


def test_model_pixels_are_normalised_chw_for_the_model(tmp_path: Path) -> None:
    spec = PixelSpec(size=48)
    d = decode(make_photo(tmp_path / "p.jpg", seed=1, size=(400, 300)), spec, want_thumbnail=False)
    assert d.pixels is not None
    assert d.pixels.shape == (3, 48, 48)
    assert d.pixels.dtype == np.float32
    assert d.thumbnail is None
    grey = Image.new("RGB", (60, 50), (128, 128, 128))
    expected = (128 / 255 - np.asarray(spec.mean)) / np.asarray(spec.std)
    np.testing.assert_allclose(model_pixels(grey, spec)[:, 10, 10], expected, atol=1e-5)


@pytest.fixture(scope="module")
def embedder_224(tmp_path_factory: pytest.TempPathFactory):
    from inphotos.ml.embedder import ClipEmbedder
    from inphotos.ml.tiny_model import make_tiny_model

    spec = make_tiny_model(tmp_path_factory.mktemp("model224") / "m", seed=3, model_cfg=MODEL_224)
    return ClipEmbedder(spec, device="cpu", precision="fp32")


def _camera_photo(path: Path, seed: int, size: tuple[int, int] = (4000, 3000)) -> Path:
    """A 12 MP photo-like JPEG: soft colour regions, sharp-edged shapes, sensor noise."""
    rng = np.random.default_rng(seed)
    w, h = size
    small = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    small = small.resize((w // 4, h // 4), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(small)
    for _ in range(25):
        x, y = int(rng.integers(0, w // 4)), int(rng.integers(0, h // 4))
        dx, dy = int(rng.integers(20, 300)), int(rng.integers(20, 300))
        draw.ellipse([x, y, x + dx, y + dy], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    arr = np.asarray(small.resize((w, h), Image.Resampling.BICUBIC), dtype=np.int16)
    arr = arr + rng.integers(-12, 13, arr.shape, dtype=np.int16)
    Image.fromarray(arr.clip(0, 255).astype(np.uint8)).save(path, "JPEG", quality=90)
    return path


def test_fast_decode_matches_open_clip_preprocessing_on_a_12mp_photo(embedder_224, tmp_path: Path) -> None:
    emb = embedder_224
    path = _camera_photo(tmp_path / "camera.jpg", seed=11)

    fast = decode(path, emb.pixel_spec)  # reduced-size JPEG decode, as indexing does
    with Image.open(path) as im:
        full = im.convert("RGB")
    reference_pixels = emb.reference_preprocess(full).numpy()
    reference = emb.encode_images([full])[0]
    assert fast.pixels is not None
    vec = emb.encode_pixels(fast.pixels[None])[0]

    assert float(vec @ reference) >= 0.99
    # The random model maps every picture close together, so also demand that the fast path
    # is far closer to the reference than a real preprocessing mistake (squashing instead of
    # a centre crop) would be, and that the pixels themselves agree.
    squashed = model_pixels(full, dataclasses.replace(emb.pixel_spec, resize_mode="squash"))
    squashed_vec = emb.encode_pixels(squashed[None])[0]
    assert 1 - float(vec @ reference) < 0.1 * (1 - float(squashed_vec @ reference))
    assert np.corrcoef(fast.pixels.ravel(), reference_pixels.ravel())[0, 1] > 0.98
    assert np.abs(fast.pixels - reference_pixels).mean() < 0.1


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_exif_date_taken_is_the_camera_clock_whatever_the_computers_time_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tz: str
) -> None:
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[36867] = "2021:07:04 18:30:00"
        path = make_photo(tmp_path / "dated.jpg", seed=2, exif=exif.tobytes())
        d = decode(path, None, want_thumbnail=False)
    finally:
        monkeypatch.undo()
        time.tzset()
    # Stored as the camera's wall clock read as UTC (what the preview shows back).
    assert d.taken_ms == int(datetime(2021, 7, 4, 18, 30, tzinfo=UTC).timestamp() * 1000)
    assert decode(make_photo(tmp_path / "undated.jpg", seed=3), None).taken_ms == 0


def test_transparent_png_is_seen_on_white_and_shown_on_a_checkerboard(tmp_path: Path) -> None:
    img = Image.new("RGBA", (100, 80), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle([30, 20, 70, 60], fill=(0, 0, 255, 255))
    img.save(tmp_path / "logo.png")
    spec = PixelSpec(size=32)
    d = decode(tmp_path / "logo.png", spec)
    # The thumbnail: a checkerboard where it is transparent (never a blank white cell).
    assert d.thumbnail is not None
    assert d.thumbnail.mode == "RGB"
    assert d.thumbnail.getpixel((2, 2)) == CHECKER[0]
    assert d.thumbnail.getpixel((2 + THUMB_CHECKER, 2)) == CHECKER[1]
    assert d.thumbnail.getpixel((50, 40)) == (0, 0, 255)
    # The model still sees it on white, as before (existing indexes stay comparable).
    on_white = Image.new("RGB", img.size, (255, 255, 255))
    on_white.paste(img, mask=img.getchannel("A"))
    on_white.save(tmp_path / "white.png")
    assert np.array_equal(d.pixels, decode(tmp_path / "white.png", spec).pixels)
    # The preview too shows the checkerboard.
    assert load_preview(tmp_path / "logo.png", 200).getpixel((1, 1)) in CHECKER


def test_16_bit_greyscale_is_scaled_to_visible_range(tmp_path: Path) -> None:
    ramp = np.tile(np.linspace(0, 4000, 64, dtype=np.uint16), (48, 1))  # a dim 12-bit scan
    Image.fromarray(ramp).save(tmp_path / "scan.png")
    d = decode(tmp_path / "scan.png", PixelSpec(size=32))
    assert d.thumbnail is not None
    assert max(d.thumbnail.getpixel((62, 24))) > 200  # the brightest end is bright, not black


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_bytes(b""), "empty file"),
        (lambda p: p.write_bytes(b"just some text"), "not an image"),
        (lambda p: p.write_bytes(make_photo(p, seed=4).read_bytes()[:3000]), "truncated"),
        (lambda p: p.mkdir(), "not a regular file"),
        (lambda p: None, "not found"),
        (lambda p: os.symlink(p.parent / "gone.jpg", p), "not found"),
    ],
    ids=["empty", "text", "truncated", "folder", "missing", "dangling-link"],
)
def test_unreadable_files_raise_decode_error_with_a_reason(tmp_path: Path, make, reason: str) -> None:
    path = tmp_path / "bad.jpg"
    make(path)
    with pytest.raises(DecodeError, match=reason):
        _index_decode(path)


def _index_decode(path: Path) -> None:
    """What indexing does to a file: refuse anything but a regular file, then decode."""
    check_regular_file(path)
    decode(path, PixelSpec(size=32))


def test_decompression_bomb_is_refused_without_decoding(tmp_path: Path, monkeypatch) -> None:
    path = make_photo(tmp_path / "huge.png", seed=5, size=(400, 300), fmt="PNG")
    monkeypatch.setattr(imaging, "MAX_PIXELS", 100_000)
    with pytest.raises(DecodeError, match="too many pixels"):
        decode(path, PixelSpec(size=32))


def test_big_images_that_cannot_shrink_while_decoding_are_decoded_one_at_a_time(
    tmp_path: Path, monkeypatch
) -> None:
    """The real gate (`imaging._BIG_DECODE`) holds every big pixel decode, one at a time.

    Pillow's own decode (`ImageFile.load` with tiles still to read) is watched: how many run at
    once, and whether the real gate is held while it runs (a non-blocking acquire must fail).
    """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from PIL import ImageFile

    watch_lock = threading.Lock()
    seen = {"inside": 0, "most": 0, "decodes": 0, "ungated": 0}
    real_load = ImageFile.ImageFile.load

    def watched_load(self: ImageFile.ImageFile):  # type: ignore[no-untyped-def]
        if not self.tile:  # already decoded: nothing to watch
            return real_load(self)
        gate_free = imaging._BIG_DECODE.acquire(blocking=False)
        if gate_free:
            imaging._BIG_DECODE.release()
        with watch_lock:
            seen["decodes"] += 1
            seen["ungated"] += gate_free
            seen["inside"] += 1
            seen["most"] = max(seen["most"], seen["inside"])
        try:
            time.sleep(0.05)  # long enough for the other threads to pile up at the gate
            return real_load(self)
        finally:
            with watch_lock:
                seen["inside"] -= 1

    monkeypatch.setattr(ImageFile.ImageFile, "load", watched_load)
    monkeypatch.setattr(imaging, "BIG_DECODE_PIXELS", 200_000)
    pngs = [make_photo(tmp_path / f"big{i}.png", seed=i, size=(600, 400), fmt="PNG") for i in range(4)]
    jpeg = make_photo(tmp_path / "big.jpg", seed=9, size=(2000, 1500))  # decoded at 1/4: small

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda p: decode(p, PixelSpec(size=32)), pngs))
    assert seen == {"inside": 0, "most": 1, "decodes": 4, "ungated": 0}

    decode(jpeg, PixelSpec(size=32))  # alone, so a free gate means it did not take it
    assert seen["decodes"] == 5
    assert seen["ungated"] == 1  # the JPEG: shrunk while decoding, it need not wait
