"""The in-memory photo columns (db/columns.py) never answer with stale or missing photos: each
write is seen as soon as it returns, and every answer equals the database's own query."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from inphotos.core.search import search
from inphotos.db.store import COLUMNS_FILE, PhotoStore, WriteBatch
from inphotos.records import Filters, PhotoRecord

DIMS = 16
YEAR_MS = 365 * 24 * 3600 * 1000
T0 = 1_300_000_000_000
YEAR3 = Filters(after_ms=T0 + 3 * YEAR_MS, before_ms=T0 + 4 * YEAR_MS)
CHECKED = [
    Filters(),
    YEAR3,
    Filters(folder="/lib/a"),
    Filters(folder="/lib/a/x"),
    Filters(folder="/lib/b/y/"),
    Filters(types=("png",)),
    Filters(orientation="portrait", before_ms=T0 + 5 * YEAR_MS),
]


def _vec(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=DIMS)
    return (v / np.linalg.norm(v)).astype(np.float32)


def _photo(i: int, folder: str = "", sub: str = "", year: int = -1, ext: str = "") -> PhotoRecord:
    folder = folder or ("/lib/a" if i % 2 else "/lib/b")
    sub = sub or ("x", "y")[i % 3 % 2]
    ext = ext or ("jpg", "png", "JPG")[i % 3]
    year = year if year >= 0 else i % 8
    w, h = ((40, 30), (30, 40))[i % 5 % 2]
    return PhotoRecord(f"{folder}/{sub}/{i:04d}.{ext}", folder, 1, 1, width=w, height=h,
                       taken_ms=T0 + year * YEAR_MS + i * 1000, embedding=_vec(i))


@pytest.fixture
def store(tmp_path) -> Iterator[PhotoStore]:
    s = PhotoStore(tmp_path / "db", DIMS, "test")
    s.put_folder("/lib/a")
    s.put_folder("/lib/b")
    s.write(WriteBatch(photos=[_photo(i) for i in range(300)]))
    s.ids_matching(YEAR3)  # the columns are read now: the writes below must keep them in step
    yield s
    s.close()


def _database_ids(store: PhotoStore, f: Filters, newest_first: bool = False) -> list[int]:
    """The database's own answer (its query, not the columns)."""
    p = store.schema.photo
    qb = store._photos.query(store._filter_condition(f))
    if newest_first:
        qb.order_desc(p.taken_ms)
        qb.order_desc(p.id)
    return [int(i) for i in qb.build().find_ids()]


def _agrees_with_the_database(store: PhotoStore) -> None:
    for f in CHECKED:
        truth = _database_ids(store, f)
        assert sorted(store.ids_matching(f)) == sorted(truth), f
        assert store.count_matching(f) == len(truth), f
        assert store.ids_matching(f, newest_first=True) == _database_ids(store, f, True), f
    assert store.ids_newest_first() == _database_ids(store, Filters(), True)
    assert [r.id for r in store.newest_page(50)] == _database_ids(store, Filters(), True)[:50]


def _found(store: PhotoStore, photo: PhotoRecord, f: Filters) -> bool:
    """Whether a filtered search for the photo's own vector finds it (and its ids do)."""
    in_ids = photo.id in store.ids_matching(f)
    top = search(store, np.asarray(photo.embedding), 5, filters=f).hits
    assert in_ids == any(h.photo.id == photo.id for h in top), f
    return in_ids


def test_a_photo_added_is_found_right_after_its_write(store: PhotoStore) -> None:
    new = _photo(1001, folder="/lib/a", sub="x", year=3)
    store.write(WriteBatch(photos=[new]))
    assert _found(store, new, YEAR3)
    assert _found(store, new, Filters(folder="/lib/a/x"))
    assert not _found(store, new, Filters(folder="/lib/b"))
    assert store.ids_newest_first()[0] != new.id  # year 3 of 8: not the newest
    _agrees_with_the_database(store)


def test_a_photo_removed_is_gone_right_after_its_write(store: PhotoStore) -> None:
    gone = store.get_photo(store.ids_matching(YEAR3)[0], with_embedding=True)
    assert gone is not None
    store.write(WriteBatch(remove_photo_ids=[gone.id]))
    assert not _found(store, gone, YEAR3)
    assert gone.id not in store.ids_newest_first()
    other = store.get_photo(store.ids_matching(YEAR3)[0], with_embedding=True)
    assert other is not None
    store.remove_photos([other.id])
    assert not _found(store, other, YEAR3)
    _agrees_with_the_database(store)


def test_a_photo_moved_or_redated_is_found_where_it_is_now(store: PhotoStore) -> None:
    photo = store.get_photo(store.ids_matching(Filters(folder="/lib/a/x"))[0], with_embedding=True)
    assert photo is not None
    photo.path = photo.path.replace("/lib/a/x/", "/lib/a/y/")  # moved, keeping its vector and id
    store.write(WriteBatch(photos=[photo]))
    assert _found(store, photo, Filters(folder="/lib/a/y"))
    assert not _found(store, photo, Filters(folder="/lib/a/x"))
    photo.taken_ms = T0 + 3 * YEAR_MS + 1 if photo.taken_ms >= T0 + 4 * YEAR_MS else T0 + 7 * YEAR_MS
    in_year3 = photo.taken_ms < T0 + 4 * YEAR_MS
    store.write(WriteBatch(photos=[photo]))
    assert _found(store, photo, YEAR3) == in_year3
    _agrees_with_the_database(store)


