"""The filter bar above the grid: year, file type, shape and order, and "Show weaker".

It only says what the person chose (`changed`, `sort_changed`, `weaker_requested`); the view
controller turns that into the engine's `Filters` and asks again. The years offered are the
years the library spans (the query service lists them while browsing, off the GUI thread).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from inphotos.records import FILE_TYPES, ORIENTATIONS, Filters

log = logging.getLogger(__name__)

SORTS = (("Best match", "relevance"), ("Newest first", "date"))


def year_range_ms(year: int) -> tuple[int, int]:
    """The start of `year` and of the next, in ms (dates are local time written as UTC)."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


class FilterBar(QWidget):
    """Combo boxes that narrow and order what the grid shows."""

    changed = pyqtSignal()  # year, type or shape changed: ask `filters()`
    sort_changed = pyqtSignal(str)  # "relevance" or "date"
    weaker_requested = pyqtSignal()
    jump_requested = pyqtSignal(int)  # scroll the timeline to this year

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.year = QComboBox(self)
        self.year.setToolTip("Only photos taken in this year (the camera's date, else the file's)")
        self.year.addItem("Any year", 0)
        self.kind = QComboBox(self)
        self.kind.setToolTip("Only photos of this file type")
        self.kind.addItem("Any type", "")
        for t in FILE_TYPES:
            self.kind.addItem("Videos" if t == "video" else t.upper(), t)
        self.shape = QComboBox(self)
        self.shape.setToolTip("Only landscape, portrait or square photos")
        self.shape.addItem("Any shape", "")
        for o in ORIENTATIONS:
            self.shape.addItem(o.capitalize(), o)
        self.sort = QComboBox(self)
        self.sort.setToolTip("The order of a search's results (the library is always newest first)")
        for label, value in SORTS:
            self.sort.addItem(label, value)
        self.jump = QComboBox(self)
        self.jump.setToolTip("Scroll the timeline to a year")
        self.jump.addItem("Jump to year…", 0)
        self.weaker = QPushButton(self)
        self.weaker.setFlat(True)
        self.weaker.setToolTip("Also show photos that resemble the search less, below the matches")
        self.weaker.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        for w in (self.year, self.kind, self.shape):
            layout.addWidget(w)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Sort:", self))
        layout.addWidget(self.sort)
        layout.addStretch(1)
        layout.addWidget(self.weaker)
        layout.addWidget(self.jump)
        for box in (self.year, self.kind, self.shape):
            box.currentIndexChanged.connect(lambda _: self.changed.emit())
        self.sort.currentIndexChanged.connect(
            lambda _: self.sort_changed.emit(str(self.sort.currentData())))
        self.weaker.clicked.connect(self.weaker_requested)
        self.jump.activated.connect(self._on_jump)

    def _on_jump(self, index: int) -> None:
        year = int(self.jump.itemData(index) or 0)
        self.jump.setCurrentIndex(0)
        if year:
            self.jump_requested.emit(year)

    def set_timeline(self, shown: bool) -> None:
        """The jump-to-year control shows with the timeline (the library by date) only."""
        self.jump.setVisible(shown and self.jump.count() > 1)

    def set_years(self, years: Sequence[int]) -> None:
        """Offer `years` (newest first), keeping the year chosen if it is still there."""
        self.jump.clear()
        self.jump.addItem("Jump to year…", 0)
        for y in years:
            self.jump.addItem(str(y), y)
        chosen = int(self.year.currentData() or 0)
        wanted = [0, *years]
        if chosen and chosen not in wanted:
            wanted.append(chosen)
        if [self.year.itemData(i) for i in range(self.year.count())] == wanted:
            return
        self.year.blockSignals(True)
        self.year.clear()
        for y in wanted:
            self.year.addItem(str(y) if y else "Any year", y)
        self.year.setCurrentIndex(max(0, wanted.index(chosen)))
        self.year.blockSignals(False)

    def choose_year(self, year: int) -> None:
        """Show only `year` (0: any year)."""
        i = self.year.findData(year)
        if i < 0:
            self.year.addItem(str(year), year)
            i = self.year.count() - 1
        self.year.setCurrentIndex(i)

    def filters(self, folder: str = "") -> Filters:
        """What is chosen, as the engine's filters (with the side panel's `folder`)."""
        year = int(self.year.currentData() or 0)
        after, before = year_range_ms(year) if year else (None, None)
        kind = str(self.kind.currentData() or "")
        return Filters(after, before, folder, (kind,) if kind else (), str(self.shape.currentData() or ""))

    def show_weaker_offer(self, weaker: int, at_least: bool = False) -> None:
        """Offer the `weaker` matches not shown (0: hide the offer); `at_least`: there may be
        more than that (the search counted them only as far as it looked for matches)."""
        self.weaker.setText(f"Show {weaker:,}{'+' if at_least else ''} weaker")
        self.weaker.setVisible(weaker > 0)
