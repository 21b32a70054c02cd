"""Duplicate photos: exact copies and near-duplicates, kept up to date while indexing.

The store keeps pairs of photos (db/store_links.py): two photos are a pair when their vectors
lie within `CAPTURE_DISTANCE` of each other (cosine), or when their files have the same
content fingerprint (an exact copy; its pair is marked `exact`). The groups are the connected
parts of the pairs within the chosen threshold, read when asked for (`find_groups`).

Pairs are found as photos are written: each asks the vector index for its few nearest
neighbours (`link_photos`, called by the indexer after every batch it writes), so there is
never a pass over all pairs of photos. A removed photo loses its pairs in the same
transaction (the store does that); a moved one keeps them (same vector, same row); an edited
one is embedded again and asks again. A library indexed before pairs were kept gets them in
the background, after its index runs (`link_backlog`), resuming where it stopped.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence

import numpy as np

from inphotos.core.control import Control
from inphotos.db.store import Link, LinkArrays, PhotoStore
from inphotos.records import DuplicateGroup, PhotoRecord

log = logging.getLogger(__name__)

#: Groups form below this cosine distance unless the caller asks for another. Immich uses
#: 0.01 with CLIP; the figures behind this choice are in docs/benchmarks.md ("Duplicates").
DEFAULT_THRESHOLD = 0.01
#: Pairs are kept up to this distance, so a threshold up to it needs no new neighbour queries.
CAPTURE_DISTANCE = 0.05
#: Nearest neighbours asked for per photo: a burst of more look-alikes than this still forms
#: one group, through the pairs of its members.
NEIGHBOURS = 8
#: Photos per transaction when the pairs of an older library are found in the background.
BACKLOG_CHUNK = 256
#: The record file's key for the background pass: {"upto": id, "end": id}, or "done".
BACKLOG_KEY = "duplicate_pairs"

#: Formats cameras and phones write; a copy in another format was most likely converted.
ORIGINAL_FORMATS = frozenset({
    ".jpg", ".jpeg", ".heic", ".heif", ".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2",
    ".raf", ".tif", ".tiff",
})


def check_threshold(threshold: float) -> float:
    """`threshold` when pairs are kept that far apart, else a ValueError saying the range."""
    if not 0 <= threshold <= CAPTURE_DISTANCE:
        raise ValueError(
            f"the threshold must be between 0 and {CAPTURE_DISTANCE} (the index keeps pairs of "
            f"photos up to that cosine distance); the default is {DEFAULT_THRESHOLD}"
        )
    return threshold


# ------------------------------------------------------------------ finding pairs


def pairs_of(store: PhotoStore, records: Sequence[PhotoRecord]) -> list[Link]:
    """The pairs of each of `records` (written, with embeddings) with the photos near it."""
    out: dict[tuple[int, int], Link] = {}
    for r in records:
        if not r.id or r.embedding is None:
            continue
        exact = set(store.ids_with_fingerprint(r.fingerprint)) if ":" in r.fingerprint else set()
        exact.discard(r.id)
        for other in exact:
            key = (min(r.id, other), max(r.id, other))
            out[key] = Link(key[0], key[1], 0.0, True)
        for other, distance in store.nearest(r.embedding, NEIGHBOURS + 1):
            if other == r.id or distance > CAPTURE_DISTANCE or other in exact:
                continue
            key = (min(r.id, other), max(r.id, other))
            if key not in out:
                out[key] = Link(key[0], key[1], max(0.0, distance), False)
    return list(out.values())


def link_photos(store: PhotoStore, records: Sequence[PhotoRecord]) -> int:
    """Find the pairs of `records` again (new or changed photos) and store them in one
    transaction, replacing their old pairs. On the writer thread; returns the pairs stored."""
    records = [r for r in records if r.id and r.embedding is not None]
    if not records:
        return 0
    links = pairs_of(store, records)
    store.replace_links([r.id for r in records], links)
    return len(links)


def start_backlog(store: PhotoStore) -> None:
    """Note whether this library still needs its pairs found (it was indexed before they were
    kept): the photos there now are the backlog; the ones indexed from now on link themselves."""
    if BACKLOG_KEY in store.meta:
        return
    last = store.last_photo_id()
    store.set_meta(**{BACKLOG_KEY: {"upto": 0, "end": last} if last else "done"})


def backlog_left(store: PhotoStore) -> bool:
    state = store.meta.get(BACKLOG_KEY)
    return isinstance(state, dict)


def link_backlog(store: PhotoStore, control: Control | None = None) -> int:
    """Find the pairs of the backlog's photos, a chunk per transaction, saving the position
    after each; a cancel (between chunks) leaves the rest for the next run. Returns photos done."""
    state = store.meta.get(BACKLOG_KEY)
    if not isinstance(state, dict):
        return 0
    upto, end = int(state.get("upto", 0)), int(state.get("end", 0))
    done = 0
    while upto < end:
        if control is not None:
            control.checkpoint()
        ids = store.ids_between(upto + 1, end, BACKLOG_CHUNK)
        if not ids:
            break
        link_photos(store, [r for r in store.get_photos(ids, with_embedding=True) if r])
        upto = ids[-1]
        done += len(ids)
        store.set_meta(**{BACKLOG_KEY: {"upto": upto, "end": end}})
    store.set_meta(**{BACKLOG_KEY: "done"})
    if done:
        log.info("Found the duplicate pairs of %d photos indexed before they were kept", done)
    return done


# ------------------------------------------------------------------ reading groups


def group_ids(links: Iterable[Link] | LinkArrays, threshold: float = DEFAULT_THRESHOLD,
              exact_only: bool = False) -> list[list[int]]:
    """The connected parts of the pairs within `threshold` (exact pairs only: `exact_only`),
    largest first (then by smallest id); each part's ids ascending.

    Vectorised (labels spread along the pairs, with pointer jumping, until they settle): a
    million-photo library's tens of thousands of pairs take milliseconds, not a Python loop.
    """
    arrays = links if isinstance(links, LinkArrays) else LinkArrays.of(links)
    keep = arrays.exact if exact_only else (arrays.exact | (arrays.distance <= threshold))
    a, b = arrays.a[keep], arrays.b[keep]
    if not len(a):
        return []
    ids, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    ea, eb = inverse[: len(a)], inverse[len(a) :]
    label = np.arange(len(ids))
    while True:
        low = np.minimum(label[ea], label[eb])
        new = label.copy()
        np.minimum.at(new, ea, low)
        np.minimum.at(new, eb, low)
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    order = np.lexsort((ids, label))  # by part, then id: each part's ids ascending
    label, members = label[order], ids[order]
    starts = np.flatnonzero(np.r_[True, label[1:] != label[:-1]])
    sizes = np.diff(np.r_[starts, len(label)])
    # Largest first, then by the part's smallest id (its first member).
    rank = np.lexsort((members[starts], -sizes))
    return [members[starts[i] : starts[i] + sizes[i]].tolist() for i in rank if sizes[i] > 1]


def keeper_order(photos: Sequence[PhotoRecord]) -> tuple[list[PhotoRecord], str]:
    """`photos` with the suggested keeper first, and why it is suggested.

    The largest picture (most pixels) wins; among equals, a camera's format over a converted
    one; then the oldest (date taken, then file time); then the bigger file.
    """

    def key(p: PhotoRecord) -> tuple[int, int, int, int, int, str]:
        original = os.path.splitext(p.path)[1].lower() in ORIGINAL_FORMATS
        return (-p.width * p.height, 0 if original else 1, p.taken_ms, p.mtime_ns, -p.size, p.path)

    ordered = sorted(photos, key=key)
    best = ordered[0]
    others = ordered[1:]
    if not others:
        return ordered, ""
    if any(p.width * p.height < best.width * best.height for p in others):
        reason = f"largest ({best.width}×{best.height})"
    elif any(os.path.splitext(p.path)[1].lower() not in ORIGINAL_FORMATS for p in others) and \
            os.path.splitext(best.path)[1].lower() in ORIGINAL_FORMATS:
        reason = f"original format ({file_type(best.path)})"
    elif any((p.taken_ms, p.mtime_ns) > (best.taken_ms, best.mtime_ns) for p in others):
        reason = "oldest"
    elif any(p.size < best.size for p in others):
        reason = "biggest file"
    else:
        reason = "first by name"
    return ordered, reason


def file_type(path: str) -> str:
    """What a person calls the file's type: its extension in capitals ("JPG", "HEIC")."""
    return os.path.splitext(path)[1].lstrip(".").upper() or "?"


