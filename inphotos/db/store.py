"""The photo store: one ObjectBox database per model identity.

Owns every read and write of photos, folders and skipped files; callers see plain dataclasses,
never ObjectBox objects. Paths whose bytes are not valid UTF-8 are stored in a reversible
escaped form so they can be indexed like any other.
"""

from __future__ import annotations

import base64
import dataclasses
import errno
import functools
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import objectbox
import objectbox.c as obx_c
import objectbox.exceptions
from objectbox import Store

from inphotos.db.entities import Schema, schema_for
from inphotos.db.lock import ProcessLock
from inphotos.errors import DiskFullError, NewerFormatError, StoreError
from inphotos.records import FolderRecord, PhotoRecord, SkippedRecord

log = logging.getLogger(__name__)

#: 1: the first release. 2: the meta file records which weights made the vectors ("weights")
#: and since when vectors are current ("vectors_valid_from_ms"); the database is unchanged.
FORMAT_VERSION = 2
META_FILE = "inphotos-db.json"
MODEL_JSON = "objectbox-model.json"
F = TypeVar("F", bound=Callable[..., Any])
MAX_DB_SIZE_KB = 256 * 1024 * 1024  # an upper bound, not a reservation: the file grows as needed
_RAW_PREFIX = "raw:"

try:  # Generated (un)marshalling code: about 4x faster reads of many photos (rescan, grid).
    import objectbox.experimental as _obx_experimental

    _obx_experimental.enable_flatbuffers_codegen()
except Exception:  # pragma: no cover - older objectbox: the generic path works, only slower
    log.info("ObjectBox code generation unavailable; using the generic marshaller")


class _WriteTx:
    """A write transaction that survives a failed commit.

    objectbox-python's own `write_tx()` calls `obx_txn_close()` after a failed
    `obx_txn_success()`, but the C API frees the transaction in both cases ("do not even call
    obx_txn_close()"): on a full disk that use-after-free spun forever at 100% CPU.
    """

    __slots__ = ("_c_store", "_tx")

    def __init__(self, store: Store) -> None:
        self._c_store = store._c_store

    def __enter__(self) -> None:
        self._tx = obx_c.obx_txn_write(self._c_store)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            obx_c.obx_txn_close(self._tx)  # abort
        else:
            obx_c.obx_txn_success(self._tx)  # commits and frees, also when the commit fails


def encode_path(path: str) -> str:
    """Paths are stored as UTF-8; undecodable bytes get a reversible escape."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        raw = os.fsencode(path)
        return _RAW_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii")


def decode_path(stored: str) -> str:
    if stored.startswith(_RAW_PREFIX):
        return os.fsdecode(base64.urlsafe_b64decode(stored[len(_RAW_PREFIX) :]))
    return stored


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class WriteBatch:
    """Changes written together in one transaction."""

    photos: list[PhotoRecord] = field(default_factory=list)
    remove_photo_ids: list[int] = field(default_factory=list)
    skipped: list[SkippedRecord] = field(default_factory=list)
    remove_skipped_ids: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.photos or self.remove_photo_ids or self.skipped or self.remove_skipped_ids)


def read_meta(directory: Path) -> dict[str, Any]:
    try:
        data = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_meta(directory: Path, meta: dict[str, Any]) -> None:
    write_meta_file(directory / META_FILE, meta)


def write_meta_file(path: Path, meta: dict[str, Any]) -> None:
    """Replace a meta file atomically: a crash or a full disk leaves the old one whole."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(meta, indent=2), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFullError(_disk_full_message(path.parent)) from e
        raise StoreError(f"Cannot save {path}: {e.strerror or e}") from e


#: Below this much free space, a failed write is put down to a full disk.
LOW_SPACE_BYTES = 32 * 1024 * 1024


def _disk_full_message(directory: Path) -> str:
    return (
        f"The disk holding the InPhotos library ({directory}) is full, so the last changes were "
        "not saved. Everything saved before is intact. Free some space, then index again: it "
        "goes on from where it stopped."
    )


def _low_on_space(directory: Path) -> bool:
    try:
        return shutil.disk_usage(directory).free < LOW_SPACE_BYTES
    except OSError:
        return False


def _store_error(directory: Path, e: objectbox.DbError) -> StoreError:
    """The user-facing error for a database failure.

    A full disk shows up as DbFullError, or (on tmpfs and some other file systems) as a
    general storage or I/O error from the commit: the free space tells those apart.
    """
    storage = (objectbox.exceptions.GeneralStorageError, objectbox.exceptions.IoError)
    if isinstance(e, objectbox.DbFullError) or (isinstance(e, storage) and _low_on_space(directory)):
        return DiskFullError(_disk_full_message(directory))
    return StoreError(f"The InPhotos database in {directory} reported an error: {e}")


