"""A full disk while indexing: a clear message, nothing saved is lost, and the next run resumes.

The real test indexes onto a small tmpfs (where this machine may mount one); the injected one
runs everywhere and fails the N-th database commit the way ObjectBox reports a full disk.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import objectbox
import objectbox.c as obx_c
import pytest
from PIL import Image

from inphotos.core.library import Library
from inphotos.db.store import DiskFullError
from inphotos.paths import app_paths
from tests.conftest import make_photo
from tests.helpers import check_library_consistent

PHOTOS = 240


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; the injected full-disk test covers this")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    """A filler file taking all but `leave` bytes of free space."""
    filler = disk / "filler"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(filler, "wb") as f:
        f.truncate(0)
        chunk = b"\0" * (1 << 16)
        remaining = max(0, free - leave)
        while remaining > 0:
            remaining -= f.write(chunk[: min(len(chunk), remaining)])
    return filler


def _photos(root: Path) -> Path:
    for i in range(PHOTOS):
        make_photo(root / f"{i // 80}" / f"p{i:03d}.jpg", seed=i, size=(200, 150))
    return root


def _finish_and_check(lib: Library, folder: Path) -> None:
    report = lib.index()
    assert not report.cancelled
    assert report.skipped == []
    assert {r.path for r in lib.store.all_photos()} == {str(p) for p in folder.rglob("*.jpg")}
    assert len(lib.search_text("a photo", k=PHOTOS)) == PHOTOS
    assert lib.store.meta["complete"] is True


@pytest.mark.slow
def test_indexing_onto_a_full_disk_stops_with_a_message_and_loses_nothing(
    tmp_path: Path, tiny_model: str, tiny_embedder
) -> None:
    folder = _photos(tmp_path / "photos")
    with _tmpfs(tmp_path / "small-disk", "4m") as disk:
        paths = app_paths(disk / "home").ensure()
        lib = Library(paths, model=tiny_model, embedder_factory=lambda: tiny_embedder, workers=2,
                      precision="fp32")
        try:
            lib.batch_size = 16
            lib.add_folder(folder)
            lib.store.count()  # the database exists before the disk fills up
            filler = _fill(disk, leave=256 * 1024)

            with pytest.raises(DiskFullError, match=r"is full.*not saved.*intact"):
                lib.index()

            saved = check_library_consistent(lib)
            assert saved < PHOTOS
        finally:
            lib.close()

        filler.unlink()  # the user frees some space
        with Library(paths, model=tiny_model, embedder_factory=lambda: tiny_embedder, workers=2,
                     precision="fp32") as lib:
            assert check_library_consistent(lib) == saved  # reopened: what was saved is all there
            _finish_and_check(lib, folder)


def test_a_commit_refused_for_lack_of_space_keeps_earlier_batches(
    tmp_path: Path, tiny_model: str, tiny_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _photos(tmp_path / "photos")
    paths = app_paths(tmp_path / "home").ensure()
    real_success = obx_c.obx_txn_success
    commits = [0]

    def full_after_three(tx: object) -> None:
        commits[0] += 1
        if commits[0] > 3:
            obx_c.obx_txn_close(tx)  # what ObjectBox does with a commit that fails: abort, free
            raise objectbox.DbFullError("Could not commit tx (28)")
        real_success(tx)

    with Library(paths, model=tiny_model, embedder_factory=lambda: tiny_embedder, workers=2,
                 precision="fp32") as lib:
        lib.batch_size = 16
        lib.add_folder(folder)
        monkeypatch.setattr(obx_c, "obx_txn_success", full_after_three)

        with pytest.raises(DiskFullError, match="is full"):
            lib.index()

        monkeypatch.setattr(obx_c, "obx_txn_success", real_success)
        assert check_library_consistent(lib) == 3 * 16  # three whole batches, nothing half-written
        _finish_and_check(lib, folder)


def test_the_app_says_the_disk_is_full_and_keeps_showing_the_library(
    qtbot, window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _photos(tmp_path / "photos")
    shown: list[str] = []
    monkeypatch.setattr("inphotos.ui.main_window.QMessageBox.warning",
                        lambda parent, title, text: shown.append(text))
    real_success = obx_c.obx_txn_success
    commits = [0]

    def full_after_five(tx: object) -> None:
        commits[0] += 1
        if commits[0] > 5:
            obx_c.obx_txn_close(tx)
            raise objectbox.DbFullError("Could not commit tx (28)")
        real_success(tx)

    monkeypatch.setattr(obx_c, "obx_txn_success", full_after_five)
    window.session.lib.batch_size = 16
    with qtbot.waitSignal(window.session.index.failed, timeout=60_000):
        window.add_folder(str(folder))
    monkeypatch.setattr(obx_c, "obx_txn_success", real_success)

    assert len(shown) == 1
    assert "Indexing stopped" in shown[0]
    assert "is full" in shown[0]
    assert "Free some space, then index again" in shown[0]
    saved = window.session.lib.store.count()
    assert saved > 0
    qtbot.waitUntil(lambda: window.photo_model.rowCount() == saved, timeout=60_000)


def test_a_thumbnail_cut_short_by_a_full_disk_is_never_left_in_the_cache(tmp_path: Path) -> None:
    from inphotos.core.thumbs import ThumbnailCache

    with _tmpfs(tmp_path / "small-disk", "1m") as disk:
        cache = ThumbnailCache(disk / "thumbnails")
        noisy = Image.fromarray(np.random.default_rng(0).integers(0, 255, (240, 320, 3), np.uint8))
        _fill(disk, leave=4096)  # room for part of one thumbnail: the write is cut short

        with pytest.raises(OSError, match=r"(?i)space|whole"):
            cache.put("/photos/a.jpg", 1, 2, noisy)

        assert cache.get("/photos/a.jpg", 1, 2) is None
        assert [p for p in cache.root.rglob("*") if p.is_file()] == []
