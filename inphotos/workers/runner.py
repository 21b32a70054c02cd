"""A thread pool whose jobs report back to the GUI thread through queued signals.

Each job carries a kind and a generation number; the receiver drops results of a generation it
no longer wants (calibre and TagStudio do the same for their grids).

A job that fails with an `InPhotosError` is an expected failure: the receiver says it to the
user. Anything else is a bug: it is logged with its traceback and handed to `sys.excepthook`
on the GUI thread (the app's crash dialog), besides reaching the receiver so it can tidy up.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QObject, QRunnable, QThreadPool, pyqtSignal

from inphotos.errors import InPhotosError

log = logging.getLogger(__name__)

_running_lock = threading.Lock()
_running: Counter[str] = Counter()  # runner name -> its jobs running now


def running_jobs() -> dict[str, int]:
    """Jobs running right now on any Runner, by runner name (tests fail one left running)."""
    with _running_lock:
        return dict(+_running)


class Runner(QObject):
    """Runs callables on its own pool; `finished`/`failed` arrive on the GUI thread."""

    finished = pyqtSignal(str, int, object)  # kind, generation, result
    failed = pyqtSignal(str, int, object)  # kind, generation, exception
    _bug = pyqtSignal(object)  # an unexpected exception, to re-raise on the GUI thread

    def __init__(self, threads: int, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.pool.setObjectName(name)
        self._bug.connect(_report_bug)

    def submit(self, kind: str, generation: int, fn: Callable[[], Any]) -> None:
        self.pool.start(_Job(self, kind, generation, fn))

    def clear(self) -> None:
        """Drop jobs that have not started yet."""
        self.pool.clear()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Drop queued jobs and wait for running ones; False if they did not finish in time."""
        self.pool.clear()
        return self.pool.waitForDone(timeout_ms)


class _Job(QRunnable):
    def __init__(self, runner: Runner, kind: str, generation: int, fn: Callable[[], Any]) -> None:
        super().__init__()
        self._runner = runner
        self._name = runner.name
        self._kind = kind
        self._generation = generation
        self._fn = fn

    def run(self) -> None:
        name = self._name
        with _running_lock:
            _running[name] += 1
        try:
            result = self._fn()
        except InPhotosError as e:  # expected: the receiver tells the user
            log.info("%s job %s failed: %s", name, self._kind, e)
            self._report("failed", e)
        except Exception as e:
            log.error("%s job %s failed", name, self._kind, exc_info=True)
            self._report("failed", e, bug=True)
        else:
            self._report("finished", result)
        finally:
            with _running_lock:
                _running[name] -= 1

    def _report(self, outcome: str, value: object, bug: bool = False) -> None:
        """Send the outcome, unless the receiver is gone (the window closed while this ran):
        then it is dropped, as the answer to a request nobody waits for any more."""
        try:
            signal = self._runner.finished if outcome == "finished" else self._runner.failed
            signal.emit(self._kind, self._generation, value)
            if bug:
                self._runner._bug.emit(value)
        except RuntimeError:  # "wrapped C/C++ object ... has been deleted"
            log.debug("%s job %s ended after its receiver was deleted", self._name, self._kind)


def _report_bug(error: BaseException) -> None:
    """On the GUI thread: a bug in a background job reaches the crash dialog."""
    sys.excepthook(type(error), error, error.__traceback__)
