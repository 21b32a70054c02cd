"""Bringing the index up to date with the folders on disk.

`plan()` walks the library and diffs it against the store by size and mtime: new, changed and
deleted files, moves (recognised by content fingerprint, keeping their vectors), and folders
that went offline (their photos are kept). `run()` then decodes on a small thread pool while
the model embeds batches; each batch is written in one transaction, so an interrupted run
(even `kill -9`) loses at most the batch in flight and the next run resumes from there.
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from inphotos.core.control import Cancelled, Control
from inphotos.core.imaging import DecodeError, check_regular_file, decode, fingerprint
from inphotos.core.protocols import Embedder
from inphotos.core.scanner import FileEntry, walk_images
from inphotos.core.thumbs import ThumbnailCache
from inphotos.db.store import PhotoStore, WriteBatch
from inphotos.ml.pixels import PixelSpec
from inphotos.records import IndexProgress, IndexReport, PhotoRecord, SkippedRecord

log = logging.getLogger(__name__)

WRITE_CHUNK = 1000


def default_workers() -> int:
    """Decode threads: enough to keep the model fed without starving it of cores."""
    return max(2, min(8, (os.cpu_count() or 2)))


@dataclass
class Work:
    """One file to decode and embed; `photo_id` is set when it replaces a row."""

    entry: FileEntry
    folder: str
    photo_id: int = 0
    skipped_id: int = 0


@dataclass
class Move:
    photo_id: int
    entry: FileEntry
    folder: str


@dataclass
class Plan:
    """What `run()` will do."""

    to_embed: list[Work] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    removals: list[int] = field(default_factory=list)
    stale_skipped: list[int] = field(default_factory=list)
    #: Thumbnail keys (path, mtime_ns, size) of deleted and changed photos, to delete.
    stale_thumbs: list[tuple[str, int, int]] = field(default_factory=list)
    offline: list[str] = field(default_factory=list)
    scan_errors: list[tuple[str, str]] = field(default_factory=list)
    on_disk: int = 0
    new_count: int = 0
    changed_count: int = 0

    @property
    def empty(self) -> bool:
        return not (self.to_embed or self.moves or self.removals or self.stale_skipped)


@dataclass
class _Decoded:
    work: Work
    pixels: np.ndarray | None = None
    width: int = 0
    height: int = 0
    taken_ms: int = 0
    fingerprint: str = ""
    size: int = 0
    mtime_ns: int = 0
    error: str = ""
    retry_later: bool = False


ProgressFn = Callable[[IndexProgress], None]


class Indexer:
    """Brings one store up to date with its library folders."""

    def __init__(
        self,
        store: PhotoStore,
        embedder: Callable[[], Embedder],
        thumbs: ThumbnailCache | None,
        batch_size: int = 0,
        workers: int = 0,
    ) -> None:
        self.store = store
        self._get_embedder = embedder
        self.thumbs = thumbs
        self.batch_size = batch_size or 32
        self.workers = workers or default_workers()

    # ------------------------------------------------------------------ plan

    def plan(self, control: Control | None = None, progress: ProgressFn | None = None) -> Plan:
        """Walk the library and work out what changed since the last run."""
        control = control or Control()
        plan = Plan()
        online: list[str] = []
        now_ms = int(time.time() * 1000)
        for f in self.store.folders():
            is_online = os.path.isdir(f.path) and not self._looks_unmounted(f.path)
            if not is_online:
                plan.offline.append(f.path)
                log.info("Folder offline, keeping its photos: %s", f.path)
            else:
                online.append(f.path)
            if is_online != f.online:
                self.store.put_folder(f.path, online=is_online)

        disk: dict[str, tuple[FileEntry, str]] = {}
        for root in online:
            for entry in walk_images(
                root, on_error=lambda p, r: plan.scan_errors.append((p, r)),
                should_stop=lambda: control.cancelled,
            ):
                disk.setdefault(entry.path, (entry, root))
                if progress is not None and len(disk) % 2000 == 0:
                    progress(IndexProgress("scanning", done=len(disk)))
            control.checkpoint()
            self.store.put_folder(root, online=True, last_scan_ms=now_ms)
        plan.on_disk = len(disk)

        online_set = set(online)
        all_rows = self.store.all_photos()
        by_path = {r.path: r for r in all_rows}
        rows = [r for r in all_rows if r.folder in online_set]
        skipped = {s.path: s for s in self.store.skipped() if s.folder in online_set}

        stale_before_ms = int(self.store.meta.get("vectors_valid_from_ms", 0))
        gone = [r for r in rows if r.path not in disk]
        new: list[tuple[FileEntry, str]] = []
        for path, (entry, root) in disk.items():
            row = by_path.get(path)
            if row is None:
                s = skipped.get(path)
                if s is not None and s.size == entry.size and s.mtime_ns == entry.mtime_ns:
                    continue  # still the same bad file: don't retry it every scan
                new.append((entry, root))
            elif row.size != entry.size or row.mtime_ns != entry.mtime_ns:
                plan.to_embed.append(Work(entry, root, photo_id=row.id))
                plan.changed_count += 1
                plan.stale_thumbs.append((row.path, row.mtime_ns, row.size))
            elif row.indexed_ms < stale_before_ms:  # embedded by weights since replaced
                plan.to_embed.append(Work(entry, root, photo_id=row.id))
                plan.changed_count += 1
        plan.stale_skipped = [s.id for p, s in skipped.items() if p not in disk]

        # Moves and renames: a new file whose fingerprint matches a vanished row keeps its vector.
        gone_by_size: dict[int, list[PhotoRecord]] = defaultdict(list)
        for r in gone:
            gone_by_size[r.size].append(r)
        moved_ids: set[int] = set()
        for entry, root in new:
            candidates = gone_by_size.get(entry.size)
            match = None
            if candidates:
                try:
                    fp = fingerprint(entry.path, entry.size)
                except OSError:
                    fp = ""
                match = next((r for r in candidates if r.fingerprint == fp and fp), None)
            s = skipped.get(entry.path)
            if match is not None:
                candidates.remove(match)  # type: ignore[union-attr]
                moved_ids.add(match.id)
                plan.moves.append(Move(match.id, entry, root))
                if s is not None:  # a good photo moved over a bad file: that file is gone
                    plan.stale_skipped.append(s.id)
            else:
                plan.to_embed.append(Work(entry, root, skipped_id=s.id if s else 0))
                plan.new_count += 1
        plan.removals = [r.id for r in gone if r.id not in moved_ids]
        plan.stale_thumbs += [(r.path, r.mtime_ns, r.size) for r in gone if r.id not in moved_ids]
        return plan

    def _looks_unmounted(self, folder: str) -> bool:
        """An empty folder that held photos: the mount point of an unplugged drive or share.

        Treating it as deleted would forget every photo and re-embed them all when the drive
        comes back; keeping them as offline costs nothing.
        """
        try:
            with os.scandir(folder) as it:
                if next(it, None) is not None:
                    return False
        except OSError:
            return False  # unreadable: the walk reports it
        return self.store.photos_in_folder_count(folder) > 0

    # ------------------------------------------------------------------ run

    def run(
        self,
        progress: ProgressFn | None = None,
        control: Control | None = None,
        plan: Plan | None = None,
    ) -> IndexReport:
        """Scan (unless `plan` is given), then apply every change; returns the report."""
        control = control or Control()
        t0 = time.perf_counter()
        report = IndexReport()
        try:
            if plan is None:
                if progress:
                    progress(IndexProgress("scanning"))
                plan = self.plan(control, progress)
            report.offline = list(plan.offline)
            report.skipped.extend(plan.scan_errors)
            self._apply_moves_and_removals(plan, report)
            if plan.to_embed:
                self._embed_all(plan.to_embed, report, control, progress)
        except Cancelled:
            report.cancelled = True
        report.elapsed_s = time.perf_counter() - t0
        if progress:
            progress(IndexProgress("done", report.embedded, report.embedded, report.rate, 0.0,
                                   len(report.skipped)))
        log.info("Index run: %s in %.1f s", report.summary(), report.elapsed_s)
        return report

    def _apply_moves_and_removals(self, plan: Plan, report: IndexReport) -> None:
        for i in range(0, len(plan.removals), WRITE_CHUNK):
            chunk = plan.removals[i : i + WRITE_CHUNK]
            self.store.write(WriteBatch(remove_photo_ids=chunk))
            report.removed += len(chunk)
        if self.thumbs is not None:
            for key in plan.stale_thumbs:
                self.thumbs.discard(key)
        if plan.stale_skipped:
            self.store.write(WriteBatch(remove_skipped_ids=plan.stale_skipped))
        for i in range(0, len(plan.moves), WRITE_CHUNK):
            moves = plan.moves[i : i + WRITE_CHUNK]
            records = self.store.get_photos([m.photo_id for m in moves], with_embedding=True)
            batch = WriteBatch()
            for m, rec in zip(moves, records, strict=True):
                if rec is None:
                    continue
                if self.thumbs is not None:  # before the commit: a kill between leaves no gap
                    self.thumbs.move((rec.path, rec.mtime_ns, rec.size),
                                     (m.entry.path, m.entry.mtime_ns, m.entry.size))
                rec.path, rec.folder = m.entry.path, m.folder
                rec.size, rec.mtime_ns = m.entry.size, m.entry.mtime_ns
                batch.photos.append(rec)
            self.store.write(batch)
            report.moved += len(batch.photos)

    def _decode_one(self, work: Work, spec: PixelSpec) -> _Decoded:
        out = _Decoded(work)
        path = work.entry.path
        try:
            before = check_regular_file(path)
            d = decode(path, spec, want_thumbnail=self.thumbs is not None)
            fp = fingerprint(path, before.st_size)
            after = check_regular_file(path)
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                out.error, out.retry_later = "changed while being read; indexed on the next scan", True
                return out
            if self.thumbs is not None and d.thumbnail is not None:
                try:
                    self.thumbs.put(path, after.st_mtime_ns, after.st_size, d.thumbnail)
                except OSError as e:  # a full cache disk must not stop indexing
                    log.warning("Thumbnail not written for %s: %s", path, e)
            out.pixels, out.width, out.height, out.taken_ms = d.pixels, d.width, d.height, d.taken_ms
            out.fingerprint, out.size, out.mtime_ns = fp, after.st_size, after.st_mtime_ns
        except DecodeError as e:
            out.error = str(e)
            out.retry_later = "deleted while indexing" in out.error or "not found" in out.error
        except FileNotFoundError:
            out.error, out.retry_later = "deleted while being indexed", True
        except OSError as e:
            out.error = f"cannot read the file: {e.strerror or e}"
        return out

    def _embed_all(
        self,
        todo: list[Work],
        report: IndexReport,
        control: Control,
        progress: ProgressFn | None,
    ) -> None:
        embedder = self._get_embedder()
        prepare = getattr(embedder, "prepare", None)
        if prepare is not None:  # e.g. compile the model when enough photos wait
            prepare(len(todo), self.batch_size)
        spec = embedder.pixel_spec
        total = len(todo)
        done = 0
        t_start = time.perf_counter()
        ahead = self.batch_size * 2 + self.workers
        pending: deque[Future[_Decoded]] = deque()
        it = iter(todo)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="decode") as pool:
            try:
                def fill() -> None:
                    while len(pending) < ahead:
                        w = next(it, None)
                        if w is None:
                            return
                        pending.append(pool.submit(self._decode_one, w, spec))

                fill()
                while pending:
                    control.checkpoint()
                    batch: list[_Decoded] = []
                    while pending and len(batch) < self.batch_size:
                        batch.append(pending.popleft().result())
                        fill()
                    self._embed_and_write(batch, embedder, report)
                    done += len(batch)
                    elapsed = time.perf_counter() - t_start
                    rate = done / elapsed if elapsed > 0 else 0.0
                    if progress:
                        progress(IndexProgress(
                            "embedding", done, total, rate,
                            (total - done) / rate if rate > 0 else None,
                            len(report.skipped), batch[-1].work.entry.path,
                        ))
            finally:
                for f in pending:
                    f.cancel()

    def _embed_and_write(self, batch: list[_Decoded], embedder: Embedder, report: IndexReport) -> None:
        good = [d for d in batch if not d.error and d.pixels is not None]
        wb = WriteBatch()
        if good:
            vectors = embedder.encode_pixels(np.stack([d.pixels for d in good]))  # type: ignore[misc]
            finite = np.isfinite(vectors).all(axis=1)
            for d, vec, ok in zip(good, vectors, finite, strict=True):
                if not ok:
                    d.error = "the model produced no usable vector for this image"
                    continue
                wb.photos.append(PhotoRecord(
                    path=d.work.entry.path, folder=d.work.folder, size=d.size,
                    mtime_ns=d.mtime_ns, fingerprint=d.fingerprint, width=d.width,
                    height=d.height, taken_ms=d.taken_ms, embedding=vec, id=d.work.photo_id,
                ))
                if d.work.skipped_id:
                    wb.remove_skipped_ids.append(d.work.skipped_id)
        for d in batch:
            if not d.error:
                continue
            report.skipped.append((d.work.entry.path, d.error))
            if d.retry_later:
                continue
            wb.skipped.append(SkippedRecord(
                d.work.entry.path, d.work.folder, d.work.entry.size, d.work.entry.mtime_ns,
                d.error, d.work.skipped_id,
            ))
            if d.work.photo_id:  # a changed file that no longer decodes: drop the stale vector
                wb.remove_photo_ids.append(d.work.photo_id)
        updated = sum(1 for r in wb.photos if r.id)
        self.store.write(wb)
        report.updated += updated
        report.added += len(wb.photos) - updated
        report.embedded += len(wb.photos)
