"""What a video costs to index, against a photo: a 1-minute 1080p clip and a 12 MP JPEG.

    python -m bench.video [--runs 5]

Each file goes through the indexer's own decode step (`core.pipeline.decode_one`: decode at
reduced size, the whole-content fingerprint, the thumbnail written), timed as the median of
`--runs`; the model's share is the number of images it embeds (1 for the photo, one per
sampled frame for the video) times the median time per image of ViT-B-32 (random weights;
speed does not depend on them) in batches of 32, at the precision InPhotos picks. The clip
is H.264 at 30 frames/s with a keyframe every second and ~16 Mbit/s (a phone's), made once
in bench/.data. Writes the `video` figures into bench/results.json and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.corpus import natural_image
from bench.report import record
from bench.run import DATA, b32_model

log = logging.getLogger("bench")


def make_clip(path: Path, seconds: int = 60, fps: int = 30, size: tuple[int, int] = (1920, 1080),
              grainy: bool = True) -> Path:
    """A phone-like clip: a natural-looking picture panned across, with grain in every frame.

    `grainy`: strong grain at a fixed 16 Mbit/s, the worst case (every keyframe ~0.9 MB);
    else light grain at x264's default quality (crf 23), keyframes nearer a phone's.
    """
    if path.exists():
        return path
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    scene = np.asarray(natural_image(7, (size[0] * 3 // 2, size[1] * 3 // 2)))
    rng = np.random.default_rng(0)
    level = 6 if grainy else 2
    grain = [rng.integers(-level, level + 1, (size[1], size[0], 3), dtype=np.int16) for _ in range(8)]
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        options = {"preset": "veryfast"} if grainy else {"preset": "veryfast", "crf": "23"}
        stream = out.add_stream("libx264", rate=fps, options=options)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        if grainy:
            stream.bit_rate = 16_000_000
        stream.codec_context.gop_size = fps
        n = seconds * fps
        for i in range(n):
            x = (scene.shape[1] - size[0]) * i // (n - 1)
            y = (scene.shape[0] - size[1]) * i // (n - 1)
            crop = scene[y : y + size[1], x : x + size[0]].astype(np.int16) + grain[i % len(grain)]
            frame = av.VideoFrame.from_ndarray(np.clip(crop, 0, 255).astype(np.uint8), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    tmp.rename(path)
    return path


def make_photo(path: Path) -> Path:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        natural_image(3).save(path, quality=90)
    return path


def decode_ms(path: Path, spec: Any, thumbs: Any, runs: int) -> tuple[float, int]:
    """Median ms of the indexer's decode step for `path`, and how many images it gives."""
    from inphotos.core.pipeline import decode_one
    from inphotos.core.plan import Work
    from inphotos.core.scanner import FileEntry

    st = path.stat()
    work = Work(FileEntry(str(path), st.st_size, st.st_mtime_ns), str(path.parent))
    times, images = [], 0
    for _ in range(runs + 1):  # the first run warms the page cache and the decoders
        t0 = time.perf_counter()
        d = decode_one(work, spec, thumbs)
        times.append((time.perf_counter() - t0) * 1000)
        if d.error:
            raise RuntimeError(f"{path}: {d.error}")
        images = len(d.frame_ms) if d.frame_ms else 1
    return statistics.median(times[1:]), images


def model_ms_per_image(runs: int) -> tuple[float, str]:
    from inphotos.ml.embedder import ClipEmbedder

    emb = ClipEmbedder(b32_model())
    x = np.random.default_rng(0).standard_normal((32, 3, 224, 224)).astype(np.float32)
    emb.encode_pixels(x)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        emb.encode_pixels(x)
        times.append((time.perf_counter() - t0) * 1000 / len(x))
    return statistics.median(times), emb.precision


def keyframe_kb(path: Path) -> float:
    """The mean size of the clip's keyframes (what each sample decodes), in KB."""
    import av

    with av.open(str(path)) as c:
        sizes = [p.size for p in c.demux(c.streams.video[0]) if p.is_keyframe and p.size]
    return round(statistics.mean(sizes) / 1000, 1)


def clip_row(name: str, clip: Path, spec: Any, thumbs: Any, runs: int, model_ms: float,
             photo_total: float) -> dict[str, Any]:
    from inphotos.core.imaging import fingerprint

    decode, frames = decode_ms(clip, spec, thumbs, runs)
    hashing = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fingerprint(clip, full=True)
        hashing.append((time.perf_counter() - t0) * 1000)
    total = decode + frames * model_ms
    return {"clip": name, "mb": round(clip.stat().st_size / 1e6, 1), "keyframe_kb": keyframe_kb(clip),
            "frames_embedded": frames, "decode_ms": round(decode, 1),
            "fingerprint_ms": round(statistics.median(hashing), 1), "total_ms": round(total, 1),
            "in_photos": round(total / photo_total, 1)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from inphotos.core.thumbs import ThumbnailCache
    from inphotos.ml.pixels import PixelSpec

    folder = DATA / "video"
    clips = [("grainy, 16 Mbit/s", make_clip(folder / "clip-1min-1080p.mp4")),
             ("light grain, crf 23", make_clip(folder / "clip-1min-1080p-typical.mp4", grainy=False))]
    photo = make_photo(folder / "photo-12mp.jpg")
    spec = PixelSpec()
    thumbs = ThumbnailCache(folder / "thumbs")
    model_ms, precision = model_ms_per_image(args.runs)
    photo_decode, _ = decode_ms(photo, spec, thumbs, args.runs)
    photo_total = photo_decode + model_ms
    try:
        load = round(os.getloadavg()[0], 1)
    except OSError:
        load = None
    video = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"), "runs": args.runs, "load": load,
        "model_ms_per_image": round(model_ms, 1), "model_precision": precision,
        "photo_mb": round(photo.stat().st_size / 1e6, 1),
        "photo_decode_ms": round(photo_decode, 1), "photo_total_ms": round(photo_total, 1),
        "clips": [clip_row(name, clip, spec, thumbs, args.runs, model_ms, photo_total)
                  for name, clip in clips],
    }
    log.info("%s", video)
    record({"video": video})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
