"""Interactive work: text search, find similar, browsing and previews (the model load is
workers/model_service.py).

Runs on its own 1-thread pool so it never queues behind indexing (MusicBrainz Picard keeps
user-facing work and writes apart the same way). Every request gets a generation number and
only the newest request's results reach the window.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QImage

from inphotos.errors import InPhotosError
from inphotos.records import Filters, Hit, PhotoRecord, SearchRequest, SearchResult
from inphotos.workers.runner import Runner

if TYPE_CHECKING:  # the engine loads on a worker thread, after the window is up
    from inphotos.core.library import Library

log = logging.getLogger(__name__)


class ResultKind(StrEnum):
    """What a set of results answers."""

    BROWSE = "browse"  # the whole library, newest first
    TEXT = "text"  # a description typed in the search bar
    SIMILAR = "similar"  # photos like one or more photos, or an image file
    ALBUM = "album"  # a smart album (a saved search), run again
    CATEGORY = "category"  # an Explore category's photos (words may refine them)


@dataclass(frozen=True)
class Results:
    """What the grid shows: photos with scores (None when browsing).

    `scores` are the readable match strengths (0-1, see core/relevance.py) where the search
    had a cut-off, else raw cosines. `pinned` photos lead the list: the ones a "find similar"
    started from. `result` is the engine's answer (counts, summary); `years` are the years
    the unfiltered library spans (browsing only), for the jump-to-year control.
    """

    kind: ResultKind
    query: str
    photos: list[PhotoRecord]
    scores: list[float] | None
    elapsed_ms: float
    request: SearchRequest | None = None
    result: SearchResult | None = None
    pinned: int = 0
    years: tuple[int, ...] = ()

    @property
    def frame_times(self) -> dict[int, int]:
        """Photo id -> the time (ms) of the frame of each video that matched best."""
        hits = self.result.hits if self.result is not None else []
        return {h.photo.id: h.frame_ms for h in hits if h.frame_ms >= 0}

    def summary(self) -> str:
        """ "12 matches · 40 weaker", or the photo count when browsing."""
        if self.result is None or self.kind is ResultKind.BROWSE:
            n = len(self.photos) - self.pinned
            return f"{n:,} photo" + ("" if n == 1 else "s")
        return self.result.summary()


class QueryService(QObject):
    """Answers the search bar, "find similar" and browsing."""

    results_ready = pyqtSignal(object)  # Results
    query_failed = pyqtSignal(str)
    preview_ready = pyqtSignal(int, QImage)  # photo id, image
    preview_failed = pyqtSignal(int, str)  # photo id, why it cannot be shown
    image_copied = pyqtSignal(QImage)  # a photo decoded for the clipboard
    copy_failed = pyqtSignal(str)
    page_ready = pyqtSignal(list, bool)  # more photos of the timeline, whether more follow
    albums_changed = pyqtSignal(list)  # the smart albums' names, in the order they were made
    album_failed = pyqtSignal(str)  # why an album could not be saved, renamed or deleted

    def __init__(self, library: Library | None, limit: int = 500, parent: QObject | None = None,
                 page_size: int = 200) -> None:
        super().__init__(parent)
        self.library = library
        self.limit = limit
        self.page_size = page_size
        self._runner = Runner(1, "inphotos-query", self)
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(self._on_failed)
        self._preview_runner = Runner(1, "inphotos-preview", self)
        self._preview_runner.finished.connect(self._on_preview)
        self._preview_runner.failed.connect(self._on_preview_failed)
        self._albums_runner = Runner(1, "inphotos-albums", self)
        self._albums_runner.finished.connect(lambda _k, _g, names: self.albums_changed.emit(names))
        self._albums_runner.failed.connect(lambda _k, _g, e: self.album_failed.emit(str(e)))
        self._generation = 0

    def set_library(self, library: Library) -> None:
        """Answer from `library` from now on; answers still on their way are dropped."""
        self.library = library
        self._generation += 1
        self._runner.clear()

    def cancel(self) -> None:
        """Drop every answer not yet shown (what the grid shows was decided otherwise)."""
        self._generation += 1
        self._runner.clear()

    @property
    def _lib(self) -> Library:
        assert self.library is not None, "no library is open yet"
        return self.library

    def _submit(self, kind: ResultKind, query: str, fn: Callable[[], Results]) -> int:
        self._generation += 1
        self._runner.clear()  # a newer request replaces any that has not started
        self._runner.submit(kind, self._generation, fn)
        return self._generation

    @property
    def generation(self) -> int:
        """The newest request's number (what `browse` and the searches return)."""
        return self._generation

    def browse(self, filters: Filters | None = None, at_least: int = 0) -> int:
        """The timeline: the first page of the library (narrowed by `filters`), newest first
        (`at_least`: this many photos if there are, for a refresh of the pages shown).

        Later pages come with `browse_more` as the grid scrolls; only photo ids are counted
        up front, never every record read.
        """
        lib, chosen = self._lib, filters or Filters()
        page = max(self.page_size, -(-at_least // self.page_size) * self.page_size)

        def run() -> Results:
            t0 = time.perf_counter()
            photos = lib.browse_page(page, None, chosen)
            total = len(lib.browse_ids(chosen))
            years = _years(lib, photos[0]) if photos and not chosen else ()
            result = SearchResult([], total, 0, None, len(photos) < total, total)
            return Results(ResultKind.BROWSE, "", photos, None, (time.perf_counter() - t0) * 1000,
                           SearchRequest(filters=chosen), result, 0, years)

        return self._submit(ResultKind.BROWSE, "", run)

    def browse_more(self, filters: Filters | None, after: PhotoRecord, until_ms: int | None = None) -> None:
        """The next page of the timeline after `after` (`until_ms`: pages until one reaches a
        photo taken before it, for a jump to a year); arrives as `page_ready` unless another
        request replaced the browse it continues."""
        lib, chosen, page = self._lib, filters or Filters(), self.page_size

        def run() -> tuple[list[PhotoRecord], bool]:
            photos: list[PhotoRecord] = []
            last: PhotoRecord | None = after
            while last is not None:
                got = lib.browse_page(page, last, chosen)
                photos.extend(got)
                last = got[-1] if len(got) == page else None
                if until_ms is None or (got and got[-1].taken_ms < until_ms):
                    break
            return photos, last is not None

        self._runner.submit("page", self._generation, run)

    def search(self, request: SearchRequest, kind: ResultKind, label: str) -> int:
        """Run `request` through the engine's search (its cut-off, filters and order).

        Photos a "find similar" started from are pinned first.
        """
        lib, k, req = self._lib, self.limit, request

        def run() -> Results:
            t0 = time.perf_counter()
            result = lib.search(req, k=k)
            hits = _matches_and_weaker(result)
            photos = [h.photo for h in hits]
            scores = [h.strength if h.strength >= 0 else h.score for h in hits]
            pinned = [p for p in lib.photos(req.photo_ids) if p is not None] if req.photo_ids else []
            return Results(kind, label, [*pinned, *photos], [*([1.0] * len(pinned)), *scores],
                           (time.perf_counter() - t0) * 1000, req, result, len(pinned))

        return self._submit(kind, label, run)

    def search_text(self, text: str, request: SearchRequest | None = None) -> int:
        req = replace(request or SearchRequest(), text=text, photo_ids=(), image_path="")
        return self.search(req, ResultKind.TEXT, text)

    def similar_to_photos(self, ids: Sequence[int], label: str,
                          request: SearchRequest | None = None) -> int:
        req = replace(request or SearchRequest(), photo_ids=tuple(ids), image_path="")
        return self.search(req, ResultKind.SIMILAR, label)

    def similar_to_file(self, path: str, label: str = "", request: SearchRequest | None = None) -> int:
        req = replace(request or SearchRequest(), text="", photo_ids=(), image_path=path)
        return self.search(req, ResultKind.SIMILAR, label or path)

    def similar_to_image(self, image: QImage, temp_dir: Path, label: str,
                         request: SearchRequest | None = None) -> int:
        """Photos like a picture with no file behind it (pasted): it is written to a temporary
        PNG for the engine to read, on the query thread, and deleted once searched."""
        base = replace(request or SearchRequest(), text="", photo_ids=())
        tmp_path: list[str] = []

        def make() -> SearchRequest:
            fd, tmp = tempfile.mkstemp(prefix="pasted-", suffix=".png", dir=temp_dir)
            os.close(fd)
            tmp_path.append(tmp)
            if not image.save(tmp, "PNG"):
                raise InPhotosError("The pasted picture could not be read.")
            return replace(base, image_path=tmp)

        lib, k = self._lib, self.limit

        def run() -> Results:
            t0 = time.perf_counter()
            try:
                req = make()
                result = lib.search(req, k=k)
            finally:
                for tmp in tmp_path:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
            hits = _matches_and_weaker(result)
            scores = [h.strength if h.strength >= 0 else h.score for h in hits]
            return Results(ResultKind.SIMILAR, label, [h.photo for h in hits], scores,
                           (time.perf_counter() - t0) * 1000, replace(req, image_path=""), result)

        return self._submit(ResultKind.SIMILAR, label, run)

    def album(self, name: str, request: SearchRequest | None = None) -> int:
        """Run smart album `name` (its saved request, or `request` when given: the album with
        its weaker matches shown, say)."""
        lib, k = self._lib, self.limit

        def run() -> Results:
            t0 = time.perf_counter()
            req = request or lib.albums.get(name)
            result = lib.search(req, k=k)
            hits = _matches_and_weaker(result)
            scores = None if not (req.text or req.photo_ids or req.category) else \
                [h.strength if h.strength >= 0 else h.score for h in hits]
            return Results(ResultKind.ALBUM, name, [h.photo for h in hits], scores,
                           (time.perf_counter() - t0) * 1000, req, result)

        return self._submit(ResultKind.ALBUM, name, run)

    def _albums_job(self, change: Callable[[Library], object] | None = None) -> None:
        """Change the albums (a small file write, off the GUI thread), then list them."""
        lib = self._lib

        def run() -> list[str]:
            if change is not None:
                change(lib)
            return list(lib.albums.all())

        self._albums_runner.submit("albums", 0, run)

    def list_albums(self) -> None:
        self._albums_job()

    def save_album(self, name: str, request: SearchRequest) -> None:
        self._albums_job(lambda lib: lib.albums.add(name, request))

    def rename_album(self, old: str, new: str) -> None:
        self._albums_job(lambda lib: lib.albums.rename(old, new))

    def remove_album(self, name: str) -> None:
        self._albums_job(lambda lib: lib.albums.remove(name))

    def preview(self, photo: PhotoRecord, max_side: int, at_ms: int = 0) -> None:
        """Decode a photo at screen size, upright, off the GUI thread (a video: its frame at
        `at_ms`)."""
        self._preview_runner.clear()

        self._preview_runner.submit("preview", photo.id,
                                    lambda: (photo.id, _decode(photo.path, max_side, at_ms)))

    def copy_image(self, photo: PhotoRecord, max_side: int = 4096) -> None:
        """Decode a photo for the clipboard, off the GUI thread."""
        self._preview_runner.submit("copy", photo.id, lambda: (photo.id, _decode(photo.path, max_side)))

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        a = self._runner.shutdown(timeout_ms)
        b = self._preview_runner.shutdown(timeout_ms)
        c = self._albums_runner.shutdown(timeout_ms)
        return a and b and c

    def _on_finished(self, kind: str, generation: int, result: object) -> None:
        if generation != self._generation:
            return
        if kind == "page":
            photos, more = cast("tuple[list[PhotoRecord], bool]", result)
            self.page_ready.emit(photos, more)
        else:
            self.results_ready.emit(result)

    def _on_failed(self, kind: str, generation: int, error: object) -> None:
        if generation == self._generation:
            self.query_failed.emit(str(error))

    def _on_preview(self, kind: str, generation: int, result: object) -> None:
        photo_id, image = cast("tuple[int, QImage]", result)
        if kind == "copy":
            self.image_copied.emit(image)
        else:
            self.preview_ready.emit(photo_id, image)

    def _on_preview_failed(self, kind: str, generation: int, error: object) -> None:
        if kind == "copy":
            self.copy_failed.emit(f"Cannot copy the image: {error}")
        else:
            self.preview_failed.emit(generation, str(error))


def _matches_and_weaker(result: SearchResult) -> list[Hit]:
    """The hits the window shows: the matches, and (when asked for) the weaker ones, but not
    the rest of the library the engine ranks below them (the background). Weaker photos are
    the next best scores after the matches, whatever the order shown."""
    hits, shown = result.hits, result.matched + result.weaker
    if result.cutoff is None or len(hits) <= shown:
        return hits
    if shown == 0:
        return []
    floor = sorted((h.score for h in hits), reverse=True)[shown - 1]
    return [h for h in hits if h.score >= floor]


def _years(lib: Library, newest: PhotoRecord) -> tuple[int, ...]:
    """The years the library's photos were taken in, newest first: one single-photo page per
    year (the newest photo before each year starts), however many photos there are."""
    years: list[int] = []
    photo: PhotoRecord | None = newest
    while photo is not None and photo.taken_ms and len(years) < 200:
        year = _year(photo.taken_ms)
        years.append(year)
        start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp() * 1000)
        older = lib.browse_page(1, None, Filters(before_ms=start))
        photo = older[0] if older else None
    return tuple(years)


def _year(taken_ms: int) -> int:
    """The calendar year of a date taken (stored as local time written as UTC)."""
    return datetime.fromtimestamp(taken_ms / 1000, UTC).year


def _decode(path: str, max_side: int, at_ms: int = 0) -> QImage:
    """A photo as an upright QImage no larger than `max_side` (on a worker thread); a
    video's frame at `at_ms`."""
    from inphotos.core.formats import is_video_name
    from inphotos.core.imaging import load_preview
    from inphotos.core.video import video_still

    if at_ms > 0 and is_video_name(path):
        rgb = video_still(path, max_side, at_ms)
    else:
        rgb = load_preview(path, max_side)  # a DecodeError says why, in the preview
    data = rgb.tobytes("raw", "RGB")
    image = QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888)
    return image.copy()  # copy: the QImage must own its pixels
