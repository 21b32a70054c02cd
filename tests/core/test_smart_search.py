"""Search people trust, through the library: the cut-off, negative terms, order by date,
filters, find similar refined with words, smart albums.

Rankings come from ColourEmbedder (tests/helpers.py): a photo means the colours of its two
halves, so which photos match is known.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from inphotos.core.albums import AlbumError
from inphotos.core.library import Library, LibraryError
from inphotos.paths import app_paths
from inphotos.records import Filters, SearchRequest
from tests.helpers import ColourEmbedder, colour_model, make_colour_photo

RED, BLUE, GREEN, MAGENTA = (220, 30, 30), (30, 40, 220), (30, 200, 40), (200, 30, 200)
DAY_MS = 24 * 3600 * 1000


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """40 dull grey photos, and a few of each colour; red ones dated, some in a subfolder."""
    tmp = tmp_path_factory.mktemp("smart")
    root = tmp / "photos"
    for i in range(40):
        g = 60 + 3 * i
        make_colour_photo(root / f"grey_{i:02d}.jpg", (g, g + 5, g), seed=100 + i)
    for i in range(5):  # red: EXIF dates a year apart, newest last; one portrait, one PNG
        name = root / "trips" / f"red_{i}.{'png' if i == 4 else 'jpg'}"
        size = (64, 96) if i == 1 else (96, 64)
        make_colour_photo(name, RED, size, seed=i, exif_date=f"{2015 + i}:06:01 12:00:00"
                          if i != 4 else "")
    for i in range(4):
        make_colour_photo(root / f"blue_{i}.jpg", BLUE, seed=10 + i)
        make_colour_photo(root / f"redblue_{i}.jpg", RED, right=BLUE, seed=20 + i)
        make_colour_photo(root / f"redgreen_{i}.jpg", RED, right=GREEN, seed=30 + i)
    for i in range(3):
        make_colour_photo(root / f"magenta_{i}.jpg", MAGENTA, seed=40 + i)
        make_colour_photo(root / f"redgrey_{i}.jpg", RED, right=(120, 125, 120), seed=50 + i)
    # The PNG has no EXIF date: its file time, a day after the newest EXIF date.
    png = root / "trips" / "red_4.png"
    t = (1_529_000_000_000 + 400 * DAY_MS) / 1000
    os.utime(png, (t, t))
    library = Library(app_paths(tmp / "home").ensure(), colour_model(tmp / "model"),
                      embedder_factory=ColourEmbedder, workers=1)
    library.add_folder(root)
    library.index()
    yield library
    library.close()


def _stems(hits) -> list[str]:
    return [Path(h.photo.path).stem for h in hits]


def _kind(stem: str) -> str:
    return stem.rsplit("_", 1)[0]


def test_a_query_shows_the_photos_that_match_not_the_whole_library(lib: Library) -> None:
    r = lib.search(SearchRequest("red"), k=100)
    assert {_kind(s) for s in _stems(r.hits)} == {"red", "redblue", "redgreen", "redgrey"}
    assert r.matched == len(r.hits) == 5 + 4 + 4 + 3
    assert all(h.match and 0.5 <= h.strength <= 1 for h in r.hits)
    assert r.total == lib.store.count()
    everything = lib.search(SearchRequest("red", include_weaker=True), k=100)
    assert len(everything.hits) == lib.store.count()
    assert _stems(everything.hits[: r.matched]) == _stems(r.hits)
    assert not any(h.match for h in everything.hits[r.matched :])
    assert all(h.strength < 0.5 for h in everything.hits[r.matched :])


def test_a_query_about_nothing_in_the_library_matches_nothing(lib: Library) -> None:
    for text in ("dog", "a photo of a house", "purple"):
        r = lib.search(SearchRequest(text), k=100)
        if text == "purple":  # magenta photos are there
            assert {_kind(s) for s in _stems(r.hits)} == {"magenta"}
        else:
            assert (r.matched, r.hits) == (0, [])


def test_negative_terms_push_photos_down_and_phrases_stay_together(lib: Library) -> None:
    plain = _stems(lib.search(SearchRequest("red"), k=100).hits)
    assert {_kind(s) for s in plain[5:]} == {"redblue", "redgreen", "redgrey"}  # halves tie
    pushed = _stems(lib.search(SearchRequest("red -blue", include_weaker=True), k=100).hits)
    assert {_kind(s) for s in pushed[:5]} == {"red"}
    last_red = max(i for i, s in enumerate(pushed) if _kind(s) in ("redgreen", "redgrey"))
    assert all(pushed.index(s) > last_red for s in pushed if _kind(s) == "redblue")
    assert lib.search(SearchRequest('"red" -"blue"'), k=100).hits[0].photo.path == \
        lib.search(SearchRequest("red -blue"), k=100).hits[0].photo.path
    with pytest.raises(LibraryError, match="not only what to leave out"):
        lib.search(SearchRequest("-blue"))


def test_sort_by_date_lists_the_matches_newest_first(lib: Library) -> None:
    by_relevance = lib.search(SearchRequest("red"), k=100)
    by_date = lib.search(SearchRequest("red", sort="date"), k=100)
    assert sorted(_stems(by_date.hits)) == sorted(_stems(by_relevance.hits))
    dates = [h.photo.taken_ms for h in by_date.hits]
    assert dates == sorted(dates, reverse=True)
    reds = lib.search(SearchRequest("red", sort="date", filters=Filters(folder=str(
        Path(lib.folders()[0].path) / "trips"))), k=100)
    # red_4 has no EXIF date: its file time, newer than red_3's EXIF date, puts it first.
    assert _stems(reds.hits) == ["red_4", "red_3", "red_2", "red_1", "red_0"]
    sources = {Path(h.photo.path).stem: h.photo.taken_source for h in reds.hits}
    assert sources == {"red_4": "file", "red_3": "exif", "red_2": "exif", "red_1": "exif",
                       "red_0": "exif"}
    png = reds.hits[0].photo
    assert png.taken_ms == os.stat(png.path).st_mtime_ns // 1_000_000


def test_the_library_browse_is_newest_first_with_file_dates_too(lib: Library) -> None:
    ids = lib.browse_ids()
    photos = lib.photos(ids)
    dates = [p.taken_ms for p in photos if p]
    assert dates == sorted(dates, reverse=True)
    assert all(p and p.taken_ms > 0 for p in photos)
    page = lib.browse(Filters(orientation="portrait"), k=10)
    assert _stems(page.hits) == ["red_1"]
    assert page.matched == 1


def test_filters_narrow_a_search(lib: Library) -> None:
    def reds(**f: object) -> list[str]:
        return sorted(_stems(lib.search(SearchRequest("red", filters=Filters(**f)), k=100).hits))  # type: ignore[arg-type]

    trips = str(Path(lib.folders()[0].path) / "trips")
    assert reds(folder=trips) == [f"red_{i}" for i in range(5)]
    assert reds(types=("png",)) == ["red_4"]
    assert reds(orientation="portrait") == ["red_1"]
    jan = 1_420_070_400_000  # 2015-01-01
    assert reds(after_ms=jan + 365 * DAY_MS, before_ms=jan + 3 * 365 * DAY_MS, folder=trips) == \
        ["red_1", "red_2"]
    r = lib.search(SearchRequest("red", filters=Filters(types=("png",))))
    assert (r.matched, r.total) == (1, 1)


def test_find_similar_refined_with_words(lib: Library) -> None:
    grey = lib.store.photo_by_path(str(Path(lib.folders()[0].path) / "grey_20.jpg"))
    assert grey is not None
    like_grey = _stems(lib.similar_to_photos([grey.id], k=5))
    assert all(_kind(s) == "grey" for s in like_grey)
    refined = _stems(lib.similar_to_photos([grey.id], k=3, refine_text="red"))
    assert {_kind(s) for s in refined} == {"redgrey"}
    r = lib.search(SearchRequest("red", photo_ids=(grey.id,), include_weaker=True), k=100)
    assert _kind(_stems(r.hits)[0]) == "redgrey"
    assert grey.id not in {h.photo.id for h in r.hits}
    filtered = lib.similar_to_photos([grey.id], k=5, refine_text="red", filters=Filters(types=("png",)))
    assert _stems(filtered) == ["red_4"]


def test_albums_rerun_their_search(lib: Library, tmp_path: Path) -> None:
    albums = lib.albums
    albums.add("Red trips", SearchRequest("red", filters=Filters(types=("jpg",)), sort="date"))
    try:
        result = lib.album("Red trips", k=100)
        assert "red_4" not in _stems(result.hits)  # the PNG is filtered out
        dates = [h.photo.taken_ms for h in result.hits]
        assert dates == sorted(dates, reverse=True)
        assert result.matched == len(result.hits) > 5
        with pytest.raises(AlbumError, match="already an album"):
            albums.add("red TRIPS", SearchRequest("blue"))
        albums.rename("Red trips", "Reds")
        assert list(albums.all()) == ["Reds"]
        with pytest.raises(AlbumError, match="No album called 'Red trips'"):
            lib.album("Red trips")
    finally:
        albums.remove("Reds")
    assert albums.all() == {}
