"""The library's folders and its indexing as the window shows them: the folders panel, the
indexing strip in the status bar, the skipped-files count, and watching the folders.

It reacts to the index service (started, progress, finished, failed) and to folder changes,
keeps the panel's states true, and asks the view to refresh when the library changed.
"""

from __future__ import annotations

import logging
import os
import time

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtWidgets import QMessageBox, QStackedWidget, QWidget

from inphotos import APP_NAME
from inphotos.errors import InPhotosError
from inphotos.records import IndexProgress, IndexReport
from inphotos.ui.dialogs import SkippedDialog
from inphotos.ui.folders import FoldersPanel
from inphotos.ui.index_status import IndexStatus
from inphotos.ui.model_controller import explain
from inphotos.ui.view import ViewController
from inphotos.workers.indexing import is_model_problem
from inphotos.workers.session import LibrarySession
from inphotos.workers.watcher import LibraryWatcher

log = logging.getLogger(__name__)

PANEL_REFRESH_S = 1.0  # how often the folder counts follow a run


class LibraryController(QObject):
    """Folders and indexing, on the GUI thread."""

    status = pyqtSignal(str)  # a line for the status bar

    def __init__(self, session: LibrarySession, view: ViewController, panel: FoldersPanel,
                 strip: IndexStatus, stack: QStackedWidget, window: QWidget) -> None:
        super().__init__(window)
        self.session = session
        self.view = view
        self.panel = panel
        self.strip = strip
        self.stack = stack
        self.window = window
        self.watcher = LibraryWatcher(self)
        self.last_report: IndexReport | None = None
        self._waits_for_model = False
        self._waiting: dict[str, int] | None = None  # photos left per folder in this run
        self._current = ""  # the folder being indexed now
        self._panel_shown_at = 0.0
        index = session.index
        index.started.connect(self._on_started)
        index.progress.connect(self._on_progress)
        index.finished.connect(self._on_finished)
        index.failed.connect(self._on_failed)
        session.folders_changed.connect(self._on_folders_changed)
        session.model.model_ready.connect(self._on_model_ready)
        strip.pause_toggled.connect(lambda p: index.pause() if p else index.resume())
        strip.cancel_requested.connect(index.cancel)
        strip.skipped_clicked.connect(self.show_skipped)
        panel.rescan_requested.connect(index.start)
        self.watcher.changed.connect(index.start)

    def library_opened(self) -> None:
        """A library is installed: show its folders and bring its index up to date."""
        self.last_report = None
        self.refresh_folders()
        if self.session.lib.store.folders():
            self.session.index.start()
        self.strip.set_skipped(len(self.skipped_rows()))

    def refresh_folders(self, leave_other_pages: bool = False) -> None:
        """Show the folders; the grid (or, with none, the welcome page) unless another page
        (Explore) is up and `leave_other_pages` is False."""
        folders = self.session.folders()
        grid, welcome = self.stack.widget(1), self.stack.widget(0)
        self.panel.set_folders(folders, self.session.index.running)
        self.watcher.watch([f.path for f in folders if f.online])
        if leave_other_pages or self.stack.currentWidget() in (grid, welcome):
            self.stack.setCurrentWidget(grid if folders else welcome)

    def stop(self) -> None:
        self.watcher.stop()

    def _on_folders_changed(self, message: str) -> None:
        self.refresh_folders(leave_other_pages=True)
        self.status.emit(message)
        self.view.refresh()

    def _on_model_ready(self, _description: str) -> None:
        self.strip.set_model_ready(True)
        if self._waits_for_model:
            self._waits_for_model = False
            self.session.index.start()

    def _on_started(self) -> None:
        if self.session.closed:  # the window is closing; the library may be closed
            return
        self._waiting, self._current = None, ""
        self.strip.set_running(True)
        self.strip.set_model_ready(self.session.model.ready)
        self.panel.set_folders(self.session.folders(), indexing=True)
        self.view.set_indexing(True)

    def _on_progress(self, p: IndexProgress) -> None:
        if self.session.closed:  # the window is closing; the library may be closed
            return
        self.strip.show_progress(p)
        if p.phase != "embedding":
            return
        self._waiting = p.waiting
        self._current = _folder_of(p.current, p.waiting) if p.current else ""
        now = time.monotonic()
        if p.done == 0 or now - self._panel_shown_at >= PANEL_REFRESH_S:
            # The counts grow as photos are indexed (a count query per folder: cheap).
            self._panel_shown_at = now
            self.panel.set_folders(self.session.folders(), True, self._waiting, self._current)

    def _on_finished(self, report: IndexReport) -> None:
        if self.session.closed:  # the window is closing; the library may be closed
            return
        self.last_report = report
        self.strip.set_running(False)
        self.view.set_indexing(False)
        self.strip.set_skipped(len(self.skipped_rows()))
        changed = report.added or report.updated or report.moved or report.removed
        if report.cancelled:
            # Not "up to date": what is left waits, and the strip says so until the next run.
            known = self._waiting is not None or bool(report.waiting)
            left = sum(report.waiting.values())
            self.panel.set_folders(self.session.folders(), False,
                                   report.waiting if known else None, stopped=True)
            self.strip.show_cancelled(left if known else None)
            self.status.emit(
                f"Indexing cancelled: {left:,} photo{'s' if left != 1 else ''} still waiting. "
                "Rescan (F5) goes on where it stopped." if known and left else
                "Indexing cancelled before it knew what changed. Rescan (F5) to check again.")
        else:
            self.refresh_folders()  # the run is over: folders show "up to date" again
            if changed:
                where = f" · embedded on the {report.engine}" if report.engine else ""
                self.status.emit(f"Index: {report.summary()}{where}")
            else:
                self.status.emit("Up to date: no new or changed photos")
        if changed:
            self.view.refresh()

    def _on_failed(self, error: object) -> None:
        if self.session.closed:  # the window is closing; the library may be closed
            return
        self.strip.set_running(False)
        self.view.set_indexing(False)
        if is_model_problem(error):
            # The model's own message (with its way out) is already on screen: one is enough.
            # Indexing goes on by itself once a model loads.
            self._waits_for_model = True
            self.panel.set_folders(self.session.folders(), False, self._waiting)
            left = sum((self._waiting or {}).values())
            self.status.emit(
                f"{left:,} photos wait for the model; they are indexed as soon as it is here"
                if left else "Indexing waits for the model; it goes on as soon as it is here")
            return
        self.refresh_folders()
        self.view.refresh()  # show what was saved before it stopped
        if isinstance(error, InPhotosError):  # anything else is a bug, already in the crash dialog
            text = f"Indexing stopped: {explain(error)}"
            log.error(text)
            self.status.emit(text)
            QMessageBox.warning(self.window, APP_NAME, text)

    def skipped_rows(self) -> list[tuple[str, str]]:
        """Bad files on record, plus what the last run could not reach (links, FIFOs, ...)."""
        rows = [(s.path, s.reason) for s in self.session.lib.store.skipped()]
        if self.last_report is not None:
            known = {p for p, _ in rows}
            rows += [(p, r) for p, r in self.last_report.skipped if p not in known]
        return rows

    def show_skipped(self) -> None:
        SkippedDialog(self.skipped_rows(), self.window).exec()


def _folder_of(path: str, folders: dict[str, int]) -> str:
    """The library folder (one of `folders`) that holds `path`."""
    parent = os.path.dirname(path)
    best = ""
    for f in folders:
        if (parent == f or parent.startswith(f.rstrip(os.sep) + os.sep)) and len(f) > len(best):
            best = f
    return best
