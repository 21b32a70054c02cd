"""Fixtures for the desktop app: a real MainWindow on the tiny model, offscreen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inphotos.config import Settings
from inphotos.core.library import Library
from inphotos.paths import AppPaths


@pytest.fixture
def window(qtbot, home: AppPaths, tiny_model: str, tiny_embedder) -> Iterator:
    from inphotos.ui.main_window import MainWindow

    settings = Settings(model=tiny_model)
    library = Library(home, model=tiny_model, embedder_factory=lambda: tiny_embedder, workers=2)
    win = MainWindow(home, settings, library)
    qtbot.addWidget(win)
    win.show()
    win.start()
    yield win
    win.close()
    win.library.close()
