"""The thumbnail grid: photos in justified rows over `PhotoModel` (never a widget per photo).

A QAbstractItemView of its own rather than QListView: QListView with photos of different
widths lays every item out again whenever one changes, while here `ui/justified.py` lays out
only the page that arrived and paints only the rows on screen (found by binary search), so a
100,000-photo timeline scrolls as smoothly as a small one. Selection, the keyboard (arrows,
Home/End, Page Up/Down, Ctrl+A), the rubber band and the context menu are Qt's own; only
where things go is ours. On the timeline each month starts a row under its own header band.
"""

from __future__ import annotations

import logging

from PyQt6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    Qt,
    pyqtSignal,
)
from PyQt6.QtGui import QFont, QFontMetrics, QKeyEvent, QMouseEvent, QPainter, QPalette, QRegion, QWheelEvent
from PyQt6.QtWidgets import QAbstractItemView, QStyle, QStyleOptionViewItem, QWidget

from inphotos.records import PhotoRecord
from inphotos.ui.delegate import ThumbnailDelegate
from inphotos.ui.justified import JustifiedLayout
from inphotos.ui.photo_model import PhotoModel

log = logging.getLogger(__name__)

MIN_THUMB, MAX_THUMB = 80, 320
SPACING = 4  # between photos and rows
#: The next timeline page is asked for while this many screens are still below.
PREFETCH_SCREENS = 3

Index = QModelIndex | QPersistentModelIndex


