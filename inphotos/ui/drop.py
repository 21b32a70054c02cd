"""Dropped and pasted images become "find similar" queries.

A dropped image file is searched as it is. A pasted picture (no file behind it) is handed to
the query service, which writes it to a temporary file for the engine and deletes it once read;
the results are titled "pasted image".
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QMimeData
from PyQt6.QtGui import QGuiApplication, QImage

from inphotos.ui.view import ViewController
from inphotos.workers.catalog import is_query_file

PASTED_LABEL = "pasted image"


def image_files(mime: QMimeData | None) -> list[str]:
    """The image (and video) files among the URLs of a drag or the clipboard."""
    if mime is None:
        return []
    return [u.toLocalFile() for u in mime.urls() if is_query_file(u.toLocalFile())]


def accepts(mime: QMimeData | None) -> bool:
    """Whether a drag carries something to search with."""
    return mime is not None and (mime.hasImage() or bool(image_files(mime)))


class DropHandler:
    """Turns dropped or pasted content into a similar-photos query."""

    def __init__(self, view: ViewController, temp_dir: Path) -> None:
        self.view = view
        self.temp_dir = temp_dir

    def paste(self) -> None:
        clipboard = QGuiApplication.clipboard()
        self.search_with(clipboard.mimeData() if clipboard is not None else None)

    def search_with(self, mime: QMimeData | None) -> None:
        files = image_files(mime)
        if files:
            self.view.similar_to_file(files[0])
        elif mime is not None and mime.hasImage():
            image = QImage(mime.imageData())
            if not image.isNull():
                self.view.similar_to_image(image, self.temp_dir, PASTED_LABEL)
