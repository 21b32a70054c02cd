"""Take the Explore screenshots: the Explore page and a preview's tags, on real photos.

Usage (on a machine without a display, under Xvfb):
    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/make_explore_screenshots.py OUT_DIR

THE EMBEDDER HERE IS A DETERMINISTIC STAND-IN, NOT CLIP. This session cannot download model
weights, and the tiny random-weight model sorts photos into arbitrary categories. So the
photos (the MATE desktop's nature photos and its elephants painting, from
/usr/share/backgrounds/mate) are labelled by hand below with what they show, and
`LabelEmbedder` turns those labels into CLIP-shaped vectors: one shared direction, a
direction per label, and a little noise. Everything after the embedder is the app's own code
path: indexing, the categories' prompt templates, the calibrated cut-off, the stored counts,
the Explore page, a tile's search and the preview's tags.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication

from inphotos.config import Settings
from inphotos.core.imaging import decode
from inphotos.core.library import Library
from inphotos.ml.pixels import PixelSpec
from inphotos.paths import app_paths

MATE = Path("/usr/share/backgrounds/mate")
#: What each photo shows, as words of the categories' prompts (inphotos/data/categories.txt).
LABELS = {
    "nature/Aqua.jpg": {"nature": 1.0, "rain": 0.5},
    "nature/Blinds.jpg": {"nature": 1.0},
    "nature/Dune.jpg": {"nature": 1.0, "meadow": 0.8, "sea": 0.5},
    "nature/FreshFlower.jpg": {"flowers": 1.0, "nature": 0.7},
    "nature/Garden.jpg": {"flowers": 1.0, "nature": 0.7, "garden": 0.4},
    "nature/GreenMeadow.jpg": {"meadow": 1.0, "nature": 0.8},
    "nature/LadyBird.jpg": {"insect": 1.0, "flowers": 0.7, "nature": 0.7},
    "nature/RainDrops.jpg": {"rain": 1.0, "nature": 0.8, "meadow": 0.4},
    "nature/Storm.jpg": {"storm": 1.0, "clouds": 0.8},
    "nature/TwoWings.jpg": {"flowers": 1.0, "nature": 0.6},
    "nature/Wood.jpg": {"texture": 1.0},
    "nature/YellowFlower.jpg": {"flowers": 1.0, "nature": 0.7},
    "abstract/Elephants.jpg": {"painting": 1.0, "elephant": 0.9},
    "abstract/Elephants_3840x2160.jpg": {"painting": 1.0, "elephant": 0.9},
    "abstract/Elephants_5640x3172.jpg": {"painting": 1.0, "elephant": 0.9},
}
#: InPhotos' own screenshots (docs/screenshots): what a library's screenshots look like.
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
SCREENSHOT_FILES = ("cancelled-index.png", "empty.png", "filtered-search.png",
                    "offline-first-start.png", "timeline.png", "search.jpg")


class LabelEmbedder:
    """Deterministic stand-in for CLIP (see the module docstring): a photo is recognised by
    its pixels' colour layout and embedded from its hand-written labels; a text means the
    label words it contains."""

    dims = 64
    name = "label-stand-in-embedder"

    def __init__(self, photos: dict[str, dict[str, float]]) -> None:
        self.pixel_spec = PixelSpec()
        self.words = sorted({w for labels in photos.values() for w in labels})
        rng = np.random.default_rng(0)
        basis = np.linalg.qr(rng.normal(size=(self.dims, self.dims)))[0]
        self.common = basis[0]
        self.direction = {w: basis[i + 1] for i, w in enumerate(self.words)}
        self.known = [(self._layout(decode(p, self.pixel_spec, want_thumbnail=False).pixels), labels)
                      for p, labels in photos.items()]

    def _layout(self, pixels: np.ndarray | None) -> np.ndarray:
        assert pixels is not None
        h, w = pixels.shape[1] // 2, pixels.shape[2] // 2
        return np.asarray([pixels[:, y : y + h, x : x + w].mean(axis=(1, 2))
                           for y in (0, h) for x in (0, w)]).ravel()

    def _vector(self, labels: dict[str, float], seed: str, noise: float) -> np.ndarray:
        meaning = sum((weight * self.direction[w] for w, weight in labels.items()),
                      np.zeros(self.dims))
        if labels:  # as much meaning in every photo: its labels share it
            meaning /= np.linalg.norm(meaning)
        rng = np.random.default_rng(int(hashlib.sha1(seed.encode()).hexdigest()[:8], 16))
        v = 1.0 * self.common + 0.45 * meaning + noise * rng.normal(size=self.dims)
        return (v / np.linalg.norm(v)).astype(np.float32)

    def encode_pixels(self, batch: np.ndarray) -> np.ndarray:
        out = []
        for row in batch:
            layout = self._layout(row)
            _, labels = min(self.known, key=lambda k: float(np.abs(k[0] - layout).sum()))
            out.append(self._vector(labels, layout.tobytes().hex(), 0.025))
        return np.stack(out)

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            words = "".join(c if c.isalnum() else " " for c in text.lower()).split()
            labels = {w: 1.0 for w in self.words if w in words}
            rows.append(self._vector(labels, " ".join(w for w in words if w not in labels), 0.025))
        return np.stack(rows)


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="inphotos-explore-shots-"))
    photos = work / "Photos"
    for rel in LABELS:
        dest = photos / Path(rel).name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(MATE / rel, dest)
    labels = {str(photos / Path(rel).name): v for rel, v in LABELS.items()}
    for name in SCREENSHOT_FILES:
        shutil.copy2(SCREENSHOTS / name, photos / f"Screenshot-{name}")
        labels[str(photos / f"Screenshot-{name}")] = {"screenshot": 1.0}
    model = work / "label-model"
    model.mkdir()
    (model / "open_clip_config.json").write_text('{"model_cfg": {"embed_dim": 64}}')
    spec = f"local-dir:{model}"

    app = QApplication(sys.argv[:1])
    app.setApplicationName("InPhotos")
    from inphotos.ui.main_window import MainWindow
    from inphotos.workers.session import LibrarySession

    paths = app_paths(work / "home").ensure()
    embedder = LabelEmbedder(labels)
    session = LibrarySession(lambda s: Library(paths, s, embedder_factory=lambda: embedder, workers=1))
    win = MainWindow(paths, Settings(model=spec, thumbnail_size=180), session)
    win.resize(1400, 860)
    win.show()
    session.open_failed.connect(lambda e: (print("could not open:", e), app.exit(1)))
    session.open(spec)

    def shot(widget: object, name: str) -> None:
        widget.grab().save(str(out / name))  # type: ignore[attr-defined]
        print("saved", out / name)

    def start() -> None:
        if session.library is None:
            QTimer.singleShot(300, start)
            return
        win.add_folder(str(photos))
        QTimer.singleShot(1500, when_indexed)

    def when_indexed() -> None:
        if session.index.running or not session.lib.store.count():
            QTimer.singleShot(300, when_indexed)
            return
        win.explore.show()
        QTimer.singleShot(500, when_counted)

    def when_counted() -> None:
        if win.explore_page.model.rowCount() == 0:
            QTimer.singleShot(300, when_counted)
            return
        QTimer.singleShot(2000, lambda: (shot(win, "explore.png"), open_flowers()))

    def open_flowers() -> None:
        model = win.explore_page.model
        row = next(r for r in range(model.rowCount()) if model.tile(r).key == "flowers")
        win.explore_page.view.clicked.emit(model.index(row, 0))
        QTimer.singleShot(2500, preview)

    def preview() -> None:
        row = next(r for r in range(win.photo_model.rowCount())
                   if Path(win.photo_model.photo(r).path).stem == "LadyBird")
        win.preview.open(row)
        win.preview.dialog.resize(1000, 720)
        QTimer.singleShot(2500, lambda: (shot(win.preview.dialog, "preview-tags.png"),
                                         win.preview.dialog.close(), win.close(), app.quit()))

    QTimer.singleShot(500, start)
    code = app.exec()
    shutil.rmtree(work, ignore_errors=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
