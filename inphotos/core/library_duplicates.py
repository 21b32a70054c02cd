"""The library's duplicates: reading the groups and moving the copies a person chose to the
system trash. A part of `Library` (a mixin, like library_search.py).

Move to Trash is the one place InPhotos changes a person's files, and only when asked: each
file goes to the system trash (send2trash, so it can be put back), and the index follows at
once. A file that cannot be trashed stays where it is, still indexed, with the reason said.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from inphotos.core import duplicates
from inphotos.core.control import Control
from inphotos.db.store import WriteBatch
from inphotos.records import DuplicateGroup, TrashReport

if TYPE_CHECKING:
    from inphotos.core.thumbs import ThumbnailCache
    from inphotos.db.store import PhotoStore

log = logging.getLogger(__name__)


def send_to_trash(path: str) -> None:
    """Move one file to the system trash (the freedesktop.org trash on Linux, the Recycle Bin,
    the macOS Trash). Raises OSError when it cannot."""
    from send2trash import send2trash
    from send2trash.exceptions import TrashPermissionError

    try:
        send2trash(path)
    except TrashPermissionError as e:
        raise PermissionError(e.errno, "no trash can be used for this file (it would have to be "
                              "deleted outright)", path) from e


def trash_reason(e: OSError) -> str:
    if isinstance(e, FileNotFoundError):
        return "the file is no longer there"
    if isinstance(e, PermissionError):
        return f"permission denied ({e.strerror})" if e.strerror else "permission denied"
    return e.strerror or str(e)


def group_row(group: DuplicateGroup) -> dict[str, Any]:
    """A group as the CLI's --json prints it: the suggested keeper first."""
    return {
        "exact": group.exact,
        "keeper_reason": group.keeper_reason,
        "photos": [
            {"path": p.path, "folder": p.folder, "size": p.size, "width": p.width,
             "height": p.height, "type": duplicates.file_type(p.path), "taken_ms": p.taken_ms,
             "keeper": i == 0}
            for i, p in enumerate(group.photos)
        ],
    }


class DuplicatesMixin:
    """Duplicate groups and Move to Trash; mixed into `Library`."""

    store: PhotoStore
    thumbs: ThumbnailCache

    if TYPE_CHECKING:
        def offline_folders(self) -> set[str]: ...

    def duplicate_groups(self, threshold: float = duplicates.DEFAULT_THRESHOLD, exact_only: bool = False,
                         limit: int | None = None) -> list[DuplicateGroup]:
        """The groups of photos in online folders, largest first, each keeper first."""
        offline = self.offline_folders()
        online = {f.path for f in self.store.folders() if f.path not in offline} if offline else None
        return duplicates.find_groups(self.store, threshold, exact_only, limit, online)

    def duplicate_overview(self, threshold: float = duplicates.DEFAULT_THRESHOLD,
                           limit: int = 500) -> tuple[list[DuplicateGroup], int, int]:
        """The largest `limit` groups (as `duplicate_groups`), how many groups there are in all
        and how many photos they hold beside their keepers: what the Duplicates window shows."""
        ids = duplicates.group_ids(self.store.link_arrays(threshold), threshold)
        offline = self.offline_folders()
        online = {f.path for f in self.store.folders() if f.path not in offline} if offline else None
        groups = duplicates.find_groups(self.store, threshold, False, limit, online, ids)
        return groups, len(ids), sum(len(g) - 1 for g in ids)

    def duplicate_stacks(self, threshold: float = duplicates.DEFAULT_THRESHOLD) -> dict[int, list[int]]:
        """Each photo in a group -> its group's ids: what the grid stacks into one cell."""
        return duplicates.stack_map(self.store, threshold)

    def duplicates_pending(self) -> bool:
        """Whether photos indexed before duplicates were kept still wait to be compared."""
        state = self.store.meta.get(duplicates.BACKLOG_KEY)
        return isinstance(state, dict) or (state is None and self.store.count() > 0)

    def find_pending_duplicates(self, control: Control | None = None) -> int:
        """Compare the photos that wait (on the writer); returns how many were done."""
        duplicates.start_backlog(self.store)
        return duplicates.link_backlog(self.store, control)

    def trash_photos(self, ids: Sequence[int]) -> TrashReport:
        """Move these photos' files to the system trash and take them out of the index.

        On the writer thread. A file that cannot be trashed keeps its place and its row.
        """
        report = TrashReport()
        gone: list[int] = []
        for record in self.store.get_photos(ids):
            if record is None:
                continue
            try:
                send_to_trash(record.path)
            except OSError as e:
                report.failed.append((record.path, trash_reason(e)))
                log.info("Could not move %s to the trash: %s", record.path, e)
                continue
            if os.path.lexists(record.path):  # a trash that copied but could not remove
                report.failed.append((record.path, "the trash kept a copy but the file is still here"))
                continue
            report.trashed.append(record.path)
            gone.append(int(record.id))
            self.thumbs.discard((record.path, record.mtime_ns, record.size))
        if gone:
            self.store.write(WriteBatch(remove_photo_ids=gone))
            self.store.set_meta(photos=self.store.count())
        return report
