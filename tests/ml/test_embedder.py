"""The real open_clip loading code on a tiny `local-dir:` model, and its failures."""

from __future__ import annotations

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
