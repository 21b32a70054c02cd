"""One photo, several files: RAW+JPEG pairs and Live Photos are one item, indexed once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from inphotos.core import raw
from inphotos.core.pairs import pair_up
from tests.conftest import make_photo
from tests.dng import write_dng
from tests.helpers import CountingEmbedder, check_library_consistent, make_colour_video

pillow_heif.register_heif_opener()


@dataclass(frozen=True)
class F:
    path: str


def _pairs(*names: str) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    kept, companions = pair_up(F(f"/p/{n}") for n in names)
    return ([os.path.basename(e.path) for e in kept],
            {os.path.basename(k): tuple(os.path.basename(p) for p in v) for k, v in companions.items()})


def test_pairs_are_made_by_folder_and_name_and_the_fastest_picture_is_indexed() -> None:
    assert _pairs("IMG_1.CR2", "IMG_1.JPG") == (["IMG_1.JPG"], {"IMG_1.JPG": ("IMG_1.CR2",)})
    assert _pairs("IMG_2.HEIC", "IMG_2.MOV") == (["IMG_2.HEIC"], {"IMG_2.HEIC": ("IMG_2.MOV",)})
    assert _pairs("a.heic", "a.jpg", "a.dng", "a.mov") == (["a.heic", "a.jpg"], {"a.jpg": ("a.dng", "a.mov")})
    # Two pictures stay two photos; a RAW alone, or two RAWs, are photos of their own.
    assert _pairs("b.jpg", "b.png") == (["b.jpg", "b.png"], {})
    assert _pairs("c.nef", "c.dng", "d.arw") == (["c.nef", "c.dng", "d.arw"], {})
    # A Live Photo video without its picture is no photo; other names never pair.
    assert _pairs("lone.mov", "IMG_3.jpg", "IMG_30.cr2") == (["IMG_3.jpg", "IMG_30.cr2"], {})
    # Same name in another folder: not a pair.
    kept, companions = pair_up([F("/a/x.jpg"), F("/b/x.cr2")])
    assert (len(kept), companions) == (2, {})


def _dng(path: Path, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    scene = np.repeat(np.repeat(rng.integers(0, 256, (4, 6, 3), dtype=np.uint8), 50, 0), 50, 1)
    return write_dng(path, scene, Image.fromarray(scene).resize((240, 160)))


def _rows(library) -> dict[str, tuple[int, tuple[str, ...]]]:
    return {os.path.basename(r.path): (r.id, tuple(os.path.basename(c) for c in r.companions))
            for r in library.store.all_photos()}


@pytest.fixture
def shoot(tmp_path: Path) -> Path:
    """What a camera and a phone leave in a folder."""
    root = tmp_path / "shoot"
    make_photo(root / "IMG_1.JPG", seed=1)
    _dng(root / "IMG_1.DNG", seed=1)  # RAW+JPEG
    make_photo(root / "IMG_2.HEIC", seed=2, size=(64, 48), fmt="HEIF")
    (root / "IMG_2.MOV").write_bytes(b"\0\0\0\x14ftypqt  " + b"\0" * 64)  # its Live Photo video
    _dng(root / "IMG_3.DNG", seed=3)  # RAW only
    make_colour_video(root / "clip.mov", [(200, 30, 30)], seconds=1.0)  # a video alone
    return root


def test_a_pair_is_one_item_indexed_once_and_not_again(
    library, counter: CountingEmbedder, shoot: Path
) -> None:
    library.add_folder(shoot)
    report = library.index()

    assert report.skipped == []
    # Three photos, and the lone video as a video of its own (its frames); the Live Photo's
    # video beside its picture is not decoded at all (its bytes are not even a video here).
    assert counter.images >= 4
    rows = _rows(library)
    assert {k: v[1] for k, v in rows.items()} == {
        "IMG_1.JPG": ("IMG_1.DNG",), "IMG_2.HEIC": ("IMG_2.MOV",), "IMG_3.DNG": (),
        "clip.mov": (),
    }
    photo = library.store.photo_by_path(str(shoot / "IMG_1.JPG"))
    assert photo.files == (str(shoot / "IMG_1.JPG"), str(shoot / "IMG_1.DNG"))
    check_library_consistent(library)

    counter.images = 0
    again = library.index()
    assert counter.images == 0
    assert (again.added, again.updated, again.moved, again.removed) == (0, 0, 0, 0)
    assert _rows(library) == rows


def test_deleting_or_adding_a_file_of_a_pair_keeps_the_photo(
    library, counter: CountingEmbedder, shoot: Path
) -> None:
    library.add_folder(shoot)
    library.index()
    first = _rows(library)
    counter.images = 0

    # The RAW deleted: the JPEG stays, single now, its vector kept.
    os.remove(shoot / "IMG_1.DNG")
    library.index()
    assert _rows(library)["IMG_1.JPG"] == (first["IMG_1.JPG"][0], ())
    # Copied back: a pair again, still nothing embedded.
    _dng(shoot / "IMG_1.DNG", seed=1)
    library.index()
    assert _rows(library)["IMG_1.JPG"] == first["IMG_1.JPG"]
    assert counter.images == 0

    # The JPEG deleted: the RAW takes the photo over (same item, now read from the RAW).
    os.remove(shoot / "IMG_1.JPG")
    report = library.index()
    assert counter.images == 1
    assert report.removed == 0
    rows = _rows(library)
    assert "IMG_1.JPG" not in rows
    assert rows["IMG_1.DNG"] == (first["IMG_1.JPG"][0], ())

    # A JPEG exported beside a RAW indexed alone: the pair is one item, shown as the JPEG.
    make_photo(shoot / "IMG_3.JPG", seed=3)
    library.index()
    rows = _rows(library)
    assert "IMG_3.DNG" not in rows
    assert rows["IMG_3.JPG"] == (first["IMG_3.DNG"][0], ("IMG_3.DNG",))
    assert library.store.count() == 4  # three photos and the video
    check_library_consistent(library)


def test_renaming_the_jpeg_of_a_pair_splits_it_and_the_jpeg_keeps_its_vector(
    library, counter: CountingEmbedder, shoot: Path
) -> None:
    library.add_folder(shoot)
    library.index()
    first = _rows(library)
    counter.images = 0

    os.rename(shoot / "IMG_1.JPG", shoot / "beach.jpg")
    report = library.index()

    rows = _rows(library)
    assert rows["beach.jpg"] == (first["IMG_1.JPG"][0], ())  # moved, vector and all
    assert rows["IMG_1.DNG"][1] == ()  # a photo of its own now, read from the RAW
    assert counter.images == 1
    assert (report.moved, report.added) == (1, 1)
    check_library_consistent(library)


def test_raws_skipped_for_want_of_rawpy_are_indexed_once_it_is_installed(
    library, shoot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(raw, "_rawpy", False)  # as if rawpy were not installed
    library.add_folder(shoot)
    report = library.index()
    assert report.skipped == [(str(shoot / "IMG_3.DNG"), raw.NEEDS_RAWPY)]
    assert "IMG_1.JPG" in _rows(library)  # a pair needs no rawpy: its JPEG is read
    assert library.index().skipped == []  # not retried while rawpy is still missing

    monkeypatch.undo()
    report = library.index()
    assert (report.added, report.skipped) == (1, [])
    assert "IMG_3.DNG" in _rows(library)
    assert library.store.skipped() == []
