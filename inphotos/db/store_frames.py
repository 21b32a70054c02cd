"""Video frames in the photo store: a video is one Photo row plus its sampled frames, each with
its own vector in a second HNSW index (core/video.py says why). A part of `PhotoStore`.

The frames of a row are written, replaced and removed in the transaction that writes or
removes the row, so a row never lacks its frames nor a frame its row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from inphotos.db.entities import Schema
from inphotos.db.guard import in_use
from inphotos.records import FrameRecord

#: The most frames a video keeps (core/video.py samples no more): a search sizes its frame
#: candidates by it.
MAX_FRAMES_PER_VIDEO = 12
#: Frames asked for in a search's first round (see `_nearest_videos`).
FIRST_FRAMES = 200
#: Ids per `one_of` condition (a query's condition is held in memory whole).
ID_CHUNK = 5000


class FrameQueries:
    """Frame reads, and the helpers the store's writes use; mixed into `PhotoStore`."""

    schema: Schema
    _frames: Any
    dims: int

    if TYPE_CHECKING:
        def count(self) -> int: ...

    def _frame_objects(self, photo_ids: Collection[int]) -> list[Any]:
        ids = sorted({int(i) for i in photo_ids if i})
        out: list[Any] = []
        for start in range(0, len(ids), ID_CHUNK):
            q = self._frames.query(self.schema.frame.photo_id.one_of(ids[start : start + ID_CHUNK])).build()
            try:
                out.extend(q.find())
            finally:
                q.close()
        return out

    def _remove_frames_of(self, photo_ids: Collection[int]) -> None:
        """Inside a write transaction: drop the frames of these rows."""
        if not photo_ids or not self._frames.count():
            return
        ids = [o.id for o in self._frame_objects(photo_ids)]
        if ids:
            self._frames.remove_many(ids)

    def _put_frames(self, photo_id: int, frames: Sequence[FrameRecord]) -> None:
        """Inside a write transaction: store `frames` as new rows of video `photo_id`."""
        objs = []
        for f in frames:
            if f.embedding is None or len(f.embedding) != self.dims:
                raise ValueError(f"a frame of photo {photo_id} must have {self.dims} values")
            objs.append(self.schema.frame(id=0, photo_id=photo_id, time_ms=int(f.time_ms),
                                          embedding=np.asarray(f.embedding, dtype=np.float32)))
        if len(objs) > 1:
            self._frames.put(*objs)
        elif objs:
            self._frames.put(objs[0])

    @in_use
    def frame_count(self) -> int:
        return int(self._frames.count())

    @in_use
    def frames_of(self, photo_ids: Collection[int]) -> dict[int, list[FrameRecord]]:
        """The stored frames of these videos, by photo id, in time order (photos have none)."""
        out: dict[int, list[FrameRecord]] = {}
        if not self._frames.count():
            return out
        for o in self._frame_objects(photo_ids):
            out.setdefault(int(o.photo_id), []).append(
                FrameRecord(int(o.time_ms), np.asarray(o.embedding, dtype=np.float32)))
        for frames in out.values():
            frames.sort(key=lambda f: f.time_ms)
        return out

    @in_use
    def best_frames(self, photo_ids: Collection[int], vector: np.ndarray) -> dict[int, tuple[int, float]]:
        """For each video among `photo_ids`: (time in ms, cosine similarity) of its frame
        nearest to `vector`. Photos are left out."""
        vec = np.asarray(vector, np.float32).reshape(-1)
        out: dict[int, tuple[int, float]] = {}
        for photo_id, frames in self.frames_of(photo_ids).items():
            scores = np.stack([f.embedding for f in frames]) @ vec
            best = int(np.argmax(scores))
            out[photo_id] = (frames[best].time_ms, float(scores[best]))
        return out

    def _nearest_videos(
        self, vector: np.ndarray, count: int, horizon: float | None = None,
    ) -> dict[int, float]:
        """Videos by their nearest frame: photo id -> cosine distance, for the `count`
        nearest items of a search whose photo rows reached out to distance `horizon`.

        Frames are asked for in rounds (a few hundred first, 4x more each round) until no
        video left unseen could matter: `count` videos are found (every unseen one is farther
        than they are), or the farthest frame found lies beyond `horizon` (every unseen video
        is farther than every photo found), or every frame was looked at. Asking the graph
        for all `count` x MAX_FRAMES_PER_VIDEO frames at once would cost ~10x a photo search.
        """
        total = int(self._frames.count())
        if count <= 0 or total == 0:
            return {}
        want = min(total, max(FIRST_FRAMES, count))
        while True:
            q = self._frames.query(self.schema.frame.embedding.nearest_neighbors(vector, want)).build()
            try:
                found = q.find_with_scores()
            finally:
                q.close()
            best: dict[int, float] = {}
            for o, distance in found:
                pid = int(o.photo_id)
                if pid not in best or distance < best[pid]:
                    best[pid] = float(distance)
            farthest = max((float(d) for _, d in found), default=0.0)
            if (want >= total or len(best) >= count
                    or (horizon is not None and farthest >= horizon)):
                return best
            want = min(total, want * 4)
