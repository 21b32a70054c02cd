"""Library folders, one process per library, browsing and stats."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inphotos.core.library import Library, LibraryError
from inphotos.db.lock import LibraryInUseError
from inphotos.ml.pixels import PixelSpec
from inphotos.paths import AppPaths, app_paths
from tests.conftest import make_photo
from tests.helpers import CountingEmbedder, tree_state


def test_add_folder_refuses_what_cannot_be_a_library_folder(library, photos: Path) -> None:
    library.add_folder(photos)
    cases = {
        photos.parent / "missing": "Folder not found",
        photos / "img_01.jpg": "Not a folder",
        photos: "Already in the library",
        photos / "trip": f"Already in the library as part of {photos}",
    }
    for path, message in cases.items():
        with pytest.raises(LibraryError, match=message):
            library.add_folder(path)
    assert [f.path for f in library.folders()] == [str(photos)]


def test_folder_paths_are_normalised(library, photos: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(photos.parent)
    library.add_folder("photos/../photos/")
    assert [f.path for f in library.folders()] == [str(photos)]
    with pytest.raises(LibraryError, match="Already"):
        library.add_folder(str(photos) + os.sep)


def test_adding_a_parent_folder_absorbs_its_child_without_re_embedding(
    library, counter: CountingEmbedder, photos: Path
) -> None:
    library.add_folder(photos / "trip")
    library.index()
    assert counter.images == 4

    library.add_folder(photos)
    report = library.index()

    assert counter.images == 12  # only the 8 new ones
    assert report.added == 8
    assert [(f.path, f.photos) for f in library.folders()] == [(str(photos), 12)]


def test_adding_a_parent_of_an_offline_folder_is_refused_and_keeps_its_photos(
    library, counter: CountingEmbedder, photos: Path
) -> None:
    drive = photos / "trip"
    library.add_folder(drive)
    library.index()
    unplugged = photos / "trip-unplugged"
    drive.rename(unplugged)  # the drive is gone
    library.index()
    assert [f.online for f in library.folders()] == [False]

    with pytest.raises(LibraryError, match="offline: reconnect it first"):
        library.add_folder(photos)

    unplugged.rename(drive)  # the drive is back: nothing to embed again
    library.index()
    assert counter.images == 4
    assert [(f.path, f.photos, f.online) for f in library.folders()] == [(str(drive), 4, True)]


def test_remove_folder_forgets_photos_but_never_touches_files(
    library, photos: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    make_photo(other / "o.jpg", seed=9)
    library.add_folder(photos)
    library.add_folder(other)
    library.index()
    before = tree_state(photos)

    thumbs = [library.thumbs.get(r.path, r.mtime_ns, r.size) for r in library.store.all_photos()]
    assert all(thumbs)

    removed = library.remove_folder(photos)

    assert removed == 12
    assert tree_state(photos) == before
    kept = library.store.photo_by_path(str(other / "o.jpg"))
    remaining = [t for t in thumbs if t is not None and t.exists()]
    assert remaining == [library.thumbs.get(kept.path, kept.mtime_ns, kept.size)]  # its thumbnails go
    assert [f.path for f in library.folders()] == [str(other)]
    assert [h.photo.path for h in library.search_text("x", k=50)] == [str(other / "o.jpg")]
    with pytest.raises(LibraryError, match="Not a library folder"):
        library.remove_folder(photos)
    with pytest.raises(LibraryError, match="Not a library folder"):
        library.remove_folder(tmp_path / "never-added")


def test_an_offline_folder_can_be_removed(library, photos: Path, tmp_path: Path) -> None:
    library.add_folder(photos)
    library.index()
    os.rename(photos, tmp_path / "away")
    library.index()
    assert library.remove_folder(photos) == 12
    assert library.stats()["photos"] == 0


def test_a_second_library_on_the_same_home_is_refused_clearly(
    home: AppPaths, tiny_model: str, library
) -> None:
    with pytest.raises(LibraryInUseError, match="in use by another InPhotos"):
        Library(home, model=tiny_model, precision="fp32")
    library.close()
    with Library(home, model=tiny_model, precision="fp32") as again:  # free again once closed
        assert again.stats()["photos"] == 0


def test_libraries_on_different_homes_are_independent(
    tmp_path: Path, tiny_model: str, tiny_embedder, photos: Path
) -> None:
    a = Library(app_paths(tmp_path / "a"), model=tiny_model, embedder_factory=lambda: tiny_embedder,
                precision="fp32")
    b = Library(app_paths(tmp_path / "b"), model=tiny_model, embedder_factory=lambda: tiny_embedder,
                precision="fp32")
    try:
        a.add_folder(photos)
        a.index()
        assert (a.stats()["photos"], b.stats()["photos"]) == (12, 0)
    finally:
        a.close()
        b.close()


def test_the_model_is_loaded_only_when_needed(
    home: AppPaths, tiny_model: str, tiny_embedder, photos: Path
) -> None:
    loads: list[int] = []

    def factory():
        loads.append(1)
        return tiny_embedder

    with Library(home, model=tiny_model, embedder_factory=factory, precision="fp32") as lib:
        lib.add_folder(photos)
        lib.folders()
        lib.stats()
        assert loads == []  # the window can open and browse before the model loads
        lib.index()
        lib.search_text("x")
        assert loads == [1]


class _OtherDims:
    dims = 7
    pixel_spec = PixelSpec(size=32)
    name = "other"

    def encode_pixels(self, batch: np.ndarray) -> np.ndarray:
        raise AssertionError("must not be used")

    def encode_text(self, texts) -> np.ndarray:
        raise AssertionError("must not be used")


def test_a_model_with_other_dimensions_is_refused(home: AppPaths, tiny_model: str) -> None:
    with Library(home, model=tiny_model, embedder_factory=_OtherDims, precision="fp32") as lib, \
            pytest.raises(LibraryError, match="7-dimensional"):
        lib.search_text("x")


def test_browse_is_newest_first_by_date_taken(library, tmp_path: Path) -> None:
    folder = tmp_path / "dated"
    for name, date in [("old.jpg", "2001:01:01 10:00:00"), ("new.jpg", "2023:05:01 10:00:00"),
                       ("mid.jpg", "2012:06:01 10:00:00")]:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[36867] = date
        make_photo(folder / name, seed=len(name) + ord(name[0]), exif=exif.tobytes())
    undated = make_photo(folder / "undated.jpg", seed=42)
    os.utime(undated, (1_262_347_200, 1_262_347_200))  # 2010-01-01: no EXIF date, its file's
    library.add_folder(folder)
    library.index()

    photos = [r for r in library.photos(library.browse_ids()) if r]
    names = [os.path.basename(r.path) for r in photos]

    assert names == ["new.jpg", "mid.jpg", "undated.jpg", "old.jpg"]
    assert [r.taken_source for r in photos] == ["exif", "exif", "file", "exif"]
    assert [os.path.basename(r.path) for r in library.browse_page(3)] == names[:3]
    assert [os.path.basename(r.path) for r in library.browse_page(3, after=photos[2])] == ["old.jpg"]


def test_stats_describe_the_library(library, photos: Path, tiny_model: str) -> None:
    (photos / "bad.jpg").write_bytes(b"nope")
    library.add_folder(photos)
    library.index()
    stats = library.stats()
    assert stats["photos"] == 12
    assert stats["folders"] == 1
    assert stats["offline_folders"] == 0
    assert stats["skipped"] == 1
    assert stats["model"] == tiny_model
    assert stats["dims"] == 32
    assert Path(stats["database"]).is_relative_to(library.paths.data)
    assert stats["database_bytes"] > 0


def test_the_real_model_keeps_its_compiled_graphs_in_this_librarys_cache(
    home: AppPaths, tiny_model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine takes its cache folder from the library's paths, not from the environment."""
    monkeypatch.setenv("INPHOTOS_HOME", str(tmp_path / "elsewhere"))
    with Library(home, model=tiny_model) as lib:
        assert lib.embedder.cache_dir == home.cache / "torch-compile"  # type: ignore[attr-defined]
    assert not (tmp_path / "elsewhere").exists()
