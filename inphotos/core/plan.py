"""Working out what an index run has to do: the diff of the library folders against the store.

`plan()` walks the library and diffs it against the store by size and mtime: new, changed and
deleted files, moves (recognised by content, keeping their vectors), and folders that went
offline or could not be read (their photos are kept). It writes nothing but the folders' online state.
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from inphotos.core.control import Control
from inphotos.core.formats import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from inphotos.core.imaging import (
    MISSING_DECODER_REASONS,
    fingerprint,
    missing_decoder,
    quick_part,
)
from inphotos.core.pairs import LIVE_VIDEO_EXTENSIONS, pair_up
from inphotos.core.scanner import ELSEWHERE, READ, FileEntry, WalkLog, walk_images
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
    companions: tuple[str, ...] = ()  # the photo's other files (core/pairs.py)


@dataclass
class Move:
    """A row kept with its vector, its file moved or its details changed (companions too)."""

    photo_id: int
    entry: FileEntry
    folder: str
    companions: tuple[str, ...] = ()


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
    store: PhotoStore,
    control: Control | None = None,
    progress: ProgressFn | None = None,
    exclude: Sequence[str] = (),
    videos: bool = True,
) -> Plan:
    """Walk the library and work out what changed since the last run.

    A photo the walk did not find is forgotten only when it vanished from a folder the walk
    read whole. Under a folder that could not be read (no permission, an expired share
    login, an I/O error), a dangling link or an empty folder that held photos (a drive
    unmounted there), it is kept, and the folder is reported offline. A kept or vanished
    photo found again elsewhere with the same content (a move, a renamed library folder
    added again) keeps its vector.

    Args:
        exclude: folders never to index (InPhotos' own data, when it lives in the library).
        videos: index videos too. Without, the walk does not see them, so the videos indexed
            before are forgotten like deleted files (and found again when switched back on).
    """
    control = control or Control()
    plan = Plan()
    now_ms = int(time.time() * 1000)
    folders = store.folders()
    walk_log = WalkLog(
        excluded=frozenset(os.path.realpath(p) for p in exclude),
        roots=frozenset(os.path.realpath(f.path) for f in folders),
    )
    walked = [f.path for f in folders if os.path.isdir(f.path)]

    disk: dict[str, tuple[FileEntry, str]] = {}
    for root in walked:
        for entry in walk_images(
            root, on_error=lambda p, r: plan.scan_errors.append((p, r)),
            should_stop=lambda: control.cancelled, walk_log=walk_log,
            # (with videos off, a Live Photo's video is still seen: it is its photo's companion)
            extensions=IMAGE_EXTENSIONS | (VIDEO_EXTENSIONS if videos else LIVE_VIDEO_EXTENSIONS),
        ):
            disk.setdefault(entry.path, (entry, root))
            if progress is not None and len(disk) % 2000 == 0:
                progress(IndexProgress("scanning", done=len(disk)))
        control.checkpoint()
    # A RAW beside its JPEG, a Live Photo's video beside its picture: one photo, one file
    # indexed; the others are its companions (and leave `disk`, so rows they had go).
    kept_files, companions = pair_up((entry for entry, _ in disk.values()), lone_videos=videos)
    disk = {e.path: disk[e.path] for e in kept_files}
    plan.on_disk = len(disk)

    walked_set = set(walked)
    all_rows = store.all_photos()
    by_path = {r.path: r for r in all_rows}
    skipped = {s.path: s for s in store.skipped() if s.folder in walked_set}

    stale_before_ms = int(store.meta.get("vectors_valid_from_ms", 0))
    gone: list[PhotoRecord] = []  # vanished from a folder read whole: forgotten unless moved
    kept: dict[int, str] = {}  # id -> the folder that keeps it (offline, unreadable, empty)
    for r in all_rows:
        if r.path in disk:
            continue
        if r.folder not in walked_set:
            kept[r.id] = r.folder
            continue
        verdict, where = walk_log.verdict(r.path, r.folder)
        if verdict in (READ, ELSEWHERE):
            gone.append(r)
        else:
            kept[r.id] = where
    new: list[tuple[FileEntry, str]] = []
    for path, (entry, root) in disk.items():
        row = by_path.get(path)
        joined = companions.get(path, ())
        if row is None:
            s = skipped.get(path)
            if (s is not None and s.size == entry.size and s.mtime_ns == entry.mtime_ns
                    and not _reader_installed_since(s.reason, path)):
                continue  # still the same bad file: don't retry it every scan
            new.append((entry, root))
        elif (row.size != entry.size or row.mtime_ns != entry.mtime_ns
              or (_touched(row, entry) and not _same_content(entry, row))):
            plan.to_embed.append(Work(entry, root, photo_id=row.id, companions=joined))
            plan.changed_count += 1
            plan.stale_thumbs.append((row.path, row.mtime_ns, row.size))
        elif row.indexed_ms < stale_before_ms:  # embedded by weights since replaced
            plan.to_embed.append(Work(entry, root, photo_id=row.id, companions=joined))
            plan.changed_count += 1
        elif _touched(row, entry) or row.companions != joined:
            # Only its metadata (chmod) or its companions changed (a RAW added beside it, or
            # deleted): keep the vector.
            plan.moves.append(Move(row.id, entry, root, joined))
    plan.stale_skipped = [s.id for p, s in skipped.items() if p not in disk]

    # Moves and renames: a new file with the same content as a vanished or kept row takes it
    # over, vector and all (a folder emptied by moves, a library folder renamed and added).
    candidates_by_size: dict[int, list[PhotoRecord]] = defaultdict(list)
    for r in [*gone, *(k for k in all_rows if k.id in kept)]:
        candidates_by_size[r.size].append(r)
    moved_ids: set[int] = set()
    # A pair whose indexed file went while another of its files stayed (the JPEG of a
    # RAW+JPEG deleted; a JPEG added beside a RAW indexed alone): the file now shown takes
    # over the row, so the photo keeps its place instead of leaving and coming back.
    pair_rows: dict[str, PhotoRecord] = {}
    for r in gone:
        for p in r.files:
            pair_rows.setdefault(p, r)
    unmatched: list[tuple[FileEntry, str]] = []
    for entry, root in new:  # moves first: a photo that moved keeps its vector
        match = _find_move(entry, candidates_by_size.get(entry.size))
        if match is None:
            unmatched.append((entry, root))
            continue
        candidates_by_size[match.size].remove(match)
        moved_ids.add(match.id)
        plan.moves.append(Move(match.id, entry, root, companions.get(entry.path, ())))
        s = skipped.get(entry.path)
        if s is not None:  # a good photo moved over a bad file: that file is gone
            plan.stale_skipped.append(s.id)
    for entry, root in unmatched:
        s = skipped.get(entry.path)
        joined = companions.get(entry.path, ())
        owner = next((pair_rows[p] for p in (entry.path, *joined) if p in pair_rows), None)
        if owner is not None and owner.id not in moved_ids:
            moved_ids.add(owner.id)
            plan.stale_thumbs.append((owner.path, owner.mtime_ns, owner.size))
            plan.to_embed.append(Work(entry, root, photo_id=owner.id, skipped_id=s.id if s else 0,
                                      companions=joined))
            plan.changed_count += 1
        else:
            plan.to_embed.append(Work(entry, root, skipped_id=s.id if s else 0, companions=joined))
            plan.new_count += 1
    plan.removals = [r.id for r in gone if r.id not in moved_ids]
    plan.stale_thumbs += [(r.path, r.mtime_ns, r.size) for r in gone if r.id not in moved_ids]

    still_kept = {where for i, where in kept.items() if i not in moved_ids}
    plan.offline = sorted(still_kept | {f.path for f in folders if f.path not in walked_set})
    for f in folders:
        is_online = f.path in walked_set and f.path not in still_kept
        if not is_online:
            log.info("Folder offline, keeping its photos: %s", f.path)
        if is_online != f.online or f.path in walked_set:
            store.put_folder(f.path, online=is_online,
                             last_scan_ms=now_ms if f.path in walked_set else None)
    return plan


def _reader_installed_since(reason: str, path: str) -> bool:
    """A file skipped because the library for its format was missing, which is there now."""
    return reason.startswith(tuple(MISSING_DECODER_REASONS.values())) and not missing_decoder(path)


def _touched(row: PhotoRecord, entry: FileEntry) -> bool:
    """Changed since indexed although size and mtime are the same (an edit followed by
    `touch -r`, a tool that restores the mtime): the inode change time says so.

    A row without one (an older index, a platform without it) is "unknown": not embedded
    again for that; it gets one when it is next written.
    """
    return bool(row.ctime_ns and entry.ctime_ns and row.ctime_ns != entry.ctime_ns)


def _same_content(entry: FileEntry, row: PhotoRecord) -> bool:
    """The file still holds what was embedded (the change time also moves for a chmod)."""
    if ":" not in row.fingerprint:
        return False
    try:
        return fingerprint(entry.path, entry.size, full=True) == row.fingerprint
    except OSError:
        return False


def _find_move(entry: FileEntry, candidates: list[PhotoRecord] | None) -> PhotoRecord | None:
    """The row whose photo `entry` is, moved: same size and the same whole content.

    The quick fingerprint (head and tail) picks candidates cheaply; the whole file is read
    only when one matches, so two files that differ in the middle are never confused. A row
    indexed before whole-content hashes were stored is not matched (embedded again, once).
    """
    if not candidates:
        return None
    try:
        quick = fingerprint(entry.path, entry.size)
        if not any(quick_part(r.fingerprint) == quick for r in candidates):
            return None
        full = fingerprint(entry.path, entry.size, full=True)
    except OSError:
        return None
    return next((r for r in candidates if r.fingerprint == full), None)
