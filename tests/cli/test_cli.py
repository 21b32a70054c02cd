"""The command line as a user drives it: every subcommand, --json, --home, and one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from inphotos import cli
from inphotos.cli.output import IndexProgressBar
from inphotos.core.library import Library
from inphotos.errors import (
    DiskFullError,
    DownloadError,
    InPhotosError,
    NewerFormatError,
    StoreError,
    TransientError,
)
from inphotos.paths import HOME_ENV, app_paths
from tests.conftest import make_photo
from tests.helpers import tree_state


@dataclass
class Result:
    rc: int
    out: str
    err: str

    @property
    def data(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Runs `inphotos --home HOME --model MODEL ...` in this process."""

    def __init__(self, capsys: pytest.CaptureFixture[str], home: Path, model: str) -> None:
        self.capsys = capsys
        self.home = home
        self.model = model

    def __call__(self, *args: str | Path, home: bool = True, model: bool = True) -> Result:
        # fp32, as every test's model: "auto" picks bf16 on a CPU with bf16 units.
        argv = [*(["--home", str(self.home)] if home else []), *(["--model", self.model] if model else []),
                "--precision", "fp32", *map(str, args)]
        self.capsys.readouterr()
        rc = cli.main(argv)
        out, err = self.capsys.readouterr()
        return Result(rc, out, err)


@pytest.fixture
def indexed(run: Cli, photos: Path) -> Cli:
    assert run("index", photos).rc == 0
    return run


def test_a_session_with_every_subcommand_in_json(run: Cli, photos: Path, tmp_path: Path) -> None:
    r = run("folders", "add", photos, "--json")
    assert r.rc == 0
    assert r.data == [{"path": str(photos), "online": True, "photos": 0, "last_scan_ms": 0}]

    r = run("index", "--json")
    assert r.rc == 0
    report = r.data
    assert {k: report[k] for k in ("added", "updated", "moved", "removed", "skipped", "offline",
                                   "cancelled", "photos")} == {
        "added": 12, "updated": 0, "moved": 0, "removed": 0, "skipped": [], "offline": [],
        "cancelled": False, "photos": 12}
    assert report["elapsed_s"] >= 0

    r = run("stats", "--json")
    assert r.rc == 0
    stats = r.data
    assert {k: stats[k] for k in ("photos", "folders", "offline_folders", "skipped", "model", "dims")} == {
        "photos": 12, "folders": 1, "offline_folders": 0, "skipped": 0, "model": run.model, "dims": 32}
    assert Path(stats["database"]).is_relative_to(run.home)

    r = run("search", "a", "dog", "on", "the", "beach", "-k", "5", "--all", "--json")
    assert r.rc == 0
    hits = r.data
    assert len(hits) == 5
    assert set(hits[0]) == {"path", "score", "strength", "match", "id", "width", "height",
                            "taken_ms", "taken_source", "companions"}
    assert {Path(h["path"]).parent for h in hits} <= {photos, photos / "trip"}
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)

    shutil.copy(photos / "img_01.jpg", tmp_path / "outside.jpg")
    r = run("similar", tmp_path / "outside.jpg", "-k", "3", "--all", "--json")
    assert r.rc == 0
    assert r.data[0]["path"] == str(photos / "img_01.jpg")
    assert r.data[0]["score"] > 0.999

    r = run("folders", "--json")
    assert r.data[0]["photos"] == 12
    assert r.data[0]["last_scan_ms"] > 0

    r = run("folders", "remove", photos, "--json")
    assert r.rc == 0
    assert r.data == []
    assert "12 photos forgotten; no file was touched" in r.err
    assert run("stats", "--json").data["photos"] == 0
    assert len(list(photos.rglob("*.jpg"))) == 12


def test_text_output_is_score_and_path_per_line(indexed: Cli, photos: Path) -> None:
    r = indexed("search", "sunset", "-k", "4", "--all")
    lines = r.out.splitlines()
    assert len(lines) == 4
    for line in lines:
        strength, score, path = line.split("  ", 2)
        assert 0 <= int(strength.strip().rstrip("%")) <= 100
        assert -1 <= float(score) <= 1
        assert Path(path).is_file()
    r = indexed("stats")
    assert "photos: 12" in r.out


