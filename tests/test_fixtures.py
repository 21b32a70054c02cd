"""The suite's own safety nets: they must see what they are there to catch."""

from __future__ import annotations

import threading

import pytest

from inphotos.workers.runner import Runner
from tests.helpers import check_library_consistent, running_pool_jobs


def test_a_pool_job_is_seen_while_it_runs_and_not_after(qtbot) -> None:
    """What `_no_dangling_threads` relies on: Python's thread list never shows pool workers."""
    runner = Runner(1, "probe")
    started, release = threading.Event(), threading.Event()
    runner.submit("block", 0, lambda: (started.set(), release.wait(10)))
    try:
        assert started.wait(5)
        assert running_pool_jobs() == {"probe": 1}
        assert running_pool_jobs(wait_s=0.1) == {"probe": 1}  # waiting does not hide it
    finally:
        release.set()
    assert running_pool_jobs(wait_s=5) == {}
    assert runner.shutdown()


def test_the_consistency_check_sees_a_gone_file_and_a_truncated_thumbnail(
    library, photos_indexed, photos
) -> None:
    assert check_library_consistent(library) == 12
    (photos / "img_01.jpg").unlink()
    with pytest.raises(AssertionError, match="a row for a file that is gone"):
        check_library_consistent(library)
    assert check_library_consistent(library, files_on_disk=False) == 12  # a killed run's leftovers
    thumb = next(p for p in library.paths.thumbnails.rglob("*") if p.is_file())
    thumb.write_bytes(thumb.read_bytes()[:200])
    with pytest.raises(OSError, match=r"(?i)truncated"):
        check_library_consistent(library, files_on_disk=False)
