"""Model names: the three forms, one database per model, dimensions without loading."""

from __future__ import annotations

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
