"""The thumbnail cache: one upright JPEG per photo version, written atomically, never beside photos."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from inphotos.core.imaging import THUMB_SIZE, DecodeError
from inphotos.core.thumbs import ThumbnailCache
from tests.conftest import make_photo


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.usefixtures("photos_indexed")
def test_indexing_fills_the_cache_under_home_with_small_jpegs(library, photos: Path) -> None:

    cache_root = library.paths.thumbnails
    for r in library.store.all_photos():
        thumb = library.thumbs.get(r.path, r.mtime_ns, r.size)
        assert thumb is not None
        assert thumb.is_relative_to(cache_root)
        with Image.open(thumb) as im:
            assert im.format == "JPEG"
            assert max(im.size) == THUMB_SIZE
            assert im.size == (THUMB_SIZE, 240)
    assert len(_files(cache_root)) == 12
    assert not [p for p in _files(cache_root) if p.name.startswith(".tmp-")]


@pytest.mark.usefixtures("photos_indexed")
def test_an_edited_photo_gets_a_new_thumbnail(library, photos: Path) -> None:
    path = photos / "img_01.jpg"
    old = library.store.photo_by_path(str(path))
    make_photo(path, seed=77, size=(200, 100))

    library.index()

    new = library.store.photo_by_path(str(path))
    thumb = library.thumbs.get(new.path, new.mtime_ns, new.size)
    assert thumb is not None
    assert thumb != library.thumbs.path_for(old.path, old.mtime_ns, old.size)
    with Image.open(thumb) as im:
        assert im.size == (200, 100)  # never enlarged


def test_a_failed_write_leaves_neither_a_partial_thumbnail_nor_a_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ThumbnailCache(tmp_path / "cache")
    good = Image.new("RGB", (64, 48), (10, 200, 30))
    target = cache.put("/photos/a.jpg", 1, 100, good)
    before = target.read_bytes()

    def disk_full(self, fp, *args, **kwargs) -> None:
        fp.write(b"\xff\xd8\xff\xe0 half a jpeg")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", disk_full)
    with pytest.raises(OSError, match="No space"):
        cache.put("/photos/a.jpg", 1, 100, good)  # rewriting an existing one
    with pytest.raises(OSError, match="No space"):
        cache.put("/photos/b.jpg", 1, 100, good)  # writing a new one

    assert target.read_bytes() == before
    assert cache.get("/photos/b.jpg", 1, 100) is None
    assert _files(tmp_path / "cache") == [target]


def test_ensure_makes_a_missing_thumbnail_once(tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "p.jpg", seed=1, size=(800, 600))
    cache = ThumbnailCache(tmp_path / "cache")
    st = os.stat(photo)

    first = cache.ensure(str(photo), st.st_mtime_ns, st.st_size)
    made = first.stat().st_mtime_ns
    second = cache.ensure(str(photo), st.st_mtime_ns, st.st_size)

    assert first == second
    assert second.stat().st_mtime_ns == made
    with Image.open(first) as im:
        assert im.size == (THUMB_SIZE, 240)


def test_ensure_on_an_unreadable_photo_raises_decode_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    cache = ThumbnailCache(tmp_path / "cache")
    with pytest.raises(DecodeError):
        cache.ensure(str(bad), 1, 10)
    assert _files(tmp_path / "cache") == []


def test_stale_temp_files_from_a_crash_are_removed(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "cache")
    kept = cache.put("/photos/a.jpg", 1, 100, Image.new("RGB", (8, 8)))
    (kept.parent / ".tmp-abc.jpg").write_bytes(b"half")
    (kept.parent / ".tmp-def.jpg").write_bytes(b"half")

    assert cache.remove_stale_temp_files() == 2
    assert _files(tmp_path / "cache") == [kept]
