"""The grid's item model: photos (and scores) in display order, thumbnails from an LRU.

`data()` never does I/O: on a thumbnail miss it asks for one (`thumbnail_needed`) and returns
nothing; when the image arrives only that cell is updated. A view calls `data()` for every
paint, so a thumbnail is asked for once until it arrives or fails (or the photos change).
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, pyqtSignal
from PyQt6.QtGui import QImage, QPixmap

from inphotos.records import PhotoRecord, format_duration
from inphotos.ui.justified import NO_ROWS, box_aspects

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

IdRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
ScoreRole = Qt.ItemDataRole.UserRole + 3
RecordRole = Qt.ItemDataRole.UserRole + 4
FailedRole = Qt.ItemDataRole.UserRole + 5
PinnedRole = Qt.ItemDataRole.UserRole + 6  # a photo a "find similar" started from
SectionRole = Qt.ItemDataRole.UserRole + 7  # "March 2021" on the first photo of a month (timeline)
BadgeRole = Qt.ItemDataRole.UserRole + 8  # "3 ▸" on a stack of duplicates (ui/stacks.py)
VideoRole = Qt.ItemDataRole.UserRole + 9  # a video's badge: "▶ 1:05", "▶ 0:40 / 1:05" where a
#                                          search matched it; None for a photo

ParentIndex = QModelIndex | QPersistentModelIndex


class PhotoModel(QAbstractListModel):
    """A list of photos; thumbnails are requested lazily and cached in memory."""

    thumbnail_needed = pyqtSignal(object)  # PhotoRecord
    more_needed = pyqtSignal(object)  # the last PhotoRecord: the timeline's next page, please

    def __init__(self, cache_size: int = 600, parent: Any = None) -> None:
        super().__init__(parent)
        self._photos: list[PhotoRecord] = []
        self._scores: list[float] | None = None
        self._rows: dict[int, int] = {}
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._failed: set[int] = set()
        self._requested: set[int] = set()  # asked for, not arrived or failed yet
        self._cache_size = cache_size
        self._pinned = 0  # the first rows are the photos a "find similar" started from
        self._more = False  # the timeline has more pages than loaded
        self._fetching = False
        #: Photo id -> the badge of the stack of duplicates it stands for (set by ui/stacks.py).
        self.badges: dict[int, str] = {}
        self._frame_ms: dict[int, int] = {}  # video id -> the time its best frame matched
        self._badges: dict[int, str] = {}  # video id -> its badge, made once (not in paint)

    # ------------------------------------------------------------ content

    def set_photos(self, photos: list[PhotoRecord], scores: list[float] | None = None,
                   pinned: int = 0, more: bool = False,
                   frame_times: dict[int, int] | None = None) -> None:
        """Show `photos` (with `scores`: match strengths 0-1); the first `pinned` are the
        photos a "find similar" started from, shown first and marked. `more`: the timeline
        (no scores) has further pages, asked for with `more_needed` as the view scrolls.
        `frame_times`: for videos found by a search, when their best frame is (ms)."""
        self.beginResetModel()
        self._pinned = pinned
        self._more = more and scores is None
        self._fetching = False
        self._photos = list(photos)
        self._scores = list(scores) if scores is not None else None
        self._rows = {p.id: i for i, p in enumerate(self._photos)}
        self._frame_ms = dict(frame_times or {})
        self._badges = {}
        self._add_badges(self._photos)
        self._requested.clear()  # new photos (pending loads are cancelled): ask again
        self.endResetModel()

    def append_photos(self, photos: list[PhotoRecord], more: bool) -> None:
        """The timeline's next page arrived (on the GUI thread)."""
        self._fetching = False
        self._more = more
        fresh = [p for p in photos if p.id not in self._rows]
        if not fresh:
            return
        first = len(self._photos)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        for i, p in enumerate(fresh):
            self._rows[p.id] = first + i
        self._photos.extend(fresh)
        self._add_badges(fresh)
        self.endInsertRows()

    def _add_badges(self, photos: list[PhotoRecord]) -> None:
        for p in photos:
            if not p.is_video:
                continue
            length = format_duration(p.duration_ms) if p.duration_ms else ""
            at = self._frame_ms.get(p.id)
            if at is not None:  # found by a search: where it matched, of how long
                self._badges[p.id] = f"▶ {format_duration(at)}" + (f" / {length}" if length else "")
            else:
                self._badges[p.id] = f"▶ {length}".rstrip()

    def frame_ms(self, row: int) -> int:
        """Where a video matched (ms from its start); 0 for a photo or a video just browsed."""
        p = self.photo(row)
        return self._frame_ms.get(p.id, 0) if p is not None else 0

    @property
    def timeline(self) -> bool:
        """Whether the photos are the library by date (no scores): months are labelled."""
        return self._scores is None

    def first_row_in_year(self, year: int) -> int:
        """The first loaded photo taken in `year` or before (-1: not loaded yet)."""
        for i, p in enumerate(self._photos):
            if p.taken_ms and month_of(p.taken_ms)[0] <= year:
                return i
        return -1

    @property
    def fetching(self) -> bool:
        """A page of the timeline is on its way."""
        return self._fetching

    def begin_fetch(self) -> PhotoRecord | None:
        """The last photo, to ask for the pages after it (once at a time; None: no more)."""
        if not self.canFetchMore(QModelIndex()):
            return None
        self._fetching = True
        return self._photos[-1]

    def canFetchMore(self, parent: ParentIndex) -> bool:
        return not parent.isValid() and self._more and not self._fetching and bool(self._photos)

    def fetchMore(self, parent: ParentIndex) -> None:
        last = self.begin_fetch() if not parent.isValid() else None
        if last is not None:  # asked once; the page is read off the GUI thread
            self.more_needed.emit(last)

    def photo(self, row: int) -> PhotoRecord | None:
        return self._photos[row] if 0 <= row < len(self._photos) else None

    def score(self, row: int) -> float | None:
        if self._scores is None or not 0 <= row < len(self._scores):
            return None
        return self._scores[row]

    @property
    def pinned(self) -> int:
        return self._pinned

    def row_of(self, photo_id: int) -> int:
        return self._rows.get(photo_id, -1)

    def remove_ids(self, ids: set[int]) -> None:
        """Drop photos that left the index (their folder was removed)."""
        keep = [i for i, p in enumerate(self._photos) if p.id not in ids]
        if len(keep) == len(self._photos):
            return
        scores = [self._scores[i] for i in keep] if self._scores is not None else None
        pinned = sum(1 for i in keep if i < self._pinned)
        self.set_photos([self._photos[i] for i in keep], scores, pinned, frame_times=self._frame_ms)

    def insert_after(self, photo_id: int, photos: list[PhotoRecord], scores: list[float | None]) -> None:
        """Show `photos` right after the photo `photo_id` (a stack opened in place)."""
        row = self._rows.get(photo_id, -1)
        fresh = [(p, s) for p, s in zip(photos, scores, strict=True) if p.id not in self._rows]
        if row < 0 or not fresh:
            return
        self.beginInsertRows(QModelIndex(), row + 1, row + len(fresh))
        self._photos[row + 1 : row + 1] = [p for p, _ in fresh]
        self._add_badges([p for p, _ in fresh])
        if self._scores is not None:
            self._scores[row + 1 : row + 1] = [s if s is not None else 0.0 for _, s in fresh]
        self._rows = {p.id: i for i, p in enumerate(self._photos)}
        self.endInsertRows()

    def remove_rows_of(self, ids: set[int]) -> None:
        """Take these photos out of the list in place (a stack closed again), one run at a time."""
        for row in sorted((self._rows[i] for i in ids if i in self._rows), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._photos[row]
            if self._scores is not None:
                del self._scores[row]
            if row < self._pinned:
                self._pinned -= 1
            self.endRemoveRows()
        self._rows = {p.id: i for i, p in enumerate(self._photos)}

    def refresh_rows(self, ids: list[int]) -> None:
        """Paint these photos' cells again (their badge changed)."""
        for photo_id in ids:
            row = self._rows.get(photo_id, -1)
            if row >= 0:
                idx = self.index(row, 0)
                self.dataChanged.emit(idx, idx, [BadgeRole])

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
            if p.id in self._frame_ms:
                text += f"\nvideo, {format_duration(p.duration_ms)}: best match at " \
                        f"{format_duration(self._frame_ms[p.id])}"
            if index.row() < self._pinned:
                text += "\nthe photo this search started from"
            elif score is not None:
                text += f"\n{strength_text(score)} match"
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
        if role == PinnedRole:
            return index.row() < self._pinned
        if role == SectionRole:
            return self._section(index.row())
        if role == BadgeRole:
            return self.badges.get(p.id, "")
        if role == VideoRole:
            return self._badges.get(p.id)
        return None

    def shapes(self, first: int, end: int) -> tuple[np.ndarray, list[str]]:
        """For the grid's layout, rows first..end-1: each photo's box aspect ratio, and its
        month label where a month starts (the timeline). Computed for a page at a time with
        array operations, straight from the records."""
        photos = self._photos[first:end]
        n = len(photos)
        if not n:  # the empty grid the window opens with: no numpy needed yet
            return NO_ROWS, []
        import numpy as np  # loaded by then: the library that sent the photos needs it

        aspects = box_aspects(np.fromiter((p.width for p in photos), np.float64, n),
                              np.fromiter((p.height for p in photos), np.float64, n))
        labels = [""] * len(photos)
        if self._scores is None and photos:
            start = max(0, first - 1)  # the photo before says whether a month starts here
            taken = np.fromiter((p.taken_ms for p in self._photos[start:end]), np.int64, end - start)
            months = taken.astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64)
            known = taken > 0
            new = known.copy()
            new[1:] &= ~known[:-1] | (months[1:] != months[:-1])
            offset = first - start
            for i in np.flatnonzero(new[offset:]).tolist():
                labels[i] = self._section(first + i)
        return aspects, labels

    def _section(self, row: int) -> str:
        """ "March 2021" where a month starts in the timeline, else ""."""
        if self._scores is not None:
            return ""
        p = self._photos[row]
        if not p.taken_ms:
            return ""
        month = month_of(p.taken_ms)
        if row > 0 and self._photos[row - 1].taken_ms and month_of(self._photos[row - 1].taken_ms) == month:
            return ""
        return f"{MONTHS[month[1] - 1]} {month[0]}"

    def flags(self, index: ParentIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def month_of(taken_ms: int) -> tuple[int, int]:
    """(year, month) of a date taken (local time written as UTC, as EXIF dates are stored)."""
    d = datetime.fromtimestamp(taken_ms / 1000, UTC)
    return d.year, d.month


def strength_text(score: float) -> str:
    """A match strength (0-1; 0.5 is where matches end) as a person reads it: "73%"."""
    return f"{round(max(0.0, min(1.0, score)) * 100)}%"
