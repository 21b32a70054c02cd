"""`make soak`: index 20,000 small generated photos, then run 1,000 searches, watching memory.

    python -m bench.soak [--photos 20000] [--searches 1000] [--model SPEC] [--index-budget MB]
                         [--no-write]

The engine users run (`Library`: add a folder, `index()`, `search_text`, `similar_to_file`,
`similar_to_photos`) on a tiny open_clip model with random weights, made once as a `local-dir:`
model (`--model` takes any other spec), in a home of its own under bench/.data. Resident memory
is read from /proc/self/status every few hundred photos and every 50 searches. The run fails
(exit status 1) when a photo is skipped or missing, a search raises or comes back short, memory
grows while searching, or grows while indexing by more than the library's own data accounts
for (`--index-budget`, MB per 1,000 photos). Photos are generated once, under bench/.data.
Writes the `soak_*` figures into bench/results.json and the Soak section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import random
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench import corpus
from bench.report import load_results, save_results
from bench.run import DATA, machine, pct

log = logging.getLogger("bench.soak")

PHOTOS = DATA / "soak-photos"  # the library folder for the default 20,000; soak-photos-N for others
OUTSIDE = DATA / "soak-outside"  # images not in the library, for "find similar to a file"
HOME = DATA / "soak-home"
SIZES = [(320, 240), (400, 300), (480, 360), (512, 384), (640, 480), (240, 320), (360, 480), (480, 640)]
FOLDERS = ["2019/summer", "2019/winter", "2020", "2021/trip/day 1", "2021/trip/day 2", "2022/garden",
           "2023/Camera Uploads", "phone", "scans/old albums", "scans/new"]
SUBJECTS = ["dog", "cat", "red car", "birthday cake", "lighthouse", "mountain lake", "old bridge",
            "child on a swing", "plate of pasta", "city skyline", "sunflower field", "horse",
            "wedding dance", "receipt", "whiteboard", "sailing boat", "snowman", "forest path",
            "train station", "market stall", "grandparents", "fireworks", "beach", "garden"]
ARTICLES = ["a", "the", "my", "photo of a"]
SCENES = ["at sunset", "in the rain", "at night", "in winter", "on a summer day", "indoors",
          "from above", "close up", "in black and white", "blurry", "", "with friends"]
# Searching a library of a fixed size: flat means resident memory grows less than this after
# the first 100 searches.
FLAT_MB = 32.0
# Indexing: the library's data grows with it (ObjectBox keeps each photo's vector and graph
# links in memory and maps its file: ~2.3 MB per 1,000 photos at 32 dims, measured in isolation;
# ~7.6 at 512), so growth is judged per photo added. This budget is for the tiny model's 32-d
# vectors: keeping a thumbnail or a decoded image per photo would exceed it many times over;
# a leak of under ~1 KB per photo would not show.
INDEX_BUDGET_MB_PER_1K = 4.0


# --------------------------------------------------------------------------- memory


def proc_status() -> dict[str, float]:
    """VmRSS, RssAnon, RssFile, VmHWM (MB) and Threads of this process, from /proc."""
    wanted = {"VmRSS", "RssAnon", "RssFile", "VmHWM", "Threads"}
    out: dict[str, float] = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in wanted:
                n = int(value.split()[0])
                out[key] = n if key == "Threads" else round(n / 1024, 1)
    return out


def sample(at: int, t0: float) -> dict[str, float]:
    s = proc_status()
    return {"at": at, "s": round(time.perf_counter() - t0, 1), "rss_mb": s["VmRSS"],
            "anon_mb": s["RssAnon"], "file_mb": s["RssFile"], "threads": s["Threads"],
            "fds": len(os.listdir("/proc/self/fd")), "py_objects": len(gc.get_objects())}


def slope(samples: list[dict[str, float]], key: str = "rss_mb") -> float:
    """Least-squares growth of `key` per unit of `at`."""
    if len(samples) < 2:
        return 0.0
    return float(np.polyfit([s["at"] for s in samples], [s[key] for s in samples], 1)[0])


# --------------------------------------------------------------------------- data


def library_folder(n: int) -> Path:
    return PHOTOS if n == 20_000 else PHOTOS.with_name(f"soak-photos-{n}")


def make_photo(i: int, path: Path) -> None:
    """A small photo-like JPEG; some carry an EXIF date, some an EXIF rotation."""
    if path.exists():
        return
    rng = random.Random(i)
    img = corpus.natural_image(1_000_000 + i, rng.choice(SIZES))
    exif = Image.Exif()
    if i % 3 == 0:
        exif[306] = f"{2015 + i % 9}:{1 + i % 12:02d}:{1 + i % 28:02d} 12:{i % 60:02d}:00"
    if i % 7 == 0:
        exif[0x0112] = 6
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    img.save(tmp, "JPEG", quality=rng.randint(75, 95), exif=exif)
    tmp.replace(path)


def build_photos(n: int) -> list[Path]:
    """The library's photos and a few outside it, generated on every core (once)."""
    root = library_folder(n)
    marker = root / ".complete"
    if not marker.exists():
        t0 = time.perf_counter()
        wanted = [root / FOLDERS[i % len(FOLDERS)] / f"IMG_{i:05d}.jpg" for i in range(n)]
        with ProcessPoolExecutor(os.cpu_count() or 2) as pool:
            for done, _ in enumerate(pool.map(make_photo, range(n), wanted, chunksize=200), 1):
                if done % 2000 == 0:
                    log.info("photos: %d/%d", done, n)
        marker.touch()
        log.info("generated %d photos in %.0f s", n, time.perf_counter() - t0)
    for j in range(10):
        make_photo(900_000 + j, OUTSIDE / f"outside_{j}.jpg")
    files = sorted(root.rglob("*.jpg"))
    assert len(files) == n, f"{root} holds {len(files)} photos, expected {n}: delete it and rerun"
    return files


