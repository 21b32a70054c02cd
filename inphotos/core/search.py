"""Nearest-neighbour search over the store, with paging, a minimum score and exclusions.

The HNSW index is asked for more candidates than needed (its `ef`): all of them in a small
library, which makes the ranking exact there (tests compare it with brute force), and at
least 200 in a big one, which keeps recall@10 near 0.99 at a million photos.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

import numpy as np

from inphotos.db.store import PhotoStore
from inphotos.records import Hit

log = logging.getLogger(__name__)

MIN_CANDIDATES = 200
OVERSAMPLE = 4
#: Up to this many photos the graph is searched exhaustively (exact, a few ms); above it,
#: 200+ candidates give recall@10 of 0.98-0.99 (docs/benchmarks.md).
EXHAUSTIVE_LIMIT = 3000


def nearest(
    store: PhotoStore,
    vector: np.ndarray,
    k: int = 50,
    offset: int = 0,
    min_score: float | None = None,
    exclude_ids: Collection[int] = (),
    hide_folders: Collection[str] = (),
) -> list[Hit]:
    """The photos nearest to `vector`, best first: ranks `offset` to `offset + k`."""
    if k <= 0:
        return []
    total = store.count()
    want = offset + k
    candidates = min(total, max(MIN_CANDIDATES, want * OVERSAMPLE + len(exclude_ids)))
    if total <= EXHAUSTIVE_LIMIT:
        candidates = total
    while True:
        pairs = [(i, 1.0 - d) for i, d in store.nearest(vector, candidates) if i not in exclude_ids]
        if min_score is not None:
            pairs = [(i, s) for i, s in pairs if s >= min_score]
        pairs.sort(key=lambda p: -p[1])
        if hide_folders:
            records = store.get_photos([i for i, _ in pairs])
            kept = [(r, s) for r, (_, s) in zip(records, pairs, strict=True)
                    if r is not None and r.folder not in hide_folders]
        else:
            kept = None
        n_kept = len(kept) if kept is not None else len(pairs)
        cut_by_score = min_score is not None and len(pairs) < candidates - len(exclude_ids)
        if n_kept >= want or candidates >= total or cut_by_score:
            break
        candidates = min(total, candidates * 4)
    if kept is None:
        page = pairs[offset:want]
        records = store.get_photos([i for i, _ in page])
        return [Hit(r, float(s)) for r, (_, s) in zip(records, page, strict=True) if r is not None]
    return [Hit(r, float(s)) for r, s in kept[offset:want]]


def exact_nearest(store: PhotoStore, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Brute-force top k (id, score): the reference the HNSW search is tested against."""
    ids, vecs = store.all_embeddings()
    if len(ids) == 0:
        return []
    scores = vecs @ np.asarray(vector, np.float32).reshape(-1)
    order = np.argsort(-scores, kind="stable")[:k]
    return [(int(ids[i]), float(scores[i])) for i in order]
