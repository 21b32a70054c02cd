"""`--self-test`, the check `make bundle-test` runs inside the built bundle, passes from source too."""

from __future__ import annotations

import io

import pytest

from inphotos import cli, selftest


def test_self_test_passes() -> None:
    out = io.StringIO()
    assert selftest.run(out) == 0
    report = out.getvalue()
    for step in ("imports", "qt", "model", "index", "search", "similar", "reopen"):
        assert f"ok   {step}" in report
    assert "Self-test passed" in report


def test_cli_flag_runs_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--self-test"]) == 0
    assert "Self-test passed" in capsys.readouterr().out


def test_a_missing_module_fails_at_its_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selftest, "RUNTIME_MODULES", (*selftest.RUNTIME_MODULES, "no_such_module_xyz"))
    out = io.StringIO()
    assert selftest.run(out) == 1
    assert "FAIL imports" in out.getvalue()
    assert "FAILED at step 'imports'" in out.getvalue()
