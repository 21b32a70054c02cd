"""Fixtures for the desktop app: a real MainWindow on the tiny model, offscreen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inphotos.config import Settings
from inphotos.core.library import Library
from inphotos.paths import AppPaths


def start_window(qtbot, home: AppPaths, library: Library):  # type: ignore[no-untyped-def]
    """A shown and started MainWindow on `library`, as the app opens it."""
    from inphotos.ui.main_window import MainWindow

    win = MainWindow(home, Settings(model=library.spec.text, precision="fp32"), library)
    qtbot.addWidget(win)
    win.show()
    win.start()
    return win


@pytest.fixture
def window(qtbot, home: AppPaths, tiny_model: str, tiny_embedder) -> Iterator:
    library = Library(home, model=tiny_model, embedder_factory=lambda: tiny_embedder, workers=2,
                      precision="fp32")
    win = start_window(qtbot, home, library)
    yield win
    win.close()
    win.library.close()
