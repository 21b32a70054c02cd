"""Wires duplicates into the window: View → Duplicates… and the side panel's Duplicates button
open the Duplicates window (ui/duplicates_view.py); View → Stack duplicates turns the grid's
stacks (ui/stacks.py) on and off; index runs and trashes bring both up to date."""

from __future__ import annotations

import logging

from PyQt6.QtCore import QObject
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QMenu, QPushButton, QWidget

from inphotos.records import TrashReport
from inphotos.ui.duplicates_view import DuplicatesWindow
from inphotos.ui.photo_model import PhotoModel
from inphotos.ui.stacks import StackController
from inphotos.ui.view import ViewController
from inphotos.workers.duplicates import DuplicatesService
from inphotos.workers.session import LibrarySession

log = logging.getLogger(__name__)


class DuplicatesController(QObject):
    """Owns the duplicates service, the grid's stacks and the Duplicates window."""

    def __init__(self, session: LibrarySession, view: ViewController, model: PhotoModel,
                 panel: QWidget, window: QWidget) -> None:
        super().__init__(window)
        self.session = session
        self.view = view
        self.window_parent = window
        self.service = DuplicatesService(session, self)
        self.stacks = StackController(self.service, model, view.rerun, self)
        view.stacks = self.stacks
        self.window: DuplicatesWindow | None = None
        self.button = QPushButton("Duplicates", panel)
        self.button.setToolTip("Copies of the same photo: choose which to keep")
        self.button.clicked.connect(self.open)
        layout = panel.layout()
        if layout is not None:  # under "All photos"
            layout.insertWidget(1, self.button)  # type: ignore[attr-defined]
        session.index.finished.connect(lambda _report: self._groups_changed())
        self.service.trashed.connect(self._on_trashed)

    def add_menu_actions(self, menu: QMenu) -> None:
        menu.addSeparator()
        open_action = QAction("&Duplicates…", menu)
        open_action.triggered.connect(self.open)
        menu.addAction(open_action)
        self.stack_action = QAction("Stack d&uplicates", menu)
        self.stack_action.setCheckable(True)
        self.stack_action.setChecked(self.stacks.enabled)
        self.stack_action.setToolTip("Show each group of copies as one photo with a count")
        self.stack_action.toggled.connect(self.stacks.set_enabled)
        menu.addAction(self.stack_action)

    def library_opened(self) -> None:
        self.service.library_opened()
        self.stacks.groups = {}
        self.service.load_stacks()
        if self.window is not None and self.window.isVisible():
            self.window.refresh()

    def open(self) -> None:
        """Show the Duplicates window (made on first use), its groups read afresh."""
        if self.session.library is None:
            return
        if self.window is None:
            self.window = DuplicatesWindow(self.service, self.window_parent)
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()
        self.window.refresh()

    def _groups_changed(self) -> None:
        if self.session.library is None:
            return
        self.service.load_stacks()
        if self.window is not None and self.window.isVisible():
            self.window.refresh()

    def _on_trashed(self, report: TrashReport) -> None:
        if report.trashed:
            self.service.load_stacks()
            self.view.rerun()  # the trashed photos leave the grid at once
