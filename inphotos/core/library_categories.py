"""A library's categories: the Explore page's tiles, a photo's tags, a category as a search.
A part of `Library` (core/library.py); what categories are and how they are kept:
core/categories.py.

Categories are computed once someone asks for them in a library (the Explore page, a
preview's tags): `want_categories`. From then on each index run keeps them current and saves
them; `refresh_categories` (the writer thread only) recomputes them when they are missing,
out of date, or the library grew or shrank by a quarter (its cut-offs move with its size).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from inphotos.core.categories import (
    MIN_PHOTOS,
    REBUILD_DURING_RUN,
    CategoryIndex,
    Scales,
    Tag,
    Tile,
    encode,
)
from inphotos.core.control import Cancelled, Control
from inphotos.errors import InPhotosError, LibraryError
from inphotos.records import Filters, PhotoRecord

if TYPE_CHECKING:
    from pathlib import Path

    from inphotos.core.protocols import TextEncoder
    from inphotos.core.relevance import Calibration, QueryScale
    from inphotos.db.store import PhotoStore
    from inphotos.ml.models import ModelSpec

log = logging.getLogger(__name__)

READ_CHUNK = 2000


@dataclass(frozen=True)
class ExploreTiles:
    """The Explore page's content. `state`: "ready"; "computing" (asked for, not counted
    yet); "empty" (no photos in the library)."""

    state: str
    tiles: list[tuple[Tile, PhotoRecord]]
    photos: int


class CategoriesMixin:
    """Categories of the library's photos; mixed into `Library`."""

    spec: ModelSpec
    store: PhotoStore
    db_dir: Path
    _weights: str
    _categories: CategoryIndex | None
    _categories_lock: threading.Lock

    if TYPE_CHECKING:
        def text_encoder(self) -> TextEncoder: ...
        def calibration(self) -> tuple[Calibration, np.ndarray]: ...
        def offline_folders(self) -> set[str]: ...
        def image_vector(self, path: str | os.PathLike[str]) -> np.ndarray: ...

    @property
    def categories(self) -> CategoryIndex:
        with self._categories_lock:
            if self._categories is None:
                self._categories = CategoryIndex(self.db_dir, f"{self.spec.key}|{self._weights}")
            return self._categories

    def want_categories(self) -> bool:
        """Ask for categories from now on; True when they are already current."""
        cats = self.categories
        cats.wanted = True
        scales = cats.scales()
        n = self.store.count()
        return cats.current(n) and scales is not None and not scales.drifted(n)

    def category_scales(self) -> Scales:
        """The categories' directions and cut-offs: the stored ones, else measured now (not
        saved: a reader must not write)."""
        return self.categories.scales() or self._measure_scales()

    def _measure_scales(self) -> Scales:
        calibration, sample = self.calibration()
        old = self.categories.scales()
        vectors = old.vectors if old is not None else encode(self.text_encoder(), self.categories.vocabulary)
        return Scales.measure(vectors, sample, calibration)

    def refresh_categories(self, control: Control | None = None, during_run: bool = False) -> bool:
        """Bring the categories up to date if they are wanted (the writer thread only); True
        when they were counted again. During an index run (`during_run`) only a small
        library is counted again; a big one waits for the run's end."""
        cats = self.categories
        if not cats.wanted:
            return False
        n = self.store.count()
        scales = cats.scales()
        if cats.current(n) and scales is not None and not scales.drifted(n):
            if not during_run:
                cats.save()
            return False
        if during_run and n > REBUILD_DURING_RUN:
            return False
        try:
            cats.build(self._measure_scales(), self._vector_chunks(),
                       control.checkpoint if control is not None else lambda: None)
            cats.save()
        except Cancelled:
            return False
        except (InPhotosError, OSError) as e:  # no model, a full disk: counted another time
            log.warning("Categories not computed: %s", e)
            return False
        return True

    def _vector_chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        ids = self.store.ids_matching(Filters())
        for i in range(0, len(ids), READ_CHUNK):
            chunk = ids[i : i + READ_CHUNK]
            yield np.asarray(chunk, np.int64), self.store.embeddings(chunk)

    def explore(self, min_photos: int = MIN_PHOTOS) -> ExploreTiles:
        """The Explore page: categories with enough photos, each with its cover photo."""
        n = self.store.count()
        if n == 0:
            return ExploreTiles("empty", [], 0)
        cats = self.categories
        tiles = cats.tiles(min_photos)
        if not tiles and not cats.current(n):
            return ExploreTiles("computing", [], n)
        covers = self.store.get_photos([t.cover_id for t in tiles])
        offline = self.offline_folders()
        shown = [(t, r) for t, r in zip(tiles, covers, strict=True)
                 if r is not None and r.folder not in offline]
        return ExploreTiles("ready", shown, n)

    def category_direction(self, key: str) -> tuple[np.ndarray, QueryScale]:
        """A category as a search: its direction and the cut-off its tile counts with."""
        cats = self.categories
        if cats.category(key) is None:
            raise LibraryError(f"No such category: {key}")
        found = cats.scale_of(key, self.category_scales())
        assert found is not None
        return found

    def tags(self, photo: int | str | os.PathLike[str], limit: int = 8) -> list[Tag]:
        """The categories a photo belongs to, strongest first: a library photo (its id or
        path) or any image file (then the model embeds it)."""
        if isinstance(photo, int):
            record = self.store.get_photo(photo, with_embedding=True)
            if record is None:
                raise LibraryError("That photo is no longer in the library")
            vector = record.embedding
        else:
            path = os.path.abspath(os.fspath(photo))
            record = self.store.photo_by_path(path, with_embedding=True)
            vector = record.embedding if record is not None else self.image_vector(path)
        return self.categories.tags(np.asarray(vector, np.float32), self.category_scales(), limit)
