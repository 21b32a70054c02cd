"""Everyday things photos are sorted into (the Explore page) and a photo's tags.

The vocabulary is `inphotos/data/categories.txt`: a few hundred concepts, each a name people
read and a prompt for the model. A category's direction follows CLIP's published zero-shot
practice: its prompt is put into several templates ("a photo of {}.", ...), each encoded, the
vectors averaged and normalised.

Membership is the search's cut-off (core/relevance.py), not a constant: a photo belongs to a
category when its score stands out from that category's own background (the library's
background sample) as far as a match of a search must, `z >= z_cut` with the library's
calibration. Tags are the categories a photo belongs to, by the search's strength.

Stored in `categories.npz` in the model's database folder (so a model has its own, and
another model or another vocabulary recomputes them): the category vectors, their scales,
and per category the photos counted and the best few (its cover). Who writes it: the
library's indexing only, through `CategoryIndex.save` (fsutil.atomic_write), which runs on
the app's writer thread (workers/indexing.py: index runs and the "categories" write job) or
in `inphotos index` on the command line. Readers use the copy in memory, under a lock.

Kept current without reading the library again: the indexer reports each batch it writes
(`before_write`/`after_write`): one matrix product per batch adds new photos, and removed or
replaced photos are taken out with their old vectors. The state counts the photos it has
seen; when that is not the store's count (a run killed before the save, a folder removed)
it is recomputed from the stored vectors, in chunks.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import threading
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
from threadpoolctl import ThreadpoolController

from inphotos.core.relevance import Calibration, QueryScale, background
from inphotos.fsutil import atomic_write

if TYPE_CHECKING:
    from inphotos.core.protocols import TextEncoder
    from inphotos.db.store import PhotoStore, WriteBatch

log = logging.getLogger(__name__)

VOCABULARY = Path(__file__).resolve().parent.parent / "data" / "categories.txt"
FILE_NAME = "categories.npz"
#: CLIP's zero-shot practice: one concept in several phrasings, averaged. These suit
#: everyday photos (the paper's ImageNet set also has "a sculpture of", "a tattoo of", ...).
TEMPLATES = (
    "a photo of {}.", "a good photo of {}.", "a close-up photo of {}.", "a bright photo of {}.",
    "a dark photo of {}.", "a cropped photo of {}.", "a blurry photo of {}.", "a picture of {}.",
)
#: A category shown on the Explore page has at least this many photos.
MIN_PHOTOS = 3
#: The best photos kept per category: the first is its cover; the others stand in for it
#: when it is removed.
COVERS = 4
#: While the library is this small, a run that grows it by a quarter recomputes at once
#: (a few seconds at most); above it, once at the end of the run.
REBUILD_DURING_RUN = 10_000
_FORMAT = 1
#: Batches up to this many photos are scored on one BLAS thread (see `_one_blas_thread`).
SMALL_BATCH = 256


@dataclass(frozen=True)
class Category:
    key: str  # stable name in files and requests ("dogs")
    name: str  # what people read ("Dogs")
    prompt: str  # what the model is told ("a dog")


@dataclass(frozen=True)
class Tile:
    """A category on the Explore page: how many photos, and the id of its cover."""

    category: Category
    count: int
    cover_id: int


@dataclass(frozen=True)
class Tag:
    """A category a photo belongs to; `strength` as a search's (0.5 at the cut-off)."""

    category: Category
    strength: float
    score: float


def load_vocabulary(path: Path = VOCABULARY) -> tuple[Category, ...]:
    """The categories of a vocabulary file (`name | prompt` a line; `#` comments)."""
    out: dict[str, Category] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, prompt = (part.strip() for part in line.partition("|"))
        if not sep or not name or not prompt:
            raise ValueError(f"{path}:{n}: expected 'name | prompt', got {line!r}")
        key = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        if key in out:
            raise ValueError(f"{path}:{n}: {name!r} is listed twice")
        out[key] = Category(key, name, prompt)
    return tuple(out.values())


