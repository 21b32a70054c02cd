"""Watching library folders while the app runs, so new and deleted photos show up by themselves.

watchdog watches each library folder recursively (inotify on Linux, FSEvents on macOS), so a
subfolder created while the app runs is watched too. Events arrive on watchdog's thread and
are passed to the GUI thread as a queued signal; a burst of changes (a camera import) becomes
one rescan a few seconds after it settles. The rescan at every start catches anything a
watch misses (a folder over the system's watch limit, a network share without events).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Sequence

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from inphotos.core.formats import is_image_name, is_video_name
from inphotos.core.pairs import is_companion_name
from inphotos.core.scanner import is_skipped_name

log = logging.getLogger(__name__)

SETTLE_MS = 3000


class LibraryWatcher(QObject):
    """Emits `changed` once a burst of changes to photos or folders in the library settles."""

    changed = pyqtSignal()
    _touched = pyqtSignal()  # from watchdog's thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self.changed)
        self._touched.connect(self._timer.start)
        self._observer: BaseObserver | None = None
        self._roots: list[str] = []
        self._watched: list[str] = []

    def watch(self, roots: Sequence[str]) -> None:
        """Watch these library folders and everything below them (replacing earlier ones)."""
        if list(roots) == self._roots:
            return
        self.stop()
        self._roots = list(roots)
        if not roots:
            return
        observer = Observer()
        observer.name = "inphotos-watch"
        for root in roots:
            try:
                observer.schedule(_Handler(root, self._touched.emit), root, recursive=True)
                self._watched.append(root)
            except OSError as e:  # e.g. the system's inotify watch limit; rescans still work
                log.warning("Not watching %s for changes: %s", root, e)
        observer.start()
        self._observer = observer

    def watched(self) -> list[str]:
        """The library folders being watched (each with all its subfolders)."""
        return sorted(self._watched)

    def stop(self) -> None:
        self._timer.stop()
        self._roots, self._watched = [], []
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)


class _Handler(FileSystemEventHandler):
    """Passes on changes that can matter to the index: image files and folders."""

    def __init__(self, root: str, notify: object) -> None:
        super().__init__()
        self._root = root
        self._notify = notify

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reading a file (our own thumbnails and previews) changes nothing
        paths = [os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", "") or "")]
        if not any(p and self._matters(p, event.is_directory) for p in paths):
            return
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self._notify()  # type: ignore[operator]

    def _matters(self, path: str, is_directory: bool) -> bool:
        """Images (and Live Photo videos) and folders, outside hidden and system folders below the
        library folder."""
        try:
            inside = os.path.relpath(path, self._root)
        except ValueError:
            return False
        if inside.startswith(os.pardir) or any(is_skipped_name(p) for p in inside.split(os.sep) if p != "."):
            return False
        return is_directory or is_image_name(path) or is_companion_name(path) or is_video_name(path)
