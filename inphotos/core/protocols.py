"""What the engine needs from a model, so tests and benchmarks can pass their own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from inphotos.ml.pixels import PixelSpec


class Embedder(Protocol):
    """Turns pixels and text into L2-normalised float32 vectors of `dims` values."""

    dims: int
    pixel_spec: PixelSpec

    @property
    def name(self) -> str: ...

    def encode_pixels(self, batch: np.ndarray) -> np.ndarray: ...

    def encode_text(self, texts: Sequence[str]) -> np.ndarray: ...


class TextEncoder(Protocol):
    """Turns text into L2-normalised float32 vectors (a full `Embedder` is one too)."""

    def encode_text(self, texts: Sequence[str]) -> np.ndarray: ...
