"""The Duplicates window and the grid's stacks, as a user drives them.

A real window on LooksEmbedder (tests/helpers.py: copies of a photo lie within 2e-5, other
photos 0.02 and more apart), over real files: photo 0 with an exact copy, a re-encoded and a
resized copy, and five other photos. The trash is a temporary one, never the user's own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QMessageBox

from inphotos.core.library import Library
from inphotos.paths import AppPaths
from inphotos.ui.photo_model import BadgeRole
from tests.helpers import LooksEmbedder, duplicates_folder, looks_model, temporary_trash, tree_state
from tests.ui.conftest import start_window

WAIT = 60_000


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return duplicates_folder(tmp_path / "photos")


@pytest.fixture
def win(qtbot, home: AppPaths, tmp_path: Path, folder: Path) -> Iterator:
    lib = Library(home, model=looks_model(tmp_path / "model"), embedder_factory=LooksEmbedder, workers=1)
    w = start_window(qtbot, home, lib)
    with qtbot.waitSignal(w.session.index.finished, timeout=WAIT):
        w.add_folder(str(folder))
    qtbot.waitUntil(lambda: w.photo_model.rowCount() == 9, timeout=WAIT)
    yield w
    w.close()


def open_duplicates(qtbot, win):  # type: ignore[no-untyped-def]
    action = next(a for a in win.menuBar().actions() if a.text() == "&View")
    duplicates = next(a for a in action.menu().actions() if a.text() == "&Duplicates…")
    with qtbot.waitSignal(win.duplicates.service.groups_ready, timeout=WAIT):
        duplicates.trigger()
    dialog = win.duplicates.window
    assert dialog is not None
    assert dialog.isVisible()
    return dialog


def item_texts(dialog) -> list[str]:  # type: ignore[no-untyped-def]
    return [dialog.photos_model.item(r).text() for r in range(dialog.photos_model.rowCount())]


def test_the_duplicates_window_shows_the_group_with_a_suggested_keeper(qtbot, win, folder: Path) -> None:
    dialog = open_duplicates(qtbot, win)
    assert dialog.group_list.count() == 1
    assert dialog.group_list.item(0).text().startswith("4 near-duplicates")
    assert dialog.summary.text().startswith("1 groups of copies · 3 photos beside the suggested keepers")
    texts = item_texts(dialog)
    assert len(texts) == 4
    keeper = texts[0].splitlines()
    assert keeper[0] == "★ Keep: largest (640×480)"
    assert keeper[1] in {"p0.jpg", "p0_reencoded.jpg"}
    assert keeper[2].startswith("640 × 480 · JPG · ")
    small = next(t for t in texts if t.startswith("p0_small.jpg"))
    assert "320 × 240 · JPG" in small
    assert any(line == str(folder / "backup") for t in texts for line in t.splitlines())
    # The keeper is left unchecked; the others are checked to go, and the button says how many.
    states = [dialog.photos_model.item(r).checkState() for r in range(4)]
    assert states == [Qt.CheckState.Unchecked] + [Qt.CheckState.Checked] * 3
    assert dialog.trash_button.text() == "Move 3 to Trash…"
    dialog.keep_all_button.click()
    assert not dialog.trash_button.isEnabled()
    # The thumbnails arrive.
    qtbot.waitUntil(lambda: all(not dialog.photos_model.item(r).icon().isNull() for r in range(4)),
                    timeout=WAIT)


def test_move_to_trash_asks_first_then_trashes_only_the_checked_files(
        qtbot, win, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trash = temporary_trash(monkeypatch, tmp_path)
    dialog = open_duplicates(qtbot, win)
    asked: list[str] = []

    def answer(answer_with):  # type: ignore[no-untyped-def]
        def question(_parent, _title, text, *_a):  # type: ignore[no-untyped-def]
            asked.append(text)
            return answer_with
        return question

    before = tree_state(folder)
    # "No": nothing happens.
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    dialog.trash_button.click()
    assert len(asked) == 1
    assert asked[0].startswith("Move 3 files (")
    assert "to the system trash?" in asked[0]
    assert "restore them" in asked[0]
    qtbot.wait(200)
    assert tree_state(folder) == before
    # "Yes": the three checked files go to the trash, the keeper stays.
    keeper = dialog.current_group().keeper.path
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(win.duplicates.service.groups_ready, timeout=WAIT):
        dialog.trash_button.click()
    assert os.path.exists(keeper)
    assert len(list((trash / "files").iterdir())) == 3
    left = {os.path.relpath(p, folder) for p in (str(x) for x in folder.rglob("*.jpg"))}
    assert len(left) == 6
    assert os.path.relpath(keeper, folder) in left
    assert dialog.group_list.count() == 0
    assert dialog.summary.text() == "No duplicates found."
    # The grid follows at once.
    qtbot.waitUntil(lambda: win.photo_model.rowCount() == 6, timeout=WAIT)


def test_a_file_that_cannot_be_trashed_gets_a_message_and_stays(
        qtbot, win, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temporary_trash(monkeypatch, tmp_path)
    dialog = open_duplicates(qtbot, win)
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *_a: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *_a: warned.append(text))
    group = dialog.current_group()
    for r in range(dialog.photos_model.rowCount()):  # only the last one checked
        item = dialog.photos_model.item(r)
        item.setCheckState(Qt.CheckState.Checked if r == 3 else Qt.CheckState.Unchecked)
    victim = group.photos[3].path
    os.unlink(victim)  # gone behind InPhotos' back
    with qtbot.waitSignal(win.duplicates.service.groups_ready, timeout=WAIT):
        dialog.trash_button.click()
    assert warned == [f"1 could not be moved to the trash and were left where they are:\n\n"
                      f"{victim}: the file is no longer there"]
    assert dialog.group_list.count() == 1  # unchanged: the index drops it at the next scan
    assert dialog.photos_model.rowCount() == 4


def test_the_grid_stacks_copies_into_one_cell_that_opens_in_place(qtbot, win) -> None:
    view_menu = next(a for a in win.menuBar().actions() if a.text() == "&View").menu()
    stack_action = next(a for a in view_menu.actions() if a.text() == "Stack d&uplicates")
    assert not stack_action.isChecked()  # this window was made unstacked (tests/ui/conftest.py)
    with qtbot.waitSignal(win.session.queries.results_ready, timeout=WAIT):
        stack_action.setChecked(True)
    qtbot.waitUntil(lambda: win.photo_model.rowCount() == 6, timeout=WAIT)
    badges = [win.photo_model.index(r, 0).data(BadgeRole) for r in range(6)]
    assert sorted(badges) == ["", "", "", "", "", "4 ▸"]
    lead_row = badges.index("4 ▸")
    lead = win.photo_model.photo(lead_row)
    assert os.path.basename(lead.path).startswith("p0")
    # Opened in place: its three copies right after it, the rest unmoved.
    win.duplicates.stacks.toggle(lead)
    assert win.photo_model.rowCount() == 9
    opened = [win.photo_model.photo(r) for r in range(lead_row, lead_row + 4)]
    assert all(os.path.basename(p.path).startswith("p0") for p in opened)
    assert win.photo_model.index(lead_row, 0).data(BadgeRole) == "4 ▾"
    win.duplicates.stacks.toggle(lead)
    assert win.photo_model.rowCount() == 6
    # Turned off: every photo again.
    with qtbot.waitSignal(win.session.queries.results_ready, timeout=WAIT):
        stack_action.setChecked(False)
    assert win.photo_model.rowCount() == 9
    assert all(not win.photo_model.index(r, 0).data(BadgeRole) for r in range(9))


def test_stacks_keep_the_photos_a_search_started_from_and_their_scores(qtbot, win) -> None:
    from inphotos.records import PhotoRecord

    stacks = win.duplicates.stacks
    stacks.enabled = True
    stacks.groups = {1: (1, 2, 3), 2: (1, 2, 3), 3: (1, 2, 3)}
    photos = [PhotoRecord(path=f"/p/{i}.jpg", folder="/p", size=1, mtime_ns=1, id=i) for i in (2, 5, 1, 3)]
    shown, scores = stacks.collapse(photos, [1.0, 0.9, 0.8, 0.7], pinned=1)
    # Photo 2 is pinned (where "find similar" started): it stays on its own; 1 leads the rest.
    assert [p.id for p in shown] == [2, 5, 1]
    assert scores == [1.0, 0.9, 0.8]
    assert stacks.count(shown[2]) == 2
    assert [(p.id, s) for p, s in stacks.tucked[1]] == [(3, 0.7)]
