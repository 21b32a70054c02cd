"""`make bench-instant`: InPhotos from cold, side by side with rclip, on this machine.

    python -m bench.instant [--runs 7] [--photos 200] [--rclip PATH]

Measures, in one run so the figures share the machine's load: a command-line text search
from process start to printed results, InPhotos (no app running) and rclip alternately; the
same search while the app is open (answered by the app); how soon after its window appears
the app answers a text search; the warm text-query time through each path (ONNX text tower,
torch with and without OMP_WAIT_POLICY=PASSIVE). rclip 3.3's model files are made with
random weights (bench/rclip_models.py); it is found on PATH, as $RCLIP or with --rclip.
Writes the figures into bench/results.json and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import compileall
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.report import load_results, save_results
from bench.run import DATA, QUERIES, ROOT, b32_model, machine

log = logging.getLogger("bench")
PY = sys.executable


def make_photos(folder: Path, n: int) -> Path:
    """`n` small photo-like JPEGs (what is searched does not matter for these timings)."""
    import numpy as np
    from PIL import Image

    if folder.exists() and len(list(folder.glob("*.jpg"))) == n:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:480, 0:640].astype(np.float32)
    for i in range(n):
        base, g = rng.random(3) * 255, rng.random((2, 3)) * 2 - 1
        img = base + xx[..., None] * g[0] * 0.4 + yy[..., None] * g[1] * 0.5
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(folder / f"p{i:04d}.jpg", quality=90)
    return folder


def timed(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=600)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"{command[:4]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def warm_query_ms(spec: str, home: Path) -> dict[str, float]:
    """Median warm text-query times (ms), each path in a fresh process of its own."""
    code = r'''
import os, statistics, sys, time, json
from pathlib import Path
mode, spec, home, queries = sys.argv[1], sys.argv[2], Path(sys.argv[3]), json.loads(sys.argv[4])
if mode == "onnx":
    from inphotos.core.library import Library
    from inphotos.paths import app_paths
    lib = Library(app_paths(home), spec)
    assert lib.load_text_tower()
    enc = lib.text_encoder()
    fn = lambda q: enc.encode_text([q])
else:
    from inphotos.ml.embedder import ClipEmbedder
    emb = ClipEmbedder(spec, precision="fp32", compile_images=False)
    fn = lambda q: emb.encode_text([q])
for q in queries[:3]:
    fn(q)
times = []
for _ in range(3):
    for q in queries:
        t0 = time.perf_counter(); fn(q); times.append((time.perf_counter() - t0) * 1000)
print(json.dumps(statistics.median(times)))
'''
    out: dict[str, float] = {}
    base = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    for name, mode, env in (
        ("text_query_ms_onnx", "onnx", base),
        ("text_query_ms_torch_fp32", "torch", {**base, "OMP_WAIT_POLICY": "ACTIVE"}),
        ("text_query_ms_torch_fp32_passive", "torch", {**base, "OMP_WAIT_POLICY": "PASSIVE"}),
    ):
        done = subprocess.run([PY, "-c", code, mode, spec, str(home), json.dumps(QUERIES)],
                              capture_output=True, text=True, env={**env, "PYTHONPATH": str(ROOT)},
                              cwd=ROOT, timeout=600, check=True)
        out[name] = round(float(done.stdout.strip().splitlines()[-1]), 1)
    return out


BARE_WINDOW = """
import sys
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1200, 800)
window.show()
QTimer.singleShot(0, lambda: (print("window-shown", flush=True), window.close()))
app.exec()
"""


def _until_shown(command: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env, cwd=ROOT)
    assert proc.stdout is not None
    shown = None
    for line in proc.stdout:
        if "window-shown" in line and shown is None:
            shown = time.perf_counter() - t0
    proc.wait(timeout=60)
    if shown is None:
        raise RuntimeError(f"{command[:3]} never showed its window")
    return shown


def window_start(spec: str, home: Path, runs: int) -> dict[str, Any]:
    """Process start to the app's window on screen (its event loop running), and the same for
    a bare PyQt6 window in the same venv, alternately: the floor no Qt app goes below."""
    env = {**os.environ, "INPHOTOS_STARTUP_PROBE": "1", "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT)}
    app, bare = [], []
    for _ in range(runs):
        app.append(_until_shown([PY, "-m", "inphotos", "--home", str(home), "--model", spec], env))
        bare.append(_until_shown([PY, "-c", BARE_WINDOW], env))
    return {"app_window_s": round(statistics.median(app), 3),
            "app_window_s_runs": [round(x, 3) for x in app],
            "bare_qt_window_s": round(statistics.median(bare), 3)}


def app_running(spec: str, home: Path, runs: int, loaded_before: int) -> dict[str, float]:
    """Start the app; time until it answers a text search, then CLI searches it answers."""
    from inphotos import ipc
    from inphotos.paths import app_paths

    env = {**os.environ, "INPHOTOS_STARTUP_PROBE": "stay", "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT)}
    app = subprocess.Popen([PY, "-m", "inphotos", "--home", str(home), "--model", spec],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    result: dict[str, float] = {}
    try:
        assert app.stdout is not None
        for line in app.stdout:
            if "window-shown" in line:
                break
        shown = time.perf_counter()
        data = app_paths(home).data
        from inphotos.records import SearchRequest

        # What `inphotos search` sends (cli/commands.py), everything ranked (random weights).
        request = {"op": "search", "request": SearchRequest(text=QUERIES[0], include_weaker=True).to_json(),
                   "image_path": None, "model": spec, "k": 10, "offset": 0}
        while time.perf_counter() - shown < 300:
            answer = ipc.ask(data, request)
            if answer and answer.get("ok"):
                break
            if answer and str(answer.get("error", "")).startswith("Bad request"):
                raise RuntimeError(f"the app refused the bench's request: {answer['error']}")
            time.sleep(0.05)
        result["model_ready_after_window_s"] = round(time.perf_counter() - shown, 2)
        logs = app_paths(home).logs
        while time.perf_counter() - shown < 300:  # the full model (for indexing) loads behind
            text = "".join(p.read_text(errors="replace") for p in logs.glob("*.log*"))
            if text.count(f"Loaded model {spec}") > loaded_before:
                break
            time.sleep(0.2)
        result["full_model_loaded_after_window_s"] = round(time.perf_counter() - shown, 2)
        times, bare = [], []
        for q in QUERIES[:runs]:  # with a bare interpreter's start alternately: the floor
            times.append(timed([PY, "-m", "inphotos", "--home", str(home), "--model", spec, "search", q,
                                "-k", "10", "--all"], env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT))
            bare.append(timed([PY, "-c", "print(1)"], cwd=ROOT))
        result["cli_search_app_running_s"] = round(statistics.median(times), 3)
        result["python_bare_start_s"] = round(statistics.median(bare), 3)
    finally:
        app.terminate()
        app.wait(timeout=60)
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--photos", type=int, default=200)
    p.add_argument("--rclip", default=os.environ.get("RCLIP") or shutil.which("rclip") or "")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    # As every start after the first (and any installed copy): the bytecode is cached.
    compileall.compile_dir(ROOT / "inphotos", quiet=1)
    spec = b32_model()
    photos = make_photos(DATA / "instant-photos", args.photos)
    home = DATA / "instant-home"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("INPHOTOS_HOME", None)
    r: dict[str, Any] = {}
    t0 = time.perf_counter()
    subprocess.run([PY, "-m", "inphotos", "--home", str(home), "--model", spec, "index", str(photos)],
                   check=True, env=env, cwd=ROOT, capture_output=True)
    log.info("indexed %d photos (and exported the text tower) in %.1f s",
             args.photos, time.perf_counter() - t0)
    search = [PY, "-m", "inphotos", "--home", str(home), "--model", spec, "search"]
    rclip_env = None
    if args.rclip:
        from bench import rclip_models

        datadir = rclip_models.make(DATA / "rclip")
        rclip_env = {**os.environ, "RCLIP_DATADIR": str(datadir), "HF_HUB_OFFLINE": "1"}
        subprocess.run([args.rclip, "-t", "1", "x"], check=True, env=rclip_env, cwd=photos,
                       capture_output=True)  # rclip indexes the folder it runs in
    ours, theirs = [], []
    for i in range(args.runs):  # alternately, so both see the same load
        q = QUERIES[i % len(QUERIES)]
        ours.append(timed([*search, q, "-k", "10", "--all"], env=env, cwd=ROOT))
        if rclip_env is not None:
            theirs.append(timed([args.rclip, "-n", "-t", "10", q], env=rclip_env, cwd=photos))
    r["cli_search_cold_s"] = round(statistics.median(ours), 3)
    r["cli_search_cold_s_runs"] = [round(x, 2) for x in ours]
    if theirs:
        r["rclip_search_cold_s"] = round(statistics.median(theirs), 3)
        r["rclip_search_cold_s_runs"] = [round(x, 2) for x in theirs]
        r["cli_search_cold_over_rclip"] = round(r["cli_search_cold_s"] / r["rclip_search_cold_s"], 2)
    log.info("cold: %s", r)
    r.update(warm_query_ms(spec, home))
    log.info("warm queries: %s", r)
    logs = home / "logs"
    loaded_before = sum(p.read_text(errors="replace").count(f"Loaded model {spec}")
                        for p in logs.glob("*.log*"))
    r.update(window_start(spec, home, args.runs))
    log.info("window: %s", r)
    r.update(app_running(spec, home, args.runs, loaded_before))
    log.info("app: %s", r)
    results = load_results()
    results.setdefault("machine", machine())
    results["instant"] = {**r, "date": machine()["date"], "photos": args.photos, "runs": args.runs,
                          "load_average": round(os.getloadavg()[0], 1)}
    save_results(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
