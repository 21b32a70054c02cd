"""Duplicates for the window: the groups (read on their own pool), the grid's stacks, their
thumbnails, and Move to Trash (a write: on the one writer thread, after the run in flight).

The groups themselves are kept up to date by the index run (core/duplicates.py); this service
reads them again when a run finishes or photos are trashed, and says so with signals.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, pyqtSignal

from inphotos.errors import InPhotosError
from inphotos.records import DuplicateGroup, TrashReport
from inphotos.workers.indexing import WriteJob
from inphotos.workers.runner import Runner
from inphotos.workers.thumbnails import ThumbnailLoader

if TYPE_CHECKING:
    from inphotos.workers.session import LibrarySession

__all__ = ["DuplicatesService", "Overview"]

log = logging.getLogger(__name__)

TRASH = "trash"
#: Groups the window lists (largest first): reading them stays quick at any library size.
GROUPS_SHOWN = 500


@dataclass(frozen=True)
class Overview:
    """Every group, counted: how many, and how many photos beside their keepers."""

    groups: int
    extra_photos: int


class DuplicatesService(QObject):
    """Reads duplicate groups and stacks off the GUI thread; trashes through the writer."""

    #: [DuplicateGroup] (the largest GROUPS_SHOWN), Overview (all groups), photos still to compare
    groups_ready = pyqtSignal(list, object, bool)
    stacks_ready = pyqtSignal(dict)  # photo id -> its group's ids (a list)
    trashed = pyqtSignal(object)  # TrashReport
    trash_failed = pyqtSignal(str)  # why the trash could not run at all
    failed = pyqtSignal(str)  # why the groups could not be read

    def __init__(self, session: LibrarySession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._runner = Runner(1, "inphotos-duplicates", self)
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(self._on_failed)
        self.thumbs = ThumbnailLoader(None, threads=1, parent=self)
        self._generation = {"groups": 0, "stacks": 0}
        session.index.write_done.connect(self._on_write_done)
        session.index.write_failed.connect(self._on_write_failed)
        session.attach(self)

    def library_opened(self) -> None:
        lib = self.session.lib
        self.thumbs.set_cache(lib.thumbs)
        self._generation = {k: v + 1 for k, v in self._generation.items()}

    def load_groups(self) -> None:
        """Read the groups again (answered by `groups_ready`; an older request is dropped)."""
        lib = self.session.lib
        self._generation["groups"] += 1
        self._runner.submit("groups", self._generation["groups"],
                            lambda: (*lib.duplicate_overview(limit=GROUPS_SHOWN),
                                     lib.duplicates_pending()))

    def load_stacks(self) -> None:
        """Read which photos stack together in the grid (answered by `stacks_ready`)."""
        lib = self.session.lib
        self._generation["stacks"] += 1
        self._runner.submit("stacks", self._generation["stacks"], lambda: lib.duplicate_stacks())

    def trash(self, photo_ids: Sequence[int]) -> None:
        """Move these photos' files to the system trash, on the writer thread."""
        lib, ids = self.session.lib, list(photo_ids)
        self.session.index.write(WriteJob(TRASH, lambda: lib.trash_photos(ids), reindex=False,
                                          subject=f"{len(ids)} photos"))

    def shutdown(self, timeout_ms: int = 200) -> bool:
        stopped = self._runner.shutdown(timeout_ms)
        return self.thumbs.shutdown(0) and stopped

    def _on_finished(self, kind: str, generation: int, result: object) -> None:
        if generation != self._generation.get(kind):
            return
        if kind == "groups":
            assert isinstance(result, tuple)
            groups, total, extra, pending = result
            self.groups_ready.emit(list(groups), Overview(total, extra), bool(pending))
        else:
            assert isinstance(result, dict)
            self.stacks_ready.emit(result)

    def _on_failed(self, kind: str, generation: int, error: object) -> None:
        if generation == self._generation.get(kind) and isinstance(error, InPhotosError):
            self.failed.emit(f"Cannot read the duplicates: {error}")

    def _on_write_done(self, job: WriteJob, result: object) -> None:
        if job.kind == TRASH:
            assert isinstance(result, TrashReport)
            self.trashed.emit(result)

    def _on_write_failed(self, job: WriteJob, error: object) -> None:
        if job.kind == TRASH:
            self.trash_failed.emit(f"Nothing was moved to the trash: {error}")


def total_bytes(groups: Sequence[DuplicateGroup]) -> int:
    """What deleting every copy but the suggested keepers would free."""
    return sum(p.size for g in groups for p in g.photos[1:])
