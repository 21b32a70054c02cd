"""`inphotos tags PHOTO [--json]`: a photo's categories with their strengths. Known categories
come from the deterministic ConceptEmbedder (tests/helpers.py), wired in where the real model
would load: red photos are dogs."""

from __future__ import annotations

from pathlib import Path

import pytest

import inphotos.core.library
from inphotos.paths import HOME_ENV
from tests.cli.test_cli import Cli, _one_line_error
from tests.helpers import ConceptEmbedder, colour_model, make_colour_photo


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv(HOME_ENV, "placeholder")
    monkeypatch.delenv(HOME_ENV)
    monkeypatch.setattr(inphotos.core.library, "default_embedder_factory",
                        lambda *a, **k: ConceptEmbedder)
    root = tmp_path / "photos"
    for i in range(6):
        make_colour_photo(root / f"dog_{i}.jpg", (220, 30, 30), seed=i)
    for i, rgb in enumerate([(30, 40, 220), (30, 210, 210), (128, 128, 128)] * 4):
        make_colour_photo(root / f"other_{i}.jpg", rgb, seed=100 + i)
    cli = Cli(capsys, tmp_path / "home", colour_model(tmp_path / "model"))
    assert cli("index", root).rc == 0
    return cli


def test_tags_in_json_name_the_category_with_its_strength(run: Cli, tmp_path: Path) -> None:
    r = run("tags", tmp_path / "photos" / "dog_2.jpg", "--json")
    assert r.rc == 0, r.err
    assert [t["category"] for t in r.data] == ["dogs"]
    tag = r.data[0]
    assert tag["name"] == "Dogs"
    assert 0.5 <= tag["strength"] <= 1.0
    assert -1.0 <= tag["score"] <= 1.0


def test_tags_for_people_and_for_a_photo_of_nothing_in_particular(run: Cli, tmp_path: Path) -> None:
    r = run("tags", tmp_path / "photos" / "dog_0.jpg")
    assert r.rc == 0
    assert r.out.split()[1:] == ["Dogs"]
    assert r.out.strip().split()[0].endswith("%")
    r = run("tags", tmp_path / "photos" / "other_0.jpg")
    assert (r.rc, r.out.strip()) == (0, "No category stands out for this photo.")


def test_tags_of_an_image_outside_the_library(run: Cli, tmp_path: Path) -> None:
    outside = make_colour_photo(tmp_path / "elsewhere" / "red.jpg", (230, 20, 25), seed=77)
    r = run("tags", outside, "--json")
    assert r.rc == 0, r.err
    assert [t["category"] for t in r.data] == ["dogs"]


def test_tags_of_a_missing_file_is_one_clear_line(run: Cli, tmp_path: Path) -> None:
    _one_line_error(run("tags", tmp_path / "nope.jpg"), "File not found")
