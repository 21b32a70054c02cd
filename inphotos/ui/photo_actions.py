"""What can be done to photos from the grid: the right-click menu and its actions.

Nothing here reads or decodes a file on the GUI thread: "Copy image" asks the query service
to decode the photo, and the clipboard is filled when the image arrives.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence

from PyQt6.QtGui import QAction, QGuiApplication
from PyQt6.QtWidgets import QMenu, QMessageBox, QWidget

from inphotos import APP_NAME
from inphotos.records import PhotoRecord
from inphotos.ui import desktop

log = logging.getLogger(__name__)


def build_menu(
    parent: QWidget,
    photos: Sequence[PhotoRecord],
    find_similar: Callable[[Sequence[PhotoRecord]], None],
    preview: Callable[[PhotoRecord], None],
    copy_image: Callable[[PhotoRecord], None],
    status: Callable[[str], None],
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
        ("Open", lambda: open_path(parent, first.path)),
        ("Show in folder", lambda: show_path(parent, first.path)),
        ("Copy path", lambda: _copy_paths(photos, status)),
        ("Copy image", lambda: copy_image(first)),
    ):
        action = QAction(text, menu)
        action.triggered.connect(fn)
        menu.addAction(action)
    return menu


def _missing(parent: QWidget, path: str) -> bool:
    if os.path.exists(path):
        return False
    QMessageBox.information(parent, APP_NAME, f"The file is no longer there:\n{path}")
    return True


def open_path(parent: QWidget, path: str) -> None:
    """Open a file with the user's application for it (or say why not)."""
    if not _missing(parent, path) and not desktop.open_file(path):
        QMessageBox.information(parent, APP_NAME, f"No application could open:\n{path}")


def show_path(parent: QWidget, path: str) -> None:
    """Show a file in the file manager (or say why not)."""
    if not _missing(parent, path) and not desktop.show_in_folder(path):
        QMessageBox.information(parent, APP_NAME, f"No file manager could show:\n{path}")


def _copy_paths(photos: Sequence[PhotoRecord], status: Callable[[str], None]) -> None:
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setText("\n".join(p.path for p in photos))
        status("Path copied" if len(photos) == 1 else f"{len(photos)} paths copied")
