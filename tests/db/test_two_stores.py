"""Two databases of the same dimension open at once (a model switch) keep their own data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inphotos.db.store import PhotoStore, StoreError, WriteBatch
from inphotos.records import PhotoRecord


def _put(store: PhotoStore, prefix: str, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    vecs = rng.standard_normal((n, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    store.write(WriteBatch(photos=[
        PhotoRecord(path=f"/{prefix}/{i}.jpg", folder=f"/{prefix}", size=i, mtime_ns=i, embedding=v)
        for i, v in enumerate(vecs)
    ]))


def test_same_dimension_stores_do_not_share_schema_ids(tmp_path: Path) -> None:
    a = PhotoStore(tmp_path / "a", 16, "model-a")
    _put(a, "a", 30, seed=1)
    b = PhotoStore(tmp_path / "b", 16, "model-b")  # opened while `a` is in use
    _put(b, "b", 5, seed=2)
    try:
        assert a.count() == 30
        assert b.count() == 5
        assert {p.folder for p in a.all_photos()} == {"/a"}
        assert {p.folder for p in b.all_photos()} == {"/b"}
        query = a.all_embeddings()[1][7]
        best_id, distance = a.nearest(query, 5)[0]
        assert a.get_photo(best_id).path == "/a/7.jpg"
        assert distance < 1e-5
        assert b.photo_by_path("/a/7.jpg") is None
    finally:
        a.close()
        b.close()


def test_closed_store_refuses_calls_instead_of_crashing(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "c", 16, "model-c")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count()
