"""An index made by an older InPhotos opens and is migrated without embedding a photo again;
one made by a newer InPhotos is refused with a clear message, untouched. When a model folder's
weights are replaced in place, the library is embedded again once, not mixed for good.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from inphotos.core.imaging import decode
from inphotos.core.library import Library
from inphotos.db.store import FORMAT_VERSION, META_FILE, StoreError
from inphotos.ml.embedder import ClipEmbedder
from inphotos.ml.models import ModelError
from inphotos.ml.tiny_model import make_tiny_model
from inphotos.paths import AppPaths
from tests.helpers import CountingEmbedder, damage_model, weights_file

#: What InPhotos 1 (format 1) wrote beside its database: no record of the weights.
V1_META_KEYS = {"format", "model", "dims", "created_ms", "complete"}


def _as_format_1(db_dir: Path) -> dict:
    meta = json.loads((db_dir / META_FILE).read_text())
    v1 = {k: v for k, v in meta.items() if k in V1_META_KEYS} | {"format": 1}
    (db_dir / META_FILE).write_text(json.dumps(v1, indent=2))
    return v1


def _indexed_with_model_folder(
    home: AppPaths, photos: Path, folder: Path
) -> tuple[str, CountingEmbedder, dict[str, np.ndarray]]:
    """`photos` indexed with a new model folder: (its spec, its embedder, the vectors)."""
    spec = make_tiny_model(folder, seed=1)
    embedder = CountingEmbedder(ClipEmbedder(spec, precision="fp32"))
    with Library(home, model=spec, embedder_factory=lambda: embedder, precision="fp32") as lib:
        lib.add_folder(photos)
        lib.index()
        vectors = {r.path: r.embedding for r in lib.store.all_photos(with_embedding=True)}
    return spec, embedder, vectors


def test_a_format_1_index_is_migrated_without_re_embedding(
    home: AppPaths, tiny_model: str, counter: CountingEmbedder, photos: Path
) -> None:
    with Library(home, model=tiny_model, embedder_factory=lambda: counter, precision="fp32") as lib:
        lib.add_folder(photos)
        lib.index()
        db_dir = lib.db_dir
        before = {r.path: r.embedding for r in lib.store.all_photos(with_embedding=True)}
    v1 = _as_format_1(db_dir)
    counter.images = 0

    with Library(home, model=tiny_model, embedder_factory=lambda: counter, precision="fp32") as lib:
        meta = json.loads((db_dir / META_FILE).read_text())
        assert meta["format"] == FORMAT_VERSION
        assert meta["weights"]  # recorded from the model in use
        assert json.loads((db_dir / "inphotos-db.v1.json").read_text()) == v1  # the old record kept
        rows = lib.store.all_photos(with_embedding=True)
        assert {r.path for r in rows} == set(before)
        for r in rows:
            assert (r.embedding == before[r.path]).all()
        report = lib.index()
        assert report.added == report.updated == 0
        assert counter.images == 0
        assert len(lib.search_text("a photo", k=20)) == 12


def test_an_index_from_a_newer_version_is_refused_and_left_alone(
    home: AppPaths, tiny_model: str, counter: CountingEmbedder
) -> None:
    with Library(home, model=tiny_model, embedder_factory=lambda: counter, precision="fp32") as lib:
        db_dir = lib.db_dir
    meta = json.loads((db_dir / META_FILE).read_text())
    meta["format"] = FORMAT_VERSION + 1
    (db_dir / META_FILE).write_text(json.dumps(meta))
    snapshot = {p.name: p.read_bytes() for p in db_dir.iterdir() if p.is_file() and p.suffix != ".lock"}

    with pytest.raises(StoreError, match="newer InPhotos"):
        Library(home, model=tiny_model, embedder_factory=lambda: counter, precision="fp32")

    after = {p.name: p.read_bytes() for p in db_dir.iterdir() if p.is_file() and p.suffix != ".lock"}
    assert after == snapshot


def test_replaced_weights_in_a_model_folder_re_embed_the_library_once(
    home: AppPaths, photos: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "my-model"
    spec, _, old = _indexed_with_model_folder(home, photos, folder)

    shutil.rmtree(folder)
    make_tiny_model(folder, seed=2)  # same folder, same name, new weights
    second = CountingEmbedder(ClipEmbedder(spec, precision="fp32"))
    with Library(home, model=spec, embedder_factory=lambda: second, precision="fp32") as lib:
        report = lib.index()
        assert report.updated == 12
        assert second.images == 12
        for r in lib.store.all_photos(with_embedding=True):
            pixels = decode(r.path, second.pixel_spec, want_thumbnail=False).pixels
            expected = second.inner.encode_pixels(pixels[None])[0]
            assert float(r.embedding @ expected) > 0.999
            assert float(r.embedding @ old[r.path]) < 0.999  # really the new weights' vectors
        second.images = 0
        assert lib.index().updated == 0  # once only
        assert second.images == 0


def test_damaged_weights_put_back_cost_no_re_embedding(home: AppPaths, photos: Path, tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    spec, embedder, _ = _indexed_with_model_folder(home, photos, folder)
    weights = weights_file(folder)
    good = weights.read_bytes()
    damage_model(folder, "truncated")  # a copy that broke off part way

    with Library(home, model=spec, precision="fp32") as lib, pytest.raises(ModelError, match="damaged"):
        lib.index()

    weights.write_bytes(good)
    embedder.images = 0
    with Library(home, model=spec, embedder_factory=lambda: embedder, precision="fp32") as lib:
        assert lib.index().updated == 0
        assert embedder.images == 0
