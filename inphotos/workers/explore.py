"""The Explore page's work, off the GUI thread: its tiles, a photo's tags, and asking the
writer to count the categories (core/categories.py) the first time someone looks.

Reading runs on its own 1-thread pool ("inphotos-explore"). Counting writes the categories
file, so it runs on the writer thread (workers/indexing.py) as a "categories" write job; while
an index run is in progress nothing is asked, since the run counts them as it goes and at its
end. The page is read again when that count or an index run ends, while it is on screen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from PyQt6.QtCore import QObject, pyqtSignal

from inphotos.records import PhotoRecord
from inphotos.workers.indexing import IndexService, WriteJob
from inphotos.workers.runner import Runner

if TYPE_CHECKING:  # the engine loads on a worker thread, after the window is up
    from inphotos.core.library import Library

log = logging.getLogger(__name__)

CATEGORIES = "categories"  # the write job's kind


@dataclass(frozen=True)
class ExploreTile:
    key: str  # what a search for the category asks (SearchRequest.category)
    name: str
    count: int
    cover: PhotoRecord


@dataclass(frozen=True)
class ExplorePage:
    """What the page shows. `state`: "ready"; "computing" (being counted); "empty" (no
    photos yet); "closed" (no library open yet); "no-model" (counting needs the model, which
    cannot be used yet)."""

    state: str
    tiles: list[ExploreTile]
    photos: int = 0


@dataclass(frozen=True)
class PhotoTags:
    """A photo's categories, strongest first: (key, name, strength 0..1); None: not known yet
    (the categories are being counted)."""

    photo_id: int
    tags: list[tuple[str, str, float]] | None


class ExploreService(QObject):
    """Reads the Explore page and photos' tags for the window."""

    page_ready = pyqtSignal(object)  # ExplorePage
    tags_ready = pyqtSignal(object)  # PhotoTags
    failed = pyqtSignal(str)
    counts_changed = pyqtSignal()  # an index run or a count ended: tags shown may be stale

    def __init__(self, index: IndexService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library: Library | None = None
        self.index = index
        #: Whether the page is on screen (it is read again when the counts change).
        self.active = False
        self._runner = Runner(1, "inphotos-explore", self)
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(lambda _k, _g, e: self.failed.emit(str(e)))
        self._generation = 0
        self._counting = False
        #: A count came back without counting (no model yet): not asked again until an index
        #: run ends or another library opens, or the page would ask in a loop.
        self._count_failed = False
        index.finished.connect(self._on_index_finished)
        index.write_done.connect(self._on_write_done)
        index.write_failed.connect(self._on_write_failed)

    def set_library(self, library: Library) -> None:
        self.library = library
        self._generation += 1
        self._counting = False
        self._count_failed = False
        self._runner.clear()
        if self.active:  # another model's library (a switch): its own categories
            self.load()

    def load(self) -> None:
        """Read the page; `page_ready` follows."""
        lib = self.library
        if lib is None:
            self.page_ready.emit(ExplorePage("closed", []))
            return

        def run() -> tuple[ExplorePage, bool]:
            current = lib.want_categories()
            found = lib.explore()
            tiles = [ExploreTile(t.category.key, t.category.name, t.count, cover)
                     for t, cover in found.tiles]
            return ExplorePage(found.state, tiles, found.photos), current

        self._runner.submit("page", self._generation, run)

    def tags(self, photo: PhotoRecord) -> None:
        """A photo's tags; `tags_ready` follows."""
        lib = self.library
        if lib is None:
            return

        def run() -> tuple[PhotoTags, bool]:
            current = lib.want_categories()
            if lib.categories.scales() is None:
                return PhotoTags(photo.id, None), current
            found = lib.tags(photo.id)
            return PhotoTags(photo.id, [(t.category.key, t.category.name, t.strength)
                                        for t in found]), current

        self._runner.submit("tags", self._generation, run)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        return self._runner.shutdown(timeout_ms)

    def _on_finished(self, kind: str, generation: int, result: object) -> None:
        if generation != self._generation:
            return
        answer, current = cast("tuple[object, bool]", result)
        if not current:
            self._count()
        if isinstance(answer, ExplorePage) and answer.state == "computing" and self._count_failed:
            answer = ExplorePage("no-model", [], answer.photos)
        if kind == "page":
            self.page_ready.emit(answer)
        else:
            self.tags_ready.emit(answer)

    def _count(self) -> None:
        """Count the categories on the writer, unless an index run (which counts them) or a
        count is under way."""
        lib = self.library
        if lib is None or self._counting or self._count_failed or self.index.running:
            return
        self._counting = True
        self.index.write(WriteJob(CATEGORIES, lib.refresh_categories, reindex=False))

    def _on_write_done(self, job: WriteJob, result: object) -> None:
        if job.kind == CATEGORIES:
            self._counting = False
            lib = self.library
            # Not counted, and still not current: the model could not be used (it says why).
            self._count_failed = result is False and lib is not None and not lib.categories.scales()
            self._on_counts_changed()

    def _on_write_failed(self, job: WriteJob, _error: object) -> None:
        if job.kind == CATEGORIES:  # a bug: the crash dialog has it; not asked again
            self._counting = False
            self._count_failed = True

    def _on_index_finished(self, _report: object) -> None:
        self._count_failed = False
        self._on_counts_changed()

    def _on_counts_changed(self) -> None:
        if self.active:
            self.load()
        self.counts_changed.emit()
