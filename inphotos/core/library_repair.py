"""A damaged library: a full consistency check, and a repair that sets the damaged index aside
and rebuilds it from the photos, keeping the library's folders. A part of `Library`."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from inphotos.db.entities import forget_schemas
from inphotos.db.lock import ProcessLock
from inphotos.db.store import read_folder_list
from inphotos.errors import LibraryError
from inphotos.ml.models import parse_spec

if TYPE_CHECKING:
    from pathlib import Path

    from inphotos.core.library import Library
    from inphotos.db.store import PhotoStore
    from inphotos.paths import AppPaths

log = logging.getLogger(__name__)


class RepairMixin:
    """`check()` and `Library.repair()`; mixed into `Library`."""

    store: PhotoStore
    db_dir: Path

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
        lib: Library = cls(paths, model, **options)  # type: ignore[call-arg,assignment]
        for folder in folders:
            try:
                lib.add_folder(folder)
            except LibraryError:  # offline now: kept, and indexed when it is back
                lib.store.put_folder(folder, online=False)
        return lib

    def check(self, chunk: int = 2000) -> list[str]:
        """A full consistency check; returns the problems found (none: the index is sound).

        Every row readable, every vector finite, unit length and of the right size, no two
        rows for one path, every photo under a library folder, every video frame of a video
        in the index, and the folder list kept
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
        owned = sum(len(f) for f in self.store.frames_of(ids).values())
        if owned != self.store.frame_count():
            problems.append(f"{self.store.frame_count() - owned} video frame(s) belong to no video")
        listed = read_folder_list(self.db_dir)
        if listed is not None and set(listed) != folders:
            problems.append("the folder list beside the database disagrees with the database")
        return problems
