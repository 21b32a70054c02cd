"""An exclusive, process-wide lock on a library, so a second instance gets a clear message.

The lock is held on the folder that holds the lock file (its database folder), through a
read-only descriptor of the folder itself, and on the lock file: deleting the lock file after
a crash (its name invites it) or while a process runs cannot let a second writer in, since
the folder cannot be deleted while it holds the database. The OS drops both when the process
dies (even by `kill -9`), so a stale lock file is harmless: it only holds the last pid.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from inphotos.errors import LibraryInUseError
from inphotos.fsutil import private_dir

__all__ = ["LibraryInUseError", "ProcessLock"]

IN_USE = (
    "The photo library is in use by another InPhotos window or command. "
    "Close it first, then try again."
)


class ProcessLock:
    """Holds an advisory lock on `path` and on its folder until `release()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        private_dir(path.parent)
        self._dir_fd: int | None = _open_dir(path.parent)
        self._fd: int | None = None
        try:
            if self._dir_fd is not None:
                _lock(self._dir_fd)
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            _lock(self._fd)
        except OSError as e:
            self._close()
            raise LibraryInUseError(IN_USE) from e
        self._dir_id = _identity(self._dir_fd)
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
            os.write(self._fd, str(os.getpid()).encode())

    def check(self) -> None:
        """Raise unless this process still holds the library (called before every write).

        Raises:
            LibraryInUseError: the lock was released, or the database folder was moved or
                replaced under this process (another writer could hold the new one).
        """
        if self._fd is None:
            raise LibraryInUseError("The photo library was closed.")
        if self._dir_fd is None:
            return
        try:
            st = os.stat(self.path.parent)
        except OSError as e:
            raise LibraryInUseError(
                f"The library's folder {self.path.parent} went away while in use."
            ) from e
        if (st.st_dev, st.st_ino) != self._dir_id:
            raise LibraryInUseError(
                f"The library's folder {self.path.parent} was replaced while in use; "
                "close InPhotos and open it again."
            )

    def release(self) -> None:
        self._close()

    def _close(self) -> None:
        for attr in ("_fd", "_dir_fd"):
            fd = getattr(self, attr)
            if fd is not None:
                with contextlib.suppress(OSError):
                    _unlock(fd)
                os.close(fd)
                setattr(self, attr, None)


def _identity(fd: int | None) -> tuple[int, int]:
    if fd is None:
        return (0, 0)
    st = os.fstat(fd)
    return (st.st_dev, st.st_ino)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _open_dir(folder: Path) -> int | None:
        return None  # an open file cannot be deleted on Windows: the file lock is enough

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _open_dir(folder: Path) -> int | None:
        return os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
