"""The index worker: the one thread that writes to the database.

Runs `Library.index` on a dedicated 1-thread pool; progress is throttled to ~10 updates a
second so the GUI never drowns in signals. Pause, resume and cancel act between batches.
A rescan asked for while one runs is remembered and runs right after.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PyQt6.QtCore import QObject, pyqtSignal

from inphotos.core.control import Control
from inphotos.core.library import Library
from inphotos.ml.models import ModelError
from inphotos.records import IndexProgress, IndexReport
from inphotos.workers.runner import Runner

log = logging.getLogger(__name__)


class IndexService(QObject):
    """Owns indexing runs for one library."""

    started = pyqtSignal()
    progress = pyqtSignal(object)  # IndexProgress
    finished = pyqtSignal(object)  # IndexReport
    failed = pyqtSignal(str, bool)  # message, whether it was the model that could not load
    paused_changed = pyqtSignal(bool)
    write_done = pyqtSignal(str, object)  # label, result
    write_failed = pyqtSignal(str, str)  # label, message

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._runner = Runner(1, "inphotos-index", self)
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(self._on_failed)
        self._control: Control | None = None
        self._again = False
        self._generation = 0

    @property
    def running(self) -> bool:
        return self._control is not None

    @property
    def paused(self) -> bool:
        return self._control is not None and self._control.paused

    def start(self) -> None:
        """Bring the index up to date (now, or right after the current run)."""
        if self._control is not None:
            self._again = True
            return
        self._generation += 1
        control = Control()
        self._control = control
        last = [0.0]

        def report(p: IndexProgress) -> None:
            now = time.monotonic()
            if p.phase in ("done",) or now - last[0] >= 0.1:
                last[0] = now
                self.progress.emit(p)

        library = self.library
        self._runner.submit("index", self._generation, lambda: library.index(report, control))
        self.started.emit()

    def run_write(self, label: str, fn: Callable[[], object]) -> None:
        """Run a database change on the writer thread, after the current run stops.

        Used for removing a folder: it cancels indexing, changes the store, then re-indexes.
        """
        if self._control is not None:
            self._control.cancel()
        self._again = True
        self._generation += 1
        self._runner.submit("write:" + label, self._generation, fn)

    def pause(self) -> None:
        if self._control is not None and not self._control.paused:
            self._control.pause()
            self.paused_changed.emit(True)

    def resume(self) -> None:
        if self._control is not None and self._control.paused:
            self._control.resume()
            self.paused_changed.emit(False)

    def cancel(self) -> None:
        self._again = False
        if self._control is not None:
            self._control.cancel()

    def shutdown(self, timeout_ms: int = 8000) -> bool:
        """Cancel and wait (on quit): returns whether the worker stopped in time."""
        self.cancel()
        return self._runner.shutdown(timeout_ms)

    def _on_finished(self, kind: str, generation: int, result: object) -> None:
        if kind.startswith("write:"):
            self.write_done.emit(kind[6:], result)
            self._maybe_again()
            return
        self._control = None
        assert isinstance(result, IndexReport)
        self.finished.emit(result)
        self._maybe_again()

    def _on_failed(self, kind: str, generation: int, error: object) -> None:
        if kind.startswith("write:"):
            log.error("%s failed: %s", kind[6:], error)
            self.write_failed.emit(kind[6:], str(error))
            self._maybe_again()
            return
        self._control = None
        log.error("Indexing failed: %s", error, exc_info=error if isinstance(error, BaseException) else None)
        self.failed.emit(str(error), isinstance(error, ModelError))
        self._maybe_again()

    def _maybe_again(self) -> None:
        if self._again and self._control is None:
            self._again = False
            self.start()
