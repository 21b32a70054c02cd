"""Turning ObjectBox and file-system failures into the errors a user can act on.

A full disk shows up as DbFullError, as a general storage or I/O error from the commit (on
tmpfs and some other file systems) or as ENOSPC from a file write: the free space left tells
a full disk apart from other failures.
"""

from __future__ import annotations

import errno
import logging
import shutil
from pathlib import Path

import objectbox
import objectbox.exceptions

from inphotos.errors import DiskFullError, StoreError

log = logging.getLogger(__name__)

#: Below this much free space, a failed write is put down to a full disk.
LOW_SPACE_BYTES = 32 * 1024 * 1024


def disk_full_message(directory: Path) -> str:
    return (
        f"The disk holding the InPhotos library ({directory}) is full, so the last changes were "
        "not saved. Everything saved before is intact. Free some space, then index again: it "
        "goes on from where it stopped."
    )


def low_on_space(directory: Path) -> bool:
    try:
        return shutil.disk_usage(directory).free < LOW_SPACE_BYTES
    except OSError:
        return False


def store_error(directory: Path, e: objectbox.DbError) -> StoreError:
    """The user-facing error for a database failure."""
    storage = (objectbox.exceptions.GeneralStorageError, objectbox.exceptions.IoError)
    if isinstance(e, objectbox.DbFullError) or (isinstance(e, storage) and low_on_space(directory)):
        return DiskFullError(disk_full_message(directory))
    return StoreError(f"The InPhotos database in {directory} reported an error: {e}")


def file_error(path: Path, e: OSError) -> StoreError:
    """The user-facing error for a failed write of one of the store's own files."""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(disk_full_message(path.parent))
    return StoreError(f"Cannot save {path}: {e.strerror or e}")
