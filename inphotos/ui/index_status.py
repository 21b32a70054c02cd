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
        if not running:
            self.pause_button.setChecked(False)
            self.label.clear()

    def set_skipped(self, count: int) -> None:
        self.skipped_button.setVisible(count > 0)
        self.skipped_button.setText(f"{count:,} file{'s' if count != 1 else ''} skipped")

    def show_progress(self, p: IndexProgress) -> None:
        if p.phase == "scanning":
            self.bar.setRange(0, 0)
            self.label.setText(f"Looking for photos… {p.done:,}" if p.done else "Looking for photos…")
        elif p.phase == "embedding":
            self.bar.setRange(0, max(1, p.total))
            self.bar.setValue(p.done)
            self.bar.setFormat(f"{p.done:,} / {p.total:,}")
            paused = " (paused)" if self.pause_button.isChecked() else ""
            self.label.setText(f"Indexing · {p.rate:.1f} photos/s · {format_eta(p.eta_s)}{paused}")

    def _on_pause(self, checked: bool) -> None:
        self.pause_button.setText("Resume" if checked else "Pause")
        self.pause_toggled.emit(checked)
