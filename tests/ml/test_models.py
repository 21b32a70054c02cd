"""Model names: the three forms, one database per model, dimensions without loading."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from inphotos.ml.models import ModelError, known_dims, parse_spec


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ViT-B-32:laion2b_s34b_b79k", "builtin"),
        ("  ViT-B-32:openai ", "builtin"),
        ("hf-hub:timm/ViT-B-16-SigLIP", "hf-hub"),
        ("local-dir:/models/clip", "local-dir"),
    ],
)
def test_the_three_forms_parse(text: str, kind: str) -> None:
    spec = parse_spec(text)
    assert spec.kind == kind
    assert re.fullmatch(r"[A-Za-z0-9._-]+", spec.key)


@pytest.mark.parametrize("text", ["bogus", "ViT-B-32:", ":openai", "local-dir:", "hf-hub:", "hf-hub:/"])
def test_malformed_names_are_model_errors_with_an_example(text: str) -> None:
    with pytest.raises(ModelError, match=r"e\.g\."):
        parse_spec(text)


def test_local_dir_is_made_absolute_and_each_folder_has_its_own_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rel = parse_spec("local-dir:models/clip")
    assert rel.arch == f"local-dir:{tmp_path / 'models' / 'clip'}"
    assert rel.key == parse_spec(f"local-dir:{tmp_path}/models/clip/").key
    assert rel.key != parse_spec("local-dir:/elsewhere/clip").key


def test_models_get_distinct_database_keys() -> None:
    keys = {parse_spec(t).key for t in ("ViT-B-32:openai", "ViT-B-32:laion2b_s34b_b79k",
                                         "ViT-L-14:openai", "hf-hub:timm/ViT-B-16-SigLIP")}
    assert len(keys) == 4


def test_known_dims_reads_configs_without_importing_torch(tiny_model: str) -> None:
    assert known_dims(parse_spec(tiny_model)) == 32
    assert known_dims(parse_spec("ViT-B-32:laion2b_s34b_b79k")) == 512
    assert known_dims(parse_spec("ViT-L-14:openai")) == 768
    assert known_dims(parse_spec("hf-hub:org/repo")) is None
    assert known_dims(parse_spec("local-dir:/no/such/folder")) is None


def test_parsing_does_not_import_torch() -> None:
    import subprocess

    code = ("import sys; from inphotos.ml.models import parse_spec, known_dims; "
            "known_dims(parse_spec('ViT-B-32:openai')); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    return cache


def _put_hub_config(cache: Path, repo: str, embed_dim: int) -> Path:
    folder = cache / ("models--" + repo.replace("/", "--"))
    commit = "1" * 40
    config = folder / "snapshots" / commit / "open_clip_config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"model_cfg": {"embed_dim": embed_dim}, "preprocess_cfg": {}}))
    (folder / "refs").mkdir(exist_ok=True)
    (folder / "refs" / "main").write_text(commit)
    return config


def test_a_new_hf_hub_model_opens_its_library_without_loading_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub

    from inphotos.core.library import Library
    from inphotos.paths import app_paths

    cache = _hub_cache(tmp_path, monkeypatch)
    spec = parse_spec("hf-hub:someone/tiny-clip")
    assert known_dims(spec) is None  # nothing cached, and known_dims never goes online
    fetched: list[str] = []

    def download(repo: str, filename: str, **kwargs: object) -> str:
        fetched.append(filename)
        return str(_put_hub_config(cache, repo, 384))

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)

    def no_model() -> None:
        raise AssertionError("the model must load in the background, not while the library opens")

    with Library(app_paths(tmp_path / "home"), model=spec.text, embedder_factory=no_model,
                 precision="fp32") as lib:
        assert lib.store.dims == 384
    assert fetched == ["open_clip_config.json"]  # the small config only
    assert known_dims(spec) == 384  # from the cache from now on


def test_an_unreachable_hf_hub_model_is_a_download_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub

    from inphotos.errors import DownloadError
    from inphotos.ml.models import fetch_hub_dims

    _hub_cache(tmp_path, monkeypatch)

    def offline(*args: object, **kwargs: object) -> str:
        raise ConnectionError("no route to host")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    with pytest.raises(DownloadError, match="internet connection"):
        fetch_hub_dims(parse_spec("hf-hub:someone/tiny-clip"))
