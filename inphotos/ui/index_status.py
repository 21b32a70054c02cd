"""The status-bar strip for indexing: progress, rate, time left, pause/resume, cancel, skipped."""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QToolButton, QWidget

from inphotos.records import IndexProgress


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s left"
    if seconds < 3600:
        return f"{seconds // 60} min left"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min left"


class IndexStatus(QWidget):
    pause_toggled = pyqtSignal(bool)  # True: pause
    cancel_requested = pyqtSignal()
    skipped_clicked = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setMaximumWidth(220)
        self.bar.setTextVisible(True)
        self.pause_button = QToolButton(self)
        self.pause_button.setText("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._on_pause)
        self.cancel_button = QToolButton(self)
        self.cancel_button.setText("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.skipped_button = QPushButton(self)
        self.skipped_button.setFlat(True)
        self.skipped_button.clicked.connect(self.skipped_clicked)
        self.skipped_button.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.label, self.bar, self.pause_button, self.cancel_button, self.skipped_button):
            layout.addWidget(w)
        self.set_running(False)

    def set_running(self, running: bool) -> None:
        for w in (self.bar, self.pause_button, self.cancel_button):
            w.setVisible(running)
        self.label.clear()
        self._last: IndexProgress | None = None
        if not running:
            self.pause_button.setChecked(False)
        self.model_ready = True

    def set_model_ready(self, ready: bool) -> None:
        """Whether the model is loaded: until it is, indexing waits for it and says so."""
        self.model_ready = ready
        if self._last is not None:
            self.show_progress(self._last)

    def show_cancelled(self, waiting: int | None) -> None:
        """A cancelled run: how much still waits, until the next run starts."""
        if waiting:
            self.label.setText(f"Indexing cancelled · {waiting:,} photo{'s' if waiting != 1 else ''}"
                               " waiting · Rescan (F5) to go on")
        else:
            self.label.setText("Indexing cancelled · Rescan (F5) to go on")

    def set_skipped(self, count: int) -> None:
        self.skipped_button.setVisible(count > 0)
        self.skipped_button.setText(f"{count:,} file{'s' if count != 1 else ''} skipped")

    def show_progress(self, p: IndexProgress) -> None:
        self._last = p
        paused = self.pause_button.isChecked()
        if p.phase == "scanning":
            self.bar.setRange(0, 0)
            found = f" {p.done:,} found" if p.done else ""
            self.label.setText("Paused" if paused else f"Looking for new photos…{found}")
        elif p.phase == "embedding":
            self.bar.setRange(0, max(1, p.total))
            self.bar.setValue(p.done)
            self.bar.setFormat(f"{p.done:,} / {p.total:,}")
            if paused:  # no rate or time left: nothing runs
                self.label.setText(f"Paused · {p.total - p.done:,} photos to go")
            elif p.done == 0 and not self.model_ready:
                self.label.setText(f"Waiting for the model to load before indexing "
                                   f"{p.total:,} photos…")
            elif p.done == 0:
                self.label.setText(f"Indexing {p.total:,} photos · starting…")
            else:
                self.label.setText(f"Indexing · {p.rate:.1f} photos/s · {format_eta(p.eta_s)}")

    def _on_pause(self, checked: bool) -> None:
        self.pause_button.setText("Resume" if checked else "Pause")
        self.pause_toggled.emit(checked)
        if self._last is not None:
            self.show_progress(self._last)
