"""`kill -9` in the middle of `inphotos index`: nothing is lost or doubled, the next run resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from inphotos.core.library import Library
from inphotos.paths import HOME_ENV, app_paths
from tests.conftest import make_photo
from tests.helpers import CountingEmbedder, reap

PHOTOS = 140
BATCH = 8
WORKERS = 2
#: Decoding runs at most this far ahead of what is committed: a full batch being built plus the
#: decode queue (`Indexer._embed_all`). Thumbnails are written as photos are decoded, so once
#: KILL_AT thumbnails exist, at least KILL_AT - AHEAD photos are in the database.
AHEAD = BATCH + (BATCH * 2 + WORKERS)
KILL_AT = 60


@pytest.mark.slow
def test_index_killed_mid_run_resumes_without_loss_or_duplicates(
    tmp_path: Path, tiny_model: str, tiny_embedder
) -> None:
    folder = tmp_path / "photos"
    for i in range(PHOTOS):
        make_photo(folder / f"{i // 50:02d}" / f"p{i:03d}.jpg", seed=i, size=(160, 120))
    home = tmp_path / "home"
    thumbs = home / "cache" / "thumbnails"
    env = {k: v for k, v in os.environ.items() if k != HOME_ENV}
    proc = subprocess.Popen(
        [sys.executable, "-m", "inphotos", "--home", str(home), "--model", tiny_model,
         "--batch-size", str(BATCH), "--workers", str(WORKERS), "index", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    try:
        deadline = time.monotonic() + 180
        while proc.poll() is None and time.monotonic() < deadline:
            if thumbs.is_dir() and sum(1 for _ in thumbs.glob("*/*.jpg")) >= KILL_AT:
                break
            time.sleep(0.005)
        assert proc.poll() is None, "indexing ended before it could be killed: " + (
            proc.stderr.read().decode(errors="replace") if proc.stderr else "")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        reap(proc)
    assert proc.returncode == -signal.SIGKILL

    counter = CountingEmbedder(tiny_embedder)
    # Opening succeeds at once: the dead process's lock went with it.
    with Library(app_paths(home), model=tiny_model, embedder_factory=lambda: counter, workers=2) as lib:
        kept = lib.store.count()
        assert KILL_AT - AHEAD <= kept < PHOTOS, kept  # killed mid-run, whole batches committed
        assert lib.store.meta["complete"] is False

        report = lib.index()

        assert report.added == PHOTOS - kept
        assert counter.images == PHOTOS - kept  # what was committed is not embedded again
        rows = lib.store.all_photos(with_embedding=True)
        on_disk = {str(p) for p in folder.rglob("*.jpg")}
        paths = [r.path for r in rows]
        assert len(paths) == len(set(paths)) == PHOTOS
        assert set(paths) == on_disk
        for r in rows:
            assert r.embedding is not None
            assert r.embedding.shape == (lib.store.dims,)
            assert np.isfinite(r.embedding).all()
            assert np.linalg.norm(r.embedding) == pytest.approx(1.0, abs=1e-5)
            assert lib.thumbs.get(r.path, r.mtime_ns, r.size) is not None
        assert lib.store.meta["complete"] is True
        assert len(lib.search_text("a photo", k=PHOTOS)) == PHOTOS
