"""What can be done to photos from the grid: the right-click menu and its actions."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence

from PyQt6.QtGui import QAction, QGuiApplication, QImage
from PyQt6.QtWidgets import QMenu, QMessageBox, QWidget

from inphotos.core.imaging import DecodeError, load_preview
from inphotos.records import PhotoRecord
from inphotos.ui import desktop

log = logging.getLogger(__name__)


def build_menu(
    parent: QWidget,
    photos: Sequence[PhotoRecord],
    find_similar: Callable[[Sequence[PhotoRecord]], None],
    preview: Callable[[PhotoRecord], None],
) -> QMenu:
    """The context menu for the selected photos (the first one is the one clicked)."""
    menu = QMenu(parent)
    first = photos[0]
    label = "Find similar" if len(photos) == 1 else f"Find similar to these {len(photos)}"
    similar = QAction(label, menu)
    similar.triggered.connect(lambda: find_similar(photos))
    menu.addAction(similar)
    menu.addSeparator()
    for text, fn in (
        ("Preview", lambda: preview(first)),
        ("Open", lambda: _open(parent, first.path)),
        ("Show in folder", lambda: _show(parent, first.path)),
        ("Copy path", lambda: copy_paths(photos)),
        ("Copy image", lambda: copy_image(parent, first.path)),
    ):
        action = QAction(text, menu)
        action.triggered.connect(fn)
        menu.addAction(action)
    return menu


def _missing(parent: QWidget, path: str) -> bool:
    if os.path.exists(path):
        return False
    QMessageBox.information(parent, "InPhotos", f"The file is no longer there:\n{path}")
    return True


def _open(parent: QWidget, path: str) -> None:
    if not _missing(parent, path) and not desktop.open_file(path):
        QMessageBox.information(parent, "InPhotos", f"No application could open:\n{path}")


def _show(parent: QWidget, path: str) -> None:
    if not _missing(parent, path):
        desktop.show_in_folder(path)


def copy_paths(photos: Sequence[PhotoRecord]) -> None:
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setText("\n".join(p.path for p in photos))


def copy_image(parent: QWidget, path: str) -> None:
    try:
        rgb = load_preview(path, 4096)
    except DecodeError as e:
        QMessageBox.information(parent, "InPhotos", f"Cannot copy the image: {e}")
        return
    data = rgb.tobytes("raw", "RGB")
    image = QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888).copy()
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setImage(image)
