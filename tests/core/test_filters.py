"""Filtered search: the database's answer equals brute force over the same filtered set."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from inphotos.core import search as search_module
from inphotos.core.relevance import QueryScale
from inphotos.core.search import search
from inphotos.db.store import PhotoStore, WriteBatch
from inphotos.records import Filters, PhotoRecord

DIMS = 32
N = 2000
YEAR_MS = 365 * 24 * 3600 * 1000
T0 = 1_300_000_000_000


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def _photo(i: int, vec: np.ndarray) -> PhotoRecord:
    folder = "/lib/a" if i % 2 else "/lib/b"
    sub = ("x", "y", "x/deep")[i % 3]
    ext = ("jpg", "JPEG", "png", "heic", "webp")[i % 5]
    w, h = ((4000, 3000), (3000, 4000), (2000, 2000))[i % 7 % 3]
    return PhotoRecord(f"{folder}/{sub}/{i:05d}.{ext}", folder, 1, 1, width=w, height=h,
                       taken_ms=T0 + (i * 7919 % N) * (10 * YEAR_MS // N), embedding=vec,
                       taken_source="file" if i % 11 == 0 else "exif")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhotoStore]:
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(25, DIMS))
    vecs = _unit(centres[rng.integers(0, 25, N)] + 0.35 * rng.normal(size=(N, DIMS)))
    s = PhotoStore(tmp_path_factory.mktemp("db"), DIMS, "test")
    s.put_folder("/lib/a")
    s.put_folder("/lib/b")
    s.write(WriteBatch(photos=[_photo(i, vecs[i]) for i in range(N)]))
    yield s
    s.close()


FILTERS = [
    Filters(after_ms=T0 + 3 * YEAR_MS, before_ms=T0 + 4 * YEAR_MS),  # one year of ten
    Filters(folder="/lib/a"),  # a library folder
    Filters(folder="/lib/a/x/"),  # a subfolder, and the one inside it
    Filters(folder="/lib/a/x/deep"),
    Filters(folder="/lib/a/"),
    Filters(folder="/lib"),  # above the library folders
    Filters(types=("jpg",)),  # .jpg and .JPEG
    Filters(types=("png", "heic")),
    Filters(orientation="portrait"),
    Filters(orientation="square", types=("webp",), after_ms=T0 + 5 * YEAR_MS),
    Filters(folder="/lib/b/y", before_ms=T0 + YEAR_MS),  # very few photos
    Filters(folder="/nowhere"),
]


_rows: dict[int, list[PhotoRecord]] = {}


def _brute(store: PhotoStore, q: np.ndarray, f: Filters) -> list[tuple[int, float]]:
    if id(store) not in _rows:
        _rows[id(store)] = store.all_photos(with_embedding=True)
    rows = [r for r in _rows[id(store)] if f.accepts(r)]
    scores = [(r.id, float(r.embedding @ q)) for r in rows]  # type: ignore[operator]
    return sorted(scores, key=lambda p: -p[1])


def _queries(n: int, seed: int = 0) -> list[np.ndarray]:
    return list(_unit(np.random.default_rng(seed).normal(size=(n, DIMS))))


def test_filter_counts_equal_brute_force(store: PhotoStore) -> None:
    rows = store.all_photos()
    for f in FILTERS:
        expected = sorted(r.id for r in rows if f.accepts(r))
        assert store.count_matching(f) == len(expected), f
        assert sorted(store.ids_matching(f)) == expected, f
    assert store.count_matching(FILTERS[0]) > 100  # the filters are not trivially empty
    assert store.count_matching(Filters(folder="/nowhere")) == 0


@pytest.mark.parametrize(("columns_limit", "exact_limit"), [(0, 0), (0, 10**9), (10**9, 0)],
                         ids=["graph", "exact", "columns"])
def test_filtered_search_equals_brute_force(store: PhotoStore, columns_limit: int, exact_limit: int,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way of searching a filtered set: the graph with the filter, exact search over
    the stored vectors, and exact search over the in-memory columns."""
    monkeypatch.setattr(search_module, "COLUMNS_EXACT_LIMIT", columns_limit)
    monkeypatch.setattr(search_module, "EXACT_FILTERED_LIMIT", exact_limit)
    for f in FILTERS:
        for q in _queries(3, seed=hash(repr(f)) % 1000):
            exact = _brute(store, q, f)
            result = search(store, q, k=30, offset=5, filters=f)
            got = [(h.photo.id, h.score) for h in result.hits]
            assert [s for _, s in got] == pytest.approx([s for _, s in exact[5:35]], abs=1e-5), f
            assert {i for i, _ in got} <= {i for i, _ in exact}, f
            assert all(f.accepts(h.photo) for h in result.hits)
            assert result.total == len(exact)


