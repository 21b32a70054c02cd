"""One end-to-end indexing run in its own process, so its peak memory can be measured.

    python -m bench.index_e2e HOME MODEL_SPEC CORPUS [--naive N] [--precision fp32]

Prints one JSON line: photos embedded, seconds, photos/s and peak RSS in MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import threading
import time
from pathlib import Path


def index_run(home: str, model: str, corpus: str, precision: str = "auto") -> dict[str, float]:
    from inphotos.core.library import Library
    from inphotos.paths import use_home

    paths = use_home(home).ensure()
    shutil.rmtree(paths.databases, ignore_errors=True)
    shutil.rmtree(paths.thumbnails, ignore_errors=True)
    lib = Library(paths, model, precision=precision)
    lib.embedder  # noqa: B018 - load the model before the clock starts, as the app does
    lib.add_folder(corpus)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:  # resident memory while indexing, every 50 ms
        while not done.wait(0.05):
            peak[0] = max(peak[0], rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    report = lib.index()
    elapsed = time.perf_counter() - t0
    done.set()
    sampler.join()
    lib.close()
    return {"embedded": report.embedded, "skipped": len(report.skipped), "seconds": elapsed,
            "img_per_s": report.embedded / elapsed, "indexing_rss_mb": peak[0]}


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def naive_run(model: str, corpus: str, count: int) -> dict[str, float]:
    """rclip/aptl3-style: full decode, open_clip's preprocess, one image at a time, fp32."""
    import torch
    from PIL import Image

    from inphotos.ml.embedder import ClipEmbedder

    emb = ClipEmbedder(model, precision="fp32", compile_images=False)
    files = sorted(Path(corpus).rglob("*.jpg"))[:count]
    t0 = time.perf_counter()
    with torch.inference_mode():
        for f in files:
            with Image.open(f) as im:
                x = emb.reference_preprocess(im.convert("RGB")).unsqueeze(0)
            v = emb.model.encode_image(x)
            torch.nn.functional.normalize(v, dim=-1)
    elapsed = time.perf_counter() - t0
    return {"embedded": len(files), "seconds": elapsed, "img_per_s": len(files) / elapsed}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("home")
    p.add_argument("model")
    p.add_argument("corpus")
    p.add_argument("--naive", type=int, default=0)
    p.add_argument("--precision", default="auto", help="auto (bf16 where it is faster), fp32, bf16")
    args = p.parse_args()
    out = naive_run(args.model, args.corpus, args.naive) if args.naive else index_run(
        args.home, args.model, args.corpus, args.precision)
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
