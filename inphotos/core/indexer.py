"""Bringing the index up to date with the folders on disk.

`plan()` (core/plan.py) works out what changed; `run()` then applies it: moves and removals
first, then the files to embed, decoded on a small pool (core/pipeline.py) while the model
embeds batches. Each batch is written in one transaction, so an interrupted run (even
`kill -9`) loses at most the batch in flight and the next run resumes from there.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import numpy as np

from inphotos.core.control import Cancelled, Control
from inphotos.core.duplicates import link_photos, pairs_of
from inphotos.core.pipeline import (
    Decoded,
    background_priority,
    decode_workers,
    decoded_batches,
    embed_decoded,
)
from inphotos.core.plan import Move, Plan, ProgressFn, Work, plan
from inphotos.core.protocols import Embedder
from inphotos.core.thumbs import ThumbnailCache
from inphotos.db.store import PhotoStore, WriteBatch
from inphotos.records import (
    ClusterOptions,
    FrameRecord,
    IndexProgress,
    IndexReport,
    PhotoRecord,
    SkippedRecord,
)

__all__ = ["Indexer", "Move", "Plan", "ProgressFn", "Work"]

log = logging.getLogger(__name__)

WRITE_CHUNK = 1000


class WriteListener(Protocol):
    """Told of every batch the indexer writes (the library's categories keep count so)."""

    def before_write(self, store: PhotoStore, batch: WriteBatch) -> object: ...
    def after_write(self, store: PhotoStore, token: object, batch: WriteBatch) -> None: ...


class Indexer:
    """Brings one store up to date with its library folders.

    Args:
        workers: decode threads; 0 picks by the machine's cores and how busy it is.
        exclude: folders never indexed (InPhotos' own data inside a library folder).
        listener: told of each batch written, before and after (core/categories.py).
        after_batch: called after each batch of new photos is written.
        videos: index videos too (core/video.py); without, those indexed are forgotten.
    """

    def __init__(
        self,
        store: PhotoStore,
        embedder: Callable[[], Embedder],
        thumbs: ThumbnailCache | None,
        batch_size: int = 0,
        workers: int = 0,
        exclude: Sequence[str] = (),
        listener: WriteListener | None = None,
        after_batch: Callable[[], object] | None = None,
        cluster: ClusterOptions | None = None,
        model: str = "",
        precision: str = "auto",
        videos: bool = True,
    ) -> None:
        self.store = store
        self._get_embedder = embedder
        self.thumbs = thumbs
        # Out of range (a hand-edited setting): the defaults, never a run that adds nothing.
        self.batch_size = batch_size if batch_size > 0 else 32
        self.workers = max(0, workers)
        self.exclude = tuple(exclude)
        self.listener = listener
        self.after_batch = after_batch
        # Embed on a Ray cluster (core/cluster.py): `model` and `precision` go to its workers.
        self.cluster, self.model, self.precision = cluster, model, precision
        self.videos = videos

    def _write(self, batch: WriteBatch) -> None:
        if self.listener is None:
            self.store.write(batch)
            return
        token = self.listener.before_write(self.store, batch)
        self.store.write(batch)
        self.listener.after_write(self.store, token, batch)

    def plan(self, control: Control | None = None, progress: ProgressFn | None = None) -> Plan:
        """Walk the library and work out what changed since the last run."""
        return plan(self.store, control, progress, self.exclude, self.videos)

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
            self.store.fill_derived()  # rows from before dates and orientations were kept
            if plan.to_embed:
                self._embed_all(plan.to_embed, report, control, progress)
        except Cancelled:
            report.cancelled = True
        report.waiting = {f: n for f, n in report.waiting.items() if n > 0}
        report.elapsed_s = time.perf_counter() - t0
        if progress:
            progress(IndexProgress("done", report.embedded, report.embedded, report.rate, 0.0,
                                   len(report.skipped)))
        log.info("Index run: %s in %.1f s", report.summary(), report.elapsed_s)
        return report

    def _apply_moves_and_removals(self, plan: Plan, report: IndexReport) -> None:
        for i in range(0, len(plan.removals), WRITE_CHUNK):
            chunk = plan.removals[i : i + WRITE_CHUNK]
            self._write(WriteBatch(remove_photo_ids=chunk))
            report.removed += len(chunk)
        if self.thumbs is not None:
            for key in plan.stale_thumbs:
                self.thumbs.discard(key)
        if plan.stale_skipped:
            self._write(WriteBatch(remove_skipped_ids=plan.stale_skipped))
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
                report.moved += rec.path != m.entry.path  # else only its metadata changed
                rec.path, rec.folder = m.entry.path, m.folder
                rec.size, rec.mtime_ns = m.entry.size, m.entry.mtime_ns
                rec.ctime_ns = m.entry.ctime_ns
                rec.companions = m.companions
                batch.photos.append(rec)
            before = [r.id for r in batch.photos]
            self._write(batch)
            # A move keeps its row and pairs, unless the store had to give the row a new id.
            link_photos(self.store, [r for r, old in zip(batch.photos, before, strict=True)
                                     if r.id != old])

    def _embed_all(
        self,
        todo: list[Work],
        report: IndexReport,
        control: Control,
        progress: ProgressFn | None,
    ) -> None:
        # Newest first (by file time, known from the scan at no cost): someone who adds 50,000
        # photos can search their recent ones within a minute, long before the run ends.
        todo = sorted(todo, key=lambda w: w.entry.mtime_ns, reverse=True)
        # Which folders still wait, and how many photos each: the window shows it while the
        # run goes on and after a cancel (the report keeps what was left).
        report.waiting = dict(Counter(w.folder for w in todo))
        total = len(todo)
        if progress:  # the plan is ready: say how much waits before the model may load
            progress(IndexProgress("embedding", 0, total, waiting=dict(report.waiting)))
        embedder: Embedder | None = None
        with contextlib.ExitStack() as stack:
            if self.cluster is not None:
                from inphotos.core.cluster import ClusterRun

                run = stack.enter_context(ClusterRun(
                    self.cluster, self.model, self.precision, self.batch_size, self.thumbs is not None))
                run.start(todo, self.store.dims, control)
                report.engine = run.describe()
                batches = run.batches(todo, control)
                # Said again at the end: the workers that started later, and any lost.
                stack.callback(lambda: setattr(report, "engine", run.describe()))
            else:
                embedder = self._get_embedder()
                prepare = getattr(embedder, "prepare", None)
                if prepare is not None:  # e.g. compile the model when enough photos wait
                    prepare(len(todo), self.batch_size)
                batches = decoded_batches(todo, embedder.pixel_spec, self.thumbs, self.batch_size,
                                          decode_workers(self.workers), control)
            stack.enter_context(contextlib.closing(batches))
            self._write_all(batches, embedder, total, report, control, progress)

    def _write_all(
        self,
        batches: Iterator[list[Decoded]],
        embedder: Embedder | None,
        total: int,
        report: IndexReport,
        control: Control,
        progress: ProgressFn | None,
    ) -> None:
        done = 0
        t_start = time.perf_counter()
        with background_priority():
            for batch in batches:
                control.checkpoint()  # a pause while this batch was decoded: write nothing more
                self._embed_and_write(batch, embedder, report)
                for d in batch:
                    report.waiting[d.work.folder] -= 1
                done += len(batch)
                elapsed = time.perf_counter() - t_start
                rate = done / elapsed if elapsed > 0 else 0.0
                if progress:
                    progress(IndexProgress(
                        "embedding", done, total, rate,
                        (total - done) / rate if rate > 0 else None,
                        len(report.skipped), batch[-1].work.entry.path,
                        {f: n for f, n in report.waiting.items() if n > 0},
                    ))

    def _embed_and_write(
        self, batch: list[Decoded], embedder: Embedder | None, report: IndexReport
    ) -> None:
        good = [d for d in batch if not d.error and (d.pixels is not None or d.vector is not None)]
        wb = WriteBatch()
        here = [d for d in good if d.vector is None]  # a cluster sends vectors, not pixels
        if here:
            assert embedder is not None
            embed_decoded(embedder.encode_pixels, here, self.batch_size)
        for d in good:
            vec = d.vector
            assert vec is not None
            vecs = d.frame_vectors if d.frame_ms and d.frame_vectors is not None else vec[None]
            if not np.isfinite(vecs).all():
                d.error = "the model produced no usable vector for this image"
                continue
            if d.thumbnail is not None and self.thumbs is not None:
                try:  # before the commit, as a local decode writes it
                    self.thumbs.put_encoded(d.work.entry.path, d.mtime_ns, d.size, d.thumbnail)
                except OSError as e:  # a full cache disk must not stop indexing
                    log.warning("Thumbnail not written for %s: %s", d.work.entry.path, e)
            frames = ([FrameRecord(t, v) for t, v in zip(d.frame_ms, vecs, strict=True)]
                      if d.frame_ms else None)
            wb.photos.append(PhotoRecord(
                path=d.work.entry.path, folder=d.work.folder, size=d.size,
                mtime_ns=d.mtime_ns, ctime_ns=d.ctime_ns, fingerprint=d.fingerprint, width=d.width,
                height=d.height, embedding=vec, id=d.work.photo_id,
                # No EXIF date: the file's time, marked, so it sorts where a person expects.
                taken_ms=d.taken_ms or d.mtime_ns // 1_000_000,
                taken_source="exif" if d.taken_ms else "file",
                companions=d.work.companions, duration_ms=d.duration_ms, frames=frames,
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
        # Each new or changed photo finds its duplicates, written in the same transaction.
        wb.pairs = lambda records: pairs_of(self.store, records)
        self._write(wb)
        if self.after_batch is not None:
            self.after_batch()
        report.updated += updated
        report.added += len(wb.photos) - updated
        report.embedded += len(wb.photos)
