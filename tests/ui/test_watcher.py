"""Photos added while the app runs show up by themselves (folders are watched)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_photo

WAIT = 60_000


def test_a_photo_added_while_running_is_indexed_without_asking(qtbot, window, photos: Path) -> None:
    with qtbot.waitSignal(window.index.finished, timeout=WAIT):
        window.add_folder(str(photos))
    qtbot.waitUntil(lambda: str(photos / "trip") in window.watcher.watched(), timeout=WAIT)
    make_photo(photos / "trip" / "new_one.jpg", seed=99)  # a subfolder, not only the root
    with qtbot.waitSignal(window.index.finished, timeout=WAIT) as done:
        pass  # the watcher notices, waits for the burst to settle, then rescans
    assert done.args[0].added == 1
    assert window.library.store.photo_by_path(str(photos / "trip" / "new_one.jpg")) is not None
