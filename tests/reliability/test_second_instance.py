"""A second InPhotos on the same library: a clear message, the first window comes forward, and
neither the second app nor a CLI run beside it touches the database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inphotos import app
from inphotos.config import Settings
from inphotos.core.library import Library
from inphotos.paths import HOME_ENV, app_paths
from inphotos.ui.single_instance import InstanceServer, ring, server_name


def test_the_doorbell_brings_the_running_window_forward(qtbot, tmp_path: Path) -> None:
    name = server_name(tmp_path)
    server = InstanceServer(name)
    try:
        with qtbot.waitSignal(server.show_requested, timeout=5000):
            assert ring(name)
    finally:
        server.close()
    assert not ring(server_name(tmp_path / "nobody-listens"), timeout_ms=200)


@pytest.mark.slow
def test_second_app_is_told_the_library_is_in_use_and_nothing_is_corrupted(
    qtbot, tmp_path: Path, tiny_model: str, tiny_embedder, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    paths = app_paths(home).ensure()
    with Library(paths, model=tiny_model, embedder_factory=lambda: tiny_embedder, precision="fp32") as lib:
        lib.add_folder(photos)
    Settings(model=tiny_model, precision="fp32").save(paths.config_file)  # the app has no --precision
    env = {**{k: v for k, v in os.environ.items() if k != HOME_ENV}, "QT_QPA_PLATFORM": "offscreen"}
    first = subprocess.Popen(
        [sys.executable, "-c", "import sys; from inphotos.app import main; sys.exit(main())",
         "--home", str(home), "--model", tiny_model],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    try:
        lock = paths.data / "app.lock"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and first.poll() is None:
            if lock.exists() and lock.read_text() == str(first.pid):
                break
            time.sleep(0.05)
        assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
        time.sleep(1.0)  # its window is up and indexing has begun

        # The second app: the first is asked to show itself, with no box on top of it.
        shown: list[str] = []
        monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # main() installs its own
        monkeypatch.setattr("threading.excepthook", __import__("threading").excepthook)
        monkeypatch.setattr("PyQt6.QtWidgets.QMessageBox.information",
                            lambda parent, title, text: shown.append(text))
        assert app.main(["--home", str(home), "--model", tiny_model]) == 0
        assert shown == []

        # A command-line run beside it is refused the same way, in one line.
        cli = subprocess.run(
            [sys.executable, "-m", "inphotos", "--home", str(home), "--model", tiny_model,
             "--precision", "fp32", "index"],
            capture_output=True, text=True, env=env, timeout=240, check=False,
        )
        assert cli.returncode == 1
        assert "in use by another InPhotos" in cli.stderr
        assert "Traceback" not in cli.stderr

        # The first one finishes its work untouched.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            log = (paths.logs / "inphotos.log").read_text(errors="replace")
            if "Index run:" in log:
                break
            time.sleep(0.2)
        assert "asked to show itself" in log
        assert "Index run: 12 added" in log
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
        if first.stderr is not None:
            first.stderr.close()

    with Library(paths, model=tiny_model, embedder_factory=lambda: tiny_embedder, precision="fp32") as lib:
        rows = lib.store.all_photos(with_embedding=True)
        assert sorted(r.path for r in rows) == sorted(str(p) for p in photos.rglob("*.jpg"))
        assert len(lib.search_text("a photo", k=20)) == 12
