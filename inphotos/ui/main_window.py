"""The main window: it lays out the search bar, folders panel, grid and status bar, and owns
the actions and menus.

What the grid shows belongs to `ViewController`, the Explore page to `ExploreController`,
the preview to `PreviewController`, dropped
and pasted images to `DropHandler`, the model to `ModelController`, folders and indexing to
`LibraryController`, smart albums to `AlbumsController`; the filter bar above the grid and
the folders panel say what to narrow to, and the window passes it to the view. The library
and the background services belong to the `LibrarySession`.
The window wires them together, on the GUI thread.

(Over 300 lines, about 430: the widgets, the menus and their wiring are one piece that reads
best top to bottom; each thing the window shows has its own controller module. The next
thing to move out is the filter and album wiring, into view.py and albums.py.)
"""

from __future__ import annotations

import logging
from pathlib import Path

from PyQt6.QtCore import QPoint, Qt, pyqtSignal
from PyQt6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
)
from PyQt6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from inphotos import APP_NAME
from inphotos.config import Settings
from inphotos.errors import Advice, InPhotosError, LibraryInUseError
from inphotos.paths import AppPaths
from inphotos.ui import desktop, drop, photo_actions, window_state
from inphotos.ui.albums import AlbumsController
from inphotos.ui.dialogs import SettingsDialog, show_about
from inphotos.ui.duplicates_controller import DuplicatesController
from inphotos.ui.empty_state import EmptyState
from inphotos.ui.explore import ExploreController, ExploreModel, ExplorePageWidget
from inphotos.ui.filter_bar import FilterBar
from inphotos.ui.folders import FoldersPanel
from inphotos.ui.grid import MAX_THUMB, MIN_THUMB, PhotoGrid
from inphotos.ui.index_status import IndexStatus
from inphotos.ui.library_controller import LibraryController
from inphotos.ui.model_controller import ModelController, explain
from inphotos.ui.photo_model import PhotoModel
from inphotos.ui.preview_controller import PreviewController
from inphotos.ui.search_bar import SearchBar
from inphotos.ui.status_line import StatusLine
from inphotos.ui.view import ViewController
from inphotos.workers.catalog import QUERY_EXTENSIONS
from inphotos.workers.queries import ResultKind, Results
from inphotos.workers.session import LibrarySession

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    closing = pyqtSignal()  # the window is closing: the app is quitting

    def __init__(self, paths: AppPaths, settings: Settings, session: LibrarySession) -> None:
        super().__init__()
        self.paths = paths
        self.settings = settings
        self.session = session
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.resize(1280, 820)

        self.photo_model = PhotoModel(parent=self)
        self.grid = PhotoGrid(self.photo_model, settings.thumbnail_size, self)
        self.grid.set_show_scores(settings.show_scores)
        self.search = SearchBar(self)
        self.folders_panel = FoldersPanel(self)
        self.empty = EmptyState(self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.grid)
        self.explore_page = ExplorePageWidget(ExploreModel(self), self)
        self.stack.addWidget(self.explore_page)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.folders_panel)
        self.filter_bar = FilterBar(self)
        content = QWidget(self)
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.filter_bar)
        column.addWidget(self.stack, 1)
        self.splitter.addWidget(content)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 1020])
        self.setCentralWidget(self.splitter)

        self.view = ViewController(session, self.photo_model, self.grid, self.search, self)
        self.preview = PreviewController(session, self.photo_model, self.grid, self)
        self.drops = drop.DropHandler(self.view, paths.cache)
        self.models = ModelController(session, self)
        self._build_toolbar()
        self._build_status_bar()
        self.library_controller = LibraryController(
            session, self.view, self.folders_panel, self.index_status, self.stack, self)
        self.albums = AlbumsController(session, self.view, self.folders_panel,
                                       lambda text: self.message.post(text, "albums"), self)
        self.duplicates = DuplicatesController(session, self.view, self.photo_model,
                                               self.folders_panel, self)
        self.duplicates.stacks.enabled = settings.stack_duplicates
        self.explore = ExploreController(session, self.explore_page, self.stack, self.view,
                                         self.folders_panel.explore_button, self)
        self.preview.open_category = self.view.open_category
        self._build_menus()
        self._connect()
        window_state.restore(self, self.splitter, paths.config)

    # ------------------------------------------------------------------ construction

    def _build_toolbar(self) -> None:
        bar = QToolBar("Search", self)
        bar.setMovable(False)
        bar.setObjectName("search-toolbar")
        bar.addWidget(self.search)
        spacer = QWidget(self)
        spacer.setFixedWidth(16)
        bar.addWidget(spacer)
        bar.addWidget(QLabel("Size ", self))
        self.size_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.size_slider.setRange(MIN_THUMB, MAX_THUMB)
        self.size_slider.setFixedWidth(140)
        self.size_slider.setValue(self.grid.thumb_size)
        bar.addWidget(self.size_slider)
        self.addToolBar(bar)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        assert status is not None
        self.message = StatusLine(self)
        self.index_status = IndexStatus(self)
        status.addWidget(self.message, 1)
        self.selection_label = QLabel(self)
        status.addPermanentWidget(self.selection_label)
        status.addPermanentWidget(self.index_status)
        status.addPermanentWidget(self.models.label)

    def _build_menus(self) -> None:
        menubar = self.menuBar()
        assert menubar is not None

        def act(menu: object, text: str, slot: object, shortcut: object = None) -> QAction:
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)  # type: ignore[arg-type]
            action.triggered.connect(slot)  # type: ignore[arg-type]
            menu.addAction(action)  # type: ignore[attr-defined]
            return action

        file_menu = menubar.addMenu("&File")
        act(file_menu, "&Add folder…", self.add_folder, QKeySequence("Ctrl+O"))
        act(file_menu, "&Rescan", self.session.index.start, QKeySequence("F5"))
        act(file_menu, "Find similar to an image &file…", self._similar_to_file_dialog)
        self.save_album_action = act(file_menu, "Save search as &album…", self.albums.save_dialog,
                                     QKeySequence("Ctrl+S"))
        act(file_menu, "&Settings…", self.open_settings, QKeySequence("Ctrl+,"))
        file_menu.addSeparator()  # type: ignore[union-attr]
        act(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        view = menubar.addMenu("&View")
        act(view, "&Larger thumbnails", lambda: self._bump_size(20), QKeySequence.StandardKey.ZoomIn)
        act(view, "&Smaller thumbnails", lambda: self._bump_size(-20), QKeySequence.StandardKey.ZoomOut)
        self.scores_action = act(view, "Show &scores", self._toggle_scores)
        self.scores_action.setCheckable(True)
        self.scores_action.setChecked(self.settings.show_scores)
        act(view, "&Whole library", self.show_all_photos, QKeySequence("Ctrl+L"))
        act(view, "&Explore", self.explore.show, QKeySequence("Ctrl+E"))
        act(view, "Show &weaker matches", self.view.show_weaker)
        act(view, "Select &all", self.grid.selectAll, QKeySequence.StandardKey.SelectAll)
        self.duplicates.add_menu_actions(view)  # type: ignore[arg-type]

        help_menu = menubar.addMenu("&Help")
        act(help_menu, "&About InPhotos", self.about)
        act(help_menu, "Open &log folder", lambda: desktop.open_file(str(self.paths.logs)))

        focus = QAction(self)
        focus.setShortcut(QKeySequence.StandardKey.Find)
        focus.triggered.connect(self._focus_search)
        self.addAction(focus)
        paste = QAction(self)
        paste.setShortcut(QKeySequence.StandardKey.Paste)
        paste.triggered.connect(self.drops.paste)
        self.grid.addAction(paste)

    def _connect(self) -> None:
        s = self.session
        s.opened.connect(self._on_library_opened)
        s.open_failed.connect(self._on_open_failed)
        s.folder_refused.connect(lambda text: QMessageBox.information(self, APP_NAME, text))
        s.queries.image_copied.connect(self._on_image_copied)
        s.queries.copy_failed.connect(lambda text: QMessageBox.information(self, APP_NAME, text))
        s.thumbs.thumbnail_ready.connect(self.photo_model.set_thumbnail)
        s.thumbs.thumbnail_failed.connect(lambda i, _: self.photo_model.set_thumbnail_failed(i))
        self.photo_model.thumbnail_needed.connect(s.thumbs.request)
        self.view.status.connect(lambda text: self.message.post(text, "view"))
        self.library_controller.status.connect(lambda text: self.message.post(text, "library"))
        self.view.results_shown.connect(self._on_results_shown)
        self.models.status.connect(lambda text: self.message.post(text, "model"))
        self.models.switched.connect(self._on_switched)
        self.size_slider.valueChanged.connect(self.grid.set_thumb_size)
        self.grid.thumb_size_changed.connect(self._on_thumb_size)
        self.grid.photo_activated.connect(self.preview.open)
        self.grid.customContextMenuRequested.connect(self._context_menu)
        self.folders_panel.add_requested.connect(self.add_folder)
        self.folders_panel.remove_requested.connect(self.remove_folder)
        self.empty.add_requested.connect(self.add_folder)
        self.explore_page.add_requested.connect(self.add_folder)
        self.folders_panel.explore_requested.connect(self.explore.show)
        self.folders_panel.folder_chosen.connect(self._on_folder_chosen)
        self.filter_bar.changed.connect(self._apply_filters)
        self.filter_bar.sort_changed.connect(self.view.set_sort)
        self.filter_bar.weaker_requested.connect(self.view.show_weaker)
        self.filter_bar.jump_requested.connect(self.view.jump_to_year)
        self.view.weaker_available.connect(self.filter_bar.show_weaker_offer)
        selection = self.grid.selectionModel()
        assert selection is not None
        selection.selectionChanged.connect(self._on_selection)
        self.photo_model.modelReset.connect(self._on_selection)

    # ------------------------------------------------------------------ start and state

    def _on_library_opened(self) -> None:
        """Show the library at once; load the model and rescan in the background."""
        self.photo_model.set_photos([])
        refusal, self.session.model_refusal = self.session.model_refusal, None
        if refusal is not None:  # the model asked for cannot be used: browse only, say why
            self.settings.model = self.session.lib.spec.text  # the saved setting stays usable
            self.session.model.refuse(refusal)
        self.library_controller.library_opened()
        self.duplicates.library_opened()
        self.view.show_library()
        self.session.queries.list_albums()
        if refusal is None:
            self.models.load()

    def _on_open_failed(self, error: InPhotosError) -> None:
        if isinstance(error, LibraryInUseError):
            QMessageBox.information(self, APP_NAME, explain(error))
        elif error.advice is Advice.REPAIR and self.session.can_repair:
            answer = QMessageBox.question(
                self, APP_NAME, f"{error}\n\nRepair the index now? It is rebuilt from your photos; "
                "your photos and your library's folders are kept, and the damaged index is set "
                "aside, not deleted.",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.message.post("Repairing the index: your photos are indexed again…", "library")
                self.session.repair()
                return
        else:
            QMessageBox.critical(self, APP_NAME, f"Cannot open the photo library:\n{explain(error)}")
        self.close()

    def bring_to_front(self) -> None:
        """Another launch asked for the window: un-minimise it and raise it."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
        self._status(f"{APP_NAME} was already open: here it is.")

    def _save_state(self) -> None:
        window_state.save(self, self.splitter, self.paths.config)
        self.settings.thumbnail_size = self.grid.thumb_size
        self.settings.show_scores = self.scores_action.isChecked()
        self.settings.stack_duplicates = self.duplicates.stacks.enabled
        try:
            self.settings.save(self.paths.config_file)
        except OSError as e:
            log.warning("Settings not saved: %s", e)

    def closeEvent(self, e: QCloseEvent | None) -> None:
        """Quit promptly: save, cancel everything, and never wait long for work in flight."""
        self.closing.emit()
        self._save_state()
        self.library_controller.stop()
        self.view.set_indexing(False)
        self.models.cancel_switch(300)
        if not self.session.shutdown():
            log.info("Background work still running at quit; abandoned (each batch is its own "
                     "transaction)")
        self.preview.close()
        super().closeEvent(e)

    # ------------------------------------------------------------------ folders

    def add_folder(self, path: str | None = None) -> None:
        folder = path or QFileDialog.getExistingDirectory(
            self, "Add a folder of photos", _pictures_folder())
        if folder:
            self.session.add_folder(folder)

    def remove_folder(self, path: str, confirm: bool = True) -> None:
        if confirm:
            answer = QMessageBox.question(
                self, "Remove folder",
                f"Remove {path} from InPhotos?\n\nIts photos leave the index only; "
                "no file is deleted from your disk.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.session.remove_folder(path)

    # ------------------------------------------------------------------ searching

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _on_results_shown(self, results: Results) -> None:
        if self.session.folders():
            self.stack.setCurrentWidget(self.grid)
        if results.years:
            self.filter_bar.set_years(results.years)
        self.filter_bar.set_timeline(results.kind is ResultKind.BROWSE)
        if results.kind is not ResultKind.ALBUM:
            self.folders_panel.albums.clearSelection()

    # ------------------------------------------------------------------ narrowing, selection

    def _apply_filters(self) -> None:
        self.view.set_filters(self.filter_bar.filters(self.folders_panel.chosen_folder))

    def _on_folder_chosen(self, folder: str) -> None:
        if not folder and self.view.album:  # "All photos" leaves the album for the library
            self.view.album = ""
            self.view.kind = ResultKind.BROWSE
        self.view.set_folder(folder)

    def show_all_photos(self) -> None:
        """The whole library: no search, no folder chosen (the filter bar's choices stay)."""
        self.folders_panel.chosen_folder = ""
        self.folders_panel.clear_choice()
        self.view.filters = self.filter_bar.filters()
        self.view.show_library()

    def _on_selection(self, *_args: object) -> None:
        n = len(self.grid.selectedIndexes())
        self.selection_label.setText(f"{n:,} selected" if n else "")

    def _similar_to_file_dialog(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in sorted(QUERY_EXTENSIONS))
        path, _ = QFileDialog.getOpenFileName(
            self, "Find photos similar to…", _pictures_folder(), f"Images and videos ({patterns})")
        if path:
            self.view.similar_to_file(path)

    # ------------------------------------------------------------------ preview, actions, drops

    def _context_menu(self, pos: QPoint) -> None:
        photos = self.grid.photos_at(pos)
        if photos:
            menu = photo_actions.build_menu(
                self, photos, self.view.find_similar, lambda p: self.preview.open_photo_id(p.id),
                self.session.queries.copy_image, self._status,
            )
            self.duplicates.stacks.add_actions(menu, photos)
            viewport = self.grid.viewport()
            assert viewport is not None
            menu.exec(viewport.mapToGlobal(pos))

    def _on_image_copied(self, image: QImage) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setImage(image)
            self._status("Image copied")

    def dragEnterEvent(self, e: QDragEnterEvent | None) -> None:
        if e is not None and drop.accepts(e.mimeData()):
            e.acceptProposedAction()

    def dropEvent(self, e: QDropEvent | None) -> None:
        self.drops.search_with(e.mimeData() if e is not None else None)

    # ------------------------------------------------------------------ view, settings, about

    def _bump_size(self, delta: int) -> None:
        self.grid.set_thumb_size(self.grid.thumb_size + delta)

    def _on_thumb_size(self, size: int) -> None:
        if self.size_slider.value() != size:
            self.size_slider.setValue(size)

    def _toggle_scores(self) -> None:
        self.grid.set_show_scores(self.scores_action.isChecked())

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        new = dialog.result_settings()
        lib = self.session.lib
        self.settings.batch_size, self.settings.decode_workers = new.batch_size, new.decode_workers
        lib.batch_size, lib.workers = new.batch_size, new.decode_workers
        for name in ("cluster_enabled", "cluster_address", "cluster_read", "cluster_path_map"):
            setattr(self.settings, name, getattr(new, name))
        lib.cluster = self.settings.cluster_options()  # the next indexing run goes through it
        videos_changed = new.index_videos != self.settings.index_videos
        self.settings.index_videos = lib.videos = new.index_videos
        self.grid.set_thumb_size(new.thumbnail_size)
        options_changed = (new.device, new.precision) != (self.settings.device, self.settings.precision)
        self.settings.device, self.settings.precision = new.device, new.precision
        self._save_state()
        if new.model != self.settings.model:
            self.models.switch_to(new.model)
        elif options_changed:  # the same index; the model loads again where it was asked to run
            self.models.run_elsewhere(new.device, new.precision)
        if videos_changed:  # videos indexed or forgotten now, not at the next start
            self.session.index.start()

    def switch_model(self, spec: str) -> None:
        self.models.switch_to(spec)

    def _on_switched(self, spec: str) -> None:
        self.settings.model = spec
        self._save_state()

    def about(self) -> None:
        show_about(self, self.session.lib.stats(), self.models.state, self.paths)

    # ------------------------------------------------------------------ messages

    def _status(self, text: str) -> None:
        self.message.post(text, "window")



def _pictures_folder() -> str:
    """Where file pickers open: the user's Pictures folder, else home."""
    pictures = Path.home() / "Pictures"
    return str(pictures if pictures.is_dir() else Path.home())

