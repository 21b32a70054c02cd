"""A real Ray cluster on this machine for the cluster tests: a head bound to 127.0.0.1 with two
CPU slots (two workers), a temporary folder of its own, stopped after the module.

Its workers import this checkout (PYTHONPATH), as workers with `inphotos[cluster]` would.
Every test here is skipped, with the reason, when Ray is not installed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def ray_head() -> Iterator[str]:
    """The address of a running local Ray head (2 CPUs, no GPU, no dashboard)."""
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'inphotos[cluster]'")
    from inphotos.core import cluster

    # A short folder: Ray's Unix sockets live under it and their paths are limited in length.
    tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    port = _free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    ray_cli = Path(sys.executable).parent / "ray"
    log_file = open(Path(tmp) / "head.log", "w+b")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [str(ray_cli), "start", "--head", "--block", "--node-ip-address=127.0.0.1",
         f"--port={port}", "--num-cpus=2", "--num-gpus=0", f"--temp-dir={tmp}",
         "--include-dashboard=false", "--disable-usage-stats", "--object-store-memory=200000000"],
        env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while b"Ray runtime started" not in Path(log_file.name).read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the Ray head did not start:\n" + Path(log_file.name).read_text(errors="replace"))
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        cluster.disconnect()
        _stop_group(proc)
        log_file.close()
        subprocess.run(["rm", "-rf", tmp], check=False)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """End the head and every process it started (its own process group, nothing else)."""
    try:
        os.killpg(proc.pid, signal.SIGINT)  # `ray start --block` stops its processes on Ctrl-C
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run only when asked for (`make test-cluster`, i.e. `-m cluster`): too slow for make test."""
    if "cluster" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="starts a Ray cluster: run with make test-cluster (-m cluster)")
    for item in items:
        if "cluster" in item.keywords:
            item.add_marker(skip)
