"""The window stays responsive while a folder is indexed.

What a user feels is how late the event loop answers. That depends on the machine and on
whatever else runs on it, so the test measures the same loop on the same machine twice in a
row: idle just before indexing, then during indexing, and bounds the ratio. Work done on the
GUI thread (the 2024 prototype embedded a whole folder inside a button click) shows as a
stall many times the idle lateness; a busy neighbour slows both measurements alike.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PIL import Image
from PyQt6.QtCore import QTimer

TICK_S = 0.010
#: Lateness below these is noise a person cannot feel (keeps the ratios away from 0/0):
#: for the typical tick (95th percentile) and for the single worst one.
FLOOR_TYPICAL_MS = 10.0
FLOOR_WORST_MS = 30.0
#: During indexing the loop may answer this many times later than idle, no more.
RATIO = 8.0


class LoopLateness:
    """How late a 10 ms timer fires, tick by tick, while it runs."""

    def __init__(self) -> None:
        self.ms: list[float] = []
        self._expected = 0.0
        self._timer = QTimer()
        self._timer.setInterval(int(TICK_S * 1000))
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.ms.append((now - self._expected) * 1000)
        self._expected = now + TICK_S

    def start(self) -> None:
        self.ms.clear()
        self._expected = time.perf_counter() + TICK_S
        self._timer.start()

    def stop(self) -> list[float]:
        self._timer.stop()
        return sorted(self.ms)


def _big_photos(folder: Path, n: int, size: tuple[int, int] = (1600, 1200)) -> None:
    """`n` distinct camera-sized JPEGs, quickly: one noise field, shifted and tinted per photo."""
    w, h = size
    rng = np.random.default_rng(1000)
    base = rng.normal(128, 40, (h, w, 3)).astype(np.float32)
    folder.mkdir(parents=True)
    for i in range(n):
        tint = rng.uniform(-60, 60, 3).astype(np.float32)
        arr = np.clip(np.roll(base, 37 * i, axis=1) + tint, 0, 255).astype(np.uint8)
        Image.fromarray(arr).save(folder / f"p{i:03d}.jpg", quality=85)


def _p95(sorted_ms: list[float]) -> float:
    return sorted_ms[int(0.95 * (len(sorted_ms) - 1))]


def _p99(sorted_ms: list[float]) -> float:
    """Near the worst, but not the single worst tick: one stall of the whole machine (a busy
    neighbour, the kernel) must not decide; work on the GUI thread per progress update, which
    stalls every few ticks, shows here."""
    return sorted_ms[int(0.99 * (len(sorted_ms) - 1))]


def test_indexing_leaves_the_event_loop_nearly_as_quick_as_idle(qtbot, window, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    _big_photos(folder, 150)
    loop = LoopLateness()

    loop.start()
    qtbot.wait(2000)  # the same window, idle
    idle = loop.stop()

    loop.start()
    started = time.perf_counter()
    with qtbot.waitSignal(window.session.index.finished, timeout=240_000) as done:
        window.add_folder(str(folder))
    elapsed = time.perf_counter() - started
    busy = loop.stop()

    assert done.args[0].added == 150
    assert len(idle) > 20
    assert len(busy) > 20, "indexing finished too fast to measure anything"
    typical = (max(_p95(idle), FLOOR_TYPICAL_MS), _p95(busy))
    worst = (max(_p99(idle), FLOOR_WORST_MS), _p99(busy))
    report = (
        f"event loop lateness idle -> indexing ({elapsed:.1f} s): "
        f"p95 {_p95(idle):.1f} -> {_p95(busy):.1f} ms, p99 {_p99(idle):.1f} -> {_p99(busy):.1f} ms, "
        f"worst {idle[-1]:.1f} -> {busy[-1]:.1f} ms"
    )
    print(report)  # noqa: T201 (for -s)
    assert typical[1] <= RATIO * typical[0], report
    assert worst[1] <= RATIO * worst[0], report
