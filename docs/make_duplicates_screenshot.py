"""Take the README's duplicates screenshots: the Duplicates window and the grid's stacks.

Usage (on a machine without a display, under Xvfb):
    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/make_duplicates_screenshot.py \
        PHOTOS MODEL_SPEC OUT_DIR

PHOTOS is a folder of real JPEGs (e.g. /usr/share/backgrounds/mate/nature); a working copy is
made with, for a few photos, an exact copy in a backup folder, a copy re-encoded at JPEG
quality 70 and one resized to half. The real app indexes it and is driven through the same
slots a user's clicks reach.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PIL import Image
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication

from inphotos.app import open_window
from inphotos.config import Settings
from inphotos.paths import app_paths


def working_copy(source: Path, dest: Path) -> None:
    photos = sorted(source.rglob("*.jpg"))
    (dest / "Backup").mkdir(parents=True)
    (dest / "Exports").mkdir()
    for p in photos:
        shutil.copy2(p, dest / p.name)
    for p in photos[:3]:
        shutil.copy2(p, dest / "Backup" / p.name)
        img = Image.open(p).convert("RGB")
        img.save(dest / "Exports" / f"{p.stem} (web).jpg", quality=70)
        img.resize((img.width // 2, img.height // 2)).save(
            dest / "Exports" / f"{p.stem} (small).jpg", quality=90)


def main() -> int:
    source, model, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="inphotos-dups-"))
    working_copy(source, work / "Pictures")
    app = QApplication(sys.argv[:1])
    app.setApplicationName("InPhotos")
    paths = app_paths(work / "home").ensure()
    win = open_window(paths, Settings(model=model, thumbnail_size=180, stack_duplicates=True))
    win.resize(1400, 860)
    win.show()
    win.session.open(model)

    def when_indexed() -> None:
        if win.session.library is None or win.session.index.running or not win.photo_model.rowCount():
            QTimer.singleShot(500, when_indexed)
            return
        QTimer.singleShot(4000, stacks)

    def stacks() -> None:
        win.grab().save(str(out / "stacks.jpg"), None, 85)
        print("saved", out / "stacks.jpg")
        win.duplicates.open()
        QTimer.singleShot(5000, duplicates)

    def duplicates() -> None:
        dialog = win.duplicates.window
        assert dialog is not None
        dialog.grab().save(str(out / "duplicates.png"))
        print("saved", out / "duplicates.png")
        win.close()
        app.quit()

    QTimer.singleShot(1500, lambda: win.add_folder(str(work / "Pictures")))
    QTimer.singleShot(4000, when_indexed)
    code = app.exec()
    shutil.rmtree(work, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
