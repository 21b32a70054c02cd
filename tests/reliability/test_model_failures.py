"""A model that cannot be had: an interrupted download, damaged weights. Each gets one clear
message with a way out, the library stays browsable, and nothing half-downloaded is ever used.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inphotos.core.library import Library
from inphotos.errors import DownloadError
from inphotos.ml.embedder import cached_weights, download_weights
from inphotos.paths import AppPaths
from tests.conftest import make_photo
from tests.helpers import copy_model, damage_model, weights_file
from tests.ui.conftest import start_window

WAIT = 60_000
SPEC = "ViT-B-32:laion2b_s34b_b79k"


def test_an_interrupted_download_is_a_clear_error_and_its_partial_file_is_never_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub
    from huggingface_hub import constants
    from huggingface_hub.file_download import repo_folder_name

    cache = tmp_path / "hf-cache"  # the cache hf_hub_download and try_to_load_from_cache use
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    commit = "0" * 40
    attempts: list[str] = []

    def drops_half_way(repo_id: str, filename: str, tqdm_class, **kwargs):  # type: ignore[no-untyped-def]
        # What huggingface_hub leaves when the connection drops (file_download.py,
        # _hf_hub_download_to_cache_dir): refs/main and the snapshot folder are written before
        # the bytes, which go to blobs/<etag>.incomplete until complete, then get linked in.
        attempts.append(filename)
        repo = cache / repo_folder_name(repo_id=repo_id, repo_type="model")
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / "main").write_text(commit)
        (repo / "snapshots" / commit).mkdir(parents=True, exist_ok=True)
        (repo / "blobs").mkdir(exist_ok=True)
        (repo / "blobs" / f"{len(attempts):064x}.incomplete").write_bytes(b"\0" * 1000)
        bar = tqdm_class(total=600_000_000)
        bar.update(250_000_000)
        raise ConnectionError("Connection broken: IncompleteRead(250000000 bytes read)")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", drops_half_way)
    seen: list[tuple[int, int]] = []

    with pytest.raises(DownloadError, match=r"Could not download the model.*internet connection"):
        download_weights(SPEC, lambda done, total: seen.append((done, total)))

    assert seen[-1] == (250_000_000, 600_000_000)  # the user saw it progress
    assert attempts  # the download really was tried, into this cache
    assert cached_weights(SPEC) is None  # the half file is not mistaken for the model

    # The lookup above read this very cache: once the hub links a complete file into the
    # snapshot, the same call finds it.
    snapshot = next(cache.glob("models--*/snapshots")) / commit
    blob = next(snapshot.parent.parent.glob("blobs/*.incomplete"))
    done = blob.with_suffix("")
    blob.rename(done)
    (snapshot / attempts[0]).symlink_to(Path("../..") / "blobs" / done.name)
    assert cached_weights(SPEC) == str(snapshot / attempts[0])


@pytest.fixture
def model_folder(tmp_path: Path, tiny_model: str) -> tuple[str, Path]:
    """A copy of the tiny model, to break: (its spec, its folder)."""
    folder = tmp_path / "model"
    return copy_model(tiny_model, folder), folder


def test_damaged_weights_say_so_once_and_the_library_stays_browsable(
    qtbot, home: AppPaths, tiny_embedder, photos: Path, model_folder: tuple[str, Path]
) -> None:
    spec, folder = model_folder
    weights = weights_file(folder)
    with Library(home, model=spec, embedder_factory=lambda: tiny_embedder, precision="fp32") as lib:
        lib.add_folder(photos)
        lib.index()
    good = weights.read_bytes()
    damage_model(folder, "truncated")  # as after a failed copy
    make_photo(photos / "new-since.jpg", seed=500)  # indexing will need the model

    library = Library(home, model=spec, precision="fp32")  # the real loader, as the app uses it
    win = start_window(qtbot, home, library)
    try:
        qtbot.waitUntil(lambda: win.models.message is not None, timeout=WAIT)
        assert "damaged" in win.models.message.text()
        assert "browsing only" in win.models.label.text()
        buttons = [b.text() for b in win.models.message.buttons()]
        assert "Use a model folder…" in buttons
        assert "Retry" not in buttons  # downloading again would not help a folder
        qtbot.waitUntil(lambda: win.photo_model.rowCount() == 12, timeout=WAIT)
        qtbot.waitUntil(lambda: win.message.says("for the model"), timeout=WAIT)
        win.search.setText("a cat")
        win.search.force()  # refused at once, saying why (no new attempt to load the model)
        assert win.message.says("damaged")
        win.models.message.close()

        # The weights are put back and the model retried: indexing picks up where it waited.
        weights.write_bytes(good)
        with qtbot.waitSignal(win.session.index.finished, timeout=WAIT) as done:
            win.session.model.load()
        assert done.args[0].added == 1
        assert win.session.lib.store.count() == 13
    finally:
        win.close()
        win.session.lib.close()


def test_an_hf_hub_models_weights_download_with_progress_into_open_clips_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    asked: list[tuple[str, str]] = []

    def download(repo_id: str, filename: str, tqdm_class, **kwargs):  # type: ignore[no-untyped-def]
        asked.append((repo_id, filename))
        bar = tqdm_class(total=1000)
        bar.update(1000)
        return f"/cache/{filename}"

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    seen: list[tuple[int, int]] = []

    got = download_weights("hf-hub:someone/tiny-clip", lambda d, t: seen.append((d, t)))

    assert got == "/cache/open_clip_model.safetensors"  # the name open_clip looks for first
    assert asked == [("someone/tiny-clip", "open_clip_model.safetensors")]
    assert seen[-1] == (1000, 1000)
