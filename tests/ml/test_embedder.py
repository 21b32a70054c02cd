"""The real open_clip loading code on a tiny `local-dir:` model, and its failures."""

from __future__ import annotations

import errno
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inphotos.ml.embedder import ClipEmbedder, pick_device
from inphotos.ml.models import ModelError
from tests.conftest import make_photo
from tests.helpers import copy_model, damage_model, save_as_safetensors, weights_file


def test_tiny_model_loads_through_local_dir_and_gives_unit_vectors(tiny_embedder) -> None:
    assert tiny_embedder.dims == 32
    assert tiny_embedder.device == "cpu"
    assert tiny_embedder.pixel_spec.size == 32
    text = tiny_embedder.encode_text(["a dog", "a cat on a sofa", ""])
    pixels = np.random.default_rng(0).normal(size=(4, 3, 32, 32)).astype(np.float32)
    images = tiny_embedder.encode_pixels(pixels)
    for vecs, n in ((text, 3), (images, 4)):
        assert vecs.shape == (n, 32)
        assert vecs.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert tiny_embedder.encode_pixels(pixels[:0]).shape == (0, 32)


def test_encoding_is_deterministic_and_independent_of_batching(tiny_embedder) -> None:
    pixels = np.random.default_rng(1).normal(size=(5, 3, 32, 32)).astype(np.float32)
    together = tiny_embedder.encode_pixels(pixels)
    alone = np.concatenate([tiny_embedder.encode_pixels(pixels[i : i + 1]) for i in range(5)])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(tiny_embedder.encode_text(["red car"]), tiny_embedder.encode_text(["red car"]))
    assert not np.allclose(together[0], together[1])
    a, b = tiny_embedder.encode_text(["a red car", "a snowy mountain"])
    assert not np.allclose(a, b)


def test_reference_path_takes_pil_images(tiny_embedder, tmp_path: Path) -> None:
    with Image.open(make_photo(tmp_path / "p.jpg", seed=1)) as im:
        vecs = tiny_embedder.encode_images([im.convert("RGB")])
    assert vecs.shape == (1, 32)


def test_same_folder_same_weights_same_vectors(tiny_model: str, tiny_embedder) -> None:
    again = ClipEmbedder(tiny_model, precision="fp32")
    np.testing.assert_allclose(again.encode_text(["beach"]), tiny_embedder.encode_text(["beach"]), atol=1e-6)


@pytest.fixture
def model_copy(tiny_model: str, tmp_path: Path) -> Path:
    """A writable copy of the tiny model folder, to break."""
    folder = tmp_path / "model"
    copy_model(tiny_model, folder)
    return folder


def test_missing_folder_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        ClipEmbedder(f"local-dir:{tmp_path / 'nowhere'}", precision="fp32")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("no-config", r"no open_clip_config\.json"),
        ("bad-config", None),  # (today's message blames the weights: reported, not pinned)
        ("no-weights", "no weights file"),
        ("truncated", "damaged or do not match"),
        ("garbage", "damaged or do not match"),
        ("other-shapes", "damaged or do not match"),
    ],
)
def test_a_broken_model_folder_is_a_clear_model_error(
    model_copy: Path, damage: str, message: str | None
) -> None:
    damage_model(model_copy, damage)
    with pytest.raises(ModelError, match=message):
        ClipEmbedder(f"local-dir:{model_copy}", precision="fp32")


@pytest.mark.parametrize("leftover", ["weights.pt", "notes.txt"])
def test_a_file_open_clip_would_not_load_is_no_weights_not_a_random_model(
    model_copy: Path, leftover: str
) -> None:
    weights_file(model_copy).rename(model_copy / leftover)  # open_clip reads .safetensors, .bin, .pth
    with pytest.raises(ModelError, match="no weights file"):
        ClipEmbedder(f"local-dir:{model_copy}", precision="fp32")


