"""Filtered and date-ordered queries of the photo store: the search filters as ObjectBox
conditions, counts and ids of matching photos, the timeline's pages, and filling in values
that rows from older versions lack. A part of `PhotoStore`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from inphotos.db.entities import ORIENTATION_CODES, Schema
from inphotos.db.guard import any_of, in_use, now_ms
from inphotos.db.obx import encode_path
from inphotos.records import Filters, PhotoRecord

if TYPE_CHECKING:
    from inphotos.db.store import WriteBatch

log = logging.getLogger(__name__)


class FilterQueries:
    """Queries by filters and by date; mixed into `PhotoStore`."""

    schema: Schema
    _photos: Any

    if TYPE_CHECKING:
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

    @in_use
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

    @in_use
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

    @in_use
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
