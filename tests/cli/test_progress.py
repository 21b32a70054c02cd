"""`inphotos index` reports progress on stderr, in a terminal and in a pipe or log file alike."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from inphotos.cli.output import IndexProgressBar
from inphotos.paths import HOME_ENV
from inphotos.records import IndexProgress


def test_index_in_a_pipe_shows_progress_lines_and_json_stays_clean(
    tmp_path: Path, tiny_model: str, photos: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != HOME_ENV}
    proc = subprocess.run(
        [sys.executable, "-m", "inphotos", "--home", str(tmp_path / "home"), "--model", tiny_model,
         "--batch-size", "4", "index", str(photos), "--json"],
        capture_output=True, text=True, env=env, timeout=180,
    )

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["added"] == 12  # nothing but the report on stdout
    lines = proc.stderr.splitlines()
    assert "\r" not in proc.stderr  # a log file gets lines, not a terminal's redraws
    assert "Scanning…" in lines
    final = [line for line in lines if line.startswith("Embedding 100%")]
    assert len(final) == 1, proc.stderr
    assert "12/12" in final[0]
    assert "img/s" in final[0]


class _Log(io.StringIO):
    """Where stderr goes when it is not a terminal."""

    def isatty(self) -> bool:
        return False


def test_each_state_is_a_line_with_rate_eta_and_skipped() -> None:
    log = _Log()
    with IndexProgressBar(log) as bar:
        bar(IndexProgress("scanning"))
        bar(IndexProgress("scanning", done=2000))
        bar(IndexProgress("embedding", 500, 4000, 25.0, 140.0, skipped=0))
        bar(IndexProgress("embedding", 4000, 4000, 25.0, 0.0, skipped=3))
        bar(IndexProgress("done", 4000, 4000, 25.0, 0.0, skipped=3))

    lines = log.getvalue().splitlines()
    assert lines[0] == "Scanning…"
    assert lines[-1].startswith("Embedding 100%")
    assert "4000/4000" in lines[-1]
    assert "25.0 img/s, ETA 00:00, 3 skipped" in lines[-1]
    assert all(line.strip() for line in lines)  # no blank lines from the bar being cleared


def test_in_a_terminal_the_bar_is_cleared_before_the_report() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    with IndexProgressBar(term) as bar:
        bar(IndexProgress("embedding", 8, 12, 4.0, 1.0))
        bar(IndexProgress("done", 12, 12, 4.0, 0.0))

    out = term.getvalue()
    assert "Embedding" in out
    assert out.endswith("\r")  # the cursor is back at the start of a blanked line
    assert out.rsplit("\r", 2)[-2].strip() == ""
