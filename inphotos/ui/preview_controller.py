"""Opening photos large: the preview dialog, moving through the results, and its image.

The image is decoded at screen size on the query service's preview thread; a photo that can
no longer be read (deleted, damaged) says why instead of "Loading…" forever. Its tags (the
photo's categories, workers/explore.py) follow; a click on one opens that category.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QObject
from PyQt6.QtWidgets import QWidget

from inphotos.ui.grid import PhotoGrid
from inphotos.ui.photo_model import PhotoModel
from inphotos.ui.preview import PreviewDialog
from inphotos.workers.explore import PhotoTags
from inphotos.workers.session import LibrarySession


class PreviewController(QObject):
    """Shows the grid's photos one at a time in a (lazily made) preview dialog."""

    def __init__(self, session: LibrarySession, model: PhotoModel, grid: PhotoGrid,
                 window: QWidget) -> None:
        super().__init__(window)
        self.session = session
        self.model = model
        self.grid = grid
        self.window = window
        self.dialog: PreviewDialog | None = None
        session.queries.preview_ready.connect(self._on_image)
        session.queries.preview_failed.connect(self._on_failed)
        session.explore.tags_ready.connect(self._on_tags)
        session.explore.counts_changed.connect(self._refresh_tags)
        #: Opens a tag's category in the grid (the window sets it: the view's open_category).
        self.open_category: Callable[[str, str], None] | None = None

    def open(self, row: int) -> None:
        photo = self.model.photo(row)
        if photo is None:
            return
        if self.dialog is None:
            self.dialog = PreviewDialog(self.window)
            self.dialog.navigate.connect(self.step)
            self.dialog.tag_chosen.connect(self._on_tag_chosen)
        self.grid.setCurrentIndex(self.model.index(row, 0))
        start_ms = self.model.frame_ms(row)  # a video found by a search: its matching moment
        self.dialog.show_photo(photo, row, self.model.rowCount(), start_ms)
        screen = self.window.screen()
        side = max(screen.size().width(), screen.size().height()) if screen else 2048
        self.session.queries.preview(photo, side, start_ms)
        self.session.explore.tags(photo)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()

    def open_photo_id(self, photo_id: int) -> None:
        self.open(self.model.row_of(photo_id))

    def step(self, delta: int) -> None:
        row = self.grid.current_row() + delta
        if 0 <= row < self.model.rowCount():
            self.open(row)

    def close(self) -> None:
        if self.dialog is not None:
            self.dialog.close()

    def _on_image(self, photo_id: int, image: object) -> None:
        if self.dialog is not None:
            self.dialog.set_image(photo_id, image)  # type: ignore[arg-type]

    def _on_tags(self, tags: PhotoTags) -> None:
        if self.dialog is not None:
            self.dialog.set_tags(tags.photo_id, tags.tags)

    def _refresh_tags(self) -> None:
        """Categories were counted again: the photo on screen gets its tags again."""
        if self.dialog is not None and self.dialog.isVisible():
            photo = self.model.photo(self.grid.current_row())
            if photo is not None and photo.id == self.dialog.photo_id:
                self.session.explore.tags(photo)

    def _on_tag_chosen(self, key: str, name: str) -> None:
        if self.open_category is not None:
            self.open_category(key, name)

    def _on_failed(self, photo_id: int, message: str) -> None:
        if self.dialog is not None:
            self.dialog.set_error(photo_id, message)
