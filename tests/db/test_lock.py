"""One process per library: a second one gets a clear message; a crash leaves no stale lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inphotos.db.lock import LibraryInUseError, ProcessLock
from inphotos.db.store import PhotoStore
from tests.helpers import reap


def test_second_lock_is_refused_until_the_first_is_released(tmp_path: Path) -> None:
    first = ProcessLock(tmp_path / "lock")
    with pytest.raises(LibraryInUseError, match="Close it first"):
        ProcessLock(tmp_path / "lock")
    first.release()
    ProcessLock(tmp_path / "lock").release()


def test_a_second_store_on_the_same_database_is_refused(tmp_path: Path) -> None:
    with PhotoStore(tmp_path / "db", 4, "m"), pytest.raises(LibraryInUseError):
        PhotoStore(tmp_path / "db", 4, "m")


def test_the_lock_of_a_killed_process_is_released_by_the_os(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from inphotos.db.lock import ProcessLock; "
         "ProcessLock(Path(sys.argv[1])); print('held', flush=True); time.sleep(60)", str(lock)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LibraryInUseError):
            ProcessLock(lock)
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        deadline = time.monotonic() + 5
        while True:
            try:
                ProcessLock(lock).release()
                break
            except LibraryInUseError:
                assert time.monotonic() < deadline, "the lock outlived the killed process"
                time.sleep(0.05)
    finally:
        reap(holder)
