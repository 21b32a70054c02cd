"""The photo store: one ObjectBox database per model identity.

Owns every read and write of photos, folders and skipped files; callers see plain dataclasses,
never ObjectBox objects. Its helpers live beside it: the record file (meta.py), the mapping of
failures to user errors (failures.py) and the ObjectBox workarounds (obx.py).

Longer than most modules (~630 lines) on purpose: it is one class, the whole database API,
and every method is a short query or write; splitting it by entity would scatter the one
in-use/close protocol that each of them must follow.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import objectbox
from objectbox import Store

from inphotos.db.entities import ORIENTATION_CODES, TAKEN_SOURCES, Schema, schema_for
from inphotos.db.failures import file_error, store_error
from inphotos.db.lock import ProcessLock
from inphotos.db.meta import (
    FORMAT_VERSION,
    META_FILE,
    META_LOCK,
    migrate,
    new_meta,
    read_meta,
    write_meta,
)
from inphotos.db.obx import WriteTx, decode_path, encode_path
from inphotos.errors import DamagedDatabaseError, DiskFullError, NewerFormatError, StoreError
from inphotos.fsutil import PRIVATE_FILE_MODE, atomic_write, private_dir
from inphotos.records import Filters, FolderRecord, PhotoRecord, SkippedRecord, orientation_of

__all__ = [
    "FORMAT_VERSION", "META_FILE", "DiskFullError", "PhotoStore", "StoreError", "WriteBatch",
    "decode_path", "encode_path", "read_meta",
]

log = logging.getLogger(__name__)

MODEL_JSON = "objectbox-model.json"
DATA_FILE = "data.mdb"
#: The library folders, kept beside the database so that a damaged one cannot take them along.
FOLDERS_FILE = "inphotos-folders.json"
F = TypeVar("F", bound=Callable[..., Any])
MAX_DB_SIZE_KB = 256 * 1024 * 1024  # an upper bound, not a reservation: the file grows as needed
#: How long `close()` waits for calls running on other threads before leaving the close to them.
CLOSE_WAIT_S = 1.0


def _now_ms() -> int:
    return int(time.time() * 1000)


def _any_of(conditions: list[Any]) -> Any:
    out = conditions[0]
    for c in conditions[1:]:
        out = out | c
    return out


@dataclass
class WriteBatch:
    """Changes written together in one transaction."""

    photos: list[PhotoRecord] = field(default_factory=list)
    remove_photo_ids: list[int] = field(default_factory=list)
    skipped: list[SkippedRecord] = field(default_factory=list)
    remove_skipped_ids: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.photos or self.remove_photo_ids or self.skipped or self.remove_skipped_ids)


def _in_use(method: F) -> F:
    """Count the call as running, so the store is never closed under it.

    A call that another call of the same thread makes (`nearest` counting first) is part of
    the outer one: it runs even when `close()` came in between.
    """

    @functools.wraps(method)
    def wrapper(self: PhotoStore, *args: Any, **kwargs: Any) -> Any:
        nested = getattr(self._local, "depth", 0) > 0
        with self._cv:
            if self._closed and not nested:
                raise StoreError("The photo library was closed.")
            self._in_flight += 1
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            return method(self, *args, **kwargs)
        except objectbox.DbError as e:
            raise store_error(self.directory, e) from e
        finally:
            self._local.depth -= 1
            with self._cv:
                self._in_flight -= 1
                self._cv.notify_all()
                last = self._closed and self._in_flight == 0
            if last:  # close() stopped waiting: the last call out closes the database
                self._release()

    return cast(F, wrapper)


class PhotoStore:
    """An open library database; reads from any thread, one writer at a time.

    `close()` refuses new calls at once and never closes ObjectBox under a running call: if
    calls are still running after a short wait, the last of them closes it as it returns.
    """

    def __init__(
        self, directory: Path, dims: int, model_spec: str, lock: bool = True, weights: str = ""
    ) -> None:
        self._cv = threading.Condition()
        self._local = threading.local()
        self._in_flight = 0
        self._closed = False
        self._released = False
        self.directory = directory
        self.dims = dims
        self.model_spec = model_spec
        private_dir(directory)
        self._lock = ProcessLock(directory / "inphotos.lock") if lock else None
        try:
            meta = read_meta(directory)  # a damaged record file stops here, untouched
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
            if meta:
                _check_files(directory)
            self._store = self._open(directory)
            with contextlib.suppress(OSError):  # written by objectbox-python under the umask
                os.chmod(directory / MODEL_JSON, PRIVATE_FILE_MODE)
            self._photos = self._store.box(self.schema.photo)
            self._folders = self._store.box(self.schema.folder)
            self._skipped = self._store.box(self.schema.skipped)
            if meta:
                self._check_counts(meta)
            if not meta:
                if self._photos.count() or self._folders.count():
                    self._store.close()
                    raise StoreError(
                        f"The record file of the index in {directory} ({META_FILE}) is missing, "
                        "so InPhotos cannot tell which model made its vectors. Restore it from a "
                        f"backup, or delete the folder {directory} to index the photos again."
                    )
                meta = new_meta(model_spec, dims, weights)
                write_meta(directory, meta)
            elif int(meta.get("format", 1)) < FORMAT_VERSION:
                meta = migrate(directory, meta, weights)
            self.meta = meta
        except BaseException:
            if self._lock:
                self._lock.release()
            raise

    def _open(self, directory: Path) -> Store:
        try:
            return Store(
                model=self.schema.model,
                directory=_native_path(directory),
                model_json_file=str(directory / MODEL_JSON),
                max_db_size_in_kb=MAX_DB_SIZE_KB,
                file_mode=PRIVATE_FILE_MODE,
            )
        except (objectbox.FileCorruptError, objectbox.FilePagesCorruptError) as e:
            raise DamagedDatabaseError(damaged_message(directory, f"it is damaged ({e})")) from e
        except objectbox.DbError as e:
            raise store_error(directory, e) from e
        except UnicodeError as e:
            raise StoreError(
                f"The database folder {directory} has a name the database cannot use (it is not "
                "UTF-8): choose another InPhotos home (--home)."
            ) from e
        except (ValueError, KeyError, TypeError) as e:  # a damaged objectbox-model.json
            raise DamagedDatabaseError(
                damaged_message(directory, f"its schema file {MODEL_JSON} is damaged ({e})")
            ) from e

    def _check_counts(self, meta: dict[str, Any]) -> None:
        """A cheap check at open: an emptied database is not taken for a new library."""
        recorded = int(meta.get("photos", 0) or 0)
        if recorded > 0 and self._photos.count() == 0:
            self._store.close()
            raise DamagedDatabaseError(damaged_message(
                self.directory, f"it is empty, but it held {recorded} photos when last indexed"
            ))
        listed = read_folder_list(self.directory)
        if listed and self._folders.count() == 0:
            self._store.close()
            raise DamagedDatabaseError(damaged_message(
                self.directory, f"it has lost its {len(listed)} library folder(s)"
            ))
        if listed is None and self._folders.count():  # an index made before the list existed
            self._save_folder_list()

    def _save_folder_list(self) -> None:
        paths = [decode_path(o.path) for o in self._folders.get_all()]
        write_folder_list(self.directory, sorted(paths))

    # ---------------------------------------------------------------- lifecycle

    def close(self, wait_s: float = CLOSE_WAIT_S) -> None:
        """Refuse new calls now; close the database once the running calls are done.

        Waits at most `wait_s` for calls on other threads; if some still run then, the last
        of them closes the database (and releases the library) as it returns.
        """
        with self._cv:
            self._closed = True
            if not self._cv.wait_for(lambda: self._in_flight == 0, timeout=wait_s):
                log.info("%d store calls still running; the last one closes the database",
                         self._in_flight)
                return
        self._release()

    @property
    def closed(self) -> bool:
        """Whether `close()` was called (the database may still be finishing a call)."""
        return self._closed

    def _release(self) -> None:
        with self._cv:
            if self._released:
                return
            self._released = True
        store = getattr(self, "_store", None)
        if store is not None:
            store.close()
            self._store = None  # type: ignore[assignment]
        if self._lock:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> PhotoStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_meta(self, **values: Any) -> None:
        """Record `values` in the index's record file (threads write it one at a time)."""
        self._check_lock()
        with META_LOCK:
            self.meta.update(values)
            write_meta(self.directory, self.meta)

    def _before_removing(self, n: int) -> None:
        """An index about to be emptied on purpose says so first, so it is not taken for a
        damaged one at the next open (even when killed right after)."""
        if n and self.meta.get("photos") and n >= self._photos.count():
            self.set_meta(photos=0)

    def _check_lock(self) -> None:
        """Before every write: this process still holds the library (see db/lock.py)."""
        if self._lock is not None:
            self._lock.check()

    def size_on_disk(self) -> int:
        p = self.directory / "data.mdb"
        return p.stat().st_size if p.exists() else 0

    # ---------------------------------------------------------------- photos

    def _to_record(self, obj: Any, with_embedding: bool) -> PhotoRecord:
        taken_ms, source = obj.taken_ms, obj.taken_source
        if not source:  # a row from before the field: derived as the indexer now stores it
            source = TAKEN_SOURCES["exif"] if taken_ms else TAKEN_SOURCES["file"]
            taken_ms = taken_ms or obj.mtime_ns // 1_000_000
        return PhotoRecord(
            path=decode_path(obj.path),
            folder=decode_path(obj.folder),
            size=obj.size,
            mtime_ns=obj.mtime_ns,
            ctime_ns=obj.ctime_ns or 0,
            fingerprint=obj.fingerprint,
            width=obj.width,
            height=obj.height,
            taken_ms=taken_ms,
            indexed_ms=obj.indexed_ms,
            embedding=np.asarray(obj.embedding, dtype=np.float32) if with_embedding else None,
            id=obj.id,
            taken_source="file" if source == TAKEN_SOURCES["file"] else "exif",
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
            ctime_ns=r.ctime_ns,
            fingerprint=r.fingerprint,
            width=r.width,
            height=r.height,
            taken_ms=r.taken_ms,
            indexed_ms=r.indexed_ms or _now_ms(),
            embedding=np.asarray(r.embedding, dtype=np.float32),
            taken_source=TAKEN_SOURCES.get(r.taken_source, TAKEN_SOURCES["exif"]),
            orientation=ORIENTATION_CODES.get(orientation_of(r.width, r.height), 0),
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
    def nearest(
        self, vector: np.ndarray, count: int, filters: Filters | None = None,
        folders: Iterable[str] | None = None,
    ) -> list[tuple[int, float]]:
        """Approximate nearest neighbours: (id, cosine distance), closest first.

        With `filters` (or `folders`: photos of these library folders only), ObjectBox keeps
        those of the `count` nearest that pass (it filters the graph's candidates, so a
        selective filter returns fewer than `count`).
        """
        if count <= 0 or self.count() == 0:
            return []
        vec = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
        condition = self.schema.photo.embedding.nearest_neighbors(vec, count)
        extra = self._filter_condition(filters or Filters(), folders)
        if extra is not None:
            condition = condition & extra
        q = self._photos.query(condition).build()
        try:
            return [(int(r[0]), float(r[1])) for r in q.find_ids_with_scores()]
        finally:
            q.close()

    # ---------------------------------------------------------------- filters

    def _filter_condition(self, filters: Filters, folders: Iterable[str] | None = None) -> Any:
        """The ObjectBox condition for `filters` (and photos of `folders`), or None for "all".

        A library folder is matched on the indexed `folder` property; a folder inside one by
        its path prefix. Legacy rows (orientation 0) pass no orientation filter until the next
        index run fills them in.
        """
        p = self.schema.photo
        parts: list[Any] = []
        if folders is not None:
            wanted = sorted({encode_path(f) for f in folders})
            parts.append(_any_of([p.folder.equals(f) for f in wanted]) if wanted else p.id.equals(-1))
        if filters.after_ms is not None:
            parts.append(p.taken_ms.greater_or_equal(filters.after_ms))
        if filters.before_ms is not None:
            parts.append(p.taken_ms.less_than(filters.before_ms))
        if filters.folder:
            folder = filters.folder.rstrip("/") or "/"
            if self._is_library_folder(folder):
                parts.append(p.folder.equals(encode_path(folder)))
            else:
                parts.append(p.path.starts_with(encode_path(folder.rstrip("/") + "/")))
        if filters.types:
            parts.append(_any_of([p.path.ends_with("." + e, case_sensitive=False)
                                  for e in filters.extensions()]))
        if filters.orientation:
            parts.append(p.orientation.equals(ORIENTATION_CODES[filters.orientation]))
        condition = None
        for c in parts:
            condition = c if condition is None else condition & c
        return condition

    def _is_library_folder(self, path: str) -> bool:
        return self._folder_obj(path) is not None

    @_in_use
    def count_matching(self, filters: Filters, folders: Iterable[str] | None = None) -> int:
        """How many photos pass `filters` (of `folders` only, when given)."""
        condition = self._filter_condition(filters, folders)
        if condition is None:
            return self.count()
        q = self._photos.query(condition).build()
        try:
            return int(q.count())
        finally:
            q.close()

    @_in_use
    def ids_matching(
        self, filters: Filters, folders: Iterable[str] | None = None, newest_first: bool = False
    ) -> list[int]:
        """Ids of the photos that pass `filters`, by id or newest first by date taken."""
        qb = self._photos.query(self._filter_condition(filters, folders))
        if newest_first:
            qb.order_desc(self.schema.photo.taken_ms)
            qb.order_desc(self.schema.photo.id)
        q = qb.build()
        try:
            return [int(i) for i in q.find_ids()]
        finally:
            q.close()

    @_in_use
    def newest_page(
        self, limit: int, before: tuple[int, int] | None = None, filters: Filters | None = None,
        folders: Iterable[str] | None = None,
    ) -> list[PhotoRecord]:
        """Up to `limit` photos, newest first, taken before the cursor `before` = (taken_ms,
        id) of the last photo of the previous page (None: from the newest).

        Ordering a whole library reads every row (~6 us each), so the page is read through
        the date index in widening windows: the last 30 days before the cursor, then 4x as
        far back, and so on; a page costs about the photos in its window.
        """
        p = self.schema.photo
        day = 24 * 3600 * 1000
        top = before[0] if before else _now_ms()
        span = 30 * day
        extra = self._filter_condition(filters or Filters(), folders)
        while True:
            lo = top - span if span < 400 * 365 * day else None
            parts = [] if lo is None else [p.taken_ms.greater_or_equal(lo)]
            if before:
                parts.append(p.taken_ms.less_than(before[0])
                             | (p.taken_ms.equals(before[0]) & p.id.less_than(before[1])))
            if extra is not None:
                parts.append(extra)
            condition = None
            for c in parts:
                condition = c if condition is None else condition & c
            qb = self._photos.query(condition)
            qb.order_desc(p.taken_ms)
            qb.order_desc(p.id)
            q = qb.build()
            try:
                if lo is not None and q.count() < limit:
                    span *= 4
                    continue
                q.limit(limit)
                ids = [int(i) for i in q.find_ids()]
            finally:
                q.close()
            return [r for r in self.get_photos(ids) if r is not None]

    @_in_use
    def fill_derived(self, chunk: int = 1000) -> int:
        """Give rows from before `taken_source` and `orientation` existed their values.

        A photo without an EXIF date gets its file time as its date. Written by the index
        run (the one writer) in chunks; returns the rows filled.
        """
        p = self.schema.photo
        q = self._photos.query(p.taken_source.equals(0)).build()
        try:
            ids = [int(i) for i in q.find_ids()]
        finally:
            q.close()
        for start in range(0, len(ids), chunk):
            records = [r for r in self.get_photos(ids[start : start + chunk], with_embedding=True) if r]
            self.write(WriteBatch(photos=records))
        if ids:
            log.info("Filled in dates and orientations of %d photos indexed before they were kept", len(ids))
        return len(ids)

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
        self._before_removing(len(batch.remove_photo_ids))
        try:
            ids = self._write(batch, replace=False)
        except objectbox.IllegalStateError:
            # ObjectBox's HNSW index sometimes refuses to update a stored vector in place
            # ("Index update not yet supported"; seen after a few thousand updates and removes
            # of one library). Then the photos put again replace their old rows (removed, and
            # inserted under new ids) in one transaction. A batch that updates no stored row
            # cannot be helped by that; and if the retry fails too, its error is the answer.
            if not any(r.id for r in batch.photos):
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
        self._check_lock()
        with WriteTx(self._store):
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
        self._check_lock()
        self._before_removing(len(ids))
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
        added = obj is None
        if obj is None:
            obj = self.schema.folder(path=encode_path(path), added_ms=_now_ms(), last_scan_ms=0)
        obj.online = online
        if last_scan_ms is not None:
            obj.last_scan_ms = last_scan_ms
        self._check_lock()
        self._folders.put(obj)
        if added:
            self._save_folder_list()
        return FolderRecord(path, obj.added_ms, obj.last_scan_ms, bool(obj.online), obj.id)

    @_in_use
    def remove_folder(self, path: str) -> int:
        """Forget a folder and its photos (the files on disk are untouched); returns photos removed."""
        enc = encode_path(path)
        p, s = self.schema.photo, self.schema.skipped
        self._before_removing(self.photos_in_folder_count(path))
        self._check_lock()
        with WriteTx(self._store):
            q = self._photos.query(p.folder.equals(enc)).build()
            removed = int(q.remove())
            self._skipped.query(s.folder.equals(enc)).build().remove()
            obj = self._folder_obj(path)
            if obj is not None:
                self._folders.remove(obj.id)
        self._save_folder_list()
        return removed

    @_in_use
    def reassign_folder(self, old: str, new: str) -> None:
        """Move photos of folder `old` under library folder `new` (when a parent is added)."""
        enc_old, enc_new = encode_path(old), encode_path(new)
        self._check_lock()
        with WriteTx(self._store):
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
        self._save_folder_list()

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


def _native_path(directory: Path) -> str:
    """The folder as ObjectBox (which encodes paths as UTF-8) finds it on disk.

    Under a C locale Python holds a non-ASCII path as escaped bytes (surrogates), which
    UTF-8 cannot encode; its bytes decoded as UTF-8 name the same folder.
    """
    return os.fsencode(str(directory)).decode("utf-8", "surrogateescape")


def damaged_message(directory: Path, what: str) -> str:
    return (
        f"The InPhotos database in {directory} cannot be used: {what}. Your photos are not "
        "affected. Repairing rebuilds the index from the photos, keeping your library folders "
        "and settings (the damaged files are kept aside)."
    )


def _check_files(directory: Path) -> None:
    """The files an index that was written before must still have."""
    if not (directory / DATA_FILE).exists():
        raise DamagedDatabaseError(damaged_message(directory, f"its database file {DATA_FILE} is missing"))
    try:
        schema = json.loads((directory / MODEL_JSON).read_bytes())
    except FileNotFoundError:
        raise DamagedDatabaseError(
            damaged_message(directory, f"its schema file {MODEL_JSON} is missing")
        ) from None
    except (OSError, ValueError) as e:
        schema = e
    if not isinstance(schema, dict) or not isinstance(schema.get("entities"), list):
        # ObjectBox would quietly write a new one, whose ids need not match the data.
        raise DamagedDatabaseError(
            damaged_message(directory, f"its schema file {MODEL_JSON} is damaged")
        )


def read_folder_list(directory: Path) -> list[str] | None:
    """The library folders recorded beside the database; None when there is no list."""
    try:
        data = json.loads((directory / FOLDERS_FILE).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        log.warning("The folder list in %s is unreadable", directory)
        return None
    folders = data.get("folders") if isinstance(data, dict) else None
    if not isinstance(folders, list):
        return None
    return [decode_path(f) for f in folders if isinstance(f, str)]


def write_folder_list(directory: Path, folders: list[str]) -> None:
    path = directory / FOLDERS_FILE
    data = json.dumps({"folders": [encode_path(f) for f in folders]}, indent=2).encode("utf-8")
    try:
        atomic_write(path, data)
    except OSError as e:
        raise file_error(path, e) from e
