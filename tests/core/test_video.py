"""Videos in the library: a few keyframes sampled (never the whole file), a video found once
by its best frame at that frame's time, find similar from a video, moves, deletions and
changes picked up like a photo's, and videos switched off.

Rankings come from ColourEmbedder (tests/helpers.py): a video whose seconds are red, green
and blue matches "green" at 1 s.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from inphotos.core import formats, video
from inphotos.core.library import Library
from inphotos.errors import DecodeError
from inphotos.paths import app_paths
from inphotos.records import Filters, SearchRequest
from tests.helpers import (
    ColourEmbedder,
    check_library_consistent,
    colour_model,
    make_colour_photo,
    make_colour_video,
)

RED, GREEN, BLUE, YELLOW = (220, 30, 30), (30, 200, 40), (30, 40, 220), (220, 220, 30)


def _library(tmp: Path, videos: bool = True) -> Library:
    return Library(app_paths(tmp / "home").ensure(), colour_model(tmp / "model"),
                   embedder_factory=ColourEmbedder, workers=1, videos=videos)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Grey photos, a red one and a blue one, and a 3 s video: red, green, blue seconds."""
    root = tmp_path / "photos"
    for i in range(8):
        make_colour_photo(root / f"grey_{i}.jpg", (90 + 8 * i, 95 + 8 * i, 90 + 8 * i), seed=i)
    make_colour_photo(root / "red.jpg", RED, seed=20)
    make_colour_photo(root / "blue.jpg", BLUE, seed=21)
    make_colour_video(root / "clips" / "rgb.mp4", [RED, GREEN, BLUE])
    return root


@pytest.fixture
def lib(tmp_path: Path, root: Path) -> Iterator[Library]:
    library = _library(tmp_path)
    library.add_folder(root)
    library.index()
    yield library
    library.close()


def _names(hits) -> list[str]:
    return [os.path.basename(h.photo.path) for h in hits]


def test_frames_are_sampled_evenly_within_caps() -> None:
    assert video.sample_times(3.0) == [0.0, 1.0, 2.0]  # a short clip: one a second
    assert video.sample_times(60.0) == [0.0, 15.0, 30.0, 45.0]  # a minute: a few photos' worth
    long = video.sample_times(2 * 3600.0)
    assert len(long) == video.MAX_FRAMES
    assert long[1] == pytest.approx(600.0)
    assert video.sample_times(0.0) == [0.0]  # length unknown: the first frame


@pytest.mark.parametrize("ext", ["mp4", "mov", "m4v", "mkv", "webm", "avi"])
def test_each_container_gives_its_frames_at_their_times(tmp_path: Path, ext: str) -> None:
    path = make_colour_video(tmp_path / f"clip.{ext}", [RED, GREEN, BLUE])
    assert formats.is_video_name(path.name.upper())
    v = video.read_frames(path, 32)
    assert v.duration_ms == 3000
    assert (v.width, v.height) == (96, 64)
    assert [f.time_ms for f in v.frames] == [0, 1000, 2000]
    assert [ColourEmbedder().colour_name(np.asarray(f.image, np.float32).mean((0, 1)) / 255)
            for f in v.frames] == ["red", "green", "blue"]


def test_a_long_video_is_sampled_by_seeking_not_decoded_whole(tmp_path: Path) -> None:
    # Two hours, one frame every 10 s (720 in all), a keyframe every 10 minutes.
    path = make_colour_video(tmp_path / "long.mkv", [RED, BLUE] * 6, seconds=600,
                             fps=Fraction(1, 10), keyframe_s=600)
    v = video.read_frames(path, 32)
    assert v.duration_ms == pytest.approx(2 * 3600 * 1000, rel=0.01)
    assert [f.time_ms for f in v.frames] == [i * 600_000 for i in range(12)]
    assert [f.image.getpixel((4, 4))[0] > 128 for f in v.frames] == [True, False] * 6  # red, blue
    assert v.decoded == len(v.frames) == video.MAX_FRAMES  # only the keyframes sampled
    assert v.packets < 720 / 10  # a few packets per seek, not the file
    # Keyframes sparser than the samples: each is taken once, at its own time.
    sparse = make_colour_video(tmp_path / "sparse.mp4", [RED] * 4, seconds=900,
                               fps=Fraction(1, 30), keyframe_s=1800)
    times = [f.time_ms for f in video.read_frames(sparse, 32).frames]
    assert times == [0, 1_800_000]


