"""The window stays responsive while a folder is indexed: the event loop never stalls 100 ms."""

from __future__ import annotations

import time
from pathlib import Path

from PyQt6.QtCore import QTimer

from tests.conftest import make_photo


def test_event_loop_never_stalls_while_indexing(qtbot, window, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    for i in range(150):
        make_photo(folder / f"p{i:03d}.jpg", seed=1000 + i, size=(1600, 1200))
    lateness: list[float] = []
    expected = [time.perf_counter() + 0.010]
    timer = QTimer()
    timer.setInterval(10)

    def tick() -> None:
        now = time.perf_counter()
        lateness.append(now - expected[0])
        expected[0] = now + 0.010

    timer.timeout.connect(tick)
    timer.start()
    started = time.perf_counter()
    with qtbot.waitSignal(window.session.index.finished, timeout=120_000) as done:
        window.add_folder(str(folder))
    elapsed = time.perf_counter() - started
    timer.stop()
    assert done.args[0].added == 150
    assert len(lateness) > 20, "indexing finished too fast to measure anything"
    worst_ms = max(lateness) * 1000
    assert worst_ms < 100, f"event loop stalled {worst_ms:.0f} ms while indexing ({elapsed:.1f} s)"
