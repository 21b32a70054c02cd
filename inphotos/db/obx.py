"""Workarounds for objectbox-python, kept apart from the store's own logic.

- `WriteTx`: a write transaction that survives a failed commit.
- Generated (un)marshalling code, switched on where the installed ObjectBox has it.
- `encode_path`/`decode_path`: ObjectBox strings must be UTF-8, file names need not be.
"""

from __future__ import annotations

import base64
import logging
import os

import objectbox.c as obx_c
from objectbox import Store

log = logging.getLogger(__name__)

_RAW_PREFIX = "raw:"

try:  # Generated (un)marshalling code: about 4x faster reads of many photos (rescan, grid).
    import objectbox.experimental as _obx_experimental

    _obx_experimental.enable_flatbuffers_codegen()
except Exception:  # pragma: no cover - older objectbox: the generic path works, only slower
    log.info("ObjectBox code generation unavailable; using the generic marshaller")


class WriteTx:
    """A write transaction that survives a failed commit.

    objectbox-python's own `write_tx()` calls `obx_txn_close()` after a failed
    `obx_txn_success()`, but the C API frees the transaction in both cases ("do not even call
    obx_txn_close()"): on a full disk that use-after-free spun forever at 100% CPU.
    """

    __slots__ = ("_c_store", "_tx")

    def __init__(self, store: Store) -> None:
        self._c_store = store._c_store

    def __enter__(self) -> None:
        self._tx = obx_c.obx_txn_write(self._c_store)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            obx_c.obx_txn_close(self._tx)  # abort
        else:
            obx_c.obx_txn_success(self._tx)  # commits and frees, also when the commit fails


def encode_path(path: str) -> str:
    """Paths are stored as UTF-8; undecodable bytes get a reversible escape."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        raw = os.fsencode(path)
        return _RAW_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii")


def encode_paths(paths: tuple[str, ...] | list[str]) -> str:
    """Several paths in one string, one per line (a name with a line break in it is escaped)."""
    out = []
    for p in paths:
        if "\n" in p or p.startswith(_RAW_PREFIX):
            out.append(_RAW_PREFIX + base64.urlsafe_b64encode(os.fsencode(p)).decode("ascii"))
        else:
            out.append(encode_path(p))
    return "\n".join(out)


def decode_paths(stored: str | None) -> tuple[str, ...]:
    return tuple(decode_path(p) for p in (stored or "").split("\n") if p)


def decode_path(stored: str) -> str:
    if stored.startswith(_RAW_PREFIX):
        return os.fsdecode(base64.urlsafe_b64decode(stored[len(_RAW_PREFIX) :]))
    return stored
