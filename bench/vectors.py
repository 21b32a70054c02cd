"""Synthetic CLIP-like embeddings for search at scale.

Real CLIP image embeddings are not uniform on the sphere: they share a common direction
(any two photos have cosine ~0.4) and gather in clusters (beaches, cats, documents). These
vectors copy that shape, which is what HNSW recall and speed depend on.
"""

from __future__ import annotations

import numpy as np


class ClusteredVectors:
    """A reproducible stream of unit vectors drawn around `clusters` centres."""

    def __init__(self, dims: int = 512, clusters: int = 2000, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.dims = dims
        common = rng.standard_normal(dims).astype(np.float32)
        common /= np.linalg.norm(common)
        centres = rng.standard_normal((clusters, dims)).astype(np.float32)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        self.centres = 1.0 * common + centres
        self.seed = seed

    def batch(self, start: int, count: int) -> np.ndarray:
        """Vectors number `start` to `start + count` (the same every run)."""
        rng = np.random.default_rng((self.seed, start))
        which = rng.integers(0, len(self.centres), count)
        noise = rng.standard_normal((count, self.dims)).astype(np.float32) * (0.8 / np.sqrt(self.dims))
        v = self.centres[which] + noise
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        return v.astype(np.float32)

    def queries(self, count: int, seed: int = 99) -> np.ndarray:
        """Query vectors from the same distribution, not in the store."""
        rng = np.random.default_rng(seed)
        which = rng.integers(0, len(self.centres), count)
        noise = rng.standard_normal((count, self.dims)).astype(np.float32) * (0.8 / np.sqrt(self.dims))
        v = self.centres[which] + noise
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
