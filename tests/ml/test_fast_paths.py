"""The fast paths give the same vectors as open_clip's own: short text pass, compiled tower."""

from __future__ import annotations

import numpy as np
import pytest

QUERIES = [
    "dog catching a frisbee",
    "a",
    "sunset on a beach",
    "the eiffel tower at night with fireworks over the river, seen from a boat",
]


def test_short_text_pass_equals_the_full_77_token_pass(tiny_embedder) -> None:
    assert tiny_embedder._short_text, "the tiny CLIP has a causal text tower"
    fast = tiny_embedder.encode_text(QUERIES)
    full = tiny_embedder.encode_text_reference(QUERIES)
    np.testing.assert_allclose(fast, full, atol=1e-5)
    assert (fast * full).sum(axis=1).min() > 0.99999


def test_short_text_pass_is_refused_without_a_causal_mask() -> None:
    from open_clip.model import CLIP

    from inphotos.ml.fast import short_text_supported
    from inphotos.ml.tiny_model import TINY_CONFIG

    model = CLIP(**TINY_CONFIG)
    assert short_text_supported(model)
    model.attn_mask = None  # a SigLIP-style tower: every token sees every other one
    assert not short_text_supported(model)


@pytest.fixture
def pixels() -> np.ndarray:
    return np.random.default_rng(3).standard_normal((5, 3, 32, 32)).astype(np.float32)


def test_compiled_image_tower_matches_eager(tiny_model, pixels, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("INPHOTOS_HOME", str(tmp_path))
    from inphotos.ml.embedder import ClipEmbedder

    emb = ClipEmbedder(tiny_model)
    eager = emb.encode_pixels(pixels)
    emb.prepare(count=10_000, batch_size=8)
    assert emb._compiled is not None
    compiled = emb.encode_pixels(pixels)  # 5 images padded to the fixed batch of 8
    assert not emb._compiled.failed
    assert compiled.shape == eager.shape
    assert (compiled * eager).sum(axis=1).min() > 0.9999
    assert emb._compiled.warm()  # the next run knows a compiled graph is cached


def test_small_jobs_stay_eager(tiny_model, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("INPHOTOS_HOME", str(tmp_path))
    from inphotos.ml.embedder import ClipEmbedder

    emb = ClipEmbedder(tiny_model)
    emb.prepare(count=20, batch_size=8)
    assert emb._compiled is None


def test_compile_failure_falls_back_to_eager(tiny_model, pixels, tmp_path, monkeypatch) -> None:
    import torch

    monkeypatch.setenv("INPHOTOS_HOME", str(tmp_path))
    from inphotos.ml.embedder import ClipEmbedder

    emb = ClipEmbedder(tiny_model)
    eager = emb.encode_pixels(pixels)

    def no_compiler(*args, **kwargs):
        raise RuntimeError("no C++ compiler")

    monkeypatch.setattr(torch, "compile", no_compiler)
    emb.prepare(count=10_000, batch_size=8)
    out = emb.encode_pixels(pixels)
    assert emb._compiled is not None
    assert emb._compiled.failed
    np.testing.assert_allclose(out, eager, atol=1e-6)
