"""Photos added while the app runs show up by themselves (folders are watched, recursively)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_photo

WAIT = 60_000


def test_a_photo_added_while_running_is_indexed_without_asking(qtbot, window, photos: Path) -> None:
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        window.add_folder(str(photos))
    qtbot.waitUntil(lambda: str(photos) in window.library_controller.watcher.watched(), timeout=WAIT)
    make_photo(photos / "trip" / "new_one.jpg", seed=99)  # a subfolder, not only the root
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT) as done:
        pass  # the watcher notices, waits for the burst to settle, then rescans
    assert done.args[0].added == 1
    assert window.session.lib.store.photo_by_path(str(photos / "trip" / "new_one.jpg")) is not None


def test_a_folder_created_while_running_is_watched_too(qtbot, window, photos: Path) -> None:
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        window.add_folder(str(photos))
    qtbot.waitUntil(lambda: str(photos) in window.library_controller.watcher.watched(), timeout=WAIT)
    album = photos / "new album"
    album.mkdir()
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        pass  # the new folder itself is a change: a rescan finds nothing new in it yet
    make_photo(album / "first.jpg", seed=98)  # a photo in a folder that did not exist at start
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT) as done:
        pass
    assert done.args[0].added == 1
    assert window.session.lib.store.photo_by_path(str(album / "first.jpg")) is not None


def test_hidden_folders_and_other_files_do_not_trigger_rescans(qtbot, window, photos: Path) -> None:
    from inphotos.workers.watcher import _Handler

    seen: list[int] = []
    handler = _Handler(str(photos), lambda: seen.append(1))
    assert handler._matters(str(photos / "a.jpg"), is_directory=False)
    assert handler._matters(str(photos / "new album"), is_directory=True)
    assert not handler._matters(str(photos / "notes.txt"), is_directory=False)
    assert not handler._matters(str(photos / ".thumbnails" / "a.jpg"), is_directory=False)
    assert not handler._matters(str(photos.parent / "elsewhere.jpg"), is_directory=False)
