"""The open library and its background services: the one object the window talks to.

It owns the `Library` (opened on a worker thread, never on the GUI thread), the services
(indexing, which is the one writer; queries; thumbnails; the model load), changes to the
folder list (through the writer), switching to another library after a model change (the
new library is open before the old one is closed, on the writer thread), and shutdown. The
services stay the same objects for the life of the window and drop answers meant for a
library that was replaced, so the window connects to them once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QObject, pyqtSignal

from inphotos.errors import InPhotosError, ModelError, UserError
from inphotos.records import FolderInfo
from inphotos.workers.explore import ExploreService
from inphotos.workers.indexing import IndexService, WriteJob
from inphotos.workers.model_service import ModelService
from inphotos.workers.queries import QueryService
from inphotos.workers.runner import Runner
from inphotos.workers.thumbnails import ThumbnailLoader

if TYPE_CHECKING:  # the engine loads on a worker thread, after the window is up
    from inphotos.core.library import Library

log = logging.getLogger(__name__)

#: Opens the library of a model (by its name); runs on a worker thread.
Opener = Callable[[str], "Library"]

ADD_FOLDER = "add-folder"
REMOVE_FOLDER = "remove-folder"
CLOSE = "close"


class LibrarySession(QObject):
    """The library the window shows, and the services that work on it."""

    opened = pyqtSignal()  # a library is ready (at start, and after a model switch)
    open_failed = pyqtSignal(object)  # the InPhotosError that kept it from opening
    folders_changed = pyqtSignal(str)  # a folder was added or removed: what to tell the user
    folder_refused = pyqtSignal(str)  # adding or removing a folder was refused: why

    def __init__(self, opener: Opener, repairer: Opener | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._opener = opener
        self._repairer = repairer
        #: The model whose library was last asked for (what a repair rebuilds).
        self.requested_model = ""
        self.library: Library | None = None
        self.index = IndexService(None, self)
        self.queries = QueryService(None, parent=self)
        self.model = ModelService(None, self)
        self.thumbs = ThumbnailLoader(None, parent=self)
        self._open_runner = Runner(1, "inphotos-open", self)
        self._open_runner.finished.connect(lambda _k, _g, lib: self.install(lib))
        self._open_runner.failed.connect(self._on_open_failed)
        self.index.write_done.connect(self._on_write_done)
        self.index.write_failed.connect(self._on_write_failed)
        self._closed = False
        #: Why the model asked for could not be used when the library was opened, if so.
        self.model_refusal: ModelError | None = None
        self._attached: list[Any] = []
        self.explore = ExploreService(self.index, self)  # the Explore page and photos' tags
        self.attach(self.explore)

    @property
    def closed(self) -> bool:
        """Whether the session was shut down (answers still queued are to be ignored)."""
        return self._closed

    @property
    def lib(self) -> Library:
        """The open library (only asked for once `opened` was emitted)."""
        assert self.library is not None, "no library is open yet"
        return self.library

    # ------------------------------------------------------------ opening and switching

    def open(self, model: str, fallback: str | None = None) -> None:
        """Open the library of `model` in the background; `opened` or `open_failed` follows.

        When `model` cannot be used at all (a missing model folder, an unknown name) and a
        `fallback` is given (the model in the settings), that library opens instead, browse
        only: `model_refusal` then says why, and its model is not loaded. This is what a bad
        model chosen in Settings leads to as well: the library stays, searching waits.
        """
        opener = self._opener
        self.requested_model = model

        def open_library() -> Library:
            try:
                return opener(model)
            except ModelError as e:
                if not fallback or fallback == model:
                    raise
                log.warning("The model %s cannot be used (%s); opening %s browse-only",
                            model, e, fallback)
                library = opener(fallback)
                self.model_refusal = e
                return library

        self._open_runner.submit("open", 0, open_library)

    @property
    def can_repair(self) -> bool:
        return self._repairer is not None and bool(self.requested_model)

    def repair(self) -> None:
        """Set the damaged index of the requested model aside and rebuild it from the photos
        (its folders are kept); `opened` follows, and indexing starts as at any opening."""
        assert self._repairer is not None, "this session cannot repair"
        repairer, model = self._repairer, self.requested_model
        self._open_runner.submit("repair", 0, lambda: repairer(model))

    def open_library(self, model: str) -> Library:
        """Open another model's library (on a worker thread, e.g. for a model switch)."""
        return self._opener(model)

    def install(self, library: Library) -> None:
        """Make `library` the one shown; the previous one is closed on the writer thread."""
        if self._closed:
            library.close()
            return
        old, self.library = self.library, library
        self.index.set_library(library)
        self.queries.set_library(library)
        self.model.set_library(library)
        self.thumbs.set_cache(library.thumbs)
        self.explore.set_library(library)
        if old is not None:
            self.index.write(WriteJob(CLOSE, old.close, reindex=False))
        self.opened.emit()

    def _on_open_failed(self, _kind: str, _generation: int, error: object) -> None:
        if isinstance(error, InPhotosError):
            self.open_failed.emit(error)

    # ------------------------------------------------------------ folders

    def folders(self) -> list[FolderInfo]:
        return self.library.folders() if self.library is not None else []

    def add_folder(self, path: str) -> None:
        """Add a folder on the writer thread, then index it."""
        lib = self.lib
        self.index.write(WriteJob(ADD_FOLDER, lambda: lib.add_folder(path), subject=path))

    def remove_folder(self, path: str) -> None:
        """Forget a folder and its photos (never a file on disk) on the writer thread."""
        lib = self.lib
        self.index.write(WriteJob(REMOVE_FOLDER, lambda: lib.remove_folder(path), subject=path))

    def _on_write_done(self, job: WriteJob, result: object) -> None:
        if job.kind == ADD_FOLDER:
            self.folders_changed.emit(f"Added {job.subject}; indexing its photos…")
        elif job.kind == REMOVE_FOLDER:
            self.folders_changed.emit(
                f"Removed from the library ({result} photos forgotten; no file was touched)")

    def _on_write_failed(self, job: WriteJob, error: object) -> None:
        if isinstance(error, UserError):
            self.folder_refused.emit(str(error))
        elif isinstance(error, InPhotosError):
            what = "Adding the folder" if job.kind == ADD_FOLDER else "Removing the folder"
            self.folder_refused.emit(f"{what} failed: {error}")

    # ------------------------------------------------------------ shutdown

    def attach(self, service: Any) -> None:
        """Stop `service` (anything with `shutdown(timeout_ms)`) first at shutdown, before the
        library closes: e.g. the answers to command-line queries (`workers.remote`)."""
        self._attached.append(service)

    def shutdown(self, wait_ms: int = 300) -> bool:
        """Stop every service and close the library (on quit); False if work was still running.

        Quitting never waits for work in flight: everything is cancelled, given `wait_ms` to
        stop, and otherwise abandoned (the app then ends its process, as a kill would; every
        batch is its own transaction, so nothing written is lost or half-written). A library
        the writer is still using is closed on the writer thread once its job returns, never
        underneath it.
        """
        if self._closed:  # closed twice (a signal and Ctrl+Q): once is enough
            return True
        self._closed = True
        for extra in self._attached:
            extra.blockSignals(True)
            extra.shutdown(min(wait_ms, 200))
        services = (self.index, self.queries, self.thumbs, self.model)
        # Answers already on their way must not reach a window that is closing.
        for service in services:
            service.blockSignals(True)
        self.model.cancel_retry()
        self._open_runner.clear()
        stopped = self.index.shutdown(wait_ms)
        self.queries.shutdown(min(wait_ms, 200))  # a read in flight ends before the close
        self.thumbs.shutdown(0)
        if self.library is not None:
            if stopped:
                self.library.close()
            else:
                self.index.after_current(self.library.close)
        return stopped