def encode(encoder: TextEncoder, vocabulary: Sequence[Category], chunk: int = 256) -> np.ndarray:
    """Each category's direction: its prompt in every template, encoded, averaged, unit."""
    texts = [t.format(c.prompt) for c in vocabulary for t in TEMPLATES]
    parts = [np.asarray(encoder.encode_text(texts[i : i + chunk]), np.float32)
             for i in range(0, len(texts), chunk)]
    vecs = np.concatenate(parts).reshape(len(vocabulary), len(TEMPLATES), -1)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=2, keepdims=True), 1e-12)
    mean = vecs.mean(axis=1)
    return (mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)).astype(np.float32)


@dataclass(frozen=True)
class Scales:
    """Each category's direction and its cut-off against the library's background."""

    vectors: np.ndarray  # (categories, dims), unit rows
    median: np.ndarray  # (categories,)
    spread: np.ndarray  # (categories,)
    z_cut: float
    photos: int  # library size when the calibration was measured

    @classmethod
    def measure(cls, vectors: np.ndarray, sample: np.ndarray, calibration: Calibration) -> Scales:
        """The relevance rule's background of every category over `sample` (photo rows)."""
        scores = sample @ vectors.T if len(sample) else np.zeros((0, len(vectors)), np.float32)
        stats = [background(scores[:, c]) for c in range(len(vectors))]
        median = np.asarray([m for m, _ in stats], np.float32)
        spread = np.asarray([s for _, s in stats], np.float32)
        return cls(vectors, median, spread, calibration.z_cut, calibration.photos)

    @property
    def cutoffs(self) -> np.ndarray:
        return self.median + self.z_cut * self.spread

    def query_scale(self, index: int) -> QueryScale:
        return QueryScale(float(self.median[index]), float(self.spread[index]), self.z_cut)

    def drifted(self, photos: int) -> bool:
        """Whether the library grew or shrank by a quarter since (as the calibration's rule)."""
        return not 0.8 * self.photos <= photos <= 1.25 * self.photos


@dataclass
class _State:
    signature: str
    scales: Scales
    counts: np.ndarray  # (categories,) int64
    cover_ids: np.ndarray  # (categories, COVERS) int64, 0: none
    cover_scores: np.ndarray  # (categories, COVERS) float32, -inf: none
    photos: int  # photos counted: the store's count when the state is current


