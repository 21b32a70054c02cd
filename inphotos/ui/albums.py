"""Smart albums in the window: save the current search under a name, rename, delete.

The albums themselves live in the library (saved searches, core/albums.py); every change is
written on the query service's albums thread and the side panel lists the answer. Opening an
album is the view controller's (`ViewController.open_album`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PyQt6.QtCore import QObject
from PyQt6.QtWidgets import QInputDialog, QMessageBox, QWidget

from inphotos import APP_NAME
from inphotos.ui.folders import FoldersPanel
from inphotos.ui.view import ViewController
from inphotos.workers.queries import ResultKind
from inphotos.workers.session import LibrarySession

log = logging.getLogger(__name__)


class AlbumsController(QObject):
    """Saves, renames and deletes smart albums; keeps the side panel's list current."""

    def __init__(self, session: LibrarySession, view: ViewController, panel: FoldersPanel,
                 status: Callable[[str], None], window: QWidget) -> None:
        super().__init__(window)
        self.session = session
        self.view = view
        self.panel = panel
        self.status = status
        self.window = window
        panel.album_chosen.connect(view.open_album)
        panel.album_rename_requested.connect(self.rename)
        panel.album_delete_requested.connect(self.delete)
        session.queries.albums_changed.connect(lambda names: panel.set_albums(names, view.album))
        session.queries.album_failed.connect(status)

    def cannot_save(self) -> str:
        """Why what is shown cannot be saved as an album ("" when it can)."""
        request = self.view.request()
        if self.view.similar is not None or self.view.kind is ResultKind.SIMILAR:
            return ("An album saves words and filters; photos found by \"Find similar\" "
                    "cannot be saved as one.")
        if not request.text and not request.filters and not request.category:
            return "Search for something or choose a filter first; then save it as an album."
        return ""

    def save_dialog(self) -> None:
        """Ask for a name and save what is searched now as a smart album."""
        why = self.cannot_save()
        if why:
            QMessageBox.information(self.window, APP_NAME, why)
            return
        default = self.view.request().text or (self.view.category[1] if self.view.category else "") \
            or "My album"
        name, ok = QInputDialog.getText(self.window, "Save search as album", "Album name:",
                                        text=default)
        if ok and name.strip():
            self.save(name.strip())

    def save(self, name: str) -> None:
        """Save the current search (words, filters, order) as smart album `name`."""
        why = self.cannot_save()
        if why:
            self.status(why)
            return
        self.session.queries.save_album(name, self.view.request())
        self.status(f"Saved the album “{name}”")

    def rename(self, old: str, new: str) -> None:
        if self.view.album == old:
            self.view.album = new
        self.session.queries.rename_album(old, new)

    def delete(self, name: str, confirm: bool = True) -> None:
        if confirm:
            answer = QMessageBox.question(
                self.window, "Delete album", f"Delete the album “{name}”?\n\nIt is a saved "
                "search: no photo is deleted.")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.session.queries.remove_album(name)
        if self.view.album == name:
            self.panel.show_all()
