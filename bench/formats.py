"""`python -m bench.formats`: decode time of a 12 MP HEIC and a 24 MP camera RAW, by path.

    python -m bench.formats [--runs 7] [--files 3]

HEIC: iPhone-like files (4032×3024, a 320×240 thumbnail stored beside the picture, as an
iPhone stores it) decoded for indexing (model input 224 and the grid thumbnail) from the
stored thumbnail (now) and from the primary image (before: what every HEIC cost), with the
cosine between the two paths' ViT-B-32 embeddings (random weights, the same for both).
RAW: 6000×4000 DNGs (tests/dng.py) with a full-size JPEG preview, as cameras write them,
decoded from the preview (now), from the sensor at half size (a RAW without a usable preview),
and fully demosaiced by LibRaw at full size (what a RAW developer does first).
Writes the medians into bench/results.json and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.corpus import natural_image
from bench.report import record
from bench.run import DATA, b32_model

log = logging.getLogger("bench")
HEIC_SIZE = (4032, 3024)
RAW_SIZE = (6000, 4000)


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def heic_files(n: int) -> list[Path]:
    import pillow_heif

    pillow_heif.register_heif_opener()
    folder = DATA / "formats"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"iphone_{i}.heic"
        if not path.exists():  # made once (minutes each), then reused; whole or not at all
            tmp = path.with_suffix(".tmp")
            natural_image(900 + i, HEIC_SIZE).save(tmp, format="HEIF", quality=85, thumbnails=[320])
            tmp.replace(path)
        paths.append(path)
    return paths


def raw_files(n: int) -> list[Path]:
    from PIL import Image

    from tests.dng import write_dng

    folder = DATA / "formats"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"camera_{i}.dng"
        if not path.exists():
            scene = natural_image(950 + i, RAW_SIZE)
            write_dng(path.with_suffix(".tmp"), np.asarray(scene), preview=Image.fromarray(np.asarray(scene)))
            path.with_suffix(".tmp").replace(path)
        paths.append(path)
    return paths


def measure(runs: int, files: int) -> dict[str, Any]:
    import rawpy

    from inphotos.core import heic, raw
    from inphotos.core.imaging import PixelSpec, decode
    from inphotos.ml.embedder import ClipEmbedder

    spec = PixelSpec(size=224)
    out: dict[str, Any] = {"runs": runs, "files": files}
    real_thumbnail = heic.open_thumbnail
    heics = heic_files(files)
    now, before = [], []
    for p in heics:
        now.append(_median_ms(lambda p=p: decode(p, spec), runs))
        heic.open_thumbnail = lambda *a: None  # type: ignore[assignment]  # the path before
        try:
            before.append(_median_ms(lambda p=p: decode(p, spec), runs))
        finally:
            heic.open_thumbnail = real_thumbnail
    out["heic_thumbnail_ms"] = round(statistics.median(now), 1)
    out["heic_full_decode_ms"] = round(statistics.median(before), 1)
    emb = ClipEmbedder(b32_model(), device="cpu", precision="fp32")
    cosines = []
    for p in heics:
        fast = decode(p, emb.pixel_spec).pixels
        heic.open_thumbnail = lambda *a: None  # type: ignore[assignment]
        try:
            full = decode(p, emb.pixel_spec).pixels
        finally:
            heic.open_thumbnail = real_thumbnail
        a, b = emb.encode_pixels(np.stack([fast, full]))  # type: ignore[list-item]
        cosines.append(float(a @ b))
    out["heic_cosine_min"] = round(min(cosines), 4)

    raws = raw_files(files)
    real_preview = raw._preview
    preview_ms, half_ms, full_ms = [], [], []
    for p in raws:
        preview_ms.append(_median_ms(lambda p=p: decode(p, spec), runs))
        raw._preview = lambda *a: None  # type: ignore[assignment]  # a RAW without a preview
        try:
            half_ms.append(_median_ms(lambda p=p: decode(p, spec), runs))
        finally:
            raw._preview = real_preview

        def develop(p: Path = p) -> None:
            with rawpy.imread(str(p)) as r:
                r.postprocess(use_camera_wb=True, output_bps=8)

        full_ms.append(_median_ms(develop, max(3, runs // 2)))
    out["raw_preview_ms"] = round(statistics.median(preview_ms), 1)
    out["raw_half_size_ms"] = round(statistics.median(half_ms), 1)
    out["raw_full_demosaic_ms"] = round(statistics.median(full_ms), 1)
    out["load_1min"] = round(os.getloadavg()[0], 1)  # a shared machine inflates every figure
    out["cores"] = os.cpu_count()
    out["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
    out["command"] = "python -m bench.formats " + " ".join(sys.argv[1:])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.formats")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--files", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    figures = measure(args.runs, args.files)
    log.info("%s", figures)
    record({"formats": figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
