"""Putting a photo again with a new vector, when the HNSW index refuses an in-place update."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import objectbox
import pytest

from inphotos.db.store import PhotoStore, StoreError, WriteBatch
from inphotos.records import PhotoRecord


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def test_refused_in_place_update_replaces_the_rows(tmp_path: Path, monkeypatch) -> None:
    rng = np.random.default_rng(3)
    with PhotoStore(tmp_path / "db", 16, "test") as store:
        recs = [PhotoRecord(f"/a/{i}.jpg", "/a", 1, 1, embedding=_unit(rng.normal(size=16)))
                for i in range(50)]
        store.write(WriteBatch(photos=recs))
        old_ids = [r.id for r in recs[:10]]
        for r in recs[:10]:  # edited photos: new vectors
            r.embedding = _unit(rng.normal(size=16))
            r.size = 2

        real_write = store._write
        calls: list[bool] = []

        def refuse_first(batch, replace):
            calls.append(replace)
            if not replace:
                raise objectbox.IllegalStateError("Index update not yet supported")
            return real_write(batch, replace)

        monkeypatch.setattr(store, "_write", refuse_first)
        store.write(WriteBatch(photos=recs[:10]))

        assert calls == [False, True]
        assert store.count() == 50  # replaced, not duplicated
        assert all(store.get_photo(i) is None for i in old_ids)
        for r in recs[:10]:
            row = store.photo_by_path(r.path, with_embedding=True)
            assert row is not None
            assert row.id == r.id
            assert row.size == 2
            np.testing.assert_allclose(row.embedding, r.embedding)
            best_id, distance = store.nearest(r.embedding, 5)[0]
            assert best_id == r.id
            assert distance < 1e-5


def test_other_illegal_states_are_not_swallowed(tmp_path: Path, monkeypatch) -> None:
    with PhotoStore(tmp_path / "db", 16, "test") as store:
        def broken(batch, replace):
            raise objectbox.IllegalStateError("something else")

        monkeypatch.setattr(store, "_write", broken)
        rec = PhotoRecord("/a/x.jpg", "/a", 1, 1, embedding=_unit(np.ones(16)))
        with pytest.raises(StoreError, match="something else"):
            store.write(WriteBatch(photos=[rec]))
