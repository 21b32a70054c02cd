"""Stacks: in the timeline and in search results, a group of duplicates shows as one cell (the
first of its photos in the list) with a count badge; the rest are tucked under it and can be
shown in place, right after it, and stacked again. View → Stack duplicates turns it off.

The groups come from workers/duplicates.py (`stacks_ready`); the photo model only carries the
badge text of each stacked cell (`PhotoModel.badges`), so the grid's model and delegate stay
as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PyQt6.QtCore import QObject
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QMenu

from inphotos.records import PhotoRecord
from inphotos.ui.photo_model import PhotoModel
from inphotos.workers.duplicates import DuplicatesService

log = logging.getLogger(__name__)


class StackController(QObject):
    """Collapses each group of duplicates in what the grid shows into one cell."""

    def __init__(self, service: DuplicatesService, model: PhotoModel,
                 rerun: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._rerun = rerun  # show the current view again (its stacks changed)
        self.enabled = True
        self.groups: dict[int, tuple[int, ...]] = {}  # photo id -> its group's ids
        self._lead: dict[int, int] = {}  # group (its first id) -> the photo shown for it
        self.tucked: dict[int, list[tuple[PhotoRecord, float | None]]] = {}  # lead id -> the rest
        self.expanded: set[int] = set()  # lead ids whose copies are shown
        service.stacks_ready.connect(self.set_groups)

    # ------------------------------------------------------------ what the grid shows

    def collapse(self, photos: Sequence[PhotoRecord], scores: Sequence[float] | None,
                 pinned: int = 0) -> tuple[list[PhotoRecord], list[float] | None]:
        """`photos` (and their `scores`) with each group's later photos tucked under its first;
        the first `pinned` photos (where a "find similar" started) are never tucked."""
        self._lead.clear()
        self.tucked.clear()
        self.expanded.clear()
        out, out_scores = self._collapse(photos, scores, pinned)
        self._set_badges()
        return out, out_scores

    def collapse_more(self, photos: Sequence[PhotoRecord]) -> list[PhotoRecord]:
        """A further page of the timeline: photos of a group already shown join its stack."""
        before = {lead: len(rest) for lead, rest in self.tucked.items()}
        out, _ = self._collapse(photos, None, 0)
        self._set_badges([lead for lead, rest in self.tucked.items() if before.get(lead) != len(rest)])
        return out

    def _collapse(self, photos: Sequence[PhotoRecord], scores: Sequence[float] | None,
                  pinned: int) -> tuple[list[PhotoRecord], list[float] | None]:
        if not self.enabled or not self.groups:
            return list(photos), list(scores) if scores is not None else None
        out: list[PhotoRecord] = []
        out_scores: list[float] | None = [] if scores is not None else None
        for i, p in enumerate(photos):
            score = scores[i] if scores is not None else None
            group = self.groups.get(p.id)
            lead = self._lead.get(group[0]) if group is not None and i >= pinned else None
            if group is not None and i >= pinned and lead is None:
                self._lead[group[0]] = p.id
            if lead is not None and lead != p.id:
                self.tucked.setdefault(lead, []).append((p, score))
                continue
            out.append(p)
            if out_scores is not None:
                out_scores.append(score if score is not None else 0.0)
        return out, out_scores

    def _set_badges(self, changed: Sequence[int] | None = None) -> None:
        self.model.badges = {
            lead: f"{len(rest) + 1} ▾" if lead in self.expanded else f"{len(rest) + 1} ▸"
            for lead, rest in self.tucked.items()
        }
        if changed:
            self.model.refresh_rows(list(changed))

    # ------------------------------------------------------------ in place

    def count(self, photo: PhotoRecord) -> int:
        """How many photos the cell of `photo` stands for (0: it is no stack)."""
        rest = self.tucked.get(photo.id)
        return len(rest) + 1 if rest else 0

    def toggle(self, photo: PhotoRecord) -> None:
        """Show the copies tucked under `photo` right after it, or tuck them in again."""
        rest = self.tucked.get(photo.id)
        if not rest:
            return
        if photo.id in self.expanded:
            self.expanded.discard(photo.id)
            self.model.remove_rows_of({p.id for p, _ in rest})
        else:
            self.expanded.add(photo.id)
            self.model.insert_after(photo.id, [p for p, _ in rest], [s for _, s in rest])
        self._set_badges([photo.id])

    def add_actions(self, menu: QMenu, photos: Sequence[PhotoRecord]) -> None:
        """The grid's context menu: show or stack the copies of the photo right-clicked."""
        if len(photos) != 1 or not self.count(photos[0]):
            return
        photo = photos[0]
        n = self.count(photo)
        text = f"Stack the {n} copies again" if photo.id in self.expanded else \
            f"Show the {n} copies stacked here"
        action = QAction(text, menu)
        action.triggered.connect(lambda: self.toggle(photo))
        menu.addSeparator()
        menu.addAction(action)

    # ------------------------------------------------------------ settings and updates

    def set_enabled(self, on: bool) -> None:
        if on != self.enabled:
            self.enabled = on
            self._rerun()

    def set_groups(self, groups: dict[int, list[int]]) -> None:
        """The groups changed (an index run, a trash): show the view again if it matters."""
        new = {i: tuple(ids) for i, ids in groups.items()}
        if new == self.groups:
            return
        self.groups = new
        if self.enabled:
            self._rerun()
