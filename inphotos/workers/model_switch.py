"""Changing the model: index into the new model's own database, then hand it over.

The current library keeps answering searches until the new index is complete, so a user is
never left with half a library. The new library is opened and indexed here, off the GUI
thread; only when it is complete does the session install it (and close the old one). An
interrupted switch resumes next time (indexing is incremental), and a failed one leaves
everything as it was. The switch talks to the window through its signals only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from PyQt6.QtCore import QObject, pyqtSignal

from inphotos.errors import InPhotosError
from inphotos.records import IndexProgress, IndexReport
from inphotos.workers.indexing import IndexService
from inphotos.workers.model_service import ModelService
from inphotos.workers.runner import Runner
from inphotos.workers.session import LibrarySession

if TYPE_CHECKING:  # the engine loads on a worker thread, after the window is up
    from inphotos.core.library import Library

log = logging.getLogger(__name__)


class ModelSwitch(QObject):
    """One switch from the session's library to the library of `spec`."""

    status = pyqtSignal(str)  # what is happening, for the status bar
    failed = pyqtSignal(str)  # why the switch stopped; the current library is untouched
    done = pyqtSignal(str)  # the spec now in use

    def __init__(self, session: LibrarySession, spec: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.spec = spec
        self.library: Library | None = None
        self._runner = Runner(1, "inphotos-switch", self)
        self._runner.finished.connect(self._on_opened)
        self._runner.failed.connect(lambda _k, _g, e: self._fail(e))
        self.index: IndexService | None = None
        self.model: ModelService | None = None

    def start(self) -> None:
        """Open the new model's library in the background; the rest follows from there."""
        session, spec = self.session, self.spec
        folders = [(f.path, f.online) for f in session.lib.store.folders()]

        def open_and_seed() -> Library:
            library = session.open_library(spec)
            try:
                for path, online in folders:
                    library.store.put_folder(path, online=online)
            except BaseException:
                library.close()
                raise
            return library

        self.status.emit(f"Loading {spec}…")
        self._runner.submit("open", 0, open_and_seed)

    def _on_opened(self, _kind: str, _generation: int, library: object) -> None:
        self.library = cast("Library", library)
        self.model = ModelService(self.library, self)
        self.model.model_ready.connect(self._on_model_ready)
        self.model.model_failed.connect(self._fail)
        self.model.download_progress.connect(
            lambda d, t: self.status.emit(f"Downloading {self.spec}: {d / 1e6:.0f} of {t / 1e6:.0f} MB"))
        self.model.load()

    def _on_model_ready(self, _description: str) -> None:
        assert self.library is not None
        self.index = IndexService(self.library, self)
        self.index.progress.connect(self._on_progress)
        self.index.finished.connect(self._on_finished)
        self.index.failed.connect(self._fail)
        self.index.start()

    def _on_progress(self, p: IndexProgress) -> None:
        if p.phase == "embedding":
            self.status.emit(
                f"Re-indexing for {self.spec}: {p.done:,} of {p.total:,} — the current model "
                "answers searches until it is done")

    def _on_finished(self, report: IndexReport) -> None:
        if report.cancelled or self.library is None:
            self._abandon()
            return
        library, self.library = self.library, None
        self.session.install(library)
        self.done.emit(self.spec)

    def _fail(self, error: object) -> None:
        if not isinstance(error, InPhotosError):
            self._abandon()
            return  # a bug: the runner already sent it to the crash dialog
        self.failed.emit(f"Could not switch to {self.spec}:\n{error}")
        self._abandon()

    def cancel(self, timeout_ms: int = 5000) -> None:
        """Stop the switch (on quit, or when another one starts); the new index is kept.

        Work still running after `timeout_ms` is abandoned; the new library is then closed on
        its writer thread once the batch in flight is written.
        """
        if self.index is not None and not self.index.shutdown(timeout_ms) and self.library:
            self.index.after_current(self.library.close)
            self.library = None
        if self.model is not None:
            self.model.shutdown(0)  # a model load cannot be interrupted; it is left to finish
        self._runner.shutdown(timeout_ms)
        self._abandon()

    def _abandon(self) -> None:
        if self.model is not None:
            self.model.cancel_retry()  # a switch that failed does not come back by itself
        if self.library is not None:
            self.library.close()
            self.library = None
