"""The photo columns filters and dates need, and compact vectors, held in memory beside the
database: what makes filtered and date-ordered search fast in a big library.

ObjectBox evaluates a filter by reading rows (a photo's row holds its 2 KB vector, so ~1.5 us
each even for one property) and objectbox-python reads a vector in ~35 us; at a million photos
a filtered search read seconds of rows. Here each photo is one entry of numpy arrays, sorted
by id: date taken, library folder, parent folder, file type, orientation (as stored, so the
answer is the database's own), and its vector as int8 with a per-photo scale (512 bytes plus
4). About 540 bytes a photo: ~540 MB at a million photos, ~27 MB of it the columns.

The arrays are read from the database on first use (the vectors only when a filtered search
first needs them) and then kept in step by the store's own writes, applied right after each
commit (db/store.py: the one writer's transactions), so a photo added, removed, moved or
re-dated is found or not found as soon as its write returns. Removed photos are marked dead
and swept out when they are a quarter of the arrays.

Reading the columns of a million photos from the database takes seconds, so the store saves
them (not the vectors: ~35 MB at a million) in a snapshot file beside the database when it
closes, stamped with the database file's size and modification time. At the next start the
snapshot is used only if the database file still carries that stamp (any commit changes it)
and the photo count agrees; the first write of a session deletes it before committing, so a
crash never leaves a snapshot that a later start could take for current.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inphotos.fsutil import atomic_write

log = logging.getLogger(__name__)


@dataclass
class ColumnRow:
    """One photo's values as stored (encoded paths), for `PhotoColumns.put`."""

    id: int
    taken_ms: int
    folder: str
    path: str
    orientation: int
    embedding: np.ndarray | None


@dataclass
class Loaded:
    """Every photo's values, read from the database in one read transaction."""

    ids: np.ndarray
    taken: np.ndarray
    orientation: np.ndarray
    folders: list[str]
    paths: list[str]


def parent_of(path: str) -> str:
    """The folder part of a stored path with its final "/" ("" for a path without one, e.g.
    an escaped path): a path starts with "folder/" exactly when its parent does."""
    return path[: path.rfind("/") + 1]


def extension_of(path: str) -> str:
    name = path[path.rfind("/") + 1 :]
    dot = name.rfind(".")
    return name[dot + 1 :].lower() if dot >= 0 else ""


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and per-row scales: row ~= codes * scale."""
    peak = np.abs(vectors).max(axis=1) if len(vectors) else np.zeros(0, np.float32)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    codes = np.rint(vectors / scale[:, None]).clip(-127, 127).astype(np.int8)
    return codes, scale


def _one_of(column: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Which entries of `column` are one of `codes`: compared one by one when they are few
    (np.isin sorts a million entries: ~10x slower for a folder or two)."""
    if len(codes) > 8:
        return np.isin(column, codes)
    out = np.zeros(len(column), bool)
    for c in codes.tolist():
        out |= column == c
    return out


