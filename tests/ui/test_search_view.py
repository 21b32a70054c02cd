"""Searching as a person does in the window: matches only (and weaker ones on request),
readable strengths, a folder and filters narrowing, sort by date, smart albums that survive a
restart, find similar refined with words, the selection count.

Rankings come from ColourEmbedder (tests/helpers.py): a photo means the colours of its two
halves, so which photos match is known.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt

from inphotos.paths import AppPaths
from inphotos.ui.photo_model import PinnedRole, ScoreRole, SectionRole, strength_text
from tests.ui.conftest import colour_window

WAIT = 60_000


@pytest.fixture
def win(qtbot, home: AppPaths, tmp_path: Path, colour_photos: Path) -> Iterator:
    w = colour_window(qtbot, home, tmp_path)
    with qtbot.waitSignal(w.session.index.finished, timeout=WAIT):
        w.add_folder(str(colour_photos))
    qtbot.waitUntil(lambda: w.photo_model.rowCount() == 32, timeout=WAIT)
    yield w
    w.close()


def _results(qtbot, w, action) -> object:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(w.session.queries.results_ready, timeout=WAIT) as blocker:
        action()
    return blocker.args[0]


def _names(w) -> list[str]:  # type: ignore[no-untyped-def]
    return [Path(w.photo_model.photo(r).path).stem for r in range(w.photo_model.rowCount())]


def _kinds(w) -> set[str]:  # type: ignore[no-untyped-def]
    return {n.rsplit("_", 1)[0] for n in _names(w)}


def _type(qtbot, w, text: str) -> object:  # type: ignore[no-untyped-def]
    def go() -> None:
        w.search.clear()
        qtbot.keyClicks(w.search, text)
        qtbot.keyClick(w.search, Qt.Key.Key_Return)
    return _results(qtbot, w, go)


def test_a_search_shows_its_matches_and_weaker_ones_only_when_asked(qtbot, win) -> None:
    results = _type(qtbot, win, "red")
    assert _kinds(win) == {"red", "redgreen"}
    assert results.result.matched == 8
    assert win.message.says("8 matches for “red”")
    assert not win.filter_bar.weaker.isVisibleTo(win)  # nothing weaker to offer
    results = _type(qtbot, win, "blue")
    assert _kinds(win) == {"blue"}
    assert win.message.says(f"4 matches · {results.result.weaker} weaker for “blue”")
    # The weaker photos are offered, not shown; one click shows them below the matches.
    assert results.result.weaker > 0
    assert win.filter_bar.weaker.isVisibleTo(win)
    assert win.filter_bar.weaker.text() == f"Show {results.result.weaker} weaker"
    more = _results(qtbot, win, win.filter_bar.weaker.click)
    assert win.photo_model.rowCount() == 4 + results.result.weaker
    assert _names(win)[:4] == [Path(p.path).stem for p in results.photos]
    assert more.request.include_weaker
    assert not win.filter_bar.weaker.isVisibleTo(win)
    # Scores read as strengths: a percentage, matches at 50% or more, best first.
    strengths = [win.photo_model.index(r, 0).data(ScoreRole) for r in range(4)]
    assert all(0.5 <= s <= 1 for s in strengths)
    assert strengths == sorted(strengths, reverse=True)
    assert strength_text(strengths[0]).endswith("%")
    assert "% match" in win.photo_model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)


def test_a_search_that_matches_nothing_says_so_and_shows_nothing(qtbot, win) -> None:
    _type(qtbot, win, "purple")
    assert win.photo_model.rowCount() == 0
    assert win.message.says("No photos match “purple”")


def test_negative_words_push_photos_down(qtbot, win) -> None:
    _type(qtbot, win, "red -green")
    kinds = [n.rsplit("_", 1)[0] for n in _names(win)]
    assert kinds[:6] == ["red"] * 6


def test_clicking_a_folder_shows_only_it_and_all_photos_goes_back(qtbot, win, colour_photos) -> None:
    panel = win.folders_panel
    assert "trips" not in panel.folder_paths()[0]
    # Subfolders are not library folders: the library folder is the one item; add trips' parent
    # narrowing through the panel's choice (any folder inside a library folder works).
    item = panel.list.item(0)
    _results(qtbot, win, lambda: panel.list.itemClicked.emit(item))
    assert win.photo_model.rowCount() == 32
    _results(qtbot, win, lambda: win.view.set_folder(str(colour_photos / "trips")))
    assert set(_names(win)) == {"red_0", "red_1", "red_2"}
    assert win.message.says("(filtered)")
    # A search inside the folder searches only it.
    _type(qtbot, win, "red")
    assert set(_names(win)) == {"red_0", "red_1", "red_2"}
    win.search.clear()
    _results(qtbot, win, panel.all_button.click)
    assert panel.all_button.isChecked()
    assert win.photo_model.rowCount() == 32


def test_year_type_shape_filters_and_sort_by_date(qtbot, win) -> None:
    bar = win.filter_bar
    # The library view offered the years it spans.
    years = [bar.year.itemData(i) for i in range(bar.year.count())]
    assert 2021 in years
    assert 2019 in years
    _results(qtbot, win, lambda: bar.choose_year(2021))
    assert set(_names(win)) == {"red_3", "red_4", "red_5"}
    _results(qtbot, win, lambda: bar.choose_year(0))
    _results(qtbot, win, lambda: bar.kind.setCurrentIndex(bar.kind.findData("png")))
    assert set(_names(win)) == {"redgreen_0", "redgreen_1"}
    _results(qtbot, win, lambda: bar.kind.setCurrentIndex(0))
    _results(qtbot, win, lambda: bar.shape.setCurrentIndex(bar.shape.findData("portrait")))
    assert set(_names(win)) == {"red_3", "red_4", "red_5"}
    _results(qtbot, win, lambda: bar.shape.setCurrentIndex(0))
    # Sort by date: the dated red matches newest first.
    _type(qtbot, win, "red")
    _results(qtbot, win, lambda: bar.sort.setCurrentIndex(bar.sort.findData("date")))
    dated = [n for n in _names(win) if n.startswith("red_")]
    assert dated == ["red_5", "red_4", "red_3", "red_2", "red_1", "red_0"]


def test_an_album_is_saved_listed_run_renamed_and_survives_a_restart(
        qtbot, win, home: AppPaths, tmp_path: Path) -> None:
    bar = win.filter_bar
    _results(qtbot, win, lambda: bar.shape.setCurrentIndex(bar.shape.findData("landscape")))
    _type(qtbot, win, "red")
    assert set(_names(win)) == {"red_0", "red_1", "red_2", "redgreen_0", "redgreen_1"}
    with qtbot.waitSignal(win.session.queries.albums_changed, timeout=WAIT):
        win.albums.save("Red landscapes")
    assert win.folders_panel.album_names() == ["Red landscapes"]
    # Back to the library, then a click on the album runs the saved search again.
    _results(qtbot, win, lambda: bar.shape.setCurrentIndex(0))
    _results(qtbot, win, win.show_all_photos)
    assert win.photo_model.rowCount() == 32
    item = win.folders_panel.albums.item(0)
    results = _results(qtbot, win, lambda: win.folders_panel.albums.itemClicked.emit(item))
    assert results.kind == "album"
    assert set(_names(win)) == {"red_0", "red_1", "red_2", "redgreen_0", "redgreen_1"}
    assert win.message.says("Album “Red landscapes”: 5 matches")
    with qtbot.waitSignal(win.session.queries.albums_changed, timeout=WAIT):
        win.folders_panel.album_rename_requested.emit("Red landscapes", "Reds")
    assert win.folders_panel.album_names() == ["Reds"]
    win.close()

    # A restart lists it, and it runs.
    again = colour_window(qtbot, home, tmp_path)
    qtbot.waitUntil(lambda: again.folders_panel.album_names() == ["Reds"], timeout=WAIT)
    qtbot.waitUntil(lambda: again.photo_model.rowCount() == 32, timeout=WAIT)
    _results(qtbot, again, lambda: again.view.open_album("Reds"))
    assert len(_names(again)) == 5
    with qtbot.waitSignal(again.session.queries.albums_changed, timeout=WAIT):
        again.albums.delete("Reds", confirm=False)
    assert again.folders_panel.album_names() == []
    again.close()


def test_find_similar_pins_its_photo_and_words_refine_it(qtbot, win) -> None:
    row = _names(win).index("redgreen_0")
    start = win.photo_model.photo(row)
    _results(qtbot, win, lambda: win.view.find_similar([start]))
    assert _names(win)[0] == "redgreen_0"
    assert win.photo_model.index(0, 0).data(PinnedRole)
    assert not win.photo_model.index(1, 0).data(PinnedRole)
    assert _names(win)[1] == "redgreen_1"
    assert "Refine photos like redgreen_0.png" in win.search.placeholderText()
    # Typing refines it ("like this one, but green"): the start stays pinned first.
    results = _type(qtbot, win, "green")
    assert results.kind == "similar"
    assert results.request.photo_ids == (start.id,)
    assert results.request.text == "green"
    assert _names(win)[0] == "redgreen_0"
    assert win.message.says("refined with “green”")
    # Esc goes back to the whole library.
    results = _results(qtbot, win, lambda: qtbot.keyClick(win.search, Qt.Key.Key_Escape))
    assert results.kind == "browse"
    assert win.view.similar is None
    assert "Describe a photo" in win.search.placeholderText()


def test_ctrl_a_selects_all_and_the_count_shows(qtbot, win) -> None:
    win.grid.setFocus()
    qtbot.keyClick(win.grid, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert win.selection_label.text() == "32 selected"
    qtbot.keyClick(win.grid, Qt.Key.Key_End)
    assert win.grid.current_row() == 31
    qtbot.keyClick(win.grid, Qt.Key.Key_Home)
    assert win.grid.current_row() == 0
    assert win.selection_label.text() == "1 selected"


def test_the_timeline_loads_pages_as_it_scrolls_labels_months_and_jumps_to_a_year(qtbot, win) -> None:
    win.session.queries.page_size = 8
    results = _results(qtbot, win, win.show_all_photos)
    assert len(results.photos) == 8  # one page, not the library
    assert win.message.says("32 photos")
    model = win.photo_model
    # The first photo of a month carries the month; the next of the same month does not.
    assert model.index(0, 0).data(SectionRole)
    assert not model.index(1, 0).data(SectionRole)
    # Scrolling to the end loads the next page (the view asks as soon as it sees the end).
    win.grid.scrollToBottom()
    model.fetchMore(model.index(-1, 0).parent())
    qtbot.waitUntil(lambda: model.rowCount() >= 16, timeout=WAIT)
    # Jump to 2019: the pages up to it load and the grid scrolls to its newest photo.
    assert [win.filter_bar.jump.itemData(i) for i in range(1, win.filter_bar.jump.count())][-2:] \
        == [2021, 2019]
    win.filter_bar.jump.activated.emit(win.filter_bar.jump.findData(2019))
    qtbot.waitUntil(lambda: model.first_row_in_year(2019) >= 0
                    and win.grid.current_row() == model.first_row_in_year(2019), timeout=WAIT)
    row = win.grid.current_row()
    assert Path(model.photo(row).path).stem == "red_2"
    assert model.index(row, 0).data(SectionRole) == "March 2019"
    names = _names(win)
    assert names.index("red_5") < names.index("red_2")  # newest first


def test_a_transparent_png_shows_on_a_checkerboard_in_a_cell_of_its_shape(
        qtbot, window, tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    from inphotos.core.imaging import CHECKER  # the test may look below the ui layer

    folder = tmp_path / "logos"
    folder.mkdir()
    img = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse([150, 100, 250, 200], fill=(0, 120, 0, 255))
    img.save(folder / "logo.png")
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        window.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.photo_model.rowCount() == 1, timeout=WAIT)
    photo = window.photo_model.photo(0)
    window.photo_model.index(0, 0).data(Qt.ItemDataRole.DecorationRole)  # asks for it
    qtbot.waitUntil(lambda: window.photo_model.cached_thumbnail(photo.id) is not None, timeout=WAIT)
    thumb = window.photo_model.cached_thumbnail(photo.id).toImage()
    corner = thumb.pixelColor(1, 1)
    assert (corner.red(), corner.green(), corner.blue()) != (255, 255, 255)
    assert abs(corner.red() - CHECKER[0][0]) <= 6  # JPEG-cached: nearly the checker's grey
    # Its cell has its shape: a 4:3 photo fills a 4:3 box, no empty band above or below.
    cell = window.grid.visualRect(window.photo_model.index(0, 0))
    assert abs(cell.width() / cell.height() - 4 / 3) < 0.02