def tiny_model() -> str:
    from inphotos.ml.tiny_model import make_tiny_model

    folder = DATA / "soak-tiny-model"
    if not (folder / "open_clip_pytorch_model.bin").exists():
        make_tiny_model(folder, seed=0)
    return f"local-dir:{folder}"


# --------------------------------------------------------------------------- the soak


def index_phase(lib: Any, every: int, t0: float) -> tuple[Any, list[dict[str, float]]]:
    """Index the library, sampling memory every `every` photos while it runs."""
    from inphotos.records import IndexProgress

    samples = [sample(0, t0)]
    mark = [every]

    def progress(p: IndexProgress) -> None:
        if p.phase == "embedding" and p.done >= mark[0]:
            samples.append(sample(p.done, t0))
            mark[0] += every
            if p.done % (every * 10) < every:
                log.info("indexed %d/%d, %.0f photos/s, RSS %.0f MB", p.done, p.total, p.rate,
                         samples[-1]["rss_mb"])

    return lib.index(progress=progress), samples


def search_phase(lib: Any, files: list[Path], n: int, every: int) -> dict[str, Any]:
    """`n` searches of every kind a user makes; each must return a full page of results."""
    rng = random.Random(7)
    outside = sorted(OUTSIDE.glob("*.jpg"))
    ids = lib.browse_ids()
    t0 = time.perf_counter()
    samples = [sample(0, t0)]
    times: dict[str, list[float]] = {"text": [], "similar_file": [], "similar_ids": [], "outside_file": []}
    errors: list[str] = []
    short = 0
    for i in range(1, n + 1):
        k, offset = rng.choice([(50, 0), (50, 0), (50, 50), (100, 0), (200, 0)])
        roll = rng.random()
        if roll < 0.6:
            kind = "text"
            query = f"{rng.choice(ARTICLES)} {rng.choice(SUBJECTS)} {rng.choice(SCENES)}".strip()
            call = partial(lib.search_text, query, k=k, offset=offset)
        elif roll < 0.8:
            kind = "similar_file"
            call = partial(lib.similar_to_file, rng.choice(files), k=k, offset=offset)
        elif roll < 0.95:
            kind = "similar_ids"
            chosen = rng.sample(ids, rng.choice([1, 1, 2, 5]))
            call = partial(lib.similar_to_photos, chosen, k=k, offset=offset)
        else:
            kind = "outside_file"
            call = partial(lib.similar_to_file, rng.choice(outside), k=k, offset=offset)
        t = time.perf_counter()
        try:
            hits = call()
        except Exception as e:  # counted and reported: the soak keeps going
            errors.append(f"{kind}: {type(e).__name__}: {e}")
            continue
        times[kind].append((time.perf_counter() - t) * 1000)
        if len(hits) < k:
            short += 1
            log.warning("%s search %d returned %d of %d", kind, i, len(hits), k)
        if i % every == 0:
            samples.append(sample(i, t0))
        if i % 200 == 0:
            log.info("searches: %d/%d, RSS %.0f MB", i, n, samples[-1]["rss_mb"])
    return {"samples": samples, "times": times, "errors": errors, "short": short}


