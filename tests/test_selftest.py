"""`--self-test`, the check `make bundle-test` runs inside the built bundle, passes from source too."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from inphotos import selftest
from inphotos.__main__ import main as inphotos_main
from inphotos.args import parse_args


def test_self_test_passes() -> None:
    out = io.StringIO()
    assert selftest.run(out) == 0
    report = out.getvalue()
    for step in ("imports", "qt", "model", "index", "search", "similar", "reopen"):
        assert f"ok   {step}" in report
    assert "Self-test passed" in report


def test_the_flag_runs_it_whatever_other_options_say(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    assert inphotos_main(["--home", str(home), "--self-test"]) == 0
    assert "Self-test passed" in capsys.readouterr().out
    assert not home.exists()  # it works in a folder of its own; no library is opened


def test_the_flag_after_a_subcommand_is_a_usage_error_not_a_self_test(
    capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        inphotos_main(["search", "beach", "--self-test"])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert "unrecognized arguments: --self-test" in captured.err
    assert "Self-test" not in captured.out


def test_a_missing_module_fails_at_its_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selftest, "RUNTIME_MODULES", (*selftest.RUNTIME_MODULES, "no_such_module_xyz"))
    out = io.StringIO()
    assert selftest.run(out) == 1
    assert "FAIL imports" in out.getvalue()
    assert "FAILED at step 'imports'" in out.getvalue()


def test_a_search_for_the_words_is_a_search() -> None:
    options = parse_args(["search", "--", "--self-test"])
    assert (options.command, options.text, options.self_test) == ("search", ["--self-test"], False)
