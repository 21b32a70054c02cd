"""The library: one object that the CLI, the GUI and the tests all drive.

It ties together the store of the chosen model, the thumbnail cache, the embedder (loaded
lazily, on first need) and the indexer, and owns the rules for library folders.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from inphotos.core.albums import Albums
from inphotos.core.control import Control
from inphotos.core.imaging import DecodeError, check_regular_file, decode
from inphotos.core.indexer import Indexer, ProgressFn
from inphotos.core.protocols import Embedder, TextEncoder
from inphotos.core.query import parse_query
from inphotos.core.relevance import (
    GENERIC_CAPTIONS,
    SAMPLE_SIZE,
    Calibration,
    QueryScale,
    calibrate,
    scale_for,
)
from inphotos.core.search import nearest, ranked, search
from inphotos.core.thumbs import ThumbnailCache
from inphotos.db.entities import forget_schemas
from inphotos.db.lock import ProcessLock
from inphotos.db.store import PhotoStore, read_folder_list, read_meta
from inphotos.errors import ModelError, UserError
from inphotos.ml.models import ModelSpec, fetch_hub_dims, known_dims, parse_spec, weights_signature
from inphotos.ml.text_onnx import OnnxTextEncoder, export_dir, exported
from inphotos.paths import AppPaths
from inphotos.records import (
    Filters,
    FolderInfo,
    FolderRecord,
    Hit,
    IndexReport,
    PhotoRecord,
    SearchRequest,
    SearchResult,
)

if TYPE_CHECKING:  # imported where used: a search from the command line needs neither
    from inphotos.core.control import Control
    from inphotos.core.indexer import Indexer, ProgressFn

log = logging.getLogger(__name__)

#: How much of a negative term's direction is taken out of the query ("beach -people").
NEGATIVE_WEIGHT = 0.5
#: Weight of the words that refine "find similar", against the photos' direction (both unit).
REFINE_WEIGHT = 1.0


class LibraryError(UserError):
    """A request the library refuses; the message is meant for the user."""


class AlreadyInLibraryError(LibraryError):
    """The folder, or a folder holding it, is already in the library."""


def default_embedder_factory(
    spec: str, device: str, precision: str, cache_dir: Path | None = None
) -> Callable[[], Embedder]:
    """Loads the real model; compiled graphs and speed verdicts are kept in `cache_dir`."""

    def load() -> Embedder:
        from inphotos.ml.embedder import ClipEmbedder

        return ClipEmbedder(spec, device=device, precision=precision, cache_dir=cache_dir)

    return load


class Library:
    """A photo library indexed with one model."""

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
    ) -> None:
        self.paths = paths.ensure()
        self.spec: ModelSpec = parse_spec(model)
        self.device = device
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

    # ------------------------------------------------------------ damage

    @classmethod
    def repair(cls, paths: AppPaths, model: str, **options: Any) -> Library:
        """Set a damaged index aside and open a fresh one with the same library folders.

        The damaged folder is renamed `<name>.damaged-<time>` (never deleted); the folders
        come from the list kept beside it (`inphotos-folders.json`), which a damaged
        database cannot take along; settings live elsewhere and are untouched. `index()` on
        the library returned then embeds the photos again.

        Raises:
            LibraryInUseError: another process has the library open.
        """
        spec = parse_spec(model)
        db_dir = paths.ensure().databases / spec.key
        folders = read_folder_list(db_dir) or []
        if db_dir.exists():
            lock = ProcessLock(db_dir / "inphotos.lock")  # refused while another one uses it
            try:
                aside = db_dir.with_name(f"{db_dir.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
                db_dir.rename(aside)
                forget_schemas(str(db_dir.resolve()))
            finally:
                lock.release()
            log.warning("Damaged index %s set aside as %s; rebuilding it", db_dir, aside)
        lib = cls(paths, model, **options)
        for folder in folders:
            try:
                lib.add_folder(folder)
            except LibraryError:  # offline now: kept, and indexed when it is back
                lib.store.put_folder(folder, online=False)
        return lib

    def check(self, chunk: int = 2000) -> list[str]:
        """A full consistency check; returns the problems found (none: the index is sound).

        Every row readable, every vector finite, unit length and of the right size, no two
        rows for one path, every photo under a library folder, and the folder list kept
        beside the database agreeing with the database's.
        """
        problems: list[str] = []
        folders = {f.path for f in self.store.folders()}
        ids = self.store.ids_newest_first()
        seen: set[str] = set()
        for i in range(0, len(ids), chunk):
            part = ids[i : i + chunk]
            try:
                rows = self.store.get_photos(part, with_embedding=True)
            except Exception as e:  # a damaged page: whatever it raises is the finding
                problems.append(f"rows {part[0]}..{part[-1]} cannot be read: {e}")
                continue
            for photo_id, r in zip(part, rows, strict=True):
                if r is None or r.embedding is None:
                    problems.append(f"row {photo_id} cannot be read")
                    continue
                if r.path in seen:
                    problems.append(f"two rows for {r.path}")
                seen.add(r.path)
                vec = r.embedding
                if vec.shape != (self.store.dims,):
                    problems.append(f"{r.path}: vector of {vec.size} values, not {self.store.dims}")
                elif not np.isfinite(vec).all():
                    problems.append(f"{r.path}: vector holds NaN or infinity")
                elif abs(float(np.linalg.norm(vec)) - 1.0) > 1e-2:
                    problems.append(f"{r.path}: vector is not of unit length")
                if r.folder not in folders:
                    problems.append(f"{r.path}: its folder {r.folder} is not a library folder")
        listed = read_folder_list(self.db_dir)
        if listed is not None and set(listed) != folders:
            problems.append("the folder list beside the database disagrees with the database")
        return problems

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
            self.device = device
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

    def indexer(self) -> Indexer:
        from inphotos.core.indexer import Indexer

        return Indexer(
            self.store, lambda: self.embedder, self.thumbs,
            batch_size=self.batch_size, workers=self.workers,
            exclude=[str(p) for p in (self.paths.data, self.paths.cache, self.paths.config,
                                      self.paths.logs)],
        )

    def index(self, progress: ProgressFn | None = None, control: Control | None = None) -> IndexReport:
        """Bring the index up to date with every library folder."""
        if self._weights_changed:
            _ = self.embedder  # loads the new weights, which marks every vector as stale
        report = self.indexer().run(progress=progress, control=control)
        if not report.cancelled:
            # What was complete: the open check compares against it (db/store.py).
            self.store.set_meta(complete=True, photos=self.store.count())
        return report

    # ------------------------------------------------------------ search

    def text_vector(self, text: str) -> np.ndarray:
        """The query's direction: its description, with its -negative terms taken out.

        Query language: core/query.py. Raises LibraryError for an empty query or one that
        only says what to leave out.
        """
        parsed = parse_query(text)
        if not parsed.positive:
            raise LibraryError("Say what to look for, not only what to leave out"
                               if parsed.negative else "Type something to search for")
        vecs = np.asarray(self.text_encoder().encode_text([parsed.positive, *parsed.negative]), np.float32)
        vec = vecs[0]
        if parsed.negative:
            vec = vec - NEGATIVE_WEIGHT * vecs[1:].mean(axis=0)
        return _unit(vec)

    def search_text(
        self, text: str, k: int = 50, offset: int = 0, min_score: float | None = None,
        filters: Filters | None = None,
    ) -> list[Hit]:
        """Photos matching a description, best first, all of them ranked (no cut-off)."""
        vec = self.text_vector(text)
        if filters:
            return self._ranked_page(vec, k, offset, min_score, filters)
        return self.search_vector(vec, k, offset, min_score)

    def _ranked_page(self, vec: np.ndarray, k: int, offset: int, min_score: float | None,
                     filters: Filters, exclude_ids: Sequence[int] = ()) -> list[Hit]:
        return search(self.store, vec, k, offset, min_score=min_score, filters=filters,
                      folders=self._online_folders(), exclude_ids=exclude_ids).hits

    # ------------------------------------------------------------ search people trust

    def search(self, request: SearchRequest, k: int = 50, offset: int = 0) -> SearchResult:
        """One page of a search with its relevance cut-off, filters and order.

        Text, photos to be like, an image file, or both (find similar, refined by words);
        with none of them, the filtered library, newest first. Raises LibraryError for a
        query that cannot run (empty, only negatives, photos not in the index, bad file).
        """
        if not (request.text.strip() or request.photo_ids or request.image_path):
            return self.browse(request.filters, k, offset)
        vec, exclude = self.request_vector(request)
        # A --min-score is the person's own cut-off (raw cosine): all photos at or above it.
        include_weaker = request.include_weaker or request.min_score is not None
        return search(
            self.store, vec, k, offset, scale=self.query_scale(vec),
            include_weaker=include_weaker, sort=request.sort, min_score=request.min_score,
            filters=request.filters, folders=self._online_folders(), exclude_ids=exclude,
        )

    def request_vector(self, request: SearchRequest) -> tuple[np.ndarray, list[int]]:
        """The query vector of `request` and the photos it leaves out (the ones it is like)."""
        exclude: list[int] = []
        if request.photo_ids:
            vec, exclude = self._photos_vector(request.photo_ids), list(request.photo_ids)
        elif request.image_path:
            abspath = os.path.abspath(request.image_path)
            record = self.store.photo_by_path(abspath)
            if record is not None:
                vec, exclude = self._photos_vector([record.id]), [record.id]
            else:
                vec = _unit(self.image_vector(abspath))
        else:
            return self.text_vector(request.text), []
        if request.text.strip():  # "like this photo, at night"
            vec = _unit(vec + REFINE_WEIGHT * self.text_vector(request.text))
        return vec, exclude

    def _photos_vector(self, ids: Sequence[int]) -> np.ndarray:
        if not ids:
            raise LibraryError("Choose at least one photo")
        vec = self.store.embeddings(ids).mean(axis=0)
        if float(np.linalg.norm(vec)) == 0.0:
            raise LibraryError("Those photos are not in the index")
        return _unit(vec)

    def query_scale(self, vector: np.ndarray) -> QueryScale:
        """The cut-off and strength scale of a query (core/relevance.py)."""
        calibration, sample = self.calibration()
        return scale_for(vector, sample, calibration)

    def calibration(self) -> tuple[Calibration, np.ndarray]:
        """This library's noise level for its model, and its background sample (cached;
        measured again when the library has grown or shrunk by a quarter)."""
        with self._calibration_lock:
            n = self.store.count()
            cached = self._calibration
            if cached is None or not 0.8 * cached[0].photos <= n <= 1.25 * cached[0].photos:
                ids = self.store.ids_matching(Filters())
                if len(ids) > SAMPLE_SIZE:
                    rng = np.random.default_rng(0)
                    ids = sorted(rng.choice(ids, SAMPLE_SIZE, replace=False).tolist())
                sample = self.store.embeddings(ids)
                captions = np.asarray(self.text_encoder().encode_text(list(GENERIC_CAPTIONS)), np.float32)

                def best(vec: np.ndarray) -> float | None:
                    top = ranked(self.store, vec, 1)
                    return top[0][1] if top else None

                cached = self._calibration = (calibrate(captions, sample, best, n), sample)
            return cached

    @property
    def albums(self) -> Albums:
        """The library's smart albums (shared by every model: kept in the data folder)."""
        return Albums(self.paths.data)

    def album(self, name: str, k: int = 50, offset: int = 0) -> SearchResult:
        """Run smart album `name` again: photos indexed since it was saved show up too."""
        return self.search(self.albums.get(name), k, offset)

    def browse_page(
        self, limit: int = 200, after: PhotoRecord | None = None, filters: Filters | None = None
    ) -> list[PhotoRecord]:
        """The timeline, a page at a time: up to `limit` photos of online folders (passing
        `filters`), newest first, following `after` (the last photo of the previous page).
        Reads only about a page's worth of rows, however big the library."""
        before = (after.taken_ms, after.id) if after is not None else None
        return self.store.newest_page(limit, before, filters, self._online_folders())

    def browse(self, filters: Filters | None = None, k: int = 50, offset: int = 0) -> SearchResult:
        """A page of the (filtered) library, newest first, as a result with its count."""
        ids = self.browse_ids(filters)
        page = ids[offset : offset + k]
        hits = [Hit(r, 0.0) for r in self.store.get_photos(page) if r is not None]
        return SearchResult(hits, len(ids), 0, None, False, len(ids))

    def _online_folders(self) -> list[str] | None:
        """The online library folders when some are offline (their photos are hidden)."""
        folders = self.store.folders()
        if all(f.online for f in folders):
            return None
        return [f.path for f in folders if f.online]

    def search_vector(
        self,
        vector: np.ndarray,
        k: int = 50,
        offset: int = 0,
        min_score: float | None = None,
        exclude_ids: Sequence[int] = (),
    ) -> list[Hit]:
        return nearest(
            self.store, vector, k, offset, min_score, set(exclude_ids), self.offline_folders()
        )

    def similar_to_photos(
        self, ids: Sequence[int], k: int = 50, offset: int = 0, min_score: float | None = None,
        refine_text: str = "", filters: Filters | None = None,
    ) -> list[Hit]:
        """Photos like these library photos (their mean direction), excluding themselves;
        `refine_text` adds words ("at night"), `filters` narrows. All ranked (no cut-off)."""
        vec = self._photos_vector(ids)
        if refine_text.strip():
            vec = _unit(vec + REFINE_WEIGHT * self.text_vector(refine_text))
        if filters:
            return self._ranked_page(vec, k, offset, min_score, filters, ids)
        return self.search_vector(vec, k, offset, min_score, exclude_ids=ids)

    def image_vector(self, path: str | os.PathLike[str]) -> np.ndarray:
        """Embed any image file (not necessarily in the library).

        Raises:
            LibraryError: the file cannot be read as an image.
        """

        try:
            check_regular_file(path)
            d = decode(path, self.embedder.pixel_spec, want_thumbnail=False)
        except DecodeError as e:
            raise LibraryError(f"Cannot read {os.fspath(path)}: {e}") from e
        assert d.pixels is not None
        return np.asarray(self.embedder.encode_pixels(d.pixels[None])[0], np.float32)

    def similar_to_file(
        self, path: str | os.PathLike[str], k: int = 50, offset: int = 0,
        min_score: float | None = None,
    ) -> list[Hit]:
        """Photos like an image file: a library photo (excluding itself) or any file on disk."""
        abspath = os.path.abspath(os.fspath(path))
        record = self.store.photo_by_path(abspath)
        if record is not None:
            return self.similar_to_photos([record.id], k, offset, min_score)
        return self.search_vector(self.image_vector(abspath), k, offset, min_score)

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


def _unit(vec: np.ndarray) -> np.ndarray:
    vec = np.asarray(vec, np.float32)
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else vec


def _is_within(child: str, parent: str) -> bool:
    try:
        return os.path.commonpath([child, parent]) == parent and child != parent
    except ValueError:  # different drives on Windows
        return False