def test_safetensors_weights_load_through_the_real_path(model_copy: Path, tiny_embedder) -> None:
    """A model folder with `.safetensors` weights (what the hub serves first) gives the same model."""
    save_as_safetensors(model_copy)
    assert [p.suffix for p in model_copy.iterdir() if p.name != "open_clip_config.json"] == [".safetensors"]
    emb = ClipEmbedder(f"local-dir:{model_copy}", precision="fp32")
    pixels = np.random.default_rng(2).normal(size=(3, 3, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(emb.encode_pixels(pixels), tiny_embedder.encode_pixels(pixels), atol=1e-6)
    np.testing.assert_allclose(emb.encode_text(["beach"]), tiny_embedder.encode_text(["beach"]), atol=1e-6)


def test_damaged_safetensors_weights_are_a_clear_model_error(model_copy: Path) -> None:
    save_as_safetensors(model_copy)
    damage_model(model_copy, "truncated")
    with pytest.raises(ModelError, match="damaged or do not match"):
        ClipEmbedder(f"local-dir:{model_copy}", precision="fp32")


def test_device_and_precision_choices(tiny_model: str) -> None:
    assert pick_device("cpu") == "cpu"
    assert pick_device("auto") in ("cpu", "cuda", "mps")
    with pytest.raises(ModelError, match="Unknown device"):
        pick_device("tpu")
    with pytest.raises(ModelError, match="Unknown precision"):
        ClipEmbedder(tiny_model, device="cpu", precision="int3")


def test_a_bug_in_the_model_code_is_not_reported_as_damaged_weights(
    model_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import open_clip

    def broken_code(*args: object, **kwargs: object) -> None:
        raise TypeError("forward() got an unexpected keyword argument 'x'")

    monkeypatch.setattr(open_clip, "create_model_and_transforms", broken_code)
    with pytest.raises(TypeError, match="unexpected keyword"):  # a bug: the crash dialog
        ClipEmbedder(f"local-dir:{model_copy}")


@pytest.mark.parametrize(
    "error",
    [
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
        OSError(errno.ENETUNREACH, "Network is unreachable"),
        ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
        TimeoutError("timed out"),
    ],
    ids=["gaierror", "enetunreach", "refused", "timeout"],
)
def test_network_failures_are_recognised_by_their_type(error: BaseException) -> None:
    from inphotos.ml.download import is_network_error

    assert is_network_error(error)
    wrapped = RuntimeError("loading failed")  # also when a library wraps it in its own error
    wrapped.__cause__ = error
    assert is_network_error(wrapped)


def test_an_error_that_only_mentions_the_network_is_not_a_network_failure() -> None:
    from inphotos.ml.download import is_network_error

    assert not is_network_error(RuntimeError("could not connect the http download layer"))
    assert not is_network_error(OSError(errno.ENOENT, "No such file"))


def test_huggingface_offline_errors_are_network_failures() -> None:
    from huggingface_hub.errors import LocalEntryNotFoundError, OfflineModeIsEnabled

    from inphotos.ml.download import is_network_error

    assert is_network_error(LocalEntryNotFoundError("not cached and offline"))
    assert is_network_error(OfflineModeIsEnabled("offline"))


def test_a_missing_gpu_is_stated_without_naming_a_flag_or_a_menu(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import torch

    from inphotos.errors import Advice

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ModelError, match="no CUDA GPU") as info:
        pick_device("cuda")
    assert "--" not in str(info.value)
    assert info.value.advice is Advice.NONE  # a model folder would not help


@pytest.fixture
def pixels() -> np.ndarray:
    return np.random.default_rng(7).standard_normal((4, 3, 32, 32)).astype(np.float32)


def test_two_threads_encoding_through_the_compiled_tower_get_the_one_thread_vectors(
    tiny_model: str, pixels: np.ndarray, tmp_path: Path
) -> None:
    """Find-similar and indexing share one embedder while the tower trials, compiles, runs."""
    emb = ClipEmbedder(tiny_model, cache_dir=tmp_path / "compiled")
    alone = emb.encode_pixels(pixels)
    emb.prepare(count=100_000, batch_size=len(pixels))
    tower = emb._compiled
    assert tower is not None
    start = threading.Barrier(2)

    def encode_many(_: int) -> list[np.ndarray]:
        start.wait()
        return [emb.encode_pixels(pixels) for _ in range(6)]

    with ThreadPoolExecutor(2) as pool:
        results = [out for outs in pool.map(encode_many, range(2)) for out in outs]
    for out in results:
        assert out.shape == alone.shape
        assert (out * alone).sum(axis=1).min() > 0.9999
    assert len(tower._eager) <= tower.TRIAL_BATCHES  # trials were not double-counted
    assert len(tower._compiled) <= tower.TRIAL_BATCHES


def test_a_query_beside_a_running_compiled_batch_does_not_wait_for_it(
    tiny_model: str, pixels: np.ndarray, tmp_path: Path
) -> None:
    emb = ClipEmbedder(tiny_model, cache_dir=tmp_path / "compiled")
    alone = emb.encode_pixels(pixels[:1])
    emb.prepare(count=100_000, batch_size=len(pixels))
    tower = emb._compiled
    assert tower is not None
    with tower._lock:  # as while the indexing thread runs a batch through the tower
        out = emb.encode_pixels(pixels[:1])  # would deadlock here if it waited for the tower
    np.testing.assert_allclose(out, alone, atol=1e-5)
    assert tower._eager == []  # the query ran the eager model, not a timed trial
