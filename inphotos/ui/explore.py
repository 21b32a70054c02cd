"""The Explore page: the everyday things in the library's photos as tiles (a cover photo, a
name and a count); a tile opens its photos in the grid as a search, best first.

The tiles come from the explore service (workers/explore.py), read off the GUI thread; the
cover thumbnails come from the shared thumbnail loader, and only the tile that got one is
redrawn. With no photos, or while the categories are being counted, the page says so.
"""

from __future__ import annotations

import logging

from PyQt6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    pyqtSignal,
)
from PyQt6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PyQt6.QtWidgets import (
    QLabel,
    QListView,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from inphotos.records import PhotoRecord
from inphotos.ui.view import ViewController
from inphotos.workers.explore import ExplorePage, ExploreTile
from inphotos.workers.session import LibrarySession

log = logging.getLogger(__name__)

ParentIndex = QModelIndex | QPersistentModelIndex
COVER = QSize(176, 132)
TILE = QSize(COVER.width() + 16, COVER.height() + 52)
KEY_ROLE = Qt.ItemDataRole.UserRole
COUNT_ROLE = Qt.ItemDataRole.UserRole + 1
NAME_ROLE = Qt.ItemDataRole.UserRole + 2

MESSAGES = {
    "closed": "Opening the library…",
    "empty": "<h2>Explore your photos by what is in them</h2>Add a folder of photos: once "
             "they are indexed, InPhotos sorts them into everyday things — people, dogs, "
             "beaches, food, documents, screenshots… — right here, on this computer.",
    "computing": "<h2>Sorting your photos into things…</h2>This runs once in the background "
                 "(a minute or so for a big library); the tiles appear here when it is done.",
    "no-model": "<h2>Explore needs the search model</h2>Your photos are sorted into things as "
                "soon as the model can be used (the status bar says why it cannot yet).",
    "none": "<h2>No category has enough photos yet</h2>A category shows here once a few "
            "photos clearly belong to it.",
}


class ExploreModel(QAbstractListModel):
    """The tiles: name and count as text, the cover as decoration (asked for when first
    shown: `thumbnail_needed`)."""

    thumbnail_needed = pyqtSignal(object)  # PhotoRecord

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tiles: list[ExploreTile] = []
        self._covers: dict[int, QPixmap] = {}
        self._asked: set[int] = set()

    def set_tiles(self, tiles: list[ExploreTile]) -> None:
        self.beginResetModel()
        self._tiles = list(tiles)
        keep = {t.cover.id for t in tiles}
        self._covers = {i: p for i, p in self._covers.items() if i in keep}
        self._asked &= keep
        self.endResetModel()

    def tile(self, row: int) -> ExploreTile | None:
        return self._tiles[row] if 0 <= row < len(self._tiles) else None

    def set_thumbnail(self, photo_id: int, image: QImage) -> None:
        """A thumbnail arrived (GUI thread): a tile whose cover it is shows it, cropped."""
        rows = [i for i, t in enumerate(self._tiles) if t.cover.id == photo_id]
        if not rows:
            return
        self._covers[photo_id] = _cropped(image, COVER)
        for row in rows:
            idx = self.index(row, 0)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    def rowCount(self, parent: ParentIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._tiles)

    def data(self, index: ParentIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._tiles):
            return None
        tile = self._tiles[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{tile.name}\n{tile.count:,} photo" + ("" if tile.count == 1 else "s")
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Show the {tile.count:,} photos of {tile.name}, best first"
        if role == Qt.ItemDataRole.DecorationRole:
            pixmap = self._covers.get(tile.cover.id)
            if pixmap is None and tile.cover.id not in self._asked:
                self._asked.add(tile.cover.id)  # asked once; the loader answers off this thread
                self.thumbnail_needed.emit(tile.cover)
            return pixmap
        if role == KEY_ROLE:
            return tile.key
        if role == NAME_ROLE:
            return tile.name
        if role == COUNT_ROLE:
            return tile.count
        return None


def _cropped(image: QImage, size: QSize) -> QPixmap:
    """The middle of `image` filling `size` (a cover fills its tile)."""
    scaled = image.scaled(size, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                          Qt.TransformationMode.SmoothTransformation)
    x = (scaled.width() - size.width()) // 2
    y = (scaled.height() - size.height()) // 2
    return QPixmap.fromImage(scaled.copy(QRect(x, y, size.width(), size.height())))


class TileDelegate(QStyledItemDelegate):
    """A tile: the cover filling its top (a grey placeholder until it arrives), the name and
    the count below. A constant size; no I/O while painting."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return TILE

    def paint(self, painter: QPainter | None, option: QStyleOptionViewItem,
              index: QModelIndex) -> None:
        if painter is None:
            return
        painter.save()
        rect = option.rect.adjusted(4, 4, -4, -4)
        palette = option.palette
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, palette.highlight())
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(option.rect, palette.alternateBase())
        cover = QRect(rect.x() + (rect.width() - COVER.width()) // 2, rect.y(), COVER.width(),
                      COVER.height())
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            painter.drawPixmap(cover, pixmap)
        else:
            painter.fillRect(cover, QColor(200, 200, 200))
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(palette.color(palette.ColorRole.Text))
        name_rect = QRect(rect.x(), cover.bottom() + 4, rect.width(), 20)
        name = painter.fontMetrics().elidedText(str(index.data(NAME_ROLE)),
                                                Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignHCenter, name)
        painter.setFont(option.font)
        count = int(index.data(COUNT_ROLE) or 0)
        painter.drawText(QRect(rect.x(), name_rect.bottom() + 1, rect.width(), 18),
                         Qt.AlignmentFlag.AlignHCenter, f"{count:,} photo" + ("" if count == 1 else "s"))
        painter.restore()


class ExplorePageWidget(QWidget):
    """The tiles, or a message saying why there are none."""

    category_chosen = pyqtSignal(str, str)  # key, name
    add_requested = pyqtSignal()

    def __init__(self, model: ExploreModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.title = QLabel("<h2>Explore</h2>", self)
        self.subtitle = QLabel(self)
        self.subtitle.setEnabled(False)
        self.view = QListView(self)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setSpacing(6)
        self.view.setMouseTracking(True)
        self.view.setItemDelegate(TileDelegate(self.view))
        self.view.setModel(model)
        self.view.activated.connect(self._on_activated)
        self.view.clicked.connect(self._on_activated)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.add_button = QPushButton("Add folder…", self)
        self.add_button.clicked.connect(self.add_requested)
        notice = QWidget(self)
        column = QVBoxLayout(notice)
        column.addStretch(1)
        column.addWidget(self.message)
        column.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(2)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(notice)
        self.stack.addWidget(self.view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.stack, 1)
        self.show_page(ExplorePage("closed", []))

    def show_page(self, page: ExplorePage) -> None:
        self.model.set_tiles(page.tiles)
        if page.tiles:
            self.stack.setCurrentWidget(self.view)
            self.subtitle.setText(f"{len(page.tiles)} things found in {page.photos:,} photos "
                                  "· click one to see its photos, best first")
            return
        state = page.state if page.state != "ready" else "none"
        self.message.setText(MESSAGES.get(state, ""))
        self.add_button.setVisible(state == "empty")
        self.subtitle.setText("")
        self.stack.setCurrentIndex(0)

    def _on_activated(self, index: QModelIndex) -> None:
        tile = self.model.tile(index.row())
        if tile is not None:
            self.category_chosen.emit(tile.key, tile.name)


class ExploreController(QObject):
    """Shows the Explore page when asked, keeps it current while shown, and opens a tile's
    photos in the grid (the view controller's `open_category`)."""

    def __init__(self, session: LibrarySession, page: ExplorePageWidget, stack: QStackedWidget,
                 view: ViewController, button: QPushButton | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.button = button  # the side panel's "Explore", checked while the page is up
        self.session = session
        self.page = page
        self.stack = stack
        self.service = session.explore
        self.service.page_ready.connect(self._on_page)
        self.service.failed.connect(lambda text: log.warning("Explore: %s", text))
        session.thumbs.thumbnail_ready.connect(page.model.set_thumbnail)
        page.model.thumbnail_needed.connect(self._request_cover)
        page.category_chosen.connect(self._open)
        self.view = view
        stack.currentChanged.connect(self._on_stack_changed)

    def show(self) -> None:
        """Bring the page up and read it (it is shown at once with what it had)."""
        self.session.queries.cancel()  # an answer still on its way would bring the grid back
        self.stack.setCurrentWidget(self.page)
        self.service.active = True
        self.service.load()

    def _request_cover(self, photo: PhotoRecord) -> None:
        self.session.thumbs.request(photo)

    def _on_page(self, page: ExplorePage) -> None:
        self.page.show_page(page)

    def _open(self, key: str, name: str) -> None:
        self.view.open_category(key, name)

    def _on_stack_changed(self, _index: int) -> None:
        self.service.active = self.view.covered = self.stack.currentWidget() is self.page
        if self.button is not None:
            self.button.setChecked(self.service.active)
