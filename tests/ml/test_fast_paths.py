"""The fast paths give the same vectors as open_clip's own: short text pass, compiled tower."""

from __future__ import annotations

import shutil

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


def _open_clip_fp32_vectors(spec: str, pixels: np.ndarray) -> np.ndarray:
    """The reference: open_clip's own model, fp32, eager, unit vectors."""
    import open_clip
    import torch

    model = open_clip.create_model(spec, precision="fp32", device="cpu").eval()
    with torch.inference_mode():
        out = model.encode_image(torch.from_numpy(pixels))
        return torch.nn.functional.normalize(out.float(), dim=-1).numpy()


@pytest.mark.skipif(
    not any(shutil.which(cxx) for cxx in ("g++", "clang++", "c++")),
    reason="torch.compile for the CPU needs a C++ compiler",
)
def test_compiled_image_tower_is_used_and_gives_open_clips_vectors(
    tiny_model, pixels, tmp_path, monkeypatch
) -> None:
    import torch

    from inphotos.ml.embedder import ClipEmbedder
    from inphotos.ml.fast import CompiledImageTower

    # Keep the compiled graph whatever the timing (a busy machine can make it look slower);
    # dropping a slow graph is the next test's subject.
    monkeypatch.setattr(CompiledImageTower, "MIN_GAIN", 0.0)
    real_compile = torch.compile
    compiled_runs: list[int] = []

    def counting_compile(module, **kwargs):  # type: ignore[no-untyped-def]
        fn = real_compile(module, **kwargs)

        def run(x):  # type: ignore[no-untyped-def]
            compiled_runs.append(x.shape[0])
            return fn(x)

        return run

    monkeypatch.setattr(torch, "compile", counting_compile)
    reference = _open_clip_fp32_vectors(tiny_model, pixels)

    emb = ClipEmbedder(tiny_model, precision="fp32", cache_dir=tmp_path)
    emb.prepare(count=10_000, batch_size=len(pixels))
    tower = emb._compiled
    assert tower is not None
    outputs = [emb.encode_pixels(pixels) for _ in range(5)]  # 2 eager trials, compile, 2 timed
    assert not tower.failed, "torch.compile failed although a compiler is here (see the log)"
    assert compiled_runs == [len(pixels)] * 3  # batches 3-5 ran the compiled graph
    assert tower.speedup is not None  # judged against the eager trials...
    assert tower.warm()  # ...kept, and remembered for the next run
    short = emb.encode_pixels(pixels[:3])  # a short last batch: padded, same graph
    assert compiled_runs == [len(pixels)] * 4
    for out in [*outputs, short]:
        ref = reference[: len(out)]
        assert (out * ref).sum(axis=1).min() >= 0.99
        # fp32 compiled is the same arithmetic, reordered: far closer than the cosine bound
        # (random tiny-model vectors are so alike that even swapped rows reach cosine 0.98).
        np.testing.assert_allclose(out, ref, atol=1e-4)


def test_compiling_that_does_not_pay_is_dropped_and_remembered(
    tiny_model, pixels, tmp_path, monkeypatch
) -> None:
    from inphotos.ml.embedder import ClipEmbedder
    from inphotos.ml.fast import CompiledImageTower

    monkeypatch.setattr(CompiledImageTower, "MIN_GAIN", 1000.0)  # no compiler is that good
    emb = ClipEmbedder(tiny_model, precision="fp32", cache_dir=tmp_path)
    emb.prepare(count=10_000, batch_size=len(pixels))
    for _ in range(5):
        emb.encode_pixels(pixels)
    assert emb._compiled is not None
    assert emb._compiled.failed
    again = ClipEmbedder(tiny_model, precision="fp32", cache_dir=tmp_path)
    again.prepare(count=10_000, batch_size=len(pixels))
    assert again._compiled is None  # the next run does not compile again


@pytest.mark.skipif(
    not any(shutil.which(cxx) for cxx in ("g++", "clang++", "c++")),
    reason="torch.compile for the CPU needs a C++ compiler",
)
def test_a_first_compile_waits_until_the_newest_photos_are_embedded(
    tiny_model, pixels, tmp_path, monkeypatch
) -> None:
    """The indexer sends the newest photos first: they must not queue behind ~40 s of
    compiling, so an uncached compile starts only after the first EAGER_FIRST_PHOTOS."""
    import torch

    from inphotos.ml.embedder import ClipEmbedder
    from inphotos.ml.fast import COMPILE_MIN_PHOTOS_COLD, CompiledImageTower

    monkeypatch.setattr(CompiledImageTower, "MIN_GAIN", 0.0)
    monkeypatch.setattr("inphotos.ml.embedder.EAGER_FIRST_PHOTOS", 3 * len(pixels))
    compiles: list[int] = []
    real_compile = torch.compile

    def counting_compile(module, **kwargs):  # type: ignore[no-untyped-def]
        compiles.append(len(compiles))
        return real_compile(module, **kwargs)

    monkeypatch.setattr(torch, "compile", counting_compile)
    emb = ClipEmbedder(tiny_model, precision="fp32", cache_dir=tmp_path)
    emb.prepare(count=COMPILE_MIN_PHOTOS_COLD, batch_size=len(pixels))
    assert emb._compiled is None  # too few photos to pay for the compile after the deferral
    emb.prepare(count=COMPILE_MIN_PHOTOS_COLD + 3 * len(pixels), batch_size=len(pixels))
    tower = emb._compiled
    assert tower is not None
    for _ in range(3):  # the newest photos: eager, not even timed as trials
        emb.encode_pixels(pixels)
    assert compiles == []
    assert tower._eager == []
    for _ in range(3):  # then the two trials and the compile
        emb.encode_pixels(pixels)
    assert len(tower._eager) == tower.TRIAL_BATCHES
    assert compiles == [0]
    # Once a faster graph is cached, a later run compiles at once.
    emb.encode_pixels(pixels)
    emb.encode_pixels(pixels)
    assert tower.warm()
    again = ClipEmbedder(tiny_model, precision="fp32", cache_dir=tmp_path)
    again.prepare(count=COMPILE_MIN_PHOTOS_COLD, batch_size=len(pixels))
    assert again._compiled is not None
    assert again._compiled._eager_left == 0


def test_small_jobs_stay_eager(tiny_model, tmp_path, monkeypatch) -> None:
    from inphotos.ml.embedder import ClipEmbedder

    emb = ClipEmbedder(tiny_model, precision="fp32", cache_dir=tmp_path)
    emb.prepare(count=20, batch_size=8)
    assert emb._compiled is None


def test_compile_failure_falls_back_to_eager(tiny_model, pixels, tmp_path, monkeypatch) -> None:
    import torch

    from inphotos.ml.embedder import ClipEmbedder

    emb = ClipEmbedder(tiny_model, precision="fp32", cache_dir=tmp_path)
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
    from inphotos.ml.embedder import ClipEmbedder
    from inphotos.ml.fast import bf16_is_faster

    emb = ClipEmbedder(tiny_model, device="cpu", cache_dir=tmp_path)
    assert emb.precision == ("bf16" if bf16_is_faster(tmp_path) else "fp32")
    assert (tmp_path / "cpu-bf16.verdict").exists()
