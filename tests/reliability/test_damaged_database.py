"""A damaged database: detected at open with one clear message, checked in full on request,
and rebuilt from the photos by repair, keeping the library's folders.

Each attack damages the real files of an indexed library in `tmp_path`: the database file
deleted or emptied (truncated to 0 bytes), the schema file damaged or deleted, a vector
turned to NaN. The command line is driven in-process through `inphotos.cli.main`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inphotos.cli import main
from inphotos.core.library import Library
from inphotos.db.store import DATA_FILE, MODEL_JSON
from inphotos.errors import DamagedDatabaseError
from inphotos.paths import AppPaths


@pytest.fixture
def indexed(home: AppPaths, tiny_model: str, counter, photos: Path) -> Path:
    with Library(home, model=tiny_model, embedder_factory=lambda: counter, workers=1) as lib:
        lib.add_folder(photos)
        lib.index()
        assert lib.store.count() == 12
        return lib.db_dir


def _open(home: AppPaths, tiny_model: str, counter) -> Library:
    return Library(home, model=tiny_model, embedder_factory=lambda: counter, workers=1)


def _cli(home: AppPaths, tiny_model: str, *args: str) -> list[str]:
    return ["--home", str(home.data.parent), "--model", tiny_model, *args]


DAMAGE = {
    "database deleted": lambda db: (db / DATA_FILE).unlink(),
    "database emptied": lambda db: (db / DATA_FILE).write_bytes(b""),
    "schema damaged": lambda db: (db / MODEL_JSON).write_text("{ not json"),
    "schema deleted": lambda db: (db / MODEL_JSON).unlink(),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damage_is_detected_at_open_with_one_clear_message(
    home, tiny_model, counter, indexed, damage, capsys
) -> None:
    DAMAGE[damage](indexed)
    with pytest.raises(DamagedDatabaseError):
        _open(home, tiny_model, counter).close()
    capsys.readouterr()
    assert main(_cli(home, tiny_model, "stats")) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "inphotos repair" in err
    assert err.count("inphotos: error:") == 1


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_repair_rebuilds_from_the_photos_keeping_the_folders(
    home, tiny_model, counter, photos, indexed, damage
) -> None:
    DAMAGE[damage](indexed)
    with Library.repair(home, tiny_model, embedder_factory=lambda: counter, workers=1) as lib:
        assert [f.path for f in lib.folders()] == [str(photos)]
        lib.index()
        assert lib.store.count() == 12
        assert lib.check() == []
    assert any(p.name.startswith(indexed.name + ".damaged-") for p in indexed.parent.iterdir())
    with _open(home, tiny_model, counter) as lib:  # and it opens normally afterwards
        assert lib.store.count() == 12


def test_repair_from_the_command_line(home, tiny_model, indexed, capsys) -> None:
    (indexed / DATA_FILE).unlink()
    assert main(_cli(home, tiny_model, "repair")) == 0
    capsys.readouterr()
    assert main(_cli(home, tiny_model, "check")) == 0
    assert "sound: 12 photos" in capsys.readouterr().out


def test_check_finds_a_broken_vector(home, tiny_model, counter, indexed, capsys) -> None:
    with _open(home, tiny_model, counter) as lib:
        assert lib.check() == []
        row = lib.store.all_photos(with_embedding=True)[0]
        assert row.embedding is not None
        row.embedding = np.full_like(row.embedding, np.nan)
        from inphotos.db.store import WriteBatch

        lib.store.write(WriteBatch(photos=[row]))
        problems = lib.check()
    assert len(problems) == 1
    assert "NaN" in problems[0]
    assert main(_cli(home, tiny_model, "check")) == 1
    err = capsys.readouterr().err
    assert "inphotos repair" in err
    assert "Traceback" not in err


def test_removing_every_folder_is_not_taken_for_damage(home, tiny_model, counter, photos, indexed) -> None:
    with _open(home, tiny_model, counter) as lib:
        lib.remove_folder(photos)
    with _open(home, tiny_model, counter) as lib:
        assert lib.store.count() == 0


def test_the_app_offers_repair_and_rebuilds_the_library(qtbot, home, tiny_model, counter, photos,
                                                       indexed, monkeypatch) -> None:
    from inphotos.config import Settings
    from inphotos.ui import main_window
    from inphotos.ui.main_window import MainWindow
    from inphotos.workers.session import LibrarySession

    (indexed / DATA_FILE).unlink()  # the database file is gone; the folder list is not
    asked: list[str] = []

    def answer_yes(_parent, _title, text):  # type: ignore[no-untyped-def]
        asked.append(text)
        return main_window.QMessageBox.StandardButton.Yes

    monkeypatch.setattr(main_window.QMessageBox, "question", answer_yes)
    session = LibrarySession(lambda spec: _open(home, spec, counter),
                             lambda spec: Library.repair(home, spec, embedder_factory=lambda: counter,
                                                         workers=1))
    win = MainWindow(home, Settings(model=tiny_model, precision="fp32", stack_duplicates=False), session)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(session.index.finished, timeout=60_000) as done:
        session.open(tiny_model)
    assert len(asked) == 1
    assert "Repair the index now?" in asked[0]
    assert win.isVisible()
    assert done.args[0].added == 12
    assert [f.path for f in session.folders()] == [str(photos)]
    assert list(indexed.parent.glob(f"{indexed.name}.damaged-*")), "the damaged index is set aside"
    win.close()
