"""Indexing on a Ray cluster: the workers decode and embed, this computer does the rest.

This computer still scans and diffs (core/plan.py), writes the database (the one writer) and
the thumbnail files; the cluster only turns photos into vectors and thumbnails. One actor per
CPU (or per GPU) loads the model once; batches go out a few per actor and come back in any
order, each written in its own transaction as locally, so a killed run loses at most the
batches in flight. A worker that dies takes its batches with it: they go to another worker.

The workers read the photos themselves when they see the same files ("shared", with a path
map when they see them under another prefix), or this computer sends the bytes ("send").
A `local-dir:` model is shipped to the workers once per run; other models load from each
worker's own cache. Ray is imported only here, only when a cluster is used.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
from collections import deque
from collections.abc import Generator
from pathlib import Path
from typing import Any

from inphotos.core.cluster_worker import ClusterWorker
from inphotos.core.control import Control
from inphotos.core.imaging import check_regular_file, fingerprint_bytes
from inphotos.core.pipeline import Decoded
from inphotos.core.plan import Work
from inphotos.errors import ClusterError, DecodeError, LibraryError
from inphotos.ml.models import parse_spec
from inphotos.records import ClusterOptions

log = logging.getLogger(__name__)

#: Batches queued on each worker: one being embedded, one waiting, so none idles.
IN_FLIGHT_PER_WORKER = 2
#: Paths tried on a worker to choose between reading shared files and sending them.
SAMPLE_PATHS = 8
#: A batch whose worker died this many times is given up for this run (tried next run).
MAX_TRIES = 3
#: How long the first worker may take to start and load the model.
READY_TIMEOUT_S = 600.0

_connected: str | None = None


def _ray() -> Any:
    try:
        import ray
    except ImportError as e:
        raise ClusterError(
            "Indexing on a cluster needs Ray, which is not installed: "
            "pip install 'inphotos[cluster]'"
        ) from e
    return ray


def connect(address: str) -> Any:
    """Join the Ray cluster at `address` (once per process; another address reconnects)."""
    global _connected
    ray = _ray()
    if ray.is_initialized() and _connected == address:
        return ray
    if ray.is_initialized():
        ray.shutdown()
    probe(address)
    try:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, RuntimeError, TimeoutError, ValueError, OSError) as e:
        where = "$RAY_ADDRESS" if address == "auto" else address
        raise ClusterError(f"Could not reach the Ray cluster at {where}: {e}") from e
    _connected = address
    return ray


def probe(address: str, timeout_s: float = 5.0) -> None:
    """Refuse at once an address where nothing listens (Ray itself waits minutes for it)."""
    if address == "auto":
        address = os.environ.get("RAY_ADDRESS", "")
        if not address:
            return  # Ray looks for a cluster started on this machine, and says so quickly
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"Not a Ray cluster address: {address!r} (HOST:PORT, ray://HOST:PORT or auto)")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except OSError as e:
        raise ClusterError(
            f"Nothing answers at {address} ({e.strerror or e}): is the Ray head running there "
            "(ray start --head) and its port open?"
        ) from e


def disconnect() -> None:
    """Leave the cluster (tests; the app stays joined until it quits)."""
    global _connected
    if _connected is not None:
        _ray().shutdown()
        _connected = None


def model_files(model: str) -> dict[str, bytes] | None:
    """A `local-dir:` model's files, to ship to the workers once; None for other models."""
    spec = parse_spec(model)
    if spec.kind != "local-dir":
        return None
    folder = Path(spec.arch[len("local-dir:"):])
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def read_to_send(work: Work) -> tuple[Decoded, bytes | None]:
    """Read a file to send it: what the store keeps about it, and its bytes (None: `error`)."""
    out = Decoded(work)
    path = work.entry.path
    try:
        before = check_regular_file(path)
        with open(path, "rb") as f:
            data = f.read()
        after = check_regular_file(path)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) \
                or len(data) != after.st_size:
            out.error, out.retry_later = "changed while being read; indexed on the next scan", True
            return out, None
    except DecodeError as e:
        out.error, out.retry_later = str(e), e.retry_later
        return out, None
    except FileNotFoundError:
        out.error, out.retry_later = "deleted while being indexed", True
        return out, None
    except OSError as e:
        out.error = f"cannot read the file: {e.strerror or e}"
        return out, None
    out.fingerprint, out.size, out.mtime_ns = fingerprint_bytes(data), after.st_size, after.st_mtime_ns
    out.ctime_ns = getattr(after, "st_ctime_ns", 0)
    return out, data