def test_a_video_is_found_once_at_the_time_of_its_best_frame(lib: Library) -> None:
    check_library_consistent(lib)
    row = lib.store.photo_by_path(str(Path(lib.store.folders()[0].path) / "clips" / "rgb.mp4"))
    assert row is not None
    assert row.is_video
    assert row.duration_ms == 3000
    assert (row.width, row.height) == (96, 64)
    assert [f.time_ms for f in lib.store.frames_of([row.id])[row.id]] == [0, 1000, 2000]
    for word, at_ms in (("red", 0), ("green", 1000), ("blue", 2000)):
        result = lib.search(SearchRequest(text=word, include_weaker=True), k=20)
        names = _names(result.hits)
        assert names.count("rgb.mp4") == 1, (word, names)
        hit = next(h for h in result.hits if h.photo.id == row.id)
        assert hit.frame_ms == at_ms, word
        assert hit.match
        # A ranked list without a cut-off (the command line's plain search) agrees.
        ranked = lib.search_text(word, k=20)
        assert _names(ranked).count("rgb.mp4") == 1
        assert next(h for h in ranked if h.photo.id == row.id).frame_ms == at_ms
    # Green is only in the video: it comes first, as its green second.
    assert _names(lib.search(SearchRequest(text="green"), k=5).hits)[0] == "rgb.mp4"
    # Filtered searches (searched exactly over the few that pass) rank it by its frames too.
    only = lib.search(SearchRequest(text="green", filters=Filters(types=("video",))), k=5)
    assert _names(only.hits) == ["rgb.mp4"]
    assert only.hits[0].frame_ms == 1000
    photos = lib.search(SearchRequest(text="green", filters=Filters(types=("jpg",)),
                                      include_weaker=True), k=50)
    assert "rgb.mp4" not in _names(photos.hits)
    # The timeline lists it once too.
    assert _names(lib.browse(k=50).hits).count("rgb.mp4") == 1
    assert lib.thumbs.get(row.path, row.mtime_ns, row.size) is not None  # a frame as thumbnail


def test_find_similar_from_a_video_finds_photos_and_videos(lib: Library, root: Path) -> None:
    make_colour_video(root / "clips" / "red_then_yellow.webm", [RED, YELLOW], seconds=1)
    lib.index()
    check_library_consistent(lib)
    rgb = lib.store.photo_by_path(str(root / "clips" / "rgb.mp4"))
    assert rgb is not None
    hits = lib.similar_to_photos([rgb.id], k=4)  # its first frame: red
    names = _names(hits)
    assert "rgb.mp4" not in names
    assert set(names[:2]) == {"red.jpg", "red_then_yellow.webm"}
    assert next(h for h in hits if h.photo.is_video).frame_ms == 0
    # "like this file": a video file on disk works as the query too.
    assert _names(lib.similar_to_file(root / "clips" / "rgb.mp4", k=2))[0] in {
        "red.jpg", "red_then_yellow.webm"}


