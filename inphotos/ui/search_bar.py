"""The search field: results follow typing (debounced), Enter searches now, Esc clears."""

from __future__ import annotations

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import QLineEdit, QWidget

DEBOUNCE_MS = 150
PLACEHOLDER = "Describe a photo — e.g. sunset on a beach -people, \"red car\""


class SearchBar(QLineEdit):
    """Emits `search_requested(text)` ~150 ms after typing stops, at once on Enter."""

    search_requested = pyqtSignal(str)  # "" means: show the whole library
    escaped = pyqtSignal()  # Esc: leave what is shown (find similar too) for the library

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(PLACEHOLDER)
        self.setToolTip(
            "Describe what is in the photo, in plain words: dog catching a frisbee\n"
            "-word leaves photos of it out: beach -people\n"
            "\"quoted words\" stay together as one phrase: \"red car\" at night\n"
            "After Find similar, words refine it: at night\n"
            "Esc: back to the whole library")
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(380)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._fire)
        self.textEdited.connect(lambda _: self._timer.start())
        self.returnPressed.connect(self._fire)
        self._last = ""

    def _fire(self) -> None:
        self._timer.stop()
        text = self.text().strip()
        if text != self._last or not text:
            self._last = text
            self.search_requested.emit(text)

    def force(self) -> None:
        """Search again for the current text (e.g. after the index changed)."""
        self._last = None  # type: ignore[assignment]
        self._fire()

    def clear_silently(self) -> None:
        """Empty the field without asking for the whole library (find-similar took over)."""
        self._timer.stop()
        self.clear()
        self._last = ""

    def set_refining(self, label: str) -> None:
        """Say that words now refine "find similar" (`label`: what it started from; "": not)."""
        self.setPlaceholderText(f"Refine photos like {label} with words — e.g. at night"
                                if label else PLACEHOLDER)

    def keyPressEvent(self, e: QKeyEvent | None) -> None:
        if e is not None and e.key() == Qt.Key.Key_Escape:
            self.clear()
            self.escaped.emit()
            self.force()  # back to the whole library, also after "find similar"
            return
        super().keyPressEvent(e)
