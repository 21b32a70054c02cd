"""Keeping the Hugging Face hub offline unless something really has to be downloaded.

huggingface_hub (and transformers through it) asks the hub whether a cached file is still the
newest one every time a model loads. InPhotos promises that nothing leaves the machine except
the one-time model download, so a model is first loaded from the cache alone; only when a
file is missing does the load go online, which is that download.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


@contextlib.contextmanager
def hub_offline() -> Iterator[None]:
    """Make huggingface_hub and transformers use their caches only, for the duration."""
    try:
        from huggingface_hub import constants
    except ImportError:  # pragma: no cover - open_clip depends on it
        yield
        return
    before = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = before


def cache_first(load: Callable[[], T], may_download: bool) -> T:
    """`load()` from the caches alone; if that fails and `may_download`, once more online."""
    try:
        with hub_offline():
            return load()
    except Exception as e:
        if not may_download:
            raise
        log.info("Not everything the model needs is cached (%s); loading it online", e)
    return load()
