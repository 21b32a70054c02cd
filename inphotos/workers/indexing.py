"""The index worker: the one thread that writes to the database.

Runs `Library.index` on a dedicated 1-thread pool; progress is throttled to ~10 updates a
second so the GUI never drowns in signals. Pause, resume and cancel act between batches.
A rescan asked for while one runs is remembered and runs right after. Every other change to
the database (adding or removing a folder, closing a library after a model switch) runs on
the same thread as a `WriteJob`, after the run in progress stops: one writer, in order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, pyqtSignal

from inphotos.core.control import Control
from inphotos.errors import ModelError
from inphotos.records import IndexProgress, IndexReport
from inphotos.workers.runner import Runner

if TYPE_CHECKING:  # the engine loads on a worker thread, after the window is up
    from inphotos.core.library import Library

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriteJob:
    """A database change for the writer thread; `reindex`: rescan once it is done."""

    kind: str  # what it is, for whoever handles `write_done` ("add-folder", "remove-folder", ...)
    fn: Callable[[], object]
    reindex: bool = True
    subject: str = ""  # what it acts on (a folder path), for messages


class IndexService(QObject):
    """Owns indexing runs and every other write for one library at a time."""

    started = pyqtSignal()
    progress = pyqtSignal(object)  # IndexProgress
    finished = pyqtSignal(object)  # IndexReport
    failed = pyqtSignal(object)  # the exception (an InPhotosError; a bug goes to the crash dialog)
    paused_changed = pyqtSignal(bool)
    write_done = pyqtSignal(object, object)  # WriteJob, result
    write_failed = pyqtSignal(object, object)  # WriteJob, exception

    def __init__(self, library: Library | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._runner = Runner(1, "inphotos-index", self)
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(self._on_failed)
        self._control: Control | None = None
        self._again = False
        self._generation = 0
        self._writes: dict[int, WriteJob] = {}

    @property
    def running(self) -> bool:
        return self._control is not None

    @property
    def paused(self) -> bool:
        return self._control is not None and self._control.paused

    def set_library(self, library: Library) -> None:
        """Index `library` from now on; a run of the previous one is cancelled and not reported."""
        self.cancel()
        self.library = library
        self._generation += 1

    def start(self) -> None:
        """Bring the index up to date (now, or right after the current run)."""
        if self.library is None:
            return
        if self._control is not None:
            self._again = True
            return
        control = Control()
        self._control = control
        last = [0.0]
        phase = [""]

        def report(p: IndexProgress) -> None:
            now = time.monotonic()
            # A new phase always gets through: it says what the run is doing now.
            if p.phase != phase[0] or p.phase == "done" or now - last[0] >= 0.1:
                last[0], phase[0] = now, p.phase
                self.progress.emit(p)

        library = self.library
        self._runner.submit("index", self._generation, lambda: library.index(report, control))
        self.started.emit()

    def write(self, job: WriteJob) -> None:
        """Run a database change on the writer thread, after the current run stops."""
        if self._control is not None:
            self._control.cancel()
        if job.reindex:
            self._again = True
        self._generation += 1
        self._writes[self._generation] = job
        self._runner.submit("write", self._generation, job.fn)

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

    def after_current(self, fn: Callable[[], object]) -> None:
        """Run `fn` on the writer thread once the job in flight returns (e.g. close the store)."""
        self._runner.submit("after", -1, fn)

    def _on_finished(self, kind: str, generation: int, result: object) -> None:
        if kind == "after":
            return
        if kind == "write":
            self.write_done.emit(self._writes.pop(generation), result)
        else:
            current = self._run_is_current(generation)
            assert isinstance(result, IndexReport)
            if current:
                self.finished.emit(result)
        self._maybe_again()

    def _on_failed(self, kind: str, generation: int, error: object) -> None:
        if kind == "after":
            return
        if kind == "write":
            self.write_failed.emit(self._writes.pop(generation), error)
        elif self._run_is_current(generation):
            self.failed.emit(error)
        self._maybe_again()

    def _run_is_current(self, generation: int) -> bool:
        """An index run ended: whether it belongs to the current library and request."""
        self._control = None
        return generation == self._generation

    def _maybe_again(self) -> None:
        if self._again and self._control is None:
            self._again = False
            self.start()


def is_model_problem(error: object) -> bool:
    """Whether indexing stopped because the model could not load (it resumes once one does)."""
    return isinstance(error, ModelError)
