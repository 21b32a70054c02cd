"""The log file a user is pointed to (crash dialog, Help → Open log folder) has what happened."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from inphotos.log import setup_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    for h in root.handlers:
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_info_from_the_app_reaches_the_log_file_and_chatty_libraries_do_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = setup_logging(tmp_path)
    logging.getLogger("inphotos.core.indexer").info("Index run: 3 added")
    logging.getLogger("PIL.PngImagePlugin").info("STREAM b'IHDR'")
    logging.getLogger("inphotos.app").warning("Something to see")

    text = log_file.read_text(encoding="utf-8")
    assert "Index run: 3 added" in text
    assert "Something to see" in text
    assert "STREAM" not in text
    assert "Something to see" in capsys.readouterr().err