def test_home_keeps_all_data_under_it_and_photo_folders_are_never_written(
    run: Cli, photos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_home = tmp_path / "user"
    user_home.mkdir()
    for var in ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(user_home / var.lower()) if var != "HOME" else str(user_home))
    (photos / "broken.jpg").write_bytes(b"not a photo")
    before = tree_state(photos)

    assert run("folders", "add", photos).rc == 0
    assert run("index").rc == 0
    assert list(run.home.glob("cache/thumbnails/*/*.jpg"))  # (removing the folder deletes them)
    assert run("search", "cat", "--json").rc == 0
    assert run("similar", photos / "img_01.jpg", "--json").rc == 0
    assert run("stats", "--json").rc == 0
    assert run("folders", "remove", photos).rc == 0

    assert tree_state(photos) == before
    assert list(user_home.iterdir()) == []  # nothing in the platform's usual folders
    assert {p.name for p in run.home.iterdir()} <= {"data", "cache", "config", "logs"}
    assert list(run.home.glob("data/db/*/data.mdb"))
    assert not list(run.home.glob("cache/thumbnails/*/*.jpg"))


def test_inphotos_home_environment_variable_is_the_same_as_home(
    run: Cli, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("index", photos).rc == 0
    monkeypatch.setenv(HOME_ENV, str(run.home))
    r = run("stats", "--json", home=False)
    assert r.rc == 0
    assert r.data["photos"] == 12


def test_search_k_offset_and_min_score(indexed: Cli, tiny_embedder) -> None:
    everything = indexed("search", "red", "car", "-k", "100", "--all", "--json").data
    assert len(everything) == 12  # no --min-score: nothing is cut, however low the score
    scores = [h["score"] for h in everything]
    assert scores == sorted(scores, reverse=True)

    assert indexed("search", "red", "car", "--all", "--json").data == everything  # default -k 20
    assert indexed("search", "red", "car", "-k", "3", "--all", "--json").data == everything[:3]
    pages = [indexed("search", "red", "car", "-k", "5", "--offset", str(o), "--all", "--json").data
             for o in (0, 5, 10)]
    assert [h["id"] for page in pages for h in page] == [h["id"] for h in everything]
    assert indexed("search", "red", "car", "--offset", "12", "--all", "--json").data == []

    cut = (scores[3] + scores[4]) / 2
    kept = indexed("search", "red", "car", "--min-score", str(cut), "--json").data
    assert [h["id"] for h in kept] == [h["id"] for h in everything[:4]]
    assert indexed("search", "red", "car", "--min-score", "1", "--json").data == []
    r = indexed("search", "red", "car", "--min-score", "1")
    assert (r.out, r.err.strip()) == ("", "No matching photos.")

    # The score is the cosine similarity between the query and the photo.
    with Library(app_paths(indexed.home), model=indexed.model, embedder_factory=lambda: tiny_embedder) as lib:
        query = lib.text_vector("red car")
        vecs = lib.store.embeddings([h["id"] for h in everything])
    for h, v in zip(everything, vecs, strict=True):
        assert h["score"] == pytest.approx(float(v @ query), abs=1e-5)


def test_similar_to_a_library_photo_puts_its_duplicate_first(indexed: Cli, photos: Path) -> None:
    shutil.copy(photos / "img_04.jpg", photos / "trip" / "img_04_copy.jpg")
    assert indexed("index").rc == 0
    hits = indexed("similar", photos / "img_04.jpg", "-k", "11", "--all", "--json").data
    assert hits[0]["path"] == str(photos / "trip" / "img_04_copy.jpg")
    assert str(photos / "img_04.jpg") not in {h["path"] for h in hits}
    assert len(hits) == 11
    page = indexed("similar", photos / "img_04.jpg", "-k", "2", "--offset", "3", "--all", "--json").data
    assert page == hits[3:5]


def test_index_json_reports_skipped_files_and_offline_folders(run: Cli, photos: Path, tmp_path: Path) -> None:
    drive = tmp_path / "drive"
    make_photo(drive / "d.jpg", seed=70)
    (photos / "bad.jpg").write_bytes(b"")
    assert run("index", photos, drive).rc == 0
    os.rename(drive, tmp_path / "unplugged")

    report = run("index", "--json").data

    assert report["offline"] == [str(drive)]
    assert report["photos"] == 13
    first = run("index", "--json")
    assert first.data["skipped"] == []  # a known bad file is not retried every time
    os.rename(tmp_path / "unplugged", drive)
    (photos / "bad.jpg").write_bytes(b"still bad")
    report = run("index", "--json").data
    assert report["skipped"] == [{"path": str(photos / "bad.jpg"),
                                  "reason": "not an image, or an image format InPhotos cannot read"}]
    folders = run("folders", "--json").data
    assert {f["path"]: f["online"] for f in folders} == {str(photos): True, str(drive): True}


def _one_line_error(r: Result, *expected: str, advice: str | None = None) -> None:
    """One error line, then the way out in the CLI's own words when the engine advised one."""
    assert r.rc != 0
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == (1 if advice is None else 2), r.err
    assert lines[0].startswith("inphotos: error: ")
    for text in expected:
        assert text in lines[0]
    if advice is not None:
        assert lines[1] == advice


def test_user_errors_are_one_line_and_a_non_zero_exit(indexed: Cli, photos: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    cases: list[tuple[tuple[str | Path, ...], tuple[str, ...]]] = [
        (("folders", "remove", tmp_path / "never-added"), ("Not a library folder",)),
        (("folders", "add", tmp_path / "missing"), ("Folder not found",)),
        (("folders", "add", photos / "img_01.jpg"), ("Not a folder",)),
        (("folders", "add"), ("needs a PATH",)),
        (("index", tmp_path / "missing"), ("Folder not found",)),
        (("similar", tmp_path / "missing.jpg"), ("File not found",)),
        (("similar", tmp_path / "notes.txt"), ("Cannot read", "not an image")),
        (("search", " "), ("Type something",)),
    ]
    for args, expected in cases:
        _one_line_error(indexed(*args), *expected)


def test_index_with_no_folders_says_what_to_do(run: Cli) -> None:
    _one_line_error(run("index"), "no folders yet", "inphotos index PATH")


@pytest.fixture
def broken_models(tiny_model: str, tmp_path: Path) -> dict[str, Path]:
    src = Path(tiny_model.removeprefix("local-dir:"))
    no_config = tmp_path / "no-config"
    shutil.copytree(src, no_config)
    (no_config / "open_clip_config.json").unlink()
    corrupt = tmp_path / "corrupt"
    shutil.copytree(src, corrupt)
    weights = next(corrupt.glob("*.bin"))
    weights.write_bytes(weights.read_bytes()[:4096])
    return {"no-config": no_config, "corrupt": corrupt}


def test_bad_model_specs_are_one_line_errors(
    run: Cli, broken_models: dict[str, Path], tmp_path: Path
) -> None:
    for model, expected in [
        ("bogus", "not of the form ARCH:PRETRAINED"),
        (f"local-dir:{tmp_path / 'nowhere'}", "does not exist"),
        (f"local-dir:{broken_models['no-config']}", "no open_clip_config.json"),
        (f"local-dir:{broken_models['corrupt']}", "damaged or do not match"),
    ]:
        run.model = model
        _one_line_error(run("search", "x"), expected,
                        advice="Or use a model folder copied by hand: --model local-dir:PATH")


def test_a_library_in_use_is_a_one_line_error(run: Cli, tiny_embedder) -> None:
    with Library(app_paths(run.home), model=run.model, embedder_factory=lambda: tiny_embedder):
        _one_line_error(run("stats"), "in use by another InPhotos",
                        advice="Close the InPhotos window or the other command first.")
    assert run("stats").rc == 0


def test_corrupt_weights_from_a_real_process_give_no_traceback(
    broken_models: dict[str, Path], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != HOME_ENV}
    proc = subprocess.run(
        [sys.executable, "-m", "inphotos", "--home", str(tmp_path / "home"),
         "--model", f"local-dir:{broken_models['corrupt']}", "search", "beach"],
        capture_output=True, text=True, env=env, timeout=240,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    error, advice = proc.stderr.strip().splitlines()[-2:]
    assert error.startswith("inphotos: error: The weights of the model")
    assert advice == "Or use a model folder copied by hand: --model local-dir:PATH"


@pytest.mark.parametrize(("error", "advice"), [
    (TransientError("The photo changed while it was read."),
     ["Check the internet connection and try again."]),
    (DownloadError("Could not download the model ViT-B-32:laion2b_s34b_b79k."),
     ["Check the internet connection and try again.",
      "Or use a model folder copied by hand: --model local-dir:PATH"]),
    (DiskFullError("The disk holding the library is full."),
     ["Free some disk space, then run the command again."]),
    (NewerFormatError("The library was written by InPhotos 9."),
     ["This library was written by a newer InPhotos: update InPhotos to open it."]),
    (StoreError("The database reported an error."), []),
])
def test_an_error_is_followed_by_the_way_out_in_command_line_words(
    run: Cli, monkeypatch: pytest.MonkeyPatch, error: InPhotosError, advice: list[str]
) -> None:
    def fail(self: Library) -> None:
        raise error

    monkeypatch.setattr(Library, "stats", fail)
    r = run("stats", model=False)

    assert r.rc == 1
    assert r.out == ""
    assert r.err.splitlines() == [f"inphotos: error: {error}", *advice]


def test_an_unexpected_exception_is_a_bug_with_a_traceback(
    run: Cli, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(self: Library) -> None:
        raise KeyError("dims")

    monkeypatch.setattr(Library, "stats", fail)
    r = run("stats", model=False)

    assert r.rc == 1
    assert "Traceback (most recent call last)" in r.err
    assert "KeyError: 'dims'" in r.err
    assert "inphotos: error:" not in r.err
    assert any("a bug" in rec.getMessage() and rec.levelname == "CRITICAL" for rec in caplog.records)


def test_non_utf8_file_names_round_trip_through_json_output(run: Cli, photos: Path) -> None:
    raw = os.path.join(os.fsencode(photos), b"f\xf6to-\xff.jpg")  # not valid UTF-8
    make_photo(Path(os.fsdecode(raw)), seed=80)
    assert run("index", photos, "--json").rc == 0

    r = run("search", "x", "-k", "100", "--all", "--json")

    assert r.rc == 0
    r.out.encode("utf-8")  # valid UTF-8 text, whatever the file names
    paths = [os.fsencode(h["path"]) for h in r.data]
    assert raw in paths
    r = run("similar", os.fsdecode(raw), "-k", "1", "--all", "--json")
    assert r.rc == 0
    assert os.fsencode(r.data[0]["path"]) != raw  # itself excluded: it was found as a library photo


def test_non_utf8_file_names_print_as_their_own_bytes(
    capfdbinary: pytest.CaptureFixture[bytes], tmp_path: Path, tiny_model: str,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    folder = tmp_path / "photos"
    raw = os.path.join(os.fsencode(folder), b"f\xf6to.jpg")
    make_photo(Path(os.fsdecode(raw)), seed=81)
    assert cli.main(["--model", tiny_model, "index", str(folder)]) == 0
    capfdbinary.readouterr()

    assert cli.main(["--model", tiny_model, "search", "x", "--all"]) == 0

    out = capfdbinary.readouterr().out
    assert out.rstrip(b"\n").split(b"  ", 2)[2] == raw  # pipe it to xargs and it opens the file


def test_negative_k_or_offset_is_an_error_not_an_empty_result(indexed: Cli) -> None:
    _one_line_error(indexed("search", "x", "-k", "0"), "-k must be 1 or more")
    _one_line_error(indexed("search", "x", "-k", "-3"), "-k must be 1 or more (got -3)")
    _one_line_error(indexed("search", "x", "--offset", "-2"), "--offset must be 0 or more")
    _one_line_error(indexed("similar", "x.jpg", "--offset", "-1"), "--offset must be 0 or more")



def test_ctrl_c_stops_indexing_keeps_what_is_done_and_exits_130(
    run: Cli, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    presses: list[int] = []

    def press_ctrl_c_once(self, p) -> None:
        if p.phase == "embedding" and p.done and not presses:
            presses.append(1)
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C in the terminal sends

    monkeypatch.setattr(IndexProgressBar, "__call__", press_ctrl_c_once)
    r = run("--batch-size", "4", "index", photos, "--json")

    assert r.rc == 130
    assert r.data["cancelled"] is True
    done = r.data["photos"]
    assert 4 <= done < 12
    r = run("index", "--json")
    assert r.rc == 0
    assert (r.data["added"], r.data["photos"]) == (12 - done, 12)


def test_stats_and_folders_never_load_the_model(
    run: Cli, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inphotos.ml import embedder

    def no_loading(*args, **kwargs):
        raise AssertionError("the model was loaded (or downloaded)")

    monkeypatch.setattr(embedder.ClipEmbedder, "__init__", no_loading)
    assert run("folders", "add", photos, "--json", model=False).rc == 0
    r = run("stats", "--json", model=False)  # the default model, never downloaded here
    assert r.rc == 0
    assert (r.data["dims"], r.data["photos"]) == (512, 0)
