"""The index's record file: a damaged one is reported and kept, concurrent writers never tear it."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from inphotos.db.store import META_FILE, PhotoStore, StoreError, WriteBatch
from inphotos.records import PhotoRecord

DIMS = 8


@pytest.mark.parametrize(
    "damage", [b'{ "format": 2, "dims"', b"[1, 2, 3]", b"\x00\x00\x00", b"{}"],
    ids=["cut-short", "not-an-object", "zeros", "empty-object"],
)
def test_a_damaged_record_file_is_an_error_and_is_left_untouched(tmp_path: Path, damage: bytes) -> None:
    db = tmp_path / "db"
    with PhotoStore(db, DIMS, "m") as s:
        s.write(WriteBatch(photos=[PhotoRecord("/a/1.jpg", "/a", 1, 1, embedding=np.ones(DIMS))]))
    (db / META_FILE).write_bytes(damage)
    with pytest.raises(StoreError, match=r"record file .* is damaged"):
        PhotoStore(db, DIMS, "m")
    assert (db / META_FILE).read_bytes() == damage  # not rewritten as a new database


def test_a_missing_record_file_beside_photos_is_an_error_not_a_new_database(tmp_path: Path) -> None:
    db = tmp_path / "db"
    with PhotoStore(db, DIMS, "m") as s:
        s.write(WriteBatch(photos=[PhotoRecord("/a/1.jpg", "/a", 1, 1, embedding=np.ones(DIMS))]))
    (db / META_FILE).unlink()
    with pytest.raises(StoreError, match="missing"):
        PhotoStore(db, DIMS, "m")
    assert not (db / META_FILE).exists()


def test_a_new_database_folder_gets_a_record_file(tmp_path: Path) -> None:
    with PhotoStore(tmp_path / "db", DIMS, "the-model", weights="w1"):
        pass
    meta = json.loads((tmp_path / "db" / META_FILE).read_text())
    assert (meta["model"], meta["dims"], meta["weights"]) == ("the-model", DIMS, "w1")


def test_concurrent_set_meta_calls_never_tear_the_file_and_keep_every_value(tmp_path: Path) -> None:
    db = tmp_path / "db"
    stop = threading.Event()
    torn: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                text = (db / META_FILE).read_text()
            except FileNotFoundError:  # never: the file is replaced, not removed
                torn.append("missing")
                continue
            try:
                json.loads(text)
            except ValueError:
                torn.append(text)

    with PhotoStore(db, DIMS, "m") as s:
        watch = threading.Thread(target=reader)
        watch.start()
        try:
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda i: s.set_meta(**{f"key{i}": i}), range(200)))
        finally:
            stop.set()
            watch.join()
    assert torn == []
    meta = json.loads((db / META_FILE).read_text())
    assert all(meta[f"key{i}"] == i for i in range(200))
    assert sorted(p.name for p in db.iterdir() if p.name.startswith(".tmp-")) == []
