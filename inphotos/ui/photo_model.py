"""The grid's item model: photos (and scores) in display order, thumbnails from an LRU.

`data()` never does I/O: on a thumbnail miss it asks for one (`thumbnail_needed`) and returns
nothing; when the image arrives only that cell is updated. A view calls `data()` for every
paint, so a thumbnail is asked for once until it arrives or fails (or the photos change).
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from typing import Any

from PyQt6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, pyqtSignal
from PyQt6.QtGui import QImage, QPixmap

from inphotos.records import PhotoRecord

log = logging.getLogger(__name__)

IdRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
ScoreRole = Qt.ItemDataRole.UserRole + 3
RecordRole = Qt.ItemDataRole.UserRole + 4
FailedRole = Qt.ItemDataRole.UserRole + 5

ParentIndex = QModelIndex | QPersistentModelIndex


class PhotoModel(QAbstractListModel):
    """A list of photos; thumbnails are requested lazily and cached in memory."""

    thumbnail_needed = pyqtSignal(object)  # PhotoRecord

    def __init__(self, cache_size: int = 600, parent: Any = None) -> None:
        super().__init__(parent)
        self._photos: list[PhotoRecord] = []
        self._scores: list[float] | None = None
        self._rows: dict[int, int] = {}
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._failed: set[int] = set()
        self._requested: set[int] = set()  # asked for, not arrived or failed yet
        self._cache_size = cache_size

    # ------------------------------------------------------------ content

    def set_photos(self, photos: list[PhotoRecord], scores: list[float] | None = None) -> None:
        self.beginResetModel()
        self._photos = list(photos)
        self._scores = list(scores) if scores is not None else None
        self._rows = {p.id: i for i, p in enumerate(self._photos)}
        self._requested.clear()  # new photos (pending loads are cancelled): ask again
        self.endResetModel()

    def photo(self, row: int) -> PhotoRecord | None:
        return self._photos[row] if 0 <= row < len(self._photos) else None

    def score(self, row: int) -> float | None:
        if self._scores is None or not 0 <= row < len(self._scores):
            return None
        return self._scores[row]

    def row_of(self, photo_id: int) -> int:
        return self._rows.get(photo_id, -1)

    def remove_ids(self, ids: set[int]) -> None:
        """Drop photos that left the index (their folder was removed)."""
        keep = [i for i, p in enumerate(self._photos) if p.id not in ids]
        if len(keep) == len(self._photos):
            return
        scores = [self._scores[i] for i in keep] if self._scores is not None else None
        self.set_photos([self._photos[i] for i in keep], scores)

    # ------------------------------------------------------------ thumbnails

    def set_thumbnail(self, photo_id: int, image: QImage) -> None:
        """Called on the GUI thread when a thumbnail arrives; updates just that cell."""
        self._requested.discard(photo_id)
        self._pixmaps[photo_id] = QPixmap.fromImage(image)
        self._pixmaps.move_to_end(photo_id)
        while len(self._pixmaps) > self._cache_size:
            self._pixmaps.popitem(last=False)
        row = self._rows.get(photo_id, -1)
        if row >= 0:
            idx = self.index(row, 0)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    def set_thumbnail_failed(self, photo_id: int) -> None:
        self._requested.discard(photo_id)
        self._failed.add(photo_id)
        row = self._rows.get(photo_id, -1)
        if row >= 0:
            idx = self.index(row, 0)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    def cached_thumbnail(self, photo_id: int) -> QPixmap | None:
        pm = self._pixmaps.get(photo_id)
        if pm is not None:
            self._pixmaps.move_to_end(photo_id)
        return pm

    # ------------------------------------------------------------ Qt model API

    def rowCount(self, parent: ParentIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._photos)

    def data(self, index: ParentIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._photos) or index.column() != 0:
            return None
        p = self._photos[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(p.path)
        if role == Qt.ItemDataRole.DecorationRole:
            pm = self.cached_thumbnail(p.id)
            if pm is None and p.id not in self._failed and p.id not in self._requested:
                self._requested.add(p.id)
                self.thumbnail_needed.emit(p)
            return pm
        if role == Qt.ItemDataRole.ToolTipRole:
            score = self.score(index.row())
            text = p.path
            if p.width and p.height:
                text += f"\n{p.width} × {p.height}"
            if score is not None:
                text += f"\nscore {score:.3f}"
            return text
        if role == IdRole:
            return p.id
        if role == PathRole:
            return p.path
        if role == ScoreRole:
            return self.score(index.row())
        if role == RecordRole:
            return p
        if role == FailedRole:
            return p.id in self._failed
        return None

    def flags(self, index: ParentIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
