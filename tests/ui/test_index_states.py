"""Indexing as the window shows it is true: cancel, pause, waiting, counts, rescan, messages."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from inphotos.core.library import Library
from inphotos.records import IndexProgress
from tests.conftest import make_photo
from tests.ui.conftest import start_window

WAIT = 60_000


class SlowEmbedder:
    """The tiny model, slowed down per batch so a run can be watched, paused and cancelled."""

    def __init__(self, inner, delay_s: float = 0.15) -> None:  # type: ignore[no-untyped-def]
        self._inner = inner
        self.delay_s = delay_s

    def encode_pixels(self, pixels):  # type: ignore[no-untyped-def]
        time.sleep(self.delay_s)
        return self._inner.encode_pixels(pixels)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._inner, name)


@pytest.fixture
def many(tmp_path: Path) -> Path:
    root = tmp_path / "many"
    for i in range(80):
        make_photo(root / f"p{i:02d}.jpg", seed=i)
    return root


@pytest.fixture
def slow_window(qtbot, home, tiny_model, tiny_embedder):  # type: ignore[no-untyped-def]
    slow = SlowEmbedder(tiny_embedder)
    library = Library(home, model=tiny_model, embedder_factory=lambda: slow, workers=2,
                      batch_size=4)
    win = start_window(qtbot, home, library)
    qtbot.waitUntil(lambda: win.session.model.ready, timeout=WAIT)
    yield win
    win.close()


def _folder_text(win) -> str:  # type: ignore[no-untyped-def]
    return win.folders_panel.list.item(0).text()


def test_cancel_is_reported_as_cancelled_with_what_still_waits(qtbot, slow_window, many) -> None:
    win = slow_window
    progress: list[IndexProgress] = []
    win.session.index.progress.connect(progress.append)
    win.add_folder(str(many))
    qtbot.waitUntil(lambda: any(p.phase == "embedding" and p.done >= 8 for p in progress),
                    timeout=WAIT)
    # Only the folder being indexed says so, and its count grows as photos arrive.
    qtbot.waitUntil(lambda: "indexing…" in _folder_text(win), timeout=WAIT)
    qtbot.waitUntil(lambda: not _folder_text(win).split("\n")[1].startswith("0 photos"),
                    timeout=WAIT)
    with qtbot.waitSignal(win.session.index.finished, timeout=WAIT) as done:
        win.index_status.cancel_button.click()
    report = done.args[0]
    assert report.cancelled
    left = 80 - win.session.lib.store.count()
    assert left > 0
    assert report.waiting == {str(many): left}
    assert f"{left:,} waiting (cancelled)" in _folder_text(win)
    assert "up to date" not in _folder_text(win)
    assert f"{left:,} photos waiting" in win.index_status.label.text()
    assert win.message.says("Indexing cancelled")
    # It stays said until the next run, whatever else the status bar shows meanwhile.
    win.view.show_library()
    qtbot.wait(200)
    assert "cancelled" in win.index_status.label.text()
    # The next run goes on and ends up to date.
    with qtbot.waitSignal(win.session.index.finished, timeout=WAIT) as again:
        win.folders_panel.rescan_button.click()
    assert not again.args[0].cancelled
    assert win.session.lib.store.count() == 80
    assert "up to date" in _folder_text(win)
    assert "cancelled" not in win.index_status.label.text()


def test_pause_writes_nothing_more_and_shows_no_time_left(qtbot, slow_window, many) -> None:
    win = slow_window
    progress: list[IndexProgress] = []
    win.session.index.progress.connect(progress.append)
    win.add_folder(str(many))
    qtbot.waitUntil(lambda: any(p.phase == "embedding" and p.done >= 4 for p in progress),
                    timeout=WAIT)
    win.index_status.pause_button.click()
    assert win.session.index.paused
    qtbot.wait(600)  # the batch in flight, if any, is written
    count = win.session.lib.store.count()
    qtbot.wait(1200)
    assert win.session.lib.store.count() == count  # nothing more while paused
    label = win.index_status.label.text()
    assert label.startswith("Paused")
    assert "left" not in label
    assert "/s" not in label
    with qtbot.waitSignal(win.session.index.finished, timeout=WAIT):
        win.index_status.pause_button.click()  # resume
    assert win.session.lib.store.count() == 80


def test_rescan_with_nothing_new_says_so(qtbot, window, photos) -> None:
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        window.add_folder(str(photos))
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        window.folders_panel.rescan_button.click()
    qtbot.waitUntil(lambda: window.message.says("Up to date: no new or changed photos"),
                    timeout=WAIT)


def test_indexing_says_it_waits_for_the_model_not_that_it_looks_for_photos(window) -> None:
    strip = window.index_status
    strip.set_running(True)
    strip.set_model_ready(False)
    strip.show_progress(IndexProgress("embedding", 0, 12))
    assert strip.label.text() == "Waiting for the model to load before indexing 12 photos…"
    strip.set_model_ready(True)
    assert "Indexing 12 photos" in strip.label.text()
    strip.set_running(False)


def test_a_message_is_not_replaced_before_it_can_be_read(qtbot) -> None:
    from inphotos.ui.status_line import StatusLine

    line = StatusLine(hold_ms=400)
    qtbot.addWidget(line)
    line.post("Added /photos; indexing its photos…", "library")
    line.post("12 photos", "view")
    assert line.text() == "Added /photos; indexing its photos…"  # still readable
    line.post("13 photos", "view")  # a source's newer message replaces its own waiting one
    assert line.pending == ["13 photos"]
    qtbot.waitUntil(lambda: line.text() == "13 photos", timeout=5000)
    line.post("14 photos", "view")  # the same source updates its own message at once
    assert line.text() == "14 photos"
    long = "Indexing stopped: " + "a long explanation " * 20
    line.hold_ms = 0
    line.post(long, "library")
    assert line.wordWrap()
    assert line.toolTip() == long
