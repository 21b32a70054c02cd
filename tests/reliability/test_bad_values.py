"""Bad values and hostile surroundings: a clear message and a safe default, never a traceback.

The command line runs in a subprocess (`python -m inphotos`), as a user runs it: settings
with negative sizes, nonsense options, a malformed meta file, a home that is a file or
read-only (a read-only bind mount where root may mount, else chmod, which root ignores: that
case then only checks that there is no traceback), a non-ASCII home under LC_ALL=C, output
into a closed pipe and into /dev/full.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from inphotos.config import Settings


def _run(home: Path, *args: str, env: dict[str, str] | None = None,
         stdout: int | None = subprocess.PIPE, shell: str | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    cmd = [sys.executable, "-m", "inphotos", "--home", str(home), *args]
    if shell is not None:
        return subprocess.run(shell.format(cmd=" ".join(f"'{c}'" for c in cmd)), shell=True,
                              capture_output=True, text=True, env=full_env, timeout=300, check=False)
    return subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True, env=full_env,
                          timeout=300, check=False)


def test_negative_settings_fall_back_to_defaults(tmp_path, caplog) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"batch_size": -1, "decode_workers": -2, "thumbnail_size": 0}))
    s = Settings.load(path)
    assert (s.batch_size, s.decode_workers, s.thumbnail_size) == (0, 0, Settings().thumbnail_size)
    assert "batch_size" in caplog.text


def test_negative_batch_size_still_indexes(home, tiny_model, counter, photos) -> None:
    from inphotos.core.library import Library

    with Library(home, model=tiny_model, embedder_factory=lambda: counter,
                 batch_size=-1, workers=-2) as lib:
        lib.add_folder(photos)
        report = lib.index()
        assert report.added == 12


@pytest.mark.parametrize("option", [
    ["--min-score", "nan"], ["--min-score", "2"], ["--min-score", "-1.5"], ["-k", "0"],
    ["--batch-size", "-1"], ["--workers", "-2"],
])
def test_bad_options_get_one_clear_line(tmp_path, tiny_model, option) -> None:
    r = _run(tmp_path / "home", "search", "--model", tiny_model, "dog", *option)
    assert r.returncode in (1, 2), r.stderr
    assert "Traceback" not in r.stderr
    assert "error" in r.stderr


@pytest.mark.parametrize("meta", ['{"format": "x"}', '{"format": 2, "dims": "many"}', "[1, 2]", "{"])
def test_malformed_meta_file_gets_a_message(tmp_path, tiny_model, meta) -> None:
    home = tmp_path / "home"
    r = _run(home, "stats", "--model", tiny_model)
    assert r.returncode == 0, r.stderr
    (meta_file,) = (home / "data" / "db").glob("*/inphotos-db.json")
    meta_file.write_text(meta)
    r = _run(home, "stats", "--model", tiny_model)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "repair" in r.stderr


def test_home_that_is_a_file(tmp_path, tiny_model) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder")
    r = _run(home, "stats", "--model", tiny_model)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "inphotos: error:" in r.stderr


def test_read_only_home(tmp_path, tiny_model) -> None:
    home = tmp_path / "home"
    home.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "--bind", str(home), str(home)], capture_output=True, check=False).returncode == 0
    if mounted:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(home)], check=False)
    else:
        home.chmod(0o500)
    try:
        r = _run(home, "stats", "--model", tiny_model)
    finally:
        if mounted:
            subprocess.run(["umount", str(home)], check=False)
        home.chmod(0o700)
    assert "Traceback" not in r.stderr
    if mounted:
        assert r.returncode == 1
        assert "inphotos: error:" in r.stderr


def test_non_ascii_home_under_c_locale(tmp_path, tiny_model) -> None:
    home = tmp_path / "Fotos für Ängström"
    r = _run(home, "stats", "--model", tiny_model, env={"LC_ALL": "C", "LANG": "C",
                                                         "PYTHONUTF8": "0", "PYTHONIOENCODING": ""})
    assert "Traceback" not in r.stderr
    assert r.returncode == 0, r.stderr


def test_output_into_a_closed_pipe(tmp_path, tiny_model, photos) -> None:
    home = tmp_path / "home"
    assert _run(home, "index", "--model", tiny_model, str(photos)).returncode == 0
    r = _run(home, "search", "-k", "12", "x", "--model", tiny_model, shell="{cmd} | head -1")
    assert "Traceback" not in r.stderr, r.stderr
    assert "BrokenPipe" not in r.stderr


def test_output_into_a_full_disk(tmp_path, tiny_model) -> None:
    home = tmp_path / "home"
    with open("/dev/full", "w") as full:
        r = _run(home, "stats", "--model", tiny_model, stdout=full.fileno())
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 1
    assert "inphotos: error:" in r.stderr
