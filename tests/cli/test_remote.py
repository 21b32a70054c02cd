"""`inphotos search|similar` while the app is open: the running app answers over its socket."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from inphotos import cli, ipc
from inphotos.core.library import Library
from inphotos.paths import AppPaths
from inphotos.ui.single_instance import InstanceServer, server_name
from inphotos.workers.remote import RemoteQueries
from inphotos.workers.session import LibrarySession


@pytest.fixture
def app_side(qtbot, home: AppPaths, tiny_model: str, tiny_embedder, photos: Path):
    """What the app runs: a session holding the library (and its lock), and the socket server."""
    def opener(model: str) -> Library:
        return Library(home, model, embedder_factory=lambda: tiny_embedder, precision="fp32")

    session = LibrarySession(opener)
    with qtbot.waitSignal(session.opened, timeout=20000):
        session.open(tiny_model)
    session.lib.add_folder(photos)
    session.lib.index()
    server = InstanceServer(server_name(home.data))
    remote = RemoteQueries(session, session)
    session.attach(remote)
    server.set_query_handler(remote.handle)
    yield session
    server.close()
    session.shutdown()


def run_cli(qtbot, capsys, argv: list[str]) -> tuple[int, str, str]:
    """The command on a thread of its own, while this (GUI) thread serves the socket."""
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(cli.main(argv)))
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=30000)
    thread.join()
    out, err = capsys.readouterr()
    return codes[0], out, err


def test_search_and_similar_are_answered_by_the_running_app(
    qtbot, capsys, app_side: LibrarySession, home: AppPaths, tiny_model: str, photos: Path
) -> None:
    base = ["--home", str(home.data.parent), "--model", tiny_model]
    expected = [h.photo.path for h in app_side.lib.search_text("a red photo", k=3)]
    # --all: everything ranked (a random-weight model matches nothing past the cut-off)
    rc, out, _ = run_cli(qtbot, capsys, [*base, "search", "a red photo", "-k", "3", "--all", "--json"])
    assert rc == 0
    assert [row["path"] for row in json.loads(out)] == expected

    rc, out, _ = run_cli(qtbot, capsys, [*base, "search", "a red photo", "-k", "3", "--all"])
    assert rc == 0
    assert [line.rsplit("  ", 1)[1] for line in out.splitlines()] == expected

    photo = str(photos / "img_01.jpg")
    rc, out, _ = run_cli(qtbot, capsys, [*base, "similar", photo, "-k", "2", "--all", "--json"])
    assert rc == 0
    rows = json.loads(out)
    assert len(rows) == 2
    assert photo not in [r["path"] for r in rows]


def test_an_error_in_the_app_is_the_commands_error(
    qtbot, capsys, app_side, home: AppPaths, tiny_model: str
) -> None:
    base = ["--home", str(home.data.parent), "--model", tiny_model]
    rc, _, err = run_cli(qtbot, capsys, [*base, "search", "   "])
    assert rc == 1
    assert "Type something" in err


def test_another_models_query_is_left_to_the_command(qtbot, app_side: LibrarySession, home: AppPaths) -> None:
    answers: list[dict] = []
    thread = threading.Thread(target=lambda: answers.append(
        ipc.ask(home.data, {"op": "search", "text": "x", "model": "ViT-B-32:openai"}) or {}))
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10000)
    assert answers[0].get("local") is True


def test_no_app_listening_means_no_answer(tmp_path: Path) -> None:
    assert ipc.ask(tmp_path, {"op": "search", "text": "x"}) is None
