"""Fixtures for the desktop app: a real MainWindow on the tiny model, offscreen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inphotos.config import Settings
from inphotos.core.library import Library
from inphotos.paths import AppPaths


def start_window(qtbot, home: AppPaths, library: Library):  # type: ignore[no-untyped-def]
    """A shown MainWindow on the already open `library`, started as the app starts it.

    Another model's library (a model switch) opens for real, in fp32, from `home`.
    """
    from inphotos.ui.main_window import MainWindow
    from inphotos.workers.session import LibrarySession

    session = LibrarySession(lambda spec: Library(home, model=spec, precision="fp32", workers=2))
    win = MainWindow(home, Settings(model=library.spec.text, precision="fp32"), session)
    qtbot.addWidget(win)
    win.show()
    session.install(library)
    return win


@pytest.fixture
def window(qtbot, home: AppPaths, tiny_model: str, tiny_embedder) -> Iterator:
    library = Library(home, model=tiny_model, embedder_factory=lambda: tiny_embedder, workers=2,
                      precision="fp32")
    win = start_window(qtbot, home, library)
    yield win
    win.close()
