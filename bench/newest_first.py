"""How soon a person who adds a big folder can search their newest photos (part of #14).

    python -m bench.newest_first [--photos 10000] [--first 1000] [--runs 3]

A folder of `photos` small JPEGs whose file times are spread over five years at random (so
the newest are not simply the last files written) is added to a fresh library, and indexed
with ViT-B-32's architecture (random weights, the app's own fast path). The clock runs from
the start of the index run (the scan included) until the `first` newest photos are all in
the index, searchable; the run is then cancelled (the rest would follow in the app). After
each run the script checks that exactly those photos are the ones stored.

`first_1000_newest_searchable_s` goes into bench/results.json and docs/benchmarks.md, with
the time the same machine took per photo, so the figure reads against this machine's speed.
`--baseline` also times, in the same session, runs that compile the image tower before the
first photo (what indexing did before the compile waited for the newest photos), as
`..._compile_first_s`: the two runs alternate so that both see the same machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.run import DATA, ROOT, b32_model

log = logging.getLogger("bench.newest_first")
YEAR_S = 365 * 24 * 3600


def make_folder(n: int) -> Path:
    """`n` 640×480 JPEGs (bench.instant's) with file times spread over five years."""
    from bench.instant import make_photos

    folder = make_photos(DATA / f"newest-{n}", n)
    rng = np.random.default_rng(7)  # the same times every run
    now = time.time()
    for path in sorted(folder.glob("*.jpg")):
        t = now - float(rng.random()) * 5 * YEAR_S
        os.utime(path, (t, t))
    return folder


def newest(folder: Path, first: int) -> set[str]:
    files = sorted(folder.glob("*.jpg"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    return {str(p) for p in files[:first]}


def one_run(spec: str, folder: Path, first: int, compile_first: bool = False) -> dict[str, Any]:
    from inphotos.core.control import Control
    from inphotos.core.library import Library
    from inphotos.ml import embedder, fast
    from inphotos.paths import use_home
    from inphotos.records import IndexProgress

    embedder.EAGER_FIRST_PHOTOS = 0 if compile_first else fast.EAGER_FIRST_PHOTOS
    with tempfile.TemporaryDirectory() as home:
        lib = Library(use_home(home).ensure(), spec)
        lib.embedder  # noqa: B018 - the model loads first, as in the app (measured apart)
        lib.add_folder(str(folder))
        control = Control()
        marks: dict[str, float] = {}
        t0 = time.perf_counter()

        def progress(p: IndexProgress) -> None:
            if p.phase == "embedding" and "embedding" not in marks:
                marks["embedding"] = time.perf_counter() - t0  # the scan is over
            if p.phase == "embedding" and p.done >= first and "searchable" not in marks:
                marks["searchable"] = time.perf_counter() - t0
                control.cancel()

        lib.index(progress=progress, control=control)
        stored = {r.path for r in lib.store.all_photos()}
        lib.close()
    missing = newest(folder, first) - stored
    if missing:
        raise RuntimeError(f"{len(missing)} of the {first} newest photos were not indexed first")
    return {"searchable_s": marks["searchable"], "scan_s": marks.get("embedding", 0.0),
            "stored": len(stored)}


def in_new_process(args: argparse.Namespace, *extra: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.newest_first", "--one-run", "--photos", str(args.photos),
               "--first", str(args.first), *extra]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--photos", type=int, default=10_000)
    p.add_argument("--first", type=int, default=1000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--baseline", action="store_true", help="also time compile-first runs")
    p.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--compile-first", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    spec = b32_model()
    folder = make_folder(args.photos)
    if args.one_run:  # a run in a process of its own: no compiled graph left from an earlier one
        print(json.dumps(one_run(spec, folder, args.first, args.compile_first)))
        return 0
    runs, baseline = [], []
    for _ in range(args.runs):
        runs.append(in_new_process(args))
        if args.baseline:
            baseline.append(in_new_process(args, "--compile-first"))
    log.info("runs: %s; compile first: %s", runs, baseline)
    key = f"first_{args.first}_newest_searchable_s"
    out = {
        key: round(statistics.median(r["searchable_s"] for r in runs), 1),
        "newest_first_runs": [round(r["searchable_s"], 1) for r in runs],
        "newest_first_scan_s": round(statistics.median(r["scan_s"] for r in runs), 1),
        "newest_first_library": args.photos,
        "newest_first_load": round(os.getloadavg()[0], 1),
    }
    if baseline:
        out[f"first_{args.first}_newest_searchable_compile_first_s"] = round(
            statistics.median(r["searchable_s"] for r in baseline), 1)
        out["newest_first_compile_first_runs"] = [round(r["searchable_s"], 1) for r in baseline]
    from bench.report import record

    record(out)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
