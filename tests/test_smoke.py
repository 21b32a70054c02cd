"""The engine end to end on the tiny model: index a folder, search, find similar."""

from __future__ import annotations

import shutil
from pathlib import Path


def test_index_then_search_and_similar(library, photos: Path) -> None:
    library.add_folder(photos)
    report = library.index()
    assert report.added == 12
    assert library.store.count() == 12
    hits = library.search_text("a dog on a beach", k=5)
    assert len(hits) == 5
    assert hits == sorted(hits, key=lambda h: -h.score)
    dup = photos / "copy_of_img_01.jpg"
    shutil.copy(photos / "img_01.jpg", dup)
    library.index()
    similar = library.similar_to_file(photos / "img_01.jpg", k=3)
    assert similar[0].photo.path == str(dup)
    assert similar[0].score > 0.999
