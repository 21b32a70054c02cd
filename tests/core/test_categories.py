"""Categories (core/categories.py): which photos belong to which everyday thing, kept current
as photos come and go, recomputed for another model. Known semantics come from the
deterministic ConceptEmbedder (tests/helpers.py): red photos are dogs, yellow ones beaches."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from inphotos.core.categories import (
    COVERS,
    FILE_NAME,
    MIN_PHOTOS,
    TEMPLATES,
    CategoryIndex,
    Scales,
    encode,
    load_vocabulary,
)
from inphotos.core.library import Library
from inphotos.core.relevance import MIN_Z, Calibration
from inphotos.errors import LibraryError
from inphotos.paths import app_paths
from inphotos.records import SearchRequest
from tests.helpers import ColourEmbedder, ConceptEmbedder, colour_model, make_colour_photo

RED, YELLOW, BLUE, CYAN, MAGENTA, GREY = (
    (220, 30, 30), (230, 220, 40), (30, 40, 220), (30, 210, 210), (210, 40, 210), (128, 128, 128))


def _folder(root: Path) -> Path:
    for i in range(8):
        make_colour_photo(root / f"dog_{i}.jpg", RED, seed=i)
    for i in range(5):
        make_colour_photo(root / f"beach_{i}.jpg", YELLOW, seed=100 + i)
    for i, colour in enumerate([BLUE, CYAN, MAGENTA, GREY] * 5):
        make_colour_photo(root / f"other_{i}.jpg", colour, seed=200 + i)
    return root


def _library(tmp: Path, embedder: type = ConceptEmbedder, model: str = "model") -> Library:
    return Library(app_paths(tmp / "home").ensure(), colour_model(tmp / model),
                   embedder_factory=embedder, workers=1)


@pytest.fixture
def lib(tmp_path: Path):
    library = _library(tmp_path)
    library.add_folder(_folder(tmp_path / "photos"))
    library.want_categories()  # the Explore page was opened once
    library.index()
    yield library
    library.close()


def _names(library: Library) -> dict[str, int]:
    return {t.category.name: t.count for t, _ in library.explore().tiles}


def test_the_vocabulary_is_a_few_hundred_everyday_things() -> None:
    vocab = load_vocabulary()
    names = {c.name for c in vocab}
    assert 250 <= len(vocab) <= 500
    assert {"Dogs", "Cats", "Beaches", "Snow", "Receipts", "Screenshots", "Whiteboards"} <= names
    assert len({c.key for c in vocab}) == len(vocab)


def test_a_bad_vocabulary_line_says_where(tmp_path: Path) -> None:
    f = tmp_path / "v.txt"
    f.write_text("# ok\nDogs | a dog\nno separator here\n")
    with pytest.raises(ValueError, match=r"v.txt:3"):
        load_vocabulary(f)


def test_photos_built_to_match_stand_out_and_random_ones_do_not(lib: Library) -> None:
    page = lib.explore()
    assert page.state == "ready"
    assert _names(lib) == {"Dogs": 8, "Beaches": 5}
    covers = {t.category.name: Path(r.path).stem.split("_")[0] for t, r in page.tiles}
    assert covers == {"Dogs": "dog", "Beaches": "beach"}
    dog = lib.store.photo_by_path(str(Path(page.tiles[0][1].path).parent / "dog_3.jpg"))
    assert dog is not None
    tags = lib.tags(dog.id)
    assert [t.category.name for t in tags] == ["Dogs"]
    assert 0.5 <= tags[0].strength <= 1.0
    other = lib.store.photo_by_path(str(Path(dog.path).parent / "other_0.jpg"))
    assert other is not None
    assert lib.tags(other.id) == []


def test_a_tile_opens_as_the_normal_search_with_the_same_count(lib: Library) -> None:
    result = lib.search(SearchRequest(category="dogs"), k=50)
    assert result.matched == 8
    assert {Path(h.photo.path).stem.split("_")[0] for h in result.hits} == {"dog"}
    assert all(h.match and 0.5 <= h.strength <= 1 for h in result.hits)
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)  # best first
    weaker = lib.search(SearchRequest(category="dogs", include_weaker=True), k=50)
    assert len(weaker.hits) >= 8
    refined = lib.search(SearchRequest("dog", category="dogs"), k=50)  # words refine it
    assert {Path(h.photo.path).stem.split("_")[0] for h in refined.hits} <= {"dog"}
    with pytest.raises(LibraryError, match="No such category"):
        lib.search(SearchRequest(category="unicorns"))


def test_a_category_request_survives_an_album_round_trip() -> None:
    request = SearchRequest(category="dogs")
    assert SearchRequest.from_json(request.to_json()) == request
    assert "category" not in SearchRequest("red").to_json()


def test_new_photos_update_the_categories_as_they_are_indexed(lib: Library, tmp_path: Path) -> None:
    calls = []
    real = lib.categories.build
    lib.categories.build = lambda *a, **k: (calls.append(1), real(*a, **k))  # type: ignore[method-assign]
    root = tmp_path / "photos"
    make_colour_photo(root / "dog_new.jpg", RED, seed=999)
    lib.index()
    assert _names(lib)["Dogs"] == 9
    assert calls == []  # counted as indexed, not by reading the library again
    saved = CategoryIndex(lib.db_dir, f"{lib.spec.key}|{lib._weights}")
    assert saved.current(lib.store.count())
    assert {t.category.name: t.count for t in saved.tiles()} == {"Dogs": 9, "Beaches": 5}


def test_removed_photos_leave_the_categories(lib: Library, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    best = lib.explore().tiles[0][1]
    Path(best.path).unlink()
    for i in (1, 2):
        (root / f"beach_{i}.jpg").unlink()
    lib.index()
    counts = _names(lib)
    assert counts == {"Dogs": 7, "Beaches": 3}
    cover = dict((t.category.name, r) for t, r in lib.explore().tiles)["Dogs"]
    assert cover.id != best.id
    assert Path(cover.path).exists()


def test_a_category_with_too_few_photos_is_hidden(lib: Library, tmp_path: Path) -> None:
    for i in range(5 - MIN_PHOTOS + 1):
        (tmp_path / "photos" / f"beach_{i}.jpg").unlink()
    lib.index()
    assert "Beaches" not in _names(lib)


def test_a_removed_folder_is_counted_again(lib: Library, tmp_path: Path) -> None:
    extra = tmp_path / "more"
    for i in range(4):
        make_colour_photo(extra / f"forest_{i}.jpg", (30, 200, 40), seed=500 + i)
    lib.add_folder(extra)
    lib.index()
    assert _names(lib)["Forests"] == 4
    lib.remove_folder(extra)
    assert not lib.categories.current(lib.store.count())
    lib.index()
    assert "Forests" not in _names(lib)


def test_nothing_is_computed_until_asked_for(tmp_path: Path) -> None:
    library = _library(tmp_path)
    try:
        library.add_folder(_folder(tmp_path / "photos"))
        library.index()
        assert not (library.db_dir / FILE_NAME).exists()
        assert library.explore().state == "computing"
        assert not library.want_categories()
        assert library.refresh_categories()
        assert _names(library) == {"Dogs": 8, "Beaches": 5}
        assert library.want_categories()  # now current: nothing to do
    finally:
        library.close()


def test_an_empty_library_says_so(tmp_path: Path) -> None:
    library = _library(tmp_path)
    try:
        assert library.explore().state == "empty"
    finally:
        library.close()


def test_another_model_recomputes_its_own_categories(lib: Library, tmp_path: Path) -> None:
    """A model of other meanings (the plain colour embedder knows no dogs) gets categories
    of its own; a categories file from another model is not taken for its own."""
    lib.close()
    other = _library(tmp_path, ColourEmbedder, model="other-model")
    try:
        other.add_folder(tmp_path / "photos")
        other.want_categories()
        other.index()
        assert other.db_dir != lib.db_dir
        assert _names(other) == {}
        shutil.copy(lib.db_dir / FILE_NAME, other.db_dir / FILE_NAME)
        reopened = CategoryIndex(other.db_dir, f"{other.spec.key}|{other._weights}")
        assert reopened.scales() is None  # another model's: recomputed, not shown
    finally:
        other.close()
    again = _library(tmp_path)  # the first model again: its own categories, saved
    try:
        assert again.categories.current(again.store.count())
        assert _names(again) == {"Dogs": 8, "Beaches": 5}
    finally:
        again.close()


def test_a_damaged_categories_file_is_recomputed(lib: Library) -> None:
    path = lib.db_dir / FILE_NAME
    lib.close()
    path.write_bytes(b"not a zip")
    again = Library(lib.paths, lib.spec.text, embedder_factory=ConceptEmbedder, workers=1)
    try:
        assert again.categories.scales() is None
        assert again.categories.wanted  # the file was there: someone asked for them
        again.index()
        assert _names(again) == {"Dogs": 8, "Beaches": 5}
    finally:
        again.close()


# ---------------------------------------------------------------- the rule, on constructed scores


def test_the_rule_is_the_search_cut_off_on_constructed_scores() -> None:
    """Per category: the photos that stand out from its background by the calibrated cut-off;
    a category with a broad, unremarkable spread keeps none; the cut-off never drops below
    MIN_Z spreads even when calibration says less."""
    rng = np.random.default_rng(1)
    dims, n = 32, 400
    common = np.zeros(dims, np.float32)
    common[0] = 1.0
    photos = common + 0.05 * rng.normal(size=(n, dims)).astype(np.float32)
    photos[:6, 1] += 0.5  # six photos of "thing 1"
    photos /= np.linalg.norm(photos, axis=1, keepdims=True)
    vectors = np.zeros((2, dims), np.float32)
    vectors[0, [0, 1]] = 1.0  # thing 1
    vectors[1, [0, 2]] = 1.0  # thing 2: nothing in the library
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vocab = load_vocabulary()[:2]
    for z_noise, expected_cut in ((1.0, MIN_Z), (5.0, 5.0)):
        scales = Scales.measure(vectors, photos, Calibration(z_noise, n))
        assert scales.z_cut == expected_cut
        index = CategoryIndex(Path("/nonexistent"), "m", vocab)
        index.build(scales, [(np.arange(1, n + 1), photos)])
        counts = {t.category: t.count for t in index.tiles(min_photos=1)}
        assert counts[vocab[0]] == 6
        assert index.tiles(1)[0].cover_id in range(1, 7)
        z = (photos @ vectors[1] - scales.median[1]) / scales.spread[1]
        assert counts.get(vocab[1], 0) == int((z >= expected_cut).sum())
    # Calibrated as a library of noise would be, the category of nothing keeps nothing.
    assert vocab[1] not in counts


def test_the_cover_is_the_best_photo_of_the_category() -> None:
    dims = 8
    vocab = load_vocabulary()[:1]
    vectors = np.zeros((1, dims), np.float32)
    vectors[0, 0] = 1.0
    scales = Scales(vectors, np.asarray([0.0], np.float32), np.asarray([0.1], np.float32), 3.0, 10)
    index = CategoryIndex(Path("/nonexistent"), "m", vocab)
    photos = np.zeros((COVERS + 2, dims), np.float32)
    photos[:, 0] = [0.4, 0.9, 0.5, 0.2, 0.6, 0.7]  # all but one above the cut-off 0.3
    for chunks in ([(np.arange(1, 4), photos[:3]), (np.arange(4, 7), photos[3:])],
                   [(np.arange(1, 7), photos)]):  # small batches, and one bigger than COVERS
        index.build(scales, chunks)
        tile = index.tiles(1)[0]
        assert (tile.cover_id, tile.count) == (2, 5)


def test_a_category_is_its_templates_averaged_and_normalised() -> None:
    class Words:
        def encode_text(self, texts):
            return np.asarray([[1.0, 0.0] if "dark" in t else [0.0, 2.0] for t in texts], np.float32)

    vec = encode(Words(), load_vocabulary()[:1])[0]
    share = sum("dark" in t for t in TEMPLATES) / len(TEMPLATES)
    expected = np.asarray([share, 1 - share])
    assert np.allclose(vec, expected / np.linalg.norm(expected))
