"""The main window: search bar, folders panel, thumbnail grid, status bar and menus.

All engine work happens in the services from `inphotos.workers`; this class only wires their
signals to widgets, on the GUI thread.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PyQt6.QtCore import QMimeData, QPoint, QSettings, Qt, QTimer
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
    QProgressDialog,
    QSlider,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from inphotos import APP_NAME, __version__
from inphotos.config import Settings
from inphotos.core.imaging import is_image_name
from inphotos.core.library import Library, LibraryError
from inphotos.paths import AppPaths
from inphotos.records import IndexProgress, IndexReport, PhotoRecord
from inphotos.ui import desktop, photo_actions
from inphotos.ui.dialogs import SettingsDialog, SkippedDialog
from inphotos.ui.empty_state import EmptyState
from inphotos.ui.folders import FoldersPanel
from inphotos.ui.grid import MAX_THUMB, MIN_THUMB, PhotoGrid
from inphotos.ui.index_status import IndexStatus
from inphotos.ui.model_switch import ModelSwitch
from inphotos.ui.photo_model import PhotoModel
from inphotos.ui.preview import PreviewDialog
from inphotos.ui.search_bar import SearchBar
from inphotos.ui.watcher import LibraryWatcher
from inphotos.workers.indexing import IndexService
from inphotos.workers.queries import ModelService, QueryService, Results
from inphotos.workers.thumbnails import ThumbnailLoader

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, paths: AppPaths, settings: Settings, library: Library) -> None:
        super().__init__()
        self.paths = paths
        self.settings = settings
        self.library = library
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.resize(1280, 820)
        self._model_text = "Loading model…"
        self._download_dialog: QProgressDialog | None = None
        self._index_waits_for_model = False
        self._preview: PreviewDialog | None = None
        self._last_report: IndexReport | None = None
        self._mode = "browse"
        self._switch: ModelSwitch | None = None
        self.model_message: QMessageBox | None = None

        self.photo_model = PhotoModel(parent=self)
        self.grid = PhotoGrid(self.photo_model, settings.thumbnail_size, self)
        self.grid.set_show_scores(settings.show_scores)
        self.search = SearchBar(self)
        self.folders_panel = FoldersPanel(self)
        self.empty = EmptyState(self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.grid)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.folders_panel)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 1020])
        self.setCentralWidget(self.splitter)
        self._build_toolbar()
        self._build_status_bar()
        self.watcher = LibraryWatcher(self)
        self._browse_refresh = QTimer(self)
        self._browse_refresh.setInterval(2500)
        self._browse_refresh.timeout.connect(self._refresh_browse)
        self._make_services(library)
        self._build_menus()
        self._connect()
        self._restore_state()

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
        self.message = QLabel(self)
        self.index_status = IndexStatus(self)
        self.model_label = QLabel(self._model_text, self)
        status.addWidget(self.message, 1)
        status.addPermanentWidget(self.index_status)
        status.addPermanentWidget(self.model_label)

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
        act(file_menu, "&Rescan", lambda: self.index.start(), QKeySequence("F5"))
        act(file_menu, "Find similar to an image &file…", self._similar_to_file_dialog)
        act(file_menu, "&Settings…", self.open_settings, QKeySequence("Ctrl+,"))
        file_menu.addSeparator()  # type: ignore[union-attr]
        act(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        view = menubar.addMenu("&View")
        act(view, "&Larger thumbnails", lambda: self._bump_size(20), QKeySequence.StandardKey.ZoomIn)
        act(view, "&Smaller thumbnails", lambda: self._bump_size(-20), QKeySequence.StandardKey.ZoomOut)
        self.scores_action = act(view, "Show &scores", self._toggle_scores)
        self.scores_action.setCheckable(True)
        self.scores_action.setChecked(self.settings.show_scores)
        act(view, "&Whole library", self.show_library, QKeySequence("Ctrl+L"))

        help_menu = menubar.addMenu("&Help")
        act(help_menu, "&About InPhotos", self.about)
        act(help_menu, "Open &log folder", lambda: desktop.open_file(str(self.paths.logs)))

        focus = QAction(self)
        focus.setShortcut(QKeySequence.StandardKey.Find)
        focus.triggered.connect(self._focus_search)
        self.addAction(focus)
        paste = QAction(self)
        paste.setShortcut(QKeySequence.StandardKey.Paste)
        paste.triggered.connect(self._paste)
        self.grid.addAction(paste)

    def _make_services(self, library: Library) -> None:
        """Background services for `library`, wired to the window (again after a model switch)."""
        self.library = library
        self.index = IndexService(library, self)
        self.queries = QueryService(library, parent=self)
        self.model_service = ModelService(library, self)
        self.thumbs = ThumbnailLoader(library.thumbs, parent=self)
        self.photo_model.thumbnail_needed.connect(self.thumbs.request)
        self.thumbs.thumbnail_ready.connect(self.photo_model.set_thumbnail)
        self.thumbs.thumbnail_failed.connect(lambda i, _: self.photo_model.set_thumbnail_failed(i))
        self.queries.results_ready.connect(self._on_results)
        self.queries.query_failed.connect(self._on_query_failed)
        self.queries.preview_ready.connect(self._on_preview_image)
        self.model_service.model_ready.connect(self._on_model_ready)
        self.model_service.model_failed.connect(self._on_model_failed)
        self.model_service.download_progress.connect(self._on_download_progress)
        self.index.started.connect(self._on_index_started)
        self.index.progress.connect(self._on_index_progress)
        self.index.finished.connect(self._on_index_finished)
        self.index.failed.connect(self._on_index_failed)
        self.index.write_done.connect(self._on_write_done)
        self.index.write_failed.connect(lambda label, msg: self._error(f"{label} failed: {msg}"))

    def _stop_services(self, index_timeout_ms: int = 8000) -> bool:
        # Results already on their way must not reach a window that moved on (or a closed
        # library): the services re-emit on the GUI thread, so blocking them drops those.
        for service in (self.index, self.queries, self.thumbs, self.model_service):
            service.blockSignals(True)
        stopped = self.index.shutdown(index_timeout_ms)
        self.queries.shutdown()
        self.thumbs.shutdown()
        model_stopped = self.model_service.shutdown(2000)
        for service in (self.index, self.queries, self.thumbs, self.model_service):
            service.deleteLater()
        return stopped and model_stopped

    def install_library(self, library: Library, settings_model: str) -> None:
        """Switch to another library (a new model's index), closing the current one."""
        if not self._stop_services():
            log.warning("Old services still busy during the switch")
        old = self.library
        self._make_services(library)
        old.close()
        self.settings.model = settings_model
        self._save_state()
        self._model_text = "Loading model…"
        self.model_label.setText(self._model_text)
        self.photo_model.set_photos([])
        self.start()

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _connect(self) -> None:
        self.search.search_requested.connect(self._on_search)
        self.size_slider.valueChanged.connect(self.grid.set_thumb_size)
        self.grid.thumb_size_changed.connect(self._on_thumb_size)
        self.grid.photo_activated.connect(self.open_preview)
        self.grid.customContextMenuRequested.connect(self._context_menu)
        self.index_status.pause_toggled.connect(lambda p: self.index.pause() if p else self.index.resume())
        self.index_status.cancel_requested.connect(lambda: self.index.cancel())
        self.index_status.skipped_clicked.connect(self.show_skipped)
        self.folders_panel.add_requested.connect(self.add_folder)
        self.folders_panel.remove_requested.connect(self.remove_folder)
        self.folders_panel.rescan_requested.connect(lambda: self.index.start())
        self.empty.add_requested.connect(self.add_folder)
        self.watcher.changed.connect(lambda: self.index.start())

    # ------------------------------------------------------------------ start and state

    def start(self) -> None:
        """Show the library at once; load the model and rescan in the background."""
        self._refresh_folders()
        self.show_library()
        self.model_service.load()
        if self.library.store.folders():
            self.index.start()
        self.index_status.set_skipped(len(self._skipped_rows()))

    def bring_to_front(self) -> None:
        """Another launch asked for the window: un-minimise it and raise it."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
        self._status(f"{APP_NAME} was already open: here it is.")

    def _settings_store(self) -> QSettings:
        return QSettings(str(self.paths.config / "window.ini"), QSettings.Format.IniFormat)

    def _restore_state(self) -> None:
        qs = self._settings_store()
        geometry = qs.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = qs.value("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def _save_state(self) -> None:
        qs = self._settings_store()
        qs.setValue("geometry", self.saveGeometry())
        qs.setValue("splitter", self.splitter.saveState())
        qs.sync()
        self.settings.thumbnail_size = self.grid.thumb_size
        self.settings.show_scores = self.scores_action.isChecked()
        try:
            self.settings.save(self.paths.config_file)
        except OSError as e:
            log.warning("Settings not saved: %s", e)

    def closeEvent(self, e: QCloseEvent | None) -> None:
        self._save_state()
        self.watcher.stop()
        self._browse_refresh.stop()
        if self._switch is not None:
            self._switch.cancel()
        if not self._stop_services():
            log.warning("Background work did not stop in time; leaving it to process exit")
        if self._preview is not None:
            self._preview.close()
        super().closeEvent(e)

    # ------------------------------------------------------------------ folders

    def _refresh_folders(self) -> None:
        folders = self.library.folders()
        self.folders_panel.set_folders(folders, self.index.running)
        self.watcher.watch([f.path for f in folders if f.online])
        has_folders = bool(folders)
        self.stack.setCurrentWidget(self.grid if has_folders else self.empty)

    def add_folder(self, path: str | None = None) -> None:
        folder = path or QFileDialog.getExistingDirectory(self, "Add a folder of photos")
        if not folder:
            return
        try:
            self.library.add_folder(folder)
        except LibraryError as e:
            QMessageBox.information(self, APP_NAME, str(e))
            return
        self._refresh_folders()
        self.index.start()

    def remove_folder(self, path: str, confirm: bool = True) -> None:
        if confirm:
            answer = QMessageBox.question(
                self, "Remove folder",
                f"Remove {path} from InPhotos?\n\nIts photos leave the index only; "
                "no file is deleted from your disk.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        library = self.library
        self.index.run_write("Removing the folder", lambda: library.remove_folder(path))

    def _on_write_done(self, label: str, result: object) -> None:
        self._refresh_folders()
        self._status(f"Removed from the library ({result} photos forgotten; no file was touched)")
        if self._mode == "browse":
            self.queries.browse()
        else:
            self.search.force()

    # ------------------------------------------------------------------ searching

    def show_library(self) -> None:
        self.search.clear_silently()
        self._on_search("")

    def _on_search(self, text: str) -> None:
        if not text:
            self._mode = "browse"
            self.queries.browse()
            return
        self._mode = "text"
        if not self.library.embedder_loaded:
            self._status("Searching as soon as the model is loaded…")
        self.queries.search_text(text)

    def find_similar(self, photos: Sequence[PhotoRecord]) -> None:
        if not photos:
            return
        self._mode = "similar"
        self.search.clear_silently()
        name = os.path.basename(photos[0].path)
        label = name if len(photos) == 1 else f"{len(photos)} photos"
        self.queries.similar_to_photos([p.id for p in photos], label)

    def similar_to_file(self, path: str) -> None:
        self._mode = "similar"
        self.search.clear_silently()
        self.queries.similar_to_file(path)

    def _on_results(self, results: Results) -> None:
        self.thumbs.cancel_pending()
        self.photo_model.set_photos(results.photos, results.scores)
        self.grid.scrollToTop()
        n = len(results.photos)
        if results.kind == "browse":
            self._browse_refresh.stop() if not self.index.running else self._browse_refresh.start()
            self._status(f"{n:,} photos" if n else "No photos indexed yet")
        elif results.kind == "text":
            self._status(f"{n:,} best matches for “{results.query}” ({results.elapsed_ms:.0f} ms)"
                         if n else f"No photos match “{results.query}”")
        else:
            self._status(f"Photos similar to {os.path.basename(results.query)}")
        if self.library.store.folders():
            self.stack.setCurrentWidget(self.grid)

    def _refresh_browse(self) -> None:
        if self._mode == "browse" and not self.grid.selectedIndexes():
            self.queries.browse()

    def _on_query_failed(self, message: str) -> None:
        self._status(message)

    # ------------------------------------------------------------------ model

    def _on_model_ready(self, description: str) -> None:
        self._close_download_dialog()
        self.model_label.setText(f"Model: {description}")
        if self._index_waits_for_model:
            self._index_waits_for_model = False
            self.index.start()

    def _on_model_failed(self, message: str, download_problem: bool) -> None:
        """Say what happened and offer a way out; the library stays browsable meanwhile."""
        self._close_download_dialog()
        self.model_label.setText("Model unavailable: browsing only")
        box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, message, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        use_folder = box.addButton("Use a model folder…", QMessageBox.ButtonRole.AcceptRole)
        retry = box.addButton("Retry", QMessageBox.ButtonRole.ResetRole) if download_problem else None
        box.addButton(QMessageBox.StandardButton.Close)

        def chosen(button: object) -> None:
            if button is use_folder:
                folder = QFileDialog.getExistingDirectory(self, "Choose a model folder")
                if folder:
                    self.switch_model(f"local-dir:{folder}")
            elif retry is not None and button is retry:
                self.model_label.setText("Loading model…")
                self.model_service.load()

        box.buttonClicked.connect(chosen)
        self.model_message = box
        box.open()

    def _on_download_progress(self, done: int, total: int) -> None:
        if self._download_dialog is None:
            dialog = QProgressDialog(
                f"Downloading the model {self.library.spec.text} (once)…", "Hide", 0, 1000, self
            )
            dialog.setWindowTitle(APP_NAME)
            dialog.setMinimumDuration(0)
            self._download_dialog = dialog
        self._download_dialog.setValue(int(1000 * done / total) if total else 0)
        self._download_dialog.setLabelText(
            f"Downloading the model {self.library.spec.text} (once)…\n"
            f"{done / 1e6:.0f} of {total / 1e6:.0f} MB"
        )

    def _close_download_dialog(self) -> None:
        if self._download_dialog is not None:
            self._download_dialog.close()
            self._download_dialog = None

    def switch_model(self, spec: str) -> None:
        """Re-index into the new model's own database; switch when it is complete."""
        if self._switch is not None:
            self._switch.cancel()
        self._switch = ModelSwitch(self, spec)
        self._switch.start()

    # ------------------------------------------------------------------ indexing

    def _on_index_started(self) -> None:
        self.index_status.set_running(True)
        self.folders_panel.set_folders(self.library.folders(), indexing=True)
        if self._mode == "browse":
            self._browse_refresh.start()

    def _on_index_progress(self, p: IndexProgress) -> None:
        self.index_status.show_progress(p)

    def _on_index_finished(self, report: IndexReport) -> None:
        self._last_report = report
        self.index_status.set_running(False)
        self._browse_refresh.stop()
        self._refresh_folders()  # the run is over: folders show "up to date" again
        self.index_status.set_skipped(len(self._skipped_rows()))
        changed = report.added or report.updated or report.moved or report.removed
        if changed or report.cancelled:
            self._status(f"Index: {report.summary()}")
        if changed:
            if self._mode == "browse":
                self.queries.browse()
            elif self._mode == "text":
                self.search.force()

    def _on_index_failed(self, message: str, model_problem: bool) -> None:
        self.index_status.set_running(False)
        self._browse_refresh.stop()
        if model_problem:
            # The model's own message (with its way out) is already on screen: one is enough.
            # Indexing goes on by itself once a model loads.
            self._index_waits_for_model = True
            self._status(f"Indexing waits for a working model: {message}")
            return
        self._refresh_folders()
        if self._mode == "browse":  # show what was saved before it stopped
            self.queries.browse()
        self._error(f"Indexing stopped: {message}")

    def _skipped_rows(self) -> list[tuple[str, str]]:
        """Bad files on record, plus what the last run could not reach (links, FIFOs, ...)."""
        rows = [(s.path, s.reason) for s in self.library.store.skipped()]
        if self._last_report is not None:
            known = {p for p, _ in rows}
            rows += [(p, r) for p, r in self._last_report.skipped if p not in known]
        return rows

    def show_skipped(self) -> None:
        SkippedDialog(self._skipped_rows(), self).exec()

    # ------------------------------------------------------------------ preview and actions

    def open_preview(self, row: int) -> None:
        photo = self.photo_model.photo(row)
        if photo is None:
            return
        if self._preview is None:
            self._preview = PreviewDialog(self)
            self._preview.navigate.connect(self._preview_step)
        self.grid.setCurrentIndex(self.photo_model.index(row, 0))
        self._preview.show_photo(photo, row, self.photo_model.rowCount())
        screen = self.screen()
        side = max(screen.size().width(), screen.size().height()) if screen else 2048
        self.queries.preview(photo, side)
        self._preview.show()
        self._preview.raise_()
        self._preview.activateWindow()

    def _preview_step(self, delta: int) -> None:
        row = self.grid.current_row() + delta
        if 0 <= row < self.photo_model.rowCount():
            self.open_preview(row)

    def _on_preview_image(self, photo_id: int, image: QImage) -> None:
        if self._preview is not None:
            self._preview.set_image(photo_id, image)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.grid.indexAt(pos)
        if not index.isValid():
            return
        if not self.grid.selectionModel().isSelected(index):  # type: ignore[union-attr]
            self.grid.setCurrentIndex(index)
        rows = self.grid.selected_rows() or [index.row()]
        if index.row() in rows:
            rows.remove(index.row())
        rows.insert(0, index.row())
        photos = [p for p in (self.photo_model.photo(r) for r in rows) if p is not None]
        menu = photo_actions.build_menu(
            self, photos, self.find_similar,
            lambda p: self.open_preview(self.photo_model.row_of(p.id)),
        )
        viewport = self.grid.viewport()
        assert viewport is not None
        menu.exec(viewport.mapToGlobal(pos))

    # ------------------------------------------------------------------ drop and paste

    def dragEnterEvent(self, e: QDragEnterEvent | None) -> None:
        mime = e.mimeData() if e is not None else None
        if e is not None and mime is not None and (
            mime.hasImage() or any(is_image_name(u.toLocalFile()) for u in mime.urls())
        ):
            e.acceptProposedAction()

    def dropEvent(self, e: QDropEvent | None) -> None:
        self._similar_to_mime(e.mimeData() if e is not None else None)

    def _paste(self) -> None:
        clipboard = QGuiApplication.clipboard()
        self._similar_to_mime(clipboard.mimeData() if clipboard is not None else None)

    def _similar_to_mime(self, mime: QMimeData | None) -> None:
        """A dropped or pasted image file (or raw image) becomes a find-similar query."""
        if mime is None:
            return
        files = [u.toLocalFile() for u in mime.urls() if is_image_name(u.toLocalFile())]
        if files:
            self.similar_to_file(files[0])
        elif mime.hasImage():
            self._similar_to_image(QImage(mime.imageData()))

    def _similar_to_image(self, image: QImage) -> None:
        if image.isNull():
            return
        fd, tmp = tempfile.mkstemp(prefix="pasted-", suffix=".png", dir=self.paths.cache)
        os.close(fd)
        image.save(tmp, "PNG")
        self.similar_to_file(tmp)

    def _similar_to_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Find photos similar to…", str(Path.home()),
            "Images (*.jpg *.jpeg *.png *.webp *.gif *.bmp *.tif *.tiff *.heic *.heif)",
        )
        if path:
            self.similar_to_file(path)

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
        model_changed = (new.model, new.device, new.precision) != (
            self.settings.model, self.settings.device, self.settings.precision)
        self.settings.batch_size, self.settings.decode_workers = new.batch_size, new.decode_workers
        self.library.batch_size, self.library.workers = new.batch_size, new.decode_workers
        self.grid.set_thumb_size(new.thumbnail_size)
        self._save_state()
        if model_changed:
            self.settings.device, self.settings.precision = new.device, new.precision
            self.switch_model(new.model)

    def about(self) -> None:
        stats = self.library.stats()
        QMessageBox.about(
            self, f"About {APP_NAME}",
            f"<h3>{APP_NAME} {__version__}</h3>"
            "<p>Private, fully local semantic photo search.</p>"
            f"<p>Model: {stats['model']}<br>{self.model_label.text()}<br>"
            f"Library: {stats['photos']:,} photos in {stats['folders']} folders<br>"
            f"Index size: {stats['database_bytes'] / 1e6:.1f} MB<br>"
            f"Data: {self.paths.data}<br>Logs: {self.paths.logs}</p>",
        )

    # ------------------------------------------------------------------ messages

    def _status(self, text: str) -> None:
        self.message.setText(text)

    def _error(self, text: str) -> None:
        log.error(text)
        self._status(text)
        QMessageBox.warning(self, APP_NAME, text)