class CategoryIndex:
    """The categories of one library with one model (see the module docstring)."""

    def __init__(self, folder: Path, model_id: str,
                 vocabulary: Sequence[Category] | None = None) -> None:
        self.path = folder / FILE_NAME
        self.vocabulary = tuple(vocabulary if vocabulary is not None else load_vocabulary())
        self._by_key = {c.key: i for i, c in enumerate(self.vocabulary)}
        digest = hashlib.sha1(repr((_FORMAT, model_id, TEMPLATES,
                                    [(c.key, c.prompt) for c in self.vocabulary])).encode())
        self.signature = digest.hexdigest()
        self._lock = threading.RLock()
        self._state = self._load()
        self._dirty = False
        #: Whether anyone asked for categories in this library (then they are kept current).
        self.wanted = self._state is not None or self.path.exists()

    # ------------------------------------------------------------ reading

    def category(self, key: str) -> Category | None:
        i = self._by_key.get(key)
        return self.vocabulary[i] if i is not None else None

    def scales(self) -> Scales | None:
        with self._lock:
            return self._state.scales if self._state is not None else None

    def current(self, photos: int) -> bool:
        """Whether the counts are those of a library of `photos` photos."""
        with self._lock:
            return self._state is not None and self._state.photos == photos

    def tiles(self, min_photos: int = MIN_PHOTOS) -> list[Tile]:
        """Categories with at least `min_photos` photos, the fullest first."""
        with self._lock:
            state = self._state
            if state is None:
                return []
            order = np.argsort(-state.counts, kind="stable")
            return [Tile(self.vocabulary[i], int(state.counts[i]), int(state.cover_ids[i, 0]))
                    for i in order if state.counts[i] >= min_photos and state.cover_ids[i, 0]]

    def scale_of(self, key: str, scales: Scales | None = None) -> tuple[np.ndarray, QueryScale] | None:
        """The direction and cut-off of category `key` (None: unknown, or not computed)."""
        scales = scales or self.scales()
        i = self._by_key.get(key)
        if scales is None or i is None:
            return None
        return scales.vectors[i], scales.query_scale(i)

    def tags(self, vector: np.ndarray, scales: Scales | None = None, limit: int = 8) -> list[Tag]:
        """The categories a photo with this vector belongs to, strongest first."""
        scales = scales or self.scales()
        if scales is None:
            return []
        scores = scales.vectors @ np.asarray(vector, np.float32).reshape(-1)
        z = (scores - scales.median) / scales.spread
        hits = np.flatnonzero(z >= scales.z_cut)
        hits = hits[np.argsort(-z[hits], kind="stable")][:limit]
        return [Tag(self.vocabulary[i], float(min(1.0, 0.5 * z[i] / scales.z_cut)), float(scores[i]))
                for i in hits]

    # ------------------------------------------------------------ computing (the writer)

    def build(self, scales: Scales, chunks: Iterable[tuple[np.ndarray, np.ndarray]],
              checkpoint: Callable[[], None] = lambda: None) -> None:
        """Count every photo again: `chunks` are (ids, vectors) of the whole library."""
        n = len(self.vocabulary)
        state = _State(self.signature, scales, np.zeros(n, np.int64),
                       np.zeros((n, COVERS), np.int64), np.full((n, COVERS), -np.inf, np.float32), 0)
        for ids, vecs in chunks:
            checkpoint()
            _count(state, np.asarray(ids, np.int64), vecs, +1)
            state.photos += len(ids)
        with self._lock:
            self._state = state
            self._dirty = True
            self.wanted = True
        log.info("Categories counted over %d photos", state.photos)

    def before_write(self, store: PhotoStore, batch: WriteBatch) -> object:
        """Called by the indexer before `batch` is written: the rows it replaces or removes
        are read while they are there (only when the counts are current)."""
        if not self.wanted or not self.current(store.count()):
            return None
        old = [*batch.remove_photo_ids, *(r.id for r in batch.photos if r.id)]
        return np.asarray(old, np.int64), store.embeddings(old) if old else None

    def after_write(self, store: PhotoStore, token: object, batch: WriteBatch) -> None:
        """Called once `batch` was written (token: `before_write`'s): one product per batch."""
        if token is None:
            return
        old_ids, old_vecs = cast("tuple[np.ndarray, np.ndarray]", token)
        with self._lock:
            state = self._state
            if state is None:
                return
            if len(old_ids):
                present = np.linalg.norm(old_vecs, axis=1) > 0  # a zero row: it was not stored
                _count(state, old_ids[present], old_vecs[present], -1)
            new = [r for r in batch.photos if r.embedding is not None]
            if new:
                vecs = np.stack([np.asarray(r.embedding, np.float32) for r in new])
                _count(state, np.asarray([r.id for r in new], np.int64), vecs, +1)
            lost_cover = bool(((state.counts > 0) & (state.cover_ids[:, 0] == 0)).any())
            # A category whose every kept cover left is counted again (at the run's end).
            state.photos = -1 if lost_cover else store.count()
            self._dirty = True

    def save(self) -> None:
        """Write the state when it changed (atomically; the writer only)."""
        with self._lock:
            state = self._state
            if state is None or not self._dirty:
                return
            buf = io.BytesIO()
            s = state.scales
            np.savez(buf, signature=np.asarray(state.signature), vectors=s.vectors,
                     median=s.median, spread=s.spread,
                     numbers=np.asarray([s.z_cut, s.photos, state.photos], np.float64),
                     counts=state.counts, cover_ids=state.cover_ids, cover_scores=state.cover_scores)
            self._dirty = False
        atomic_write(self.path, buf.getvalue(), durable=False)  # derived: recomputed if lost

    def _load(self) -> _State | None:
        if not self.path.exists():
            return None
        try:
            with np.load(self.path, allow_pickle=False) as f:
                if str(f["signature"]) != self.signature:
                    log.info("Categories of another model or vocabulary in %s: recomputed", self.path)
                    return None
                z_cut, scale_photos, photos = (float(x) for x in f["numbers"])
                scales = Scales(f["vectors"], f["median"], f["spread"], z_cut, int(scale_photos))
                state = _State(self.signature, scales, f["counts"], f["cover_ids"],
                               f["cover_scores"], int(photos))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
            log.warning("Categories file %s unreadable (%s): recomputed", self.path, e)
            return None
        n = len(self.vocabulary)
        if state.counts.shape != (n,) or state.cover_ids.shape != (n, COVERS) \
                or state.scales.vectors.shape[0] != n:
            log.warning("Categories file %s does not fit the vocabulary: recomputed", self.path)
            return None
        return state


