"""`inphotos duplicates`: the groups of copies, as text and as JSON, on the tiny random model.

The tiny model's vectors carry no meaning and lie close together (different generated photos
from 0.001 apart), but copies of one photo land within 1e-6 of it: `--threshold 0.0001`
separates them for certain, which is what these tests rely on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.cli.test_cli import Cli
from tests.conftest import make_photo


@pytest.fixture
def copies(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    for i in range(3):
        make_photo(root / f"p{i}.jpg", seed=i, size=(640, 480))
    shutil.copy2(root / "p1.jpg", root / "p1 copy.jpg")
    Image.open(root / "p1.jpg").resize((320, 240)).save(root / "p1 small.jpg", quality=90)
    return root


@pytest.mark.slow
def test_duplicates_in_json_and_text(run: Cli, copies: Path) -> None:
    assert run("index", copies).rc == 0
    r = run("duplicates", "--threshold", "0.0001", "--json")
    assert r.rc == 0
    assert len(r.data) == 1
    group = r.data[0]
    assert Path(group["photos"][0]["path"]).name in {"p1.jpg", "p1 copy.jpg"}
    assert {Path(p["path"]).name for p in group["photos"]} == {"p1.jpg", "p1 copy.jpg", "p1 small.jpg"}
    assert group["exact"] is False
    assert group["keeper_reason"] == "largest (640×480)"
    keeper = group["photos"][0]
    assert keeper["keeper"] is True
    assert {k: keeper[k] for k in ("width", "height", "type", "folder")} == {
        "width": 640, "height": 480, "type": "JPG", "folder": str(copies)}
    assert keeper["size"] == (copies / "p1.jpg").stat().st_size

    r = run("duplicates", "--exact-only", "--json")
    assert r.rc == 0
    assert [sorted(Path(p["path"]).name for p in g["photos"]) for g in r.data] == [["p1 copy.jpg", "p1.jpg"]]
    assert r.data[0]["exact"] is True

    r = run("duplicates", "--exact-only")
    assert r.rc == 0
    assert r.out.splitlines()[0] == "Group 1: 2 exact copies"
    assert "keep (oldest)" in r.out or "keep (first by name)" in r.out
    assert "1 group(s); 1 photo(s) beside the suggested keepers." in r.err

    r = run("duplicates", "--threshold", "0.2")
    assert r.rc != 0
    assert "--threshold: the threshold must be between 0 and 0.05" in r.err
    assert r.out == ""


def test_no_duplicates_says_so(run: Cli, tmp_path: Path) -> None:
    make_photo(tmp_path / "one" / "a.jpg", seed=1)
    assert run("index", tmp_path / "one").rc == 0
    r = run("duplicates", "--json")
    assert r.rc == 0
    assert r.data == []
    r = run("duplicates")
    assert r.rc == 0
    assert "No duplicates found." in r.err
