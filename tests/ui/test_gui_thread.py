"""The GUI thread only lays out and reacts: opening the library, writing to the database and
decoding photos happen on worker threads, and the window shows before any of it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from inphotos.config import Settings
from inphotos.core.library import Library
from inphotos.ui.main_window import MainWindow
from inphotos.workers.session import LibrarySession

WAIT = 60_000


def _on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def test_the_window_shows_before_the_library_opens_on_a_worker(
    qtbot, home, tiny_model, tiny_embedder
) -> None:
    release = threading.Event()
    opened_on_gui: list[bool] = []

    def slow_open(spec: str) -> Library:
        opened_on_gui.append(_on_gui_thread())
        release.wait(WAIT / 1000)  # the library takes its time (a big migration, a slow disk)
        return Library(home, model=spec, embedder_factory=lambda: tiny_embedder, workers=2)

    session = LibrarySession(slow_open)
    win = MainWindow(home, Settings(model=tiny_model, stack_duplicates=False), session)
    qtbot.addWidget(win)
    win.show()
    session.open(tiny_model)
    qtbot.waitUntil(lambda: bool(opened_on_gui), timeout=WAIT)
    assert win.isVisible()
    assert session.library is None  # the window is up while the library is still opening
    with qtbot.waitSignal(session.opened, timeout=WAIT):
        release.set()
    assert opened_on_gui == [False]
    assert win.stack.currentWidget() is win.empty
    win.close()


def test_a_library_that_cannot_open_is_reported_not_raised(qtbot, home, tiny_model, monkeypatch) -> None:
    from inphotos.errors import StoreError
    from inphotos.ui import main_window

    shown: list[str] = []
    monkeypatch.setattr(main_window.QMessageBox, "critical", lambda _p, _t, text: shown.append(text))

    def broken(spec: str) -> Library:
        raise StoreError("The database is damaged.")

    session = LibrarySession(broken)
    win = MainWindow(home, Settings(model=tiny_model, stack_duplicates=False), session)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(session.open_failed, timeout=WAIT):
        session.open(tiny_model)
    assert len(shown) == 1
    assert "The database is damaged." in shown[0]
    assert not win.isVisible()


def test_folder_changes_are_written_on_the_writer_thread(qtbot, window, photos: Path, monkeypatch) -> None:
    calls: list[tuple[str, bool]] = []
    add, remove = Library.add_folder, Library.remove_folder

    def spy_add(self, path):  # type: ignore[no-untyped-def]
        calls.append(("add", _on_gui_thread()))
        return add(self, path)

    def spy_remove(self, path):  # type: ignore[no-untyped-def]
        calls.append(("remove", _on_gui_thread()))
        return remove(self, path)

    monkeypatch.setattr(Library, "add_folder", spy_add)
    monkeypatch.setattr(Library, "remove_folder", spy_remove)
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        window.add_folder(str(photos))
    assert window.session.lib.store.count() == 12
    with qtbot.waitSignal(window.session.folders_changed, timeout=WAIT):
        window.remove_folder(str(photos), confirm=False)
    assert window.session.lib.store.count() == 0
    assert calls == [("add", False), ("remove", False)]


def test_adding_a_folder_twice_says_so_and_changes_nothing(qtbot, window, photos: Path, monkeypatch) -> None:
    from inphotos.ui import main_window

    told: list[str] = []
    monkeypatch.setattr(main_window.QMessageBox, "information", lambda _p, _t, text: told.append(text))
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        window.add_folder(str(photos))
    with qtbot.waitSignal(window.session.folder_refused, timeout=WAIT):
        window.add_folder(str(photos / "trip"))
    assert told == [f"Already in the library as part of {photos}"]
    assert [f.path for f in window.session.folders()] == [str(photos)]


def test_copy_image_decodes_off_the_gui_thread(qtbot, window, photos: Path, monkeypatch) -> None:
    from PyQt6.QtGui import QGuiApplication

    from inphotos.core import imaging

    decoded_on_gui: list[bool] = []
    real = imaging.load_preview

    def spy(path, side):  # type: ignore[no-untyped-def]
        decoded_on_gui.append(_on_gui_thread())
        return real(path, side)

    monkeypatch.setattr(imaging, "load_preview", spy)  # the worker imports it when it decodes
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        window.add_folder(str(photos))
    qtbot.waitUntil(lambda: window.photo_model.rowCount() == 12, timeout=WAIT)
    photo = window.photo_model.photo(0)
    with qtbot.waitSignal(window.session.queries.image_copied, timeout=WAIT):
        window.session.queries.copy_image(photo)
    image = QGuiApplication.clipboard().image()  # type: ignore[union-attr]
    assert (image.width(), image.height()) == (photo.width, photo.height)
    assert decoded_on_gui == [False]


def test_a_bug_in_a_background_job_reaches_the_crash_handler(qtbot, caplog) -> None:
    import sys

    from inphotos.workers.runner import Runner

    seen: list[BaseException] = []
    runner = Runner(1, "inphotos-test")
    original = sys.excepthook
    sys.excepthook = lambda _t, e, _tb: seen.append(e)
    try:
        def bug() -> None:
            raise ZeroDivisionError("a bug")

        with qtbot.waitSignal(runner.failed, timeout=WAIT):
            runner.submit("job", 1, bug)
        qtbot.waitUntil(lambda: bool(seen), timeout=WAIT)
    finally:
        sys.excepthook = original
        runner.shutdown()
    assert isinstance(seen[0], ZeroDivisionError)
    errors = [r for r in caplog.records if r.levelname == "ERROR" and r.exc_info]
    assert errors, "a failed job is logged at ERROR with its traceback"


@pytest.mark.parametrize("error_type", ["user", "store"])
def test_an_expected_failure_is_not_a_crash(qtbot, error_type: str) -> None:
    import sys

    from inphotos.errors import StoreError, UserError
    from inphotos.workers.runner import Runner

    seen: list[BaseException] = []
    runner = Runner(1, "inphotos-test")
    original = sys.excepthook
    sys.excepthook = lambda _t, e, _tb: seen.append(e)
    error = UserError("no") if error_type == "user" else StoreError("no")
    try:
        def fails() -> None:
            raise error

        with qtbot.waitSignal(runner.failed, timeout=WAIT) as failed:
            runner.submit("job", 1, fails)
        qtbot.wait(50)
    finally:
        sys.excepthook = original
        runner.shutdown()
    assert failed.args[2] is error
    assert seen == []
