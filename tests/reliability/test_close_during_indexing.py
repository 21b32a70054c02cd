"""Closing the app in the middle of indexing (running or paused) stops within a few seconds,
keeps every finished batch, and the next start resumes without embedding anything twice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from inphotos.core.library import Library
from inphotos.paths import AppPaths
from tests.conftest import make_photo
from tests.helpers import CountingEmbedder
from tests.ui.conftest import start_window

PHOTOS = 120
BATCH_SECONDS = 0.25  # a real model's pace on a laptop CPU, so there is a "middle" to close in


class PacedEmbedder(CountingEmbedder):
    def encode_pixels(self, batch: np.ndarray) -> np.ndarray:
        time.sleep(BATCH_SECONDS)
        return super().encode_pixels(batch)

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_text(texts)


def _open_window(qtbot, home: AppPaths, tiny_model: str, embedder: CountingEmbedder):  # type: ignore[no-untyped-def]
    library = Library(home, model=tiny_model, embedder_factory=lambda: embedder, workers=2, batch_size=8,
                      precision="fp32")
    return start_window(qtbot, home, library)


@pytest.mark.parametrize("paused", [False, True], ids=["running", "paused"])
def test_closing_mid_index_stops_quickly_and_the_next_start_resumes(
    qtbot, home: AppPaths, tiny_model: str, tiny_embedder, tmp_path: Path, paused: bool
) -> None:
    folder = tmp_path / "photos"
    for i in range(PHOTOS):
        make_photo(folder / f"p{i:03d}.jpg", seed=i, size=(400, 300))
    first = PacedEmbedder(tiny_embedder)
    win = _open_window(qtbot, home, tiny_model, first)
    win.add_folder(str(folder))
    qtbot.waitUntil(lambda: first.images >= 24, timeout=60_000)
    if paused:
        win.session.index.pause()
        time.sleep(0.3)

    started = time.perf_counter()
    win.close()
    closing_s = time.perf_counter() - started
    win.session.lib.close()

    print(f"closed in {closing_s:.2f} s")  # noqa: T201 (for -s)
    assert closing_s < 3.0, f"closing took {closing_s:.1f} s"
    assert 24 <= first.images < PHOTOS

    second = PacedEmbedder(tiny_embedder)
    win = _open_window(qtbot, home, tiny_model, second)
    try:
        kept = win.session.lib.store.count()
        assert kept == first.images  # every batch embedded before the close was saved
        with qtbot.waitSignal(win.session.index.finished, timeout=120_000) as done:
            pass  # start() rescans the library by itself
        assert done.args[0].added == PHOTOS - kept
        assert second.images == PHOTOS - kept  # nothing embedded twice
        assert win.session.lib.store.count() == PHOTOS
    finally:
        win.close()
        win.session.lib.close()
