"""Nothing leaves the machine: no network connection while loading a cached model, indexing,
searching or browsing, in the engine, the CLI and the app. Only an explicit download may.

The guard makes every internet socket and name lookup fail, and records each attempt, so an
attempt swallowed by some library's retry logic still fails the test.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from inphotos import cli
from inphotos.core.library import Library
from inphotos.ml.embedder import ClipEmbedder, cached_weights, download_weights
from inphotos.ml.hub import cache_first
from inphotos.paths import AppPaths

WAIT = 60_000


class NetworkGuard:
    def __init__(self) -> None:
        self.attempts: list[str] = []

    def refuse(self, what: str) -> OSError:
        self.attempts.append(what)
        return OSError(101, f"network blocked by the test: {what}")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    guard = NetworkGuard()
    real_socket = socket.socket

    class GuardedSocket(real_socket):  # type: ignore[misc, valid-type]
        def __init__(self, family: int = -1, *args: object, **kwargs: object) -> None:
            if family in (-1, socket.AF_INET, socket.AF_INET6):
                raise guard.refuse(f"socket(family={family})")
            super().__init__(family, *args, **kwargs)  # type: ignore[arg-type]

    def lookup(host: object, *args: object, **kwargs: object) -> object:
        raise guard.refuse(f"name lookup of {host}")

    def connect(address: object, *args: object, **kwargs: object) -> object:
        raise guard.refuse(f"connection to {address}")

    monkeypatch.setattr(socket, "socket", GuardedSocket)
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setattr(socket, "gethostbyname", lookup)
    monkeypatch.setattr(socket, "create_connection", connect)
    yield guard
    assert guard.attempts == [], f"network used: {guard.attempts}"


def test_the_guard_catches_what_an_http_client_does(no_network: NetworkGuard) -> None:
    import urllib.request

    with pytest.raises(OSError, match="network blocked"):
        urllib.request.urlopen("http://example.com", timeout=2)
    assert no_network.attempts
    no_network.attempts.clear()


def test_load_index_search_similar_and_browse_offline(
    no_network: NetworkGuard, home: AppPaths, tiny_model: str, photos: Path, capsys
) -> None:
    embedder = ClipEmbedder(tiny_model, precision="fp32")  # loading the model: no network either
    with Library(home, model=tiny_model, embedder_factory=lambda: embedder, workers=2,
                 precision="fp32") as lib:
        lib.add_folder(photos)
        assert lib.index().added == 12
        assert len(lib.search_text("a dog on a beach", k=5)) == 5
        assert lib.similar_to_file(photos / "img_01.jpg", k=3)
        rows = lib.photos(lib.browse_ids())
        assert len(rows) == 12
        for r in rows:
            assert lib.thumbs.ensure(r.path, r.mtime_ns, r.size).exists()

    base = ["--home", str(home.data.parent), "--model", tiny_model]
    assert cli.main([*base, "search", "sunset", "--all", "--json"]) == 0  # random weights: --all
    assert cli.main([*base, "similar", str(photos / "img_02.jpg"), "--all", "--json"]) == 0
    assert cli.main([*base, "index", "--json"]) == 0
    assert str(photos / "img_02.jpg") in capsys.readouterr().out


def test_a_cached_builtin_model_resolves_its_weights_without_network(
    no_network: NetworkGuard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    spec = "ViT-B-32:laion2b_s34b_b79k"
    cache = tmp_path / "hf-cache"
    repo = cache / "models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K"
    commit = "0" * 40
    weights = repo / "snapshots" / commit / "open_clip_model.safetensors"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"stand-in for the downloaded weights")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))

    assert cached_weights(spec) == str(weights)
    assert download_weights(spec) == str(weights)  # cached: no request "is there a newer one?"


def test_model_files_load_from_the_cache_first_and_go_online_only_when_missing() -> None:
    from huggingface_hub import constants

    seen: list[bool] = []

    def load() -> str:
        seen.append(constants.HF_HUB_OFFLINE)
        if len(seen) == 1:
            raise OSError("We have no connection or you passed local_files_only; file not cached")
        return "model"

    assert cache_first(load, may_download=True) == "model"
    assert seen == [True, False]  # cache only, then the (explicit, first-use) download

    seen.clear()
    with pytest.raises(OSError, match="not cached"):
        cache_first(load, may_download=False)  # a model folder never goes online
    assert seen == [True]
    assert constants.HF_HUB_OFFLINE is False  # restored


def test_the_app_indexes_searches_and_previews_offline(
    qtbot, no_network: NetworkGuard, window, photos: Path
) -> None:
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        window.add_folder(str(photos))
    qtbot.waitUntil(lambda: window.photo_model.rowCount() == 12, timeout=WAIT)
    first = window.photo_model.photo(0)
    qtbot.waitUntil(lambda: window.photo_model.cached_thumbnail(first.id) is not None, timeout=WAIT)
    with qtbot.waitSignal(window.session.queries.results_ready, timeout=WAIT):
        qtbot.keyClicks(window.search, "mountains")
    with qtbot.waitSignal(window.session.queries.results_ready, timeout=WAIT):
        window.view.find_similar([first])
    window.grid.setCurrentIndex(window.photo_model.index(0, 0))
    window.preview.open(0)
    qtbot.waitUntil(lambda: window.preview.dialog is not None
                    and window.preview.dialog._pixmap is not None, timeout=WAIT)
