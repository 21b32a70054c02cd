"""What the grid shows: the library, a search, photos similar to some, or a smart album.

The view controller asks the query service, puts the answer in the photo model, and says in
the status bar what is shown. Only the newest request's answer arrives (the service drops
older ones). While indexing runs, the library view refreshes itself every few seconds so the
grid fills as photos are indexed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from PyQt6.QtCore import QItemSelection, QItemSelectionModel, QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QImage

from inphotos.errors import DownloadError
from inphotos.records import Filters, PhotoRecord, SearchRequest
from inphotos.ui.grid import PhotoGrid
from inphotos.ui.photo_model import PhotoModel
from inphotos.ui.search_bar import SearchBar
from inphotos.ui.stacks import StackController
from inphotos.workers.queries import ResultKind, Results
from inphotos.workers.session import LibrarySession

log = logging.getLogger(__name__)

BROWSE_REFRESH_MS = 2500
#: Past this many photos loaded, the timeline waits for the end of indexing to refresh: a
#: refresh reads and lays out everything loaded again (at 100,000, most of a second).
AUTO_REFRESH_MAX_ROWS = 5000


class ViewController(QObject):
    """Owns which photos the grid shows and keeps that view current.

    What is asked is one request: the words in the search field (or the photos a "find
    similar" started from, which words then refine), the filters (the folder chosen in the
    side panel and the filter bar's year, type and shape), the order, and whether weaker
    matches show too.
    """

    status = pyqtSignal(str)  # a line for the status bar
    results_shown = pyqtSignal(object)  # Results, once they are in the grid
    weaker_available = pyqtSignal(int, bool)  # weaker matches not shown (0: none, or shown), "or more"

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
        # Asks again for photos like a dropped or pasted image, with the request of the moment
        # (new filters, order, weaker matches), as a typed search is asked again.
        self._image_search: Callable[[], object] | None = None
        self.category: tuple[str, str] | None = None  # the Explore category shown: key, name
        #: Another page (Explore) covers the grid: it is not refreshed underneath, since the
        #: answer would bring the grid back; the person's next choice asks afresh.
        self.covered = False
        self.shown: Results | None = None
        self._auto_refresh = QTimer(self)
        self._auto_refresh.setInterval(BROWSE_REFRESH_MS)
        self._auto_refresh.timeout.connect(self._auto_refresh_browse)
        search.search_requested.connect(self.search)
        search.escaped.connect(self._leave_similar)
        session.queries.results_ready.connect(self._on_results)
        session.queries.query_failed.connect(self._on_query_failed)
        session.queries.page_ready.connect(self._on_page)
        model.more_needed.connect(lambda last: session.queries.browse_more(self.filters, last))
        self._pending_year = 0  # a jump to a year waiting for its page to arrive
        self._refresh = -1  # the request number of a refresh of the timeline shown
        self.stacks: StackController | None = None  # duplicates shown as one cell (ui/stacks.py)

    def show_library(self) -> None:
        """The whole library, newest first; the search field is emptied."""
        self.search_bar.clear_silently()
        self._leave_similar()
        self.search("")

    def _leave_similar(self) -> None:
        self.similar = None
        self._image_search = None
        self.category = None
        self.album = ""
        self.search_bar.set_refining("")

    def request(self, text: str | None = None) -> SearchRequest:
        """What is asked now (`text`: instead of the search field's words)."""
        words = self.search_bar.text().strip() if text is None else text
        ids = self.similar[0] if self.similar else ()
        return SearchRequest(words, ids, filters=self.filters, sort=self.sort,
                             include_weaker=self.include_weaker,
                             category=self.category[0] if self.category else "")

    def search(self, text: str) -> None:
        self.include_weaker = False
        self._image_search = None  # typed words start a search of their own
        self._run(text)

    def _run(self, text: str) -> None:
        self.album = ""
        if self.category is not None:  # "dogs, on the beach": words refine it
            self.kind = ResultKind.CATEGORY
            self.session.queries.search(self.request(text), ResultKind.CATEGORY, self.category[1])
            return
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
        self._image_search = None
        self.include_weaker = False
        self.search_bar.clear_silently()
        name = os.path.basename(photos[0].path)
        label = name if len(photos) == 1 else f"{len(photos)} photos"
        self.similar = (tuple(p.id for p in photos), label)
        self.search_bar.set_refining(label)
        self.session.queries.similar_to_photos(self.similar[0], label, self.request(""))

    def open_category(self, key: str, name: str) -> None:
        """The photos of an Explore category, best first: the normal search (its cut-off,
        filters, order; words typed then refine it). Needs no model: its direction is stored."""
        self._leave_similar()
        self.search_bar.clear_silently()
        self.include_weaker = False
        self.category = (key, name)
        self.search_bar.set_refining(name)
        self._run("")

    def similar_to_file(self, path: str, label: str = "") -> None:
        if self._model_missing():
            return
        self._leave_similar()
        self.kind = ResultKind.SIMILAR
        self.search_bar.clear_silently()
        self._image_search = lambda: self.session.queries.similar_to_file(path, label, self.request(""))
        self._image_search()

    def similar_to_image(self, image: QImage, temp_dir: Path, label: str) -> None:
        if self._model_missing():
            return
        self._leave_similar()
        self.kind = ResultKind.SIMILAR
        self.search_bar.clear_silently()
        self._image_search = lambda: self.session.queries.similar_to_image(
            image, temp_dir, label, self.request(""))
        self._image_search()

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
        elif self.kind is ResultKind.SIMILAR and self._image_search is not None:
            self._image_search()
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
        if self.covered:
            return
        if self.kind is ResultKind.BROWSE:
            self._refresh_browse()
        elif self.kind is ResultKind.TEXT:
            self.search_bar.force()

    def set_indexing(self, running: bool) -> None:
        """While indexing runs, the library view refreshes itself as photos arrive."""
        if running and self.kind is ResultKind.BROWSE:
            self._auto_refresh.start()
        else:
            self._auto_refresh.stop()

    def _auto_refresh_browse(self) -> None:
        if self.model.rowCount() <= AUTO_REFRESH_MAX_ROWS:
            self._refresh_browse()

    def _refresh_browse(self) -> None:
        """The timeline again, as far as it is loaded; the answer keeps the person's place."""
        # Not over a page on its way; not while another page (Explore) covers the grid.
        if self.kind is ResultKind.BROWSE and not self.model.fetching and not self.covered:
            # As far as loaded and a page more: photos indexed meanwhile above the place shown
            # must not push what was below it out of the grid (the view would be cut short).
            loaded = self.model.rowCount() + self.session.queries.page_size
            self._refresh = self.session.queries.browse(self.filters, at_least=loaded)

    def _on_results(self, results: Results) -> None:
        self.session.thumbs.cancel_pending()
        self.shown = results
        more = results.kind is ResultKind.BROWSE and results.result is not None and results.result.more
        self._pending_year = 0
        photos, scores = results.photos, results.scores
        if self.stacks is not None:
            photos, scores = self.stacks.collapse(photos, scores, results.pinned)
        if results.kind is ResultKind.BROWSE and self._refresh == self.session.queries.generation:
            self._show_keeping_place(photos, scores, results.pinned, more)
        else:
            self.model.set_photos(photos, scores, pinned=results.pinned, more=more,
                                  frame_times=results.frame_times)
            self.grid.scrollToTop()
        self.status.emit(self.describe(results))
        result, request = results.result, results.request
        weaker = result.weaker if result is not None else 0
        hidden = 0 if request is None or request.include_weaker or results.kind is ResultKind.BROWSE \
            else weaker
        self.weaker_available.emit(hidden, result is not None and (result.more or result.weaker_more))
        if results.kind is ResultKind.BROWSE:
            self.set_indexing(self.session.index.running)
        self.results_shown.emit(results)

    def _show_keeping_place(self, photos: list[PhotoRecord], scores: list[float] | None,
                            pinned: int, more: bool) -> None:
        """The refreshed timeline, with the photo at the top, the selection and the current
        photo where they were (photos indexed meanwhile may appear above or below)."""
        # At the very top, the top it stays: the photos indexed meanwhile show up there.
        place = self.grid.place() if self.grid.verticalOffset() > 0 else (0, 0)
        selected = {self.model.photo(r).id for r in self.grid.selected_rows()}  # type: ignore[union-attr]
        current = self.model.photo(self.grid.current_row())
        self.model.set_photos(photos, scores, pinned=pinned, more=more)
        selection = self.grid.selectionModel()
        assert selection is not None
        if current is not None and self.model.row_of(current.id) >= 0:
            selection.setCurrentIndex(self.model.index(self.model.row_of(current.id), 0),
                                      QItemSelectionModel.SelectionFlag.NoUpdate)
        rows = sorted(r for r in (self.model.row_of(i) for i in selected) if r >= 0)
        chosen = QItemSelection()
        for first, last in _runs(rows):
            chosen.select(self.model.index(first, 0), self.model.index(last, 0))
        selection.select(chosen, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.grid.restore_place(place)

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
        if results.kind is ResultKind.CATEGORY:
            words = results.request.text if results.request is not None else ""
            refined = f", refined with “{words}”" if words else ""
            return f"Explore · {results.query}{refined}: {summary}{narrowed}"
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
        if self.stacks is not None:
            photos = self.stacks.collapse_more(photos)
        self.model.append_photos(photos, more)
        if self._pending_year:
            year, self._pending_year = self._pending_year, 0
            self.jump_to_year(year)

    def _on_query_failed(self, message: str) -> None:
        self.status.emit(message)


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted rows as (first, last) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and runs[-1][1] == r - 1:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    return runs


def cannot_search(why: object) -> str:
    """Why a search cannot run, in the user's words."""
    if isinstance(why, DownloadError):
        return ("Cannot search yet: the search model is not downloaded (this computer seems to "
                "be offline). Browsing works; searching starts once the model is here.")
    return f"Cannot search: the model could not be loaded. {why}"
