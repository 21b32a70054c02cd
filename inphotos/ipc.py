"""Asking the running app: its local socket, the messages on it, and the client the CLI uses.

The app listens on a local socket named after its library folder (`ui.single_instance` owns
the server; this module holds what both sides share and needs no Qt). Two kinds of message:

- `show`: a later launch asks the window to come to the front (no answer);
- one JSON line, `{"op": "search" | "similar", ...}`: a query from `inphotos search|similar`
  while the app holds the library. The app answers with one JSON line, `{"ok": true, "hits":
  [...]}` or `{"ok": false, "error": "...", "local": bool}` (`local`: this app cannot answer,
  e.g. it has another model open; the command may open the library itself).

A local socket is a file only this user can open (Unix) or a named pipe; never the network.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import stat
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the client does not need numpy, which records imports
    from inphotos.records import Hit, SearchResult

log = logging.getLogger(__name__)

SHOW = b"show\n"
#: A query waits at most this long (the app may still be loading its model).
ANSWER_TIMEOUT_S = 120.0


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


def socket_path(name: str) -> str | None:
    """Where Qt's QLocalServer puts the socket called `name` (None where it is not a file)."""
    if sys.platform.startswith("win"):
        return None
    if os.path.isabs(name):  # a full path in a private folder (server_name on Unix)
        return name
    # QDir::tempPath(): $TMPDIR, else /tmp (what QLocalServer prefixes to a relative name).
    tmp = os.environ.get("TMPDIR") or "/tmp"
    return os.path.join(os.path.normpath(tmp), name)


def hit_row(hit: Hit) -> dict[str, Any]:
    """A hit as the CLI's `--json` prints it (and as the app sends it)."""
    p = hit.photo
    return {"path": p.path, "score": round(hit.score, 6),
            "strength": round(hit.strength, 3) if hit.strength >= 0 else None, "match": hit.match,
            "id": p.id, "width": p.width, "height": p.height, "taken_ms": p.taken_ms,
            "taken_source": p.taken_source, "companions": list(p.companions),
            # A video: its length, and where its best matching frame is (ms).
            **({"duration_ms": p.duration_ms, "frame_ms": max(0, hit.frame_ms)} if p.is_video else {})}


def result_rows(result: SearchResult) -> dict[str, Any]:
    """A search's result as plain data: what the app sends and the CLI prints."""
    return {"hits": [hit_row(h) for h in result.hits], "matched": result.matched,
            "weaker": result.weaker, "cutoff": result.cutoff,
            "more": result.more, "weaker_more": result.weaker_more,
            "summary": result.summary() if result.cutoff is not None else ""}


def encode(message: dict[str, Any]) -> bytes:
    """One message as one line; a file name that is not UTF-8 survives (`\\udcXX` escapes)."""
    return json.dumps(message, ensure_ascii=True).encode("ascii") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """The message of one line.

    Raises:
        ValueError: not a JSON object.
    """
    message = json.loads(line.decode("utf-8"))
    if not isinstance(message, dict):
        raise ValueError("not a JSON object")
    return message


def ask(
    data_dir: Path, request: dict[str, Any], timeout_s: float = ANSWER_TIMEOUT_S
) -> dict[str, Any] | None:
    """Send `request` to the app running on the library in `data_dir`; its answer, or None when
    no app listens there (or it went away without answering)."""
    path = socket_path(server_name(data_dir))
    if path is None or not os.path.exists(path):
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(2.0)
            sock.connect(path)  # refused at once when the socket file is a crash's leftover
            sock.sendall(encode(request))
            sock.settimeout(timeout_s)
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(1 << 16)
                if not chunk:
                    break
                data += chunk
    except OSError as e:
        log.info("No answer from the app at %s: %s", path, e)
        return None
    if not data.strip():
        return None
    try:
        return decode(data)
    except ValueError:
        log.warning("The app answered something unreadable: %r", data[:200])
        return None