def _migrate(directory: Path, meta: dict[str, Any], weights: str) -> dict[str, Any]:
    """Bring an older index's meta up to this version, keeping every vector.

    The old meta file is kept beside it (`inphotos-db.v1.json`), so an older InPhotos's
    record is never lost.
    """
    old = int(meta.get("format", 1))
    backup = directory / f"inphotos-db.v{old}.json"
    if not backup.exists():
        write_meta_file(backup, meta)
    meta = dict(meta)
    if old < 2:
        # Format 1 did not record the weights. The model is the same one (its database is
        # chosen by the model's name), so the vectors are taken as coming from these weights.
        meta["weights"] = weights
    meta["format"] = FORMAT_VERSION
    write_meta(directory, meta)
    log.info("Index in %s migrated from format %d to %d; no photo is embedded again",
             directory, old, FORMAT_VERSION)
    return meta


def _in_use(method: F) -> F:
    """Count the call as in use, so `close()` waits for it instead of pulling the store away."""

    @functools.wraps(method)
    def wrapper(self: PhotoStore, *args: Any, **kwargs: Any) -> Any:
        with self._cv:
            if self._closed:
                raise StoreError("The photo library was closed.")
            self._in_flight += 1
        try:
            return method(self, *args, **kwargs)
        except objectbox.DbError as e:
            raise _store_error(self.directory, e) from e
        finally:
            with self._cv:
                self._in_flight -= 1
                self._cv.notify_all()

    return cast(F, wrapper)


