"""Take the README's screenshots: run the real app on a folder of photos and grab its window.

Usage (on a machine without a display, under Xvfb):
    xvfb-run -s "-screen 0 1440x900x24" .venv/bin/python docs/make_screenshots.py PHOTOS MODEL_SPEC OUT_DIR

The window is driven through the same slots a user's clicks reach.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication

from inphotos.app import open_window
from inphotos.config import Settings
from inphotos.paths import app_paths


def main() -> int:
    photos, model, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("InPhotos")
    paths = app_paths(tempfile.mkdtemp(prefix="inphotos-shots-")).ensure()
    # No stacks: a random-weight model puts different pictures within the duplicates' distance,
    # which would stack photos that are not copies (docs/make_duplicates_screenshot.py shows them).
    settings = Settings(model=model, thumbnail_size=180, stack_duplicates=False)
    win = open_window(paths, settings)
    win.resize(1400, 860)
    win.show()
    win.session.open(model)
    steps: list[tuple[int, object]] = []

    def shot(name: str) -> None:
        win.grab().save(str(out / f"{name}.png"))
        print("saved", out / f"{name}.png")

    def later(ms: int, fn: object) -> None:
        steps.append((ms, fn))

    later(1500, lambda: shot("empty"))
    later(200, lambda: win.add_folder(photos))
    later(2500, lambda: shot("indexing"))

    def when_indexed() -> None:
        if win.session.index.running:
            QTimer.singleShot(300, when_indexed)
            return
        win.show_all_photos()
        QTimer.singleShot(2500, lambda: shot("timeline"))
        QTimer.singleShot(3000, lambda: win.preview.open(0))
        QTimer.singleShot(5500, lambda: (win.preview.dialog.grab().save(str(out / "preview.png")),
                                         print("saved preview"), win.preview.dialog.close()))
        QTimer.singleShot(6000, filtered_search)

    def filtered_search() -> None:
        # Narrowed to one type and shape, strengths turned on. No words: with a tiny
        # random-weight model nothing matches a description, so the narrowed library is shown.
        bar = win.filter_bar
        bar.kind.setCurrentIndex(bar.kind.findData("png"))
        bar.shape.setCurrentIndex(bar.shape.findData("landscape"))
        win.scores_action.setChecked(True)
        win._toggle_scores()
        QTimer.singleShot(2500, lambda: shot("filtered-search"))
        QTimer.singleShot(3000, plain_search)

    def plain_search() -> None:
        bar = win.filter_bar
        bar.kind.setCurrentIndex(0)
        bar.shape.setCurrentIndex(0)
        win.search.setText("elephants walking in the savanna")
        win.search.force()
        QTimer.singleShot(2500, lambda: (shot("search"), win.close(), app.quit()))

    later(1000, when_indexed)
    t = 0
    for ms, fn in steps:
        t += ms
        QTimer.singleShot(t, fn)  # type: ignore[arg-type]
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
