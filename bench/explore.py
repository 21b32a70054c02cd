"""Explore at scale: how fast the page opens, what counting the categories costs, and what
scoring adds to indexing. Writes bench/results.json ("explore") and docs/benchmarks.md.

    python -m bench.explore [--sizes 100000,1000000] [--stored 20000] [--runs 7]

Vectors are the clustered CLIP-like ones of bench/vectors.py; the categories are 326
directions drawn like its queries (near clusters, as real category prompts sit near the photos
they describe), with the library's calibrated cut-off (core/relevance.py) measured as the app
does. The library database holds `--stored` photos (inserting runs at ~150-300 vectors/s on
this machine's 2 shared cores, so a real 1M store does not fit a session); the categories
are counted over every one of the `--sizes` vectors, and the page is opened over that state
(what the page reads does not grow with the library: the stored state, ~1 MB for any size,
the store's count and one record per tile). Counting again reads every vector from the
store; its cost at each size is the measured read cost per vector times the size, plus the
measured scoring of that many vectors.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from typing import Any

import numpy as np

from bench.report import load_results, record
from bench.run import BATCH, b32_model, scale_library
from bench.vectors import ClusteredVectors

log = logging.getLogger("bench.explore")


def _key(n: int) -> str:
    return {10_000: "10k", 100_000: "100k", 1_000_000: "1M"}.get(n, str(n))


def _scales(vectors: ClusteredVectors, n: int, categories: np.ndarray) -> Any:
    """The categories' cut-offs as the app measures them: a 2000-photo background sample and
    the noise level of generic captions' best photo over the whole library."""
    from inphotos.core.categories import Scales
    from inphotos.core.relevance import SAMPLE_SIZE, calibrate

    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(n, min(n, SAMPLE_SIZE), replace=False))
    sample = np.concatenate([vectors.batch(int(r), 1) for r in rows])
    # "a photo", "an image": CLIP-like (the shared direction) but near no cluster in particular.
    common = vectors.centres.mean(axis=0)
    noise = np.random.default_rng(1234).standard_normal((8, vectors.dims)).astype(np.float32)
    captions = common / np.linalg.norm(common) + 0.8 * noise / np.linalg.norm(noise, axis=1, keepdims=True)
    captions = (captions / np.linalg.norm(captions, axis=1, keepdims=True)).astype(np.float32)
    best = np.full(len(captions), -2.0, np.float32)
    for start in range(0, n, 50_000):
        best = np.maximum(best, (vectors.batch(start, min(50_000, n - start)) @ captions.T).max(axis=0))
    calibration = calibrate(captions, sample, lambda v: float(best[int(np.argmax(captions @ v))]), n)
    return Scales.measure(categories, sample, calibration)


def bench_size(lib: Any, n: int, runs: int, out: dict[str, Any]) -> None:
    """Count `n` clustered vectors into categories; open the page over that state."""
    from PyQt6.QtWidgets import QApplication

    from inphotos.core.library import Library
    from inphotos.ui.explore import ExploreModel
    from inphotos.workers.explore import ExploreTile

    key = _key(n)
    vectors = ClusteredVectors()
    cats = lib.categories
    categories = vectors.queries(len(cats.vocabulary), seed=7)
    scales = _scales(vectors, n, categories)
    from inphotos.records import Filters

    stored_ids = np.asarray(lib.store.ids_matching(Filters()), np.int64)
    stored = len(stored_ids)

    def chunks():  # the state of n photos, over the store's ids (which hold `stored` rows)
        for start in range(0, n, 20_000):
            count = min(20_000, n - start)
            yield stored_ids[np.arange(start, start + count) % stored], vectors.batch(start, count)

    t0 = time.perf_counter()
    cats.build(scales, chunks())
    scoring_s = time.perf_counter() - t0
    gen_t0 = time.perf_counter()
    for _ in chunks():
        pass
    scoring_s -= time.perf_counter() - gen_t0  # drawing the vectors is not scoring
    cats._state.photos = stored
    cats.save()
    tiles = cats.tiles()
    out[f"categories_shown_{key}"] = len(tiles)
    out[f"median_photos_per_category_{key}"] = int(statistics.median(t.count for t in tiles)) if tiles else 0
    out[f"scoring_s_{key}"] = round(scoring_s, 2)

    app = QApplication.instance() or QApplication([])
    paths, spec = lib.paths, lib.spec.text
    lib.close()
    cold, warm = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        again = Library(paths, spec)  # a fresh start: the state is read from its file
        page = again.explore()
        model = ExploreModel()
        model.set_tiles([ExploreTile(t.category.key, t.category.name, t.count, r) for t, r in page.tiles])
        app.processEvents()
        cold.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        page = again.explore()
        model.set_tiles([ExploreTile(t.category.key, t.category.name, t.count, r) for t, r in page.tiles])
        warm.append((time.perf_counter() - t0) * 1000)
        assert page.state == "ready", page.state
        assert page.tiles
        again.close()
    out[f"open_cold_ms_{key}"] = round(statistics.median(cold), 1)
    out[f"open_ms_{key}"] = round(statistics.median(warm), 1)
    log.info("explore %s: %s", key, {k: v for k, v in out.items() if k.endswith(key)})


