"""Near-duplicate pairs in the photo store: reading them all, replacing those of some photos,
and dropping those of removed photos (in the removal's own transaction, so a pair never names
a photo that is gone). A part of `PhotoStore`; what the pairs mean is core/duplicates.py."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from inphotos.db.entities import Schema
from inphotos.db.guard import in_use
from inphotos.db.obx import WriteTx

log = logging.getLogger(__name__)

#: Ids per `one_of` condition (a removal of a whole folder can name many thousands).
_ONE_OF_CHUNK = 2000


@dataclass(frozen=True)
class LinkArrays:
    """Many pairs as columns."""

    a: np.ndarray
    b: np.ndarray
    distance: np.ndarray
    exact: np.ndarray

    @classmethod
    def of(cls, links: Iterable[Link]) -> LinkArrays:
        rows = list(links)
        return cls(np.array([lk.a for lk in rows], np.int64), np.array([lk.b for lk in rows], np.int64),
                   np.array([lk.distance for lk in rows], np.float32),
                   np.array([lk.exact for lk in rows], np.bool_))


@dataclass(frozen=True)
class Link:
    """Two photos whose vectors are `distance` apart (cosine); `exact`: the same bytes."""

    a: int
    b: int
    distance: float
    exact: bool = False


class LinkQueries:
    """Reads and writes of duplicate pairs; mixed into `PhotoStore`."""

    schema: Schema
    _store: Any
    _links: Any
    _photos: Any

    if TYPE_CHECKING:
        def _check_lock(self) -> None: ...

    def _link_objects(self, max_distance: float | None) -> list[Any]:
        """The stored pair objects, within `max_distance` when given."""
        if max_distance is None:
            return list(self._links.get_all())
        q = self._links.query(self.schema.link.distance.less_or_equal(float(max_distance))).build()
        try:
            return list(q.find())
        finally:
            q.close()

    @in_use
    def links(self, max_distance: float | None = None) -> list[Link]:
        """Every stored pair (within `max_distance` when given)."""
        objs = self._link_objects(max_distance)
        return [Link(int(o.a), int(o.b), float(o.distance), bool(o.exact)) for o in objs]

    @in_use
    def ids_with_fingerprint(self, fingerprint: str) -> list[int]:
        """Photos whose files have this content fingerprint (exact copies of each other)."""
        if not fingerprint:
            return []
        q = self._photos.query(self.schema.photo.fingerprint.equals(fingerprint)).build()
        try:
            return [int(i) for i in q.find_ids()]
        finally:
            q.close()

    @in_use
    def last_photo_id(self) -> int:
        """The highest photo id (0 when there are none): ids only grow."""
        q = self._photos.query().build()
        try:
            ids = q.find_ids()
            return int(max(ids)) if len(ids) else 0
        finally:
            q.close()

    @in_use
    def ids_between(self, first: int, last: int, limit: int) -> list[int]:
        """Up to `limit` photo ids from `first` to `last` (inclusive), ascending."""
        q = self._photos.query(self.schema.photo.id.between(first, last)).build()
        try:
            q.limit(limit)  # ids come in ascending order, so these are the first ones
            return sorted(int(i) for i in q.find_ids())
        finally:
            q.close()

    @in_use
    def link_arrays(self, max_distance: float | None = None) -> LinkArrays:
        """`links()` as arrays (a, b, distance, exact): what reading groups at scale needs
        (a million-photo library holds tens of thousands of pairs)."""
        objs = self._link_objects(max_distance)
        n = len(objs)
        return LinkArrays(
            np.fromiter((o.a for o in objs), np.int64, n),
            np.fromiter((o.b for o in objs), np.int64, n),
            np.fromiter((o.distance for o in objs), np.float32, n),
            np.fromiter((o.exact for o in objs), np.bool_, n),
        )

    @in_use
    def link_count(self) -> int:
        return int(self._links.count())

    @in_use
    def replace_links(self, photo_ids: Sequence[int], links: Iterable[Link]) -> None:
        """Forget every pair that names one of `photo_ids`, then store `links`: one transaction."""
        self._check_lock()
        with WriteTx(self._store):
            self._put_links(photo_ids, links)

    def _put_links(self, photo_ids: Sequence[int], links: Iterable[Link]) -> None:
        """Inside a write transaction: `replace_links`."""
        entities = [
            self.schema.link(a=min(lk.a, lk.b), b=max(lk.a, lk.b), distance=lk.distance, exact=lk.exact)
            for lk in links
        ]
        self._drop_links_of(photo_ids)
        if len(entities) == 1:
            self._links.put(entities[0])
        elif entities:
            self._links.put(*entities)

    def _drop_links_of(self, photo_ids: Sequence[int]) -> int:
        """Inside a write transaction: remove the pairs naming any of `photo_ids`."""
        link = self.schema.link
        removed = 0
        ids = sorted({int(i) for i in photo_ids if i})
        for start in range(0, len(ids), _ONE_OF_CHUNK):
            part = ids[start : start + _ONE_OF_CHUNK]
            q = self._links.query(link.a.one_of(part).or_(link.b.one_of(part))).build()
            try:
                removed += int(q.remove())
            finally:
                q.close()
        return removed
