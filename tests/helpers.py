"""Test helpers shared across the engine tests (fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inphotos.core.imaging import PixelSpec
from inphotos.core.protocols import Embedder


class CountingEmbedder:
    """Wraps a real embedder and counts the images it embeds (to prove "no re-embedding")."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.dims = inner.dims
        self.pixel_spec: PixelSpec = inner.pixel_spec
        self.images = 0

    @property
    def name(self) -> str:
        return self.inner.name

    def encode_pixels(self, batch: np.ndarray) -> np.ndarray:
        self.images += len(batch)
        return self.inner.encode_pixels(batch)

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_text(texts)


def tree_state(root: Path) -> dict[bytes, tuple[str, int]]:
    """Every entry under `root` (as raw bytes, so odd names count too) -> (sha1, mtime_ns).

    Folders map to ("dir", mtime_ns): a file created and deleted inside one still shows.
    """
    state: dict[bytes, tuple[str, int]] = {}
    broot = os.fsencode(root)
    for dirpath, dirnames, filenames in os.walk(broot):
        for name in dirnames:
            p = os.path.join(dirpath, name)
            state[os.path.relpath(p, broot)] = ("dir", os.lstat(p).st_mtime_ns)
        for name in filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if os.path.islink(p):
                state[os.path.relpath(p, broot)] = ("link:" + os.fsdecode(os.readlink(p)), st.st_mtime_ns)
                continue
            with open(p, "rb") as f:
                digest = hashlib.sha1(f.read()).hexdigest()
            state[os.path.relpath(p, broot)] = (digest, st.st_mtime_ns)
    state[b"."] = ("dir", os.lstat(broot).st_mtime_ns)
    return state


def reap(proc: subprocess.Popen[Any]) -> None:
    """Make sure a child process is gone and its pipes closed (after a test, pass or fail)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def weights_file(model_folder: Path) -> Path:
    """The weights file in a model folder made by `inphotos.ml.tiny_model`."""
    return next(p for p in model_folder.iterdir() if p.suffix in (".safetensors", ".bin"))


def running_pool_jobs(wait_s: float = 0.0) -> dict[str, int]:
    """Jobs running on any `Runner` pool, by runner name, after waiting up to `wait_s` for none.

    Python's thread list cannot see QThreadPool workers; the runner counts its jobs instead.
    """
    from inphotos.workers.runner import running_jobs

    deadline = time.monotonic() + wait_s
    while (jobs := running_jobs()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return jobs
