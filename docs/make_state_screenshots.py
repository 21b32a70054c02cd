"""Screenshots of two states the app must show truthfully: an offline first start, and an
index run that was cancelled. Runs the real window; for the README and for review.

Usage (on a machine without a display, under Xvfb):
    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/make_state_screenshots.py \
        PHOTOS local-dir:TINY_MODEL OUT_DIR

The offline start uses the default built-in model with an empty download cache and a
download site that does not answer (HF_ENDPOINT pointed at a closed local port).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

PHASE = os.environ.get("INPHOTOS_SHOT", "")


def _capture(app, win, path: Path) -> None:  # type: ignore[no-untyped-def]
    """The whole screen (the window and any box over it), cropped to the window's frame."""
    screen = app.primaryScreen()
    frame = win.frameGeometry()
    screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height()).save(str(path))
    print("saved", path)  # noqa: T201


def main() -> int:
    photos, model, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    if not PHASE:  # one process per shot: each needs its own environment
        import subprocess

        for phase in ("offline", "cancelled"):
            env = {**os.environ, "INPHOTOS_SHOT": phase}
            if phase == "offline":
                env["HF_HOME"] = tempfile.mkdtemp(prefix="inphotos-hf-")
                env["HF_ENDPOINT"] = "http://127.0.0.1:9"
            subprocess.run([sys.executable, *sys.argv], env=env, check=True)
        return 0

    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from inphotos.app import open_window
    from inphotos.config import Settings
    from inphotos.paths import app_paths

    app = QApplication(sys.argv[:1])
    app.setApplicationName("InPhotos")
    paths = app_paths(tempfile.mkdtemp(prefix="inphotos-shots-")).ensure()
    spec = "ViT-B-32:laion2b_s34b_b79k" if PHASE == "offline" else model
    settings = Settings(model=spec, thumbnail_size=160, batch_size=2, decode_workers=1)
    win = open_window(paths, settings)
    win.resize(1280, 780)
    win.move(40, 40)
    win.show()
    win.session.open(spec)

    def finish(name: str) -> None:
        _capture(app, win, out / f"{name}.png")
        win.close()
        app.quit()

    if PHASE == "offline":
        win.session.opened.connect(lambda: QTimer.singleShot(300, lambda: win.add_folder(photos)))
        QTimer.singleShot(9000, lambda: finish("offline-first-start"))
    else:
        cancelled = [False]

        def on_progress(p) -> None:  # type: ignore[no-untyped-def]
            if p.phase == "embedding" and p.done >= 10 and not cancelled[0]:
                cancelled[0] = True
                win.index_status.cancel_button.click()

        win.session.index.progress.connect(on_progress)
        win.session.index.finished.connect(
            lambda _r: QTimer.singleShot(1500, lambda: finish("cancelled-index")))
        win.session.opened.connect(lambda: QTimer.singleShot(300, lambda: win.add_folder(photos)))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
