"""Nearest-neighbour search over the store, with paging, a minimum score and exclusions.

The HNSW index is asked for more candidates than needed (its `ef`): all of them in a small
library, which makes the ranking exact there (tests compare it with brute force), and at
least 200 in a big one, which keeps recall@10 near 0.99 at a million photos.

`search()` adds filters, the relevance cut-off (core/relevance.py) and the order by date.
A filter that keeps up to COLUMNS_EXACT_LIMIT photos is searched exactly over their vectors
held in memory (db/columns.py: int8, the best scored again from the stored vectors), where
the graph would need most of the library as candidates. A wider filter goes through the graph
with the filter as a condition of the database query: ObjectBox applies it to the graph's
candidates, so a filter that keeps a fraction f of the library is given about 1/f times more.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Collection, Sequence

import numpy as np

from inphotos.core.relevance import QueryScale
from inphotos.db.store import PhotoStore
from inphotos.records import Filters, Hit, PhotoRecord, SearchResult

log = logging.getLogger(__name__)

MIN_CANDIDATES = 200
OVERSAMPLE = 4
FILTER_OVERSAMPLE = 8
#: Up to this many photos the graph is searched exhaustively (exact, a few ms); above it,
#: 200+ candidates give recall@10 of 0.98-0.99 (docs/benchmarks.md).
EXHAUSTIVE_LIMIT = 3000
#: Where the in-memory columns cannot answer a filter (a file type with a dot in it), one
#: keeping at most this many photos is searched exactly over their stored vectors; above
#: it, the graph.
EXACT_FILTERED_LIMIT = 3000
#: A filter keeping at most this many photos is searched exactly over the in-memory vectors
#: (~0.3 ms per 1,000 photos on a quiet core); above it (10 % of a million), the graph.
COLUMNS_EXACT_LIMIT = 100_000
#: How many ranked photos a cut-off search counts at most; beyond, counts show as "N+".
MAX_POOL = 20_000
ANY = Filters()


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
        hits = [Hit(r, float(s)) for r, (_, s) in zip(records, page, strict=True) if r is not None]
    else:
        hits = [Hit(r, float(s)) for r, s in kept[offset:want]]
    return with_frame_times(store, vector, hits)


def with_frame_times(store: PhotoStore, vector: np.ndarray, hits: list[Hit]) -> list[Hit]:
    """The hits, each video's with the time of its frame nearest to `vector` (where the
    preview starts playing)."""
    videos = [h.photo.id for h in hits if h.photo.is_video]
    if not videos:
        return hits
    best = store.best_frames(videos, vector)
    return [dataclasses.replace(h, frame_ms=best[h.photo.id][0]) if h.photo.id in best else h
            for h in hits]


def exact_nearest(store: PhotoStore, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Brute-force top k (id, score): the reference the HNSW search is tested against."""
    ids, vecs = store.all_embeddings()
    if len(ids) == 0:
        return []
    scores = vecs @ np.asarray(vector, np.float32).reshape(-1)
    order = np.argsort(-scores, kind="stable")[:k]
    return [(int(ids[i]), float(scores[i])) for i in order]


def ranked(
    store: PhotoStore,
    vector: np.ndarray,
    count: int,
    filters: Filters = ANY,
    folders: Sequence[str] | None = None,
    matching: int | None = None,
    matching_ids: list[int] | None = None,
    deeper: bool = False,
) -> list[tuple[int, float]]:
    """The `count` photos nearest to `vector` among those passing `filters` (and of `folders`
    only, when given): (id, cosine similarity), best first. `matching`: how many pass, and
    `matching_ids`: which, if known (a small filtered set is then searched without a query).

    `deeper`: the ranking goes on below `count` for as far as the graph's candidates reach
    (all of them are returned), and `count` is not oversampled: a cut-off that counts the
    matches needs their number and dates more than the exact order of the last ones, and a
    graph search costs about as much as its candidates.
    """
    total = store.count()
    narrowed = bool(filters) or folders is not None
    if matching_ids is not None:
        matching = len(matching_ids)
    if matching is None:
        matching = store.count_matching(filters, folders) if narrowed else total
    if count <= 0 or matching == 0:
        return []
    count = min(count, matching)
    if narrowed:
        exact = store.nearest_matching(vector, count, filters, folders, limit=COLUMNS_EXACT_LIMIT)
        if exact is not None:
            return by_best_frames(store, vector, exact, count, filters, folders)
    if narrowed and matching <= EXACT_FILTERED_LIMIT:
        ids = matching_ids if matching_ids is not None else store.ids_matching(filters, folders)
        scores = store.embeddings(ids) @ np.asarray(vector, np.float32).reshape(-1)
        frames = store.best_frames(ids, vector)  # a video scores as its best frame
        if frames:
            for n, i in enumerate(ids):
                if i in frames:
                    scores[n] = max(scores[n], frames[i][1])
        top = np.argsort(-scores, kind="stable")[:count]
        return [(ids[i], float(scores[i])) for i in top]
    # The graph's candidates are drawn from the whole library: about total/matching of them
    # hold one photo that passes the filter; 8x that keeps recall@10 near 0.98 at 5 %.
    if narrowed:
        candidates = max(MIN_CANDIDATES, math.ceil(count * FILTER_OVERSAMPLE * total / matching))
    else:
        candidates = max(MIN_CANDIDATES, count * (1 if deeper else OVERSAMPLE))
    if total <= EXHAUSTIVE_LIMIT:
        candidates = total
    while True:
        candidates = min(candidates, total)
        pairs = [(i, 1.0 - d) for i, d in store.nearest(vector, candidates, filters if narrowed else None,
                                                           folders)]
        if len(pairs) >= count or candidates >= total:
            break
        candidates *= 4
    pairs.sort(key=lambda p: -p[1])
    return pairs if deeper else pairs[:count]


