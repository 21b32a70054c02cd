"""Privacy on a shared computer: InPhotos' folders are 0700 and its files 0600 whatever the
umask, and the single-instance socket lives where no other user can create it first."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from inphotos.core.library import Library
from inphotos.log import setup_logging
from inphotos.paths import app_paths


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_database_meta_logs_and_thumbnails_are_owner_only(
    umask, tiny_model, counter, photos, tmp_path
) -> None:
    import logging

    paths = app_paths(tmp_path / "home").ensure()
    log_file = setup_logging(paths.logs)
    logging.getLogger("inphotos.test").warning("a line naming %s", photos)
    try:
        with Library(paths, model=tiny_model, embedder_factory=lambda: counter, workers=1) as lib:
            lib.add_folder(photos)
            lib.index()
            from inphotos.config import Settings

            Settings().save(paths.config_file)
    finally:
        for h in list(logging.getLogger().handlers):
            if getattr(h, "_inphotos", False):
                logging.getLogger().removeHandler(h)
                h.close()
    assert log_file.exists()
    seen_files = 0
    loose: list[str] = []
    for top in (paths.data, paths.cache, paths.config, paths.logs):
        for dirpath, _dirs, files in os.walk(top):
            mode = stat.S_IMODE(os.stat(dirpath).st_mode)
            if mode & 0o077:
                loose.append(f"{dirpath} {oct(mode)}")
            for name in files:
                p = Path(dirpath) / name
                mode = stat.S_IMODE(p.stat().st_mode)
                seen_files += 1
                if mode & 0o077:
                    loose.append(f"{p} {oct(mode)}")
    assert seen_files > 15  # database, meta, lock, thumbnails, settings, log
    assert loose == []


def test_doorbell_is_in_a_folder_of_this_users_own(tmp_path) -> None:
    from inphotos.ui.single_instance import server_name

    short = app_paths(tmp_path / "h").ensure()
    name = server_name(short.data)
    assert os.path.isabs(name)
    folder = Path(name).parent
    st = os.stat(folder)
    assert st.st_uid == os.getuid()
    assert not stat.S_IMODE(st.st_mode) & 0o077
    deep = app_paths(tmp_path / ("x" * 120)).ensure()  # too long for a socket path in it
    name = server_name(deep.data)
    assert os.path.isabs(name)
    st = os.stat(Path(name).parent)
    assert st.st_uid == os.getuid()
    assert not stat.S_IMODE(st.st_mode) & 0o077
