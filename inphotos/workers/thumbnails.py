"""Thumbnail jobs: read (or make) a photo's cached thumbnail off the GUI thread as a QImage."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QImage

from inphotos.errors import DecodeError
from inphotos.records import PhotoRecord
from inphotos.workers.runner import Runner

if TYPE_CHECKING:  # the engine loads on a worker thread, after the window is up
    from inphotos.core.thumbs import ThumbnailCache

log = logging.getLogger(__name__)


class ThumbnailLoader(QObject):
    """Loads thumbnails on a small pool; each request is answered at most once."""

    thumbnail_ready = pyqtSignal(int, QImage)  # photo id, image
    thumbnail_failed = pyqtSignal(int, str)  # photo id, reason

    def __init__(self, thumbs: ThumbnailCache | None, threads: int = 2,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thumbs = thumbs
        self._runner = Runner(threads, "inphotos-thumbs", self)
        self._runner.finished.connect(self._on_finished)
        self._in_flight: set[int] = set()
        self._generation = 0

    def request(self, photo: PhotoRecord) -> None:
        thumbs = self.thumbs
        if thumbs is None or photo.id in self._in_flight:
            return
        self._in_flight.add(photo.id)

        def load() -> tuple[int, QImage | None, str]:
            try:
                path = thumbs.ensure(photo.path, photo.mtime_ns, photo.size)
            except (DecodeError, OSError) as e:
                return photo.id, None, str(e)
            image = QImage(str(path))
            if image.isNull():
                return photo.id, None, "thumbnail could not be read"
            return photo.id, image, ""

        self._runner.submit("thumb", self._generation, load)

    def set_cache(self, thumbs: ThumbnailCache) -> None:
        """Read thumbnails from `thumbs` from now on (another library's cache)."""
        self.cancel_pending()
        self.thumbs = thumbs
        self._generation += 1  # photo ids of another library mean other photos

    def cancel_pending(self) -> None:
        """Forget queued requests (the grid shows something else now)."""
        self._runner.clear()
        self._in_flight.clear()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        return self._runner.shutdown(timeout_ms)

    def _on_finished(self, kind: str, generation: int, result: object) -> None:
        photo_id, image, reason = cast("tuple[int, QImage | None, str]", result)
        if generation != self._generation:
            return
        self._in_flight.discard(photo_id)
        if image is None:
            log.debug("No thumbnail for photo %s: %s", photo_id, reason)
            self.thumbnail_failed.emit(photo_id, reason)
        else:
            self.thumbnail_ready.emit(photo_id, image)
