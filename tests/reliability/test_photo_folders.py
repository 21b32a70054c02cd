"""The photo folders themselves: never written to, and never forgotten because they vanished.

The read-only test mounts the folder read-only where the machine allows (root: a read-only
bind mount, which even root cannot write through), else removes write permission, and
compares every file's checksum before and after the app indexed, searched, previewed and
made thumbnails of it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import make_photo
from tests.helpers import CountingEmbedder, tree_state

WAIT = 60_000


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[str]:
    def run(*args: str) -> int:
        return subprocess.run(list(args), capture_output=True, check=False).returncode

    if os.geteuid() == 0 and run("mount", "--bind", str(folder), str(folder)) == 0:
        ro = run("mount", "-o", "remount,bind,ro", str(folder))
        try:
            if ro == 0:
                yield "read-only mount"
                return
        finally:
            run("umount", str(folder))
    modes = {}
    for p in [folder, *folder.rglob("*")]:
        modes[p] = p.stat().st_mode
        p.chmod(stat.S_IMODE(modes[p]) & ~0o222)
    try:
        yield "no write permission"
    finally:
        for p, mode in sorted(modes.items(), key=lambda kv: len(str(kv[0])), reverse=True):
            p.chmod(stat.S_IMODE(mode))


def _library_photos(root: Path) -> Path:
    for i in range(10):
        make_photo(root / ("2023" if i % 2 else "2024") / f"IMG_{i:04d}.jpg", seed=i, size=(900, 600))
    make_photo(root / "sideways.jpg", seed=70, exif=_orientation_6())
    make_photo(root / "scan.png", seed=71, fmt="PNG")
    (root / "notes.jpg").write_bytes(b"not a photo")
    return root


def _orientation_6() -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6
    return exif.tobytes()


def test_the_app_never_writes_into_photo_folders(qtbot, window, tmp_path: Path) -> None:
    folder = _library_photos(tmp_path / "Pictures")
    before = tree_state(folder)
    with read_only(folder) as how:
        with qtbot.waitSignal(window.session.index.finished, timeout=WAIT) as done:
            window.add_folder(str(folder))
        assert done.args[0].added == 12, how
        rows = window.photo_model.rowCount
        qtbot.waitUntil(lambda: rows() == 12, timeout=WAIT)
        for row in range(12):  # every thumbnail
            photo = window.photo_model.photo(row)
            qtbot.waitUntil(lambda p=photo: window.photo_model.cached_thumbnail(p.id) is not None,
                            timeout=WAIT)
        for row in range(12):  # every preview
            window.preview.open(row)
            preview = window.preview.dialog
            qtbot.waitUntil(lambda p=preview: p._pixmap is not None, timeout=WAIT)
            preview.close()
        first = window.photo_model.photo(0)  # (random weights: the search may match none)
        with qtbot.waitSignal(window.session.queries.results_ready, timeout=WAIT):
            qtbot.keyClicks(window.search, "a photo of a dog")
        with qtbot.waitSignal(window.session.queries.results_ready, timeout=WAIT):
            window.view.find_similar([first])
        with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
            window.session.index.start()  # a rescan
        with qtbot.waitSignal(window.session.index.write_done, timeout=WAIT):
            window.remove_folder(str(folder), confirm=False)
    assert tree_state(folder) == before


def test_a_vanished_folder_is_offline_keeps_its_photos_and_comes_back(
    qtbot, window, photos: Path, tmp_path: Path
) -> None:
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        window.add_folder(str(photos))
    unplugged = tmp_path / "unplugged"
    os.rename(photos, unplugged)  # the drive is gone
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT) as done:
        window.session.index.start()
    assert done.args[0].removed == 0
    assert done.args[0].offline == [str(photos)]
    assert "offline" in window.folders_panel.list.item(0).text()
    assert window.session.lib.store.count() == 12  # kept

    counter = CountingEmbedder(window.session.lib.embedder)
    window.session.lib._embedder = counter
    os.rename(unplugged, photos)  # plugged back in
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT) as done:
        window.session.index.start()
    assert done.args[0].offline == []
    assert counter.images == 0  # nothing embedded again
    assert "offline" not in window.folders_panel.list.item(0).text()
    with qtbot.waitSignal(window.session.queries.results_ready, timeout=WAIT) as found:
        window.view.show_library()  # (a search shows only matches: random weights match none)
    assert len(found.args[0].photos) == 12