def test_date_order_lists_the_matches_newest_first(store: PhotoStore) -> None:
    q = _queries(1, seed=9)[0]
    exact = _brute(store, q, Filters())
    scale = QueryScale(exact[300][1], 0.01, 1.0)  # the best ~300 pass this made-up cut-off
    passing = [i for i, s in exact if s >= scale.cutoff]
    by_relevance = search(store, q, k=1000, scale=scale)
    assert [h.photo.id for h in by_relevance.hits] == passing
    by_date = search(store, q, k=1000, scale=scale, sort="date")
    assert sorted(h.photo.id for h in by_date.hits) == sorted(passing)
    dates = [h.photo.taken_ms for h in by_date.hits]
    assert dates == sorted(dates, reverse=True)
    page = search(store, q, k=10, offset=20, scale=scale, sort="date")
    assert [h.photo.id for h in page.hits] == [h.photo.id for h in by_date.hits[20:30]]


def test_the_cutoff_lists_matches_and_counts_the_weaker(store: PhotoStore) -> None:
    q = _queries(1, seed=10)[0]
    exact = _brute(store, q, Filters())
    scale = QueryScale(exact[500][1], (exact[20][1] - exact[500][1]) / 4.1, 4.0)
    n_match = sum(1 for _, s in exact if s >= scale.cutoff)
    n_weak = sum(1 for _, s in exact if scale.weak <= s < scale.cutoff)
    assert 0 < n_match < n_weak
    r = search(store, q, k=100, scale=scale)
    assert (r.matched, r.weaker) == (n_match, n_weak)
    assert len(r.hits) == n_match
    assert all(h.match and h.strength >= 0.5 for h in r.hits)
    everything = search(store, q, k=N, scale=scale, include_weaker=True)
    assert len(everything.hits) == N
    assert [h.match for h in everything.hits].count(True) == n_match
    assert r.summary() == f"{n_match} matches · {n_weak} weaker"


