"""Fixtures for the desktop app: a real MainWindow on the tiny model, offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inphotos.config import Settings
from inphotos.core.library import Library
from inphotos.paths import AppPaths
from tests.helpers import ColourEmbedder, colour_model, make_colour_photo

RED, BLUE, GREEN = (220, 30, 30), (30, 40, 220), (30, 200, 40)


def start_window(qtbot, home: AppPaths, library: Library):  # type: ignore[no-untyped-def]
    """A shown MainWindow on the already open `library`, started as the app starts it.

    Another model's library (a model switch) opens for real, in fp32, from `home`.
    """
    from inphotos.ui.main_window import MainWindow
    from inphotos.workers.session import LibrarySession

    session = LibrarySession(lambda spec: Library(home, model=spec, precision="fp32", workers=2))
    # Unstacked: the tiny model and ColourEmbedder put different photos within the duplicate
    # distance (tests/ui/test_duplicates_view.py turns stacks on).
    win = MainWindow(home, Settings(model=library.spec.text, precision="fp32", stack_duplicates=False),
                     session)
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


def colour_window(qtbot, home: AppPaths, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A window on ColourEmbedder (tests/helpers.py): rankings with known answers."""
    lib = Library(home, model=colour_model(tmp_path / "model"), embedder_factory=ColourEmbedder,
                  workers=1)
    return start_window(qtbot, home, lib)


@pytest.fixture
def colour_photos(tmp_path: Path) -> Path:
    """20 grey photos, 6 red (3 in trips/, dated 2019; 3 dated 2021), 4 blue, 2 red-green PNGs."""
    root = tmp_path / "photos"
    for i in range(20):
        g = 60 + 4 * i
        make_colour_photo(root / f"grey_{i:02d}.jpg", (g, g + 5, g), seed=100 + i)
    for i in range(3):
        make_colour_photo(root / "trips" / f"red_{i}.jpg", RED, seed=i,
                          exif_date=f"2019:0{i + 1}:10 12:00:00")
        make_colour_photo(root / f"red_{i + 3}.jpg", RED, (64, 96), seed=i + 3,
                          exif_date=f"2021:0{i + 1}:10 12:00:00")
    for i in range(4):
        make_colour_photo(root / f"blue_{i}.jpg", BLUE, seed=10 + i)
    for i in range(2):
        make_colour_photo(root / f"redgreen_{i}.png", RED, right=GREEN, seed=20 + i)
    return root


def _colour_window(qtbot, home: AppPaths, tmp_path: Path):  # type: ignore[no-untyped-def]
    lib = Library(home, model=colour_model(tmp_path / "model"), embedder_factory=ColourEmbedder,
                  workers=1)
    return start_window(qtbot, home, lib)
