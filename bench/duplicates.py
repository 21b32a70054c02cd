"""Duplicates at scale (by hand; not part of `make bench`'s default parts).

    python -m bench.duplicates [--n 100000] [--groups-of 1000000]

1. Incremental detection: a library of `n` clustered CLIP-like vectors (bench/vectors.py)
   is written in batches of 32 as the indexer writes them, and after each batch every photo
   asks the HNSW index for its neighbours and stores its pairs (`core.duplicates.link_photos`,
   exactly what the indexer calls). 2 % of the photos get near-duplicate copies (cosine
   distance 0.001-0.008 from their original) and 0.5 % an exact copy (same fingerprint). The
   cost per photo is compared with the time indexing takes per photo (bench/results.json's
   `index_e2e_img_per_s`, the 12 MP corpus end to end).
2. The Duplicates view's data: the groups read from the pairs and the records of the
   largest 200 groups (what the window shows first), and the grid's stack map. Its cost
   depends on how many photos are in groups, not on how many photos the library has, so
   `--groups-of N` builds the pairs and records a library of N photos would hold with the same
   duplicate rates (2.5 % of N photos with a copy) and measures the read on them.

Figures are medians; they are written to bench/results.json and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.vectors import ClusteredVectors

log = logging.getLogger("bench.duplicates")
ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
BATCH = 32
NEAR_RATE = 0.02
EXACT_RATE = 0.005


def _record(i: int, vec: np.ndarray, fingerprint: str) -> Any:
    from inphotos.records import PhotoRecord

    return PhotoRecord(path=f"/bench/lib/{i // 1000:04d}/{i:07d}.jpg", folder="/bench/lib",
                       size=3_000_000 + i % 1000, mtime_ns=i, fingerprint=fingerprint,
                       width=4000, height=3000, taken_ms=1_000_000_000_000 + i * 1000, embedding=vec)


def _stream(n: int, vectors: ClusteredVectors) -> Any:
    """(vector, fingerprint) of photos 0..n-1, with near and exact copies mixed in."""
    rng = np.random.default_rng(7)
    made = 0
    start = 0
    while made < n:
        vecs = vectors.batch(start, 1000)
        start += 1000
        for v in vecs:
            if made >= n:
                return
            fp = f"{made:x}:{made:x}"
            yield v, fp
            made += 1
            r = rng.random()
            if r < NEAR_RATE and made < n:
                noise = rng.standard_normal(v.shape).astype(np.float32)
                noise /= np.linalg.norm(noise)
                d = rng.uniform(0.001, 0.008)  # cosine distance ~ |delta|^2 / 2
                w = v + noise * np.sqrt(2 * d)
                yield (w / np.linalg.norm(w)).astype(np.float32), f"near{made:x}:{made:x}"
                made += 1
            elif r < NEAR_RATE + EXACT_RATE and made < n:
                yield v, fp
                made += 1


def bench_incremental(n: int, results: dict[str, Any]) -> None:
    from inphotos.core.duplicates import link_photos
    from inphotos.db.store import PhotoStore, WriteBatch

    folder = DATA / f"dups-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    vectors = ClusteredVectors()
    store = PhotoStore(folder, vectors.dims, "bench")
    store.put_folder("/bench/lib")
    write_s: list[float] = []
    link_s: list[float] = []
    link_cpu: list[float] = []
    batch: list[Any] = []
    t0 = time.perf_counter()
    for i, (v, fp) in enumerate(_stream(n, vectors), 1):
        batch.append(_record(i, v, fp))
        if len(batch) == BATCH:
            t = time.perf_counter()
            store.write(WriteBatch(photos=batch))
            t1 = time.perf_counter()
            c1 = time.process_time()
            link_photos(store, batch)
            link_cpu.append(time.process_time() - c1)
            write_s.append(t1 - t)
            link_s.append(time.perf_counter() - t1)
            batch = []
            if i % 10_000 < BATCH:
                log.info("%d written (%.0f/s)", i, i / (time.perf_counter() - t0))
    tail = link_s[len(link_s) // 2 :]  # the second half: the library already large
    per_photo_ms = statistics.median(tail) / BATCH * 1000
    e2e = results.get("index_e2e_img_per_s") or 17.5
    index_ms = 1000 / float(e2e)
    key = _size(n)
    results[f"dups_link_ms_per_photo_{key}"] = round(per_photo_ms, 3)
    cpu_ms = statistics.median(link_cpu[len(link_cpu) // 2 :]) / BATCH * 1000
    results[f"dups_link_cpu_ms_per_photo_{key}"] = round(cpu_ms, 3)
    write_ms = statistics.median(write_s[len(write_s) // 2 :]) / BATCH * 1000
    results[f"dups_write_ms_per_photo_{key}"] = round(write_ms, 3)
    results[f"dups_link_share_of_indexing_{key}"] = round(per_photo_ms / index_ms, 4)
    results[f"dups_links_{key}"] = store.link_count()
    _bench_view(store, key, results)
    store.close()


def bench_groups_of(n: int, results: dict[str, Any]) -> None:
    """The pairs and group records a library of `n` photos holds, and the view's read of them."""
    from inphotos.db.store import Link, PhotoStore, WriteBatch

    folder = DATA / f"dups-groups-{n}"
    vectors = ClusteredVectors()
    originals = int(n * (NEAR_RATE + EXACT_RATE))
    if folder.exists():  # built by an earlier run: measure again without writing it again
        store = PhotoStore(folder, vectors.dims, "bench")
        if store.count() == 2 * originals:
            _bench_view(store, _size(n), results)
            results[f"dups_group_photos_{_size(n)}"] = store.count()
            store.close()
            return
        store.close()
        shutil.rmtree(folder)
    store = PhotoStore(folder, vectors.dims, "bench")
    store.put_folder("/bench/lib")
    rng = np.random.default_rng(3)
    written = 0
    for start in range(0, originals, 2000):
        count = min(2000, originals - start)
        vecs = vectors.batch(start, count)
        recs = []
        for j, v in enumerate(vecs):
            recs.append(_record(2 * (start + j), v, f"{start + j:x}:o"))
            recs.append(_record(2 * (start + j) + 1, v, f"{start + j:x}:c"))
        store.write(WriteBatch(photos=recs))
        links = [Link(recs[k].id, recs[k + 1].id, float(rng.uniform(0, 0.008)))
                 for k in range(0, len(recs), 2)]
        store.replace_links([], links)
        written += len(recs)
        log.info("groups-of %d: %d photos in groups written", n, written)
    _bench_view(store, _size(n), results)
    results[f"dups_group_photos_{_size(n)}"] = written
    store.close()


