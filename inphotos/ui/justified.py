"""Justified rows: where each photo of the grid goes (plain Python, no Qt).

Photos keep their aspect ratio in rows of one height that fill the width, as photo libraries
lay them out; a row is closed early where a new month starts on the timeline, and a header
band above that row carries the month, so a label never covers a photo.

Built for a grid that grows a page at a time: `extend` lays out only the photos added (and
the last, unfilled row again), and finding what is on screen is a binary search over the
rows, so neither scrolling nor a thumbnail arriving ever walks every photo. Only a change of
width or row height lays everything out again.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

#: The geometry before the first photos arrive. numpy is imported where photos are laid
#: out, not here: it loads with the library on a worker thread, and the window, which makes
#: an empty layout, is on screen before that (~0.1 s sooner).
NO_ROWS: Any = ()

#: Extreme shapes are boxed as if they were this wide or narrow (a 10:1 panorama alone in a
#: row would make it a sliver); the photo is fitted inside its box.
MIN_ASPECT, MAX_ASPECT = 0.4, 3.0
DEFAULT_ASPECT = 4 / 3  # a photo whose size is not known yet


def box_aspects(widths: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """The width/height of the boxes photos of `widths` × `heights` get."""
    import numpy as np

    known = (widths > 0) & (heights > 0)
    ratio = np.divide(widths, heights, out=np.full(len(widths), DEFAULT_ASPECT), where=known)
    return np.clip(ratio, MIN_ASPECT, MAX_ASPECT)


class JustifiedLayout:
    """Rows of photos in content coordinates (y grows downwards from 0).

    Items are the grid's rows of the model, in order; each has an aspect ratio and a label
    ("" except on the first photo of a month, which starts a new row under a header). The
    geometry is kept in numpy arrays and computed a page at a time with array operations:
    only the row breaks are found one row at a time (a binary search each).
    """

    def __init__(self, width: int = 800, row_height: int = 120, spacing: int = 4,
                 header_height: int = 28) -> None:
        self.width = max(1, width)
        self.row_height = max(1, row_height)
        self.spacing = spacing
        self.header_height = header_height
        self._aspects: np.ndarray = NO_ROWS
        self._labels: list[str] = []
        self._x: np.ndarray = NO_ROWS
        self._w: np.ndarray = NO_ROWS
        self._row: np.ndarray = NO_ROWS  # the layout row of each item
        self._row_y: np.ndarray = NO_ROWS  # top of each row's photos
        self._row_h: np.ndarray = NO_ROWS
        self._row_first: np.ndarray = NO_ROWS  # first item of each row
        self._row_label: list[str] = []  # the header above the row ("" none)
        self._open = False  # the last row is unfilled: more photos may join it
        self._bottom = 0  # y below the last row

    # ------------------------------------------------------------ building

    def configure(self, width: int, row_height: int, spacing: int, header_height: int) -> bool:
        """Set the geometry; lays everything out again (and returns True) when it changed."""
        new = (max(1, width), max(1, row_height), spacing, header_height)
        if new == (self.width, self.row_height, self.spacing, self.header_height):
            return False
        self.width, self.row_height, self.spacing, self.header_height = new
        self._relayout_from_row(0)
        return True

    def reset(self, aspects: Sequence[float] | np.ndarray, labels: Sequence[str]) -> None:
        """Lay out these items instead of the ones there."""
        if len(aspects):
            import numpy as np

            self._aspects = np.asarray(aspects, np.float64).reshape(-1)
        else:
            self._aspects = NO_ROWS
        self._labels = list(labels)
        self._relayout_from_row(0)

    def extend(self, aspects: Sequence[float] | np.ndarray, labels: Sequence[str]) -> None:
        """Items appended at the end: only they and the last unfilled row are laid out."""
        import numpy as np

        added = np.asarray(aspects, np.float64).reshape(-1)
        self._aspects = np.concatenate([np.asarray(self._aspects, np.float64), added])
        self._labels.extend(labels)
        rows = len(self._row_y)
        self._relayout_from_row(rows - 1 if self._open and rows else rows)

    def _relayout_from_row(self, row: int) -> None:
        if row <= 0:
            first, y, row = 0, 0, 0
        elif row >= len(self._row_y):  # after the last row: nothing to take back
            first, y, row = len(self._x), self._bottom, len(self._row_y)
        else:
            first = int(self._row_first[row])
            y = int(self._row_y[row]) - (self.header_height if self._row_label[row] else 0)
        self._row_y, self._row_h = self._row_y[:row], self._row_h[:row]
        self._row_first = self._row_first[:row]
        del self._row_label[row:]
        self._x, self._w, self._row = self._x[:first], self._w[:first], self._row[:first]
        self._bottom = y
        self._open = False
        self._lay(first)

    def _lay(self, first: int) -> None:
        """Lay out items first.. below the rows there (which end at `_bottom`)."""
        a = self._aspects[first:]
        n = len(a)
        if not n:
            return
        import numpy as np

        width, target, gap, header = self.width, self.row_height, self.spacing, self.header_height
        labels = self._labels[first:]
        breaks = [i for i in range(n) if labels[i]] + [n]  # where a month starts
        cum = np.concatenate([[0.0], np.cumsum(a)])
        # Items s..e fill a row when (cum[e+1] - cum[s]) * target + (e - s) * gap >= width,
        # that is when need[e] >= width + cum[s] * target + s * gap (need only grows).
        need = (cum[1:] * target + np.arange(n) * gap).tolist()
        starts: list[int] = []
        ends: list[int] = []
        filled: list[bool] = []
        s, b = 0, 0
        cum_list = cum.tolist()
        while s < n:
            while breaks[b] <= s:
                b += 1
            limit = breaks[b]  # the row ends before the next month at the latest
            e = bisect_left(need, width + cum_list[s] * target + s * gap, s, limit)
            starts.append(s)
            if e < limit:
                ends.append(e + 1)
                filled.append(True)
                s = e + 1
            else:
                ends.append(limit)
                filled.append(False)
                s = limit
        st, en = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
        fill = np.asarray(filled, bool)
        counts = en - st
        heights = np.where(fill, (width - (counts - 1) * gap) / (cum[en] - cum[st]), float(target))
        rounded = np.rint(heights).astype(np.int64)
        labelled = np.asarray([bool(labels[i]) for i in starts], bool)
        above = np.where(labelled, header, 0)
        # Each row: its header (if any), its photos, a gap.
        tops = self._bottom + np.cumsum(above + rounded + gap) - rounded - gap
        row_index = np.repeat(np.arange(len(st)), counts)
        widths = a * heights[row_index]
        ends_x = np.cumsum(widths + gap) - gap  # right edge, as if one long row
        lefts_x = ends_x - widths
        shift = lefts_x[st][row_index]  # each row starts at x = 0
        left = np.rint(lefts_x - shift).astype(np.int64)
        right = np.rint(ends_x - shift).astype(np.int64)
        right[(en - 1)[fill]] = width  # the rounding never leaves a ragged right edge
        base = len(self._row_y)

        def grown(old: np.ndarray, new: np.ndarray) -> np.ndarray:
            return np.concatenate([np.asarray(old, np.int64), new])

        self._x = grown(self._x, left)
        self._w = grown(self._w, np.maximum(1, right - left))
        self._row = grown(self._row, row_index + base)
        self._row_y = grown(self._row_y, tops)
        self._row_h = grown(self._row_h, rounded)
        self._row_first = grown(self._row_first, st + first)
        self._row_label.extend(labels[i] for i in starts)
        self._open = not bool(fill[-1])
        self._bottom = int(tops[-1] + rounded[-1] + gap)

    # ------------------------------------------------------------ reading

    def __len__(self) -> int:
        return len(self._aspects)

    @property
    def height(self) -> int:
        """The height of all the rows (the content to scroll)."""
        return max(0, self._bottom - self.spacing)

    @property
    def rows(self) -> int:
        return len(self._row_y)

    def rect(self, item: int) -> tuple[int, int, int, int]:
        """x, y, width, height of `item`."""
        row = self._row[item]
        return int(self._x[item]), int(self._row_y[row]), int(self._w[item]), int(self._row_h[row])

    def row_of(self, item: int) -> int:
        return int(self._row[item])

    def row_items(self, row: int) -> range:
        end = int(self._row_first[row + 1]) if row + 1 < len(self._row_first) else len(self._aspects)
        return range(int(self._row_first[row]), end)

    def row_top(self, row: int) -> int:
        """The top of `row` including its header, if it has one."""
        return int(self._row_y[row]) - (self.header_height if self._row_label[row] else 0)

    def row_at(self, y: int) -> int:
        """The row at or just above `y` (0 above the first; -1 when empty)."""
        if not len(self._row_y):
            return -1
        import numpy as np

        return max(0, int(np.searchsorted(self._row_y, y, "right")) - 1)

    def items_between(self, top: int, bottom: int) -> range:
        """The items of the rows that reach into top..bottom."""
        if not len(self._row_y) or bottom < top:
            return range(0)
        first = self.row_at(top)
        if self._row_y[first] + self._row_h[first] < top and first + 1 < len(self._row_y):
            first += 1
        last = max(first, self.row_at(bottom))
        return range(int(self._row_first[first]), self.row_items(last).stop)

    def headers_between(self, top: int, bottom: int) -> list[tuple[int, str]]:
        """(y of the header band, label) of the headers that reach into top..bottom."""
        if not len(self._row_y):
            return []
        out = []
        last = min(len(self._row_y) - 1, self.row_at(bottom + self.header_height))
        for row in range(self.row_at(top), last + 1):
            label = self._row_label[row]
            if label:
                out.append((int(self._row_y[row]) - self.header_height, label))
        return out

    def item_at(self, x: int, y: int) -> int:
        """The item under x, y (-1: a gap, a header, or nothing)."""
        row = self.row_at(y)
        if row < 0 or not self._row_y[row] <= y < self._row_y[row] + self._row_h[row]:
            return -1
        for i in self.row_items(row):
            if self._x[i] <= x < self._x[i] + self._w[i]:
                return i
        return -1

    def nearest_in_row(self, row: int, x: int) -> int:
        """The item of `row` whose middle is nearest to `x`."""
        items = self.row_items(row)
        return min(items, key=lambda i: abs(int(self._x[i]) + int(self._w[i]) // 2 - x))