def by_best_frames(
    store: PhotoStore,
    vector: np.ndarray,
    pairs: list[tuple[int, float]],
    count: int,
    filters: Filters,
    folders: Sequence[str] | None,
) -> list[tuple[int, float]]:
    """`pairs` ranked by the photos' own vectors, with every video that passes the filter
    scored as its best frame instead (the in-memory columns hold one vector per row: a video's
    first frame). Videos are few beside photos, so all that pass are looked at."""
    if store.frame_count() == 0 or (filters.types and "video" not in filters.types):
        return pairs
    videos = store.ids_matching(dataclasses.replace(filters, types=("video",)), folders)
    frames = store.best_frames(videos, vector)
    if not frames:
        return pairs
    scores = dict(pairs)
    for i, (_, score) in frames.items():
        scores[i] = max(scores.get(i, -1.0), score)
    return sorted(scores.items(), key=lambda p: -p[1])[:count]


def search(
    store: PhotoStore,
    vector: np.ndarray,
    k: int = 50,
    offset: int = 0,
    *,
    scale: QueryScale | None = None,
    include_weaker: bool = False,
    sort: str = "relevance",
    min_score: float | None = None,
    filters: Filters = ANY,
    folders: Sequence[str] | None = None,
    exclude_ids: Collection[int] = (),
) -> SearchResult:
    """Ranks `offset` to `offset + k` of a query, with its counts.

    Args:
        scale: the query's cut-off (core/relevance.py); None ranks everything as matches.
        include_weaker: list the photos below the cut-off too (after the matches).
        sort: "relevance" (best first) or "date" (the listed photos, newest first).
        min_score: only photos whose raw cosine is at least this.
        folders: only photos of these library folders (the online ones); None: all.
    """
    exclude = set(exclude_ids)
    narrowed = bool(filters) or folders is not None
    # A filter is evaluated once: its ids when few (one scan, reused), else its count.
    matching_ids = None
    matching = store.count_matching(filters, folders) if narrowed else store.count()
    if narrowed and matching <= EXACT_FILTERED_LIMIT:
        matching_ids = store.ids_matching(filters, folders)
        matching = len(matching_ids)
    # The lowest score that is listed or counted; below it the ranking can stop.
    floor = min_score
    if scale is not None and not include_weaker:
        floor = max(floor if floor is not None else -2.0, scale.weak)
    want = offset + k
    # A cut-off usually ends within 4 pages: unfiltered, the graph is asked for 4 pages' worth
    # of candidates, oversampled as ranked() would (the first page's order is as good as a
    # plain ranking's), and all of them are kept; each deeper round asks for 4x as many.
    # Filtered, each page costs 1/fraction more candidates: start with one (ranked() oversamples).
    deeper = floor is not None and not narrowed
    pool = max(want * (4 * OVERSAMPLE if deeper else 1), 10) + len(exclude)
    # Through the graph, a deeper round costs about as much as its candidates (~0.1 s for
    # 3,200 at a million photos): it is paid to find every match, not to count weaker ones.
    # Once the matches are all in, the weaker ones are counted as far as the graph went
    # ("2,000+ weaker"); from the in-memory columns or a small library, counting is cheap.
    graph = not narrowed or matching > COLUMNS_EXACT_LIMIT
    weaker_more = False
    while True:
        pairs = ranked(store, vector, pool, filters, folders, matching, matching_ids, deeper=deeper)
        exhausted = len(pairs) < pool
        pairs = [(i, s) for i, s in pairs if i not in exclude]
        if min_score is not None:
            pairs = [(i, s) for i, s in pairs if s >= min_score]
        if exhausted or pool >= MAX_POOL:
            break
        if floor is not None and pairs and pairs[-1][1] < floor:
            break
        if floor is None and sort == "relevance" and len(pairs) >= want:
            break
        if graph and scale is not None and not include_weaker and pairs and pairs[-1][1] < scale.cutoff:
            weaker_more = True  # the last one ranked is weaker: there may be more below it
            break
        pool = min(pool * 4, MAX_POOL)
    more = not (exhausted or weaker_more) and (floor is None or (bool(pairs) and pairs[-1][1] >= floor))
    if scale is None:  # a plain ranking: everything (above min_score) counts as listed
        listed, weaker = pairs, 0
        everything = max(len(pairs), matching - len(exclude))
        matched = len(pairs) if exhausted or min_score is not None else everything
        more = more and min_score is not None
    else:
        matches = [(i, s) for i, s in pairs if s >= scale.cutoff]
        matched = len(matches)
        weaker = sum(1 for _, s in pairs if scale.weak <= s < scale.cutoff)
        listed = pairs if include_weaker else matches
    if sort == "date":  # the listed photos by their dates (the columns'), then the page's records
        taken = store.taken_of([i for i, _ in listed])
        by_date = sorted(zip(taken, listed, strict=True), key=lambda t: (t[0], t[1][0]), reverse=True)
        page = [pair for _, pair in by_date[offset:want]]
        records: list[PhotoRecord | None] = store.get_photos([i for i, _ in page])
    else:
        page = listed[offset:want]
        records = store.get_photos([i for i, _ in page])
    hits = [
        Hit(r, s, scale.strength(s) if scale else -1.0, scale is None or s >= scale.cutoff)
        for r, (_, s) in zip(records, page, strict=True) if r is not None
    ]
    hits = with_frame_times(store, vector, hits)
    return SearchResult(hits, matched, weaker, scale.cutoff if scale else None, more, matching,
                        weaker_more=weaker_more)
