"""Playing a video in the window: `VideoPlayer`, a widget that plays a file from a given time.

Qt Multimedia may be missing or broken on a computer (a Linux without PulseAudio's library,
no codec for the file): the player then shows the still frame it is given and says, in one
line, why the video does not play. It never raises for that. Everything a video shows
(`VideoPlayer.play(path, start_ms)`) is reusable elsewhere, e.g. for the short movie beside a
Live Photo: `open_player(path, start_ms, parent)` makes a ready, playing widget.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from PyQt6.QtCore import QLoggingCategory, Qt, QUrl, pyqtSignal
from PyQt6.QtGui import QImage, QPixmap, QResizeEvent
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from inphotos.records import format_duration

log = logging.getLogger(__name__)

_multimedia: tuple[Any, Any, str] | None = None


def multimedia() -> tuple[Any, Any, str]:
    """(QtMultimedia, QtMultimediaWidgets, "") when video can play here, else (None, None,
    why not). Imported once, on first need: a missing system library must not stop the app."""
    global _multimedia
    if _multimedia is None:
        # Qt Multimedia's FFmpeg backend prints each file's stream details to stderr and
        # warns about every optional system library it looks for (PipeWire, VA-API): notices
        # about the computer, not problems of the video. Its real errors still arrive.
        QLoggingCategory.setFilterRules("qt.multimedia.ffmpeg*=false\n"
                                        "qt.multimedia.symbolsresolver*=false\n"
                                        "qt.multimedia.playbackengine.codec.info=false")
        try:
            from PyQt6 import QtMultimedia, QtMultimediaWidgets

            _multimedia = (QtMultimedia, QtMultimediaWidgets, "")
        except ImportError as e:  # e.g. "libpulse.so.0: cannot open shared object file"
            log.warning("Qt Multimedia unavailable: %s", e)
            _multimedia = (None, None, f"video playback is not available on this computer ({e})")
    return _multimedia


class VideoPlayer(QWidget):
    """A video with play/pause, a position slider and the time; or, when it cannot play, its
    still frame and the reason."""

    #: The video could not be played (the reason); the still frame is shown instead.
    unavailable = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = ""
        self.start_ms = 0
        self._pending_seek = -1
        self._still: QPixmap | None = None
        self._player: Any = None
        self._audio: Any = None
        self.video_widget: QWidget | None = None
        self.still_label = QLabel(self)
        self.still_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.still_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.still_label.setStyleSheet("background: #111; color: #bbb;")
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.play_button = QPushButton("Pause", self)
        self.play_button.clicked.connect(self.toggle)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.sliderMoved.connect(self._on_slider_moved)
        self.time_label = QLabel("0:00 / 0:00", self)
        self._stack = QStackedLayout()
        self._stack.addWidget(self.still_label)
        controls = QHBoxLayout()
        controls.setContentsMargins(8, 0, 8, 0)
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        self._controls = QWidget(self)
        self._controls.setLayout(controls)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._stack, 1)
        layout.addWidget(self.message)
        layout.addWidget(self._controls)
        mm, widgets, reason = multimedia()
        if mm is None:
            self._fail(reason)
            return
        self._player = mm.QMediaPlayer(self)
        self._audio = mm.QAudioOutput(self)
        self._player.setAudioOutput(self._audio)
        self.video_widget = widgets.QVideoWidget(self)
        self.video_widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self._stack.addWidget(self.video_widget)
        self._player.setVideoOutput(self.video_widget)
        self._player.mediaStatusChanged.connect(self._on_status)
        self._player.errorOccurred.connect(self._on_error)
        self._player.positionChanged.connect(self._on_position)
        self._player.durationChanged.connect(self._on_duration)
        self._player.playbackStateChanged.connect(self._on_state)

    # ------------------------------------------------------------ API

    @property
    def can_play(self) -> bool:
        """Whether the video plays (False: the still frame and a message are shown)."""
        return self._player is not None

    def play(self, path: str, start_ms: int = 0, loop: bool = False) -> None:
        """Play `path` from `start_ms` (the moment a search matched); `loop`: over and over
        (a Live Photo's few seconds)."""
        self.path, self.start_ms = path, max(0, start_ms)
        self._still = None
        self.still_label.setPixmap(QPixmap())
        self.still_label.setText("")
        if self._player is None:
            self._show_still()
            return
        self.message.hide()
        self._stack.setCurrentWidget(self.video_widget)
        self._pending_seek = self.start_ms
        self._player.setLoops(-1 if loop else 1)  # QMediaPlayer.Loops.Infinite is -1
        self._player.setSource(QUrl.fromLocalFile(os.path.abspath(path)))
        self._player.play()

    def set_still(self, image: QImage) -> None:
        """The frame to show when the video cannot play (and until it can)."""
        self._still = QPixmap.fromImage(image)
        self._fit_still()

    def position_ms(self) -> int:
        return int(self._player.position()) if self._player is not None else self.start_ms

    def is_playing(self) -> bool:
        if self._player is None:
            return False
        return bool(self._player.playbackState() == self._player.PlaybackState.PlayingState)

    def toggle(self) -> None:
        if self._player is None:
            return
        if self.is_playing():
            self._player.pause()
        else:
            self._player.play()

    def stop(self) -> None:
        """Stop and let go of the file (the preview moved on, or closed)."""
        if self._player is not None:
            self._player.stop()
            self._player.setSource(QUrl())
        self.path = ""

    # ------------------------------------------------------------ slots

    def _on_status(self, status: Any) -> None:
        mm = multimedia()[0]
        ready = (mm.QMediaPlayer.MediaStatus.LoadedMedia, mm.QMediaPlayer.MediaStatus.BufferedMedia)
        if status in ready and self._pending_seek >= 0:
            position, self._pending_seek = self._pending_seek, -1
            if position:
                self._player.setPosition(position)
        elif status == mm.QMediaPlayer.MediaStatus.InvalidMedia:
            self._fail("this video cannot be played here (its format or codec is not supported)")

    def _on_error(self, _error: Any, text: str) -> None:
        if self.path:
            self._fail(f"this video cannot be played here: {text or 'unknown error'}")

    def _on_position(self, ms: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.setValue(int(ms))
        self.time_label.setText(f"{format_duration(ms)} / {format_duration(self.slider.maximum())}")

    def _on_duration(self, ms: int) -> None:
        self.slider.setRange(0, max(0, int(ms)))

    def _on_state(self, _state: Any) -> None:
        self.play_button.setText("Pause" if self.is_playing() else "Play")

    def _on_slider_moved(self, ms: int) -> None:
        if self._player is not None:
            self._player.setPosition(ms)

    # ------------------------------------------------------------ the still frame

    def _fail(self, reason: str) -> None:
        if self._player is not None:
            self._player.stop()
        self.message.setText(f"⚠ {reason[:1].upper()}{reason[1:]}. Showing a still frame instead.")
        self.message.show()
        self._controls.hide()
        self._show_still()
        self.unavailable.emit(reason)

    def _show_still(self) -> None:
        self._stack.setCurrentWidget(self.still_label)
        if self._player is None:
            self._controls.hide()
            self.message.show()
        self._fit_still()

    def _fit_still(self) -> None:
        if self._still is None:
            self.still_label.setText("Loading…")
            return
        self.still_label.setPixmap(self._still.scaled(
            self.still_label.size(), Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, e: QResizeEvent | None) -> None:
        super().resizeEvent(e)
        if self._still is not None:
            self._fit_still()


def open_player(path: str, start_ms: int = 0, parent: QWidget | None = None,
                loop: bool = False) -> VideoPlayer:
    """A player widget already playing `path` from `start_ms` (e.g. a Live Photo's movie,
    with `loop`). Show it anywhere; `stop()` it when it goes out of sight."""
    player = VideoPlayer(parent)
    player.play(path, start_ms, loop)
    return player