def test_folders_moved_and_forgotten_are_followed(store: PhotoStore) -> None:
    store.put_folder("/lib")
    store.reassign_folder("/lib/a", "/lib")
    in_a = _database_ids(store, Filters(folder="/lib/a"))
    assert store.count_matching(Filters(folder="/lib/a")) == len(in_a)
    assert store.ids_matching(Filters(), folders=["/lib"]) == _database_ids(store, Filters(folder="/lib"))
    _agrees_with_the_database(store)
    store.remove_folder("/lib")
    assert store.ids_matching(Filters(), folders=["/lib"]) == []
    assert store.count_matching(Filters(folder="/lib/a/x")) == 0
    _agrees_with_the_database(store)


def test_many_removals_and_additions_stay_in_step(store: PhotoStore) -> None:
    """Enough removals that the columns sweep out their dead entries, then new photos."""
    ids = store.ids_matching(Filters())
    store.write(WriteBatch(remove_photo_ids=ids[::2]))
    store.write(WriteBatch(photos=[_photo(2000 + i) for i in range(50)]))
    _agrees_with_the_database(store)
    store.write(WriteBatch(remove_photo_ids=store.ids_matching(Filters())))
    assert store.count_matching(YEAR3) == 0
    assert store.newest_page(10) == []
    new = _photo(3000, year=3)
    store.write(WriteBatch(photos=[new]))
    assert store.ids_matching(YEAR3) == [new.id]
    assert _found(store, new, YEAR3)


def test_vectors_are_read_exactly_without_unmarshalling_rows(store: PhotoStore) -> None:
    ids = store.ids_matching(Filters())[:40]
    expected = np.array([r.embedding for r in store.get_photos(ids, with_embedding=True) if r])
    assert np.array_equal(store.embeddings(ids), expected)
    missing = store.embeddings([ids[0], 10**9, ids[1]])
    assert np.array_equal(missing[[0, 2]], expected[:2])
    assert not missing[1].any()


def _no_database_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: PhotoStore) -> None:
        raise AssertionError("the columns were read from the database, not the snapshot")

    monkeypatch.setattr(PhotoStore, "_read_columns", refuse)


def test_the_next_start_reads_the_columns_from_their_snapshot(tmp_path, monkeypatch) -> None:
    with PhotoStore(tmp_path / "db", DIMS, "test") as s:
        s.put_folder("/lib/a")
        s.write(WriteBatch(photos=[_photo(i, folder="/lib/a") for i in range(40)]))
        s.write(WriteBatch(remove_photo_ids=s.ids_matching(YEAR3)[:2]))  # dead entries are not saved
        expected = {f: _database_ids(s, f) for f in CHECKED}
        newest = s.ids_newest_first()
    assert (tmp_path / "db" / COLUMNS_FILE).exists()
    with monkeypatch.context() as m:
        _no_database_reads(m)
        with PhotoStore(tmp_path / "db", DIMS, "test") as s:
            assert s.ids_newest_first() == newest
            for f, ids in expected.items():
                assert sorted(s.ids_matching(f)) == sorted(ids), f
            new = _photo(500, folder="/lib/a", sub="x", year=3)
            s.write(WriteBatch(photos=[new]))
            assert not (tmp_path / "db" / COLUMNS_FILE).exists()  # gone before the commit
            assert _found(s, new, YEAR3)
            _agrees_with_the_database(s)
    with monkeypatch.context() as m:
        _no_database_reads(m)
        with PhotoStore(tmp_path / "db", DIMS, "test") as s:
            assert _found(s, new, Filters(folder="/lib/a/x"))


def test_a_snapshot_older_than_the_database_is_not_used(tmp_path) -> None:
    """A write the columns never saw (an older InPhotos, a crash after the commit) changes the
    database file, so the snapshot's stamp no longer matches and the database is read."""
    with PhotoStore(tmp_path / "db", DIMS, "test") as s:
        s.put_folder("/lib/a")
        s.write(WriteBatch(photos=[_photo(i, folder="/lib/a") for i in range(20)]))
        s.ids_matching(YEAR3)
    with PhotoStore(tmp_path / "db", DIMS, "test") as s:
        # Re-dated straight in ObjectBox, past the store's writes (the photo count stays).
        obj = s._photos.get(_database_ids(s, YEAR3)[0])
        obj.taken_ms = T0 + 6 * YEAR_MS
        s._photos.put(obj)
    with PhotoStore(tmp_path / "db", DIMS, "test") as s:
        assert obj.id not in s.ids_matching(YEAR3)
        _agrees_with_the_database(s)
    (tmp_path / "db" / COLUMNS_FILE).write_bytes(b"not a snapshot")
    with PhotoStore(tmp_path / "db", DIMS, "test") as s:
        _agrees_with_the_database(s)


def test_the_same_query_again_after_a_write_sees_the_write(store: PhotoStore) -> None:
    """A query's ranking is reused for its deeper pools, never across a write or a new folder."""
    q = _vec(5)
    first = store.nearest_matching(q, 5, YEAR3)
    assert first is not None
    store.write(WriteBatch(remove_photo_ids=[first[0][0]]))
    again = store.nearest_matching(q, 5, YEAR3)
    assert again is not None
    assert first[0][0] not in {i for i, _ in again}
    assert [i for i, _ in again][:4] == [i for i, _ in first][1:5]
    inside = Filters(folder="/lib/a/x")
    before = store.nearest_matching(q, 300, inside)
    store.put_folder("/lib/a/x")  # now a library folder of its own, holding no photos yet
    after = store.nearest_matching(q, 300, inside)
    assert before
    assert after == [] == _database_ids(store, inside)