def release_freed_memory() -> None:
    """Hand memory that is free but kept by glibc back to the OS (shows what is really in use)."""
    gc.collect()
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)


def figures(args: argparse.Namespace, spec: str, files: list[Path]) -> dict[str, Any]:
    from inphotos.core.library import Library
    from inphotos.paths import use_home

    paths = use_home(HOME).ensure()  # the compile cache and verdicts land here too
    shutil.rmtree(paths.databases, ignore_errors=True)
    shutil.rmtree(paths.thumbnails, ignore_errors=True)
    lib = Library(paths, spec)
    t0 = time.perf_counter()
    lib.embedder  # noqa: B018 - load the model first, as the app does
    r: dict[str, Any] = {"soak_rss_model_loaded_mb": proc_status()["VmRSS"]}
    lib.add_folder(library_folder(len(files)))
    report, isamples = index_phase(lib, args.sample_every, t0)
    after_index = sample(report.embedded, t0)  # the decoding threads have ended
    warm = [s for s in isamples if s["at"] >= args.warmup]
    thumbs = sum(1 for f in paths.thumbnails.rglob("*.jpg") if not f.name.startswith("."))
    in_store, kept_skipped = lib.store.count(), len(lib.store.skipped())
    rescan = lib.index()
    r.update({
        "soak_photos": len(files),
        "soak_indexed": report.embedded,
        "soak_in_store": in_store,
        "soak_thumbnails": thumbs,
        "soak_skipped": len(report.skipped) + kept_skipped,
        "soak_skipped_examples": report.skipped[:5],
        "soak_rescan_embedded": rescan.embedded + len(rescan.skipped),
        "soak_index_s": round(report.elapsed_s, 1),
        "soak_index_img_per_s": round(report.rate, 1),
        "soak_warmup_photos": args.warmup,
        "soak_rss_index_warm_mb": warm[0]["rss_mb"],
        "soak_rss_index_end_mb": warm[-1]["rss_mb"],
        "soak_rss_index_growth_mb": round(max(s["rss_mb"] for s in warm) - warm[0]["rss_mb"], 1),
        "soak_rss_index_slope_mb_per_1k": round(slope(warm) * 1000, 2),
        "soak_anon_index_slope_mb_per_1k": round(slope(warm, "anon_mb") * 1000, 2),
        "soak_file_index_slope_mb_per_1k": round(slope(warm, "file_mb") * 1000, 2),
        "soak_rss_after_index_mb": after_index["rss_mb"],
    })
    s = search_phase(lib, files, args.searches, 50)
    ssamples = s["samples"]
    swarm = [x for x in ssamples if x["at"] >= 100]
    r["soak_rss_end_mb"] = proc_status()["VmRSS"]
    release_freed_memory()
    r["soak_rss_end_after_malloc_trim_mb"] = proc_status()["VmRSS"]
    lib.close()
    release_freed_memory()
    r["soak_rss_after_close_mb"] = proc_status()["VmRSS"]
    every_ms = [t for ts in s["times"].values() for t in ts]
    r.update({
        "soak_searches": args.searches,
        "soak_searches_by_kind": {k: len(v) for k, v in s["times"].items()},
        "soak_search_errors": len(s["errors"]),
        "soak_search_error_examples": s["errors"][:5],
        "soak_searches_short": s["short"],
        "soak_search_ms_p50": round(pct(every_ms, 50), 2),
        "soak_search_ms_p95": round(pct(every_ms, 95), 2),
        "soak_search_ms_max": round(max(every_ms), 2),
        "soak_search_ms_p50_by_kind": {k: round(pct(v, 50), 2) for k, v in s["times"].items() if v},
        "soak_rss_search_warm_mb": swarm[0]["rss_mb"],
        "soak_rss_search_end_mb": swarm[-1]["rss_mb"],
        "soak_rss_search_growth_mb": round(max(x["rss_mb"] for x in swarm) - swarm[0]["rss_mb"], 1),
        "soak_rss_search_slope_mb_per_100": round(slope(swarm) * 100, 2),
        "soak_rss_peak_mb": proc_status()["VmHWM"],
        "soak_index_samples": isamples,
        "soak_search_samples": ssamples,
    })
    # The library's own data grows with it (vectors and graph kept in memory by ObjectBox, its
    # file mapped): indexing is judged by memory per photo added, searching by any growth at all.
    r["soak_index_budget_mb_per_1k"] = args.index_budget
    r["soak_rss_flat"] = (r["soak_rss_index_slope_mb_per_1k"] <= args.index_budget
                          and r["soak_rss_search_growth_mb"] < FLAT_MB)
    r["soak_all_searches_returned"] = not s["errors"] and s["short"] == 0
    r["soak_nothing_skipped"] = (r["soak_skipped"] == 0 and r["soak_indexed"] == r["soak_in_store"]
                                 == r["soak_thumbnails"] == len(files) and r["soak_rescan_embedded"] == 0)
    r["soak_passed"] = r["soak_rss_flat"] and r["soak_all_searches_returned"] and r["soak_nothing_skipped"]
    return r


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--photos", type=int, default=20_000)
    p.add_argument("--searches", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=2000, help="photos indexed before memory should be flat")
    p.add_argument("--sample-every", type=int, default=500, help="photos between memory samples")
    p.add_argument("--index-budget", type=float, default=INDEX_BUDGET_MB_PER_1K,
                   help="most memory growth allowed while indexing, MB per 1,000 photos after warm-up "
                   "(4 suits the tiny model's 32-d vectors; allow ~10 for a 512-d --model)")
    p.add_argument("--model", default="", help="model spec (default: a tiny random-weight open_clip)")
    p.add_argument("--no-write", action="store_true", help="print the figures, write no files")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    files = build_photos(args.photos)
    spec = args.model or tiny_model()
    r = figures(args, spec, files)
    r["soak_model"] = "tiny random-weight open_clip (inphotos.ml.tiny_model)" if not args.model else spec
    r["soak_machine"] = machine()
    r["soak_command"] = " ".join(["python -m bench.soak", *sys.argv[1:]])
    summary = {k: v for k, v in r.items() if not k.endswith("_samples")}
    print(json.dumps(summary, indent=1))
    if not args.no_write:
        results = {k: v for k, v in load_results().items() if not k.startswith("soak_")} | r
        save_results(results)
        log.info("wrote bench/results.json and docs/benchmarks.md")
    log.info("soak %s", "passed" if r["soak_passed"] else "FAILED")
    return 0 if r["soak_passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
