"""Small things the window says, each true: About, Settings, pickers, actions that fail, and a
bad model from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from PyQt6.QtGui import QGuiApplication

from inphotos.config import Settings
from inphotos.core.library import Library
from inphotos.ml.models import check_spec, parse_spec
from inphotos.records import PhotoRecord
from inphotos.ui import desktop, photo_actions
from inphotos.ui.dialogs import SettingsDialog, about_text

WAIT = 60_000


def test_about_names_the_model_once(window) -> None:
    stats = window.session.lib.stats()
    text = about_text(stats, "runs on cpu", window.paths)
    assert text.count(stats["model"]) == 1
    assert "runs on cpu" in text


def test_settings_explain_models_in_plain_words_with_figures_behind_details(qtbot) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    note = dialog.model_note.text()
    assert "R@1" not in note
    assert "COCO" not in note
    assert "Fast" in note
    assert "English" in note
    assert 'href="details"' in note
    dialog.model_note.linkActivated.emit("details")
    assert "COCO" in dialog.model_note.text()
    dialog.model_combo.setCurrentIndex(3)  # multilingual
    assert "many languages" in dialog.model_note.text()


def test_folder_pickers_open_in_pictures(window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "user"
    (home / "Pictures").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    opened_in: list[str] = []
    monkeypatch.setattr("PyQt6.QtWidgets.QFileDialog.getExistingDirectory",
                        lambda _parent, _title, where="": opened_in.append(where) or "")
    window.add_folder()
    assert opened_in == [str(home / "Pictures")]
    (home / "Pictures").rmdir()
    window.add_folder()
    assert opened_in[-1] == str(home)


def _action(menu, text: str):  # type: ignore[no-untyped-def]
    return next(a for a in menu.actions() if a.text() == text)


def test_show_in_folder_without_a_file_manager_says_so_and_copy_path_confirms(
    window, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = PhotoRecord(path=str(photos / "img_01.jpg"), folder=str(photos), size=1, mtime_ns=1)
    said: list[str] = []
    status: list[str] = []
    monkeypatch.setattr(desktop, "show_in_folder", lambda _path: False)
    monkeypatch.setattr("PyQt6.QtWidgets.QMessageBox.information",
                        lambda _parent, _title, text: said.append(text))
    menu = photo_actions.build_menu(window, [photo], lambda _p: None, lambda _p: None,
                                    lambda _p: None, status.append)
    _action(menu, "Show in folder").trigger()
    assert said == [f"No file manager could show:\n{photo.path}"]
    _action(menu, "Copy path").trigger()
    assert status == ["Path copied"]
    assert QGuiApplication.clipboard().text() == photo.path


def test_a_bad_model_from_the_command_line_opens_the_library_browse_only(
    qtbot, home, tiny_model: str, tiny_embedder, photos: Path
) -> None:
    from inphotos.ui.main_window import MainWindow
    from inphotos.workers.session import LibrarySession

    with Library(home, model=tiny_model, embedder_factory=lambda: tiny_embedder) as lib:
        lib.add_folder(photos)
        lib.index()

    def opener(spec: str) -> Library:  # as the app opens a library
        check_spec(parse_spec(spec))
        return Library(home, model=spec, embedder_factory=lambda: tiny_embedder, workers=2)

    session = LibrarySession(opener)
    win = MainWindow(home, Settings(model="local-dir:/missing", stack_duplicates=False), session)
    qtbot.addWidget(win)
    win.show()
    session.open("local-dir:/missing", fallback=tiny_model)
    try:
        qtbot.waitUntil(lambda: win.models.message is not None, timeout=WAIT)
        assert "does not exist" in win.models.message.text()
        assert "browsing only" in win.models.label.text()
        assert win.settings.model == tiny_model  # the saved setting stays one that works
        qtbot.waitUntil(lambda: win.photo_model.rowCount() == 12, timeout=WAIT)
        win.search.setText("a cat")
        win.search.force()
        assert win.message.says("Cannot search")
        assert win.photo_model.rowCount() == 0
        win.models.message.close()
    finally:
        win.close()
