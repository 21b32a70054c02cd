"""The ObjectBox photo store, real and on disk: what is written is what is read back."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from inphotos.db.store import META_FILE, PhotoStore, StoreError, WriteBatch, decode_path, encode_path
from inphotos.records import PhotoRecord, SkippedRecord

DIMS = 8


def _vec(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=DIMS).astype(np.float32)
    return v / np.linalg.norm(v)


def _photo(path: str, seed: int = 0, folder: str = "/lib") -> PhotoRecord:
    return PhotoRecord(path, folder, size=100 + seed, mtime_ns=1_000 + seed, fingerprint=f"fp{seed}",
                       width=40, height=30, taken_ms=seed, embedding=_vec(seed))


@pytest.fixture
def store(tmp_path: Path):
    s = PhotoStore(tmp_path / "db", DIMS, "test-model")
    yield s
    s.close()


def test_written_photos_read_back_identically_after_reopening(tmp_path: Path) -> None:
    records = [_photo(f"/lib/{i}.jpg", i) for i in range(5)]
    with PhotoStore(tmp_path / "db", DIMS, "m") as s:
        ids = s.write(WriteBatch(photos=records))
        assert len(set(ids)) == 5
        assert [r.id for r in records] == ids

    with PhotoStore(tmp_path / "db", DIMS, "m") as s:
        assert s.count() == 5
        for r in records:
            got = s.photo_by_path(r.path, with_embedding=True)
            assert got is not None
            assert (got.id, got.folder, got.size, got.mtime_ns, got.fingerprint) == (
                r.id, r.folder, r.size, r.mtime_ns, r.fingerprint)
            assert (got.width, got.height, got.taken_ms) == (40, 30, r.taken_ms)
            assert got.indexed_ms > 0
            np.testing.assert_array_equal(got.embedding, r.embedding)
        assert s.photo_by_path("/lib/none.jpg") is None
        np.testing.assert_array_equal(s.embeddings([ids[2], 999_999])[0], records[2].embedding)
        assert not s.embeddings([999_999]).any()  # a missing id reads as zeros


def test_putting_a_photo_with_its_id_updates_it_in_place(store: PhotoStore) -> None:
    rec = _photo("/lib/a.jpg", 1)
    store.write(WriteBatch(photos=[rec]))
    rec.embedding, rec.size = _vec(2), 555
    store.write(WriteBatch(photos=[rec]))
    assert store.count() == 1
    got = store.get_photo(rec.id, with_embedding=True)
    assert got.size == 555
    np.testing.assert_array_equal(got.embedding, _vec(2))


def test_a_batch_is_all_or_nothing(store: PhotoStore) -> None:
    store.write(WriteBatch(photos=[_photo("/lib/a.jpg", 1)]))
    bad = _photo("/lib/c.jpg", 3)
    bad.embedding = np.ones(DIMS + 1, np.float32)
    with pytest.raises(ValueError, match="must have 8 values"):
        store.write(WriteBatch(photos=[_photo("/lib/b.jpg", 2), bad]))
    assert [r.path for r in store.all_photos()] == ["/lib/a.jpg"]


def test_two_rows_can_never_share_a_path(store: PhotoStore) -> None:
    store.write(WriteBatch(photos=[_photo("/lib/a.jpg", 1)]))
    with pytest.raises(Exception, match=r"(?i)unique"):
        store.write(WriteBatch(photos=[_photo("/lib/a.jpg", 2)]))
    assert store.count() == 1


def test_removal_and_skipped_files_in_one_batch(store: PhotoStore) -> None:
    a, b = _photo("/lib/a.jpg", 1), _photo("/lib/b.jpg", 2)
    store.write(WriteBatch(photos=[a, b]))
    store.write(WriteBatch(remove_photo_ids=[a.id],
                           skipped=[SkippedRecord("/lib/bad.jpg", "/lib", 3, 4, "not an image")]))
    assert [r.path for r in store.all_photos()] == ["/lib/b.jpg"]
    assert [(s.path, s.reason) for s in store.skipped()] == [("/lib/bad.jpg", "not an image")]
    store.write(WriteBatch(remove_skipped_ids=[store.skipped()[0].id]))
    assert store.skipped() == []


def test_non_utf8_paths_are_stored_reversibly(store: PhotoStore) -> None:
    raw = b"/lib/caf\xe9/\xff\xfe.jpg"
    path = os.fsdecode(raw)
    folder = os.fsdecode(b"/lib/caf\xe9")
    assert decode_path(encode_path(path)) == path
    encode_path(path).encode("utf-8")  # what ObjectBox stores is valid UTF-8
    assert encode_path("/lib/ünïcode ✓.jpg") == "/lib/ünïcode ✓.jpg"  # readable names stay readable

    store.put_folder(folder)
    store.write(WriteBatch(photos=[_photo(path, 1, folder=folder)]))

    got = store.photo_by_path(path)
    assert got is not None
    assert os.fsencode(got.path) == raw
    assert got.folder == folder
    assert store.photos_in_folder_count(folder) == 1
    assert [f.path for f in store.folders()] == [folder]
    assert store.ids_newest_first([folder]) == [got.id]
    assert store.remove_folder(folder) == 1


def test_folders_online_state_and_reassignment(store: PhotoStore) -> None:
    store.put_folder("/lib/child")
    store.write(WriteBatch(photos=[_photo("/lib/child/a.jpg", 1, folder="/lib/child")],
                           skipped=[SkippedRecord("/lib/child/b.jpg", "/lib/child", 1, 1, "bad")]))
    store.put_folder("/lib/child", online=False, last_scan_ms=123)
    assert [(f.path, f.online, f.last_scan_ms) for f in store.folders()] == [("/lib/child", False, 123)]

    store.put_folder("/lib")
    store.reassign_folder("/lib/child", "/lib")

    assert [f.path for f in store.folders()] == ["/lib"]
    assert store.photos_in_folder_count("/lib") == 1
    assert [s.folder for s in store.skipped()] == ["/lib"]


def test_newest_first_orders_by_date_then_latest_indexed(store: PhotoStore) -> None:
    recs = [_photo(f"/lib/{name}.jpg", taken) for name, taken in (("a", 5), ("b", 9), ("c", 0), ("d", 0))]
    store.write(WriteBatch(photos=recs))
    assert store.ids_newest_first() == [recs[1].id, recs[0].id, recs[3].id, recs[2].id]


def test_meta_records_the_model_and_dimensions(tmp_path: Path) -> None:
    with PhotoStore(tmp_path / "db", DIMS, "the-model") as s:
        s.set_meta(complete=True)
    meta = json.loads((tmp_path / "db" / META_FILE).read_text())
    assert (meta["model"], meta["dims"], meta["complete"]) == ("the-model", DIMS, True)


def test_a_database_of_other_dimensions_is_refused(tmp_path: Path) -> None:
    PhotoStore(tmp_path / "db", DIMS, "m").close()
    with pytest.raises(StoreError, match="holds 8-dimensional vectors"):
        PhotoStore(tmp_path / "db", 16, "m")
    PhotoStore(tmp_path / "db", DIMS, "m").close()  # the refusal released the lock


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    PhotoStore(tmp_path / "db", DIMS, "m").close()
    meta_file = tmp_path / "db" / META_FILE
    meta = json.loads(meta_file.read_text())
    meta["format"] = 99
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(StoreError, match="newer InPhotos"):
        PhotoStore(tmp_path / "db", DIMS, "m")
