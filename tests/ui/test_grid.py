"""The grid as a person sees it: photos keep their shape in rows that fill the width, month
headers sit between rows (never on a photo), the keyboard moves to the photo that is really
above or below, and a timeline page that arrives is laid out like the rest.

Photos here are records only (no files): the grid lays out from each record's width and
height, and draws placeholders until thumbnails arrive.
"""

from __future__ import annotations

import random

import pytest
from PyQt6.QtCore import QItemSelectionModel, QPoint, QRect, Qt

from inphotos.records import PhotoRecord
from inphotos.ui.grid import SPACING, PhotoGrid
from inphotos.ui.justified import JustifiedLayout
from inphotos.ui.photo_model import PhotoModel

DAY = 24 * 3600 * 1000
SHAPES = [(4000, 3000), (3000, 4000), (1920, 1080), (1080, 1920), (2000, 2000), (6000, 2000)]


def _photos(n: int, seed: int = 1, per_month: int = 7) -> list[PhotoRecord]:
    """`n` photos of mixed shapes, newest first, `per_month` to a month."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        w, h = rng.choice(SHAPES)
        out.append(PhotoRecord(path=f"/p/{i}.jpg", folder="/p", size=1, mtime_ns=1, id=i + 1,
                               width=w, height=h,
                               taken_ms=1_700_000_000_000 - (i // per_month) * 31 * DAY))
    return out


@pytest.fixture
def grid(qtbot):  # type: ignore[no-untyped-def]
    model = PhotoModel()
    view = PhotoGrid(model, 160)
    model.setParent(view)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    return view


def _rect(grid: PhotoGrid, row: int) -> QRect:
    return grid.visualRect(grid.photo_model.index(row, 0))


def test_photos_keep_their_shape_in_rows_that_fill_the_width(grid) -> None:
    photos = _photos(60)
    grid.photo_model.set_photos(photos, [1.0] * 60)  # a search: no month breaks
    width = grid.viewport().width()
    layout = grid.layout_
    assert layout.rows > 3
    for line in range(layout.rows - 1):  # every row but the last ends at the right edge
        items = layout.row_items(line)
        rects = [_rect(grid, i) for i in items]
        assert rects[0].left() == 0
        assert rects[-1].left() + rects[-1].width() == width
        assert len({r.top() for r in rects}) == 1
        assert len({r.height() for r in rects}) == 1
        # No tall gaps: rows are at most as high as asked for, and not much lower.
        assert 0.6 * grid.row_height() <= rects[0].height() <= grid.row_height() + 1
        for i, r in zip(items, rects, strict=True):
            p = photos[i]
            aspect = min(3.0, p.width / p.height)  # a panorama is boxed no wider than 3:1
            assert abs(r.width() / r.height() - aspect) < 0.05 * aspect + 1.5 / r.height()
    # What is under a point is the photo drawn there.
    r = _rect(grid, 5)
    assert grid.indexAt(r.center()).row() == 5
    assert grid.indexAt(QPoint(r.right() + 2, r.center().y())).row() != 5  # the gap or the next


def test_month_headers_sit_between_rows_never_over_a_photo(grid) -> None:
    photos = _photos(40, per_month=5)
    grid.photo_model.set_photos(photos)  # the timeline
    layout = grid.layout_
    headers = layout.headers_between(0, layout.height)
    assert len(headers) == 8  # one per month
    firsts = [i for i in range(40) if i % 5 == 0]
    bands = [QRect(0, y, grid.viewport().width(), layout.header_height) for y, _ in headers]
    for i in range(40):
        x, y, w, h = layout.rect(i)
        assert not any(QRect(x, y, w, h).intersects(b) for b in bands), f"photo {i} under a header"
    for i, band in zip(firsts, bands, strict=True):
        x, y, _w, _h = layout.rect(i)
        assert x == 0, "a month starts a row"
        assert band.bottom() < y <= band.bottom() + SPACING + 1, "its header is right above it"
    # Scrolled to a month, its header shows above its first photo.
    grid.scrollTo(grid.photo_model.index(10, 0), PhotoGrid.ScrollHint.PositionAtTop)
    assert grid.verticalOffset() == headers[2][0]


def test_a_page_that_arrives_is_laid_out_as_if_it_had_been_there(grid) -> None:
    photos = _photos(150, seed=3)
    model = grid.photo_model
    model.set_photos(photos[:50], more=True)
    model.append_photos(photos[50:100], more=True)
    model.append_photos(photos[100:], more=False)
    grown = [grid.layout_.rect(i) for i in range(150)]
    whole = JustifiedLayout(grid.layout_.width, grid.layout_.row_height, SPACING, grid.layout_.header_height)
    whole.reset(*model.shapes(0, 150))
    for i in range(150):  # the same, bar a pixel of rounding
        assert max(abs(g - o) for g, o in zip(grown[i], whole.rect(i), strict=True)) <= 1, i
    assert grid.verticalScrollBar().maximum() == whole.height - grid.viewport().height()


def test_arrows_move_to_the_photo_really_above_or_below_home_and_end_to_the_ends(qtbot, grid) -> None:
    model = grid.photo_model
    model.set_photos(_photos(80, seed=5), [1.0] * 80)
    layout = grid.layout_
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_End)  # no photo current yet (Ctrl+A, a refresh): still the end
    assert grid.current_row() == 79
    start = layout.row_items(1).start + 1
    grid.setCurrentIndex(model.index(start, 0))
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    below = grid.current_row()
    assert layout.row_of(below) == 2
    centre = _rect(grid, start).center().x()
    # The photo below is the one under the start's middle (or the nearest to it).
    assert min(layout.row_items(2), key=lambda i: abs(_rect(grid, i).center().x() - centre)) == below
    qtbot.keyClick(grid, Qt.Key.Key_Up)
    assert layout.row_of(grid.current_row()) == 1
    up = grid.current_row()
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert grid.current_row() == up + 1
    qtbot.keyClick(grid, Qt.Key.Key_End)
    assert grid.current_row() == 79
    assert grid.verticalScrollBar().value() == grid.verticalScrollBar().maximum()
    qtbot.keyClick(grid, Qt.Key.Key_Home)
    assert grid.current_row() == 0
    assert grid.verticalScrollBar().value() == 0
    # Shift+Down selects from here to the photo below, in date order; so does a rubber band
    # from one photo to another.
    qtbot.keyClick(grid, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert grid.selected_rows() == list(range(0, grid.current_row() + 1))
    band = QRect(_rect(grid, 1).center(), _rect(grid, below).center())
    grid.setSelection(band, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    assert grid.selected_rows() == list(range(1, below + 1))


def test_a_wider_window_lays_out_again_and_keeps_the_photo_at_the_top(qtbot, grid) -> None:
    model = grid.photo_model
    model.set_photos(_photos(300, seed=7))
    grid.scrollTo(model.index(120, 0), PhotoGrid.ScrollHint.PositionAtTop)
    top_id, _above = grid.place()
    rows_before = grid.layout_.rows
    grid.resize(1300, 600)
    qtbot.waitUntil(lambda: grid.layout_.width == grid.viewport().width() and grid.layout_.rows < rows_before)
    top = _rect(grid, model.row_of(top_id))
    # The photo that was at the top still is (under its month's header, if it starts one).
    assert -top.height() < top.top() <= grid.layout_.header_height


def test_the_timeline_refreshed_while_indexing_keeps_the_place_selection_and_current_photo(
        qtbot, home, tmp_path, colour_photos) -> None:
    """Indexing refreshes the timeline every few seconds and once at the end; a person who
    scrolled down and chose photos keeps them, even when new photos appear above."""
    from tests.helpers import make_colour_photo
    from tests.ui.conftest import colour_window

    wait = 60_000
    w = colour_window(qtbot, home, tmp_path)
    with qtbot.waitSignal(w.session.index.finished, timeout=wait):
        w.add_folder(str(colour_photos))
    model, grid = w.photo_model, w.grid
    qtbot.waitUntil(lambda: model.rowCount() == 32, timeout=wait)
    w.session.queries.page_size = 8  # the timeline comes in pages, as in a large library
    grid.set_thumb_size(240)
    with qtbot.waitSignal(w.session.queries.results_ready, timeout=wait):
        w.show_all_photos()
    bar = grid.verticalScrollBar()
    qtbot.waitUntil(lambda: model.rowCount() == 32 and bar.maximum() > 0, timeout=wait)  # pages as it scrolls
    chosen = {model.photo(r).id for r in (20, 21)}
    grid.setCurrentIndex(model.index(21, 0))
    grid.selectionModel().select(model.index(20, 0), QItemSelectionModel.SelectionFlag.Select)
    bar.setValue(bar.maximum() * 2 // 3)
    top_id, _ = grid.place()
    top_y = grid.visualRect(model.index(model.row_of(top_id), 0)).top()
    assert w.selection_label.text() == "2 selected"

    for i in range(3):  # newer than every photo there: they go above what is on screen
        make_colour_photo(colour_photos / "new" / f"new_{i}.jpg", (200, 200, 0), seed=50 + i,
                          exif_date=f"2030:01:0{i + 1} 12:00:00")
    with qtbot.waitSignal(w.session.index.finished, timeout=wait):
        w.session.index.start()
    qtbot.waitUntil(lambda: model.rowCount() == 35, timeout=wait)

    assert [model.photo(r).path.rsplit("/", 1)[1] for r in range(3)] == \
        ["new_2.jpg", "new_1.jpg", "new_0.jpg"]
    assert grid.visualRect(model.index(model.row_of(top_id), 0)).top() == top_y, "the view stayed"
    assert {model.photo(r).id for r in grid.selected_rows()} == chosen
    assert model.photo(grid.current_row()).id == model.photo(21 + 3).id
    assert w.selection_label.text() == "2 selected"

    # Someone at the very top stays there, and sees the photos indexed meanwhile come in.
    bar.setValue(0)
    make_colour_photo(colour_photos / "new" / "newest.jpg", (0, 200, 200), seed=60,
                      exif_date="2031:01:01 12:00:00")
    with qtbot.waitSignal(w.session.index.finished, timeout=wait):
        w.session.index.start()
    qtbot.waitUntil(lambda: model.rowCount() == 36, timeout=wait)
    assert bar.value() == 0
    assert model.photo(0).path.endswith("newest.jpg")
    w.close()