class ClusterRun:
    """One indexing run's workers on the cluster: `start`, then `batches`, then `close`."""

    def __init__(self, options: ClusterOptions, model: str, precision: str, batch_size: int,
                 want_thumbnails: bool) -> None:
        self.options = options
        self.model = model
        self.precision = precision
        self.batch_size = max(1, batch_size)
        self.want_thumbnails = want_thumbnails
        self.read = options.read
        self.lost_batches = 0
        self._ray: Any = None
        self._actor_cls: Any = None
        self._files_ref: Any = None
        self._threads = 1
        self._ready: dict[int, Any] = {}  # slot -> actor that answered info()
        self._starting: dict[Any, tuple[int, Any]] = {}  # info() ref -> (slot, actor)
        self._infos: dict[int, dict[str, Any]] = {}
        self._next_slot = 0
        self._replacements = 0
        self._per_worker = 0
        self._failed_start: BaseException | None = None

    # ------------------------------------------------------------------ start

    def start(self, todo: list[Work], dims: int, control: Control | None = None) -> None:
        """Join the cluster, start the workers, check they match, choose how they read
        (a cancel while the workers load the model is raised by `control`)."""
        ray = self._ray = connect(self.options.address)
        resources = ray.cluster_resources()
        gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 0))
        batches = max(1, math.ceil(len(todo) / self.batch_size))
        if gpus:
            count, opts = min(gpus, batches), {"num_gpus": 1, "num_cpus": 1}
            self._threads = max(1, cpus // gpus - 1)
        elif cpus:
            count, opts = min(cpus, batches), {"num_cpus": 1}
        else:
            raise ClusterError(f"The Ray cluster at {self.options.address} has no CPU or GPU to use")
        files = model_files(self.model)
        self._files_ref = ray.put(files) if files is not None else None
        self._actor_cls = ray.remote(max_restarts=0)(ClusterWorker).options(**opts)
        self._per_worker = math.ceil(len(todo) / count)
        for _ in range(count):
            self._start_actor()
        self._wait_first(READY_TIMEOUT_S, control or Control())
        info = next(iter(self._infos.values()))
        from inphotos import __version__

        if info["version"] != __version__:
            raise ClusterError(f"The cluster's workers run InPhotos {info['version']}, this computer "
                               f"{__version__}: install the same version on every worker")
        if info["dims"] != dims:
            raise LibraryError(f"The model on the cluster gives {info['dims']}-dimensional vectors "
                               f"but this library's database holds {dims}.")
        self.read = self._choose_read(todo)
        log.info("Indexing %d photos on %s", len(todo), self.describe())

    def _start_actor(self) -> None:
        actor = self._actor_cls.remote(self.model, self._files_ref, self.precision,
                                       self.want_thumbnails, self._threads)
        self._starting[actor.info.remote()] = (self._next_slot, actor)
        self._next_slot += 1

    def _admit(self, timeout: float = 0.0) -> None:
        """Take in the workers that finished loading the model; drop those that failed."""
        if not self._starting:
            return
        done, _ = self._ray.wait(list(self._starting), num_returns=1, timeout=timeout)
        for ref in done:
            slot, actor = self._starting.pop(ref)
            try:
                self._infos[slot] = self._ray.get(ref)
            except Exception as e:  # the worker could not start: its reason, once none can
                self._failed_start = e
                log.warning("A cluster worker could not start: %s", e)
                self._ray.kill(actor)
                continue
            self._ready[slot] = actor
            self._actor_prepare(actor)

    def _actor_prepare(self, actor: Any) -> None:
        actor.prepare.remote(self._per_worker, self.batch_size)

    def _wait_first(self, timeout_s: float, control: Control) -> None:
        deadline = time.monotonic() + timeout_s
        while not self._ready and self._starting and time.monotonic() < deadline:
            control.checkpoint()
            self._admit(timeout=min(1.0, max(0.0, deadline - time.monotonic())))
        if not self._ready:
            reason = self._failed_start
            if reason is None:
                raise ClusterError(f"No worker of the Ray cluster at {self.options.address} "
                                   f"started within {timeout_s:.0f} s (are its CPUs busy?)")
            raise ClusterError(f"The cluster's workers could not load InPhotos or the model "
                               f"(install 'inphotos[cluster]' of this version on every worker): "
                               f"{_gist(reason)}") from reason

    def _choose_read(self, todo: list[Work]) -> str:
        if self.read == "send" or not todo:
            return "send" if self.read == "send" else "shared"
        step = max(1, len(todo) // SAMPLE_PATHS)
        sample = [(self.options.remote_path(w.entry.path), w.entry.size) for w in todo[::step]]
        actor = next(iter(self._ready.values()))
        readable = self._ray.get(actor.can_read.remote(sample[:SAMPLE_PATHS]))
        if all(readable):
            return "shared"
        if self.read == "shared":
            missing = next(p for (p, _), ok in zip(sample, readable, strict=True) if not ok)
            raise ClusterError(f"The cluster's workers cannot read {missing}: map the folders "
                               "with --path-map LOCAL=REMOTE, or send the photos (--cluster-read send)")
        return "send"

    def describe(self) -> str:
        """In words, for the report: where, how many workers, on what, and how they read."""
        infos = list(self._infos.values())
        devices = sorted({f"{i['device']} {i['precision']}" for i in infos}) or ["?"]
        how = ("read by the workers from shared folders" if self.read == "shared"
               else "sent from this computer")
        lost = f", {self.lost_batches} batch(es) redone after a worker was lost" if self.lost_batches else ""
        return (f"Ray cluster at {self.options.address}: {len(infos)} worker(s) "
                f"({', '.join(devices)}), photos {how}{lost}")

    def worker_pids(self) -> list[int]:
        """The process ids of the workers (for tests that kill one)."""
        return [self._infos[s]["pid"] for s in self._ready]

    # ------------------------------------------------------------------ run

    def batches(self, todo: list[Work], control: Control) -> Generator[list[Decoded], None, None]:
        """Embed `todo` on the workers; yields batches as they come back (any order).

        A pause stops sending (the batches in flight still come back); a cancel, raised by
        `control.checkpoint()`, drops them.
        """
        ray = self._ray
        queue: deque[tuple[list[Work], int]] = deque(
            (todo[i:i + self.batch_size], 0) for i in range(0, len(todo), self.batch_size))
        pending: dict[Any, tuple[int, list[Work], int, list[Decoded]]] = {}
        load = dict.fromkeys(self._ready, 0)
        while queue or pending:
            control.checkpoint()
            self._admit()
            for slot in self._ready:
                load.setdefault(slot, 0)
            for slot, actor in list(self._ready.items()):
                while queue and load[slot] < IN_FLIGHT_PER_WORKER:
                    chunk, tries = queue.popleft()
                    items, local_errors = self._items(chunk)
                    pending[actor.embed.remote(items)] = (slot, chunk, tries, local_errors)
                    load[slot] += 1
            if not pending:
                if not self._ready and not self._starting:
                    raise ClusterError("Every worker of the Ray cluster was lost; "
                                       "the photos indexed so far are kept")
                time.sleep(0.05)
                continue
            done, _ = ray.wait(list(pending), num_returns=1, timeout=0.2)
            for ref in done:
                slot, chunk, tries, local_errors = pending.pop(ref)
                load[slot] -= 1
                try:
                    results: list[Decoded] = ray.get(ref)
                except _lost_errors(ray) as e:
                    self._lose(slot, e)
                    if tries + 1 < MAX_TRIES:
                        queue.appendleft((chunk, tries + 1))
                    else:
                        yield [Decoded(w, error="the cluster's workers kept failing on this batch; "
                                                "tried again on the next scan", retry_later=True)
                               for w in chunk]
                    continue
                yield results + local_errors

    def _items(self, chunk: list[Work]) -> tuple[list[tuple[Decoded, str | bytes]], list[Decoded]]:
        """What a worker gets for `chunk`: paths (shared) or bytes (send); and local failures."""
        if self.read == "shared":
            return [(Decoded(w), self.options.remote_path(w.entry.path)) for w in chunk], []
        items: list[tuple[Decoded, str | bytes]] = []
        errors = []
        for w in chunk:
            d, data = read_to_send(w)
            if data is None:
                errors.append(d)
            else:
                items.append((d, data))
        return items, errors

    def _lose(self, slot: int, error: BaseException) -> None:
        """A worker died (its process, or its node): forget it and start another."""
        self.lost_batches += 1
        actor = self._ready.pop(slot, None)
        if actor is None:
            return
        log.warning("A cluster worker was lost (%s); its batches go to another", _gist(error))
        try:
            self._ray.kill(actor)
        except Exception as e:  # already gone with its node
            log.debug("Killing a lost worker: %s", e)
        if self._replacements < 2 * max(1, self._next_slot):
            self._replacements += 1
            self._start_actor()

    def close(self) -> None:
        """Stop this run's workers (the batches still in flight are dropped)."""
        if self._ray is None:
            return
        for actor in [*self._ready.values(), *(a for _, a in self._starting.values())]:
            try:
                self._ray.kill(actor)
            except Exception as e:
                log.debug("Stopping a cluster worker: %s", e)
        self._ready.clear()
        self._starting.clear()

    def __enter__(self) -> ClusterRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _lost_errors(ray: Any) -> tuple[type[BaseException], ...]:
    """The errors that mean a worker (or its node, or a result) was lost, not a bug."""
    ex = ray.exceptions
    names = ("RayActorError", "ActorDiedError", "ActorUnavailableError", "WorkerCrashedError",
             "NodeDiedError", "ObjectLostError", "OwnerDiedError")
    return tuple(getattr(ex, n) for n in names if hasattr(ex, n))


def _gist(error: BaseException) -> str:
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    return lines[-1] if lines else type(error).__name__
