"""Changing the model: index into the new model's own database, then switch over.

The current library keeps answering searches until the new index is complete, so a user is
never left with half a library. An interrupted switch resumes next time (indexing is
incremental), and a failed one leaves everything as it was.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject
from PyQt6.QtWidgets import QMessageBox

from inphotos import APP_NAME
from inphotos.core.library import Library, LibraryError
from inphotos.db.lock import LibraryInUseError
from inphotos.db.store import StoreError
from inphotos.ml.models import ModelError, parse_spec
from inphotos.records import IndexProgress, IndexReport
from inphotos.workers.indexing import IndexService
from inphotos.workers.queries import ModelService

if TYPE_CHECKING:
    from inphotos.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class ModelSwitch(QObject):
    def __init__(self, window: MainWindow, spec: str) -> None:
        super().__init__(window)
        self.window = window
        self.spec = spec
        self.library: Library | None = None
        self.index: IndexService | None = None
        self.model: ModelService | None = None

    def start(self) -> None:
        w = self.window
        try:
            same_index = parse_spec(self.spec).key == w.library.spec.key
        except ModelError as e:
            QMessageBox.warning(w, APP_NAME, str(e))
            return
        if same_index:
            # Same model, other device or precision: reopen the library with the new settings.
            w.library.close()
            self.library = self._open()
            if self.library is not None:
                w.install_library(self.library, self.spec)
            return
        self.library = self._open()
        if self.library is None:
            return
        for f in w.library.store.folders():
            self.library.store.put_folder(f.path, online=f.online)
        self.model = ModelService(self.library, self)
        self.model.model_ready.connect(self._on_model_ready)
        self.model.model_failed.connect(self._on_failed)
        self.model.download_progress.connect(
            lambda d, t: w._status(f"Downloading {self.spec}: {d / 1e6:.0f} of {t / 1e6:.0f} MB")
        )
        w._status(f"Loading {self.spec}…")
        self.model.load()

    def _open(self) -> Library | None:
        w = self.window
        try:
            return Library(
                w.paths, self.spec, device=w.settings.device, precision=w.settings.precision,
                batch_size=w.settings.batch_size, workers=w.settings.decode_workers,
            )
        except (LibraryError, ModelError, StoreError, LibraryInUseError) as e:
            QMessageBox.warning(w, APP_NAME, f"Cannot use the model {self.spec}:\n{e}")
            return None

    def _on_model_ready(self, description: str) -> None:
        assert self.library is not None
        self.index = IndexService(self.library, self)
        self.index.progress.connect(self._on_progress)
        self.index.finished.connect(self._on_finished)
        self.index.failed.connect(self._on_failed)
        self.index.start()

    def _on_progress(self, p: IndexProgress) -> None:
        if p.phase == "embedding":
            self.window._status(
                f"Re-indexing for {self.spec}: {p.done:,} of {p.total:,} — the current model "
                "answers searches until it is done"
            )

    def _on_finished(self, report: IndexReport) -> None:
        if report.cancelled or self.library is None:
            self._abandon()
            return
        library, self.library = self.library, None
        self.window._switch = None
        self.window._status(f"Switched to {self.spec}")
        self.window.install_library(library, self.spec)

    def _on_failed(self, message: str, *_: object) -> None:
        QMessageBox.warning(self.window, APP_NAME, f"Could not switch to {self.spec}:\n{message}")
        self._abandon()

    def cancel(self) -> None:
        if self.index is not None:
            self.index.shutdown(5000)
        if self.model is not None:
            self.model.shutdown(2000)
        self._abandon()

    def _abandon(self) -> None:
        if self.library is not None:
            self.library.close()
            self.library = None
        if self.window._switch is self:
            self.window._switch = None
