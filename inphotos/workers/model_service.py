"""Loading the model in the background: the text tower first (searching can start), then the
full model (indexing); download progress; and, when the computer is offline, knowing it in
seconds and trying again quietly until the model is here.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import urllib.parse
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from inphotos.errors import DownloadError, ModelError
from inphotos.workers.runner import Runner

if TYPE_CHECKING:  # the engine loads on a worker thread, after the window is up
    from inphotos.core.library import Library

log = logging.getLogger(__name__)


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