def _bench_view(store: Any, key: str, results: dict[str, Any]) -> None:
    from inphotos.core.duplicates import find_groups, stack_map

    view: list[float] = []
    view_cpu: list[float] = []
    stacks: list[float] = []
    for _ in range(7):
        t, c = time.perf_counter(), time.process_time()
        groups = find_groups(store, limit=200)
        view.append(time.perf_counter() - t)
        view_cpu.append(time.process_time() - c)
        t = time.perf_counter()
        stack_map(store)
        stacks.append(time.perf_counter() - t)
    results[f"dups_view_open_ms_{key}"] = round(statistics.median(view) * 1000, 1)
    results[f"dups_view_open_cpu_ms_{key}"] = round(statistics.median(view_cpu) * 1000, 1)
    results[f"dups_stack_map_ms_{key}"] = round(statistics.median(stacks) * 1000, 1)
    results["dups_load_average"] = round(os.getloadavg()[0], 1)
    results[f"dups_groups_shown_{key}"] = len(groups)
    log.info("%s: view %.0f ms, stacks %.0f ms", key, statistics.median(view) * 1000,
             statistics.median(stacks) * 1000)


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.duplicates")
    parser.add_argument("--n", type=int, default=100_000, help="library size for the incremental run")
    parser.add_argument("--groups-of", type=int, default=1_000_000,
                        help="library size whose groups the view reads")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from bench.report import load_results, save_results

    results = load_results()
    given = argv if argv is not None else sys.argv[1:]
    results["dups_command"] = " ".join(["python -m bench.duplicates", *given])
    if args.n:
        bench_incremental(args.n, results)
    if args.groups_of:
        bench_groups_of(args.groups_of, results)
    save_results(results)
    print(json.dumps({k: v for k, v in results.items() if k.startswith("dups_")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
