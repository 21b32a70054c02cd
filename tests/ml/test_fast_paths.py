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


def test_compiled_image_tower_matches_eager_and_is_judged(
    tiny_model, pixels, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("INPHOTOS_HOME", str(tmp_path))
    from inphotos.ml.embedder import ClipEmbedder

    emb = ClipEmbedder(tiny_model)
    eager = emb.encode_pixels(pixels)
    emb.prepare(count=10_000, batch_size=len(pixels))
    tower = emb._compiled
    assert tower is not None
    outputs = [emb.encode_pixels(pixels) for _ in range(5)]  # 2 eager trials, compile, 2 timed
    assert tower._fn is not None or tower.failed
    assert tower.speedup is not None  # measured against the eager trials
    for out in outputs:
        assert (out * eager).sum(axis=1).min() > 0.9999
    assert tower.warm() == (tower.speedup >= tower.MIN_GAIN)
    assert tower.known_slower() == (tower.speedup < tower.MIN_GAIN)
    short = emb.encode_pixels(pixels[:3])  # a short last batch
    assert (short * eager[:3]).sum(axis=1).min() > 0.9999


def test_compiling_that_does_not_pay_is_dropped_and_remembered(
    tiny_model, pixels, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("INPHOTOS_HOME", str(tmp_path))
    from inphotos.ml.embedder import ClipEmbedder
    from inphotos.ml.fast import CompiledImageTower

    monkeypatch.setattr(CompiledImageTower, "MIN_GAIN", 1000.0)  # no compiler is that good
    emb = ClipEmbedder(tiny_model)
    emb.prepare(count=10_000, batch_size=len(pixels))
    for _ in range(5):
        emb.encode_pixels(pixels)
    assert emb._compiled is not None
    assert emb._compiled.failed
    again = ClipEmbedder(tiny_model)
    again.prepare(count=10_000, batch_size=len(pixels))
    assert again._compiled is None  # the next run does not compile again


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
    emb.prepare(count=10_000, batch_size=len(pixels))
    outs = [emb.encode_pixels(pixels) for _ in range(3)]  # two eager trials, then compile fails
    assert emb._compiled is not None
    assert emb._compiled.failed
    for out in outs:
        np.testing.assert_allclose(out, eager, atol=1e-6)


def test_bf16_on_the_cpu_gives_the_fp32_vectors(tiny_model, pixels) -> None:
    """Lower precision may only be used where vectors stay within cosine 0.99 of fp32."""
    from inphotos.ml.embedder import ClipEmbedder

    full = ClipEmbedder(tiny_model, precision="fp32")
    half = ClipEmbedder(tiny_model, precision="bf16")
    assert (half.encode_pixels(pixels) * full.encode_pixels(pixels)).sum(axis=1).min() > 0.99
    assert (half.encode_text(QUERIES) * full.encode_text(QUERIES)).sum(axis=1).min() > 0.99


def test_auto_precision_on_the_cpu_is_fp32_or_measured_bf16(tiny_model, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("INPHOTOS_HOME", str(tmp_path))
    from inphotos.ml.embedder import ClipEmbedder
    from inphotos.ml.fast import bf16_is_faster

    emb = ClipEmbedder(tiny_model, device="cpu")
    assert emb.precision == ("bf16" if bf16_is_faster() else "fp32")
    assert (tmp_path / "cache" / "torch-compile" / "cpu-bf16.verdict").exists()
