"""One writer, for real: deleting the lock file (after a crash, or while a process runs)
never lets a second process open the same database."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from inphotos.db.lock import LibraryInUseError, ProcessLock
from inphotos.db.store import PhotoStore
from tests.helpers import reap

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from inphotos.db.store import PhotoStore
    s = PhotoStore(Path(sys.argv[1]), 4, "m")
    print("held", flush=True)
    time.sleep(60)
""")


def test_second_process_refused_after_the_lock_file_is_deleted(tmp_path: Path) -> None:
    db = tmp_path / "db"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        (db / "inphotos.lock").unlink()
        probe = subprocess.run(
            [sys.executable, "-c",
             "import sys; from pathlib import Path; from inphotos.db.store import PhotoStore\n"
             "try:\n    PhotoStore(Path(sys.argv[1]), 4, 'm')\n"
             "except Exception as e:\n    print(type(e).__name__); sys.exit(3)\n", str(db)],
            capture_output=True, text=True, timeout=180, check=False,
        )
        assert probe.returncode == 3, probe.stdout + probe.stderr
        assert "LibraryInUseError" in probe.stdout
    finally:
        reap(holder)


def test_lock_file_deleted_in_this_process_still_refuses(tmp_path: Path) -> None:
    first = ProcessLock(tmp_path / "app.lock")
    (tmp_path / "app.lock").unlink()
    with pytest.raises(LibraryInUseError):
        ProcessLock(tmp_path / "app.lock")
    first.release()
    ProcessLock(tmp_path / "app.lock").release()  # and a stale file after it is harmless


def test_a_write_after_the_database_folder_was_replaced_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "db"
    store = PhotoStore(db, 4, "m")
    try:
        db.rename(tmp_path / "db-old")
        db.mkdir()
        with pytest.raises(LibraryInUseError):
            store.put_folder("/photos")
    finally:
        store.close()