def test_moving_deleting_and_changing_a_video(lib: Library, root: Path) -> None:
    clip = root / "clips" / "rgb.mp4"
    before = lib.store.photo_by_path(str(clip))
    assert before is not None
    frames = lib.store.frame_count()
    moved = root / "renamed.mp4"  # (a folder left empty would be taken for an unplugged drive)
    shutil.move(clip, moved)
    report = lib.index()
    assert (report.moved, report.added, report.removed) == (1, 0, 0)
    after = lib.store.photo_by_path(str(moved))
    assert after is not None
    assert after.id == before.id
    assert lib.store.frame_count() == frames
    check_library_consistent(lib)

    make_colour_video(moved, [BLUE, GREEN, RED], seconds=2)  # changed in place
    report = lib.index()
    assert report.updated == 1
    changed = lib.store.photo_by_path(str(moved))
    assert changed is not None
    assert changed.duration_ms == 6000
    assert [f.time_ms for f in lib.store.frames_of([changed.id])[changed.id]] == [0, 2000, 4000]
    red = next(h for h in lib.search_text("red", k=20) if h.photo.id == changed.id)
    assert red.frame_ms == 4000
    check_library_consistent(lib)

    moved.unlink()
    report = lib.index()
    assert report.removed == 1
    assert lib.store.frame_count() == 0
    assert "renamed.mp4" not in _names(lib.search_text("green", k=20))
    check_library_consistent(lib)


def test_videos_switched_off_are_not_indexed_and_are_forgotten(tmp_path: Path, root: Path) -> None:
    with _library(tmp_path, videos=False) as lib:
        lib.add_folder(root)
        lib.index()
        assert lib.store.count() == 10
        assert lib.store.frame_count() == 0
    with _library(tmp_path) as lib:  # switched on: indexed
        assert lib.index().added == 1
        assert lib.store.frame_count() == 3
    with _library(tmp_path, videos=False) as lib:  # off again: forgotten, thumbnail too
        row = lib.store.photo_by_path(str(root / "clips" / "rgb.mp4"))
        assert row is not None
        assert lib.index().removed == 1
        assert lib.store.frame_count() == 0
        assert all(not h.photo.is_video for h in lib.search_text("green", k=20))
        assert lib.thumbs.get(row.path, row.mtime_ns, row.size) is None
        check_library_consistent(lib)


def test_a_damaged_video_is_skipped_with_a_reason(lib: Library, root: Path) -> None:
    (root / "broken.mov").write_bytes(b"\x00\x00\x00\x18ftypqt  " + os.urandom(4000))
    (root / "audio_only.mkv").write_bytes(b"")  # empty
    report = lib.index()
    reasons = dict(report.skipped)
    assert "video" in reasons[str(root / "broken.mov")]
    assert "empty" in reasons[str(root / "audio_only.mkv")]
    check_library_consistent(lib)
    with pytest.raises(DecodeError, match="video"):
        video.read_frames(root / "broken.mov", 32)


def test_the_check_finds_frames_of_no_video(lib: Library) -> None:
    from inphotos.db.obx import WriteTx

    assert lib.check() == []
    frame = next(iter(lib.store.frames_of(lib.store.ids_newest_first()).values()))[0]
    with WriteTx(lib.store._store):  # a frame whose video is gone (a bug would leave it)
        lib.store._put_frames(987654, [frame])
    assert lib.check() == ["1 video frame(s) belong to no video"]


def test_videos_reach_the_model_in_batches_of_the_batch_size(tmp_path: Path, root: Path) -> None:
    sizes: list[int] = []

    class Recording(ColourEmbedder):
        def encode_pixels(self, batch):  # type: ignore[no-untyped-def]
            sizes.append(len(batch))
            return super().encode_pixels(batch)

    for i in range(5):
        make_colour_video(root / "more" / f"v{i}.mp4", [GREEN, RED, BLUE])
    with Library(app_paths(tmp_path / "home").ensure(), colour_model(tmp_path / "model"),
                 embedder_factory=Recording, workers=1, batch_size=4) as lib:
        lib.add_folder(root)
        assert lib.index().added == 16  # 10 photos, 6 videos
        assert max(sizes) <= 4
        assert sum(sizes) == 10 + 6 * 3
        assert lib.store.frame_count() == 18
        check_library_consistent(lib)
