"""Walking library folders: which image files are on disk, with size and mtime.

Hidden and system entries are skipped, symlinked folders are followed at most once (no loops),
and unreadable folders are reported instead of stopping the walk.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from inphotos.core.imaging import IMAGE_EXTENSIONS

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


def is_skipped_name(name: str) -> bool:
    """Hidden files and folders (.DS_Store, ._*, .thumbnails, ...) and known system folders."""
    return name.startswith(".") or name in SKIP_NAMES or name.startswith(".Trash")


def walk_images(
    root: str,
    on_error: Callable[[str, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[FileEntry]:
    """Yield every image file under `root`, depth first.

    Args:
        root: an absolute folder path.
        on_error: called with (path, reason) for folders or files that cannot be read.
        should_stop: polled between folders; the walk ends early when it returns True.
    """
    seen_dirs: set[tuple[int, int]] = set()
    try:
        st = os.stat(root)
        seen_dirs.add((st.st_dev, st.st_ino))
    except OSError as e:
        if on_error:
            on_error(root, f"cannot open folder: {e.strerror or e}")
        return
    stack = [root]
    while stack:
        if should_stop is not None and should_stop():
            return
        folder = stack.pop()
        try:
            it = os.scandir(folder)
        except OSError as e:
            if on_error:
                on_error(folder, f"cannot open folder: {e.strerror or e}")
            continue
        subfolders: list[str] = []
        with it:
            for entry in it:
                name = entry.name
                if is_skipped_name(name):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=True):
                        est = entry.stat(follow_symlinks=True)
                        key = (est.st_dev, est.st_ino)
                        if key not in seen_dirs:
                            seen_dirs.add(key)
                            subfolders.append(entry.path)
                        continue
                    if os.path.splitext(name)[1].lower() not in IMAGE_EXTENSIONS:
                        continue
                    est = entry.stat(follow_symlinks=True)
                except OSError as e:
                    # Broken symlinks, symlink loops, vanished entries: a clear reason, no crash.
                    if on_error and entry.is_symlink():
                        on_error(entry.path, "broken or looping symbolic link")
                    elif on_error:
                        on_error(entry.path, f"cannot read: {e.strerror or e}")
                    continue
                if not stat.S_ISREG(est.st_mode):
                    if on_error:
                        on_error(entry.path, "not a regular file")
                    continue
                yield FileEntry(entry.path, est.st_size, est.st_mtime_ns)
        stack.extend(sorted(subfolders, reverse=True))
