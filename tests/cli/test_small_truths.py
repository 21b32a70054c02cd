"""The command line says true things quickly: bad models before torch loads, an empty model
name, a folder already covered, a parent that takes over folders, an empty library."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from inphotos.errors import ModelError
from inphotos.ml.models import check_spec, parse_spec
from tests.cli.test_cli import Cli


@pytest.mark.parametrize(("spec", "words"), [
    ("local-dir:/no/such/model", "does not exist"),
    ("ViT-B-32:no_such_weights", "Unknown weights 'no_such_weights'"),
    ("NoSuchArch:x", "Unknown model architecture"),
])
def test_an_impossible_model_is_refused_before_torch_loads(spec: str, words: str, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=words):
        check_spec(parse_spec(spec))
    # As a user runs it: one line, in well under the seconds torch takes to import.
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys; from inphotos.cli import main; rc = main(sys.argv[1:]); "
         "sys.exit(10 + rc if 'torch' in sys.modules else rc)",
         "--home", str(tmp_path / "home"), "--model", spec, "search", "a cat"],
        capture_output=True, text=True, timeout=240, check=False,
    )
    took = time.monotonic() - t0
    assert done.returncode == 1, done.stderr  # 11 would mean torch was imported
    assert words in done.stderr
    assert "Traceback" not in done.stderr
    assert took < 20  # generous; torch alone takes longer than the check on a laptop


def test_published_models_pass_the_early_check() -> None:
    for spec in ("ViT-B-32:laion2b_s34b_b79k", "ViT-B-32:openai", "MobileCLIP-S1:datacompdr",
                 "xlm-roberta-base-ViT-B-32:laion5b_s13b_b90k", "ViT-L-14:datacomp_xl_s13b_b90k",
                 "hf-hub:timm/ViT-B-16-SigLIP"):
        check_spec(parse_spec(spec))


def test_an_empty_model_name_is_an_error_not_the_default(run: Cli) -> None:
    with pytest.raises(SystemExit) as exit_:
        run("--model", "", "stats", model=False)
    assert exit_.value.code == 2
    assert "needs a model name" in run.capsys.readouterr().err


def test_index_of_a_folder_already_covered_reindexes_nothing(run: Cli, photos: Path) -> None:
    assert run("index", photos).rc == 0
    again = run("index", photos / "trip")
    assert again.rc == 0
    assert f"Already in the library as part of {photos}" in again.err
    assert "Nothing new to index" in again.err
    assert "Indexed:" not in again.out


def test_index_of_a_library_folder_again_brings_it_up_to_date(run: Cli, photos: Path) -> None:
    from tests.conftest import make_photo

    assert run("index", photos).rc == 0
    make_photo(photos / "later.jpg", seed=77)
    again = run("index", photos)  # as the README says: add a folder and index it, any time
    assert again.rc == 0
    assert "Nothing new to index" not in again.err
    assert "1 added" in again.out


def test_folders_add_of_a_parent_says_which_folders_it_takes_over(
    run: Cli, photos: Path
) -> None:
    assert run("folders", "add", photos / "trip").rc == 0
    parent = run("folders", "add", photos)
    assert parent.rc == 0
    assert f"it now covers {photos / 'trip'}" in parent.err


def test_searching_an_empty_library_says_to_index_first(run: Cli) -> None:
    result = run("search", "a cat")
    assert result.rc == 1
    assert "inphotos index" in result.err


def test_hugging_face_warnings_are_printed_once(tmp_path: Path, tiny_model: str) -> None:
    script = (
        "import logging, sys\n"
        "from inphotos import cli\n"
        "cli.main(sys.argv[1:])\n"
        "logging.getLogger('huggingface_hub').addHandler(logging.StreamHandler())  # its own\n"
        "logging.getLogger('huggingface_hub.utils._http').warning('Retrying in 1s [Retry 1/5].')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "--home", str(tmp_path / "home"), "--model", tiny_model,
         "stats"], capture_output=True, text=True, timeout=240, check=False)
    assert done.stderr.count("Retrying in 1s") == 1, done.stderr
