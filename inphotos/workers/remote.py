"""Queries from the command line, answered by the running app (see `inphotos.ipc`).

While the app is open it holds the library, so `inphotos search|similar` asks it instead of
opening the database. The query runs on its own one-thread pool: the GUI thread never waits
for it, and a search typed in the window (which drops the window's own queued requests)
never drops a command's. The answer goes back on the GUI thread.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QObject

from inphotos.errors import InPhotosError
from inphotos.ipc import result_rows
from inphotos.ml.models import parse_spec
from inphotos.records import SearchRequest, SearchResult
from inphotos.workers.runner import Runner
from inphotos.workers.session import LibrarySession

log = logging.getLogger(__name__)

Reply = Callable[[dict[str, Any]], None]


class RemoteQueries(QObject):
    """Answers `search` and `similar` requests from the library the window shows."""

    def __init__(self, session: LibrarySession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._runner = Runner(1, "inphotos-remote", self)
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(self._on_failed)
        self._replies: dict[int, Reply] = {}
        self._next = 0

    def handle(self, request: dict[str, Any], reply: Reply) -> None:
        """Start answering `request` (on the GUI thread); `reply` is called once, later."""
        lib = self._session.library
        if lib is None:
            reply({"ok": False, "local": False,
                   "error": "The app is still opening its library; try again in a moment."})
            return
        model = request.get("model")
        if model:
            try:
                other = parse_spec(str(model)).key != lib.spec.key
            except InPhotosError:
                other = True
            if other:  # that model's library is not the one open: the command opens it itself
                reply({"ok": False, "local": True, "error": f"The app has {lib.spec.text} open."})
                return
        try:
            job = _job(lib, request)
        except (KeyError, TypeError, ValueError) as e:
            reply({"ok": False, "local": False, "error": f"Bad request: {e}"})
            return
        self._next += 1
        self._replies[self._next] = reply
        log.info("Command-line query %d: %s", self._next, request.get("op"))
        self._runner.submit(str(request.get("op")), self._next, job)

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        return self._runner.shutdown(timeout_ms)

    def _on_finished(self, _kind: str, ticket: int, result: object) -> None:
        reply = self._replies.pop(ticket, None)
        log.info("Command-line query %d answered", ticket)
        if reply is not None:
            reply({"ok": True, "result": result_rows(result)})  # type: ignore[arg-type]

    def _on_failed(self, _kind: str, ticket: int, error: object) -> None:
        reply = self._replies.pop(ticket, None)
        if reply is not None:
            expected = isinstance(error, InPhotosError)
            reply({"ok": False, "local": False,
                   "error": str(error) if expected else f"The app failed to answer: {error!r}"})


def _job(lib: Any, request: dict[str, Any]) -> Callable[[], SearchResult]:
    """The command's search, as the command itself would run it (cut-off, filters, order)."""
    if request["op"] != "search":
        raise ValueError(f"unknown op {request['op']!r}")
    k, offset = int(request.get("k", 50)), int(request.get("offset", 0))
    search = SearchRequest.from_json(dict(request["request"]))
    image_path = str(request.get("image_path") or "")
    if image_path:
        search = dataclasses.replace(search, image_path=os.path.abspath(image_path))
    return lambda: lib.search(search, k=k, offset=offset)
