"""The preview: one photo large, upright, with its details; arrows move through the results.
A video plays (ui/video_player.py) from the moment a search matched."""

from __future__ import annotations

import html
import os
from datetime import UTC, datetime

from PyQt6.QtCore import QSize, Qt, pyqtSignal
from PyQt6.QtGui import QHideEvent, QImage, QKeyEvent, QPixmap, QResizeEvent
from PyQt6.QtWidgets import QDialog, QLabel, QSizePolicy, QVBoxLayout, QWidget

from inphotos.records import FILE_TYPES, PhotoRecord, format_duration
from inphotos.ui import photo_actions
from inphotos.ui.video_player import VideoPlayer

_RAW = frozenset(FILE_TYPES["raw"])


def describe(photo: PhotoRecord) -> str:
    """File name, date taken, dimensions and folder, for the preview's caption."""
    parts = [f"<b>{html.escape(os.path.basename(photo.path))}</b>"]
    if photo.taken_ms:
        taken = datetime.fromtimestamp(photo.taken_ms / 1000, tz=UTC)
        parts.append(taken.strftime("%d %b %Y, %H:%M"))
    if photo.width and photo.height:
        parts.append(f"{photo.width} × {photo.height}")
    if photo.is_video:
        parts.append(f"video, {format_duration(photo.duration_ms)}" if photo.duration_ms else "video")
    parts.append(html.escape(os.path.dirname(photo.path)))
    return " &nbsp;·&nbsp; ".join(parts)


def _kind(path: str) -> str:
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext in _RAW:
        return "RAW"
    return "Live Photo video" if ext == "mov" else ""


def describe_files(photo: PhotoRecord) -> str:
    """Every file of the photo (a RAW+JPEG pair, a Live Photo's video), each with its links."""
    rows = []
    for i, path in enumerate(photo.files):
        kind = _kind(path) if i else ""
        name = html.escape(os.path.basename(path)) + (f" ({kind})" if kind else "")
        play = f"<a href='play:{i}'>Play</a> &nbsp; " if i and kind == "Live Photo video" else ""
        rows.append(f"{name} &nbsp; {play}<a href='open:{i}'>Open</a> &nbsp; "
                    f"<a href='show:{i}'>Show in folder</a>")
    return "<br>".join(rows)


