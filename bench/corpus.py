"""The benchmark's photos: 12-megapixel JPEGs with natural-looking content, plus PNG and HEIC.

Content is fractal noise (several octaves, like terrain, foliage or clouds) under a random
palette with soft lighting and a few shapes, so JPEG encodes and decodes like a real photo
(a flat colour would decode unrealistically fast). Files are made once and reused.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw

log = logging.getLogger(__name__)

SIZE = (4000, 3000)


def natural_image(seed: int, size: tuple[int, int] = SIZE) -> Image.Image:
    """A photo-like picture: multi-octave noise, a palette, a light gradient, shapes, grain."""
    rng = np.random.default_rng(seed)
    w, h = size
    bw, bh = w // 4, h // 4  # texture is built at quarter size, then scaled up with fine grain
    field = np.zeros((bh, bw), np.float32)
    amplitude = 1.0
    for octave in range(8):
        cells = 3 * 2**octave
        small = rng.random((max(2, cells * bh // bw), cells)).astype(np.float32)
        layer = Image.fromarray((small * 255).astype(np.uint8)).resize((bw, bh), Image.Resampling.BICUBIC)
        field += amplitude * (np.asarray(layer, np.float32) / 255.0)
        amplitude *= 0.6
    field = (field - field.min()) / (np.ptp(field) + 1e-6)
    palette = rng.random((4, 3)).astype(np.float32) * 255
    t = field * 2.999
    i = t.astype(np.int32)
    frac = (t - i)[..., None]
    rgb = palette[i] * (1 - frac) + palette[i + 1] * frac
    rgb *= np.linspace(0.6, 1.2, bh, dtype=np.float32)[:, None, None]
    base = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(base)
    for _ in range(int(rng.integers(2, 6))):
        x, y = int(rng.integers(0, bw)), int(rng.integers(0, bh))
        r = int(rng.integers(bh // 20, bh // 6))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    img = base.resize((w, h), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((w, h), 10).convert("RGB")  # sensor noise and fine detail
    return ImageChops.add(img, grain, scale=1.0, offset=-128)


def build(folder: Path, jpegs: int = 500, pngs: int = 10, heics: int = 10) -> list[Path]:
    """Make the corpus in `folder` (files already there are kept); returns every file."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted: list[tuple[Path, str]] = [(folder / f"jpeg/{i:04d}.jpg", "JPEG") for i in range(jpegs)]
    wanted += [(folder / f"png/{i:03d}.png", "PNG") for i in range(pngs)]
    wanted += [(folder / f"heic/{i:03d}.heic", "HEIF") for i in range(heics)]
    if any(fmt == "HEIF" for _, fmt in wanted):
        import pillow_heif

        pillow_heif.register_heif_opener()
    for n, (path, fmt) in enumerate(wanted):
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        img = natural_image(n)
        tmp = path.with_suffix(".tmp")
        if fmt == "JPEG":
            img.save(tmp, fmt, quality=90)
        elif fmt == "PNG":
            img.save(tmp, fmt, compress_level=1)
        else:
            img.save(tmp, fmt, quality=85)
        tmp.replace(path)
        if n % 50 == 0:
            log.info("corpus: %d/%d", n, len(wanted))
    return [p for p, _ in wanted]
