"""`inphotos index --no-videos`: videos left out of this run, and those indexed forgotten;
a search's JSON says where in a video the match is."""

from __future__ import annotations

from pathlib import Path

import pytest

from inphotos.args import parse_args
from tests.cli.test_cli import Cli
from tests.helpers import make_colour_video

RED, GREEN = (220, 30, 30), (30, 200, 40)


@pytest.mark.slow
def test_no_videos_leaves_them_out_and_forgets_those_indexed(run: Cli, photos: Path) -> None:
    make_colour_video(photos / "clip.mp4", [RED, GREEN])
    first = run("index", "--no-videos", "--json", photos)
    assert first.rc == 0
    assert first.data["photos"] == 12  # the photos only
    again = run("index", "--json")
    assert again.data["added"] == 1
    assert again.data["photos"] == 13
    hits = run("search", "a red car", "--all", "--json", "-k", "50").data
    clip = [h for h in hits if h["path"].endswith("clip.mp4")]
    assert len(clip) == 1
    assert clip[0]["duration_ms"] == 2000
    assert clip[0]["frame_ms"] in (0, 1000)
    assert "frame_ms" not in next(h for h in hits if h["path"].endswith(".jpg"))
    off = run("index", "--no-videos", "--json")
    assert off.data["removed"] == 1
    assert off.data["photos"] == 12
    assert parse_args(["index"]).videos is None  # not given: the setting decides
