"""One app per library: a second launch brings the running window to the front.

The app lock (`db.lock`) decides who runs; this is only the doorbell. It is a local socket
(a Unix socket or a Windows pipe), never a network connection.

On Unix the socket lives in a folder only its user can enter (the data folder, else a 0700
folder of the user's own), never under a bare name in the shared /tmp, where another user
could create the name first and answer (or listen to) the doorbell.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
import sys
import tempfile
from pathlib import Path

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

_MESSAGE = b"show\n"


#: A Unix socket path must fit in sockaddr_un (108 bytes on Linux, 104 on macOS).
MAX_SOCKET_PATH = 100


def server_name(data_dir: Path) -> str:
    """A name per library folder (and so per user), in a folder only this user can enter."""
    digest = hashlib.sha1(str(data_dir.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    name = f"inphotos-{digest[:16]}"
    if sys.platform == "win32":  # pragma: no cover - a named pipe, private to the session
        return name
    candidate = data_dir / "doorbell"
    if len(os.fsencode(str(candidate))) <= MAX_SOCKET_PATH:
        return str(candidate)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    for base in ([Path(runtime)] if runtime else []) + [
        Path(tempfile.gettempdir()) / f"inphotos-{os.getuid()}"
    ]:
        if _private_to_me(base) and len(os.fsencode(str(base / name))) <= MAX_SOCKET_PATH:
            return str(base / name)
    return str(candidate)  # too long to listen on: the doorbell is off, never hijackable


def _private_to_me(folder: Path) -> bool:
    """`folder` exists (made if missing), is a real folder of this user's, closed to others."""
    with contextlib.suppress(FileExistsError, OSError):
        folder.mkdir(mode=0o700)
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


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
