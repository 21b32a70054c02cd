"""The folders panel: library folders with photo counts and state; add, remove, rescan."""

from __future__ import annotations

import os
from collections.abc import Sequence

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inphotos.records import FolderInfo


class FoldersPanel(QWidget):
    """Lists folders; the window does the work when a button is pressed."""

    add_requested = pyqtSignal()
    remove_requested = pyqtSignal(str)
    rescan_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("<b>Folders</b>", self)
        self.list = QListWidget(self)
        self.list.setAlternatingRowColors(False)
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.add_button = QPushButton("Add folder…", self)
        self.remove_button = QPushButton("Remove", self)
        self.rescan_button = QPushButton("Rescan", self)
        self.remove_button.setEnabled(False)
        self.add_button.clicked.connect(self.add_requested)
        self.rescan_button.clicked.connect(self.rescan_requested)
        self.remove_button.clicked.connect(self._on_remove)
        self.list.itemSelectionChanged.connect(
            lambda: self.remove_button.setEnabled(bool(self.list.selectedItems()))
        )
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.rescan_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._indexing = False

    def set_folders(self, folders: Sequence[FolderInfo], indexing: bool | None = None,
                    waiting: dict[str, int] | None = None, current: str = "",
                    stopped: bool = False) -> None:
        """Show `folders`; `indexing`: a run is on (checking for changes until `waiting` says
        which folders have photos to index); `current`: the folder being indexed now;
        `stopped`: the run was cancelled and `waiting` is what it left."""
        if indexing is not None:
            self._indexing = indexing
        known = waiting is not None
        waiting = waiting or {}
        selected = {i.data(Qt.ItemDataRole.UserRole) for i in self.list.selectedItems()}
        self.list.clear()
        for f in folders:
            left = waiting.get(f.path, 0)
            if not f.online:
                state = "offline — photos kept until the drive returns"
            elif f.path == current and self._indexing:
                state = f"indexing… {left:,} to go" if left else "indexing…"
            elif left:
                state = f"{left:,} waiting" + (" (cancelled)" if stopped else "")
            elif stopped and not known:
                state = "check cancelled"
            elif self._indexing and not known:
                state = "checking for changes…"
            else:
                state = "up to date"
            name = os.path.basename(f.path.rstrip(os.sep)) or f.path
            item = QListWidgetItem(f"{name}\n{f.photos:,} photos · {state}")
            item.setData(Qt.ItemDataRole.UserRole, f.path)
            item.setToolTip(f.path)
            if not f.online:
                item.setForeground(self.palette().color(self.palette().ColorRole.PlaceholderText))
            self.list.addItem(item)
            if f.path in selected:
                item.setSelected(True)

    def folder_paths(self) -> list[str]:
        return [str(self.list.item(i).data(Qt.ItemDataRole.UserRole))  # type: ignore[union-attr]
                for i in range(self.list.count())]

    def _on_remove(self) -> None:
        items = self.list.selectedItems()
        if items:
            self.remove_requested.emit(str(items[0].data(Qt.ItemDataRole.UserRole)))
