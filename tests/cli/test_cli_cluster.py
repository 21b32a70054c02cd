"""`inphotos index --cluster`: its options refused clearly when wrong, Ray missing said once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from inphotos import cli


def _run(capsys: pytest.CaptureFixture[str], home: Path, model: str, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    rc = cli.main(["--home", str(home), "--model", model, "--precision", "fp32", *args])
    return rc, capsys.readouterr().err


@pytest.mark.parametrize(("args", "expected"), [
    (["--cluster-read", "send"], "--cluster-read and --path-map go with --cluster ADDRESS"),
    (["--cluster", "h:1", "--path-map", "/photos"], "--path-map: a path map is LOCAL=REMOTE (got '/photos')"),
])
def test_cluster_options_that_cannot_work_are_one_line_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, tiny_model: str, photos: Path,
    args: list[str], expected: str,
) -> None:
    rc, err = _run(capsys, tmp_path / "home", tiny_model, "index", str(photos), *args)
    assert rc != 0
    assert err.strip().splitlines() == [f"inphotos: error: {expected}"]
    assert not (tmp_path / "home").exists() or not any((tmp_path / "home").rglob("*.mdb"))


def test_index_on_a_cluster_without_ray_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, tiny_model: str, photos: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    rc, err = _run(capsys, tmp_path / "home", tiny_model, "index", str(photos), "--cluster", "auto")
    assert rc != 0
    assert "pip install 'inphotos[cluster]'" in err
    assert err.count("inphotos: error:") == 1
