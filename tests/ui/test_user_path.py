"""A user's path end to end: add a folder, index, search, preview, find similar, remove."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt

from inphotos.ui.photo_model import ScoreRole
from tests.ui.conftest import colour_window

WAIT = 60_000


def _results(qtbot, win, action) -> object:
    with qtbot.waitSignal(win.session.queries.results_ready, timeout=WAIT) as blocker:
        action()
    return blocker.args[0]


def test_empty_library_shows_the_add_folder_invitation(window) -> None:
    assert window.stack.currentWidget() is window.empty
    assert window.empty.button.text() == "Add folder…"


def test_add_index_search_preview_similar_remove(qtbot, window, photos: Path) -> None:
    # Add a folder: indexing runs in the background and the grid fills with the library.
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT) as done:
        window.add_folder(str(photos))
    assert done.args[0].added == 12
    assert window.stack.currentWidget() is window.grid
    qtbot.waitUntil(lambda: window.photo_model.rowCount() == 12, timeout=WAIT)
    folder_item = window.folders_panel.list.item(0)
    assert "12 photos" in folder_item.text()
    assert "up to date" in folder_item.text()

    # Thumbnails arrive off the GUI thread and land in the model's cache.
    first = window.photo_model.photo(0)
    qtbot.waitUntil(lambda: window.photo_model.cached_thumbnail(first.id) is not None, timeout=WAIT)

    # Typing searches (debounced): only the matches show (random weights may match nothing),
    # with scores, best first; the status line says how many.
    results = _results(qtbot, window, lambda: qtbot.keyClicks(window.search, "a red car"))
    assert results.kind == "text"
    assert results.query == "a red car"
    scores = [window.photo_model.index(r, 0).data(ScoreRole) for r in range(window.photo_model.rowCount())]
    assert len(scores) == results.result.matched
    assert scores == sorted(scores, reverse=True)
    assert window.message.says("“a red car”")
    results = _results(qtbot, window, lambda: qtbot.keyClick(window.search, Qt.Key.Key_Escape))
    assert len(results.photos) == 12

    # Enter opens the preview, which gets a decoded image; Right moves to the next photo.
    window.grid.setFocus()
    window.grid.setCurrentIndex(window.photo_model.index(0, 0))
    qtbot.keyClick(window.grid, Qt.Key.Key_Return)
    preview = window.preview.dialog
    assert preview is not None
    assert preview.isVisible()
    qtbot.waitUntil(lambda: preview._pixmap is not None, timeout=WAIT)
    shown = preview.photo_id
    qtbot.keyClick(preview, Qt.Key.Key_Right)
    assert preview.photo_id != shown
    assert window.grid.current_row() == 1
    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    assert not preview.isVisible()

    # Find similar: a copy of a photo ranks first, and the photo itself is left out.
    target = window.photo_model.photo(3)
    shutil.copy(target.path, photos / "the_copy.jpg")
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        window.session.index.start()
    results = _results(qtbot, window, lambda: window.view.find_similar([target]))
    assert results.kind == "similar"
    # The photo it started from is pinned first; random weights may match nothing else.
    assert results.pinned == 1
    assert results.photos[0].id == target.id
    assert target.id not in {p.id for p in results.photos[1:]}
    assert len(results.photos) == 1 + results.result.matched

    # Esc in the search bar goes back to the whole library.
    results = _results(qtbot, window, lambda: qtbot.keyClick(window.search, Qt.Key.Key_Escape))
    assert results.kind == "browse"
    assert len(results.photos) == 13

    # Remove the folder: the index forgets it, the files stay.
    with qtbot.waitSignal(window.session.index.write_done, timeout=WAIT):
        window.remove_folder(str(photos), confirm=False)
    assert window.session.lib.store.count() == 0
    assert window.folders_panel.list.count() == 0
    assert len(list(photos.rglob("*.jpg"))) == 13
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.empty, timeout=WAIT)


# Which photos are similar needs known rankings: these run on ColourEmbedder's window.

@pytest.fixture
def colour_win(qtbot, home, tmp_path: Path, colour_photos: Path):  # type: ignore[no-untyped-def]
    win = colour_window(qtbot, home, tmp_path)
    with qtbot.waitSignal(win.session.index.finished, timeout=WAIT):
        win.add_folder(str(colour_photos))
    yield win
    win.close()


def test_dropped_image_file_finds_similar_photos(qtbot, colour_win, colour_photos: Path,
                                                 tmp_path: Path) -> None:
    outside = tmp_path / "outside.png"
    shutil.copy(colour_photos / "redgreen_0.png", outside)
    results = _results(qtbot, colour_win, lambda: colour_win.view.similar_to_file(str(outside)))
    assert results.photos[0].path == str(colour_photos / "redgreen_0.png")
    assert results.scores[0] > 0.99


def test_a_dropped_or_pasted_image_search_honours_the_filters_as_typed_searches_do(
        qtbot, colour_win, colour_photos: Path, tmp_path: Path) -> None:
    from PyQt6.QtCore import QMimeData, QUrl
    from PyQt6.QtGui import QGuiApplication, QImage

    win = colour_win
    outside = tmp_path / "outside.jpg"
    shutil.copy(colour_photos / "red_3.jpg", outside)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(outside))])

    def stems(results) -> set[str]:  # type: ignore[no-untyped-def]
        return {Path(p.path).stem for p in results.photos}

    # Filters chosen first: a drop searches only 2019.
    _results(qtbot, win, lambda: win.filter_bar.choose_year(2019))
    results = _results(qtbot, win, lambda: win.drops.search_with(mime))
    assert results.kind == "similar"
    assert results.request.filters.after_ms is not None
    assert stems(results) == {"red_0", "red_1", "red_2"}
    assert win.message.says("(filtered)")
    # Filters changed after: the dropped image is searched again, narrowed the new way.
    _results(qtbot, win, lambda: win.filter_bar.choose_year(0))
    results = _results(qtbot, win, lambda: win.filter_bar.shape.setCurrentIndex(
        win.filter_bar.shape.findData("portrait")))
    assert results.kind == "similar"
    assert results.photos
    assert all(p.height > p.width for p in results.photos)
    assert {"red_4", "red_5"} <= stems(results)
    # A pasted picture (no file behind it) too: only PNGs.
    win.filter_bar.shape.setCurrentIndex(0)
    QGuiApplication.clipboard().setImage(QImage(str(colour_photos / "redgreen_0.png")))
    _results(qtbot, win, win.drops.paste)
    results = _results(qtbot, win, lambda: win.filter_bar.kind.setCurrentIndex(
        win.filter_bar.kind.findData("png")))
    assert results.query == "pasted image"
    assert stems(results) == {"redgreen_0", "redgreen_1"}
    assert not list(win.paths.cache.glob("pasted-*")), "each temporary file is deleted"


def test_pasted_image_file_finds_similar_photos(qtbot, colour_win, colour_photos: Path) -> None:
    from PyQt6.QtCore import QMimeData, QUrl
    from PyQt6.QtGui import QGuiApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(colour_photos / "redgreen_0.png"))])
    QGuiApplication.clipboard().setMimeData(mime)
    results = _results(qtbot, colour_win, colour_win.drops.paste)
    assert results.kind == "similar"
    names = [Path(p.path).stem for p in results.photos]
    assert "redgreen_0" not in names  # not itself
    assert names[0] == "redgreen_1"


def test_a_pasted_picture_is_searched_as_pasted_image_and_leaves_no_file(
    qtbot, colour_win, colour_photos: Path
) -> None:
    from PyQt6.QtGui import QGuiApplication, QImage

    window = colour_win
    QGuiApplication.clipboard().setImage(QImage(str(colour_photos / "redgreen_0.png")))
    results = _results(qtbot, window, window.drops.paste)
    assert results.kind == "similar"
    assert results.query == "pasted image"
    assert window.message.says("Photos similar to pasted image")
    assert results.scores[0] > 0.99  # the library photo it was copied from comes first
    assert results.photos[0].path == str(colour_photos / "redgreen_0.png")
    assert not list(window.paths.cache.glob("pasted-*")), "the temporary file is deleted"




def test_preview_of_a_photo_deleted_since_indexing_says_why(qtbot, window, photos: Path) -> None:
    with qtbot.waitSignal(window.session.index.finished, timeout=WAIT):
        window.add_folder(str(photos))
    qtbot.waitUntil(lambda: window.photo_model.rowCount() == 12, timeout=WAIT)
    photo = window.photo_model.photo(0)
    Path(photo.path).unlink()
    with qtbot.waitSignal(window.session.queries.preview_failed, timeout=WAIT):
        window.preview.open(0)
    dialog = window.preview.dialog
    assert dialog is not None
    assert dialog.image_label.text().startswith("This photo cannot be shown:")
    assert "not found" in dialog.image_label.text()
