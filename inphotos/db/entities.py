"""ObjectBox entity definitions.

The embedding's HNSW index needs its dimension at class-definition time and each model has its
own, so entities are made by a factory per dimension; each database gets its own model JSON
file inside its folder, so the schema's IDs travel with the data.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from objectbox import (
    Bool,
    Entity,
    Float32,
    Float32Vector,
    HnswIndex,
    Id,
    Index,
    Int32,
    Int64,
    Model,
    String,
    Unique,
    VectorDistanceType,
)

# Graph parameters: M=16/efConstruction=100 keeps recall@10 above 0.98 on clustered CLIP-like
# vectors at 1M while inserts stay well ahead of the embedder (see docs/benchmarks.md).
HNSW_NEIGHBORS = 16
HNSW_EF_CONSTRUCTION = 100


#: Stored codes of PhotoRecord.taken_source and .orientation (0: a row from before they existed).
TAKEN_SOURCES = {"exif": 1, "file": 2}
ORIENTATION_CODES = {"landscape": 1, "portrait": 2, "square": 3}


@dataclass(frozen=True)
class Schema:
    """The entity classes and ObjectBox model for one embedding dimension."""

    photo: Any
    folder: Any
    skipped: Any
    model: Model
    link: Any = None  # DupLink: near-duplicate pairs (core/duplicates.py)
    frame: Any = None  # a video's sampled frames (core/video.py says why they have their own box)


def _vector_index(dims: int) -> Any:
    """An embedding property with its HNSW index (photos and videos' frames search alike)."""
    return Float32Vector(
        index=HnswIndex(
            dimensions=dims,
            distance_type=VectorDistanceType.COSINE,
            neighbors_per_node=HNSW_NEIGHBORS,
            indexing_search_count=HNSW_EF_CONSTRUCTION,
        )
    )


_schemas: dict[tuple[int, str], Schema] = {}
_names = itertools.count()


def forget_schemas(database: str) -> None:
    """Drop the schemas of the database in folder `database` (made again from scratch by
    repair: its new schema file must be written, which ObjectBox does only for a new model)."""
    for key in [k for k in _schemas if k[1] == database]:
        del _schemas[key]


def schema_for(dims: int, database: str) -> Schema:
    """The schema of the database in folder `database`, whose embeddings have `dims` values.

    One set of entity classes per database, never shared: ObjectBox writes each database's
    property IDs into its entity classes when the store opens, so two databases open at once
    (a model switch) must not share classes.
    """
    key = (dims, database)
    if key in _schemas:
        return _schemas[key]
    name = f"inphotos-{dims}-{next(_names)}"

    @Entity(model=name)
    class Photo:
        id = Id
        path = String(unique=Unique())
        folder = String(index=Index())
        size = Int64
        mtime_ns = Int64
        fingerprint = String(index=Index())
        width = Int32
        height = Int32
        taken_ms = Int64(index=Index())
        indexed_ms = Int64
        embedding = _vector_index(dims)
        # Added in format 2 (0 in rows written before: "unknown", see core/plan.py).
        ctime_ns = Int64
        # Added for search filters (ObjectBox adds them to an older database, whose rows read 0 until
        # the next index run fills them in: PhotoStore.fill_derived).
        taken_source = Int32  # TAKEN_SOURCES: 1 EXIF date, 2 file time; 0 not yet known
        orientation = Int32(index=Index())  # ORIENTATION_CODES; 0 not yet known
        # The photo's other files (core/pairs.py), newline-separated (db/obx.py encode_paths);
        # empty in rows written before (the next index run fills it in).
        companions = String
        # Added with videos: a video's length in ms (0: a photo; rows from before read 0).
        duration_ms = Int64

    @Entity(model=name)
    class Folder:
        id = Id
        path = String(unique=Unique())
        added_ms = Int64
        last_scan_ms = Int64
        online = Bool

    @Entity(model=name)
    class Skipped:
        id = Id
        path = String(unique=Unique())
        folder = String(index=Index())
        size = Int64
        mtime_ns = Int64
        reason = String

    @Entity(model=name)
    class DupLink:
        # Two photos whose vectors lie within the capture distance (core/duplicates.py): the
        # duplicate groups are the connected parts of these pairs. `a` is the smaller photo id.
        id = Id
        a = Int64(index=Index())
        b = Int64(index=Index())
        distance = Float32
        exact = Bool  # the same content fingerprint: a byte-for-byte copy

    @Entity(model=name)
    class Frame:
        """One sampled frame of a video: the Photo row it belongs to, its time, its vector."""

        id = Id
        photo_id = Int64(index=Index())
        time_ms = Int64
        embedding = _vector_index(dims)

    model = Model()
    for entity in (Photo, Folder, Skipped, DupLink, Frame):
        model.entity(entity)
    schema = Schema(Photo, Folder, Skipped, model, link=DupLink, frame=Frame)
    _schemas[key] = schema
    return schema
