"""Videos in the window: a duration badge on the grid cell, the preview playing from the
moment a search matched, and a clear message with the still frame where video cannot play.

Rankings come from ColourEmbedder (tests/helpers.py): the video's green seconds start at 6 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PyQt6.QtCore import QModelIndex, QRect, Qt
from PyQt6.QtGui import QImage, QPainter
from PyQt6.QtWidgets import QStyleOptionViewItem

from inphotos.config import Settings
from inphotos.paths import AppPaths
from inphotos.ui import video_player
from inphotos.ui.delegate import ThumbnailDelegate
from inphotos.ui.photo_model import VideoRole
from tests.helpers import make_colour_photo, make_colour_video
from tests.ui.conftest import colour_window

WAIT = 60_000
RED, GREEN, GREY = (220, 30, 30), (30, 200, 40), (128, 128, 128)


@pytest.fixture
def clips(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    for i in range(6):
        make_colour_photo(root / f"grey_{i}.jpg", (80 + 10 * i, 85 + 10 * i, 80 + 10 * i), seed=i)
    make_colour_photo(root / "red.jpg", RED, seed=9)
    # 9 s: red, then grey, then green from 6 s (sampled at 0, 3 and 6 s).
    make_colour_video(root / "walk.mp4", [RED, GREY, GREEN], seconds=3, fps=8, size=(160, 120))
    return root


@pytest.fixture
def win(qtbot, home: AppPaths, tmp_path: Path, clips: Path) -> Iterator:
    w = colour_window(qtbot, home, tmp_path)
    with qtbot.waitSignal(w.session.index.finished, timeout=WAIT):
        w.add_folder(str(clips))
    qtbot.waitUntil(lambda: w.photo_model.rowCount() == 8, timeout=WAIT)
    yield w
    w.close()


def _search(qtbot, w, text: str) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(w.session.queries.results_ready, timeout=WAIT):
        w.search.clear()
        qtbot.keyClicks(w.search, text)
        qtbot.keyClick(w.search, Qt.Key.Key_Return)


def _open_preview(qtbot, w, row: int):  # type: ignore[no-untyped-def]
    w.grid.setFocus()
    w.grid.setCurrentIndex(w.photo_model.index(row, 0))
    qtbot.keyClick(w.grid, Qt.Key.Key_Return)
    dialog = w.preview.dialog
    assert dialog is not None
    assert dialog.isVisible()
    return dialog


def _green(image: QImage) -> bool:
    c = image.pixelColor(image.width() // 2, image.height() // 2)
    return c.green() > 150 > max(c.red(), c.blue())


def test_a_found_video_has_a_badge_and_its_preview_plays_from_the_match(qtbot, win) -> None:
    _search(qtbot, win, "green")
    model = win.photo_model
    assert Path(model.photo(0).path).name == "walk.mp4"
    assert model.index(0, 0).data(VideoRole) == "▶ 0:06 / 0:09"  # where it matched, of how long
    assert model.frame_ms(0) == 6000
    assert "best match at 0:06" in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    dialog = _open_preview(qtbot, win, 0)
    player = dialog.player
    assert player is not None
    assert player.isVisible()
    assert not dialog.image_label.isVisible()
    assert "video, 0:09" in dialog.caption.text()
    qtbot.waitUntil(lambda: player._still is not None, timeout=WAIT)  # the frame at 6 s
    assert _green(player._still.toImage())
    if player.can_play:
        positions: list[int] = []
        player._player.positionChanged.connect(positions.append)
        qtbot.waitUntil(lambda: any(p >= 6000 for p in positions), timeout=WAIT)
        # It started at the match: no moment before 6 s was played.
        assert all(p == 0 or p >= 6000 for p in positions), positions
        assert not player.message.isVisible()
    else:  # this computer has no working Qt Multimedia: the still frame, and why
        assert player.message.isVisible()
        assert "not available" in player.message.text()
    # A photo opened next shows as a photo again, and the video stops.
    with qtbot.waitSignal(win.session.queries.results_ready, timeout=WAIT):
        qtbot.keyClick(win.search, Qt.Key.Key_Escape)  # back to the whole library
    row = next(r for r in range(model.rowCount()) if model.photo(r).is_video)
    assert model.index(row, 0).data(VideoRole) == "▶ 0:09"  # browsing: its length only
    assert model.frame_ms(row) == 0  # and it would play from the start
    win.preview.open(next(r for r in range(model.rowCount()) if not model.photo(r).is_video))
    assert not player.isVisible()
    assert player.path == ""
    assert dialog.image_label.isVisible()
    qtbot.waitUntil(lambda: dialog._pixmap is not None, timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_without_multimedia_the_preview_shows_the_still_frame_and_says_why(
        qtbot, win, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video_player, "_multimedia", (None, None, "video playback is not "
                        "available on this computer (libpulse.so.0: cannot open shared object file)"))
    _search(qtbot, win, "green")
    dialog = _open_preview(qtbot, win, 0)
    player = dialog.player
    assert player is not None
    assert not player.can_play
    assert player.isVisible()
    assert player.message.isVisible()
    assert "Video playback is not available on this computer (libpulse" in player.message.text()
    assert "still frame" in player.message.text()
    qtbot.waitUntil(lambda: player.still_label.pixmap() is not None
                    and not player.still_label.pixmap().isNull(), timeout=WAIT)
    assert _green(player.still_label.pixmap().toImage())
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


class _Index(QModelIndex):
    """A stand-in cell: the roles the delegate reads."""

    def __init__(self, roles: dict[int, object]) -> None:
        super().__init__()
        self.roles = roles

    def data(self, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return self.roles.get(role)


def _paint(qtbot, roles: dict[int, object]) -> QImage:  # type: ignore[no-untyped-def]
    image = QImage(172, 132, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 172, 132)
    painter = QPainter(image)
    ThumbnailDelegate(160).paint(painter, option, _Index(roles))  # type: ignore[arg-type]
    painter.end()
    return image


def test_the_delegate_draws_a_video_badge_bottom_left(qtbot) -> None:
    plain = _paint(qtbot, {})
    video = _paint(qtbot, {VideoRole: "▶ 1:05"})
    # The badge sits in the cell's bottom left corner, and nowhere else.
    changed = [(x, y) for x in range(0, 172, 2) for y in range(0, 132, 2)
               if plain.pixel(x, y) != video.pixel(x, y)]
    assert changed
    assert max(x for x, _ in changed) < 172 // 2
    assert min(y for _, y in changed) > 132 // 2


def test_switching_videos_off_in_settings_forgets_them(qtbot, win, monkeypatch: pytest.MonkeyPatch) -> None:
    from inphotos.ui.dialogs import SettingsDialog

    def untick_videos(dialog: SettingsDialog) -> int:
        assert dialog.videos_check.isChecked()  # on by default
        dialog.videos_check.setChecked(False)
        return SettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", untick_videos)
    with qtbot.waitSignal(win.session.index.finished, timeout=WAIT):
        win.open_settings()
    qtbot.waitUntil(lambda: win.photo_model.rowCount() == 7, timeout=WAIT)
    assert all(not win.photo_model.photo(r).is_video for r in range(7))
    assert Settings.load(win.paths.config_file).index_videos is False


def test_a_missing_multimedia_library_is_a_reason_not_a_crash(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(video_player, "_multimedia", None)
    import PyQt6

    monkeypatch.setitem(sys.modules, "PyQt6.QtMultimedia", None)  # its import now fails
    monkeypatch.delattr(PyQt6, "QtMultimedia", raising=False)  # (imported by an earlier test)
    mm, widgets, reason = video_player.multimedia()
    assert mm is None
    assert widgets is None
    assert reason.startswith("video playback is not available on this computer")
    player = video_player.open_player("/nowhere/clip.mov", 1500)
    qtbot.addWidget(player)
    assert not player.can_play
    assert player.start_ms == 1500
    assert "not available" in player.message.text()


def test_open_player_plays_a_file_from_a_time_in_a_loop(qtbot, tmp_path: Path) -> None:
    """The API a Live Photo's movie can use: a path, a start time, over and over."""
    clip = make_colour_video(tmp_path / "live.mov", [RED, GREEN], seconds=1, fps=8)
    player = video_player.open_player(str(clip), 1000, loop=True)
    qtbot.addWidget(player)
    player.show()
    if not player.can_play:
        assert player.message.isVisible()
        return
    assert player._player.loops() == -1
    qtbot.waitUntil(lambda: player.is_playing() and player.position_ms() >= 1000, timeout=WAIT)
    player.stop()
    assert not player.is_playing()


