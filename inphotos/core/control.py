"""Pause, resume and cancel for long-running work, checked between batches."""

from __future__ import annotations

import threading


class Cancelled(Exception):  # noqa: N818 - reads better at call sites
    """Raised inside work that was cancelled."""


class Control:
    """Shared between the thread doing the work and the one asking it to pause or stop."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def cancel(self) -> None:
        self._cancel.set()
        self._running.set()  # a paused worker must wake up to notice

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def checkpoint(self) -> None:
        """Block while paused; raise `Cancelled` if cancelled."""
        self._running.wait()
        if self._cancel.is_set():
            raise Cancelled()
