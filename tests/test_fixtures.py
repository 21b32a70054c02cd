"""The suite's own safety nets: they must see what they are there to catch."""

from __future__ import annotations

import threading

from inphotos.workers.runner import Runner
from tests.helpers import running_pool_jobs


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
