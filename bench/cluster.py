"""`make bench-cluster`: indexing through a local Ray cluster against local indexing.

    python -m bench.cluster [--photos 200] [--runs 3] [--cpus N] [--batch 8]

In one run, so the figures share the machine's load: the same photos indexed into a fresh
library locally, and through a Ray head started here on 127.0.0.1 (N CPU workers, default all
cores) in both read modes (shared: the workers read the files; send: this process sends
them). ViT-B-32 with random weights (speed does not depend on the weight values). Runs
alternate; medians. Each run counts from the start of indexing to the last batch written:
locally with the model loaded already (as in the app), through the cluster with its workers'
start and model load (a cluster run pays them every run); "steady" counts from the first
batch written to the last. Writes bench/results.json ("cluster") and
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.instant import make_photos
from bench.report import load_results, save_results
from bench.run import DATA, ROOT, b32_model, machine
from inphotos.core.pipeline import BACKGROUND_NICENESS

log = logging.getLogger("bench")


def start_head(cpus: int) -> tuple[subprocess.Popen[bytes], str, str]:
    """A Ray head on 127.0.0.1 in its own process group; (process, address, temp folder)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = open(Path(tmp) / "head.log", "wb")  # noqa: SIM115 - the head writes it while it runs
    proc = subprocess.Popen(
        # At the priority local indexing runs at (core/pipeline.py), so neither side gets more
        # of a busy machine's cores than the other.
        ["nice", "-n", str(BACKGROUND_NICENESS), str(Path(sys.executable).parent / "ray"), "start",
         "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}", f"--num-cpus={cpus}",
         "--num-gpus=0", f"--temp-dir={tmp}", "--include-dashboard=false", "--disable-usage-stats"],
        env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    while b"Ray runtime started" not in (Path(tmp) / "head.log").read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((Path(tmp) / "head.log").read_text(errors="replace"))
        time.sleep(0.2)
    return proc, f"127.0.0.1:{port}", tmp


def stop_head(proc: subprocess.Popen[bytes], tmp: str) -> None:
    try:
        os.killpg(proc.pid, signal.SIGINT)  # `ray start --block` stops its processes on Ctrl-C
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    shutil.rmtree(tmp, ignore_errors=True)


def index_once(photos: Path, model: str, cluster: Any, work: Path, batch: int) -> dict[str, float]:
    """Index `photos` into a fresh library; seconds in all and photos/s once batches flow."""
    from inphotos.core.library import Library
    from inphotos.paths import app_paths
    from inphotos.records import IndexProgress

    home = app_paths(work / "home").ensure()
    marks: list[tuple[float, int]] = []  # (when, photos done) at each batch written

    def progress(p: IndexProgress) -> None:
        if p.phase == "embedding" and p.done:
            marks.append((time.perf_counter(), p.done))

    with Library(home, model, precision="fp32", batch_size=batch) as lib:
        lib.cluster = cluster
        lib.add_folder(photos)
        if cluster is None:  # loaded already, as in the app; a cluster starts its workers each run
            _ = lib.embedder
        t0 = time.perf_counter()
        report = lib.index(progress=progress)
        total = time.perf_counter() - t0
        engine = report.engine
    # A fresh index next time; the cache (the text tower exported once) stays.
    shutil.rmtree(home.data, ignore_errors=True)
    shutil.rmtree(home.thumbnails, ignore_errors=True)
    assert report.embedded == len(list(photos.glob("*.jpg"))), report.summary()
    (t_first, n_first), (t_last, n_last) = marks[0], marks[-1]
    steady = (n_last - n_first) / (t_last - t_first) if t_last > t_first else 0.0
    log.info("%s: %.1f s, steady %.1f photos/s", engine or "local", total, steady)
    return {"s": total, "per_s": report.embedded / total, "steady_per_s": steady}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cpus", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--batch", type=int, default=8, help="photos per batch (enough batches for 'steady')")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from inphotos.core import cluster as cluster_mod
    from inphotos.records import ClusterOptions

    photos = make_photos(DATA / f"cluster-photos-{args.photos}", args.photos)
    model = b32_model()
    proc, address, tmp = start_head(args.cpus)
    kinds = {"local": None, "shared": ClusterOptions(address, "shared"),
             "send": ClusterOptions(address, "send")}
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    try:
        with tempfile.TemporaryDirectory(prefix="inphotos-bench-cluster-") as work:
            for _ in range(args.runs):
                for kind, options in kinds.items():
                    runs[kind].append(index_once(photos, model, options, Path(work), args.batch))
    finally:
        cluster_mod.disconnect()
        stop_head(proc, tmp)
    r: dict[str, Any] = {
        "photos": args.photos, "runs": args.runs, "cpus": args.cpus, "batch": args.batch,
        "date": time.strftime("%Y-%m-%d"), "load_average": round(os.getloadavg()[0], 1),
        "command": f"make bench-cluster BENCH_ARGS='--photos {args.photos} --runs {args.runs} "
                   f"--cpus {args.cpus} --batch {args.batch}'",
    }
    for kind, rows in runs.items():
        for key in ("s", "per_s", "steady_per_s"):
            r[f"{kind}_{key}"] = round(statistics.median(x[key] for x in rows), 2)
    results = load_results()
    results["cluster"] = r
    results.setdefault("machine", machine())
    save_results(results)
    log.info("cluster: %s", r)


if __name__ == "__main__":
    main()
