"""What the command-line tests share: `run`, the CLI in this process on a fresh home."""

from __future__ import annotations

from pathlib import Path

import pytest

from inphotos.paths import HOME_ENV
from tests.cli.test_cli import Cli


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], tmp_path: Path, tiny_model: str,
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    # --home is applied through the environment; make sure it is restored afterwards.
    monkeypatch.setenv(HOME_ENV, "placeholder")
    monkeypatch.delenv(HOME_ENV)
    return Cli(capsys, tmp_path / "home", tiny_model)
