"""The decode pipeline: background priority, fewer threads on a busy machine, typed failures."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image

from inphotos.core.control import Control
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
from tests.conftest import make_photo


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
