"""Twenty `kill -9`s of `inphotos index`, each at a different moment of a run with every kind
of change to do (new, edited, touched, moved, copied and deleted photos).

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
from PIL import Image

from inphotos.core.imaging import decode
from inphotos.core.library import Library
from inphotos.paths import HOME_ENV, AppPaths, app_paths
from tests.conftest import make_photo
from tests.helpers import reap

TRIALS = 20
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


def _kill_at_some_point(cmd: list[str], env: dict[str, str], paths: AppPaths, rng: random.Random,
                        trial: int) -> tuple[bool, str]:
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
            deadline = time.monotonic() + 120
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


def _check_consistent(lib: Library, folder: Path) -> None:
    rows = lib.store.all_photos(with_embedding=True)
    paths = [r.path for r in rows]
    assert len(paths) == len(set(paths)), "duplicate rows"
    library_folders = {f.path for f in lib.store.folders()}
    for r in rows:
        assert r.folder in library_folders
        assert r.path.startswith(r.folder + os.sep)
        assert r.size > 0
        assert r.mtime_ns > 0
        assert r.fingerprint
        assert r.width > 0
        assert r.height > 0
        assert r.embedding is not None
        assert r.embedding.shape == (lib.store.dims,)
        assert np.isfinite(r.embedding).all()
        assert np.linalg.norm(r.embedding) == pytest.approx(1.0, abs=1e-4)
    ids = [r.id for r in rows]
    assert len(ids) == len(set(ids))
    for thumb in _thumb_files(lib.paths):
        if thumb.name.startswith(".tmp-"):
            continue  # a write the kill interrupted: never served, removed on the next start
        with Image.open(thumb) as im:
            im.load()  # a truncated JPEG raises here


@pytest.mark.slow
def test_twenty_kills_at_different_moments_lose_and_double_nothing(
    tmp_path: Path, tiny_model: str, tiny_embedder
) -> None:
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
    for trial in range(TRIALS):
        if trial:
            _mutate(folder, rng, trial)
        running, where = _kill_at_some_point(cmd, env, paths, rng, trial)
        if running:
            killed_mid_run.append(where)
        # The dead process's lock went with it: the library opens at once, and is consistent.
        with Library(paths, model=tiny_model, embedder_factory=lambda: tiny_embedder,
                     precision="fp32") as lib:
            _check_consistent(lib, folder)

    print(f"{len(killed_mid_run)} kills mid-run:", "; ".join(killed_mid_run))  # noqa: T201 (for -s)
    assert len(killed_mid_run) >= TRIALS - 2, killed_mid_run  # the kills landed mid-run
    assert len(set(killed_mid_run)) >= TRIALS // 2  # ... at different moments

    with Library(paths, model=tiny_model, embedder_factory=lambda: tiny_embedder, workers=2,
                 precision="fp32") as lib:
        report = lib.index()
        assert report.skipped == []
        assert not report.cancelled
        _check_consistent(lib, folder)
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
