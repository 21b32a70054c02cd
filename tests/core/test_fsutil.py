"""atomic_write: the old file or the new one, never half of either, and no leftovers."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from inphotos.fsutil import atomic_write


def test_atomic_write_replaces_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "settings.json"
    target.write_bytes(b"old content that is longer")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()  # a rename over a non-empty folder fails, as a real write can
    (target / "inside").write_bytes(b"x")
    with pytest.raises(IsADirectoryError):
        atomic_write(target, b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]
    assert (target / "inside").read_bytes() == b"x"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data goes to /dev/full (every write fails with ENOSPC), as on a disk that filled up."""
    target = tmp_path / "meta.json"
    target.write_bytes(b"{}")
    real_fdopen = os.fdopen

    def full_disk(fd: int, mode: str = "r", *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        full = os.open("/dev/full", os.O_WRONLY)
        os.dup2(full, fd)
        os.close(full)
        return real_fdopen(fd, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "fdopen", full_disk)
    with pytest.raises(OSError, match="No space left") as info:
        atomic_write(target, b"x" * 100_000)
    assert info.value.errno == errno.ENOSPC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.json"]
    assert target.read_bytes() == b"{}"
