"""Filtered and date-ordered queries of the photo store: the search filters as ObjectBox
conditions and, the same rules, over the in-memory photo columns (db/columns.py) that answer
them at scale; counts and ids of matching photos, exact nearest neighbours among them, the
timeline's pages, and filling in values that rows from older versions lack. A part of
`PhotoStore`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from inphotos.db.columns import PhotoColumns
from inphotos.db.entities import ORIENTATION_CODES, Schema
from inphotos.db.guard import any_of, in_use, now_ms
from inphotos.db.obx import encode_path
from inphotos.records import Filters, PhotoRecord

if TYPE_CHECKING:
    from inphotos.db.store import WriteBatch

log = logging.getLogger(__name__)

#: How many of the best int8-scored photos are scored again from their stored vectors, plus
#: a margin for the int8 error (~1e-3 of cosine): recall@10 against exact search is then 1.
RESCORED = 1000
RESCORE_MARGIN = 100


class FilterQueries:
    """Queries by filters and by date; mixed into `PhotoStore`."""

    schema: Schema
    _photos: Any
    _columns: PhotoColumns
    _nearest_cache: tuple[Any, int, np.ndarray, np.ndarray, list[tuple[int, float]]] | None = None
    dims: int

    if TYPE_CHECKING:
        def embeddings(self, ids: Sequence[int]) -> np.ndarray: ...
        def _vectors_of(self, ids: np.ndarray) -> np.ndarray: ...
        def count(self) -> int: ...
        def get_photos(
            self, ids: Sequence[int], with_embedding: bool = False
        ) -> list[PhotoRecord | None]: ...
        def write(self, batch: WriteBatch) -> list[int]: ...
        def _folder_obj(self, path: str) -> Any | None: ...

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
            parts.append(any_of([p.folder.equals(f) for f in wanted]) if wanted else p.id.equals(-1))
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
            parts.append(any_of([p.path.ends_with("." + e, case_sensitive=False)
                                  for e in filters.extensions()]))
        if filters.orientation:
            parts.append(p.orientation.equals(ORIENTATION_CODES[filters.orientation]))
        condition = None
        for c in parts:
            condition = c if condition is None else condition & c
        return condition

    def _is_library_folder(self, path: str) -> bool:
        return self._folder_obj(path) is not None

    def _mask(self, filters: Filters, folders: Iterable[str] | None = None) -> np.ndarray | None:
        """Which column slots pass `filters` (and are of `folders`): the rules of
        `_filter_condition`, over the columns. Call holding the columns' lock; None where a
        filter has no column form (a file type with a dot in it: the database answers)."""
        exts = filters.extensions() if filters.types else ()
        if any("." in e for e in exts):
            return None
        prefix = None
        library_folders: list[str] | None = None
        if folders is not None:
            library_folders = sorted({encode_path(f) for f in folders})
        if filters.folder:
            folder = filters.folder.rstrip("/") or "/"
            if self._is_library_folder(folder):
                own = [encode_path(folder)]
                library_folders = own if library_folders is None else sorted(set(own) & set(library_folders))
            else:
                prefix = encode_path(folder.rstrip("/") + "/")
        return self._columns.mask(
            filters.after_ms, filters.before_ms, library_folders, prefix, exts,
            ORIENTATION_CODES[filters.orientation] if filters.orientation else 0,
        )

    @in_use
    def count_matching(self, filters: Filters, folders: Iterable[str] | None = None) -> int:
        """How many photos pass `filters` (of `folders` only, when given)."""
        if not filters and folders is None:
            return self.count()
        self._columns.ensure()
        with self._columns.lock:
            m = self._mask(filters, folders)
            if m is not None:
                return int(m.sum())
        q = self._photos.query(self._filter_condition(filters, folders)).build()
        try:
            return int(q.count())
        finally:
            q.close()

    @in_use
    def ids_matching(
        self, filters: Filters, folders: Iterable[str] | None = None, newest_first: bool = False
    ) -> list[int]:
        """Ids of the photos that pass `filters`, by id or newest first by date taken."""
        cols = self._columns
        cols.ensure()
        with cols.lock:
            m = self._mask(filters, folders)
            if m is not None:
                if newest_first:
                    order = cols.newest_first()
                    return cols.ids[order[m[order]]].tolist()
                return cols.ids[np.flatnonzero(m)].tolist()
        qb = self._photos.query(self._filter_condition(filters, folders))
        if newest_first:
            qb.order_desc(self.schema.photo.taken_ms)
            qb.order_desc(self.schema.photo.id)
        q = qb.build()
        try:
            return [int(i) for i in q.find_ids()]
        finally:
            q.close()

    @in_use
    def nearest_matching(
        self, vector: np.ndarray, count: int, filters: Filters, folders: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> list[tuple[int, float]] | None:
        """Exact nearest neighbours among the photos passing `filters`: (id, cosine), best
        first. Scored over the columns' int8 vectors, then the best are scored again from the
        stored float vectors (so the order and scores at the top are exact). None when more
        than `limit` photos pass, or a filter has no column form: the graph answers those."""
        cols = self._columns
        cols.ensure_vectors(self._vectors_of)
        q = np.asarray(vector, np.float32).reshape(-1)
        key = (q.tobytes(), filters, None if folders is None else tuple(sorted(folders)))
        with cols.lock:
            # A search asks again for a deeper pool (its cut-off): the same query over the
            # same columns reuses its ranking instead of scoring every photo again.
            cached = self._nearest_cache
            if cached is None or cached[0] != key or cached[1] != cols.version:
                m = self._mask(filters, folders)
                if m is None:
                    return None
                slots = np.flatnonzero(m)
                if limit is not None and len(slots) > limit:
                    return None
                top, approx = cols.nearest(slots, q, len(slots))
                cached = self._nearest_cache = (key, cols.version, cols.ids[top], approx, [])
        _, _, ids, approx, head = cached
        exact = min(min(count, RESCORED) + RESCORE_MARGIN, len(ids))
        if len(head) < exact:
            # einsum, not BLAS: a threaded BLAS spins its threads for a product this small.
            top = ids[:exact]
            scores = np.einsum("ij,j->i", self.embeddings(top.tolist()), q)
            order = np.argsort(-scores, kind="stable")
            head[:] = [(int(top[i]), float(scores[i])) for i in order]
        tail = min(count, len(ids))
        return head[:count] + [(int(i), float(s)) for i, s in
                               zip(ids[exact:tail], approx[exact:tail], strict=True)]

    @in_use
    def taken_of(self, ids: Sequence[int]) -> list[int]:
        """Stored dates taken of `ids` (0 for an id not held), from the columns."""
        cols = self._columns
        cols.ensure()
        with cols.lock:
            slots = cols.slots(np.asarray(ids, np.int64))
            return np.where(slots >= 0, cols.taken[np.maximum(slots, 0)], 0).tolist()

    @in_use
    def newest_page(
        self, limit: int, before: tuple[int, int] | None = None, filters: Filters | None = None,
        folders: Iterable[str] | None = None,
    ) -> list[PhotoRecord]:
        """Up to `limit` photos, newest first, taken before the cursor `before` = (taken_ms,
        id) of the last photo of the previous page (None: from the newest).

        The order comes from the columns (sorted once after each write), so a page costs a
        pass over the library's dates and the reads of its own photos.
        """
        cols = self._columns
        cols.ensure()
        with cols.lock:
            m = self._mask(filters or Filters(), folders)
            if m is not None:
                order = cols.newest_first()
                if before is not None:
                    t, i = cols.taken[order], cols.ids[order]
                    order = order[(t < before[0]) | ((t == before[0]) & (i < before[1]))]
                ids = cols.ids[order[m[order]][:limit]].tolist()
                return [r for r in self.get_photos(ids) if r is not None]
        return self._newest_page_from_database(limit, before, filters, folders)

    def _newest_page_from_database(
        self, limit: int, before: tuple[int, int] | None, filters: Filters | None,
        folders: Iterable[str] | None,
    ) -> list[PhotoRecord]:
        """`newest_page` read through the date index in widening windows (the last 30 days
        before the cursor, then 4x as far back, ...): for filters without a column form."""
        p = self.schema.photo
        day = 24 * 3600 * 1000
        top = before[0] if before else now_ms()
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

    @in_use
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
            from inphotos.db.store import WriteBatch

            self.write(WriteBatch(photos=records))
        if ids:
            log.info("Filled in dates and orientations of %d photos indexed before they were kept", len(ids))
        return len(ids)

    @in_use
    def ids_newest_first(self, folders: Iterable[str] | None = None) -> list[int]:
        """Photo ids ordered by date taken (then most recently indexed), newest first.

        With `folders`, only photos of those library folders. From the columns: the order is
        sorted once after each write.
        """
        ids = self.ids_matching(Filters(), folders, newest_first=True)
        return ids
