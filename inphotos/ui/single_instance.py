"""One app per library: a second launch brings the running window to the front.

The app lock (`db.lock`) decides who runs; this is only the doorbell. It is a local socket
(a Unix socket or a Windows pipe), never a network connection.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

_MESSAGE = b"show\n"


def server_name(data_dir: Path) -> str:
    """A name per library folder (and so per user), short enough for a socket path."""
    digest = hashlib.sha1(str(data_dir.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    return f"inphotos-{digest[:16]}"


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
        if not self._server.listen(name):
            log.warning("Single-instance doorbell unavailable: %s", self._server.errorString())

    def _on_connection(self) -> None:
        while (conn := self._server.nextPendingConnection()) is not None:
            conn.readyRead.connect(lambda c=conn: self._on_ready(c))
            conn.disconnected.connect(conn.deleteLater)

    def _on_ready(self, conn: QLocalSocket) -> None:
        if bytes(conn.readAll().data()).startswith(_MESSAGE.strip()):
            self.show_requested.emit()
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
