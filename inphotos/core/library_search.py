"""Searching a library: text with negative terms, photos like others (refined with words),
filters, the relevance cut-off, smart albums and the timeline's pages. A part of `Library`
(core/library.py), which holds the store, the model and the caches these use.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from inphotos.core.albums import Albums
from inphotos.core.imaging import DecodeError, check_regular_file, decode
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
from inphotos.errors import LibraryError
from inphotos.records import Filters, Hit, PhotoRecord, SearchRequest, SearchResult

if TYPE_CHECKING:
    from inphotos.core.protocols import Embedder, TextEncoder
    from inphotos.core.thumbs import ThumbnailCache
    from inphotos.db.store import PhotoStore
    from inphotos.ml.models import ModelSpec
    from inphotos.paths import AppPaths

log = logging.getLogger(__name__)

#: How much of a negative term's direction is taken out of the query ("beach -people").
NEGATIVE_WEIGHT = 0.5
#: Weight of the words that refine "find similar", against the photos' direction (both unit).
REFINE_WEIGHT = 1.0


class SearchMixin:
    """Every way of asking a library for photos; mixed into `Library`."""

    paths: AppPaths
    spec: ModelSpec
    store: PhotoStore
    thumbs: ThumbnailCache
    _calibration: tuple[Calibration, np.ndarray] | None
    _calibration_lock: threading.Lock

    if TYPE_CHECKING:
        @property
        def embedder(self) -> Embedder: ...
        def text_encoder(self) -> TextEncoder: ...
        def offline_folders(self) -> set[str]: ...
        def category_direction(self, key: str) -> tuple[np.ndarray, QueryScale]: ...
        def browse_ids(self, filters: Filters | None = None) -> list[int]: ...

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
        if not (request.text.strip() or request.photo_ids or request.image_path or request.category):
            return self.browse(request.filters, k, offset)
        vec, exclude = self.request_vector(request)
        scale = None
        if request.category and not (request.photo_ids or request.image_path or request.text.strip()):
            # The cut-off its Explore tile counts with: the tile and the search agree.
            scale = self.category_direction(request.category)[1]
        # A --min-score is the person's own cut-off (raw cosine): all photos at or above it.
        include_weaker = request.include_weaker or request.min_score is not None
        return search(
            self.store, vec, k, offset, scale=scale or self.query_scale(vec),
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
        elif request.category:
            vec = self.category_direction(request.category)[0]
        else:
            return self.text_vector(request.text), []
        if request.text.strip():  # "like this photo, at night"; "dogs, on the beach"
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


def _unit(vec: np.ndarray) -> np.ndarray:
    vec = np.asarray(vec, np.float32)
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else vec