class _Codes:
    """Strings numbered in order of first sight (folders, parent folders, extensions)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.code: dict[str, int] = {}

    def of(self, name: str) -> int:
        c = self.code.get(name)
        if c is None:
            c = self.code[name] = len(self.names)
            self.names.append(name)
        return c

    def matching(self, test: Callable[[str], bool]) -> np.ndarray:
        return np.array([c for c, n in enumerate(self.names) if test(n)], np.int32)


class PhotoColumns:
    """In-memory columns of every photo, sorted by id; thread-safe, updated by the writer."""

    GROW = 1.5

    def __init__(self, dims: int, load: Callable[[], Loaded], chunk: int = 20_000,
                 snapshot: Path | None = None, stamp: tuple[int, int] | None = None,
                 count: Callable[[], int] | None = None) -> None:
        self.dims = dims
        self._load = load
        self._chunk = chunk
        self._snapshot = snapshot
        self._stamp = stamp  # the database file's (size, mtime_ns) when the store opened
        self._count = count
        self._lock = threading.RLock()
        self._ready = False
        self.version = 0  # counts changes: what was computed from the columns is stale after one
        self._from_snapshot = False
        self._vectors_ready = False
        self._n = 0  # used slots (live and dead)
        self._dead = 0
        self._order: np.ndarray | None = None  # live slots newest first, until the next write
        self.folders, self.parents, self.exts = _Codes(), _Codes(), _Codes()
        self._alloc(0)

    # ------------------------------------------------------------------ storage

    def _alloc(self, capacity: int) -> None:
        self.ids = np.zeros(capacity, np.int64)
        self.taken = np.zeros(capacity, np.int64)
        self.folder = np.zeros(capacity, np.int32)
        self.parent = np.zeros(capacity, np.int32)
        self.ext = np.zeros(capacity, np.int16)
        self.orientation = np.zeros(capacity, np.int8)
        self.live = np.zeros(capacity, bool)
        self.codes = np.zeros((capacity, self.dims), np.int8)
        self.scale = np.zeros(capacity, np.float32)

    _ARRAYS = ("ids", "taken", "folder", "parent", "ext", "orientation", "live", "codes", "scale")

    def _grow(self, need: int) -> None:
        if need <= len(self.ids):
            return
        capacity = max(need, int(len(self.ids) * self.GROW) + 1024)
        for name in self._ARRAYS:
            old = getattr(self, name)
            new = np.zeros((capacity, *old.shape[1:]), old.dtype)
            new[: self._n] = old[: self._n]
            setattr(self, name, new)

    def memory_bytes(self) -> int:
        """Bytes the arrays hold (allocated, including room to grow)."""
        return sum(getattr(self, name).nbytes for name in self._ARRAYS)

    def ensure(self) -> None:
        """Read every photo's columns (not vectors), once: from the snapshot when it is
        current, else from the database (later calls return at once)."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            t0 = time.perf_counter()
            if self._read_snapshot():
                log.info("Photo columns of %d photos read from their snapshot in %.2f s", self._n,
                         time.perf_counter() - t0)
                return
            data = self._load()
            n = len(data.ids)
            self._alloc(n)
            self._n = n
            self.ids[:n] = data.ids
            self.taken[:n] = data.taken
            self.orientation[:n] = data.orientation
            self.folder[:n] = [self.folders.of(f) for f in data.folders]
            self.parent[:n] = [self.parents.of(parent_of(p)) for p in data.paths]
            self.ext[:n] = [self.exts.of(extension_of(p)) for p in data.paths]
            self.live[:n] = True
            self._ready = True
            log.info("Photo columns of %d photos read in %.1f s", n, time.perf_counter() - t0)

    def ensure_vectors(self, vectors_of: Callable[[np.ndarray], np.ndarray]) -> None:
        """Read every photo's vector (as int8), once; `ensure()` first."""
        self.ensure()
        if self._vectors_ready:
            return
        with self._lock:
            if self._vectors_ready:
                return
            t0 = time.perf_counter()
            for start in range(0, self._n, self._chunk):
                end = min(start + self._chunk, self._n)
                vecs = vectors_of(self.ids[start:end])
                self.codes[start:end], self.scale[start:end] = quantize(vecs)
            self._vectors_ready = True
            log.info("Vectors of %d photos read in %.1f s (columns now %.0f MB)", self._n,
                     time.perf_counter() - t0, self.memory_bytes() / 1e6)

    # ------------------------------------------------------------------ the snapshot

    _SAVED = ("ids", "taken", "folder", "parent", "ext", "orientation")

    def forget_snapshot(self) -> None:
        """Before the first commit of a session: the snapshot on disk stops being current."""
        if self._snapshot is not None and self._stamp is not None:
            self._stamp = None
            self._from_snapshot = False
            try:
                os.unlink(self._snapshot)
            except FileNotFoundError:
                pass
            except OSError as e:  # still safe: the commit changes the stamp it was saved with
                log.info("Photo columns snapshot %s not deleted: %s", self._snapshot, e)

    def save_snapshot(self, stamp: tuple[int, int]) -> None:
        """Write the columns (read or kept in step this session) for the next start."""
        if self._snapshot is None or not self._ready:
            return
        if self._from_snapshot and self._stamp == tuple(stamp):
            return  # read from the snapshot and nothing written since: it is still current
        with self._lock:
            live = np.flatnonzero(self.live[: self._n])
            arrays = {name: getattr(self, name)[live] for name in self._SAVED}
            order = self.newest_first()
            where = np.empty(self._n, np.int64)
            where[live] = np.arange(len(live))
            arrays["order"] = where[order]
            meta = {"stamp": list(stamp), "count": len(live), "dims": self.dims,
                    "folders": self.folders.names, "parents": self.parents.names, "exts": self.exts.names}
            arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        atomic_write(self._snapshot, buf.getvalue(), durable=False)

    def _read_snapshot(self) -> bool:
        if self._snapshot is None or self._stamp is None or not self._snapshot.exists():
            return False
        try:
            with np.load(self._snapshot, allow_pickle=False) as z:
                meta = json.loads(bytes(z["meta"]).decode("utf-8"))
                if tuple(meta["stamp"]) != tuple(self._stamp) or meta["dims"] != self.dims:
                    return False
                if self._count is not None and self._count() != meta["count"]:
                    return False
                arrays = {name: z[name] for name in (*self._SAVED, "order")}
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as e:
            log.info("Photo columns snapshot %s not used: %s", self._snapshot, e)
            return False
        n = len(arrays["ids"])
        if any(len(a) != n for a in arrays.values()) or (n and np.any(np.diff(arrays["ids"]) <= 0)):
            return False
        order = arrays["order"].astype(np.int64)
        if n and (order.min() < 0 or order.max() >= n or np.any(np.bincount(order, minlength=n) != 1)):
            return False
        self._alloc(n)
        for name in self._SAVED:
            getattr(self, name)[:n] = arrays[name]
        self.live[:n] = True
        self._n, self._dead = n, 0
        for codes, names in ((self.folders, meta["folders"]), (self.parents, meta["parents"]),
                             (self.exts, meta["exts"])):
            for name in names:
                codes.of(str(name))
        self._order = order
        self._ready = self._from_snapshot = True
        return True

    # ------------------------------------------------------------------ the writer's changes

    def put(self, rows: Sequence[ColumnRow]) -> None:
        """Photos written (new or changed), applied after their commit."""
        with self._lock:  # taken first: a write during the first read waits, then applies
            if not self._ready or not rows:
                return
            self._order = None
            self.version += 1
            ids = np.array([r.id for r in rows], np.int64)
            slots = self.slots(ids)
            new = slots < 0
            if new.any():
                fresh = np.sort(ids[new])
                if self._n and fresh[0] <= self.ids[self._n - 1]:
                    # Not after every id held (never from ObjectBox's own ids): start over.
                    self._ready = self._vectors_ready = False
                    self._alloc(0)
                    self._n = self._dead = 0
                    return
                self._grow(self._n + len(fresh))
                self.ids[self._n : self._n + len(fresh)] = fresh
                self.live[self._n : self._n + len(fresh)] = True
                self._n += len(fresh)
                slots = self.slots(ids)
            for slot, r in zip(slots.tolist(), rows, strict=True):
                self.taken[slot] = r.taken_ms
                self.folder[slot] = self.folders.of(r.folder)
                self.parent[slot] = self.parents.of(parent_of(r.path))
                self.ext[slot] = self.exts.of(extension_of(r.path))
                self.orientation[slot] = r.orientation
            with_vec = [(s, r.embedding) for s, r in zip(slots.tolist(), rows, strict=True)
                        if r.embedding is not None]
            if with_vec and self._vectors_ready:
                at = np.array([s for s, _ in with_vec])
                vecs = np.asarray([v for _, v in with_vec], np.float32).reshape(len(at), self.dims)
                codes, scale = quantize(vecs)
                self.codes[at], self.scale[at] = codes, scale

    def remove(self, ids: Iterable[int]) -> None:
        """Photos removed, applied after their commit."""
        with self._lock:
            if not self._ready:
                return
            slots = self.slots(np.fromiter(ids, np.int64))
            slots = slots[slots >= 0]
            if not len(slots):
                return
            self._order = None
            self.version += 1
            self._dead += int(self.live[slots].sum())
            self.live[slots] = False
            if self._dead * 4 > self._n:
                self._sweep()

    def changed(self) -> None:
        """Something a filter depends on changed outside the columns (the library folders):
        what was computed from them is stale."""
        with self._lock:
            self.version += 1

    def set_folder(self, ids: Iterable[int], folder: str) -> None:
        """Photos moved under another library folder (their paths unchanged)."""
        with self._lock:
            if not self._ready:
                return
            self._order = None
            self.version += 1
            slots = self.slots(np.fromiter(ids, np.int64))
            self.folder[slots[slots >= 0]] = self.folders.of(folder)

    def _sweep(self) -> None:
        keep = np.flatnonzero(self.live[: self._n])
        for name in self._ARRAYS:
            arr = getattr(self, name)
            arr[: len(keep)] = arr[keep]
            arr[len(keep) : self._n] = 0
        self._n, self._dead = len(keep), 0

    def slots(self, ids: np.ndarray) -> np.ndarray:
        """Slot of each id, -1 where not held (or removed)."""
        held = self.ids[: self._n]
        at = np.searchsorted(held, ids)
        at = np.minimum(at, max(self._n - 1, 0))
        ok = (held[at] == ids) & self.live[at] if self._n else np.zeros(len(ids), bool)
        return np.where(ok, at, -1)

    # ------------------------------------------------------------------ reads

    def mask(self, after_ms: int | None = None, before_ms: int | None = None,
             folders: Sequence[str] | None = None, prefix: str | None = None,
             exts: Sequence[str] = (), orientation: int = 0) -> np.ndarray:
        """Which slots (of the first `self._n`) pass: the same rules as the database query
        (store_queries._filter_condition). Call with the lock held (see `snapshot`)."""
        n = self._n
        m = self.live[:n].copy()
        if after_ms is not None:
            m &= self.taken[:n] >= after_ms
        if before_ms is not None:
            m &= self.taken[:n] < before_ms
        if folders is not None:
            wanted = {self.folders.code[f] for f in folders if f in self.folders.code}
            m &= _one_of(self.folder[:n], np.array(sorted(wanted), np.int32))
        if prefix is not None:
            codes = self.parents.matching(lambda p: p.startswith(prefix))
            m &= _one_of(self.parent[:n], codes)
        if exts:
            lower = {e.lower() for e in exts}
            m &= _one_of(self.ext[:n], self.exts.matching(lambda e: e in lower))
        if orientation:
            m &= self.orientation[:n] == orientation
        return m

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def newest_first(self) -> np.ndarray:
        """Live slots by date taken, then id, newest first (kept until the next write)."""
        if self._order is None:
            n = self._n
            slots = np.flatnonzero(self.live[:n])[::-1]  # id descending breaks date ties
            order = np.argsort(-self.taken[slots], kind="stable")
            self._order = slots[order]
        return self._order

    def nearest(self, slots: np.ndarray, vector: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The `count` of `slots` with the highest approximate cosine to `vector`: (slots,
        scores), best first. Scored in chunks that stay in the CPU cache."""
        q = np.asarray(vector, np.float32).reshape(-1)
        scores = np.empty(len(slots), np.float32)
        for a in range(0, len(slots), 4096):
            part = slots[a : a + 4096]
            scores[a : a + len(part)] = np.einsum("ij,j->i", self.codes[part], q) * self.scale[part]
        count = min(count, len(slots))
        top = np.argpartition(-scores, count - 1)[:count] if count < len(slots) else np.arange(len(slots))
        top = top[np.argsort(-scores[top], kind="stable")]
        return slots[top], scores[top]
