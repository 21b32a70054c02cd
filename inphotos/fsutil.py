"""Writing a file so that a crash, a kill or a full disk leaves either the old file or the new.

Also `private_dir`: InPhotos' folders are created readable by their owner only.

One helper for every file InPhotos replaces whole: the index's record file, settings, and
thumbnails. A temporary file with a unique name in the same folder (so two writers never
share one, and the rename stays on one file system) is written, checked, fsynced and then
renamed over the target.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

#: Every temporary file starts with this, so leftovers of a crash can be found and removed.
TEMP_PREFIX = ".tmp-"
#: InPhotos' own folders and files are its owner's only (a shared computer): the database,
#: the thumbnails and the logs say what is in someone's photos.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def atomic_write(path: str | os.PathLike[str], data: bytes, durable: bool = True) -> None:
    """Replace `path` with `data` atomically; the temporary file never outlives a failure.

    Args:
        path: the file to write (its folder must exist).
        data: the whole new content.
        durable: fsync the file and its folder, so the new content survives a power cut.
            A cache that can be rebuilt (thumbnails) skips it: a sync per photo would slow
            indexing, and atomicity alone already rules out a half-written file.

    Raises:
        OSError: the file could not be written (ENOSPC for a full disk, also when the
            file system accepted fewer bytes than asked without saying so).
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f"{TEMP_PREFIX}{target.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            # Some writers (and some file systems when full) accept a short write silently.
            if os.fstat(f.fileno()).st_size != len(data):
                raise OSError(errno.ENOSPC, "the file could not be written whole", str(target))
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(target.parent)


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create `path` (and any missing parents) readable by its owner only (0700), whatever
    the umask, and make an existing one so; returns it.

    Parents that existed are left as they are (they need not be InPhotos' own).
    """
    folder = Path(path)
    missing: list[Path] = []
    p = folder
    while not p.exists() and p.parent != p:
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        with contextlib.suppress(FileExistsError):
            p.mkdir(mode=PRIVATE_DIR_MODE)
        with contextlib.suppress(OSError):
            os.chmod(p, PRIVATE_DIR_MODE)
    if folder.is_dir() and not folder.is_symlink():
        with contextlib.suppress(OSError):  # a read-only home: reading still works
            if os.stat(folder).st_mode & 0o077:
                os.chmod(folder, PRIVATE_DIR_MODE)
    return folder


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make a rename in `folder` durable, where the platform allows it (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder; the rename is still atomic
        pass
    finally:
        os.close(fd)
