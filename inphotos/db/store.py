"""The photo store: one ObjectBox database per model identity.

Owns every read and write of photos, folders and skipped files; callers see plain dataclasses,
never ObjectBox objects. Its helpers live beside it: the record file (meta.py), the mapping of
failures to user errors (failures.py) and the ObjectBox workarounds (obx.py).

The class is put together from parts, each in its own module: filtered and date-ordered
queries (store_queries.py), folders and skipped files (store_folders.py); every call goes
through the one in-use/close guard (guard.py). The files that must sit beside the database
(the folder list, the damage checks) are library_files.py. What stays here (~420 lines) is
opening and closing, and the photo reads and writes that share that protocol.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import objectbox
from objectbox import Store

from inphotos.db.columns import ColumnRow, Loaded, PhotoColumns
from inphotos.db.entities import ORIENTATION_CODES, TAKEN_SOURCES, Schema, schema_for
from inphotos.db.failures import store_error
from inphotos.db.guard import in_use, now_ms
from inphotos.db.library_files import (
    DATA_FILE,
    FOLDERS_FILE,
    MODEL_JSON,
    check_files,
    damaged_message,
    native_path,
    read_folder_list,
    write_folder_list,
)
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
from inphotos.db.obx import WriteTx, decode_path, decode_paths, encode_path, encode_paths
from inphotos.db.obx_columns import int_column, read_vectors, string_column
from inphotos.db.store_folders import FolderQueries
from inphotos.db.store_frames import FrameQueries
from inphotos.db.store_links import Link, LinkArrays, LinkQueries
from inphotos.db.store_queries import FilterQueries
from inphotos.errors import (
    DamagedDatabaseError,
    DiskFullError,
    InPhotosError,
    NewerFormatError,
    StoreError,
)
from inphotos.fsutil import PRIVATE_FILE_MODE, private_dir
from inphotos.records import Filters, PhotoRecord, SkippedRecord, orientation_of

__all__ = [
    "DATA_FILE",
    "FOLDERS_FILE",
    "FORMAT_VERSION",
    "META_FILE",
    "MODEL_JSON",
    "DiskFullError",
    "Link",
    "LinkArrays",
    "PhotoStore",
    "StoreError",
    "WriteBatch",
    "damaged_message",
    "decode_path",
    "encode_path",
    "read_folder_list",
    "read_meta",
    "write_folder_list",
]

log = logging.getLogger(__name__)

#: The in-memory photo columns saved at close for the next start (db/columns.py).
COLUMNS_FILE = "columns.npz"
MAX_DB_SIZE_KB = 256 * 1024 * 1024  # an upper bound, not a reservation: the file grows as needed
#: How long `close()` waits for calls running on other threads before leaving the close to them.
CLOSE_WAIT_S = 1.0


@dataclass
class WriteBatch:
    """Changes written together in one transaction."""

    photos: list[PhotoRecord] = field(default_factory=list)
    remove_photo_ids: list[int] = field(default_factory=list)
    skipped: list[SkippedRecord] = field(default_factory=list)
    remove_skipped_ids: list[int] = field(default_factory=list)
    #: Finds the duplicate pairs of the photos put (their ids set), inside the transaction:
    #: the pairs are written with the photos, so a kill never keeps one without the other.
    pairs: Callable[[Sequence[PhotoRecord]], list[Link]] | None = None

    def __bool__(self) -> bool:
        return bool(self.photos or self.remove_photo_ids or self.skipped or self.remove_skipped_ids)


class PhotoStore(FilterQueries, FolderQueries, LinkQueries, FrameQueries):
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
                check_files(directory)
            stamp = self._data_stamp()  # before ObjectBox opens the file
            self._store = self._open(directory)
            with contextlib.suppress(OSError):  # written by objectbox-python under the umask
                os.chmod(directory / MODEL_JSON, PRIVATE_FILE_MODE)
            self._photos = self._store.box(self.schema.photo)
            self._folders = self._store.box(self.schema.folder)
            self._skipped = self._store.box(self.schema.skipped)
            self._links = self._store.box(self.schema.link)
            self._frames = self._store.box(self.schema.frame)
            self._columns = PhotoColumns(dims, self._read_columns, snapshot=directory / COLUMNS_FILE,
                                         stamp=stamp, count=self._photos.count)
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
                directory=native_path(directory),
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
            stamp = self._data_stamp()
            columns = getattr(self, "_columns", None)
            if stamp is not None and columns is not None and self._lock_held():
                try:
                    columns.save_snapshot(stamp)
                except OSError as e:  # only a cache: the next start reads the database
                    log.info("Photo columns snapshot not saved: %s", e)
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
        """Before every write: this process still holds the library (see db/lock.py); the
        columns' snapshot is no longer current once the write commits."""
        if self._lock is not None:
            self._lock.check()
        columns = getattr(self, "_columns", None)
        if columns is not None:
            columns.forget_snapshot()

    def _lock_held(self) -> bool:
        """Whether this process still holds the library (a snapshot is written only then: a
        store opened without the lock may have missed another process's writes)."""
        if self._lock is None:
            return False
        try:
            self._lock.check()
        except InPhotosError:
            return False
        return True

    def _data_stamp(self) -> tuple[int, int] | None:
        """The database file's (size, mtime_ns): every commit changes it."""
        try:
            st = os.stat(self.directory / DATA_FILE)
        except OSError:
            return None
        return st.st_size, st.st_mtime_ns

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
            companions=decode_paths(obj.companions),
            duration_ms=obj.duration_ms or 0,
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
            indexed_ms=r.indexed_ms or now_ms(),
            embedding=np.asarray(r.embedding, dtype=np.float32),
            taken_source=TAKEN_SOURCES.get(r.taken_source, TAKEN_SOURCES["exif"]),
            orientation=ORIENTATION_CODES.get(orientation_of(r.width, r.height), 0),
            companions=encode_paths(r.companions),
            duration_ms=r.duration_ms,
        )

    @in_use
    def columns_memory(self) -> int:
        """Bytes held by the in-memory photo columns and vectors (db/columns.py)."""
        return self._columns.memory_bytes()

    @in_use
    def count(self) -> int:
        return int(self._photos.count())

    @in_use
    def all_photos(self, with_embedding: bool = False) -> list[PhotoRecord]:
        return [self._to_record(o, with_embedding) for o in self._photos.get_all()]

    @in_use
    def get_photos(self, ids: Sequence[int], with_embedding: bool = False) -> list[PhotoRecord | None]:
        objs = self._photos.get_many(list(ids))
        return [self._to_record(o, with_embedding) if o is not None else None for o in objs]

    def get_photo(self, photo_id: int, with_embedding: bool = False) -> PhotoRecord | None:
        return self.get_photos([photo_id], with_embedding)[0]

    @in_use
    def photo_by_path(self, path: str, with_embedding: bool = False) -> PhotoRecord | None:
        q = self._photos.query(self.schema.photo.path.equals(encode_path(path))).build()
        found = q.find()
        return self._to_record(found[0], with_embedding) if found else None

    @in_use
    def embeddings(self, ids: Sequence[int]) -> np.ndarray:
        """Vectors for `ids`, in order (rows of a missing id are zero)."""
        if not len(ids):
            return np.zeros((0, self.dims), np.float32)
        return read_vectors(self._store, self._photos, self.schema.photo.embedding, ids, self.dims)[0]

    def _read_columns(self) -> Loaded:
        """Every photo's filter columns (db/columns.py), read in one transaction; vectors are
        read afterwards in chunks (a write in between is applied after the read)."""
        p = self.schema.photo
        with self._store.read_tx():
            q = self._photos.query().build()
            try:
                ids = int_column(q, p.id)
                taken = int_column(q, p.taken_ms)
                orientation = int_column(q, p.orientation, bits=32)
                folders = string_column(q, p.folder)
                paths = string_column(q, p.path)
            finally:
                q.close()
        if not (len(ids) == len(taken) == len(orientation) == len(folders) == len(paths)):
            raise StoreError(f"The photo columns of {self.directory} read back uneven")
        return Loaded(ids, taken, orientation, folders, paths)

    def _vectors_of(self, ids: np.ndarray) -> np.ndarray:
        return read_vectors(self._store, self._photos, self.schema.photo.embedding, ids, self.dims)[0]

    @staticmethod
    def _column_row(entity: Any, photo_id: int) -> ColumnRow:
        return ColumnRow(photo_id, entity.taken_ms, entity.folder, entity.path, entity.orientation,
                         entity.embedding)

    @in_use
    def all_embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of every photo: for exact search in tests and benchmarks."""
        objs = self._photos.get_all()
        ids = np.array([o.id for o in objs], dtype=np.int64)
        vecs = np.array([o.embedding for o in objs], dtype=np.float32).reshape(len(objs), self.dims)
        return ids, vecs

    @in_use
    def nearest(
        self, vector: np.ndarray, count: int, filters: Filters | None = None,
        folders: Iterable[str] | None = None,
    ) -> list[tuple[int, float]]:
        """Approximate nearest neighbours: (id, cosine distance), closest first.

        With `filters` (or `folders`: photos of these library folders only), ObjectBox keeps
        those of the `count` nearest that pass (it filters the graph's candidates, so a
        selective filter returns fewer than `count`). A video is as near as its nearest
        sampled frame (store_frames.py), and counts once.
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
            pairs = [(int(r[0]), float(r[1])) for r in q.find_ids_with_scores()]
        finally:
            q.close()
        videos = self._nearest_videos(vec, count, max((d for _, d in pairs), default=None))
        if not videos:
            return pairs
        merged = dict(pairs)
        found = [i for i in videos if i not in merged]
        wanted = set(folders) if folders is not None else None
        for r in self.get_photos(found):  # found by a frame: the filters still apply
            if (r is not None and (not filters or filters.accepts(r))
                    and (wanted is None or r.folder in wanted)):
                merged[r.id] = videos[r.id]
        for i in videos.keys() & merged.keys():
            merged[i] = min(merged[i], videos[i])
        return sorted(merged.items(), key=lambda p: p[1])[:count]

    # ---------------------------------------------------------------- writes

    @in_use
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
        # Rows put again under new ids take their stored frames along (unless given new ones).
        carried = self.frames_of([r.id for r in batch.photos if r.id and r.frames is None]) if replace else {}
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
                # A replaced row comes back under a new id: the indexer links it again.
                self._drop_links_of([*batch.remove_photo_ids, *replaced])
            self._remove_frames_of([*batch.remove_photo_ids, *replaced,
                                    *(r.id for r in batch.photos if r.id and r.frames is not None)])
            if batch.remove_skipped_ids:
                self._skipped.remove_many(batch.remove_skipped_ids)
            ids = list(self._photos.put(*entities)) if len(entities) > 1 else (
                [self._photos.put(entities[0])] if entities else []
            )
            if batch.pairs is not None and entities:
                for r, i in zip(batch.photos, ids, strict=True):
                    r.id = int(i)
                self._put_links([r.id for r in batch.photos], batch.pairs(batch.photos))
            if skipped:
                self._skipped.put(*skipped)
            for r, i in zip(batch.photos, ids, strict=True):
                frames = r.frames if r.frames is not None else carried.get(r.id)
                if frames:
                    self._put_frames(int(i), frames)
        # Committed: the in-memory columns follow before anyone hears the write is done.
        self._columns.remove([*batch.remove_photo_ids, *replaced])
        self._columns.put([self._column_row(e, int(i)) for e, i in zip(entities, ids, strict=True)])
        return [int(i) for i in ids]

    @in_use
    def remove_photos(self, ids: Sequence[int]) -> int:
        self._check_lock()
        self._before_removing(len(ids))
        if not ids:
            return 0
        with WriteTx(self._store):
            self._remove_frames_of(ids)
            removed = int(self._photos.remove_many(list(ids)))
            self._drop_links_of(ids)
        self._columns.remove(ids)
        return removed
