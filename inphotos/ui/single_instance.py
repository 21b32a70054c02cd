"""One app per library: a second launch brings the running window to the front, and a
command-line query is answered by the running app.

The app lock (`db.lock`) decides who runs; this is only the doorbell. It is a local socket
(a Unix socket or a Windows pipe), never a network connection.

On Unix the socket lives in a folder only its user can enter (the data folder, else a 0700
folder of the user's own), never under a bare name in the shared /tmp, where another user
could create the name first and answer (or listen to) the doorbell. The messages are defined in
`inphotos.ipc`; a query is handed to the handler set with `set_query_handler`, which answers
later (from a worker thread's result) without the GUI thread ever waiting.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from PyQt6 import sip
from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtNetwork import QLocalServer, QLocalSocket

from inphotos.ipc import SHOW, decode, encode, server_name

__all__ = ["InstanceServer", "QueryHandler", "ring", "server_name"]

log = logging.getLogger(__name__)

_MESSAGE = SHOW
#: Receives a query and the function that sends its answer (call it on the GUI thread).
QueryHandler = Callable[[dict[str, Any], Callable[[dict[str, Any]], None]], None]
_MAX_REQUEST = 1 << 20


class InstanceServer(QObject):
    """Listens for later launches; emits `show_requested` when one rings."""

    show_requested = pyqtSignal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Only the lock holder gets here, so a socket file left by a crash is stale.
        QLocalServer.removeServer(name)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._handler: QueryHandler | None = None
        self._buffers: dict[int, bytes] = {}
        self._answering: set[int] = set()  # connections whose query has been read
        if not self._server.listen(name):
            log.warning("Single-instance doorbell unavailable: %s", self._server.errorString())

    def set_query_handler(self, handler: QueryHandler) -> None:
        """Answer queries from the command line with `handler` (none: they are refused)."""
        self._handler = handler

    def _on_connection(self) -> None:
        while (conn := self._server.nextPendingConnection()) is not None:
            conn.readyRead.connect(lambda c=conn: self._on_ready(c))
            conn.disconnected.connect(lambda c=conn: self._buffers.pop(id(c), None))
            conn.disconnected.connect(conn.deleteLater)
            # readyRead is sometimes never emitted for a message that arrives while the app is
            # starting (seen under load): look for it ourselves too, until it is read.
            self._poll(conn, tries=200)

    def _poll(self, conn: QLocalSocket, tries: int) -> None:
        if sip.isdeleted(conn) or conn.state() != QLocalSocket.LocalSocketState.ConnectedState:
            return
        if id(conn) in self._answering:
            return
        if conn.bytesAvailable() or conn.waitForReadyRead(0):
            self._on_ready(conn)
        if tries > 0:
            QTimer.singleShot(50, functools.partial(self._poll, conn, tries - 1))

    def _on_ready(self, conn: QLocalSocket) -> None:
        if sip.isdeleted(conn) or id(conn) in self._answering or not conn.bytesAvailable():
            return
        data = self._buffers.pop(id(conn), b"") + bytes(conn.readAll().data())
        if not data.startswith(b"{"):
            if data.startswith(_MESSAGE.strip()):
                self.show_requested.emit()
            conn.disconnectFromServer()
            return
        if not data.endswith(b"\n"):  # a query line that has not all arrived yet
            if len(data) < _MAX_REQUEST:
                self._buffers[id(conn)] = data
            else:
                conn.disconnectFromServer()
            return
        try:
            request = decode(data)
        except ValueError:
            self._reply(conn, {"ok": False, "error": "The request could not be read.", "local": False})
            return
        self._answering.add(id(conn))
        conn.disconnected.connect(lambda c=conn: self._answering.discard(id(c)))
        handler = self._handler
        if handler is None:
            self._reply(conn, {"ok": False, "error": "The app does not answer queries.", "local": True})
            return
        handler(request, functools.partial(self._reply, conn))

    def _reply(self, conn: QLocalSocket, answer: dict[str, Any]) -> None:
        if sip.isdeleted(conn) or conn.state() != QLocalSocket.LocalSocketState.ConnectedState:
            return  # the command gave up (Ctrl+C) before the answer came
        conn.write(encode(answer))
        conn.flush()
        conn.disconnectFromServer()

    def close(self) -> None:
        self._server.close()


def ring(name: str, timeout_ms: int = 1500) -> bool:
    """Ask the running app to show its window; True when it was reached."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(timeout_ms):
        return False
    sock.write(_MESSAGE)
    ok = sock.waitForBytesWritten(timeout_ms)
    sock.disconnectFromServer()
    return ok
