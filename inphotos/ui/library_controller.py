"""The library's folders and its indexing as the window shows them: the folders panel, the
indexing strip in the status bar, the skipped-files count, and watching the folders.

It reacts to the index service (started, progress, finished, failed) and to folder changes,
keeps the panel's states true, and asks the view to refresh when the library changed.
"""

from __future__ import annotations

import logging

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtWidgets import QMessageBox, QStackedWidget, QWidget

from inphotos import APP_NAME
from inphotos.errors import InPhotosError
from inphotos.records import IndexReport
from inphotos.ui.dialogs import SkippedDialog
from inphotos.ui.folders import FoldersPanel
from inphotos.ui.index_status import IndexStatus
from inphotos.ui.model_controller import explain
from inphotos.ui.view import ViewController
from inphotos.workers.indexing import is_model_problem
from inphotos.workers.session import LibrarySession
from inphotos.workers.watcher import LibraryWatcher

log = logging.getLogger(__name__)


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
        index = session.index
        index.started.connect(self._on_started)
        index.progress.connect(strip.show_progress)
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

    def refresh_folders(self) -> None:
        folders = self.session.folders()
        grid = self.stack.widget(1)
        self.panel.set_folders(folders, self.session.index.running)
        self.watcher.watch([f.path for f in folders if f.online])
        self.stack.setCurrentWidget(grid if folders else self.stack.widget(0))

    def stop(self) -> None:
        self.watcher.stop()

    def _on_folders_changed(self, message: str) -> None:
        self.refresh_folders()
        self.status.emit(message)
        self.view.refresh()

    def _on_model_ready(self, _description: str) -> None:
        if self._waits_for_model:
            self._waits_for_model = False
            self.session.index.start()

    def _on_started(self) -> None:
        self.strip.set_running(True)
        self.panel.set_folders(self.session.folders(), indexing=True)
        self.view.set_indexing(True)

    def _on_finished(self, report: IndexReport) -> None:
        self.last_report = report
        self.strip.set_running(False)
        self.view.set_indexing(False)
        self.refresh_folders()  # the run is over: folders show "up to date" again
        self.strip.set_skipped(len(self.skipped_rows()))
        changed = report.added or report.updated or report.moved or report.removed
        if changed or report.cancelled:
            self.status.emit(f"Index: {report.summary()}")
        if changed:
            self.view.refresh()

    def _on_failed(self, error: object) -> None:
        self.strip.set_running(False)
        self.view.set_indexing(False)
        if is_model_problem(error):
            # The model's own message (with its way out) is already on screen: one is enough.
            # Indexing goes on by itself once a model loads.
            self._waits_for_model = True
            self.status.emit(f"Indexing waits for a working model: {error}")
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
