"""The preview of a RAW+JPEG pair lists both files, each to open or show in its folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inphotos.ui import desktop
from tests.conftest import make_photo
from tests.dng import write_dng

WAIT = 60_000


def test_preview_lists_every_file_of_a_pair_with_open_and_show(
    qtbot, window, tmp_path: Path, monkeypatch
) -> None:
    root = tmp_path / "shoot"
    make_photo(root / "IMG_7.JPG", seed=7)
    write_dng(root / "IMG_7.dng", np.full((40, 60, 3), 120, np.uint8))  # the camera's RAW
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT) as done:
        window.add_folder(str(root))
    assert done.args[0].added == 1  # one photo, not two
    qtbot.waitUntil(lambda: window.photo_model.rowCount() == 1, timeout=WAIT)

    with qtbot.waitSignal(window.session.queries.preview_ready, timeout=WAIT):
        window.preview.open(0)
    dialog = window.preview.dialog
    assert dialog is not None
    text = dialog.files.text()
    assert "IMG_7.JPG" in text
    assert "IMG_7.dng (RAW)" in text
    assert text.count("Show in folder") == 2

    shown, opened = [], []
    monkeypatch.setattr(desktop, "show_in_folder", lambda p: shown.append(p) or True)
    monkeypatch.setattr(desktop, "open_file", lambda p: opened.append(p) or True)
    dialog.files.linkActivated.emit("show:1")
    dialog.files.linkActivated.emit("open:0")
    assert shown == [str(root / "IMG_7.dng")]
    assert opened == [str(root / "IMG_7.JPG")]
