"""What the grid shows: the whole library, a text search, or photos similar to some.

The view controller asks the query service, puts the answer in the photo model, and says in
the status bar what is shown. Only the newest request's answer arrives (the service drops
older ones). While indexing runs, the library view refreshes itself every few seconds so the
grid fills as photos are indexed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QImage

from inphotos.errors import DownloadError
from inphotos.records import PhotoRecord
from inphotos.ui.grid import PhotoGrid
from inphotos.ui.photo_model import PhotoModel
from inphotos.ui.search_bar import SearchBar
from inphotos.workers.queries import ResultKind, Results
from inphotos.workers.session import LibrarySession

log = logging.getLogger(__name__)

BROWSE_REFRESH_MS = 2500


class ViewController(QObject):
    """Owns which photos the grid shows and keeps that view current."""

    status = pyqtSignal(str)  # a line for the status bar
    results_shown = pyqtSignal(object)  # Results, once they are in the grid

    def __init__(self, session: LibrarySession, model: PhotoModel, grid: PhotoGrid,
                 search: SearchBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = model
        self.grid = grid
        self.search_bar = search
        self.kind = ResultKind.BROWSE
        self._auto_refresh = QTimer(self)
        self._auto_refresh.setInterval(BROWSE_REFRESH_MS)
        self._auto_refresh.timeout.connect(self._refresh_browse)
        search.search_requested.connect(self.search)
        session.queries.results_ready.connect(self._on_results)
        session.queries.query_failed.connect(self._on_query_failed)

    def show_library(self) -> None:
        """The whole library, newest first; the search field is emptied."""
        self.search_bar.clear_silently()
        self.search("")

    def search(self, text: str) -> None:
        if not text:
            self.kind = ResultKind.BROWSE
            self.session.queries.browse()
            return
        self.kind = ResultKind.TEXT
        why = self.session.model.error
        if why is not None:
            # Not the whole library under the query as if it matched, and no new download try.
            self.session.queries.cancel()
            self.session.thumbs.cancel_pending()
            self.model.set_photos([])
            self.status.emit(cannot_search(why))
            return
        if not self.session.lib.text_ready:
            self.status.emit("Searching as soon as the model is loaded…")
        self.session.queries.search_text(text)

    def _model_missing(self) -> bool:
        """Whether the model cannot run; if so, the status bar says why."""
        why = self.session.model.error
        if why is not None:
            self.status.emit(cannot_search(why))
        return why is not None

    def find_similar(self, photos: Sequence[PhotoRecord]) -> None:
        if not photos or self._model_missing():
            return
        self.kind = ResultKind.SIMILAR
        self.search_bar.clear_silently()
        name = os.path.basename(photos[0].path)
        label = name if len(photos) == 1 else f"{len(photos)} photos"
        self.session.queries.similar_to_photos([p.id for p in photos], label)

    def similar_to_file(self, path: str, label: str = "") -> None:
        if self._model_missing():
            return
        self.kind = ResultKind.SIMILAR
        self.search_bar.clear_silently()
        self.session.queries.similar_to_file(path, label)

    def similar_to_image(self, image: QImage, temp_dir: Path, label: str) -> None:
        if self._model_missing():
            return
        self.kind = ResultKind.SIMILAR
        self.search_bar.clear_silently()
        self.session.queries.similar_to_image(image, temp_dir, label)

    def refresh(self) -> None:
        """Ask again for what is shown (the library changed underneath it)."""
        if self.kind is ResultKind.BROWSE:
            self.session.queries.browse()
        elif self.kind is ResultKind.TEXT:
            self.search_bar.force()

    def set_indexing(self, running: bool) -> None:
        """While indexing runs, the library view refreshes itself as photos arrive."""
        if running and self.kind is ResultKind.BROWSE:
            self._auto_refresh.start()
        else:
            self._auto_refresh.stop()

    def _refresh_browse(self) -> None:
        if self.kind is ResultKind.BROWSE and not self.grid.selectedIndexes():
            self.session.queries.browse()

    def _on_results(self, results: Results) -> None:
        self.session.thumbs.cancel_pending()
        self.model.set_photos(results.photos, results.scores)
        self.grid.scrollToTop()
        n = len(results.photos)
        if results.kind is ResultKind.BROWSE:
            self.set_indexing(self.session.index.running)
            self.status.emit(f"{n:,} photos" if n else "No photos indexed yet")
        elif results.kind is ResultKind.TEXT:
            self.status.emit(f"{n:,} best matches for “{results.query}” ({results.elapsed_ms:.0f} ms)"
                             if n else f"No photos match “{results.query}”")
        else:
            self.status.emit(f"Photos similar to {os.path.basename(results.query)}")
        self.results_shown.emit(results)

    def _on_query_failed(self, message: str) -> None:
        self.status.emit(message)


def cannot_search(why: object) -> str:
    """Why a search cannot run, in the user's words."""
    if isinstance(why, DownloadError):
        return ("Cannot search yet: the search model is not downloaded (this computer seems to "
                "be offline). Browsing works; searching starts once the model is here.")
    return f"Cannot search: the model could not be loaded. {why}"
