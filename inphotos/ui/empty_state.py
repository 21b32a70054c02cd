"""What a new user sees instead of an empty grid: what InPhotos does and one button."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QIcon
from PyQt6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from inphotos.paths import resource


class EmptyState(QWidget):
    add_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        icon = QLabel(self)
        icon_file = resource("icons/inphotos.svg")
        if icon_file.exists():
            icon.setPixmap(QIcon(str(icon_file)).pixmap(96, 96))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("<h2>Find any photo by describing it</h2>", self)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            "Add the folders where your photos live. InPhotos indexes them on this computer "
            "— nothing is uploaded — and then you can search for “dog catching a frisbee” "
            "or “sunset on a beach”, or right-click a photo to find similar ones.",
            self,
        )
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setFixedWidth(520)
        # A wrapped label centred in a box layout is not asked for its height-for-width.
        text.setFixedHeight(text.heightForWidth(520) + 4)
        self.button = QPushButton("Add folder…", self)
        self.button.setDefault(True)
        self.button.setMinimumWidth(180)
        self.button.clicked.connect(self.add_requested)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for w in (icon, title, text, self.button):
            layout.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
            layout.addSpacing(8)
        layout.addStretch(2)
