"""An exclusive, process-wide lock on a library, so a second instance gets a clear message.

The OS drops the lock when the process dies (even by `kill -9`), so no stale lock survives.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from inphotos.errors import LibraryInUseError

__all__ = ["LibraryInUseError", "ProcessLock"]


class ProcessLock:
    """Holds an advisory lock on `path` until `release()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(self._fd)
        except OSError as e:
            os.close(self._fd)
            self._fd = None
            raise LibraryInUseError(
                "The photo library is in use by another InPhotos window or command. "
                "Close it first, then try again."
            ) from e
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
            os.write(self._fd, str(os.getpid()).encode())

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                _unlock(self._fd)
            os.close(self._fd)
            self._fd = None


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
