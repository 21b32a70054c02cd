"""The window is on screen before the engine loads: its code, built and shown, has imported
none of numpy, the database, the image decoders or the model. They load with the library on a
worker thread (measured in docs/benchmarks.md: `app_window_s`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ENGINE = ("numpy", "objectbox", "PIL", "torch", "open_clip", "onnxruntime", "inphotos.core.library",
          "inphotos.db", "inphotos.ml.embedder")

BUILD_AND_SHOW = """
import json, sys
from PyQt6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from inphotos.app import open_window
from inphotos.config import Settings
from inphotos.paths import use_home
paths = use_home(sys.argv[1]).ensure()
window = open_window(paths, Settings.load(paths.config_file))
window.show()
app.processEvents()
print(json.dumps(sorted(sys.modules)))
"""


def test_the_window_is_built_and_shown_without_loading_the_engine(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", BUILD_AND_SHOW, str(tmp_path / "home")],
                          capture_output=True, text=True, env=env, timeout=240, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "PyQt6.QtWidgets" in loaded  # it did build the window
    early = [m for m in loaded if any(m == e or m.startswith(e + ".") for e in ENGINE)]
    assert early == [], f"the window waits for these before it shows: {early}"
