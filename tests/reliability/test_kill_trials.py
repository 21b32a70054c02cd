"""`kill -9`s of `inphotos index`, each at a different moment of a run with every kind of
change to do (new, edited, touched, moved, copied and deleted photos). As many as fit in half
the test's time limit (at least MIN_TRIALS, at most MAX_TRIALS), so a slow or busy machine runs
fewer kills instead of timing out; the number that ran is reported.

After each kill the database opens, holds no duplicate or half-written row, and every vector
has the right length and is finite; the thumbnail cache holds no truncated file. After the
last one, a plain run ends with exactly the photos on disk, each with its own vector.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from inphotos.core.imaging import decode
from inphotos.core.library import Library
from inphotos.paths import HOME_ENV, AppPaths, app_paths
from tests.conftest import make_photo
from tests.helpers import check_library_consistent, reap

MIN_TRIALS = 8
MAX_TRIALS = 20
#: The kills may use this share of the test's time limit; the rest is for setting up and for
#: the final run and its checks.
KILL_SHARE = 0.5
START_PHOTOS = 160
SIZE = (640, 480)


def _thumb_files(paths: AppPaths) -> list[Path]:
    return [p for p in paths.thumbnails.glob("*/*") if p.is_file()]


def _mutate(folder: Path, rng: random.Random, trial: int) -> None:
    """Give the next run some of every kind of work."""
    photos = sorted(folder.rglob("*.jpg"))
    rng.shuffle(photos)
    for i in range(14):  # new photos
        make_photo(folder / f"t{trial % 3}" / f"new-{trial:02d}-{i}.jpg", seed=10_000 + trial * 100 + i,
                   size=SIZE)
    for p in photos[:3]:  # edited: new content, new size and mtime
        make_photo(p, seed=20_000 + trial * 10 + photos.index(p) % 10, size=(SIZE[0] - 2 * trial, SIZE[1]))
    for p in photos[3:5]:  # touched: same content, new mtime
        os.utime(p, ns=(time.time_ns(), time.time_ns()))
    for p in photos[5:8]:  # deleted
        p.unlink()
    for j, p in enumerate(photos[8:11]):  # moved to another folder and renamed
        dest = folder / "moved" / f"m-{trial:02d}-{j}.jpg"
        dest.parent.mkdir(exist_ok=True)
        os.rename(p, dest)
    p = photos[11]  # copied
    (folder / "copies").mkdir(exist_ok=True)
    (folder / "copies" / f"c-{trial:02d}.jpg").write_bytes(p.read_bytes())


def _time_limit(config: pytest.Config) -> float:
    """The test's time limit in seconds (pytest-timeout's --timeout or ini `timeout`)."""
    for value in (config.getoption("timeout", None), config.getini("timeout")):
        if value:
            return float(value)
    return 300.0


def _kill_at_some_point(cmd: list[str], env: dict[str, str], paths: AppPaths, rng: random.Random,
                        trial: int, latest: float) -> tuple[bool, str]:
    """Run `cmd` and kill -9 it; returns (killed while running, where)."""
    thumbs_before = len(_thumb_files(paths))
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        if trial % 4 == 0:  # a moment anywhere from start-up through the scan and the first batches
            delay = rng.uniform(0.05, 2.5)
            where = f"{delay:.2f} s after start"
            deadline = time.monotonic() + delay
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
        else:  # a moment in the middle of embedding: after k more photos were decoded
            k = rng.randint(0, 16)
            where = f"after {k} new thumbnails"
            deadline = min(time.monotonic() + 120, max(latest, time.monotonic() + 5))
            while proc.poll() is None and time.monotonic() < deadline:
                if len(_thumb_files(paths)) >= thumbs_before + k:
                    break
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.05))
        running = proc.poll() is None
        if running:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    finally:
        reap(proc)
    assert running or proc.returncode == 0, f"trial {trial}: indexing failed on its own: {err}"
    return running, where


@pytest.mark.slow
def test_kills_at_different_moments_lose_and_double_nothing(
    tmp_path: Path, tiny_model: str, tiny_embedder, request: pytest.FixtureRequest
) -> None:
    kills_end = time.monotonic() + KILL_SHARE * _time_limit(request.config)
    rng = random.Random(20261124)
    folder = tmp_path / "photos"
    for i in range(START_PHOTOS):
        make_photo(folder / f"t{i % 3}" / f"p{i:03d}.jpg", seed=i, size=SIZE)
    home = tmp_path / "home"
    paths = app_paths(home)
    env = {k: v for k, v in os.environ.items() if k != HOME_ENV}
    cmd = [sys.executable, "-m", "inphotos", "--home", str(home), "--model", tiny_model,
           "--precision", "fp32", "--batch-size", "8", "--workers", "2", "index", str(folder)]

    killed_mid_run = []
    trials = 0
    while trials < MAX_TRIALS and (trials < MIN_TRIALS or time.monotonic() < kills_end):
        if trials:
            _mutate(folder, rng, trials)
        running, where = _kill_at_some_point(cmd, env, paths, rng, trials, kills_end)
        trials += 1
        if running:
            killed_mid_run.append(where)
        # The dead process's lock went with it: the library opens at once, and is consistent
        # (rows of photos deleted before the kill wait for the next run to remove them).
        with Library(paths, model=tiny_model, embedder_factory=lambda: tiny_embedder,
                     precision="fp32") as lib:
            check_library_consistent(lib, files_on_disk=False, temp_thumbnails=True)

    summary = f"{trials} trials, {len(killed_mid_run)} kills mid-run: " + "; ".join(killed_mid_run)
    print(summary)  # noqa: T201 (for -s)
    assert len(killed_mid_run) >= trials - 2, summary  # the kills landed mid-run
    assert len(set(killed_mid_run)) >= trials // 2, summary  # ... at different moments

    with Library(paths, model=tiny_model, embedder_factory=lambda: tiny_embedder, workers=2,
                 precision="fp32") as lib:
        report = lib.index()
        assert report.skipped == []
        assert not report.cancelled
        check_library_consistent(lib)
        rows = lib.store.all_photos(with_embedding=True)
        on_disk = {str(p) for p in folder.rglob("*.jpg")}
        assert {r.path for r in rows} == on_disk
        assert len(rows) == len(on_disk)
        # Every row's vector is its own photo's (no vector followed the wrong file).
        spec = tiny_embedder.pixel_spec
        for i in range(0, len(rows), 64):
            chunk = rows[i : i + 64]
            pixels = np.stack([decode(r.path, spec, want_thumbnail=False).pixels for r in chunk])
            expected = tiny_embedder.encode_pixels(pixels)
            got = np.stack([r.embedding for r in chunk])
            assert np.einsum("ij,ij->i", got, expected).min() > 0.999
        for r in rows:
            assert lib.thumbs.get(r.path, r.mtime_ns, r.size) is not None
        assert lib.store.meta["complete"] is True