def find_groups(store: PhotoStore, threshold: float = DEFAULT_THRESHOLD, exact_only: bool = False,
                limit: int | None = None, online: set[str] | None = None,
                ids: list[list[int]] | None = None) -> list[DuplicateGroup]:
    """The duplicate groups, largest first (the first `limit`), each keeper first.

    Only the groups' own photos are read (only those of the first `limit` groups), so this is
    quick however big the library is. With `online` (library folders), photos in other
    (offline) folders are left out. `ids`: the groups' ids, when the caller has them already.
    """
    check_threshold(threshold)
    out: list[DuplicateGroup] = []
    if ids is None:
        ids = group_ids(store.link_arrays(None if exact_only else threshold), threshold, exact_only)
    for group in ids:
        records = [r for r in store.get_photos(group) if r is not None]
        if online is not None:
            records = [r for r in records if r.folder in online]
        if len(records) < 2:
            continue
        ordered, reason = keeper_order(records)
        first = ordered[0].fingerprint
        exact = ":" in first and all(r.fingerprint == first for r in ordered)
        out.append(DuplicateGroup(ordered, exact, reason))
        if limit is not None and len(out) >= limit:
            break
    return out


def stack_map(store: PhotoStore, threshold: float = DEFAULT_THRESHOLD) -> dict[int, list[int]]:
    """Each photo in a group -> its group's ids (ascending): what the grid stacks."""
    out: dict[int, list[int]] = {}
    for ids in group_ids(store.link_arrays(threshold), threshold):
        for i in ids:
            out[i] = ids
    return out
