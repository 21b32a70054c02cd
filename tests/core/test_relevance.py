"""The relevance cut-off rule on constructed score distributions (core/relevance.py)."""

from __future__ import annotations

import numpy as np
import pytest

from inphotos.core.relevance import (
    MIN_SPREAD,
    MIN_Z,
    Calibration,
    QueryScale,
    background,
    calibrate,
    scale_for,
    split,
)

DIMS = 256
N = 5000


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def noise_library() -> tuple[np.ndarray, Calibration]:
    """5000 CLIP-like photos (a shared direction plus noise) and their calibration."""
    rng = np.random.default_rng(3)
    common = _unit(rng.normal(size=DIMS))
    lib = _unit(common + 0.9 * _unit(rng.normal(size=(N, DIMS))))
    captions = _unit(common + 0.9 * _unit(rng.normal(size=(8, DIMS))))
    sample = lib[:2000]
    cal = calibrate(captions, sample, lambda v: float((lib @ v).max()), N)
    return lib, cal


def _scores(lib: np.ndarray, q: np.ndarray, cal: Calibration) -> tuple[list[float], QueryScale]:
    return (lib @ q).tolist(), scale_for(q, lib[:2000], cal)


def test_calibration_measures_how_far_noise_stands_out(noise_library) -> None:
    _, cal = noise_library
    # The best of 5000 Gaussian-like scores lies ~3.5 spreads out; the rule adds a margin.
    assert 3.5 < cal.z_noise < 6.0
    assert cal.z_cut == max(cal.z_noise, MIN_Z)


def test_clear_winners_match_and_nothing_else(noise_library) -> None:
    lib, cal = noise_library
    rng = np.random.default_rng(5)
    q = _unit(lib[:100].mean(axis=0) + 0.5 * _unit(rng.normal(size=DIMS)))
    winners = _unit(q + 0.8 * _unit(rng.normal(size=(12, DIMS))))
    scores, scale = _scores(np.vstack([lib, winners]), q, cal)
    matched, _ = split(scores, scale)
    assert matched == 12
    assert all(s >= scale.cutoff for s in scores[-12:])
    assert all(scale.strength(s) >= 0.5 for s in scores[-12:])


def test_no_winners_no_matches(noise_library) -> None:
    lib, cal = noise_library
    rng = np.random.default_rng(6)
    for _ in range(20):  # queries about nothing in particular in this library
        q = _unit(lib[:100].mean(axis=0) + 0.9 * _unit(rng.normal(size=DIMS)))
        scores, scale = _scores(lib, q, cal)
        assert split(scores, scale)[0] == 0
        assert max(scale.strength(s) for s in scores) < 0.5


def test_all_similar_scores_no_matches() -> None:
    scores = np.full(3000, 0.21) + np.random.default_rng(1).normal(0, 1e-5, 3000)
    median, spread = background(scores)
    assert spread == MIN_SPREAD  # a flat distribution does not turn noise into matches
    scale = QueryScale(median, spread, Calibration(4.0, 3000).z_cut)
    assert split(scores.tolist(), scale) == (0, 0)


def test_strength_is_half_at_the_cutoff_and_caps_at_one() -> None:
    scale = QueryScale(0.2, 0.01, 4.0)
    assert scale.cutoff == pytest.approx(0.24)
    assert scale.weak == pytest.approx(0.22)
    assert scale.strength(scale.cutoff) == pytest.approx(0.5)
    assert scale.strength(0.28) == pytest.approx(1.0)
    assert scale.strength(0.9) == 1.0
    assert scale.strength(0.1) == 0.0
    assert split([0.25, 0.245, 0.23, 0.225, 0.21], scale) == (2, 2)


def test_a_tiny_library_never_cuts_below_the_floor() -> None:
    cal = calibrate(np.eye(4, dtype=np.float32), np.eye(4, dtype=np.float32), lambda v: 1.0, 4)
    assert cal.z_cut >= MIN_Z