def bench_read_and_indexing(lib: Any, out: dict[str, Any], batches: int = 60) -> None:
    """What counting again reads (per vector), and what the per-batch scoring adds to writing."""
    from inphotos.db.store import WriteBatch
    from inphotos.records import Filters, PhotoRecord

    ids = lib.store.ids_matching(Filters())
    per = []
    for start in range(0, min(len(ids), 20_000), 2000):
        t0 = time.perf_counter()
        lib.store.embeddings(ids[start : start + 2000])
        per.append((time.perf_counter() - t0) / 2000 * 1e6)
    out["read_vector_us"] = round(statistics.median(per), 1)

    cats = lib.categories
    vectors = ClusteredVectors(seed=5)
    hook_ms, write_ms = [], []
    added: list[int] = []
    for b in range(batches):
        vecs = vectors.batch(b * BATCH, BATCH)
        batch = WriteBatch(photos=[PhotoRecord(
            path=f"/bench/new/{b:04d}/{i:02d}.jpg", folder="/bench/photos", size=1000 + i, mtime_ns=b,
            fingerprint=f"{b:016x}{i:016x}", width=4000, height=3000, taken_ms=1, embedding=v)
            for i, v in enumerate(vecs)])
        assert cats.current(lib.store.count())
        t0 = time.perf_counter()
        token = cats.before_write(lib.store, batch)
        t1 = time.perf_counter()
        lib.store.write(batch)
        t2 = time.perf_counter()
        cats.after_write(lib.store, token, batch)
        t3 = time.perf_counter()
        hook_ms.append((t1 - t0 + t3 - t2) * 1000)
        added += [r.id for r in batch.photos]
        write_ms.append((t2 - t1) * 1000)
    lib.store.write(WriteBatch(remove_photo_ids=added))  # the stored library as it was
    out["scoring_per_batch_ms"] = round(statistics.median(hook_ms), 2)
    out["write_per_batch_ms"] = round(statistics.median(write_ms), 2)
    previous = load_results()
    for name, rate_key in (("cpu", "index_e2e_img_per_s"), ("gpu", "gpu_index_e2e_img_per_s")):
        rate = previous.get(rate_key)
        if rate:
            batch_ms = BATCH / float(rate) * 1000
            share = 100 * out["scoring_per_batch_ms"] / batch_ms
            out[f"scoring_share_of_indexing_{name}_pct"] = round(share, 3)
    # The products only (no store count): what one batch's scoring costs in itself.
    state = cats._state
    from inphotos.core.categories import _count

    t = []
    for b in range(200):
        vecs = vectors.batch(10_000 + b * BATCH, BATCH)
        t0 = time.perf_counter()
        _count(state, np.arange(1, BATCH + 1), vecs, +1)
        t.append((time.perf_counter() - t0) * 1000)
    out["product_per_batch_ms"] = round(statistics.median(t), 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--stored", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    spec = b32_model()
    sizes = [int(s) for s in args.sizes.split(",")]
    out: dict[str, Any] = {"stored": args.stored, "sizes": sizes, "runs": args.runs,
                           "date": time.strftime("%Y-%m-%d"),
                           "load_average": round(os.getloadavg()[0], 1)}
    lib, _ = scale_library(spec, args.stored, ClusteredVectors())
    lib.want_categories()
    cats = lib.categories
    vectors = ClusteredVectors()
    cats.build(_scales(vectors, args.stored, vectors.queries(len(cats.vocabulary), seed=7)),
               lib._vector_chunks())
    t0 = time.perf_counter()
    bench_read_and_indexing(lib, out)
    log.info("read and indexing figures in %.0f s: %s", time.perf_counter() - t0, out)
    lib.close()
    for n in sizes:
        lib, _ = scale_library(spec, args.stored, ClusteredVectors())
        bench_size(lib, n, args.runs, out)
    for n in sizes:
        key = _key(n)
        out[f"recount_s_{key}"] = round(n * out["read_vector_us"] / 1e6 + out[f"scoring_s_{key}"], 1)
    record({"explore": out})
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
