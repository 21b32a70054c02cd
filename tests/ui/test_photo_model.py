"""The grid's item model: Qt's model checks, lazy thumbnails, scores."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QImage

from inphotos.records import PhotoRecord
from inphotos.ui.photo_model import FailedRole, IdRole, PathRole, PhotoModel, ScoreRole


def _photos(n: int) -> list[PhotoRecord]:
    return [PhotoRecord(path=f"/p/img_{i}.jpg", folder="/p", size=1, mtime_ns=1, id=i + 1) for i in range(n)]


def test_model_passes_qt_model_checks(qtmodeltester) -> None:
    model = PhotoModel()
    model.set_photos(_photos(50), [1.0 - i / 100 for i in range(50)])
    qtmodeltester.check(model, force_py=True)


def test_timeline_pages_and_pins_pass_qt_model_checks(qtmodeltester, qtbot) -> None:
    """A timeline that fetches pages (months labelled), and a similar search with a pin."""
    from inphotos.ui.photo_model import PinnedRole, SectionRole

    month = 31 * 24 * 3600 * 1000
    dated = [PhotoRecord(path=f"/p/{i}.jpg", folder="/p", size=1, mtime_ns=1, id=i + 1,
                         taken_ms=1_600_000_000_000 - (i // 3) * month) for i in range(30)]
    model = PhotoModel()
    model.set_photos(dated[:10], more=True)
    asked: list[PhotoRecord] = []
    model.more_needed.connect(asked.append)
    qtmodeltester.check(model, force_py=True)  # it calls fetchMore: one page asked for, once
    model.fetchMore(model.index(-1, 0).parent())
    assert [p.id for p in asked] == [10]
    model.append_photos(dated[10:20], more=False)
    assert model.rowCount() == 20
    assert not model.canFetchMore(model.index(-1, 0).parent())
    sections = [model.index(r, 0).data(SectionRole) for r in range(20)]
    assert sections[0] == "September 2020"
    assert sum(1 for s in sections if s) == 7  # every third photo starts a month
    model.set_photos(dated[:5], [1.0, 0.9, 0.8, 0.7, 0.6], pinned=1)
    qtmodeltester.check(model, force_py=True)
    assert model.index(0, 0).data(PinnedRole)
    assert not model.index(1, 0).data(PinnedRole)
    assert not model.index(0, 0).data(SectionRole)  # a search: no month labels


def _red(w: int = 16, h: int = 12) -> QImage:
    image = QImage(w, h, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.red)
    return image


def test_missing_thumbnail_is_requested_once_and_fills_only_its_cell(qtbot) -> None:
    model = PhotoModel()
    model.set_photos(_photos(3))
    requested: list[int] = []
    model.thumbnail_needed.connect(lambda p: requested.append(p.id))
    idx = model.index(1, 0)
    for _ in range(5):  # a view asks on every paint: scrolling, hovering, resizing
        assert idx.data(Qt.ItemDataRole.DecorationRole) is None
    assert requested == [2]
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.set_thumbnail(2, _red())
    assert changed.args[0].row() == 1
    assert changed.args[1].row() == 1
    for _ in range(3):
        assert idx.data(Qt.ItemDataRole.DecorationRole).size().width() == 16
    assert requested == [2]  # arrived: never asked again


def test_a_thumbnail_is_asked_again_only_when_gone_from_memory_or_the_photos_change() -> None:
    model = PhotoModel(cache_size=1)
    model.set_photos(_photos(3))
    requested: list[int] = []
    model.thumbnail_needed.connect(lambda p: requested.append(p.id))
    first, second, third = (model.index(r, 0) for r in range(3))
    deco = Qt.ItemDataRole.DecorationRole

    for _ in range(3):
        first.data(deco), second.data(deco), third.data(deco)
    assert requested == [1, 2, 3]

    model.set_thumbnail(1, _red())
    model.set_thumbnail(2, _red())  # the cache holds one: photo 1 leaves memory
    model.set_thumbnail_failed(3)
    for _ in range(3):
        first.data(deco), second.data(deco), third.data(deco)
    assert requested == [1, 2, 3, 1]  # 1 once more; 2 is shown; 3 failed, not retried
    assert third.data(FailedRole) is True

    model.set_photos(_photos(2))  # new results: what is still missing is asked for again
    for _ in range(3):
        model.index(0, 0).data(deco), model.index(1, 0).data(deco)
    assert requested == [1, 2, 3, 1, 1]


def test_roles_expose_id_path_and_score() -> None:
    model = PhotoModel()
    model.set_photos(_photos(2), [0.5, 0.25])
    idx = model.index(1, 0)
    assert idx.data(IdRole) == 2
    assert idx.data(PathRole) == "/p/img_1.jpg"
    assert idx.data(ScoreRole) == 0.25
    assert idx.data(Qt.ItemDataRole.DisplayRole) == "img_1.jpg"
    model.set_photos(_photos(2))
    assert model.index(0, 0).data(ScoreRole) is None


def test_thumbnail_cache_is_bounded() -> None:
    model = PhotoModel(cache_size=5)
    model.set_photos(_photos(20))
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    for i in range(1, 21):
        model.set_thumbnail(i, image)
    assert model.cached_thumbnail(1) is None
    assert model.cached_thumbnail(20) is not None
    assert len(model._pixmaps) == 5