_blas: ThreadpoolController | None = None
_blas_lock = threading.Lock()


def _one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """BLAS on one thread for a small product: OpenBLAS wakes its threads for a batch's
    32 x 512 x 326 product, and on cores the model keeps busy that costs ~100 ms instead of
    0.2 (measured: bench/explore.py). Big products (counting a library) keep every thread."""
    global _blas
    with _blas_lock:
        if _blas is None:
            _blas = ThreadpoolController()
        return _blas.limit(limits=1, user_api="blas")


def _count(state: _State, ids: np.ndarray, vecs: np.ndarray, sign: int) -> None:
    """Add (+1) or take out (-1) photos: counts, and the best few photos of each category."""
    if len(ids) == 0:
        return
    if len(ids) <= SMALL_BATCH:
        with _one_blas_thread():
            scores = vecs @ state.scales.vectors.T  # (photos, categories)
    else:
        scores = vecs @ state.scales.vectors.T
    hit = scores >= state.scales.cutoffs
    state.counts += sign * hit.sum(axis=0)
    if sign < 0:
        gone = np.isin(state.cover_ids, ids)
        if gone.any():
            state.cover_ids[gone] = 0
            state.cover_scores[gone] = -np.inf
            _sort_covers(state, np.flatnonzero(gone.any(axis=1)))
        return
    touched = np.flatnonzero(hit.any(axis=0))
    if len(touched) == 0:
        return
    new_scores = np.where(hit[:, touched], scores[:, touched], -np.inf).T  # (touched, photos)
    new_ids = np.broadcast_to(ids, new_scores.shape)
    if new_scores.shape[1] > COVERS:  # a big chunk (counting a library): its best few first
        best_new = np.argpartition(-new_scores, COVERS - 1, axis=1)[:, :COVERS]
        new_scores = np.take_along_axis(new_scores, best_new, axis=1)
        new_ids = ids[best_new]
    all_scores = np.concatenate([state.cover_scores[touched], new_scores], axis=1)
    all_ids = np.concatenate([state.cover_ids[touched], new_ids], axis=1)
    best = np.argsort(-all_scores, axis=1, kind="stable")[:, :COVERS]
    state.cover_scores[touched] = np.take_along_axis(all_scores, best, axis=1)
    ids_best = np.take_along_axis(all_ids, best, axis=1)
    state.cover_ids[touched] = np.where(np.isfinite(state.cover_scores[touched]), ids_best, 0)


def _sort_covers(state: _State, rows: np.ndarray) -> None:
    order = np.argsort(-state.cover_scores[rows], axis=1, kind="stable")
    state.cover_scores[rows] = np.take_along_axis(state.cover_scores[rows], order, axis=1)
    state.cover_ids[rows] = np.take_along_axis(state.cover_ids[rows], order, axis=1)
