"""The Explore page as a person uses it: tiles of the things in the photos with a cover and a
count, a tile opening its photos as a search (best first), the preview's tags, and a clear
page before there are any photos.

Known categories come from the deterministic ConceptEmbedder (tests/helpers.py): red photos
are dogs, yellow ones beaches, and nothing else stands out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QImage
from pytestqt.modeltest import ModelTester

from inphotos.core.library import Library
from inphotos.paths import AppPaths
from inphotos.records import PhotoRecord
from inphotos.ui.explore import COUNT_ROLE, KEY_ROLE, ExploreModel
from inphotos.workers.explore import ExploreTile
from tests.helpers import ConceptEmbedder, colour_model, make_colour_photo
from tests.ui.conftest import start_window

WAIT = 60_000


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    for i in range(6):
        make_colour_photo(root / f"dog_{i}.jpg", (220, 30, 30), seed=i)
    for i in range(4):
        make_colour_photo(root / f"beach_{i}.jpg", (230, 220, 40), seed=50 + i)
    for i, rgb in enumerate([(30, 40, 220), (30, 210, 210), (128, 128, 128)] * 4):
        make_colour_photo(root / f"other_{i}.jpg", rgb, seed=100 + i)
    return root


@pytest.fixture
def win(qtbot, home: AppPaths, tmp_path: Path) -> Iterator:
    lib = Library(home, model=colour_model(tmp_path / "model"), embedder_factory=ConceptEmbedder,
                  workers=1)
    w = start_window(qtbot, home, lib)
    yield w
    w.close()


def _tile_names(w) -> dict[str, int]:  # type: ignore[no-untyped-def]
    m = w.explore_page.model
    return {m.tile(r).name: m.tile(r).count for r in range(m.rowCount())}


def test_the_explore_model_passes_the_model_tester(qtmodeltester: ModelTester, qtbot) -> None:
    model = ExploreModel()
    asked: list[PhotoRecord] = []
    model.thumbnail_needed.connect(asked.append)
    covers = [PhotoRecord(f"/p/{i}.jpg", "/p", 1, 1, id=i + 1) for i in range(3)]
    model.set_tiles([ExploreTile(k, k.title(), n, c)
                     for k, n, c in zip(["dogs", "cats", "snow"], [12, 5, 1], covers, strict=True)])
    qtmodeltester.check(model)
    assert model.rowCount() == 3
    first = model.index(0, 0)
    assert model.data(first) == "Dogs\n12 photos"
    assert model.data(model.index(2, 0)) == "Snow\n1 photo"
    assert (model.data(first, KEY_ROLE), model.data(first, COUNT_ROLE)) == ("dogs", 12)
    assert model.data(first, Qt.ItemDataRole.DecorationRole) is None  # asked for, not here yet
    model.data(first, Qt.ItemDataRole.DecorationRole)
    assert [p.id for p in asked] == [1]  # asked once
    image = QImage(400, 100, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.red)
    with qtbot.waitSignal(model.dataChanged):
        model.set_thumbnail(1, image)
    cover = model.data(first, Qt.ItemDataRole.DecorationRole)
    assert (cover.width(), cover.height()) == (176, 132)  # cropped to fill the tile
    model.set_tiles([])
    qtmodeltester.check(model)


def test_explore_shows_the_things_and_a_tile_opens_its_photos(qtbot, win, photos: Path) -> None:
    with qtbot.waitSignal(win.session.index.finished, timeout=WAIT):
        win.add_folder(str(photos))
    with qtbot.waitSignal(win.session.explore.page_ready, timeout=WAIT):
        win.folders_panel.explore_button.click()
    assert win.stack.currentWidget() is win.explore_page
    assert win.folders_panel.explore_button.isChecked()
    # The first look counts the categories in the background; the tiles then appear.
    qtbot.waitUntil(lambda: _tile_names(win) == {"Dogs": 6, "Beaches": 4}, timeout=WAIT)
    assert win.explore_page.model.tile(0).name == "Dogs"  # the fullest first
    assert Path(win.explore_page.model.tile(0).cover.path).stem.startswith("dog_")
    assert "2 things found in 22 photos" in win.explore_page.subtitle.text()

    view = win.explore_page.view
    with qtbot.waitSignal(win.session.queries.results_ready, timeout=WAIT):
        view.clicked.emit(win.explore_page.model.index(0, 0))
    assert win.stack.currentWidget() is win.grid
    assert not win.folders_panel.explore_button.isChecked()
    names = [Path(win.photo_model.photo(r).path).stem for r in range(win.photo_model.rowCount())]
    assert len(names) == 6
    assert all(n.startswith("dog_") for n in names)
    assert win.message.says("Explore · Dogs: 6 matches")

    # The preview lists the photo's tags; clicking one opens that category.
    win.preview.open(0)
    dialog = win.preview.dialog
    qtbot.waitUntil(lambda: "Dogs" in dialog.tags.text(), timeout=WAIT)
    assert "%" in dialog.tags.text()
    with qtbot.waitSignal(win.session.queries.results_ready, timeout=WAIT):
        dialog.tags.linkActivated.emit("dogs")
    dialog.close()


def test_explore_before_any_photos_says_what_to_do(qtbot, win) -> None:
    with qtbot.waitSignal(win.session.explore.page_ready, timeout=WAIT):
        win.explore.show()
    page = win.explore_page
    assert page.stack.currentIndex() == 0
    assert "Add a folder of photos" in page.message.text()
    assert page.add_button.isVisibleTo(page)
    assert page.model.rowCount() == 0


def test_counting_and_reading_categories_stay_off_the_gui_thread(qtbot, win, photos: Path,
                                                                monkeypatch) -> None:
    """The count writes the categories file on the writer thread (the thread index runs use);
    the page and the tags are read on the explore thread; the GUI thread only shows them."""
    import threading

    from inphotos.core.categories import CategoryIndex

    seen: dict[str, set[int]] = {"save": set(), "explore": set(), "tags": set()}

    def spy(name: str, real):  # type: ignore[no-untyped-def]
        def wrapper(*a, **k):  # type: ignore[no-untyped-def]
            seen[name].add(threading.get_ident())
            return real(*a, **k)
        return wrapper

    monkeypatch.setattr(CategoryIndex, "save", spy("save", CategoryIndex.save))
    monkeypatch.setattr(Library, "explore", spy("explore", Library.explore))
    monkeypatch.setattr(Library, "tags", spy("tags", Library.tags))
    with qtbot.waitSignal(win.session.index.finished, timeout=WAIT):
        win.add_folder(str(photos))
    win.explore.show()
    qtbot.waitUntil(lambda: win.explore_page.model.rowCount() == 2, timeout=WAIT)
    with qtbot.waitSignal(win.session.explore.tags_ready, timeout=WAIT):
        win.session.explore.tags(win.explore_page.model.tile(0).cover)
    gui = threading.main_thread().ident
    assert seen["save"]
    assert not seen["save"] & seen["explore"]  # the writer's, not the reading thread
    assert seen["explore"]
    assert seen["tags"]
    assert gui not in seen["save"] | seen["explore"] | seen["tags"]


def test_without_a_model_the_page_says_so_and_asks_once(qtbot, win, photos: Path, monkeypatch) -> None:
    with qtbot.waitSignal(win.session.index.finished, timeout=WAIT):
        win.add_folder(str(photos))
    calls: list[int] = []

    def no_model(self, control=None, during_run=False):  # type: ignore[no-untyped-def]
        calls.append(1)
        return False  # what refresh_categories answers when the model cannot load

    monkeypatch.setattr(Library, "refresh_categories", no_model)
    win.explore.show()
    qtbot.waitUntil(lambda: "needs the search model" in win.explore_page.message.text(), timeout=WAIT)
    qtbot.wait(300)
    assert calls == [1]  # asked once, not in a loop
    assert win.explore_page.model.rowCount() == 0
