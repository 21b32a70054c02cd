"""The thumbnail grid: a QListView in icon mode over `PhotoModel` (never a widget per photo)."""

from __future__ import annotations

from PyQt6.QtCore import QModelIndex, QPoint, Qt, pyqtSignal
from PyQt6.QtGui import QKeyEvent, QWheelEvent
from PyQt6.QtWidgets import QAbstractItemView, QListView, QWidget

from inphotos.records import PhotoRecord
from inphotos.ui.delegate import ThumbnailDelegate, cell_size
from inphotos.ui.photo_model import PhotoModel

MIN_THUMB, MAX_THUMB = 80, 320


class PhotoGrid(QListView):
    """Smooth-scrolling grid; Enter/Space/double-click open the preview."""

    photo_activated = pyqtSignal(int)  # row
    thumb_size_changed = pyqtSignal(int)

    def __init__(self, model: PhotoModel, size: int = 160, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.photo_model = model
        self.delegate = ThumbnailDelegate(size, self)
        self.setModel(model)
        self.setItemDelegate(self.delegate)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setWrapping(True)
        self.setSpacing(0)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setMouseTracking(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setDragEnabled(False)
        self.setAcceptDrops(False)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.doubleClicked.connect(lambda idx: self.photo_activated.emit(idx.row()))
        self.set_thumb_size(size)

    @property
    def thumb_size(self) -> int:
        return self.delegate.size

    def set_thumb_size(self, size: int) -> None:
        size = max(MIN_THUMB, min(MAX_THUMB, int(size)))
        self.delegate.size = size
        self.setGridSize(cell_size(size))
        self.verticalScrollBar().setSingleStep(max(20, size // 4))  # type: ignore[union-attr]
        self.scheduleDelayedItemsLayout()
        self.thumb_size_changed.emit(size)

    def set_show_scores(self, show: bool) -> None:
        self.delegate.show_scores = show
        self.viewport().update()  # type: ignore[union-attr]

    def selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.selectedIndexes())

    def photos_at(self, pos: QPoint) -> list[PhotoRecord]:
        """For a right-click at `pos`: the photo there first, then the rest of the selection.

        A click outside the selection selects just the photo clicked, as file managers do.
        """
        index = self.indexAt(pos)
        if not index.isValid():
            return []
        if not self.selectionModel().isSelected(index):  # type: ignore[union-attr]
            self.setCurrentIndex(index)
        rows = [r for r in self.selected_rows() if r != index.row()]
        photos = (self.photo_model.photo(r) for r in [index.row(), *rows])
        return [p for p in photos if p is not None]

    def current_row(self) -> int:
        idx: QModelIndex = self.currentIndex()
        return idx.row() if idx.isValid() else -1

    def keyPressEvent(self, e: QKeyEvent | None) -> None:
        if e is None:
            return
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self.current_row() >= 0:
            self.photo_activated.emit(self.current_row())
            return
        super().keyPressEvent(e)

    def wheelEvent(self, e: QWheelEvent | None) -> None:
        if e is not None and e.modifiers() & Qt.KeyboardModifier.ControlModifier:
            step = 20 if e.angleDelta().y() > 0 else -20
            self.set_thumb_size(self.thumb_size + step)
            e.accept()
            return
        super().wheelEvent(e)
