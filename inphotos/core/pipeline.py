"""The decode side of indexing: files decoded on a small pool, handed out in batches.

Decoding is the CPU-heavy half of indexing that the user did not ask for right now, so its
threads (and the indexing thread that runs the model) run at a lower scheduling priority, and
fewer decode threads start when the machine is already busy: the window stays responsive.
On an idle machine nothing changes: a nice value only matters when others want the CPU.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image

from inphotos.core.control import Control
from inphotos.core.formats import is_video_name
from inphotos.core.imaging import THUMB_SIZE, DecodeError, check_regular_file, decode, fingerprint
from inphotos.core.imaging import Decoded as PhotoDecoded
from inphotos.core.plan import Work
from inphotos.core.thumbs import ThumbnailCache
from inphotos.core.video import MAX_FRAMES, DecodedVideo, decode_video
from inphotos.ml.pixels import PixelSpec

log = logging.getLogger(__name__)

#: Nice value of the indexing threads (0 is normal, 19 the lowest priority).
BACKGROUND_NICENESS = 10
#: A batch holds at most this many images per file of the batch size (videos bring several).
VIDEO_BATCH_IMAGES = 4


def default_workers() -> int:
    """Decode threads: enough to keep the model fed without starving it of cores."""
    return max(2, min(8, (os.cpu_count() or 2)))


def decode_workers(requested: int = 0, load: float | None = None, cpus: int | None = None) -> int:
    """How many decode threads to start.

    An explicit request is kept. Otherwise `default_workers()`, cut down to the cores other
    programs leave free when the machine is busy (1-minute load average at half the cores or
    more); an idle machine gets them all.

    Args:
        requested: the user's setting (0: InPhotos picks).
        load: the load average (default: `os.getloadavg()`, where there is one).
        cpus: the number of cores (default: `os.cpu_count()`).
    """
    if requested > 0:
        return requested
    cpus = cpus or os.cpu_count() or 2
    workers = max(2, min(8, cpus))
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # Windows; or unavailable
            return workers
    if load < cpus / 2:
        return workers
    free = max(0.0, cpus - load)
    return max(1, min(workers, int(free)))


def lower_thread_priority() -> bool:
    """Give the calling thread a lower CPU priority; False where the OS has no per-thread nice.

    Linux applies `setpriority` to one thread when given its thread id. Elsewhere the call
    would change the whole process (the window too), so it is not made.
    """
    if not hasattr(os, "setpriority") or not sys.platform.startswith("linux"):
        return False
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if current < BACKGROUND_NICENESS:
            os.setpriority(os.PRIO_PROCESS, tid, BACKGROUND_NICENESS)
        return True
    except OSError as e:  # a sandbox that forbids it: run at normal priority
        log.debug("Could not lower the priority of an indexing thread: %s", e)
        return False


@contextlib.contextmanager
def background_priority() -> Iterator[None]:
    """Run the block at background priority, then try to restore the thread's own.

    Raising a priority again needs privileges most users lack, so the thread may stay lower:
    this is only used on threads that do background work.
    """
    tid = threading.get_native_id() if hasattr(os, "getpriority") else 0
    before = None
    if tid:
        with contextlib.suppress(OSError):
            before = os.getpriority(os.PRIO_PROCESS, tid)
    lowered = lower_thread_priority()
    try:
        yield
    finally:
        if lowered and before is not None:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, tid, before)


@dataclass
class Decoded:
    """One file's decode: the model's pixels and what is stored, or why it was skipped.

    Decoded on a cluster (core/cluster.py), it comes back with its `vector` and its
    thumbnail as JPEG bytes instead of pixels; this computer writes both.
    """

    work: Work
    pixels: np.ndarray | None = None
    width: int = 0
    height: int = 0
    taken_ms: int = 0
    fingerprint: str = ""
    size: int = 0
    mtime_ns: int = 0
    ctime_ns: int = 0
    error: str = ""
    retry_later: bool = False
    vector: np.ndarray | None = None
    thumbnail: bytes | None = None
    #: A video: the times of its sampled frames (`pixels` then holds one image per frame).
    frame_ms: list[int] | None = None
    duration_ms: int = 0
    #: A video decoded on a cluster: the vectors of its frames (`vector` is the first's).
    frame_vectors: np.ndarray | None = None


def embed_decoded(
    encode: Callable[[np.ndarray], np.ndarray], decoded: Sequence[Decoded], batch_size: int = 0
) -> None:
    """Embed decoded files in place: a photo's `vector`, and a video's too (its first frame's)
    with `frame_vectors`, one per sampled frame. The model is given `batch_size` images at a
    time (0: all at once), however many frames the videos bring."""
    if not decoded:
        return
    images: list[np.ndarray] = [
        d.pixels if d.frame_ms else d.pixels[None] for d in decoded  # type: ignore[index,misc]
    ]
    stacked = np.concatenate(images)
    step = batch_size if batch_size > 0 else len(stacked)
    every = np.concatenate([encode(stacked[i : i + step]) for i in range(0, len(stacked), step)])
    ends = np.cumsum([len(i) for i in images])
    for d, vecs in zip(decoded, np.split(every, ends[:-1]), strict=True):
        d.vector = np.asarray(vecs[0], np.float32)
        if d.frame_ms:
            d.frame_vectors = np.asarray(vecs, np.float32)


def decode_file(
    work: Work, spec: PixelSpec, want_thumbnail: bool, path: str = ""
) -> tuple[Decoded, Image.Image | None]:
    """Decode one file (at `path`, default the work's own) and its thumbnail; failures come
    back as `error`, never raised."""
    out = Decoded(work)
    path = path or work.entry.path
    try:
        before = check_regular_file(path)
        d: DecodedVideo | PhotoDecoded
        if is_video_name(path):
            d = decode_video(path, spec, THUMB_SIZE, want_thumbnail=want_thumbnail)
            out.frame_ms, out.duration_ms = d.frame_ms, d.duration_ms
        else:
            d = decode(path, spec, want_thumbnail=want_thumbnail)
        fp = fingerprint(path, before.st_size, full=True)
        after = check_regular_file(path)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            out.error, out.retry_later = "changed while being read; indexed on the next scan", True
            return out, None
        out.pixels, out.width, out.height, out.taken_ms = d.pixels, d.width, d.height, d.taken_ms
        out.fingerprint, out.size, out.mtime_ns = fp, after.st_size, after.st_mtime_ns
        out.ctime_ns = getattr(after, "st_ctime_ns", 0)
        return out, d.thumbnail
    except DecodeError as e:
        out.error, out.retry_later = str(e), e.retry_later
    except FileNotFoundError:
        out.error, out.retry_later = "deleted while being indexed", True
    except OSError as e:
        out.error = f"cannot read the file: {e.strerror or e}"
    return out, None


def decode_one(work: Work, spec: PixelSpec, thumbs: ThumbnailCache | None) -> Decoded:
    """Decode one file (and write its thumbnail); failures come back as `error`, never raised."""
    out, thumbnail = decode_file(work, spec, want_thumbnail=thumbs is not None)
    if thumbs is not None and thumbnail is not None:
        try:
            thumbs.put(work.entry.path, out.mtime_ns, out.size, thumbnail)
        except OSError as e:  # a full cache disk must not stop indexing
            log.warning("Thumbnail not written for %s: %s", work.entry.path, e)
    return out


def decoded_batches(
    todo: list[Work],
    spec: PixelSpec,
    thumbs: ThumbnailCache | None,
    batch_size: int,
    workers: int,
    control: Control,
) -> Generator[list[Decoded], None, None]:
    """Decode `todo` on `workers` background-priority threads; yield batches in order.

    A few batches are decoded ahead while the caller embeds. Closing the generator (or a
    cancel, raised by `control.checkpoint()` between batches) drops the queued decodes.
    """
    ahead = batch_size * 2 + workers
    pending: deque[Future[Decoded]] = deque()
    # What each pending file may bring: a video up to MAX_FRAMES images, so fewer videos
    # are decoded ahead (each one's frames are several megabytes of model input).
    images: deque[int] = deque()
    it = iter(todo)
    with ThreadPoolExecutor(
        workers, thread_name_prefix="decode", initializer=lower_thread_priority
    ) as pool:
        try:
            def fill() -> None:
                while sum(images) < ahead:
                    w = next(it, None)
                    if w is None:
                        return
                    pending.append(pool.submit(decode_one, w, spec, thumbs))
                    images.append(MAX_FRAMES if is_video_name(w.entry.path) else 1)

            fill()
            while pending:
                control.checkpoint()
                batch: list[Decoded] = []
                weight = 0  # a batch of long videos ends early: its frames stay a few batches' worth
                while pending and len(batch) < batch_size and weight < VIDEO_BATCH_IMAGES * batch_size:
                    batch.append(pending.popleft().result())
                    weight += images.popleft()
                    fill()
                yield batch
        finally:
            for f in pending:
                f.cancel()
