"""`make bench-grid`: scroll the timeline grid from the newest photo to the oldest at 100,000.

    QT_QPA_PLATFORM=offscreen python -m bench.grid_scroll [--photos 100000] [--step 240]

A PhotoGrid (1440 × 900) over a PhotoModel of generated records (mixed shapes, a few photos a
day over the years), fed as the app feeds it: pages of 200 asked for as the view nears the
end and delivered on a later turn of the event loop (the query thread's place), thumbnails
delivered a turn after they are asked for. Each frame moves the scroll bar by `--step`
pixels (a brisk wheel) and lets the events run: the paint of what the scroll exposed, pages
and thumbnails arriving; the frame time is all of that, in wall time and in CPU time (the
second is what the frame costs when the machine is shared). Also measured: laying out
everything again at 100,000 (a window resized, a refresh deep in the timeline), and, for
contrast, what QListView in icon mode with per-photo sizes takes to add one page at that
size. Writes the figures into bench/results.json ("grid") and docs/benchmarks.md. Not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.report import record

log = logging.getLogger("bench")
SHAPES = [(4032, 3024)] * 5 + [(3024, 4032)] * 2 + [(1920, 1080), (1080, 1920), (3000, 3000), (8000, 2000)]
PAGE = 200
_keep: list[Any] = []  # the QApplication, alive from one measurement to the next


def records(n: int) -> list[Any]:
    from inphotos.records import PhotoRecord

    rng = random.Random(0)
    t = 1_760_000_000_000
    out = []
    for i in range(n):
        w, h = rng.choice(SHAPES)
        t -= rng.randint(10 * 60_000, 2 * 24 * 3_600_000)  # a few photos a day, newest first
        out.append(PhotoRecord(path=f"/photos/{i:06d}.jpg", folder="/photos", size=1, mtime_ns=1,
                               width=w, height=h, taken_ms=t, id=i + 1))
    return out


def thumbnails() -> dict[tuple[int, int], Any]:
    """One 256-px thumbnail per shape, a gradient (what is drawn costs the same)."""
    from PyQt6.QtCore import Qt
    from PyQt6.QtGui import QColor, QImage, QLinearGradient, QPainter

    out = {}
    for w, h in set(SHAPES):
        scale = 256 / max(w, h)
        image = QImage(round(w * scale), round(h * scale), QImage.Format.Format_RGB32)
        painter = QPainter(image)
        gradient = QLinearGradient(0, 0, image.width(), image.height())
        gradient.setColorAt(0, QColor(Qt.GlobalColor.darkCyan))
        gradient.setColorAt(1, QColor(Qt.GlobalColor.yellow))
        painter.fillRect(image.rect(), gradient)
        painter.end()
        out[(w, h)] = image
    return out


def scroll(n: int, step: int) -> dict[str, Any]:
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from inphotos.ui.grid import PhotoGrid
    from inphotos.ui.photo_model import PhotoModel

    app = QApplication.instance() or QApplication(sys.argv)
    _keep.append(app)
    photos = records(n)
    thumbs = thumbnails()
    model = PhotoModel()
    grid = PhotoGrid(model, 200)
    grid.resize(1440, 900)
    grid.show()
    pages: list[float] = []

    def page(last: Any) -> None:
        start = model.row_of(last.id) + 1

        def deliver() -> None:
            t0 = time.perf_counter()
            model.append_photos(photos[start:start + PAGE], start + PAGE < n)
            pages.append((time.perf_counter() - t0) * 1000)

        QTimer.singleShot(0, deliver)

    def thumb(p: Any) -> None:
        QTimer.singleShot(0, lambda: model.set_thumbnail(p.id, thumbs[(p.width, p.height)]))

    model.more_needed.connect(page)
    model.thumbnail_needed.connect(thumb)
    model.set_photos(photos[:PAGE], more=True)
    app.processEvents()
    bar = grid.verticalScrollBar()
    viewport = grid.viewport()
    assert bar is not None
    assert viewport is not None
    grid.setFocus()
    frames: list[float] = []
    cpu: list[float] = []  # the CPU time of each frame: what it costs without the machine's load
    t_all = time.perf_counter()
    while True:
        t0, c0 = time.perf_counter(), time.process_time()
        before = bar.value()
        bar.setValue(before + step)  # the view scrolls what is drawn and paints the strip exposed
        app.processEvents()  # pages, thumbnails and the paint itself
        frames.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        if bar.value() == before and model.rowCount() == n and not model.fetching:
            break
    total_s = time.perf_counter() - t_all
    oldest = grid.indexAt(viewport.rect().bottomLeft() - viewport.rect().topLeft()).row()

    # Everything laid out again at n photos: a wider window, or a refresh deep in the timeline.
    relayout, refresh, relayout_cpu, refresh_cpu = [], [], [], []
    for width in (1300, 1440, 1300, 1440, 1300):
        t0, c0 = time.perf_counter(), time.process_time()
        grid.resize(width, 900)
        app.processEvents()
        relayout.append((time.perf_counter() - t0) * 1000)
        relayout_cpu.append((time.process_time() - c0) * 1000)
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        model.set_photos(photos, more=False)
        app.processEvents()
        refresh.append((time.perf_counter() - t0) * 1000)
        refresh_cpu.append((time.process_time() - c0) * 1000)
    grid.close()
    frames_sorted = sorted(frames)
    return {
        "photos": n, "step_px": step, "frames": len(frames), "seconds": round(total_s, 1),
        "frame_ms_p50": round(statistics.median(frames), 2),
        "frame_ms_p99": round(frames_sorted[int(0.99 * (len(frames) - 1))], 2),
        "frame_ms_max": round(max(frames), 2),
        "frame_cpu_ms_p50": round(statistics.median(cpu), 2),
        "frame_cpu_ms_p99": round(sorted(cpu)[int(0.99 * (len(cpu) - 1))], 2),
        "frame_cpu_ms_max": round(max(cpu), 2),
        # The same at the start and at the end: a frame costs no more with 100,000 loaded.
        "frame_cpu_ms_p50_first_tenth": round(statistics.median(cpu[: len(cpu) // 10]), 2),
        "frame_cpu_ms_p50_last_tenth": round(statistics.median(cpu[-(len(cpu) // 10):]), 2),
        "pages": len(pages), "page_append_ms_max": round(max(pages), 2),
        "relayout_ms_median": round(statistics.median(relayout), 1),
        "reset_ms_median": round(statistics.median(refresh), 1),
        "relayout_cpu_ms_median": round(statistics.median(relayout_cpu), 1),
        "reset_cpu_ms_median": round(statistics.median(refresh_cpu), 1),
        "reached_row": oldest,
    }


def same_place(n: int, rounds: int = 60) -> tuple[float, float]:
    """CPU ms of a 240-px scroll frame near the top with 1,000 photos loaded and with `n`,
    interleaved so both see the same load: whether a frame's cost grows with what is loaded."""
    from PyQt6.QtWidgets import QApplication

    from inphotos.ui.grid import PhotoGrid
    from inphotos.ui.photo_model import PhotoModel

    app = QApplication.instance()
    assert app is not None
    photos, thumbs = records(n), thumbnails()
    grids = []
    for count in (1000, n):
        model = PhotoModel()
        grid = PhotoGrid(model, 200)
        grid.resize(1440, 900)
        grid.show()
        model.set_photos(photos[:count], more=False)
        model.thumbnail_needed.connect(
            lambda p, m=model: m.set_thumbnail(p.id, thumbs[(p.width, p.height)]))
        grids.append(grid)
    app.processEvents()
    costs: list[list[float]] = [[], []]
    for k in range(rounds):
        for i, grid in enumerate(grids):
            bar = grid.verticalScrollBar()
            assert bar is not None
            bar.setValue(300 + (k % 5) * 240)
            app.processEvents()
            c0 = time.process_time()
            for _ in range(3):
                bar.setValue(bar.value() + 240)
                app.processEvents()
            costs[i].append((time.process_time() - c0) * 1000 / 3)
    for grid in grids:
        grid.close()
    return round(statistics.median(costs[0]), 2), round(statistics.median(costs[1]), 2)


