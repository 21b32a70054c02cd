"""The relevance cut-off: which photos match a query, and how strongly.

CLIP scores (cosines) are not comparable between queries or models: one description scores
every photo near 0.25, another near 0.15, and a photo that matches stands out by a few
hundredths. So no constant threshold works; the rule looks at how a photo stands out from
the query's own background, and at how far pure noise stands out in this library with this
model:

1. Background of a query: its scores over a fixed random sample of the library (up to
   SAMPLE_SIZE photos). Their median `m` and robust spread `d` (1.4826 × the median absolute
   deviation, at least MIN_SPREAD) say how the query scores a photo that has nothing to do
   with it. A photo's standing is `z = (score - m) / d`.
2. Calibration, once per library and model (`calibrate`): generic captions ("a photo", "an
   image", ...) describe nothing in particular, so their best photo in the library shows how
   far a photo stands out by chance alone. Each caption's best photo is found in the whole
   library (the extreme of noise grows with the library's size, and this follows it) and
   its `z` taken against the caption's own background; the noise level `Z` is their median
   plus NOISE_MARGIN (the best of pure noise varies little from query to query, about a
   quarter of a spread, so one spread more leaves a query that matches nothing empty).
3. The cut-off: a photo matches when `z >= max(Z, MIN_Z)`, that is when it stands out more
   than the best photo of a caption that describes nothing. Photos with `z` at least half
   of that are "weaker" matches, shown on request (`--all`).
4. Strength, for people: `0.5 * z / z_cut`, clipped to 0..1: 50 % at the cut-off, 100 %
   twice as far above the background. The raw cosine stays available (`--json`).

A query whose every photo scores alike (nothing stands out) has no matches, which is the
honest answer; `--all` still ranks everything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

SAMPLE_SIZE = 2000
MIN_SPREAD = 1e-3
#: The lowest cut-off in background spreads, whatever the calibration says: a library of a
#: few photos, or captions that happen to match, must not make everything a match.
MIN_Z = 3.0
NOISE_MARGIN = 1.0
#: Weaker matches start at this fraction of the cut-off's distance above the background.
WEAK_FRACTION = 0.5
GENERIC_CAPTIONS = (
    "a photo", "an image", "a picture", "a photograph of something", "a snapshot",
    "a digital photo", "an ordinary picture", "a random image",
)


@dataclass(frozen=True)
class Calibration:
    """The noise level `z_noise` of one library with one model (see the module docstring)."""

    z_noise: float
    photos: int  # library size when measured; a much bigger library is measured again

    @property
    def z_cut(self) -> float:
        return max(self.z_noise, MIN_Z)


@dataclass(frozen=True)
class QueryScale:
    """One query's background and cut-off, in raw cosine terms."""

    median: float
    spread: float
    z_cut: float

    @property
    def cutoff(self) -> float:
        return self.median + self.z_cut * self.spread

    @property
    def weak(self) -> float:
        return self.median + WEAK_FRACTION * self.z_cut * self.spread

    def strength(self, score: float) -> float:
        """0..1: 0.5 at the cut-off, 1 at twice its distance above the background."""
        z = (score - self.median) / self.spread
        return float(min(1.0, max(0.0, 0.5 * z / self.z_cut)))


def background(scores: np.ndarray) -> tuple[float, float]:
    """(median, robust spread) of a query's scores over the background sample."""
    if len(scores) == 0:
        return 0.0, 1.0
    median = float(np.median(scores))
    mad = float(np.median(np.abs(scores - median)))
    return median, max(1.4826 * mad, MIN_SPREAD)


def scale_for(vector: np.ndarray, sample: np.ndarray, calibration: Calibration) -> QueryScale:
    """The cut-off of the query `vector` against the library's background `sample` (rows)."""
    # einsum, not BLAS: a threaded BLAS spins its threads for a product this small (~10x the CPU).
    median, spread = background(np.einsum("ij,j->i", sample, np.asarray(vector, np.float32).reshape(-1)))
    return QueryScale(median, spread, calibration.z_cut)


def calibrate(
    caption_vectors: np.ndarray,
    sample: np.ndarray,
    best_score: Callable[[np.ndarray], float | None],
    photos: int,
) -> Calibration:
    """Measure how far the best photo of a generic caption stands out by chance.

    Args:
        caption_vectors: the generic captions encoded by the model, one row each.
        sample: the library's background sample (unit vectors, one row per photo).
        best_score: the top score of a vector over the whole library (None: empty library).
        photos: the library's size now.
    """
    zs: list[float] = []
    for vec in caption_vectors:
        top = best_score(vec)
        if top is None:
            continue
        median, spread = background(sample @ vec)
        zs.append((top - median) / spread)
    z_noise = float(np.median(zs)) + NOISE_MARGIN if zs else MIN_Z
    log.info("Relevance calibration over %d photos: noise stands out by %.2f spreads", photos, z_noise)
    return Calibration(z_noise, photos)


def split(scores: list[float], scale: QueryScale) -> tuple[int, int]:
    """(matches, weaker) among `scores`."""
    matched = sum(1 for s in scores if s >= scale.cutoff)
    weaker = sum(1 for s in scores if scale.weak <= s < scale.cutoff)
    return matched, weaker
