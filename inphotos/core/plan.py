"""Working out what an index run has to do: the diff of the library folders against the store.

`plan()` walks the library and diffs it against the store by size and mtime: new, changed and
deleted files, moves (recognised by content fingerprint, keeping their vectors), and folders
that went offline (their photos are kept). It writes nothing but the folders' online state.
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from inphotos.core.control import Control
from inphotos.core.imaging import fingerprint
from inphotos.core.scanner import FileEntry, walk_images
from inphotos.db.store import PhotoStore
from inphotos.records import IndexProgress, PhotoRecord

log = logging.getLogger(__name__)

ProgressFn = Callable[[IndexProgress], None]


@dataclass
class Work:
    """One file to decode and embed; `photo_id` is set when it replaces a row."""

    entry: FileEntry
    folder: str
    photo_id: int = 0
    skipped_id: int = 0


@dataclass
class Move:
    photo_id: int
    entry: FileEntry
    folder: str


@dataclass
class Plan:
    """What `run()` will do."""

    to_embed: list[Work] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    removals: list[int] = field(default_factory=list)
    stale_skipped: list[int] = field(default_factory=list)
    #: Thumbnail keys (path, mtime_ns, size) of deleted and changed photos, to delete.
    stale_thumbs: list[tuple[str, int, int]] = field(default_factory=list)
    offline: list[str] = field(default_factory=list)
    scan_errors: list[tuple[str, str]] = field(default_factory=list)
    on_disk: int = 0
    new_count: int = 0
    changed_count: int = 0

    @property
    def empty(self) -> bool:
        return not (self.to_embed or self.moves or self.removals or self.stale_skipped)



def plan(
    store: PhotoStore, control: Control | None = None, progress: ProgressFn | None = None
) -> Plan:
    """Walk the library and work out what changed since the last run."""
    control = control or Control()
    plan = Plan()
    online: list[str] = []
    now_ms = int(time.time() * 1000)
    for f in store.folders():
        is_online = os.path.isdir(f.path) and not _looks_unmounted(store, f.path)
        if not is_online:
            plan.offline.append(f.path)
            log.info("Folder offline, keeping its photos: %s", f.path)
        else:
            online.append(f.path)
        if is_online != f.online:
            store.put_folder(f.path, online=is_online)

    disk: dict[str, tuple[FileEntry, str]] = {}
    for root in online:
        for entry in walk_images(
            root, on_error=lambda p, r: plan.scan_errors.append((p, r)),
            should_stop=lambda: control.cancelled,
        ):
            disk.setdefault(entry.path, (entry, root))
            if progress is not None and len(disk) % 2000 == 0:
                progress(IndexProgress("scanning", done=len(disk)))
        control.checkpoint()
        store.put_folder(root, online=True, last_scan_ms=now_ms)
    plan.on_disk = len(disk)

    online_set = set(online)
    all_rows = store.all_photos()
    by_path = {r.path: r for r in all_rows}
    rows = [r for r in all_rows if r.folder in online_set]
    skipped = {s.path: s for s in store.skipped() if s.folder in online_set}

    stale_before_ms = int(store.meta.get("vectors_valid_from_ms", 0))
    gone = [r for r in rows if r.path not in disk]
    new: list[tuple[FileEntry, str]] = []
    for path, (entry, root) in disk.items():
        row = by_path.get(path)
        if row is None:
            s = skipped.get(path)
            if s is not None and s.size == entry.size and s.mtime_ns == entry.mtime_ns:
                continue  # still the same bad file: don't retry it every scan
            new.append((entry, root))
        elif row.size != entry.size or row.mtime_ns != entry.mtime_ns:
            plan.to_embed.append(Work(entry, root, photo_id=row.id))
            plan.changed_count += 1
            plan.stale_thumbs.append((row.path, row.mtime_ns, row.size))
        elif row.indexed_ms < stale_before_ms:  # embedded by weights since replaced
            plan.to_embed.append(Work(entry, root, photo_id=row.id))
            plan.changed_count += 1
    plan.stale_skipped = [s.id for p, s in skipped.items() if p not in disk]

    # Moves and renames: a new file whose fingerprint matches a vanished row keeps its vector.
    gone_by_size: dict[int, list[PhotoRecord]] = defaultdict(list)
    for r in gone:
        gone_by_size[r.size].append(r)
    moved_ids: set[int] = set()
    for entry, root in new:
        candidates = gone_by_size.get(entry.size)
        match = None
        if candidates:
            try:
                fp = fingerprint(entry.path, entry.size)
            except OSError:
                fp = ""
            match = next((r for r in candidates if r.fingerprint == fp and fp), None)
        s = skipped.get(entry.path)
        if match is not None:
            candidates.remove(match)  # type: ignore[union-attr]
            moved_ids.add(match.id)
            plan.moves.append(Move(match.id, entry, root))
            if s is not None:  # a good photo moved over a bad file: that file is gone
                plan.stale_skipped.append(s.id)
        else:
            plan.to_embed.append(Work(entry, root, skipped_id=s.id if s else 0))
            plan.new_count += 1
    plan.removals = [r.id for r in gone if r.id not in moved_ids]
    plan.stale_thumbs += [(r.path, r.mtime_ns, r.size) for r in gone if r.id not in moved_ids]
    return plan


def _looks_unmounted(store: PhotoStore, folder: str) -> bool:
    """An empty folder that held photos: the mount point of an unplugged drive or share.

    Treating it as deleted would forget every photo and re-embed them all when the drive
    comes back; keeping them as offline costs nothing.
    """
    try:
        with os.scandir(folder) as it:
            if next(it, None) is not None:
                return False
    except OSError:
        return False  # unreadable: the walk reports it
    return store.photos_in_folder_count(folder) > 0
