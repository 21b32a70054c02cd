"""Shared fixtures: a tiny real open_clip model, generated photos, an isolated InPhotos home."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt
# Nothing a test does may land in the real user's folders (caches, verdicts, settings).
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="inphotos-tests-data-")
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="inphotos-tests-cache-")
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="inphotos-tests-config-")
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="inphotos-tests-state-")

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inphotos.paths import AppPaths, app_paths
from tests.helpers import CountingEmbedder, running_pool_jobs


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A `local-dir:` spec for a tiny open_clip model with random weights (built once)."""
    from inphotos.ml.tiny_model import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny-model") / "tiny")


@pytest.fixture(scope="session")
def tiny_embedder(tiny_model: str):
    """The tiny model loaded through the real ClipEmbedder (shared: loading costs seconds)."""
    from inphotos.ml.embedder import ClipEmbedder

    # fp32 everywhere: "auto" picks bf16 on CPUs with native bf16, so the same test would
    # run different arithmetic on different machines. Tests about precision build their own.
    emb = ClipEmbedder(tiny_model, precision="fp32")
    assert emb.precision == "fp32"
    return emb


@pytest.fixture
def home(tmp_path: Path) -> AppPaths:
    """An isolated InPhotos home (database, thumbnails, settings, logs)."""
    return app_paths(tmp_path / "home").ensure()


def make_photo(path: Path, seed: int, size: tuple[int, int] = (320, 240), fmt: str = "JPEG",
               **save: object) -> Path:
    """A photo-like picture: smooth gradients plus noise, different for each seed."""
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.random(3) * 255
    gx, gy = rng.random(3) * 2 - 1, rng.random(3) * 2 - 1
    img = base + xx[..., None] * gx * 255 / w + yy[..., None] * gy * 255 / h
    img += rng.normal(0, 12, (h, w, 3))
    arr = np.clip(img, 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path, fmt, **save)
    return path


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """A folder of 12 generated JPEGs, some in a subfolder."""
    root = tmp_path / "photos"
    for i in range(12):
        sub = root / "trip" if i % 3 == 0 else root
        make_photo(sub / f"img_{i:02d}.jpg", seed=i)
    return root


@pytest.fixture
def counter(tiny_embedder) -> CountingEmbedder:
    """The tiny embedder, counting the images it embeds (the `library` fixture uses it)."""
    return CountingEmbedder(tiny_embedder)


@pytest.fixture
def library(home: AppPaths, tiny_model: str, counter: CountingEmbedder) -> Iterator:
    """A Library on the tiny model (sharing the already-loaded embedder, through `counter`)."""
    from inphotos.core.library import Library

    lib = Library(home, model=tiny_model, embedder_factory=lambda: counter, workers=2, precision="fp32")
    yield lib
    lib.close()


@pytest.fixture
def photos_indexed(library, counter: CountingEmbedder, photos: Path) -> None:
    """`photos` added to `library` and indexed; `counter` reset to count only what comes next."""
    library.add_folder(photos)
    library.index()
    counter.images = 0


@pytest.fixture(autouse=True)
def _no_dangling_threads() -> Iterator[None]:
    """Fail a test that leaves a thread of its own or a pool job running (napari does the same)."""
    before = set(threading.enumerate())
    yield
    # Closing the window abandons work in flight (the app then ends its process, as a kill
    # would): a job that ends by itself moments later is not a leak; one still running after
    # a few seconds is (a stuck job, or a Runner never shut down).
    jobs = running_pool_jobs(wait_s=5)
    assert not jobs, f"pool jobs left running (shut their Runner down): {jobs}"
    leftover = [
        t for t in threading.enumerate()
        if t not in before and t.is_alive() and not t.daemon and t.name.startswith(("decode", "inphotos"))
    ]
    for t in leftover:
        t.join(timeout=5)
    still = [t.name for t in leftover if t.is_alive()]
    assert not still, f"threads left running: {still}"
