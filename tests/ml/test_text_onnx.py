"""The text tower without torch: the same tokens as open_clip, the same vectors, no torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inphotos.core.library import Library
from inphotos.ml import text_onnx
from inphotos.paths import AppPaths

TEXTS = [
    "a dog catching a frisbee", "Sunset   on a BEACH!", "x", "", "don't stop 42 times",
    "Ünïcödé café 東京 🙂", "fish &amp; chips", "Ã©tÃ© mojibake", "tab\tand\nnewline",
    "a very long query " * 30,
]


def test_tokens_are_open_clips_token_for_token(tmp_path: Path) -> None:
    from open_clip import get_tokenizer

    reference = get_tokenizer("ViT-B-32")(TEXTS).numpy()
    assert np.array_equal(text_onnx.ClipTokenizer()(TEXTS), reference)
    # Again from the parsed vocabulary kept on disk.
    text_onnx.ClipTokenizer(tables=tmp_path / "t.marshal")
    assert np.array_equal(text_onnx.ClipTokenizer(tables=tmp_path / "t.marshal")(TEXTS), reference)


@pytest.fixture(scope="module")
def exported(tiny_embedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export") / "tower"
    assert tiny_embedder.export_text_tower(folder)
    assert text_onnx.exported(folder)
    return folder


def test_exported_tower_gives_open_clips_fp32_vectors(tiny_embedder, exported: Path) -> None:
    encoder = text_onnx.OnnxTextEncoder(exported)
    assert encoder.dims == tiny_embedder.dims
    ours = encoder.encode_text(TEXTS)
    reference = tiny_embedder.encode_text_reference(TEXTS)  # open_clip's full 77-token pass
    assert ours.dtype == np.float32
    assert ours.shape == reference.shape
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert float((ours * reference).sum(axis=1).min()) >= 0.99
    single = encoder.encode_text(["a dog catching a frisbee"])  # a shorter pass, the same vector
    assert float((single[0] * ours[0]).sum()) >= 0.9999


def test_a_bf16_model_exports_fp32_and_is_left_as_it_was(
    tiny_model: str, tiny_embedder, tmp_path: Path
) -> None:
    import torch

    from inphotos.ml.embedder import ClipEmbedder

    emb = ClipEmbedder(tiny_model, precision="bf16", compile_images=False)
    assert emb.export_text_tower(tmp_path / "tower")
    assert next(emb.model.parameters()).dtype == torch.bfloat16
    ours = text_onnx.OnnxTextEncoder(tmp_path / "tower").encode_text(TEXTS)
    assert float((ours * tiny_embedder.encode_text_reference(TEXTS)).sum(axis=1).min()) >= 0.99


def _library(home: AppPaths, tiny_model: str) -> Library:
    return Library(home, model=tiny_model, precision="fp32")


def test_the_library_exports_once_then_searches_without_the_model(
    home: AppPaths, tiny_model: str, photos: Path
) -> None:
    with _library(home, tiny_model) as lib:
        lib.add_folder(photos)
        lib.index()  # loads the model, which exports its text tower
        before = lib.search_text("a red photo", k=5)
    with _library(home, tiny_model) as lib:
        assert lib.load_text_tower()
        after = lib.search_text("a red photo", k=5)
        assert not lib.embedder_loaded  # the query never needed the full model
    assert [h.photo.path for h in after] == [h.photo.path for h in before]


def test_a_damaged_export_falls_back_to_the_full_model(home: AppPaths, tiny_model: str, photos: Path) -> None:
    with _library(home, tiny_model) as lib:
        lib.add_folder(photos)
        lib.index()
        folder = lib._text_dir
    assert folder is not None
    (folder / text_onnx.MODEL_FILE).write_bytes(b"not a model")
    with _library(home, tiny_model) as lib:
        assert len(lib.search_text("a red photo", k=5)) == 5
        assert lib.embedder_loaded


def test_a_cli_text_search_imports_no_torch(home: AppPaths, tiny_model: str, photos: Path) -> None:
    with _library(home, tiny_model) as lib:
        lib.add_folder(photos)
        lib.index()
    code = (
        "import sys, json; from inphotos.cli import main; "
        f"rc = main(['--home', {str(home.data.parent)!r}, '--model', {tiny_model!r}, "
        "'search', 'a red photo', '--all', '--json']); "
        "print(json.dumps({'rc': rc, 'torch': 'torch' in sys.modules, "
        "'open_clip': 'open_clip' in sys.modules}), file=sys.stderr)"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=240)
    status = json.loads(done.stderr.strip().splitlines()[-1])
    assert status == {"rc": 0, "torch": False, "open_clip": False}, done.stderr
    assert len(json.loads(done.stdout)) == 12
