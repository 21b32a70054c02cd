"""Indexing through a real Ray cluster on this machine: the same index as local indexing, in
both read modes; a worker killed mid-run; a run stopped mid-way and resumed.

Slow (the head starts in seconds, each run starts two workers that load the tiny model), so
marked `cluster`: `make test-cluster` runs them.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest

from inphotos.core.control import Control
from inphotos.paths import AppPaths, app_paths
from inphotos.records import ClusterOptions, IndexProgress
from tests.conftest import make_photo
from tests.helpers import CountingEmbedder

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


@pytest.fixture
def cluster_library(tmp_path: Path, tiny_model: str, counter: CountingEmbedder):
    """A second library of the same photos, indexed through the cluster (the local model
    counts what it embeds: nothing, when the cluster does it)."""
    from inphotos.core.library import Library

    libs = []

    def make(options: ClusterOptions, batch_size: int = 4) -> Library:
        home: AppPaths = app_paths(tmp_path / f"cluster-home-{len(libs)}").ensure()
        lib = Library(home, model=tiny_model, embedder_factory=lambda: counter,
                      precision="fp32", batch_size=batch_size)
        lib.cluster = options
        libs.append(lib)
        return lib

    yield make
    for lib in libs:
        lib.close()


def _vectors(lib) -> dict[str, np.ndarray]:
    return {r.path: r.embedding for r in lib.store.all_photos(with_embedding=True)}


@pytest.mark.parametrize("mode", ["shared", "shared-mapped", "auto-unreadable"])
def test_the_cluster_index_equals_the_local_one(
    mode: str, ray_head: str, library, photos_indexed, photos: Path, tmp_path: Path,
    counter: CountingEmbedder, cluster_library,
) -> None:
    if mode == "shared-mapped":  # the workers see the folder under another name
        elsewhere = tmp_path / "mnt-photos"
        elsewhere.symlink_to(photos)
        options = ClusterOptions(ray_head, "shared", ((str(photos), str(elsewhere)),))
    elif mode == "auto-unreadable":  # the workers cannot see the files: they are sent
        options = ClusterOptions(ray_head, "auto", ((str(photos), "/nonexistent/photos"),))
    else:
        options = ClusterOptions(ray_head, mode)
    lib = cluster_library(options)
    lib.add_folder(photos)

    report = lib.index()

    expected = "sent from this computer" if mode == "auto-unreadable" else "shared folders"
    assert expected in report.engine
    assert "worker(s) (cpu fp32)" in report.engine
    assert (report.added, report.skipped, report.cancelled) == (12, [], False)
    assert counter.images == 0  # this computer embedded nothing
    local, remote = _vectors(library), _vectors(lib)
    assert set(remote) == set(local)
    for path, vec in local.items():
        assert float(np.dot(vec, remote[path])) >= 0.999, path
    by_path = {r.path: r for r in library.store.all_photos()}
    for r in lib.store.all_photos():
        mine = by_path[r.path]
        assert (r.fingerprint, r.width, r.height, r.size, r.mtime_ns, r.taken_ms) == (
            mine.fingerprint, mine.width, mine.height, mine.size, mine.mtime_ns, mine.taken_ms)
        thumb = lib.thumbs.get(r.path, r.mtime_ns, r.size)
        assert thumb is not None, r.path
        assert thumb.read_bytes()[:2] == b"\xff\xd8", r.path


def test_the_command_line_indexes_through_the_cluster_sending_the_photos(
    ray_head: str, library, photos_indexed, photos: Path, tmp_path: Path, tiny_model: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from inphotos import cli
    from inphotos.core.library import Library

    home = tmp_path / "cli-home"
    rc = cli.main(["--home", str(home), "--model", tiny_model, "--precision", "fp32", "index",
                   str(photos), "--cluster", ray_head, "--cluster-read", "send", "--json"])
    report = json.loads(capsys.readouterr().out)

    assert rc == 0
    assert report["added"] == 12
    assert report["engine"].startswith(f"Ray cluster at {ray_head}: ")
    assert report["engine"].endswith("photos sent from this computer")
    with Library(app_paths(home), model=tiny_model, precision="fp32") as lib:
        remote = _vectors(lib)
    for path, vec in _vectors(library).items():
        assert float(np.dot(vec, remote[path])) >= 0.999, path


def test_a_worker_killed_mid_run_costs_only_its_batches(
    ray_head: str, tmp_path: Path, cluster_library, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from inphotos.core import cluster

    root = tmp_path / "many"
    for i in range(40):
        make_photo(root / f"p{i:02d}.jpg", seed=100 + i, size=(96, 72))
    runs: list[cluster.ClusterRun] = []
    start = cluster.ClusterRun.start

    def remember(self: cluster.ClusterRun, *args: object) -> None:
        runs.append(self)
        start(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(cluster.ClusterRun, "start", remember)
    killed: list[int] = []

    def kill_one(p: IndexProgress) -> None:
        if p.phase == "embedding" and p.done > 0 and not killed:
            killed.append(runs[0].worker_pids()[0])
            os.kill(killed[0], signal.SIGKILL)

    lib = cluster_library(ClusterOptions(ray_head, "shared"), batch_size=2)
    lib.add_folder(root)
    report = lib.index(progress=kill_one)

    assert killed, "no worker was killed: the run ended before the first batch was written"
    assert runs[0].lost_batches >= 1
    assert (report.added, report.skipped, report.cancelled) == (40, [], False)
    stored = [r.path for r in lib.store.all_photos()]
    assert sorted(stored) == sorted(str(p) for p in root.iterdir())  # each once


def test_a_stopped_run_resumes_without_embedding_anything_twice(
    ray_head: str, photos: Path, cluster_library,
) -> None:
    control = Control()

    def stop_after_two_batches(p: IndexProgress) -> None:
        if p.phase == "embedding" and p.done >= 4:
            control.cancel()

    lib = cluster_library(ClusterOptions(ray_head, "send"), batch_size=2)
    lib.add_folder(photos)
    first = lib.index(progress=stop_after_two_batches, control=control)
    assert first.cancelled
    assert 0 < first.embedded < 12
    kept = {r.path: r.id for r in lib.store.all_photos()}

    second = lib.index()

    assert not second.cancelled
    assert second.embedded == 12 - first.embedded  # only what the first run left
    assert (second.added, second.updated) == (12 - first.embedded, 0)
    after = {r.path: r.id for r in lib.store.all_photos()}
    assert len(after) == 12
    assert all(after[p] == i for p, i in kept.items())  # the first run's rows untouched
