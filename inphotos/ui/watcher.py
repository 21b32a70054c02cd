"""Watching library folders while the app runs, so new and deleted photos show up by themselves.

QFileSystemWatcher is not recursive and each watch costs a file descriptor, so the roots and
a bounded number of subfolders are watched; a burst of changes (a camera import) becomes one
rescan a few seconds after it settles. The rescan on start catches everything else.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from PyQt6.QtCore import QFileSystemWatcher, QObject, QTimer, pyqtSignal

from inphotos.core.scanner import is_skipped_name

log = logging.getLogger(__name__)

MAX_WATCHED = 2000
SETTLE_MS = 3000


class LibraryWatcher(QObject):
    changed = pyqtSignal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self.changed)
        self._watcher.directoryChanged.connect(lambda _: self._timer.start())
        self._roots: list[str] = []

    def watch(self, roots: Sequence[str]) -> None:
        if list(roots) == self._roots:
            return
        self._roots = list(roots)
        old = self._watcher.directories()
        if old:
            self._watcher.removePaths(old)
        dirs: list[str] = []
        for root in roots:
            dirs.append(root)
            for folder, subdirs, _ in os.walk(root):
                subdirs[:] = [d for d in subdirs if not is_skipped_name(d)]
                dirs.extend(os.path.join(folder, d) for d in subdirs)
                if len(dirs) >= MAX_WATCHED:
                    break
            if len(dirs) >= MAX_WATCHED:
                log.info("Watching the first %d folders; the rest are picked up by rescans", MAX_WATCHED)
                break
        if dirs:
            self._watcher.addPaths(dirs[:MAX_WATCHED])

    def stop(self) -> None:
        self._timer.stop()
        old = self._watcher.directories()
        if old:
            self._watcher.removePaths(old)
        self._roots = []
