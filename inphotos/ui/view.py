"""What the grid shows: the library, a search, photos similar to some, or a smart album.

The view controller asks the query service, puts the answer in the photo model, and says in
the status bar what is shown. Only the newest request's answer arrives (the service drops
older ones). While indexing runs, the library view refreshes itself every few seconds so the
grid fills as photos are indexed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QImage

from inphotos.errors import DownloadError
from inphotos.records import Filters, PhotoRecord, SearchRequest
from inphotos.ui.grid import PhotoGrid
from inphotos.ui.photo_model import PhotoModel
from inphotos.ui.search_bar import SearchBar
from inphotos.workers.queries import ResultKind, Results
from inphotos.workers.session import LibrarySession

log = logging.getLogger(__name__)

BROWSE_REFRESH_MS = 2500


class ViewController(QObject):
    """Owns which photos the grid shows and keeps that view current.

    What is asked is one request: the words in the search field (or the photos a "find
    similar" started from, which words then refine), the filters (the folder chosen in the
    side panel and the filter bar's year, type and shape), the order, and whether weaker
    matches show too.
    """

    status = pyqtSignal(str)  # a line for the status bar
    results_shown = pyqtSignal(object)  # Results, once they are in the grid
    weaker_available = pyqtSignal(int)  # weaker matches not shown (0: none, or shown)

    def __init__(self, session: LibrarySession, model: PhotoModel, grid: PhotoGrid,
                 search: SearchBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = model
        self.grid = grid
        self.search_bar = search
        self.kind = ResultKind.BROWSE
        self.filters = Filters()
        self.sort = "relevance"
        self.include_weaker = False
        self.similar: tuple[tuple[int, ...], str] | None = None  # photo ids, label
        self.album = ""  # the smart album shown, if any
        self.shown: Results | None = None
        self._auto_refresh = QTimer(self)
        self._auto_refresh.setInterval(BROWSE_REFRESH_MS)
        self._auto_refresh.timeout.connect(self._refresh_browse)
        search.search_requested.connect(self.search)
        search.escaped.connect(self._leave_similar)
        session.queries.results_ready.connect(self._on_results)
        session.queries.query_failed.connect(self._on_query_failed)
        session.queries.page_ready.connect(self._on_page)
        model.more_needed.connect(lambda last: session.queries.browse_more(self.filters, last))
        self._pending_year = 0  # a jump to a year waiting for its page to arrive

    def show_library(self) -> None:
        """The whole library, newest first; the search field is emptied."""
        self.search_bar.clear_silently()
        self._leave_similar()
        self.search("")

    def _leave_similar(self) -> None:
        self.similar = None
        self.album = ""
        self.search_bar.set_refining("")

    def request(self, text: str | None = None) -> SearchRequest:
        """What is asked now (`text`: instead of the search field's words)."""
        words = self.search_bar.text().strip() if text is None else text
        ids = self.similar[0] if self.similar else ()
        return SearchRequest(words, ids, filters=self.filters, sort=self.sort,
                             include_weaker=self.include_weaker)

    def search(self, text: str) -> None:
        self.include_weaker = False
        self._run(text)

    def _run(self, text: str) -> None:
        self.album = ""
        if self.similar is not None:  # "like this one, but at night": words refine it
            self.kind = ResultKind.SIMILAR
            if not self._model_missing():
                ids, label = self.similar
                self.session.queries.similar_to_photos(ids, label, self.request(text))
            return
        if not text:
            self.kind = ResultKind.BROWSE
            self.session.queries.browse(self.filters)
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
        self.session.queries.search_text(text, self.request(text))

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
        self.album = ""
        self.include_weaker = False
        self.search_bar.clear_silently()
        name = os.path.basename(photos[0].path)
        label = name if len(photos) == 1 else f"{len(photos)} photos"
        self.similar = (tuple(p.id for p in photos), label)
        self.search_bar.set_refining(label)
        self.session.queries.similar_to_photos(self.similar[0], label, self.request(""))

    def similar_to_file(self, path: str, label: str = "") -> None:
        if self._model_missing():
            return
        self._leave_similar()
        self.kind = ResultKind.SIMILAR
        self.search_bar.clear_silently()
        self.session.queries.similar_to_file(path, label, self.request(""))

    def similar_to_image(self, image: QImage, temp_dir: Path, label: str) -> None:
        if self._model_missing():
            return
        self._leave_similar()
        self.kind = ResultKind.SIMILAR
        self.search_bar.clear_silently()
        self.session.queries.similar_to_image(image, temp_dir, label, self.request(""))

    # ------------------------------------------------------------ narrowing and order

    def set_filters(self, filters: Filters) -> None:
        """Narrow what is shown (the search, the similar photos or the library) to `filters`."""
        if filters != self.filters:
            self.filters = filters
            self.rerun()

    def set_folder(self, folder: str) -> None:
        """Show only photos in `folder` ("": every folder); an album shown gives way."""
        if self.album:
            self.album = ""
            self.kind = ResultKind.BROWSE
        self.set_filters(replace(self.filters, folder=folder))

    def set_sort(self, sort: str) -> None:
        if sort != self.sort:
            self.sort = sort
            self.rerun()

    def show_weaker(self) -> None:
        """Show the weaker matches too, below the matches."""
        self.include_weaker = True
        self.rerun()

    def rerun(self) -> None:
        """Ask again for what is shown, with the current filters and order."""
        if self.album:
            self.open_album(self.album, keep_weaker=True)
        elif self.kind is not ResultKind.SIMILAR or self.similar is not None:
            self._run(self.search_bar.text().strip())

    def open_album(self, name: str, keep_weaker: bool = False) -> None:
        """Run smart album `name` again (photos indexed since show up)."""
        self.search_bar.clear_silently()
        self._leave_similar()
        self.album = name
        self.kind = ResultKind.ALBUM
        if not keep_weaker:
            self.include_weaker = False
        saved = None
        if self.include_weaker and self.shown is not None and self.shown.request is not None:
            saved = replace(self.shown.request, include_weaker=True)
        self.session.queries.album(name, saved)

    # ------------------------------------------------------------ keeping it current

    def refresh(self) -> None:
        """Ask again for what is shown (the library changed underneath it)."""
        if self.kind is ResultKind.BROWSE:
            self.session.queries.browse(self.filters)
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
            self.session.queries.browse(self.filters)

    def _on_results(self, results: Results) -> None:
        self.session.thumbs.cancel_pending()
        self.shown = results
        more = results.kind is ResultKind.BROWSE and results.result is not None and results.result.more
        self._pending_year = 0
        self.model.set_photos(results.photos, results.scores, pinned=results.pinned, more=more,
                              frame_times=results.frame_times)
        self.grid.scrollToTop()
        self.status.emit(self.describe(results))
        weaker = results.result.weaker if results.result is not None else 0
        request = results.request
        hidden = 0 if request is None or request.include_weaker or results.kind is ResultKind.BROWSE \
            else weaker
        self.weaker_available.emit(hidden)
        if results.kind is ResultKind.BROWSE:
            self.set_indexing(self.session.index.running)
        self.results_shown.emit(results)

    def describe(self, results: Results) -> str:
        """The status line for `results`: what is shown, and how many match."""
        n = len(results.photos) - results.pinned
        narrowed = " (filtered)" if self.filters else ""
        if results.kind is ResultKind.BROWSE:
            total = results.result.matched if results.result is not None else n
            if n:
                return f"{total:,} photos{narrowed}"
            return "No photos match the filters" if self.filters else "No photos indexed yet"
        summary = results.summary()
        if results.kind is ResultKind.TEXT:
            if not n:
                weaker = results.result.weaker if results.result is not None else 0
                return f"No photos match “{results.query}”{narrowed}" + \
                    (f" · {weaker} weaker" if weaker else "")
            return f"{summary} for “{results.query}”{narrowed} ({results.elapsed_ms:.0f} ms)"
        if results.kind is ResultKind.ALBUM:
            return f"Album “{results.query}”: {summary}{narrowed}"
        what = os.path.basename(results.query)
        words = results.request.text if results.request is not None else ""
        if words:
            what += f", refined with “{words}”"
        return f"Photos similar to {what}: {summary}{narrowed}" if n else \
            f"No photos are similar to {what}{narrowed}"

    # ------------------------------------------------------------ the timeline

    def jump_to_year(self, year: int) -> None:
        """Scroll the timeline to the newest photo of `year` (or the next older one), loading
        the pages up to it first when they are not loaded yet."""
        row = self.model.first_row_in_year(year)
        if row >= 0:
            self._scroll_to(row)
            return
        self._pending_year = year
        last = self.model.begin_fetch()
        if last is None:
            if not self.model.fetching:  # every page is here: the oldest photo is the nearest
                self._pending_year = 0
                self._scroll_to(self.model.rowCount() - 1)
            return  # else the page on its way comes back here
        start = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp() * 1000)
        self.session.queries.browse_more(self.filters, last, until_ms=start)

    def _scroll_to(self, row: int) -> None:
        if row < 0:
            return
        index = self.model.index(row, 0)
        self.grid.setCurrentIndex(index)
        self.grid.scrollTo(index, PhotoGrid.ScrollHint.PositionAtTop)

    def _on_page(self, photos: list[PhotoRecord], more: bool) -> None:
        self.model.append_photos(photos, more)
        if self._pending_year:
            year, self._pending_year = self._pending_year, 0
            self.jump_to_year(year)

    def _on_query_failed(self, message: str) -> None:
        self.status.emit(message)


def cannot_search(why: object) -> str:
    """Why a search cannot run, in the user's words."""
    if isinstance(why, DownloadError):
        return ("Cannot search yet: the search model is not downloaded (this computer seems to "
                "be offline). Browsing works; searching starts once the model is here.")
    return f"Cannot search: the model could not be loaded. {why}"
