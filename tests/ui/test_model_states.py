"""The model's states as a user meets them: failing to load, and switching to another model."""

from __future__ import annotations

from pathlib import Path

import pytest

from inphotos.config import Settings
from inphotos.core.library import Library
from inphotos.errors import DownloadError
from tests.ui.conftest import start_window

WAIT = 60_000


def test_offline_first_start_explains_and_keeps_browsing(
    qtbot, home, tiny_model, tiny_embedder, photos
) -> None:

    # Index while the model works, then start the app with a model that cannot be downloaded.
    with Library(home, model=tiny_model, embedder_factory=lambda: tiny_embedder, precision="fp32") as lib:
        lib.add_folder(photos)
        lib.index()

    def offline():
        raise DownloadError("Could not download the model. Check the internet connection.")

    library = Library(home, model=tiny_model, embedder_factory=offline, precision="fp32")
    win = start_window(qtbot, home, library)
    try:
        qtbot.waitUntil(lambda: win.models.message is not None, timeout=WAIT)
        assert "browsing only" in win.models.label.text()
        assert "offline" in win.models.message.text()
        buttons = [b.text() for b in win.models.message.buttons()]
        assert "Use a model folder…" in buttons
        assert "Retry" in buttons
        # The photos already indexed are still there to browse.
        qtbot.waitUntil(lambda: win.photo_model.rowCount() == 12, timeout=WAIT)
        # A search says why it cannot run instead of hanging, and shows nothing as a result.
        win.search.setText("a cat")
        win.search.force()
        assert win.message.says("Cannot search yet")
        assert win.photo_model.rowCount() == 0
        win.models.message.close()
    finally:
        win.close()
        win.session.lib.close()


@pytest.fixture
def second_model(tmp_path_factory) -> str:
    from inphotos.ml.tiny_model import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("second") / "m", seed=7)


def test_switching_model_reindexes_into_its_own_index(qtbot, window, photos: Path, second_model: str) -> None:
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        window.add_folder(str(photos))
    old_dir = window.session.lib.db_dir
    window.switch_model(second_model)
    qtbot.waitUntil(lambda: window.session.lib.spec.text == second_model, timeout=WAIT)
    assert window.session.lib.db_dir != old_dir
    assert old_dir.exists()
    assert window.session.lib.store.count() == 12
    assert [f.path for f in window.session.lib.store.folders()] == [str(photos)]
    assert window.settings.model == second_model
    assert Settings.load(window.paths.config_file).model == second_model
