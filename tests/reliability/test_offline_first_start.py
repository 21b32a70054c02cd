"""First start with no network and no model: the app knows in seconds, says so in plain words,
keeps browsing, and tries again quietly, never once per search.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from inphotos.core.library import Library
from inphotos.errors import DownloadError
from inphotos.paths import AppPaths
from tests.reliability.test_no_network import NetworkGuard, no_network  # noqa: F401 - fixture
from tests.ui.conftest import start_window

WAIT = 30_000
MODEL = "ViT-B-32:laion2b_s34b_b79k"  # a built-in model that is not downloaded here


def test_offline_first_start_is_known_in_seconds_and_said_plainly(
    qtbot, no_network: NetworkGuard, home: AppPaths, photos: Path, tmp_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))
    loads: list[str] = []

    def load_model():  # type: ignore[no-untyped-def]
        loads.append("load")  # only reached by a real download attempt
        raise DownloadError("a download was attempted")

    library = Library(home, model=MODEL, embedder_factory=load_model, workers=2)
    t0 = time.monotonic()
    win = start_window(qtbot, home, library)
    try:
        qtbot.waitUntil(lambda: win.models.message is not None, timeout=WAIT)
        # Generous for a busy machine; it took a minute of "Loading model…" before.
        assert time.monotonic() - t0 < 15
        text = win.models.message.text()
        assert "offline" in text
        assert "browse" in text
        assert "Error" not in text
        assert "--" not in text
        assert "browsing only" in win.models.label.text()
        assert loads == []  # the quick check decided: no minute-long download attempt
        probes = list(no_network.attempts)
        assert probes
        assert all("huggingface.co" in a for a in probes)

        # "Use a model folder…" leads straight to a folder picker.
        picked: list[str] = []
        monkeypatch.setattr("PyQt6.QtWidgets.QFileDialog.getExistingDirectory",
                            lambda *a, **k: picked.append("picker") or "")
        use_folder = next(b for b in win.models.message.buttons() if b.text() == "Use a model folder…")
        use_folder.click()
        assert picked == ["picker"]

        # A folder added while offline: its photos wait for the model, and the app says so.
        win.add_folder(str(photos))
        qtbot.waitUntil(lambda: win.message.says("for the model"), timeout=WAIT)
        assert "12 waiting" in win.folders_panel.list.item(0).text()

        # A search says why it cannot run; it shows no photos as if they matched.
        win.search.setText("a cat")
        win.search.force()
        qtbot.waitUntil(lambda: win.message.says("Cannot search yet"), timeout=WAIT)
        qtbot.wait(300)
        assert win.photo_model.rowCount() == 0
        assert loads == []  # neither indexing nor the search tried the download again

        # It keeps trying quietly: another check, and no second box.
        assert win.models.message is None  # the first one was answered
        failures: list[object] = []
        win.session.model.model_failed.connect(failures.append)
        win.session.model._retry.setInterval(100)
        win.session.model._retry.start()
        qtbot.waitUntil(lambda: len(no_network.attempts) > len(probes), timeout=WAIT)
        qtbot.waitUntil(lambda: not win.session.model.loading, timeout=WAIT)
        assert failures == []
        assert win.models.message is None
        assert "browsing only" in win.models.label.text()
        assert loads == []
    finally:
        win.close()
        no_network.attempts.clear()  # only the reachability checks, asserted above


def test_whether_weights_are_downloaded_is_told_without_torch_as_open_clip_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    from inphotos.ml.download import hub_files
    from inphotos.ml.models import RECOMMENDED, parse_spec, weights_maybe_cached, weights_on_hub

    for r in RECOMMENDED:
        spec = parse_spec(r.spec)
        found, expected = weights_on_hub(spec), hub_files(spec)
        if found is not None:  # None: cannot be told early; the loader decides
            assert expected is not None
            assert found == (expected[0], expected[1])

    cache = tmp_path / "hf-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    assert not weights_maybe_cached(parse_spec(MODEL))
    repo = cache / "models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K"
    commit = "0" * 40
    weights = repo / "snapshots" / commit / "open_clip_model.safetensors"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"stand-in")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    assert weights_maybe_cached(parse_spec(MODEL))
