"""Filtered, cut-off and date-ordered search at scale (part "filters" of `make bench`).

    python -m bench.filters [--n 100000] [--partial-of 1000000]

`--partial-of M` measures the library being built for M photos (bench/.data/filters-M) at the
size it has reached, without inserting: for a run that could not build M in time.

A library of `n` clustered CLIP-like vectors (bench/vectors.py) with photo dates spread over
20 years, 50 library folders of two subfolders each, three file types and three
orientations. Queries are vectors (the text model's ~12 ms is measured in bench/run.py) and
the relevance cut-off is calibrated with the library's shared direction (plus noise) standing
in for generic captions.
Recall@10 compares the filtered search with exact search over the same filtered set.
The timeline's first screen is timed in a freshly opened store: cold (the photo columns read
from the database) and from the columns' snapshot that the previous close saved.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.vectors import ClusteredVectors

log = logging.getLogger("bench.filters")
ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
YEAR_MS = 365 * 24 * 3600 * 1000
T0 = 1_000_000_000_000  # 2001
FOLDERS = 50
EXTS = ("jpg", "heic", "png")
SIZES = ((4000, 3000), (3000, 4000), (3000, 3000))


def attributes(n: int) -> dict[str, np.ndarray]:
    """Dates, folder, subfolder, type and orientation of photos 0..n-1 (the same every run)."""
    rng = np.random.default_rng(42)
    return {
        "taken": T0 + rng.integers(0, 20 * YEAR_MS, n),
        "folder": rng.integers(0, FOLDERS, n),
        "sub": rng.integers(0, 2, n),
        "ext": rng.choice(3, n, p=[0.7, 0.2, 0.1]),
        "shape": rng.choice(3, n, p=[0.6, 0.3, 0.1]),
    }


def library(n: int, vectors: ClusteredVectors, insert: bool = True) -> Any:
    """The bench library of `n` photos, built once under bench/.data and reused (`insert`
    False: as far as it was built)."""
    from inphotos.db.store import PhotoStore, WriteBatch
    from inphotos.records import PhotoRecord

    store = PhotoStore(DATA / f"filters-{n}", vectors.dims, "bench")
    a = attributes(n)
    have = store.count()
    if not insert:
        return store
    if len(store.folders()) < FOLDERS:
        for f in range(FOLDERS):
            store.put_folder(f"/bench/lib/{f:02d}")
    t0 = time.perf_counter()
    for start in range(have, n, 5000):
        count = min(5000, n - start)
        vecs = vectors.batch(start, count)
        store.write(WriteBatch(photos=[
            PhotoRecord(
                path=f"/bench/lib/{a['folder'][i]:02d}/{'ab'[a['sub'][i]]}/{i:07d}.{EXTS[a['ext'][i]]}",
                folder=f"/bench/lib/{a['folder'][i]:02d}", size=1, mtime_ns=1, fingerprint=f"{i:x}",
                width=SIZES[a["shape"][i]][0], height=SIZES[a["shape"][i]][1],
                taken_ms=int(a["taken"][i]), embedding=vecs[i - start],
            ) for i in range(start, start + count)
        ]))
        log.info("filters %d: %d inserted (%.0f/s)", n, start + count,
                 (start + count - have) / (time.perf_counter() - t0))
    return store


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def _first_screen(path: Path, dims: int) -> float:
    """ms to open the store and show the timeline's first screen: all ids newest first and
    the first 200 records (what the app does at start)."""
    from inphotos.db.store import PhotoStore

    store = PhotoStore(path, dims, "bench")
    try:
        t0 = time.perf_counter()
        first = store.ids_newest_first()
        store.get_photos(first[:200])
        return (time.perf_counter() - t0) * 1000
    finally:
        store.close()


def _size_key(n: int) -> str:
    named = {10_000: "10k", 20_000: "20k", 50_000: "50k", 100_000: "100k", 1_000_000: "1M"}
    return named.get(n, f"{n // 1000}k" if n % 1000 == 0 else str(n))


def bench_filters(n: int, results: dict[str, Any], queries: int = 40, partial_of: int = 0) -> None:
    from inphotos.core.relevance import calibrate, scale_for
    from inphotos.core.search import ranked, search
    from inphotos.db.store import COLUMNS_FILE
    from inphotos.records import Filters

    vectors = ClusteredVectors()
    built = partial_of or n
    path = DATA / f"filters-{built}"
    library(built, vectors, insert=not partial_of).close()
    (path / COLUMNS_FILE).unlink(missing_ok=True)
    cold = _first_screen(path, vectors.dims)  # columns read from the database; saved at close
    screens = [_first_screen(path, vectors.dims) for _ in range(5)]  # from the snapshot
    store = library(built, vectors, insert=False)
    if partial_of:
        n = store.count()
    key = _size_key(n)
    results[f"browse_first_screen_cold_ms_{key}"] = round(cold, 1)
    results[f"browse_first_screen_ms_{key}"] = round(pct(screens, 50), 1)
    a = {name: values[:n] for name, values in attributes(built).items()}
    all_vecs = np.concatenate([vectors.batch(s, min(5000, n - s)) for s in range(0, n, 5000)])
    ids = np.arange(1, n + 1)  # rows were inserted in order into a new database
    sample = all_vecs[np.random.default_rng(0).choice(n, min(2000, n), replace=False)]
    best = lambda v: ranked(store, v, 1)[0][1]  # noqa: E731
    # Generic captions point at what all photos share, not at any cluster.
    common = vectors.centres.mean(axis=0)
    noise = np.random.default_rng(5).standard_normal((8, vectors.dims)) * (0.8 / np.sqrt(vectors.dims))
    captions = (common + noise) / np.linalg.norm(common + noise, axis=1, keepdims=True)
    calibration = calibrate(captions.astype(np.float32), sample, best, n)
    year = T0 + 7 * YEAR_MS
    cases = {
        "year": (Filters(after_ms=year, before_ms=year + YEAR_MS),
                 (a["taken"] >= year) & (a["taken"] < year + YEAR_MS)),
        "folder": (Filters(folder="/bench/lib/07"), a["folder"] == 7),
        "subfolder": (Filters(folder="/bench/lib/07/b"), (a["folder"] == 7) & (a["sub"] == 1)),
    }
    qs = vectors.queries(queries, seed=123)
    t0 = time.perf_counter()  # the first filtered search reads every vector into memory (int8)
    search(store, qs[0], 50, scale=scale_for(qs[0], sample, calibration), filters=cases["year"][0])
    results[f"filter_first_search_ms_{key}"] = round((time.perf_counter() - t0) * 1000, 1)
    results[f"columns_memory_mb_{key}"] = round(store.columns_memory() / 2**20, 1)
    for name, (filters, mask) in cases.items():
        results[f"filter_{name}_fraction_{key}"] = round(float(mask.mean()), 4)
        for q in qs[:3]:
            search(store, q, 50, scale=scale_for(q, sample, calibration), filters=filters)  # warm
        ms, cpu, found = [], [], 0
        for q in qs:
            t0, c0 = time.perf_counter(), time.process_time()
            search(store, q, 50, scale=scale_for(q, sample, calibration), filters=filters)
            ms.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            top = {i for i, _ in ranked(store, q, 10, filters)}
            scores = all_vecs[mask] @ q
            exact = set(ids[mask][np.argsort(-scores)[:10]].tolist())
            found += len(top & exact)
        results[f"filter_{name}_ms_p50_{key}"] = round(pct(ms, 50), 2)
        results[f"filter_{name}_ms_p95_{key}"] = round(pct(ms, 95), 2)
        results[f"filter_{name}_cpu_ms_p50_{key}"] = round(pct(cpu, 50), 2)
        results[f"filter_{name}_recall_at_10_{key}"] = round(found / (10 * len(qs)), 4)
    ms, cpu, shown = [], [], []
    for q in qs:
        t0, c0 = time.perf_counter(), time.process_time()
        r = search(store, q, 50, scale=scale_for(q, sample, calibration), sort="date")
        ms.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        shown.append(r.matched)
    results[f"date_order_ms_p50_{key}"] = round(pct(ms, 50), 2)
    results[f"date_order_ms_p95_{key}"] = round(pct(ms, 95), 2)
    results[f"date_order_cpu_ms_p50_{key}"] = round(pct(cpu, 50), 2)
    results[f"cutoff_matches_median_{key}"] = int(np.median(shown))
    ms = []
    for _ in range(5):
        t0 = time.perf_counter()
        first = store.ids_newest_first()
        store.get_photos(first[:200])
        ms.append((time.perf_counter() - t0) * 1000)
    results[f"browse_ids_and_first_page_ms_{key}"] = round(pct(ms, 50), 1)
    ms, cpu = [], []
    for back in range(10):  # the newest page, then pages 2, 4, ... 18 years back
        before = (int(T0 + (20 - 2 * back) * YEAR_MS), 0) if back else None
        t0, c0 = time.perf_counter(), time.process_time()
        store.newest_page(200, before)
        ms.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    results[f"timeline_page_ms_p50_{key}"] = round(pct(ms, 50), 1)
    results[f"timeline_page_ms_p95_{key}"] = round(pct(ms, 95), 1)
    results[f"timeline_page_cpu_ms_p50_{key}"] = round(pct(cpu, 50), 1)
    results[f"filters_load_average_{key}"] = round(os.getloadavg()[0], 1)
    log.info("filters %s: %s", key, {k: v for k, v in results.items() if k.endswith(key)})
    store.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--partial-of", type=int, default=0,
                   help="measure the library built for this many photos as far as it got")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    DATA.mkdir(parents=True, exist_ok=True)
    from bench.report import load_results, save_results

    results = load_results()
    bench_filters(args.n, results, partial_of=args.partial_of)
    save_results(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
