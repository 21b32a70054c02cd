"""Folders and skipped files in the photo store: the library folders, moving photos under a
new parent, forgetting a folder, and the files that could not be indexed. A part of
`PhotoStore`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inphotos.db.columns import PhotoColumns
from inphotos.db.entities import Schema
from inphotos.db.guard import in_use, now_ms
from inphotos.db.obx import WriteTx, decode_path, encode_path
from inphotos.records import FolderRecord, PhotoRecord, SkippedRecord

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence


class FolderQueries:
    """Folder and skipped-file reads and writes; mixed into `PhotoStore`."""

    schema: Schema
    _photos: Any
    _folders: Any
    _skipped: Any
    _store: Any
    _columns: PhotoColumns

    if TYPE_CHECKING:
        def get_photos(
            self, ids: Sequence[int], with_embedding: bool = False
        ) -> list[PhotoRecord | None]: ...
        def _check_lock(self) -> None: ...
        def _save_folder_list(self) -> None: ...
        def _before_removing(self, n: int) -> None: ...
        def _drop_links_of(self, photo_ids: Sequence[int]) -> int: ...
        def _remove_frames_of(self, photo_ids: Collection[int]) -> None: ...

    @in_use
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

    @in_use
    def put_folder(self, path: str, online: bool = True, last_scan_ms: int | None = None) -> FolderRecord:
        obj = self._folder_obj(path)
        added = obj is None
        if obj is None:
            obj = self.schema.folder(path=encode_path(path), added_ms=now_ms(), last_scan_ms=0)
        obj.online = online
        if last_scan_ms is not None:
            obj.last_scan_ms = last_scan_ms
        self._check_lock()
        self._folders.put(obj)
        self._columns.changed()  # a folder filter may now be a library folder, not a prefix
        if added:
            self._save_folder_list()
        return FolderRecord(path, obj.added_ms, obj.last_scan_ms, bool(obj.online), obj.id)

    @in_use
    def remove_folder(self, path: str) -> int:
        """Forget a folder and its photos (the files on disk are untouched); returns photos removed."""
        enc = encode_path(path)
        p, s = self.schema.photo, self.schema.skipped
        self._before_removing(self.photos_in_folder_count(path))
        self._check_lock()
        with WriteTx(self._store):
            q = self._photos.query(p.folder.equals(enc)).build()
            gone = [int(i) for i in q.find_ids()]
            self._drop_links_of(gone)
            self._remove_frames_of(gone)
            removed = int(q.remove())
            self._skipped.query(s.folder.equals(enc)).build().remove()
            obj = self._folder_obj(path)
            if obj is not None:
                self._folders.remove(obj.id)
        self._columns.remove(gone)
        self._columns.changed()
        self._save_folder_list()
        return removed

    @in_use
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
        self._columns.set_folder([o.id for o in objs], enc_new)
        self._columns.changed()
        self._save_folder_list()

    @in_use
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

    @in_use
    def photos_in_folder_count(self, path: str) -> int:
        q = self._photos.query(self.schema.photo.folder.equals(encode_path(path))).build()
        try:
            return int(q.count())
        finally:
            q.close()

    # ---------------------------------------------------------------- skipped files

    @in_use
    def skipped(self) -> list[SkippedRecord]:
        return [
            SkippedRecord(decode_path(o.path), decode_path(o.folder), o.size, o.mtime_ns, o.reason, o.id)
            for o in self._skipped.get_all()
        ]
