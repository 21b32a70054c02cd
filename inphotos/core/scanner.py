"""Walking library folders: which image files are on disk, with size and mtime.

Hidden and system entries are skipped, symlinked folders are followed at most once (no loops),
and unreadable folders are reported instead of stopping the walk.

The walk also says what it saw of each folder (`WalkLog`): read whole, not readable, empty,
or left to another library folder. Only a photo that vanished from a folder read whole may
be forgotten; the rest is kept (see core/plan.py).
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from inphotos.core.formats import IMAGE_EXTENSIONS
from inphotos.core.pairs import LIVE_VIDEO_EXTENSIONS

#: What the walk yields: photos, and the videos that may be a Live Photo's (core/pairs.py).
SCANNED_EXTENSIONS = IMAGE_EXTENSIONS | LIVE_VIDEO_EXTENSIONS

log = logging.getLogger(__name__)

SKIP_NAMES = frozenset(
    {
        "@eaDir",
        "#recycle",
        "#snapshot",
        "$RECYCLE.BIN",
        "System Volume Information",
        "lost+found",
        "Thumbs.db",
        "desktop.ini",
        "__MACOSX",
    }
)


@dataclass(frozen=True, slots=True)
class FileEntry:
    """An image file found on disk."""

    path: str
    size: int
    mtime_ns: int
    ctime_ns: int = 0


#: What the walk saw of a path (a folder, or an entry that could not be read).
READ = "read"  # listed whole
EMPTY = "empty"  # listed whole, and empty: maybe the mount point of an unplugged drive
UNREADABLE = "unreadable"  # could not be listed or stat'ed: what it holds is unknown
ELSEWHERE = "elsewhere"  # a link to a folder walked under another name (once is enough)


@dataclass
class WalkLog:
    """What one or more walks saw, by path; shared by the walks of one scan.

    `seen` holds the (device, inode) of every folder walked, so a folder reached twice
    (through links, or from two library folders) gives its photos once. `excluded` holds
    resolved folders never to walk (InPhotos' own data) and `roots` the resolved library
    folders, which a link inside the library is not followed into (they are walked as
    themselves).
    """

    status: dict[str, str] = field(default_factory=dict)
    seen: set[tuple[int, int]] = field(default_factory=set)
    excluded: frozenset[str] = frozenset()
    roots: frozenset[str] = frozenset()

    def verdict(self, path: str, root: str) -> tuple[str, str]:
        """What the walk knows about the file `path` under `root`, which it did not find.

        READ: it vanished from a folder read whole (deleted); UNREADABLE or EMPTY: a folder
        on its way could not be read or looks unplugged (keep it); ELSEWHERE: it lay under a
        link to a folder walked under another name (a double).
        """
        p = path
        while True:
            st = self.status.get(p)
            if st is not None and (p != path or st != READ):
                return st, p
            parent = os.path.dirname(p)
            if p == root or parent == p or len(parent) < len(root):
                return UNREADABLE, p  # the root itself was not walked: know nothing
            p = parent


def is_skipped_name(name: str) -> bool:
    """Hidden files and folders (.DS_Store, ._*, .thumbnails, ...) and known system folders."""
    return name.startswith(".") or name in SKIP_NAMES or name.startswith(".Trash")


def walk_images(
    root: str,
    on_error: Callable[[str, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    walk_log: WalkLog | None = None,
    extensions: frozenset[str] = SCANNED_EXTENSIONS,
) -> Iterator[FileEntry]:
    """Yield every image file under `root`, depth first.

    Args:
        root: an absolute folder path.
        on_error: called with (path, reason) for folders or files that cannot be read.
        should_stop: polled between folders; the walk ends early when it returns True.
        walk_log: filled with what the walk saw of each folder (see `WalkLog`).
        extensions: the file types to yield (lower case, with the dot): images, and videos
            when they are indexed.
    """
    wl = walk_log if walk_log is not None else WalkLog()
    status = wl.status
    seen_dirs = wl.seen

    def error(path: str, reason: str) -> None:
        status[path] = UNREADABLE
        if on_error:
            on_error(path, reason)

    try:
        st = os.stat(root)
    except OSError as e:
        error(root, f"cannot open folder: {e.strerror or e}")
        return
    if (st.st_dev, st.st_ino) in seen_dirs:
        status[root] = ELSEWHERE
        return
    seen_dirs.add((st.st_dev, st.st_ino))
    stack = [root]
    while stack:
        if should_stop is not None and should_stop():
            return
        folder = stack.pop()
        subfolders: list[str] = []
        found: list[FileEntry] = []
        entries = 0
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    entries += 1
                    _visit(entry, wl, error, subfolders, found, extensions)
        except OSError as e:  # no permission, an expired login, an I/O error mid-listing
            error(folder, f"cannot open folder: {e.strerror or e}")
        else:
            status[folder] = READ if entries else EMPTY
        yield from found
        stack.extend(sorted(subfolders, reverse=True))


def _visit(
    entry: os.DirEntry[str],
    wl: WalkLog,
    error: Callable[[str, str], None],
    subfolders: list[str],
    found: list[FileEntry],
    extensions: frozenset[str] = SCANNED_EXTENSIONS,
) -> None:
    name = entry.name
    if is_skipped_name(name):
        return
    try:
        if entry.is_dir(follow_symlinks=True):
            real = os.path.realpath(entry.path) if entry.is_symlink() else entry.path
            if real in wl.excluded or (entry.is_symlink() and _under_any(real, wl.roots)):
                wl.status[entry.path] = ELSEWHERE  # walked as itself; never indexed twice
                return
            est = entry.stat(follow_symlinks=True)
            key = (est.st_dev, est.st_ino)
            if key in wl.seen:
                wl.status[entry.path] = ELSEWHERE
            else:
                wl.seen.add(key)
                subfolders.append(entry.path)
            return
        if entry.is_symlink() and not os.path.exists(entry.path):
            raise FileNotFoundError(errno.ENOENT, "dangling link", entry.path)
        if os.path.splitext(name)[1].lower() not in extensions:
            return
        est = entry.stat(follow_symlinks=True)
    except OSError as e:
        # Broken symlinks (a share or drive that went away), loops, vanished entries: a clear
        # reason, no crash, and whatever was indexed under it is kept.
        if entry.is_symlink():
            error(entry.path, "broken or looping symbolic link (its photos are kept)")
        else:
            error(entry.path, f"cannot read: {e.strerror or e}")
        return
    if not stat.S_ISREG(est.st_mode):
        error(entry.path, "not a regular file")
        return
    found.append(FileEntry(entry.path, est.st_size, est.st_mtime_ns, getattr(est, "st_ctime_ns", 0)))


def _under_any(path: str, folders: frozenset[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders)
