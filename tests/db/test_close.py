"""Closing the store while another thread is inside a call: never under it, never a long wait."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from inphotos.db.lock import LibraryInUseError
from inphotos.db.store import PhotoStore, StoreError, WriteBatch
from inphotos.records import PhotoRecord

DIMS = 8


def test_close_refuses_new_calls_at_once_and_the_last_running_call_closes(tmp_path: Path) -> None:
    db = tmp_path / "db"
    store = PhotoStore(db, DIMS, "m")
    store.write(WriteBatch(photos=[PhotoRecord(f"/a/{i}.jpg", "/a", 1, 1, embedding=np.ones(DIMS))
                                   for i in range(3)]))
    inside, go_on = threading.Event(), threading.Event()
    real_to_record = store._to_record

    def slow_to_record(obj, with_embedding):  # type: ignore[no-untyped-def]
        inside.set()
        assert go_on.wait(30)
        return real_to_record(obj, with_embedding)

    store._to_record = slow_to_record  # type: ignore[method-assign]
    result: list[object] = []
    reader = threading.Thread(target=lambda: result.append(store.all_photos()))
    reader.start()
    try:
        assert inside.wait(30)
        t0 = time.monotonic()
        store.close(wait_s=0.2)
        assert time.monotonic() - t0 < 10  # returned after the short wait, not after the call
        with pytest.raises(StoreError, match="closed"):
            store.count()
        assert store._store is not None  # the database stays open under the running call
        with pytest.raises(LibraryInUseError):  # ...and so does the library's lock
            PhotoStore(db, DIMS, "m")
    finally:
        go_on.set()
        reader.join(30)
    assert len(result[0]) == 3  # type: ignore[arg-type]  # the running call finished normally
    assert store._store is None  # the last call out closed it
    PhotoStore(db, DIMS, "m").close()  # and released the library


def test_close_with_no_call_running_closes_at_once(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "db", DIMS, "m")
    store.close()
    assert store._store is None
    store.close()  # twice is harmless
    with pytest.raises(StoreError, match="closed"):
        store.count()
