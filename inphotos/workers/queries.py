"""Interactive work: text search, find similar, browsing, previews and the model load.

Runs on its own 1-thread pool so it never queues behind indexing (MusicBrainz Picard keeps
user-facing work and writes apart the same way). Every request gets a generation number and
only the newest request's results reach the window.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QImage

from inphotos.core.imaging import load_preview
from inphotos.core.library import Library
from inphotos.errors import DownloadError, InPhotosError, ModelError
from inphotos.records import Hit, PhotoRecord
from inphotos.workers.runner import Runner

log = logging.getLogger(__name__)


class ResultKind(StrEnum):
    """What a set of results answers."""

    BROWSE = "browse"  # the whole library, newest first
    TEXT = "text"  # a description typed in the search bar
    SIMILAR = "similar"  # photos like one or more photos, or an image file


@dataclass(frozen=True)
class Results:
    """What the grid shows: photos with scores (None when browsing)."""

    kind: ResultKind
    query: str
    photos: list[PhotoRecord]
    scores: list[float] | None
    elapsed_ms: float


class QueryService(QObject):
    """Answers the search bar, "find similar" and browsing."""

    results_ready = pyqtSignal(object)  # Results
    query_failed = pyqtSignal(str)
    preview_ready = pyqtSignal(int, QImage)  # photo id, image
    preview_failed = pyqtSignal(int, str)  # photo id, why it cannot be shown
    image_copied = pyqtSignal(QImage)  # a photo decoded for the clipboard
    copy_failed = pyqtSignal(str)

    def __init__(self, library: Library | None, limit: int = 500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.limit = limit
        self._runner = Runner(1, "inphotos-query", self)
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(self._on_failed)
        self._preview_runner = Runner(1, "inphotos-preview", self)
        self._preview_runner.finished.connect(self._on_preview)
        self._preview_runner.failed.connect(self._on_preview_failed)
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

    def _submit(self, kind: ResultKind, query: str,
                fn: Callable[[], tuple[list[Any], list[float] | None]]) -> int:
        self._generation += 1
        self._runner.clear()  # a newer request replaces any that has not started

        def job() -> Results:
            t0 = time.perf_counter()
            photos, scores = fn()
            return Results(kind, query, photos, scores, (time.perf_counter() - t0) * 1000)

        self._runner.submit(kind, self._generation, job)
        return self._generation

    def browse(self) -> int:
        lib = self._lib

        def run() -> tuple[list[Any], None]:
            ids = lib.browse_ids()
            photos: list[PhotoRecord] = []
            for i in range(0, len(ids), 5000):
                photos.extend(p for p in lib.photos(ids[i : i + 5000]) if p is not None)
            return photos, None

        return self._submit(ResultKind.BROWSE, "", run)

    def _ranked(self, kind: ResultKind, label: str, search: Callable[[], list[Hit]]) -> int:
        def run() -> tuple[list[Any], list[float]]:
            hits = search()
            return [h.photo for h in hits], [h.score for h in hits]

        return self._submit(kind, label, run)

    def search_text(self, text: str) -> int:
        lib, k = self._lib, self.limit
        return self._ranked(ResultKind.TEXT, text, lambda: lib.search_text(text, k=k))

    def similar_to_photos(self, ids: Sequence[int], label: str) -> int:
        lib, k, chosen = self._lib, self.limit, list(ids)
        return self._ranked(ResultKind.SIMILAR, label, lambda: lib.similar_to_photos(chosen, k=k))

    def similar_to_file(self, path: str, label: str = "") -> int:
        lib, k = self._lib, self.limit
        return self._ranked(ResultKind.SIMILAR, label or path, lambda: lib.similar_to_file(path, k=k))

    def similar_to_image(self, image: QImage, temp_dir: Path, label: str) -> int:
        """Photos like a picture with no file behind it (pasted): it is written to a temporary
        PNG for the engine to read, on the query thread, and deleted as soon as it is read."""
        lib, k = self._lib, self.limit

        def search() -> list[Hit]:
            fd, tmp = tempfile.mkstemp(prefix="pasted-", suffix=".png", dir=temp_dir)
            os.close(fd)
            try:
                if not image.save(tmp, "PNG"):
                    raise InPhotosError("The pasted picture could not be read.")
                return lib.similar_to_file(tmp, k=k)
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

        return self._ranked(ResultKind.SIMILAR, label, search)

    def preview(self, photo: PhotoRecord, max_side: int) -> None:
        """Decode a photo at screen size, upright, off the GUI thread."""
        self._preview_runner.clear()

        self._preview_runner.submit("preview", photo.id, lambda: (photo.id, _decode(photo.path, max_side)))

    def copy_image(self, photo: PhotoRecord, max_side: int = 4096) -> None:
        """Decode a photo for the clipboard, off the GUI thread."""
        self._preview_runner.submit("copy", photo.id, lambda: (photo.id, _decode(photo.path, max_side)))

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        a = self._runner.shutdown(timeout_ms)
        b = self._preview_runner.shutdown(timeout_ms)
        return a and b

    def _on_finished(self, kind: str, generation: int, result: object) -> None:
        if generation == self._generation:
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


def _decode(path: str, max_side: int) -> QImage:
    """A photo as an upright QImage no larger than `max_side` (on a worker thread)."""
    rgb = load_preview(path, max_side)  # a DecodeError says why, in the preview
    data = rgb.tobytes("raw", "RGB")
    image = QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888)
    return image.copy()  # copy: the QImage must own its pixels


#: How long a connection to the model's download site may take before the computer counts as
#: offline; and how often a model that could not be downloaded is tried again, quietly.
REACH_TIMEOUT_S = 3.0
RETRY_MS = 60_000
OFFLINE = ("this computer seems to be offline, so the model cannot be downloaded yet")


def hub_reachable(timeout_s: float = REACH_TIMEOUT_S) -> bool:
    """Whether the model download site answers within `timeout_s` (a TCP connect, nothing sent).

    A name lookup has no timeout of its own, so the probe runs on a daemon thread and counts
    as unreachable when it has not succeeded in time: offline is known in seconds, not after
    the download library's minute of retries.
    """
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    parts = urllib.parse.urlsplit(endpoint)
    host, port = parts.hostname or "huggingface.co", parts.port or (443 if parts.scheme != "http" else 80)
    answered: list[bool] = []
    done = threading.Event()

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
            answered.append(True)
        except OSError as e:
            log.info("The model download site %s is not reachable: %s", host, e)
        finally:
            done.set()

    threading.Thread(target=probe, name="inphotos-reach", daemon=True).start()
    return done.wait(timeout_s) and bool(answered)


class ModelService(QObject):
    """Loads the model in the background, reporting download progress.

    A model that cannot be downloaded (offline) is known in seconds, said once, and tried
    again quietly every `RETRY_MS`; meanwhile the library refuses at once anything that needs
    the model, instead of each search or index run trying the download again.
    """

    download_progress = pyqtSignal(int, int)  # bytes done, total
    model_ready = pyqtSignal(str)  # description
    # Text searches no longer wait for the model: its text tower, exported on an earlier run,
    # loaded in under a second (emitted from the loading thread, before model_ready).
    search_ready = pyqtSignal()
    model_failed = pyqtSignal(object)  # the exception

    def __init__(self, library: Library | None, parent: QObject | None = None,
                 retry_ms: int = RETRY_MS) -> None:
        super().__init__(parent)
        self.library = library
        self._runner = Runner(1, "inphotos-model", self)
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(self._on_failed)
        self.loading = False
        #: Why the model cannot be used (the error), while it cannot; None when loaded or loading.
        self.error: object | None = None
        self._generation = 0
        self._quiet = False
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setInterval(retry_ms)
        self._retry.timeout.connect(lambda: self.load(quiet=True))

    @property
    def ready(self) -> bool:
        return self.library is not None and self.library.embedder_loaded

    def set_library(self, library: Library) -> None:
        """Load `library`'s model from now on; a load still running for the previous one is ignored."""
        self.library = library
        self._generation += 1
        self.loading = False
        self.error = None
        self._retry.stop()

    def load(self, quiet: bool = False) -> None:
        """Load the model; `quiet`: a background retry, whose failure is not announced again."""
        if self.loading or self.library is None:
            return
        self._retry.stop()
        self.loading = True
        self._quiet = quiet
        lib = self.library
        lib.defer_model()  # an index run that needs the model waits for the check below
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] > 0.1 or done >= total:
                last[0] = now
                self.download_progress.emit(done, total)

        def run() -> str:
            from inphotos.ml.models import weights_maybe_cached

            try:
                # Both checks before torch is imported (that alone can take ten seconds).
                if lib.spec.kind != "local-dir" and not weights_maybe_cached(lib.spec) \
                        and not hub_reachable():
                    error = DownloadError(f"Could not download the model {lib.spec.text}: {OFFLINE}.")
                    lib.hold_model(error)  # an index run waiting for the model fails at once
                    raise error
            finally:
                if lib.model_deferred:
                    lib.hold_model(None)  # worth trying: the weights are here, or the site answers
            from inphotos.ml.embedder import download_weights

            download_weights(lib.spec.text, progress)
            if lib.load_text_tower():  # the text tower alone, in under a second: search first
                self.search_ready.emit()
            emb = lib.embedder
            return f"{emb.name} on {getattr(emb, 'device', 'cpu')}"

        self._runner.submit("model", self._generation, run)

    def refuse(self, error: ModelError) -> None:
        """The model cannot be used (e.g. its folder is missing): say so, load nothing."""
        self._retry.stop()
        self.error = error
        if self.library is not None:
            self.library.hold_model(error)
        self.model_failed.emit(error)

    def cancel_retry(self) -> None:
        self._retry.stop()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        self._retry.stop()
        return self._runner.shutdown(timeout_ms)

    def _on_finished(self, kind: str, generation: int, result: object) -> None:
        if generation == self._generation:
            self.loading = False
            self.error = None
            self.model_ready.emit(str(result))

    def _on_failed(self, kind: str, generation: int, error: object) -> None:
        if generation != self._generation:
            return
        self.loading = False
        self.error = error
        if isinstance(error, DownloadError) and self.library is not None:
            # Searches and index runs fail at once until the next retry, which is quiet.
            self.library.hold_model(error)
            self._retry.start()
        if self._quiet:
            log.info("Model still unavailable: %s", error)
            return
        log.error("Model failed to load: %s", error)
        self.model_failed.emit(error)