class PhotoGrid(QAbstractItemView):
    """Smooth-scrolling justified grid; Enter/Space/double-click open the preview."""

    photo_activated = pyqtSignal(int)  # row
    thumb_size_changed = pyqtSignal(int)

    def __init__(self, model: PhotoModel, size: int = 160, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.photo_model = model
        self.delegate = ThumbnailDelegate(size, self)
        self.layout_ = JustifiedLayout(spacing=SPACING, header_height=self._header_height())
        self._hover = QPersistentModelIndex()
        self.setModel(model)
        model.rowsRemoved.connect(self._relayout)  # (it removes by resetting, but should it not)
        self.setItemDelegate(self.delegate)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Always there: a bar that came and went would change the width and the layout with it.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setMouseTracking(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setDragEnabled(False)
        self.setAcceptDrops(False)
        self.setFrameShape(QAbstractItemView.Shape.NoFrame)
        self.doubleClicked.connect(lambda idx: self.photo_activated.emit(idx.row()))
        self.set_thumb_size(size)

    # ------------------------------------------------------------ size and options

    @property
    def thumb_size(self) -> int:
        return self.delegate.size

    def set_thumb_size(self, size: int) -> None:
        """Thumbnails about `size` pixels wide: rows `size` × 3/4 high."""
        size = max(MIN_THUMB, min(MAX_THUMB, int(size)))
        self.delegate.size = size
        self._configure()
        self.thumb_size_changed.emit(size)

    def row_height(self) -> int:
        return round(self.thumb_size * 0.75)

    def set_show_scores(self, show: bool) -> None:
        self.delegate.show_scores = show
        self.viewport().update()  # type: ignore[union-attr]

    def _header_height(self) -> int:
        return QFontMetrics(self._header_font()).height() + 14

    def _header_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1 if font.pointSizeF() > 0 else 10)
        return font

    def _configure(self) -> None:
        """Lay out again for the viewport's width and the row height, keeping the top photo."""
        viewport = self.viewport()
        assert viewport is not None
        place = self.place()
        if self.layout_.configure(viewport.width(), self.row_height(), SPACING, self._header_height()):
            self._after_layout()
            self.restore_place(place)

    def _relayout(self, *_args: object) -> None:
        aspects, labels = self.photo_model.shapes(0, self.photo_model.rowCount())
        self.layout_.reset(aspects, labels)
        self._after_layout()

    def _after_layout(self) -> None:
        self.updateGeometries()
        self.viewport().update()  # type: ignore[union-attr]

    # ------------------------------------------------------------ following the model

    def reset(self) -> None:  # the model was reset: new photos
        super().reset()
        self._hover = QPersistentModelIndex()
        self._relayout()

    def rowsInserted(self, parent: QModelIndex, start: int, end: int) -> None:
        super().rowsInserted(parent, start, end)
        if parent.isValid():
            return
        if start != len(self.layout_):  # not an append (the model only appends): lay out again
            self._relayout()
            return
        aspects, labels = self.photo_model.shapes(start, end + 1)
        self.layout_.extend(aspects, labels)
        self._after_layout()


    # ------------------------------------------------------------ where things are

    def visualRect(self, index: Index) -> QRect:
        if not index.isValid() or not 0 <= index.row() < len(self.layout_):
            return QRect()
        x, y, w, h = self.layout_.rect(index.row())
        return QRect(x, y - self.verticalOffset(), w, h)

    def indexAt(self, p: QPoint) -> QModelIndex:
        item = self.layout_.item_at(p.x(), p.y() + self.verticalOffset())
        return self.photo_model.index(item, 0) if item >= 0 else QModelIndex()

    def horizontalOffset(self) -> int:
        return 0

    def verticalOffset(self) -> int:
        return self.verticalScrollBar().value()  # type: ignore[union-attr]

    def isIndexHidden(self, index: Index) -> bool:
        return False

    def scrollTo(self, index: Index,
                 hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        if not index.isValid() or not 0 <= index.row() < len(self.layout_):
            return
        _x, y, _w, h = self.layout_.rect(index.row())
        top = self.layout_.row_top(self.layout_.row_of(index.row()))  # its month header too
        view_h = self.viewport().height()  # type: ignore[union-attr]
        bar = self.verticalScrollBar()
        assert bar is not None
        value = bar.value()
        if hint is QAbstractItemView.ScrollHint.PositionAtTop:
            value = top
        elif hint is QAbstractItemView.ScrollHint.PositionAtBottom:
            value = y + h - view_h
        elif hint is QAbstractItemView.ScrollHint.PositionAtCenter:
            value = y + h // 2 - view_h // 2
        elif top < value:
            value = top
        elif y + h > value + view_h:
            value = y + h - view_h
        bar.setValue(value)

    def place(self) -> tuple[int, int]:
        """Where the view is: the photo id at the top left, and how far above the viewport
        top its row starts (0, 0: nothing shown)."""
        offset = self.verticalOffset()
        items = self.layout_.items_between(offset, offset)
        if not items:
            return 0, 0
        photo = self.photo_model.photo(items.start)
        if photo is None:
            return 0, 0
        return photo.id, offset - self.layout_.rect(items.start)[1]

    def restore_place(self, place: tuple[int, int]) -> None:
        """Scroll so the photo of `place` is where it was (the top when it is gone)."""
        photo_id, above = place
        row = self.photo_model.row_of(photo_id) if photo_id else -1
        bar = self.verticalScrollBar()
        assert bar is not None
        if row < 0 or row >= len(self.layout_):
            bar.setValue(0)
            return
        bar.setValue(self.layout_.rect(row)[1] + above)

    def updateGeometries(self) -> None:
        viewport = self.viewport()
        bar = self.verticalScrollBar()
        assert viewport is not None
        assert bar is not None
        bar.setPageStep(viewport.height())
        bar.setSingleStep(max(20, self.row_height() // 3))
        bar.setRange(0, max(0, self.layout_.height - viewport.height()))
        super().updateGeometries()  # asks the model for more if the end is on screen
        self._prefetch()

    def _prefetch(self) -> None:
        """Ask for the timeline's next page well before the end shows."""
        viewport = self.viewport()
        assert viewport is not None
        below = self.layout_.height - self.verticalOffset() - viewport.height()
        root = QModelIndex()
        if below < PREFETCH_SCREENS * viewport.height() and self.photo_model.canFetchMore(root):
            self.photo_model.fetchMore(root)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        if dy:
            self._prefetch()

    def resizeEvent(self, e: object) -> None:
        super().resizeEvent(e)  # type: ignore[arg-type]
        self._configure()
        self.updateGeometries()

    # ------------------------------------------------------------ the keyboard

    def moveCursor(self, action: QAbstractItemView.CursorAction,
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        n = len(self.layout_)
        if not n:
            return QModelIndex()
        current = self.currentIndex()
        row = current.row() if current.isValid() else -1
        act = QAbstractItemView.CursorAction
        if action is act.MoveEnd:
            target = n - 1
        elif row < 0 or action is act.MoveHome:
            target = 0
        elif action in (act.MoveLeft, act.MovePrevious):
            target = max(0, row - 1)
        elif action in (act.MoveRight, act.MoveNext):
            target = min(n - 1, row + 1)
        elif action in (act.MoveUp, act.MoveDown, act.MovePageUp, act.MovePageDown):
            target = self._vertical_target(row, action)
        else:
            target = row
        return self.photo_model.index(target, 0)

    def _vertical_target(self, row: int, action: QAbstractItemView.CursorAction) -> int:
        """The photo above or below `row` (a row or a screen away), nearest in x."""
        layout, act = self.layout_, QAbstractItemView.CursorAction
        x, y, w, h = layout.rect(row)
        line = layout.row_of(row)
        if action is act.MoveUp:
            line -= 1
        elif action is act.MoveDown:
            line += 1
        else:
            step = self.viewport().height()  # type: ignore[union-attr]
            line = layout.row_at(y + h // 2 + (step if action is act.MovePageDown else -step))
        if line < 0:
            return 0 if action is act.MovePageUp else row
        if line >= layout.rows:
            return len(layout) - 1 if action is act.MovePageDown else row
        return layout.nearest_in_row(line, x + w // 2)

    def keyPressEvent(self, e: QKeyEvent | None) -> None:
        if e is None:
            return
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self.current_row() >= 0:
            self.photo_activated.emit(self.current_row())
            return
        super().keyPressEvent(e)

    # ------------------------------------------------------------ selection

    def setSelection(self, rect: QRect, command: QItemSelectionModel.SelectionFlag) -> None:
        """Select what `rect` (a rubber band, or Shift from the anchor to a photo) reaches,
        in date order: from the first photo it touches to the last, as photo apps do."""
        area = rect.normalized().translated(0, self.verticalOffset())
        touched = [i for i in self.layout_.items_between(area.top(), area.bottom())
                   if area.intersects(QRect(*self.layout_.rect(i)))]
        selection = QItemSelection()
        if touched:
            selection.select(self.photo_model.index(touched[0], 0), self.photo_model.index(touched[-1], 0))
        self.selectionModel().select(selection, command)  # type: ignore[union-attr]

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:
        offset = self.verticalOffset()
        shown = self.layout_.items_between(offset, offset + self.viewport().height())  # type: ignore[union-attr]
        region = QRegion()
        for k in range(len(selection)):
            r = selection[k]
            for i in range(max(r.top(), shown.start), min(r.bottom() + 1, shown.stop)):
                region = region.united(self.visualRect(self.photo_model.index(i, 0)))
        return region

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

    # ------------------------------------------------------------ painting and the mouse

    def paintEvent(self, e: object) -> None:
        viewport = self.viewport()
        assert viewport is not None
        painter = QPainter(viewport)
        offset = self.verticalOffset()
        clip = e.rect() if hasattr(e, "rect") else viewport.rect()  # type: ignore[attr-defined]
        top, bottom = clip.top() + offset, clip.bottom() + offset
        selection = self.selectionModel()
        current = self.currentIndex()
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        base_state = option.state  # type: ignore[attr-defined]
        focus = self.hasFocus()
        for i in self.layout_.items_between(top, bottom):
            index = self.photo_model.index(i, 0)
            option.rect = self.visualRect(index)  # type: ignore[attr-defined]
            state = base_state
            if selection is not None and selection.isSelected(index):
                state |= QStyle.StateFlag.State_Selected
            if index == self._hover:
                state |= QStyle.StateFlag.State_MouseOver
            if focus and index == current:
                state |= QStyle.StateFlag.State_HasFocus
            option.state = state  # type: ignore[attr-defined]
            self.delegate.paint(painter, option, index)
        headers = self.layout_.headers_between(top, bottom)
        if headers:
            painter.setFont(self._header_font())
            painter.setPen(self.palette().color(QPalette.ColorRole.Text))
            height = self.layout_.header_height
            for y, label in headers:
                band = QRect(4, y - offset, viewport.width() - 8, height - SPACING)
                painter.drawText(band, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
        painter.end()

    def mouseMoveEvent(self, e: QMouseEvent | None) -> None:
        if e is not None:
            index = self.indexAt(e.position().toPoint())
            if index != self._hover:
                viewport = self.viewport()
                assert viewport is not None
                if self._hover.isValid():
                    viewport.update(self.visualRect(self._hover))
                self._hover = QPersistentModelIndex(index)
                if index.isValid():
                    viewport.update(self.visualRect(index))
        super().mouseMoveEvent(e)

    def leaveEvent(self, e: object) -> None:
        if self._hover.isValid():
            self.viewport().update(self.visualRect(self._hover))  # type: ignore[union-attr]
        self._hover = QPersistentModelIndex()
        super().leaveEvent(e)  # type: ignore[arg-type]

    def wheelEvent(self, e: QWheelEvent | None) -> None:
        if e is not None and e.modifiers() & Qt.KeyboardModifier.ControlModifier:
            step = 20 if e.angleDelta().y() > 0 else -20
            self.set_thumb_size(self.thumb_size + step)
            e.accept()
            return
        super().wheelEvent(e)