def test_a_dropped_video_file_is_something_to_search_with(qtbot, tmp_path: Path) -> None:
    from PyQt6.QtCore import QMimeData, QUrl

    from inphotos.ui.drop import accepts, image_files

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "clip.MOV")),
                  QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    assert accepts(mime)
    assert image_files(mime) == [str(tmp_path / "clip.MOV")]


def test_a_live_photo_plays_its_motion_in_the_preview(qtbot, tmp_path: Path) -> None:
    """A Live Photo is its picture; its video (a companion, core/pairs.py) plays from the
    preview's file list, in place of the picture, over and over."""
    from inphotos.records import PhotoRecord
    from inphotos.ui.preview import PreviewDialog

    picture = make_colour_photo(tmp_path / "IMG_7.JPG", RED, seed=1)
    motion = make_colour_video(tmp_path / "IMG_7.MOV", [RED, GREEN], seconds=1, fps=8)
    photo = PhotoRecord(path=str(picture), folder=str(tmp_path), size=1, mtime_ns=1, width=64,
                        height=48, companions=(str(motion),), id=7)
    dialog = PreviewDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_photo(photo, 0, 1)
    dialog.set_image(7, QImage(64, 48, QImage.Format.Format_RGB32))
    assert "IMG_7.MOV (Live Photo video)" in dialog.files.text()
    assert "play:1" in dialog.files.text()
    assert dialog.player is None or not dialog.player.isVisible()  # the picture first

    dialog.files.linkActivated.emit("play:1")
    assert dialog.player is not None
    assert dialog.player.isVisible()
    assert dialog.player.path == str(motion)
    assert not dialog.image_label.isVisible()
    if dialog.player.can_play:
        assert dialog.player._player.loops() == -1
    else:
        assert dialog.player.message.isVisible()
    dialog.close()  # the motion stops with the preview
    assert dialog.player.path == ""