class PreviewDialog(QDialog):
    """Shows whatever image the window hands it; asks the window to move with ←/→."""

    navigate = pyqtSignal(int)  # -1 previous, +1 next
    tag_chosen = pyqtSignal(str, str)  # a tag was clicked: its category's key and name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preview")
        self.setModal(False)
        self.resize(1100, 800)
        self._pixmap: QPixmap | None = None
        self.photo_id = -1
        self.player: VideoPlayer | None = None  # made for the first video shown
        self.image_label = QLabel("Loading…", self)
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.image_label.setMinimumSize(QSize(200, 150))
        self.image_label.setStyleSheet("background: #111; color: #bbb;")
        self.caption = QLabel(self)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption.setWordWrap(True)
        self.files = QLabel(self)  # the photo's files, each to open or show in its folder
        self.files.setTextFormat(Qt.TextFormat.RichText)
        self.files.linkActivated.connect(self._on_file_link)
        self._files: tuple[str, ...] = ()
        self.tags = QLabel(self)
        self.tags.setTextFormat(Qt.TextFormat.RichText)
        self.tags.setWordWrap(True)
        self.tags.setToolTip("The everyday things this photo shows; click one to see its photos")
        self.tags.linkActivated.connect(self._on_tag)
        self._tag_names: dict[str, str] = {}
        self.position = QLabel(self)
        self.position.setAlignment(Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        self._layout = layout
        layout.addWidget(self.image_label, 1)
        for w in (self.caption, self.files, self.tags, self.position):
            w.setContentsMargins(12, 0, 12, 0)
            layout.addWidget(w)

    def show_photo(self, photo: PhotoRecord, index: int, count: int, start_ms: int = 0) -> None:
        """Show the details at once; the image follows via `set_image`. A video plays from
        `start_ms`; its still frame (shown where it cannot play) follows via `set_image`."""
        self.photo_id = photo.id
        self._pixmap = None
        self.image_label.setPixmap(QPixmap())
        self.image_label.setText("Loading…")
        if photo.is_video:
            self._play(photo.path, start_ms)
        elif self.player is not None:
            self.player.stop()
            self.player.hide()
            self.image_label.show()
        self.caption.setText(describe(photo))
        self._files = photo.files
        self.files.setText(describe_files(photo))
        self.tags.setText("")
        self.position.setText(f"{index + 1} of {count}  ·  ← → to move, Esc to close")
        self.setWindowTitle(os.path.basename(photo.path))

    def _play(self, path: str, start_ms: int = 0, loop: bool = False) -> None:
        """Play `path` where the picture is (a video; a Live Photo's motion, over and over)."""
        if self.player is None:
            self.player = VideoPlayer(self)
            self._layout.insertWidget(0, self.player, 1)
        self.image_label.hide()
        self.player.show()
        self.player.play(path, start_ms, loop=loop)
        if self._pixmap is not None:  # where it cannot play, the photo stays in view
            self.player.set_still(self._pixmap.toImage())

    def set_image(self, photo_id: int, image: QImage) -> None:
        if photo_id != self.photo_id:
            return  # the user already moved on
        if self.player is not None and self.player.isVisible():
            self.player.set_still(image)
            return
        self._pixmap = QPixmap.fromImage(image)
        self._fit()

    def set_tags(self, photo_id: int, tags: list[tuple[str, str, float]] | None) -> None:
        """The photo's categories (key, name, strength), strongest first; None: not known yet."""
        if photo_id != self.photo_id:
            return
        if tags is None:
            self.tags.setText("<i>Tags: being worked out…</i>")
            return
        self._tag_names = {key: name for key, name, _ in tags}
        links = [f'<a href="{html.escape(key)}">{html.escape(name)}</a> {strength:.0%}'
                 for key, name, strength in tags]
        self.tags.setText("Tags: " + " &nbsp;·&nbsp; ".join(links) if links
                          else "<i>Tags: no category stands out</i>")

    def _on_tag(self, key: str) -> None:
        self.tag_chosen.emit(key, self._tag_names.get(key, key))

    def set_error(self, photo_id: int, message: str) -> None:
        if photo_id == self.photo_id:
            self.image_label.setText(f"This photo cannot be shown:\n{message}")
            if self.player is not None and self.player.isVisible():
                self.player.still_label.setText(f"This video cannot be shown:\n{message}")

    def _on_file_link(self, link: str) -> None:
        action, _, index = link.partition(":")
        path = self._files[int(index)]
        if action == "play":  # a Live Photo's motion, in place of its picture
            self._play(path, loop=True)
        elif action == "open":
            photo_actions.open_path(self, path)
        else:
            photo_actions.show_path(self, path)

    def _fit(self) -> None:
        if self._pixmap is None:
            return
        self.image_label.setPixmap(
            self._pixmap.scaled(
                self.image_label.size(), Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def resizeEvent(self, e: QResizeEvent | None) -> None:
        super().resizeEvent(e)
        self._fit()

    def hideEvent(self, e: QHideEvent | None) -> None:
        if self.player is not None:  # closed (Esc too): the sound stops and the file is let go
            self.player.stop()
        super().hideEvent(e)

    def keyPressEvent(self, e: QKeyEvent | None) -> None:
        if e is None:
            return
        if e.key() == Qt.Key.Key_Left:
            self.navigate.emit(-1)
        elif e.key() == Qt.Key.Key_Right:
            self.navigate.emit(1)
        else:
            super().keyPressEvent(e)
