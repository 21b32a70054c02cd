"""The side panel: "All photos", "Explore" (the things in the photos), the library folders
(photo counts and state; a click shows only that folder; add, remove, rescan) and the smart
albums (a click runs one; rename and delete from its context menu)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from PyQt6.QtCore import QPoint, Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
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
    folder_chosen = pyqtSignal(str)  # show only this folder ("": all photos)
    album_chosen = pyqtSignal(str)
    explore_requested = pyqtSignal()
    album_rename_requested = pyqtSignal(str, str)  # old name, new name
    album_delete_requested = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.all_button = QPushButton("All photos", self)
        self.all_button.setCheckable(True)
        self.all_button.setChecked(True)
        self.all_button.setToolTip("Show photos of every folder")
        self.all_button.clicked.connect(self.show_all)
        self.explore_button = QPushButton("Explore", self)
        self.explore_button.setCheckable(True)
        self.explore_button.setToolTip("The everyday things in your photos: people, dogs, "
                                       "beaches, food, documents…")
        self.explore_button.clicked.connect(self._on_explore)
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
        self.list.itemClicked.connect(self._on_folder_clicked)
        self.albums = QListWidget(self)
        self.albums.setToolTip("Saved searches: a click runs one again; right-click to rename or delete")
        self.albums.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.albums.customContextMenuRequested.connect(self._album_menu)
        self.albums.itemClicked.connect(lambda item: self.album_chosen.emit(item.text()))
        self.albums_title = QLabel("<b>Albums</b>", self)
        self.albums_hint = QLabel("Search, then File → Save search as album…", self)
        self.albums_hint.setWordWrap(True)
        self.albums_hint.setEnabled(False)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.rescan_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addWidget(self.all_button)
        layout.addWidget(self.explore_button)
        layout.addWidget(title)
        layout.addWidget(self.list, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.albums_title)
        layout.addWidget(self.albums, 1)
        layout.addWidget(self.albums_hint)
        self._indexing = False
        self.chosen_folder = ""

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

    # ------------------------------------------------------------ narrowing to a folder

    def show_all(self) -> None:
        """Back to every folder's photos."""
        self.list.clearSelection()
        self.albums.clearSelection()
        self.all_button.setChecked(True)
        self.chosen_folder = ""
        self.folder_chosen.emit("")

    def _on_explore(self) -> None:
        self.explore_button.setChecked(True)
        self.all_button.setChecked(False)
        self.explore_requested.emit()

    def _on_folder_clicked(self, item: QListWidgetItem) -> None:
        self.albums.clearSelection()
        self.all_button.setChecked(False)
        self.chosen_folder = str(item.data(Qt.ItemDataRole.UserRole))
        self.folder_chosen.emit(self.chosen_folder)

    def clear_choice(self) -> None:
        """Nothing chosen in the panel (an album or a search took over): no signal."""
        self.all_button.setChecked(not self.chosen_folder)
        if not self.chosen_folder:
            self.list.clearSelection()

    # ------------------------------------------------------------ albums

    def set_albums(self, names: Sequence[str], current: str = "") -> None:
        self.albums.clear()
        for name in names:
            self.albums.addItem(name)
            if name == current:
                self.albums.item(self.albums.count() - 1).setSelected(True)  # type: ignore[union-attr]
        self.albums_hint.setVisible(not names)

    def album_names(self) -> list[str]:
        return [self.albums.item(i).text() for i in range(self.albums.count())]  # type: ignore[union-attr]

    def _album_menu(self, pos: QPoint) -> None:
        item = self.albums.itemAt(pos)
        if item is None:
            return
        name = item.text()
        menu = QMenu(self)
        rename = menu.addAction("Rename…")
        delete = menu.addAction("Delete album")
        viewport = self.albums.viewport()
        assert viewport is not None
        chosen = menu.exec(viewport.mapToGlobal(pos))
        if chosen is rename:
            self.ask_rename(name)
        elif chosen is delete:
            self.album_delete_requested.emit(name)

    def ask_rename(self, name: str) -> None:
        new, ok = QInputDialog.getText(self, "Rename album", "New name:", QLineEdit.EchoMode.Normal, name)
        if ok and new.strip() and new.strip() != name:
            self.album_rename_requested.emit(name, new.strip())
