"""`inphotos` parses its command line once and hands the result on: to a subcommand or the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from inphotos import __main__ as entry
from inphotos import app
from inphotos.args import Options


def test_no_subcommand_opens_the_app_with_the_options_already_parsed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    received: list[object] = []

    def open_app(argv: object = None) -> int:  # the window itself is tested in tests/ui
        received.append(argv)
        return 0

    monkeypatch.setattr(app, "main", open_app)
    assert entry.main(["--home", str(tmp_path), "--model", "local-dir:/models/tiny", "-v"]) == 0

    [options] = received
    assert isinstance(options, Options)
    assert (options.command, options.home, options.model, options.verbose) == (
        None, str(tmp_path), "local-dir:/models/tiny", True)


def test_options_before_and_after_the_subcommand_are_the_same_options() -> None:
    from inphotos.args import parse_args

    before = parse_args(["--home", "/h", "--model", "m", "stats"])
    after = parse_args(["stats", "--home", "/h", "--model", "m"])
    mixed = parse_args(["--home", "/h", "stats", "--model", "m"])
    for o in (before, after, mixed):
        assert (o.command, o.home, o.model, o.device, o.verbose) == ("stats", "/h", "m", None, False)


def test_the_cli_without_a_subcommand_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    from inphotos import cli

    assert cli.main(["--home", "/nowhere"]) == 2
    assert "no command given" in capsys.readouterr().err