class PhotoStore:
    """An open library database; reads from any thread, one writer at a time.

    Closing waits for calls in progress on other threads: ObjectBox must not be closed under
    a running query.
    """

    def __init__(
        self, directory: Path, dims: int, model_spec: str, lock: bool = True, weights: str = ""
    ) -> None:
        self._cv = threading.Condition()
        self._in_flight = 0
        self._closed = False
        self.directory = directory
        self.dims = dims
        self.model_spec = model_spec
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = ProcessLock(directory / "inphotos.lock") if lock else None
        try:
            meta = read_meta(directory)
            if meta and int(meta.get("dims", dims)) != dims:
                raise StoreError(
                    f"The database in {directory} holds {meta.get('dims')}-dimensional vectors, "
                    f"but the model gives {dims}."
                )
            if int(meta.get("format", FORMAT_VERSION)) > FORMAT_VERSION:
                raise NewerFormatError(
                    f"The database in {directory} was written by a newer InPhotos; update the app."
                )
            self.schema: Schema = schema_for(dims, str(directory.resolve()))
            try:
                self._store = Store(
                    model=self.schema.model,
                    directory=str(directory),
                    model_json_file=str(directory / MODEL_JSON),
                    max_db_size_in_kb=MAX_DB_SIZE_KB,
                )
            except (objectbox.FileCorruptError, objectbox.FilePagesCorruptError) as e:
                raise StoreError(f"The database in {directory} is damaged: {e}") from e
            except objectbox.DbError as e:
                raise _store_error(directory, e) from e
            if not meta:
                meta = {"format": FORMAT_VERSION, "model": model_spec, "dims": dims,
                        "created_ms": _now_ms(), "complete": False, "weights": weights}
                write_meta(directory, meta)
            elif int(meta.get("format", 1)) < FORMAT_VERSION:
                meta = _migrate(directory, meta, weights)
            self.meta = meta
        except BaseException:
            if self._lock:
                self._lock.release()
            raise
        self._photos = self._store.box(self.schema.photo)
        self._folders = self._store.box(self.schema.folder)
        self._skipped = self._store.box(self.schema.skipped)

    # ---------------------------------------------------------------- lifecycle

    def close(self, timeout_s: float = 60.0) -> None:
        with self._cv:
            self._closed = True
            if not self._cv.wait_for(lambda: self._in_flight == 0, timeout=timeout_s):
                log.error("Closing the store while %d calls still run", self._in_flight)
        if getattr(self, "_store", None) is not None:
            self._store.close()
            self._store = None  # type: ignore[assignment]
        if self._lock:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> PhotoStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_meta(self, **values: Any) -> None:
        self.meta.update(values)
        write_meta(self.directory, self.meta)

    def size_on_disk(self) -> int:
        p = self.directory / "data.mdb"
        return p.stat().st_size if p.exists() else 0

    # ---------------------------------------------------------------- photos

    def _to_record(self, obj: Any, with_embedding: bool) -> PhotoRecord:
        return PhotoRecord(
            path=decode_path(obj.path),
            folder=decode_path(obj.folder),
            size=obj.size,
            mtime_ns=obj.mtime_ns,
            fingerprint=obj.fingerprint,
            width=obj.width,
            height=obj.height,
            taken_ms=obj.taken_ms,
            indexed_ms=obj.indexed_ms,
            embedding=np.asarray(obj.embedding, dtype=np.float32) if with_embedding else None,
            id=obj.id,
        )

    def _to_entity(self, r: PhotoRecord) -> Any:
        if r.embedding is None or len(r.embedding) != self.dims:
            raise ValueError(f"embedding for {r.path!r} must have {self.dims} values")
        return self.schema.photo(
            id=r.id,
            path=encode_path(r.path),
            folder=encode_path(r.folder),
            size=r.size,
            mtime_ns=r.mtime_ns,
            fingerprint=r.fingerprint,
            width=r.width,
            height=r.height,
            taken_ms=r.taken_ms,
            indexed_ms=r.indexed_ms or _now_ms(),
            embedding=np.asarray(r.embedding, dtype=np.float32),
        )

    @_in_use
    def count(self) -> int:
        return int(self._photos.count())

    @_in_use
    def all_photos(self, with_embedding: bool = False) -> list[PhotoRecord]:
        return [self._to_record(o, with_embedding) for o in self._photos.get_all()]

    @_in_use
    def get_photos(self, ids: Sequence[int], with_embedding: bool = False) -> list[PhotoRecord | None]:
        objs = self._photos.get_many(list(ids))
        return [self._to_record(o, with_embedding) if o is not None else None for o in objs]

    def get_photo(self, photo_id: int, with_embedding: bool = False) -> PhotoRecord | None:
        return self.get_photos([photo_id], with_embedding)[0]

    @_in_use
    def photo_by_path(self, path: str, with_embedding: bool = False) -> PhotoRecord | None:
        q = self._photos.query(self.schema.photo.path.equals(encode_path(path))).build()
        found = q.find()
        return self._to_record(found[0], with_embedding) if found else None

    @_in_use
    def embeddings(self, ids: Sequence[int]) -> np.ndarray:
        """Vectors for `ids`, in order (rows of a missing id are zero)."""
        out = np.zeros((len(ids), self.dims), np.float32)
        for i, o in enumerate(self._photos.get_many(list(ids))):
            if o is not None:
                out[i] = o.embedding
        return out

    @_in_use
    def all_embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of every photo: for exact search in tests and benchmarks."""
        objs = self._photos.get_all()
        ids = np.array([o.id for o in objs], dtype=np.int64)
        vecs = np.array([o.embedding for o in objs], dtype=np.float32).reshape(len(objs), self.dims)
        return ids, vecs

    @_in_use
    def nearest(self, vector: np.ndarray, count: int) -> list[tuple[int, float]]:
        """Approximate nearest neighbours: (id, cosine distance), closest first."""
        if count <= 0 or self.count() == 0:
            return []
        vec = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
        q = self._photos.query(self.schema.photo.embedding.nearest_neighbors(vec, count)).build()
        try:
            return [(int(r[0]), float(r[1])) for r in q.find_ids_with_scores()]
        finally:
            q.close()

    @_in_use
    def ids_newest_first(self, folders: Iterable[str] | None = None) -> list[int]:
        """Photo ids ordered by date taken (then most recently indexed), newest first.

        With `folders`, only photos of those library folders: filtered in the query itself,
        so no photo has to be read (this runs on every browse of a big library).
        """
        p = self.schema.photo
        condition = None
        if folders is not None:
            wanted = sorted({encode_path(f) for f in folders})
            if not wanted:
                return []
            for folder in wanted:
                c = p.folder.equals(folder)
                condition = c if condition is None else condition.or_(c)
        qb = self._photos.query(condition)
        qb.order_desc(p.taken_ms)
        qb.order_desc(p.id)
        q = qb.build()
        try:
            return [int(i) for i in q.find_ids()]
        finally:
            q.close()

    # ---------------------------------------------------------------- writes

    @_in_use
    def write(self, batch: WriteBatch) -> list[int]:
        """Apply a batch in one transaction; returns the ids of the photos put (`record.id` too)."""
        if not batch:
            return []
        try:
            ids = self._write(batch, replace=False)
        except objectbox.IllegalStateError as e:
            # ObjectBox's HNSW index cannot always update a stored vector in place ("Index
            # update not yet supported"): then the photos that were put again replace their
            # old rows (removed, and inserted under new ids) in one transaction.
            if "Index update" not in str(e):
                raise
            log.info("Vector index refused an in-place update; replacing the rows instead")
            ids = self._write(batch, replace=True)
        for r, i in zip(batch.photos, ids, strict=True):
            r.id = int(i)
        return ids

    def _write(self, batch: WriteBatch, replace: bool) -> list[int]:
        replaced = [r.id for r in batch.photos if r.id] if replace else []
        entities = [self._to_entity(dataclasses.replace(r, id=0) if replace else r) for r in batch.photos]
        skipped = [
            self.schema.skipped(
                id=s.id,
                path=encode_path(s.path),
                folder=encode_path(s.folder),
                size=s.size,
                mtime_ns=s.mtime_ns,
                reason=s.reason,
            )
            for s in batch.skipped
        ]
        with _WriteTx(self._store):
            if batch.remove_photo_ids or replaced:
                self._photos.remove_many([*batch.remove_photo_ids, *replaced])
            if batch.remove_skipped_ids:
                self._skipped.remove_many(batch.remove_skipped_ids)
            ids = list(self._photos.put(*entities)) if len(entities) > 1 else (
                [self._photos.put(entities[0])] if entities else []
            )
            if skipped:
                self._skipped.put(*skipped)
        return [int(i) for i in ids]

    @_in_use
    def remove_photos(self, ids: Sequence[int]) -> int:
        return int(self._photos.remove_many(list(ids))) if ids else 0

    # ---------------------------------------------------------------- folders

    @_in_use
    def folders(self) -> list[FolderRecord]:
        return sorted(
            (
                FolderRecord(decode_path(o.path), o.added_ms, o.last_scan_ms, bool(o.online), o.id)
                for o in self._folders.get_all()
            ),
            key=lambda f: f.path,
        )

    def _folder_obj(self, path: str) -> Any | None:
        q = self._folders.query(self.schema.folder.path.equals(encode_path(path))).build()
        found = q.find()
        return found[0] if found else None

    @_in_use
    def put_folder(self, path: str, online: bool = True, last_scan_ms: int | None = None) -> FolderRecord:
        obj = self._folder_obj(path)
        if obj is None:
            obj = self.schema.folder(path=encode_path(path), added_ms=_now_ms(), last_scan_ms=0)
        obj.online = online
        if last_scan_ms is not None:
            obj.last_scan_ms = last_scan_ms
        self._folders.put(obj)
        return FolderRecord(path, obj.added_ms, obj.last_scan_ms, bool(obj.online), obj.id)

    @_in_use
    def remove_folder(self, path: str) -> int:
        """Forget a folder and its photos (the files on disk are untouched); returns photos removed."""
        enc = encode_path(path)
        p, s = self.schema.photo, self.schema.skipped
        with _WriteTx(self._store):
            q = self._photos.query(p.folder.equals(enc)).build()
            removed = int(q.remove())
            self._skipped.query(s.folder.equals(enc)).build().remove()
            obj = self._folder_obj(path)
            if obj is not None:
                self._folders.remove(obj.id)
        return removed

    @_in_use
    def reassign_folder(self, old: str, new: str) -> None:
        """Move photos of folder `old` under library folder `new` (when a parent is added)."""
        enc_old, enc_new = encode_path(old), encode_path(new)
        with _WriteTx(self._store):
            objs = self._photos.query(self.schema.photo.folder.equals(enc_old)).build().find()
            for o in objs:
                o.folder = enc_new
            if objs:
                self._photos.put(*objs)
            sk = self._skipped.query(self.schema.skipped.folder.equals(enc_old)).build().find()
            for o in sk:
                o.folder = enc_new
            if sk:
                self._skipped.put(*sk)
            obj = self._folder_obj(old)
            if obj is not None:
                self._folders.remove(obj.id)

    @_in_use
    def thumbnail_keys_in_folder(self, path: str, chunk: int = 5000) -> list[tuple[str, int, int]]:
        """(path, mtime_ns, size) of every photo of a folder, read in chunks (not all vectors
        of a big folder at once)."""
        q = self._photos.query(self.schema.photo.folder.equals(encode_path(path))).build()
        try:
            ids = [int(i) for i in q.find_ids()]
        finally:
            q.close()
        keys: list[tuple[str, int, int]] = []
        for i in range(0, len(ids), chunk):
            keys += [(r.path, r.mtime_ns, r.size) for r in self.get_photos(ids[i : i + chunk]) if r]
        return keys

    @_in_use
    def photos_in_folder_count(self, path: str) -> int:
        q = self._photos.query(self.schema.photo.folder.equals(encode_path(path))).build()
        try:
            return int(q.count())
        finally:
            q.close()

    # ---------------------------------------------------------------- skipped files

    @_in_use
    def skipped(self) -> list[SkippedRecord]:
        return [
            SkippedRecord(decode_path(o.path), decode_path(o.folder), o.size, o.mtime_ns, o.reason, o.id)
            for o in self._skipped.get_all()
        ]
