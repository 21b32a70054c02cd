"""Watching library folders while the app runs, so new and deleted photos show up by themselves.

QFileSystemWatcher is not recursive and each watch costs a file descriptor, so the roots and
a bounded number of subfolders are watched; a burst of changes (a camera import) becomes one
rescan a few seconds after it settles. The rescan on start catches everything else. Finding
the subfolders walks the disk, so it happens on a short-lived thread, not the GUI thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Sequence

from PyQt6.QtCore import QFileSystemWatcher, QObject, QTimer, pyqtSignal

from inphotos.core.scanner import is_skipped_name

log = logging.getLogger(__name__)

MAX_WATCHED = 2000
SETTLE_MS = 3000


class LibraryWatcher(QObject):
    changed = pyqtSignal()
    _folders_found = pyqtSignal(object, object)  # roots, folders to watch (from the walk thread)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self.changed)
        self._watcher.directoryChanged.connect(lambda _: self._timer.start())
        self._folders_found.connect(self._on_folders_found)
        self._roots: list[str] = []

    def watch(self, roots: Sequence[str]) -> None:
        """Watch these library folders (and their subfolders, found off the GUI thread)."""
        if list(roots) == self._roots:
            return
        self._roots = list(roots)
        wanted = list(roots)

        def walk() -> None:
            folders = _folders_under(wanted)
            with contextlib.suppress(RuntimeError):  # the window closed while walking
                self._folders_found.emit(wanted, folders)

        threading.Thread(target=walk, name="inphotos-watch-scan", daemon=True).start()

    def _on_folders_found(self, roots: list[str], folders: list[str]) -> None:
        if roots != self._roots:
            return  # the library changed while walking; a newer walk is on its way
        old = self._watcher.directories()
        if old:
            self._watcher.removePaths(old)
        if folders:
            self._watcher.addPaths(folders)

    def watched(self) -> list[str]:
        return self._watcher.directories()

    def stop(self) -> None:
        self._timer.stop()
        old = self._watcher.directories()
        if old:
            self._watcher.removePaths(old)
        self._roots = []


def _folders_under(roots: Sequence[str]) -> list[str]:
    """The roots and their subfolders, at most MAX_WATCHED (hidden and system ones skipped)."""
    dirs: list[str] = []
    for root in roots:
        dirs.append(root)
        for folder, subdirs, _ in os.walk(root):
            subdirs[:] = [d for d in subdirs if not is_skipped_name(d)]
            dirs.extend(os.path.join(folder, d) for d in subdirs)
            if len(dirs) >= MAX_WATCHED:
                log.info("Watching the first %d folders; the rest are picked up by rescans", MAX_WATCHED)
                return dirs[:MAX_WATCHED]
    return dirs