def listview_append(n: int) -> float:
    """QListView, icon mode, sizes per photo: ms to add one page of 200 after n-200 photos."""
    from PyQt6.QtCore import QModelIndex, QPersistentModelIndex, QSize
    from PyQt6.QtWidgets import QApplication, QListView, QStyledItemDelegate, QStyleOptionViewItem

    from inphotos.ui.photo_model import PhotoModel, RecordRole

    class Sized(QStyledItemDelegate):
        def sizeHint(  # noqa: N802 - Qt's name
                self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
            p = index.data(RecordRole)
            return QSize(round(150 * p.width / p.height), 150)

    app = QApplication.instance()
    assert app is not None
    photos = records(n)
    model = PhotoModel()
    view = QListView()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setItemDelegate(Sized(view))
    view.setModel(model)
    view.resize(1440, 900)
    view.show()
    model.set_photos(photos[:n - PAGE], more=True)
    app.processEvents()
    t0 = time.perf_counter()
    model.append_photos(photos[n - PAGE:], more=False)
    view.doItemsLayout()
    app.processEvents()
    view.viewport().repaint()  # type: ignore[union-attr]
    took = (time.perf_counter() - t0) * 1000
    view.close()
    return round(took, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", type=int, default=100_000)
    ap.add_argument("--step", type=int, default=240, help="pixels scrolled per frame")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = scroll(args.photos, args.step)
    result["frame_cpu_ms_1k_loaded"], result["frame_cpu_ms_all_loaded"] = same_place(args.photos)
    result["listview_page_append_ms"] = listview_append(args.photos)
    result["load_average"] = round(os.getloadavg()[0], 1)
    result["cores"] = os.cpu_count()
    result["date"] = datetime.now(UTC).date().isoformat()
    result["command"] = "QT_QPA_PLATFORM=offscreen python -m bench.grid_scroll " + " ".join(sys.argv[1:])
    log.info("%s", json.dumps(result, indent=1))
    record({"grid": result})


if __name__ == "__main__":
    main()
