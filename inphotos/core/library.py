"""The library: one object that the CLI, the GUI and the tests all drive.

It ties together the store of the chosen model, the thumbnail cache, the embedder (loaded
lazily, on first need) and the indexer, and owns the rules for library folders. Searching
(text, similar, filters, the cut-off, albums, the timeline) is its part in library_search.py.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from inphotos.core import duplicates
from inphotos.core.control import Cancelled, Control
from inphotos.core.indexer import Indexer, ProgressFn
from inphotos.core.library_categories import CategoriesMixin
from inphotos.core.library_duplicates import DuplicatesMixin
from inphotos.core.library_repair import RepairMixin
from inphotos.core.library_search import SearchMixin
from inphotos.core.protocols import Embedder, TextEncoder
from inphotos.core.relevance import (
    Calibration,
)
from inphotos.core.thumbs import ThumbnailCache
from inphotos.db.store import PhotoStore, read_meta
from inphotos.errors import AlreadyInLibraryError, LibraryError, ModelError
from inphotos.ml.models import ModelSpec, fetch_hub_dims, known_dims, parse_spec, weights_signature
from inphotos.ml.text_onnx import OnnxTextEncoder, export_dir, exported
from inphotos.paths import AppPaths
from inphotos.records import (
    ClusterOptions,
    Filters,
    FolderInfo,
    FolderRecord,
    IndexReport,
    PhotoRecord,
)

if TYPE_CHECKING:  # imported where used: a search from the command line needs neither
    from inphotos.core.control import Control
    from inphotos.core.indexer import Indexer, ProgressFn

__all__ = ["AlreadyInLibraryError", "Library", "LibraryError", "default_embedder_factory"]

log = logging.getLogger(__name__)





def default_embedder_factory(
    spec: str, device: str, precision: str, cache_dir: Path | None = None
) -> Callable[[], Embedder]:
    """Loads the real model; compiled graphs and speed verdicts are kept in `cache_dir`."""

    def load() -> Embedder:
        from inphotos.ml.embedder import ClipEmbedder

        return ClipEmbedder(spec, device=device, precision=precision, cache_dir=cache_dir)

    return load


class Library(SearchMixin, RepairMixin, DuplicatesMixin, CategoriesMixin):
    """A photo library indexed with one model (its searches: `core/library_search.py`; its
    check and repair: `core/library_repair.py`; its duplicates: `core/library_duplicates.py`;
    its categories: `core/library_categories.py`)."""

    def __init__(
        self,
        paths: AppPaths,
        model: str,
        device: str = "auto",
        precision: str = "auto",
        embedder_factory: Callable[[], Embedder] | None = None,
        batch_size: int = 0,
        workers: int = 0,
        lock: bool = True,
        videos: bool = True,
    ) -> None:
        self.paths = paths.ensure()
        self.spec: ModelSpec = parse_spec(model)
        self.device = device
        self.precision = precision  # the cluster's workers use it too
        self._factory = embedder_factory or default_embedder_factory(
            self.spec.text, device, precision, paths.cache / "torch-compile"
        )
        self._embedder: Embedder | None = None
        self._embedder_lock = threading.Lock()
        self._unavailable: ModelError | None = None
        self._decided = threading.Event()  # cleared while someone decides if the model may load
        self._decided.set()
        self._text: TextEncoder | None = None  # the text tower alone, when it was exported
        self._text_lock = threading.Lock()
        self._text_dir: Path | None = None
        self._weights = weights_signature(self.spec)
        if embedder_factory is None and self._weights:  # a test's own embedder keeps text too
            self._text_dir = export_dir(
                paths.cache / "text-tower", self.spec.key, self._weights)
        self.batch_size = batch_size
        self.workers = workers
        #: Index through this Ray cluster (core/cluster.py) instead of the local model.
        self.cluster: ClusterOptions | None = None
        #: Index videos too (a setting; `inphotos index --no-videos`).
        self.videos = videos
        self.db_dir = paths.databases / self.spec.key
        dims = read_meta(self.db_dir).get("dims")
        if not dims:  # a new library: from the model's config (for hf-hub, a small download)
            dims = fetch_hub_dims(self.spec) if self.spec.kind == "hf-hub" else known_dims(self.spec)
        if not dims:
            dims = self.embedder.dims
        self.store = PhotoStore(self.db_dir, int(dims), self.spec.text, lock=lock, weights=self._weights)
        recorded = self.store.meta.get("weights", "")
        if self._weights and not recorded:
            self.store.set_meta(weights=self._weights)
        # A model folder whose weights were replaced in place. Acted on once the new weights
        # load: damaged weights that are then put back must not cost a full re-embedding.
        self._weights_changed = bool(self._weights and recorded and recorded != self._weights)
        self.thumbs = ThumbnailCache(paths.thumbnails)
        self.thumbs.remove_stale_temp_files()  # left by a crash mid-write
        self._calibration: tuple[Calibration, np.ndarray] | None = None
        self._calibration_lock = threading.Lock()
        self._categories = None
        self._categories_lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def embedder(self) -> Embedder:
        """The model, loaded on first use (thread-safe)."""
        if self._embedder is None:
            self._decided.wait()
        with self._embedder_lock:
            if self._embedder is None:
                if self._unavailable is not None:
                    held = self._unavailable
                    raise type(held)(str(held), advice=held.advice)
                emb = self._factory()
                store = getattr(self, "store", None)
                if store is not None and emb.dims != store.dims:
                    raise LibraryError(
                        f"The model gives {emb.dims}-dimensional vectors but this library's "
                        f"database holds {store.dims}."
                    )
                self._embedder = emb
                if self._weights_changed:
                    self._accept_new_weights()
                self._export_text_tower(emb)
            return self._embedder

    def _export_text_tower(self, emb: Embedder) -> None:
        """Keep the text tower on its own (once per model), so later searches load only that."""
        export = getattr(emb, "export_text_tower", None)
        folder = self._text_dir
        if export is None or folder is None or exported(folder):
            return
        try:
            export(folder)
        except Exception:  # an optimisation: searching through the full model still works
            log.warning("Could not export the text tower of %s", self.spec.text, exc_info=True)

    def load_text_tower(self) -> bool:
        """Load the text tower exported earlier, if there is one; True when a text search no
        longer waits for the full model (which may then load in the background)."""
        with self._text_lock:
            if self._text is None and self._text_dir is not None and exported(self._text_dir):
                try:
                    self._text = OnnxTextEncoder(self._text_dir)
                except Exception:  # damaged export, no onnxruntime: the full model answers
                    log.warning("Could not load the exported text tower; using the full model",
                                exc_info=True)
                    self._text_dir = None
            return self._text is not None

    def text_encoder(self) -> TextEncoder:
        """What encodes a query: the exported text tower alone (no torch; it loads in well
        under a second), else the full model (loaded on first use)."""
        if self.load_text_tower():
            assert self._text is not None
            return self._text
        return self.embedder

    @property
    def text_ready(self) -> bool:
        """Whether a query can be encoded without waiting for the model to load."""
        return self._text is not None or self._embedder is not None

    def _accept_new_weights(self) -> None:
        """Every photo is embedded again; the old vectors answer searches until replaced."""
        log.warning("The weights of %s changed since it was indexed; embedding the library again",
                    self.spec.text)
        self.store.set_meta(weights=self._weights, vectors_valid_from_ms=int(time.time() * 1000),
                            complete=False)
        self._weights_changed = False

    def use_model_options(self, device: str, precision: str) -> None:
        """Run the same model elsewhere or at another precision: it loads again on next use.

        The database stays open: the vectors do not depend on where the model runs.
        """
        with self._embedder_lock:
            self.device, self.precision = device, precision
            self._factory = default_embedder_factory(self.spec.text, device, precision)
            self._embedder = None

    def defer_model(self) -> None:
        """Asking for the model waits until `hold_model` says whether it may load (e.g. while
        the app checks, in seconds, whether a download can work at all)."""
        self._decided.clear()

    def hold_model(self, error: ModelError | None) -> None:
        """While `error` is set, asking for the model fails at once with an error like it,
        instead of trying the load (a download) again: the caller knows the computer is
        offline, or that the model cannot be used, and retries by itself. None lets the next
        request load it. Releases anything waiting after `defer_model`."""
        self._unavailable = error
        self._decided.set()

    @property
    def model_deferred(self) -> bool:
        """Whether asking for the model waits for `hold_model` (see `defer_model`)."""
        return not self._decided.is_set()

    @property
    def embedder_loaded(self) -> bool:
        return self._embedder is not None

    # ------------------------------------------------------------ folders

    def folders(self) -> list[FolderInfo]:
        return [
            FolderInfo(f.path, f.online, self.store.photos_in_folder_count(f.path), f.last_scan_ms)
            for f in self.store.folders()
        ]

    def add_folder(self, path: str | os.PathLike[str]) -> FolderRecord:
        """Add a folder to the library (indexing happens in `index()`).

        Raises:
            LibraryError: missing, not a folder, or already covered by a library folder.
        """
        # By its resolved path: the same folder through a link is the same folder.
        folder = os.path.realpath(os.path.expanduser(os.fspath(path)))
        if not os.path.exists(folder):
            raise LibraryError(f"Folder not found: {folder}")
        if not os.path.isdir(folder):
            raise LibraryError(f"Not a folder: {folder}")
        if not os.access(folder, os.R_OK | os.X_OK):
            raise LibraryError(f"No permission to read the folder: {folder}")
        for f in self.store.folders():
            if f.path == folder or (f.online and os.path.realpath(f.path) == folder):
                raise AlreadyInLibraryError(f"Already in the library: {folder}")
            if _is_within(folder, f.path):
                raise AlreadyInLibraryError(f"Already in the library as part of {f.path}")
            if _is_within(f.path, folder) and not f.online:
                # Taking it over now would find none of its photos and forget them all.
                raise LibraryError(
                    f"{f.path} is inside {folder} but offline: reconnect it first, "
                    "or remove it from the library"
                )
        record = self.store.put_folder(folder, online=True)
        for f in self.store.folders():
            if f.path != folder and _is_within(f.path, folder):
                log.info("Folder %s now covered by %s", f.path, folder)
                self.store.reassign_folder(f.path, folder)
        return record

    def remove_folder(self, path: str | os.PathLike[str]) -> int:
        """Forget a folder and its photos (from the index only, never from disk)."""
        folder = os.path.abspath(os.path.expanduser(os.fspath(path)))
        known = {f.path for f in self.store.folders()}
        if folder not in known:  # added by its resolved path
            folder = os.path.realpath(folder)
        if folder not in known:
            raise LibraryError(f"Not a library folder: {folder}")
        thumbnails = self.store.thumbnail_keys_in_folder(folder)
        removed = self.store.remove_folder(folder)
        for key in thumbnails:  # after the commit: a crash in between only leaves spare files
            self.thumbs.discard(key)
        return removed

    def offline_folders(self) -> set[str]:
        return {f.path for f in self.store.folders() if not f.online}

    # ------------------------------------------------------------ indexing

    def indexer(self, control: Control | None = None) -> Indexer:
        from inphotos.core.indexer import Indexer

        return Indexer(
            self.store, lambda: self.embedder, self.thumbs,
            batch_size=self.batch_size, workers=self.workers, cluster=self.cluster,
            model=self.spec.text, precision=self.precision, videos=self.videos,
            exclude=[str(p) for p in (self.paths.data, self.paths.cache, self.paths.config,
                                      self.paths.logs)],
            listener=self.categories,
            after_batch=lambda: self.refresh_categories(control, during_run=True),
        )

    def index(self, progress: ProgressFn | None = None, control: Control | None = None) -> IndexReport:
        """Bring the index up to date with every library folder."""
        if self._weights_changed:
            _ = self.embedder  # loads the new weights, which marks every vector as stale
        duplicates.start_backlog(self.store)
        report = self.indexer(control).run(progress=progress, control=control)
        if report.cancelled:
            self._save_categories()
        else:
            # What was complete: the open check compares against it (db/store.py).
            self.store.set_meta(complete=True, photos=self.store.count())
            self.refresh_categories(control)
            with contextlib.suppress(Cancelled):  # the rest waits for the next run
                duplicates.link_backlog(self.store, control)
        return report

    def _save_categories(self) -> None:
        try:
            self.categories.save()
        except OSError as e:  # derived data: counted again next time
            log.warning("Categories not saved: %s", e)

    # ------------------------------------------------------------ browsing and stats

    def browse_ids(self, filters: Filters | None = None) -> list[int]:
        """Every photo in online folders (passing `filters`), newest first by date taken
        (the EXIF date, else the file's time): ids only, one query; records by page with
        `photos()`."""
        if filters:
            return self.store.ids_matching(filters, self._online_folders(), newest_first=True)
        offline = self.offline_folders()
        if not offline:
            return self.store.ids_newest_first()
        online = {f.path for f in self.store.folders() if f.online}
        return self.store.ids_newest_first(online)

    def photos(self, ids: Sequence[int]) -> list[PhotoRecord | None]:
        return self.store.get_photos(ids)

    def stats(self) -> dict[str, Any]:
        folders = self.folders()
        return {
            "photos": self.store.count(),
            "folders": len(folders),
            "offline_folders": sum(1 for f in folders if not f.online),
            "skipped": len(self.store.skipped()),
            "model": self.spec.text,
            "dims": self.store.dims,
            "database": str(self.db_dir),
            "database_bytes": self.store.size_on_disk(),
        }


def _is_within(child: str, parent: str) -> bool:
    try:
        return os.path.commonpath([child, parent]) == parent and child != parent
    except ValueError:  # different drives on Windows
        return False