def test_a_big_librarys_weaker_count_stops_where_the_matches_end(store: PhotoStore,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the graph (a library too big to search exhaustively), every match is found but
    the weaker ones are counted only as deep as finding the matches went: "20 matches ·
    800+ weaker". Asked to show them, or searched over the in-memory columns, they are exact."""
    monkeypatch.setattr(search_module, "EXHAUSTIVE_LIMIT", 0)
    q = _queries(1, seed=12)[0]
    exact = _brute(store, q, Filters())
    top, deep = exact[20][1], exact[1500][1]  # matches: the best ~20; weaker: down to ~1,500
    reach = (top - deep) / 0.5  # cut-off - weak = (1 - WEAK_FRACTION) * z * spread
    scale = QueryScale(top - reach, reach / 4, 4.0)
    n_match = sum(1 for _, s in exact if s >= scale.cutoff)
    n_weak = sum(1 for _, s in exact if scale.weak <= s < scale.cutoff)
    r = search(store, q, k=10, scale=scale)
    assert r.matched == n_match
    assert not r.more  # the matches are all there...
    assert r.weaker_more  # ...the weaker ones only as far as the graph was asked
    assert 0 < r.weaker < n_weak
    assert r.summary() == f"{n_match} matches · {r.weaker}+ weaker"
    shown = search(store, q, k=N, scale=scale, include_weaker=True)
    assert (shown.matched, shown.weaker, shown.weaker_more) == (n_match, n_weak, False)
    f = Filters(folder="/lib/a")  # the columns rank all of a filtered set: exact counts
    in_a = _brute(store, q, f)
    filtered = search(store, q, k=10, scale=scale, filters=f)
    assert filtered.weaker == sum(1 for _, s in in_a if scale.weak <= s < scale.cutoff)
    assert not filtered.weaker_more


def test_min_score_combines_with_filters(store: PhotoStore) -> None:
    q = _queries(1, seed=11)[0]
    f = Filters(orientation="landscape")
    exact = _brute(store, q, f)
    threshold = exact[40][1] - 1e-6
    r = search(store, q, k=100, filters=f, min_score=threshold)
    assert len(r.hits) == 41
    assert all(h.score >= threshold for h in r.hits)


def test_rows_from_before_the_new_fields_are_derived_then_filled(tmp_path) -> None:
    """An older database's rows read 0 for orientation and taken_source: read as derived
    (no EXIF date: the file's time), and filled in for the database's own filters."""
    with PhotoStore(tmp_path / "db", DIMS, "test") as s:
        s.write(WriteBatch(photos=[
            PhotoRecord("/p/old.jpg", "/p", 1, 5_000_000_000_000, width=3, height=4,
                        embedding=_queries(1)[0]),
            PhotoRecord("/p/dated.jpg", "/p", 1, 1, width=4, height=3, taken_ms=7,
                        embedding=_queries(1, 1)[0]),
        ]))
        # What an older InPhotos wrote: no source, no orientation.
        objs = s._photos.get_all()
        for o in objs:
            o.taken_source, o.orientation = 0, 0
        s._photos.put(*objs)
        old = s.photo_by_path("/p/old.jpg")
        assert old is not None
        assert (old.taken_ms, old.taken_source, old.orientation) == (5_000_000, "file", "portrait")
        assert s.count_matching(Filters(orientation="portrait")) == 0
        assert s.fill_derived() == 2
        assert s.count_matching(Filters(orientation="portrait")) == 1
        assert s.ids_newest_first()[0] == old.id  # its file time is newer than the EXIF date
        dated = s.photo_by_path("/p/dated.jpg")
        assert dated is not None
        assert dated.taken_source == "exif"
        assert s.fill_derived() == 0


def test_the_timeline_by_pages_equals_the_whole_newest_first_list(store: PhotoStore) -> None:
    for f in (Filters(), Filters(folder="/lib/a"), Filters(orientation="square")):
        expected = store.ids_matching(f, newest_first=True)
        got: list[int] = []
        before = None
        while True:
            page = store.newest_page(97, before, f)
            if not page:
                break
            got += [r.id for r in page]
            before = (page[-1].taken_ms, page[-1].id)
        assert got == expected, f


def test_timeline_pages_split_photos_of_the_same_moment_without_gaps(tmp_path) -> None:
    with PhotoStore(tmp_path / "db", DIMS, "test") as s:
        s.write(WriteBatch(photos=[
            PhotoRecord(f"/p/{i}.jpg", "/p", 1, 1, width=1, height=1, taken_ms=T0 + (i // 3),
                        embedding=_queries(1, i)[0]) for i in range(7)
        ]))
        got, before = [], None
        while page := s.newest_page(2, before):
            got += [r.id for r in page]
            before = (page[-1].taken_ms, page[-1].id)
        assert got == s.ids_newest_first()
        assert len(got) == 7


@pytest.mark.slow
def test_an_index_run_is_seen_by_the_next_filtered_search(library, photos) -> None:
    """Through the index run (the one writer): a photo added, moved, re-dated or removed on
    disk is found, or not, by the next filtered search and browse, with the columns in use."""
    import os

    from tests.conftest import make_photo

    def year(y: int) -> Filters:
        return Filters(after_ms=_utc_ms(y), before_ms=_utc_ms(y + 1))

    def listed(f: Filters) -> set[str]:
        searched = {h.photo.path for h in library.search_text("a photo", k=100, filters=f)}
        browsed = {h.photo.path for h in library.browse(f, k=100).hits}
        assert searched == browsed, f
        return searched

    library.add_folder(photos)
    library.index()
    assert listed(Filters(folder=str(photos / "trip")))  # the columns are read now
    new = make_photo(photos / "new" / "late.jpg", seed=99)
    os.utime(new, (_utc_ms(2005) / 1000 + 3600,) * 2)  # no EXIF date: the file's time counts
    library.index()
    assert listed(year(2005)) == {str(new)}
    assert str(new) in listed(Filters(folder=str(photos / "new")))

    moved = photos / "trip" / "late.jpg"
    new.rename(moved)
    library.index()
    assert listed(year(2005)) == {str(moved)}
    assert str(moved) in listed(Filters(folder=str(photos / "trip")))
    assert listed(Filters(folder=str(photos / "new"))) == set()

    os.utime(moved, (_utc_ms(2010) / 1000 + 3600,) * 2)
    library.index()
    assert listed(year(2005)) == set()
    assert listed(year(2010)) == {str(moved)}

    moved.unlink()
    library.index()
    assert listed(year(2010)) == set()
    assert str(moved) not in listed(Filters(folder=str(photos / "trip")))
    assert library.store.ids_newest_first() == library.store.ids_matching(Filters(), newest_first=True)


def _utc_ms(year: int) -> int:
    import datetime as dt

    return int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp() * 1000)
