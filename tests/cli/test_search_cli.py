"""The command line's search options: the cut-off and --all, --min-score, filters, --sort,
similar --text, and smart albums (which survive a restart and a model switch)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inphotos.args import FILE_TYPE_NAMES, ORIENTATIONS, parse_args
from inphotos.ml.tiny_model import make_tiny_model
from inphotos.records import FILE_TYPES
from inphotos.records import ORIENTATIONS as RECORD_ORIENTATIONS
from tests.cli.test_cli import Cli, _one_line_error
from tests.conftest import make_photo
from tests.helpers import make_colour_photo


@pytest.fixture
def indexed(run: Cli, photos: Path) -> Cli:
    make_photo(photos / "tall.png", seed=40, size=(120, 200), fmt="PNG")
    assert run("index", photos).rc == 0
    return run


def test_the_parser_knows_what_the_records_know() -> None:
    assert ORIENTATIONS == RECORD_ORIENTATIONS
    assert set(FILE_TYPE_NAMES) == set(FILE_TYPES)


@pytest.mark.parametrize("bad", ["1.01", "-1.5", "nan", "inf", "x"])
def test_min_score_outside_minus_one_to_one_is_refused(bad: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        parse_args(["search", "beach", f"--min-score={bad}"])
    assert e.value.code == 2
    assert "--min-score" in capsys.readouterr().err


def test_negative_terms_are_query_words_not_options() -> None:
    o = parse_args(["search", "beach", "-people", "-k", "5", '-"rainy day"'])
    assert (o.text, o.k) == (["beach", "-people", '-"rainy day"'], 5)
    o = parse_args(["search", "-people", "beach"])
    assert o.text == ["beach", "-people"]
    o = parse_args(["albums", "add", "Beach", "beach", "-people", "--after", "2020"])
    assert (o.name, o.query) == ("Beach", "beach -people")
    for bad in (["search", "beach", "--peple"], ["stats", "-x"]):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_filters_parse_into_dates_types_and_orientation() -> None:
    o = parse_args(["search", "x", "--after", "2020", "--before", "2021-07-02", "--type",
                    "JPEG,heic,.png", "--orientation", "portrait", "--sort", "date", "--all"])
    assert o.after == 1_577_836_800_000  # 2020-01-01 00:00 (the camera's clock, read as UTC)
    assert o.before == 1_625_184_000_000
    assert o.types == ("jpg", "heic", "png")
    assert (o.orientation, o.sort, o.show_all) == ("portrait", "date", True)
    for bad in (["--after", "yesterday"], ["--type", "docx"], ["--orientation", "round"]):
        with pytest.raises(SystemExit):
            parse_args(["search", "x", *bad])


def test_search_reports_matches_and_all_shows_everything(indexed: Cli) -> None:
    r = indexed("search", "a", "dog")  # random weights: nothing stands out
    assert r.rc == 0
    assert "match" in r.err or "No matching photos." in r.err
    everything = indexed("search", "a", "dog", "--all", "--json", "-k", "100")
    assert len(everything.data) == 13
    assert all(0 <= h["strength"] <= 1 for h in everything.data)
    assert {h["taken_source"] for h in everything.data} == {"file"}  # generated: no EXIF


def test_filters_and_date_order_on_the_command_line(indexed: Cli, photos: Path) -> None:
    def paths(*args: str) -> list[str]:
        r = indexed("search", "x", "--all", "--json", "-k", "100", *args)
        assert r.rc == 0, r.err
        return [h["path"] for h in r.data]

    assert paths("--type", "png") == [str(photos / "tall.png")]
    assert paths("--orientation", "portrait") == [str(photos / "tall.png")]
    assert sorted(paths("--folder", str(photos / "trip"))) == sorted(
        str(p) for p in (photos / "trip").glob("*.jpg"))
    assert paths("--after", "2999") == []
    os.utime(photos / "img_05.jpg", (2_000_000_000, 2_000_000_000))  # 2033: the newest
    assert indexed("index").rc == 0
    by_date = indexed("search", "x", "--all", "--json", "-k", "100", "--sort", "date").data
    assert by_date[0]["path"] == str(photos / "img_05.jpg")
    dates = [h["taken_ms"] for h in by_date]
    assert dates == sorted(dates, reverse=True)


def test_similar_with_words(indexed: Cli, photos: Path) -> None:
    plain = indexed("similar", photos / "img_01.jpg", "--all", "--json", "-k", "100").data
    refined = indexed("similar", photos / "img_01.jpg", "--text", "at night", "--all", "--json",
                      "-k", "100").data
    assert len(plain) == len(refined) == 12
    assert [h["score"] for h in plain] != [h["score"] for h in refined]
    assert str(photos / "img_01.jpg") not in {h["path"] for h in refined}


def test_albums_survive_a_restart_and_a_model_switch(indexed: Cli, photos: Path, tmp_path: Path) -> None:
    assert indexed("albums").err.startswith("No albums yet")
    r = indexed("albums", "add", "Tall ones", 'a "tall" photo -night', "--orientation", "portrait",
                "--sort", "date", "--all")
    assert r.rc == 0, r.err
    listed = indexed("albums", "--json").data
    assert listed == [{"name": "Tall ones", "text": 'a "tall" photo -night',
                       "filters": {"after_ms": None, "before_ms": None, "folder": "",
                                   "types": [], "orientation": "portrait"},
                       "sort": "date", "include_weaker": True, "min_score": None}]
    shown = indexed("albums", "show", "Tall ones", "--json").data
    assert [h["path"] for h in shown] == [str(photos / "tall.png")]

    # A photo indexed later shows up: the album is run again.
    make_photo(photos / "tall2.png", seed=41, size=(100, 300), fmt="PNG")
    assert indexed("index").rc == 0
    assert len(indexed("albums", "show", "Tall ones", "--json").data) == 2

    # Another model: its own index, the same albums.
    indexed.model = make_tiny_model(tmp_path / "tiny7", seed=7)
    assert indexed("albums", "--json").data == listed
    assert indexed("index", photos).rc == 0
    assert len(indexed("albums", "show", "Tall ones", "--json").data) == 2

    assert indexed("albums", "rename", "Tall ones", "Portraits").rc == 0
    assert [a["name"] for a in indexed("albums", "--json").data] == ["Portraits"]
    _one_line_error(indexed("albums", "show", "Tall ones"), "No album called 'Tall ones'",
                    "Portraits")
    assert indexed("albums", "remove", "Portraits").rc == 0
    assert indexed("albums", "--json").data == []


def test_album_mistakes_are_one_line_errors(indexed: Cli) -> None:
    assert indexed("albums", "add", "Reds", "red").rc == 0
    _one_line_error(indexed("albums", "add", "reds", "blue"), "already an album called 'reds'")
    _one_line_error(indexed("albums", "add", "Only not", "-people"), "not only what to leave out")
    _one_line_error(indexed("albums", "add", "Empty"), "needs a search")
    _one_line_error(indexed("albums", "show"), "needs a NAME")
    _one_line_error(indexed("albums", "remove", "Nope"), "No album called 'Nope'", "Reds")
    _one_line_error(indexed("albums", "rename", "Reds"), "the OLD and the NEW name")


def test_a_damaged_album_file_is_refused_and_kept(indexed: Cli) -> None:
    albums = indexed.home / "data" / "albums.json"
    albums.parent.mkdir(parents=True, exist_ok=True)
    albums.write_text("{ not json")
    _one_line_error(indexed("albums"), "cannot be read")
    _one_line_error(indexed("albums", "add", "x", "y"), "cannot be read")
    assert albums.read_text() == "{ not json"


def test_colour_photos_helper_makes_two_halves(tmp_path: Path) -> None:
    from PIL import Image

    p = make_colour_photo(tmp_path / "p.jpg", (200, 0, 0), right=(0, 0, 200))
    with Image.open(p) as im:
        assert im.getpixel((5, 5))[0] > 150
        assert im.getpixel((90, 5))[2] > 150
