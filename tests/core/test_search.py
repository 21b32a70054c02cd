"""Search: HNSW results equal brute force, with paging, minimum score, exclusions and hiding."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from inphotos.core.library import LibraryError
from inphotos.core.search import exact_nearest, nearest
from inphotos.db.store import PhotoStore, WriteBatch
from inphotos.records import Hit, PhotoRecord

DIMS = 32
N = 2000


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhotoStore]:
    """2000 clustered unit vectors (CLIP-like: photos come in groups), in folders /a, /b, /c."""
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(25, DIMS))
    vecs = _unit(centres[rng.integers(0, 25, N)] + 0.35 * rng.normal(size=(N, DIMS)))
    folders = ["/a", "/b", "/c"]
    s = PhotoStore(tmp_path_factory.mktemp("db"), DIMS, "test")
    s.write(WriteBatch(photos=[
        PhotoRecord(f"{folders[i % 3]}/{i}.jpg", folders[i % 3], 1, 1, embedding=vecs[i]) for i in range(N)
    ]))
    yield s
    s.close()


def _queries(n: int, seed: int = 0) -> list[np.ndarray]:
    return list(_unit(np.random.default_rng(seed).normal(size=(n, DIMS))))


def _brute(store: PhotoStore, q: np.ndarray) -> list[tuple[int, float]]:
    return exact_nearest(store, q, N)


def assert_same_ranking(hits: list[Hit], exact: list[tuple[int, float]]) -> None:
    """Hits rank like brute force: the i-th hit is a photo whose true score is the i-th best.

    (Photos whose scores tie to float precision may come in either order.)
    """
    true_score = dict(exact)
    assert len(hits) == len(exact)
    for hit, (_, best) in zip(hits, exact, strict=True):
        assert hit.score == pytest.approx(best, abs=1e-5)
        assert true_score.get(hit.photo.id, -9.0) == pytest.approx(hit.score, abs=1e-5)


def test_search_equals_brute_force(store: PhotoStore) -> None:
    for q in _queries(25):
        assert_same_ranking(nearest(store, q, k=30), _brute(store, q)[:30])


def test_score_is_cosine_similarity_best_first(store: PhotoStore) -> None:
    q = _queries(1, seed=1)[0]
    hits = nearest(store, q, k=50)
    embeddings = store.embeddings([h.photo.id for h in hits])
    np.testing.assert_allclose([h.score for h in hits], embeddings @ q, atol=1e-5)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 - 1e-6 <= s <= 1.0 + 1e-6 for s in scores)


def test_pages_follow_each_other_without_gaps_or_repeats(store: PhotoStore) -> None:
    q = _queries(1, seed=2)[0]
    pages = [nearest(store, q, k=7, offset=off) for off in range(0, 70, 7)]
    assert_same_ranking([h for page in pages for h in page], _brute(store, q)[:70])
    assert len({h.photo.id for page in pages for h in page}) == 70
    assert nearest(store, q, k=10, offset=N - 4) == nearest(store, q, k=4, offset=N - 4)
    assert len(nearest(store, q, k=10, offset=N - 4)) == 4
    assert nearest(store, q, k=10, offset=N) == []
    assert nearest(store, q, k=0) == []


def test_min_score_keeps_exactly_the_photos_at_or_above_it(store: PhotoStore) -> None:
    q = _queries(1, seed=3)[0]
    exact = _brute(store, q)
    threshold = (exact[40][1] + exact[41][1]) / 2  # 41 photos score above it
    hits = nearest(store, q, k=100, min_score=threshold)
    assert {h.photo.id for h in hits} == {i for i, _ in exact[:41]}
    assert all(h.score >= threshold for h in hits)
    assert nearest(store, q, k=100, min_score=1.01) == []


def test_without_min_score_nothing_is_cut_even_negative_scores(store: PhotoStore) -> None:
    q = _queries(1, seed=4)[0]
    hits = nearest(store, q, k=N)
    assert len(hits) == N
    assert hits[-1].score < 0  # the far side of the sphere is still returned, last
    assert_same_ranking(hits, _brute(store, q))


def test_excluded_and_hidden_photos_never_show_and_pages_stay_full(store: PhotoStore) -> None:
    for q in _queries(5, seed=5):
        exact = _brute(store, q)
        exclude = {i for i, _ in exact[:5]}
        by_id = {r.id: r for r in store.all_photos()}
        expected = [(i, s) for i, s in exact if i not in exclude and by_id[i].folder != "/b"]
        hits = nearest(store, q, k=20, offset=20, exclude_ids=exclude, hide_folders={"/b"})
        assert_same_ranking(hits, expected[20:40])


def test_after_removals_and_updates_search_still_equals_brute_force(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    with PhotoStore(tmp_path / "db", DIMS, "test") as s:
        recs = [PhotoRecord(f"/a/{i}.jpg", "/a", 1, 1, embedding=_unit(rng.normal(size=DIMS)))
                for i in range(900)]
        s.write(WriteBatch(photos=recs))
        s.write(WriteBatch(remove_photo_ids=[r.id for r in recs[:600]]))  # photos deleted
        for r in recs[600:750]:  # photos edited: new vectors under the same id
            r.embedding = _unit(rng.normal(size=DIMS))
        s.write(WriteBatch(photos=recs[600:750]))
        new = _unit(rng.normal(size=(300, DIMS)))
        s.write(WriteBatch(photos=[
            PhotoRecord(f"/b/{i}.jpg", "/b", 1, 1, embedding=v) for i, v in enumerate(new)
        ]))
        removed = {r.id for r in recs[:600]}
        for q in _queries(10, seed=12):
            hits = nearest(s, q, k=40)
            assert not removed & {h.photo.id for h in hits}
            assert_same_ranking(hits, exact_nearest(s, q, 40))


def test_every_photo_hidden_gives_no_results(store: PhotoStore) -> None:
    q = _queries(1, seed=6)[0]
    assert nearest(store, q, k=10, hide_folders={"/a", "/b", "/c"}) == []


def test_empty_library_gives_no_results(tmp_path: Path) -> None:
    with PhotoStore(tmp_path / "db", DIMS, "test") as s:
        assert nearest(s, _queries(1)[0], k=10) == []
        assert exact_nearest(s, _queries(1)[0], 10) == []


# ----------------------------------------------------------------- through the library


@pytest.mark.usefixtures("photos_indexed")
def test_text_search_equals_brute_force_over_the_library(library) -> None:
    for text in ("a dog on a beach", "sunset", "birthday cake with candles"):
        vec = library.text_vector(text)
        assert_same_ranking(library.search_text(text, k=12), exact_nearest(library.store, vec, 12))


@pytest.mark.usefixtures("photos_indexed")
def test_text_search_paging_and_min_score(library) -> None:
    full = library.search_text("a red car", k=12)
    assert len(full) == 12
    paged = [h for off in (0, 5, 10) for h in library.search_text("a red car", k=5, offset=off)]
    assert [h.photo.id for h in paged] == [h.photo.id for h in full]
    cut = (full[6].score + full[7].score) / 2
    assert [h.photo.id for h in library.search_text("a red car", k=12, min_score=cut)] == [
        h.photo.id for h in full if h.score >= cut
    ]


@pytest.mark.usefixtures("photos_indexed")
def test_blank_query_is_refused(library) -> None:
    with pytest.raises(LibraryError, match="Type something"):
        library.search_text("   ")


@pytest.mark.usefixtures("photos_indexed")
def test_similar_to_a_library_photo_finds_its_duplicate_first_not_itself(library, photos: Path) -> None:
    original = photos / "img_02.jpg"
    shutil.copy(original, photos / "trip" / "dup.jpg")
    library.index()

    hits = library.similar_to_file(original, k=5)

    assert hits[0].photo.path == str(photos / "trip" / "dup.jpg")
    assert hits[0].score > 0.9999
    assert str(original) not in {h.photo.path for h in hits}


@pytest.mark.usefixtures("photos_indexed")
def test_similar_to_a_file_outside_the_library_finds_that_photo_first(
    library, photos: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "copy.jpg"
    outside.parent.mkdir()
    shutil.copy(photos / "img_05.jpg", outside)

    hits = library.similar_to_file(outside, k=3)

    assert hits[0].photo.path == str(photos / "img_05.jpg")
    assert hits[0].score > 0.999


@pytest.mark.usefixtures("photos_indexed")
def test_similar_to_several_photos_excludes_them_and_ranks_by_their_mean(library, photos: Path) -> None:
    ids = [library.store.photo_by_path(str(photos / n)).id for n in ("img_01.jpg", "img_02.jpg")]
    hits = library.similar_to_photos(ids, k=20)
    assert len(hits) == 10
    assert not set(ids) & {h.photo.id for h in hits}
    mean = library.store.embeddings(ids).mean(axis=0)
    exact = [(i, s) for i, s in exact_nearest(library.store, mean / np.linalg.norm(mean), 12) if i not in ids]
    assert_same_ranking(hits, exact)


@pytest.mark.usefixtures("photos_indexed")
def test_similar_refuses_nothing_and_unknown_photos(library, tmp_path: Path) -> None:
    with pytest.raises(LibraryError):
        library.similar_to_photos([])
    with pytest.raises(LibraryError, match="not in the index"):
        library.similar_to_photos([987654])
    (tmp_path / "notes.txt").write_text("not a picture")
    with pytest.raises(LibraryError, match="Cannot read"):
        library.similar_to_file(tmp_path / "notes.txt")


def test_big_library_recall_against_brute_force(tmp_path) -> None:
    """Above the exhaustive limit the graph is searched with 200+ candidates: recall@10 ≥ 0.98."""
    from inphotos.core.search import EXHAUSTIVE_LIMIT

    n = EXHAUSTIVE_LIMIT + 2000
    rng = np.random.default_rng(11)
    centres = rng.normal(size=(40, DIMS))
    vecs = _unit(centres[rng.integers(0, 40, n)] + 0.5 * rng.normal(size=(n, DIMS)))
    big = PhotoStore(tmp_path / "big", DIMS, "test")
    try:
        big.write(WriteBatch(photos=[
            PhotoRecord(f"/p/{i}.jpg", "/p", 1, 1, embedding=v) for i, v in enumerate(vecs)
        ]))
        found = 0
        queries = _queries(40, seed=5)
        for q in queries:
            got = {h.photo.id for h in nearest(big, q, k=10)}
            found += len(got & {i for i, _ in exact_nearest(big, q, 10)})
        assert found / (10 * len(queries)) >= 0.98
    finally:
        big.close()
