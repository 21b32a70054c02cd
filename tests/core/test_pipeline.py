"""The decode pipeline: background priority, fewer threads on a busy machine, typed failures."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image

from inphotos.core.control import Control
from inphotos.core.library import Library
from inphotos.core.pipeline import (
    BACKGROUND_NICENESS,
    decode_one,
    decode_workers,
    decoded_batches,
)
from inphotos.core.plan import Work
from inphotos.core.scanner import FileEntry
from inphotos.core.thumbs import ThumbnailCache
from inphotos.ml.pixels import PixelSpec
from inphotos.paths import AppPaths
from tests.conftest import make_photo
from tests.helpers import CountingEmbedder


def _work(path: Path) -> Work:
    st = path.stat()
    return Work(FileEntry(str(path), st.st_size, st.st_mtime_ns), str(path.parent))


def test_an_idle_machine_gets_every_decode_thread() -> None:
    assert decode_workers(load=0.3, cpus=8) == 8
    assert decode_workers(load=3.9, cpus=8) == 8  # under half the cores busy: no change
    assert decode_workers(load=0.0, cpus=2) == 2


def test_a_busy_machine_gets_fewer_decode_threads() -> None:
    assert decode_workers(load=6.0, cpus=8) == 2  # two cores left free
    assert decode_workers(load=8.0, cpus=8) == 1  # fully busy: one thread, never none
    assert decode_workers(load=30.0, cpus=8) == 1


def test_an_explicit_thread_count_is_kept() -> None:
    assert decode_workers(3, load=30.0, cpus=8) == 3


class _PriorityProbe(ThumbnailCache):
    """A real thumbnail cache that also notes the nice value of the thread writing each file."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.seen: list[tuple[int, int]] = []

    def put(self, photo_path, mtime_ns, size, image):  # type: ignore[no-untyped-def]
        tid = threading.get_native_id()
        self.seen.append((tid, os.getpriority(os.PRIO_PROCESS, tid)))
        return super().put(photo_path, mtime_ns, size, image)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_decode_jobs_run_at_background_priority(tmp_path: Path) -> None:
    photos = [make_photo(tmp_path / f"p{i}.jpg", seed=i) for i in range(6)]
    thumbs = _PriorityProbe(tmp_path / "thumbs")
    main_tid = threading.get_native_id()
    main_before = os.getpriority(os.PRIO_PROCESS, main_tid)
    batches = list(decoded_batches([_work(p) for p in photos], PixelSpec(size=32), thumbs,
                                   batch_size=4, workers=2, control=Control()))
    assert [len(b) for b in batches] == [4, 2]
    assert all(not d.error for b in batches for d in b)
    assert len(thumbs.seen) == 6
    assert all(tid != main_tid for tid, _ in thumbs.seen)  # decoded on the pool
    assert all(nice >= BACKGROUND_NICENESS for _, nice in thumbs.seen)
    assert os.getpriority(os.PRIO_PROCESS, main_tid) == main_before  # the caller is untouched


def test_a_file_gone_before_decoding_is_retried_later_not_recorded_as_bad(tmp_path: Path) -> None:
    path = make_photo(tmp_path / "gone.jpg", seed=1)
    work = _work(path)
    path.unlink()
    out = decode_one(work, PixelSpec(size=32), None)
    assert out.error
    assert out.retry_later


def test_a_damaged_file_is_recorded_as_bad(tmp_path: Path) -> None:
    path = tmp_path / "bad.jpg"
    Image.new("RGB", (40, 30)).save(path)
    path.write_bytes(path.read_bytes()[:40])
    out = decode_one(_work(path), PixelSpec(size=32), None)
    assert out.error
    assert not out.retry_later


class _NiceProbe(CountingEmbedder):
    """The real tiny model, noting the nice value of the thread that runs each batch."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        super().__init__(inner)
        self.nice: list[int] = []

    def encode_pixels(self, batch):  # type: ignore[no-untyped-def]
        self.nice.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return super().encode_pixels(batch)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_the_indexing_thread_embeds_at_background_priority(
    home: AppPaths, tiny_model: str, tiny_embedder, photos: Path
) -> None:
    probe = _NiceProbe(tiny_embedder)
    with Library(home, model=tiny_model, embedder_factory=lambda: probe, workers=2) as lib:
        lib.add_folder(photos)
        # On its own thread, as the app's index worker: lowering a priority may be for good.
        runner = threading.Thread(target=lib.index)
        runner.start()
        runner.join(120)
    assert probe.images == 12
    assert probe.nice
    assert all(n >= BACKGROUND_NICENESS for n in probe.nice)
