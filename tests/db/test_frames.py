"""Video frames in the store: a video is as near as its nearest frame (checked against brute
force), counts once, and its frames live and die with its row, also when the rows are put
again under new ids (the vector index's refusal to update in place)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inphotos.db.store import PhotoStore, WriteBatch
from inphotos.records import Filters, FrameRecord, PhotoRecord

DIMS = 16


def _unit(rng: np.random.Generator) -> np.ndarray:
    v = rng.normal(size=DIMS).astype(np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture
def store(tmp_path: Path):
    """300 photos and 60 videos of 4 frames each, random vectors."""
    rng = np.random.default_rng(1)
    s = PhotoStore(tmp_path / "db", DIMS, "test-model")
    rows = []
    for i in range(360):
        video = i >= 300
        frames = [FrameRecord(t * 1000, _unit(rng)) for t in range(4)] if video else None
        rows.append(PhotoRecord(
            f"/lib/{i}.{'mp4' if video else 'jpg'}", "/lib", size=1 + i, mtime_ns=1, fingerprint="f",
            width=40, height=30, taken_ms=i, duration_ms=4000 if video else 0, frames=frames,
            embedding=frames[0].embedding if frames else _unit(rng)))
    s.write(WriteBatch(photos=rows))
    yield s
    s.close()


def _exact(store: PhotoStore, q: np.ndarray) -> list[tuple[int, float]]:
    ids, vecs = store.all_embeddings()
    best = dict(zip(ids.tolist(), (vecs @ q).tolist(), strict=True))
    for pid, frames in store.frames_of(ids.tolist()).items():
        best[pid] = max(best[pid], max(float(f.embedding @ q) for f in frames))
    return sorted(best.items(), key=lambda p: -p[1])


def test_a_video_is_as_near_as_its_nearest_frame_and_counts_once(store: PhotoStore) -> None:
    rng = np.random.default_rng(7)
    assert store.count() == 360
    assert store.frame_count() == 240
    recall = []
    for _ in range(10):
        q = _unit(rng)
        exact = _exact(store, q)
        everything = store.nearest(q, 360)  # a small library: searched exhaustively
        assert [i for i, _ in everything] == [i for i, _ in exact]
        assert np.allclose([1 - d for _, d in everything], [s for _, s in exact], atol=1e-5)
        top = store.nearest(q, 20)
        assert len({i for i, _ in top}) == len(top) == 20
        recall.append(len({i for i, _ in top} & {i for i, _ in exact[:20]}) / 20)
    assert np.mean(recall) >= 0.9
    # A filter applies to videos found by a frame too.
    only_photos = store.nearest(_unit(rng), 50, Filters(types=("jpg",)))
    assert only_photos
    assert all(i <= 300 for i, _ in only_photos)


def test_frames_go_with_their_row_and_follow_it_to_a_new_id(store: PhotoStore) -> None:
    video = store.photo_by_path("/lib/310.mp4", with_embedding=True)
    assert video is not None
    frames = store.frames_of([video.id])[video.id]
    assert [f.time_ms for f in frames] == [0, 1000, 2000, 3000]
    store._write(WriteBatch(photos=[video]), replace=True)  # removed, and put again
    moved = store.photo_by_path("/lib/310.mp4")
    assert moved is not None
    assert moved.id != video.id
    assert store.frames_of([video.id]) == {}
    again = store.frames_of([moved.id])[moved.id]
    assert [f.time_ms for f in again] == [0, 1000, 2000, 3000]
    assert store.frame_count() == 240
    # New frames replace the stored ones; removing the row removes them.
    moved.embedding = again[0].embedding
    moved.frames = again[:2]
    store.write(WriteBatch(photos=[moved]))
    assert len(store.frames_of([moved.id])[moved.id]) == 2
    assert store.frame_count() == 238
    store.remove_photos([moved.id])
    assert store.frame_count() == 236
    store.remove_folder("/lib")
    assert store.frame_count() == 0
