"""The status bar's message line: every message can be read whole before another replaces it.

A message stays at least `HOLD_MS` before a message from another source replaces it; those
wait in order. A source updating its own message (the photo count as indexing fills the grid)
replaces it at once, and replaces its own message still waiting, so the queue never fills
with stale counts. Long messages wrap onto a second line instead of being cut off, and the
whole text is also the tooltip.
"""

from __future__ import annotations

import time

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QLabel, QSizePolicy, QWidget

HOLD_MS = 3000


class StatusLine(QLabel):
    """The message area of the status bar."""

    def __init__(self, parent: QWidget | None = None, hold_ms: int = HOLD_MS) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(200)
        self.hold_ms = hold_ms
        self.source = ""
        self._shown_at = 0.0
        self._pending: dict[str, str] = {}  # source -> its newest message, in arrival order
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._next)

    def post(self, text: str, source: str = "") -> None:
        """Show `text` now if that loses no unread message, else as soon as it can be read."""
        if source == self.source or not self.text() or self._held_for() <= 0:
            self._pending.pop(source, None)
            self._show(text, source)
            return
        self._pending.pop(source, None)  # a newer message of the same source goes to the back
        self._pending[source] = text
        if not self._timer.isActive():
            self._timer.start(self._held_for())

    @property
    def pending(self) -> list[str]:
        return list(self._pending.values())

    def says(self, words: str) -> bool:
        """Whether a message shown or waiting to be shown contains `words`."""
        return any(words in m for m in (self.text(), *self._pending.values()))

    def _held_for(self) -> int:
        """Milliseconds the message shown must still stay."""
        return max(0, int(self.hold_ms - (time.monotonic() - self._shown_at) * 1000))

    def _show(self, text: str, source: str) -> None:
        self.setText(text)
        self.setToolTip(text)
        self.source = source
        self._shown_at = time.monotonic()

    def _next(self) -> None:
        if not self._pending:
            return
        source = next(iter(self._pending))
        self._show(self._pending.pop(source), source)
        if self._pending:
            self._timer.start(self.hold_ms)
