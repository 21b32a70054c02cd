"""Integrity attacks: the index never forgets a photo that is still there and never doubles one.

"No permission" is simulated by injecting PermissionError into the scanner's `os.scandir` for
one folder (the suite runs as root, which chmod cannot stop); a symlinked folder that goes
away is a real dangling link; a drive unmounted inside a library folder is a mount point left
empty.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

import inphotos.core.scanner as scanner
from tests.conftest import make_photo


def _deny(monkeypatch: pytest.MonkeyPatch, folder: Path, err: int = errno.EACCES) -> None:
    real = os.scandir
    denied = os.fspath(folder)

    def scandir(path: str | os.PathLike[str] = ".") -> object:
        if os.fspath(path) == denied:
            raise OSError(err, os.strerror(err), denied)
        return real(path)

    monkeypatch.setattr(scanner.os, "scandir", scandir)


@pytest.mark.parametrize("err", [errno.EACCES, errno.EIO, errno.EKEYEXPIRED])
def test_unreadable_subfolder_keeps_its_photos(library, counter, photos, monkeypatch, err) -> None:
    library.add_folder(photos)
    library.index()
    before = library.store.count()
    counter.images = 0
    _deny(monkeypatch, photos / "trip", err)
    report = library.index()
    assert report.removed == 0
    assert library.store.count() == before
    assert any(p == str(photos / "trip") for p, _ in report.skipped)  # said why
    monkeypatch.undo()
    report = library.index()
    assert counter.images == 0, "the photos came back and were embedded again"
    assert report.added == 0


def test_symlinked_folder_that_goes_away_keeps_its_photos(library, counter, photos, tmp_path) -> None:
    ext = tmp_path / "share"
    for i in range(3):
        make_photo(ext / f"s{i}.jpg", seed=100 + i)
    (photos / "share").symlink_to(ext)
    library.add_folder(photos)
    library.index()
    assert library.store.count() == 15
    ext.rename(tmp_path / "share-gone")
    report = library.index()
    assert report.removed == 0
    assert library.store.count() == 15
    assert str(photos / "share") in report.offline
    (tmp_path / "share-gone").rename(ext)
    counter.images = 0
    library.index()
    assert counter.images == 0


def test_drive_unmounted_inside_a_library_folder_keeps_its_photos(library, counter, photos, tmp_path) -> None:
    usb = photos / "usb"
    for i in range(3):
        make_photo(usb / f"u{i}.jpg", seed=200 + i)
    library.add_folder(photos)
    library.index()
    hidden = tmp_path / "unplugged"
    shutil.move(usb, hidden)
    usb.mkdir()  # the mount point stays, empty
    report = library.index()
    assert report.removed == 0
    assert library.store.count() == 15
    assert str(usb) in report.offline


def test_folder_emptied_by_moves_keeps_vectors_and_is_not_offline(library, counter, tmp_path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for i in range(4):
        make_photo(a / f"p{i}.jpg", seed=300 + i)
    b.mkdir()
    library.add_folder(a)
    library.add_folder(b)
    library.index()
    counter.images = 0
    for f in list(a.iterdir()):
        f.rename(b / f.name)
    report = library.index()
    assert counter.images == 0
    assert report.moved == 4
    assert str(a) not in report.offline
    assert {p.folder for p in library.store.all_photos()} == {str(b)}


def test_renamed_root_added_again_keeps_vectors(library, counter, photos, tmp_path) -> None:
    library.add_folder(photos)
    library.index()
    counter.images = 0
    renamed = tmp_path / "photos-2024"
    photos.rename(renamed)
    library.add_folder(renamed)
    report = library.index()
    assert counter.images == 0
    assert report.moved == 12
    assert library.store.count() == 12
    assert library.store.photos_in_folder_count(str(photos)) == 0


def _bmp(path: Path, middle: int) -> None:
    from PIL import Image

    arr = np.zeros((400, 400, 3), np.uint8)
    arr[:] = 90
    arr[150:250] = middle  # only the middle of the file differs
    Image.fromarray(arr).save(path, "BMP")


def test_move_fingerprint_never_confuses_two_files(library, counter, tmp_path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    _bmp(root / "first.bmp", 0)
    library.add_folder(root)
    library.index()
    first = library.store.photo_by_path(str(root / "first.bmp"), with_embedding=True)
    assert first is not None
    (root / "first.bmp").unlink()
    _bmp(root / "second.bmp", 255)
    assert (root / "second.bmp").stat().st_size == first.size
    counter.images = 0
    report = library.index()
    assert report.moved == 0
    assert counter.images == 1


def test_same_folder_through_a_symlink_is_refused(library, photos, tmp_path) -> None:
    from inphotos.core.library import AlreadyInLibraryError

    link = tmp_path / "link-to-photos"
    link.symlink_to(photos)
    library.add_folder(photos)
    with pytest.raises(AlreadyInLibraryError):
        library.add_folder(link)


def test_symlink_into_another_library_folder_gives_each_photo_once(library, tmp_path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for i in range(2):
        make_photo(a / f"a{i}.jpg", seed=400 + i)
        make_photo(b / "sub" / f"b{i}.jpg", seed=410 + i)
    (a / "to-b").symlink_to(b / "sub")
    (a / "self").symlink_to(a)
    (b / "to-b").symlink_to(b)
    library.add_folder(a)
    library.add_folder(b)
    library.index()
    assert library.store.count() == 4
    library.index()
    assert library.store.count() == 4


def test_own_data_inside_a_library_folder_is_never_indexed(tiny_model, counter, tmp_path) -> None:
    from inphotos.core.library import Library
    from inphotos.paths import app_paths

    usb = tmp_path / "usb"
    for i in range(2):
        make_photo(usb / f"p{i}.jpg", seed=500 + i)
    paths = app_paths(usb / "InPhotos").ensure()
    with Library(paths, model=tiny_model, embedder_factory=lambda: counter, workers=1) as lib:
        lib.add_folder(usb)
        lib.index()
        lib.index()  # the first run wrote thumbnails into the home
        assert lib.store.count() == 2
        assert all("InPhotos" not in p.path for p in lib.store.all_photos())


def test_edit_that_keeps_size_and_mtime_is_caught_by_ctime(library, counter, tmp_path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    photo = root / "edited.bmp"
    _bmp(photo, 0)
    library.add_folder(root)
    library.index()
    before = photo.stat()
    time.sleep(0.02)
    _bmp(photo, 255)  # same size, only the middle differs
    os.utime(photo, ns=(before.st_atime_ns, before.st_mtime_ns))  # touch -r
    assert (photo.stat().st_size, photo.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    counter.images = 0
    report = library.index()
    assert counter.images == 1
    assert report.updated == 1


def test_metadata_only_change_and_older_rows_without_ctime_cost_nothing(
    library, counter, photos
) -> None:
    from inphotos.db.store import WriteBatch

    library.add_folder(photos)
    library.index()
    time.sleep(0.02)
    for p in photos.rglob("*.jpg"):
        p.chmod(0o600)  # the change time moves, the content does not
    counter.images = 0
    report = library.index()
    assert (counter.images, report.moved, report.updated) == (0, 0, 0)
    # An index written before change times were stored: unknown, not a change.
    rows = library.store.all_photos(with_embedding=True)
    assert all(r.ctime_ns for r in rows)
    for r in rows:
        r.ctime_ns = 0
    library.store.write(WriteBatch(photos=rows))
    report = library.index()
    assert (counter.images, report.updated) == (0, 0)
