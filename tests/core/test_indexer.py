"""Indexing as a user lives it: first run, changes on disk, renames, deletions, bad files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from inphotos.core.control import Control
from inphotos.core.imaging import decode
from inphotos.records import IndexProgress
from tests.conftest import make_photo
from tests.helpers import CountingEmbedder, tree_state


def _on_disk(root: Path) -> set[str]:
    return {os.path.join(d, f) for d, _, files in os.walk(root) for f in files}


def _indexed(library) -> dict[str, int]:
    return {r.path: r.id for r in library.store.all_photos()}


def test_first_index_stores_every_photo_with_its_metadata_and_vector(
    library, counter: CountingEmbedder, photos: Path
) -> None:
    library.add_folder(photos)
    report = library.index()

    assert (report.added, report.updated, report.moved, report.removed) == (12, 0, 0, 0)
    assert report.skipped == []
    assert counter.images == 12
    assert set(_indexed(library)) == _on_disk(photos)
    for r in library.store.all_photos(with_embedding=True):
        assert r.folder == str(photos)
        assert (r.width, r.height) == (320, 240)
        st = os.stat(r.path)
        assert (r.size, r.mtime_ns) == (st.st_size, st.st_mtime_ns)
        assert r.fingerprint
        assert r.embedding is not None
        assert r.embedding.shape == (library.store.dims,)
        assert np.linalg.norm(r.embedding) == pytest.approx(1.0, abs=1e-5)
    assert library.store.meta["complete"] is True


@pytest.mark.usefixtures("photos_indexed")
def test_stored_vector_is_the_models_vector_for_the_photo(library, tiny_embedder, photos: Path) -> None:
    path = photos / "img_01.jpg"
    stored = library.store.photo_by_path(str(path), with_embedding=True).embedding
    d = decode(path, tiny_embedder.pixel_spec)
    np.testing.assert_allclose(stored, tiny_embedder.encode_pixels(d.pixels[None])[0], atol=1e-5)


@pytest.mark.usefixtures("photos_indexed")
def test_a_run_with_nothing_changed_embeds_nothing(library, counter: CountingEmbedder, photos: Path) -> None:
    before = _indexed(library)

    report = library.index()

    assert counter.images == 0
    assert (report.added, report.updated, report.moved, report.removed) == (0, 0, 0, 0)
    assert _indexed(library) == before


@pytest.mark.usefixtures("photos_indexed")
def test_incremental_update_embeds_only_new_and_changed_photos(
    library, counter: CountingEmbedder, photos: Path
) -> None:
    changed = photos / "img_01.jpg"
    old = library.store.photo_by_path(str(changed), with_embedding=True)

    make_photo(photos / "new_a.jpg", seed=100)
    make_photo(photos / "trip" / "new_b.png", seed=101, fmt="PNG")
    make_photo(changed, seed=102, size=(300, 200))  # edited in place: new content, new size
    report = library.index()

    assert counter.images == 3
    assert (report.added, report.updated, report.moved, report.removed) == (2, 1, 0, 0)
    assert set(_indexed(library)) == _on_disk(photos)
    new = library.store.photo_by_path(str(changed), with_embedding=True)
    assert new.id == old.id  # same photo, updated in place
    assert (new.width, new.height) == (300, 200)
    assert not np.allclose(new.embedding, old.embedding)


@pytest.mark.usefixtures("photos_indexed")
def test_touched_photo_with_same_size_is_re_embedded(
    library, counter: CountingEmbedder, photos: Path
) -> None:
    path = photos / "img_02.jpg"
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))

    report = library.index()

    assert report.updated == 1
    assert counter.images == 1


@pytest.mark.usefixtures("photos_indexed")
def test_renamed_and_moved_photos_keep_their_vectors_without_re_embedding(
    library, counter: CountingEmbedder, photos: Path
) -> None:
    a = library.store.photo_by_path(str(photos / "img_01.jpg"), with_embedding=True)
    b = library.store.photo_by_path(str(photos / "trip" / "img_03.jpg"), with_embedding=True)

    os.rename(photos / "img_01.jpg", photos / "renamed.jpg")
    (photos / "2024" / "summer").mkdir(parents=True)
    os.rename(photos / "trip" / "img_03.jpg", photos / "2024" / "summer" / "moved.jpg")
    report = library.index()

    assert counter.images == 0
    assert (report.added, report.moved, report.removed) == (0, 2, 0)
    assert set(_indexed(library)) == _on_disk(photos)
    for old, new_path in ((a, photos / "renamed.jpg"), (b, photos / "2024" / "summer" / "moved.jpg")):
        new = library.store.photo_by_path(str(new_path), with_embedding=True)
        assert new.id == old.id
        np.testing.assert_array_equal(new.embedding, old.embedding)
    assert library.store.photo_by_path(str(photos / "img_01.jpg")) is None


@pytest.mark.usefixtures("photos_indexed")
def test_thumbnails_follow_moves_and_leave_with_deleted_or_changed_photos(library, photos: Path) -> None:
    def thumb(path: Path) -> Path | None:
        rec = library.store.photo_by_path(str(path))
        return library.thumbs.get(rec.path, rec.mtime_ns, rec.size)

    moved_from, deleted, changed = photos / "img_01.jpg", photos / "img_02.jpg", photos / "img_04.jpg"
    old_thumbs = {p: thumb(p) for p in (moved_from, deleted, changed)}
    assert all(old_thumbs.values())
    moved_bytes = old_thumbs[moved_from].read_bytes()
    os.rename(moved_from, photos / "trip" / "moved.jpg")
    deleted.unlink()
    make_photo(changed, seed=77, size=(300, 200))

    library.index()

    assert thumb(photos / "trip" / "moved.jpg").read_bytes() == moved_bytes  # carried, not remade
    assert thumb(changed) is not None
    assert not any(p.exists() for p in old_thumbs.values())  # nothing stale is left behind
    thumbs_on_disk = sum(1 for _ in library.paths.thumbnails.glob("*/*.jpg"))
    assert thumbs_on_disk == library.store.count()


def test_photo_moved_into_another_library_folder_keeps_its_vector(
    library, counter: CountingEmbedder, photos: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    make_photo(other / "o1.jpg", seed=50)
    library.add_folder(photos)
    library.add_folder(other)
    library.index()
    old = library.store.photo_by_path(str(photos / "img_04.jpg"), with_embedding=True)
    counter.images = 0

    shutil.move(photos / "img_04.jpg", other / "img_04.jpg")
    report = library.index()

    assert counter.images == 0
    assert (report.moved, report.removed, report.added) == (1, 0, 0)
    new = library.store.photo_by_path(str(other / "img_04.jpg"), with_embedding=True)
    assert new.id == old.id
    assert new.folder == str(other)
    np.testing.assert_array_equal(new.embedding, old.embedding)
    counts = {f.path: f.photos for f in library.folders()}
    assert counts == {str(photos): 11, str(other): 2}


@pytest.mark.usefixtures("photos_indexed")
def test_a_copy_is_a_new_photo_and_the_original_keeps_its_row(library, photos: Path) -> None:
    shutil.copy2(photos / "img_05.jpg", photos / "copy.jpg")

    report = library.index()

    assert (report.added, report.moved) == (1, 0)
    assert set(_indexed(library)) == _on_disk(photos)


@pytest.mark.usefixtures("photos_indexed")
def test_deleted_photos_are_removed_and_never_found_again(library, photos: Path) -> None:
    gone = [photos / "img_01.jpg", photos / "trip" / "img_06.jpg"]
    for p in gone:
        p.unlink()

    report = library.index()

    assert report.removed == 2
    assert library.store.count() == 10
    assert set(_indexed(library)) == _on_disk(photos)
    found = {h.photo.path for h in library.search_text("anything", k=100)}
    assert found == _on_disk(photos)


def test_offline_folder_keeps_its_photos_hidden_and_brings_them_back(
    library, counter: CountingEmbedder, photos: Path, tmp_path: Path
) -> None:
    drive = tmp_path / "drive"
    for i in range(5):
        make_photo(drive / f"d{i}.jpg", seed=200 + i)
    library.add_folder(photos)
    library.add_folder(drive)
    library.index()
    drive_photos = {str(drive / f"d{i}.jpg") for i in range(5)}
    before = _indexed(library)
    counter.images = 0

    unplugged = tmp_path / "unplugged"
    os.rename(drive, unplugged)  # the drive is unplugged: its folder is gone
    report = library.index()

    assert report.offline == [str(drive)]
    assert report.removed == 0
    assert _indexed(library) == before  # nothing forgotten
    assert {f.path: f.online for f in library.folders()} == {str(photos): True, str(drive): False}
    assert library.stats()["offline_folders"] == 1
    hits = library.search_text("a photo", k=100)
    assert {h.photo.path for h in hits} == _on_disk(photos)
    shown = {r.path for r in library.photos(library.browse_ids())}
    assert shown == _on_disk(photos)
    similar = library.similar_to_file(photos / "img_01.jpg", k=100)
    assert not drive_photos & {h.photo.path for h in similar}

    os.rename(unplugged, drive)  # plugged back in
    report = library.index()

    assert report.offline == []
    assert counter.images == 0
    assert _indexed(library) == before
    hits = library.search_text("a photo", k=100)
    assert {h.photo.path for h in hits} == _on_disk(photos) | drive_photos
    assert len(library.browse_ids()) == 17


def test_bad_files_are_skipped_with_reasons_and_not_retried(
    library, counter: CountingEmbedder, photos: Path
) -> None:
    good = photos / "img_01.jpg"
    data = good.read_bytes()
    bad = {
        "empty.jpg": b"",
        "notes.jpg": b"this is a text file with a .jpg name\n",
        "half.jpg": data[: len(data) // 2],
        "garbage.png": bytes(range(256)) * 8,
    }
    for name, content in bad.items():
        (photos / name).write_bytes(content)
    os.symlink(photos / "no-such-file.jpg", photos / "dangling.jpg")
    library.add_folder(photos)

    report = library.index()

    reasons = {os.path.basename(p): r for p, r in report.skipped}
    assert set(reasons) == {*bad, "dangling.jpg"}
    assert "empty" in reasons["empty.jpg"]
    assert "not an image" in reasons["notes.jpg"]
    assert "truncated" in reasons["half.jpg"]
    assert "link" in reasons["dangling.jpg"]
    assert reasons["garbage.png"]
    assert report.added == 12
    assert library.store.count() == 12
    recorded = {os.path.basename(s.path): s.reason for s in library.store.skipped()}
    assert recorded == {name: reasons[name] for name in bad}
    assert library.stats()["skipped"] == 4

    counter.images = 0
    report = library.index()
    assert counter.images == 0
    assert [os.path.basename(p) for p, _ in report.skipped] == ["dangling.jpg"]

    # Fixing a bad file indexes it and clears its skip record; deleting one forgets it.
    make_photo(photos / "half.jpg", seed=300)
    (photos / "empty.jpg").unlink()
    report = library.index()
    assert report.added == 1
    assert library.store.photo_by_path(str(photos / "half.jpg")) is not None
    assert {os.path.basename(s.path) for s in library.store.skipped()} == {"notes.jpg", "garbage.png"}


@pytest.mark.usefixtures("photos_indexed")
def test_a_photo_that_becomes_unreadable_loses_its_stale_vector(library, photos: Path) -> None:
    path = photos / "img_07.jpg"
    path.write_bytes(b"overwritten with something that is not a picture")

    report = library.index()

    assert [p for p, _ in report.skipped] == [str(path)]
    assert library.store.photo_by_path(str(path)) is None
    assert str(path) in {s.path for s in library.store.skipped()}
    assert str(path) not in {h.photo.path for h in library.search_text("x", k=100)}


def test_heic_photos_are_indexed(library, photos: Path) -> None:
    pillow_heif.register_heif_opener()
    src = make_photo(photos / "src.png", seed=400, size=(300, 200), fmt="PNG")
    with Image.open(src) as im:
        im.save(photos / "iphone.HEIC", "HEIF")
    src.unlink()
    library.add_folder(photos)

    report = library.index()

    assert report.skipped == []
    rec = library.store.photo_by_path(str(photos / "iphone.HEIC"), with_embedding=True)
    assert rec is not None
    assert (rec.width, rec.height) == (300, 200)
    assert np.isfinite(rec.embedding).all()
    assert library.thumbs.get(rec.path, rec.mtime_ns, rec.size) is not None


def test_non_utf8_file_name_is_indexed_and_round_trips(library, photos: Path) -> None:
    raw = os.path.join(os.fsencode(photos), b"caf\xe9-\xff.jpg")  # Latin-1 bytes from an old camera
    name = os.fsdecode(raw)
    make_photo(Path(name), seed=500)
    library.add_folder(photos)

    report = library.index()

    assert report.skipped == []
    rec = library.store.photo_by_path(name)
    assert rec is not None
    assert os.fsencode(rec.path) == raw
    assert rec.path in {h.photo.path for h in library.search_text("x", k=100)}
    assert library.thumbs.get(rec.path, rec.mtime_ns, rec.size) is not None
    shutil.copy(name, photos / "copy.jpg")
    library.index()
    assert library.similar_to_file(name, k=1)[0].photo.path == str(photos / "copy.jpg")
    assert library.similar_to_file(photos / "copy.jpg", k=1)[0].photo.path == name

    renamed = os.path.join(os.fsencode(photos), b"renamed-\xfe.jpg")
    os.rename(raw, renamed)
    report = library.index()
    assert report.moved == 1
    assert library.store.get_photo(rec.id).path == os.fsdecode(renamed)


def test_indexing_never_writes_into_photo_folders(library, photos: Path) -> None:
    make_photo(photos / "rotated.jpg", seed=600, exif=_exif_orientation(6))
    (photos / "bad.jpg").write_bytes(b"nope")
    before = tree_state(photos)

    library.add_folder(photos)
    library.index()
    library.search_text("beach", k=5)
    library.similar_to_file(photos / "img_01.jpg", k=5)
    library.thumbs.ensure(str(photos / "img_01.jpg"), 1, 1)
    library.remove_folder(photos)

    assert tree_state(photos) == before


def test_progress_goes_from_scanning_through_embedding_to_done(library, photos: Path) -> None:
    library.batch_size = 5
    library.add_folder(photos)
    events: list[IndexProgress] = []

    library.index(progress=events.append)

    phases = [e.phase for e in events]
    assert phases[0] == "scanning"
    assert phases[-1] == "done"
    embedding = [e for e in events if e.phase == "embedding"]
    # The first says how much waits (before the model may have to load), per folder too.
    assert [e.done for e in embedding] == [0, 5, 10, 12]
    assert embedding[0].waiting == {str(photos): 12}
    assert {e.total for e in embedding} == {12}
    assert all(e.rate > 0 and os.path.isfile(e.current) for e in embedding[1:])
    assert embedding[-1].eta_s == 0
    assert embedding[-1].waiting == {}
    assert events[-1].done == 12


def test_cancelled_run_keeps_finished_batches_and_the_next_run_resumes(
    library, counter: CountingEmbedder, photos: Path
) -> None:
    library.batch_size = 4
    library.add_folder(photos)
    control = Control()

    def progress(p: IndexProgress) -> None:
        if p.phase == "embedding" and p.done >= 4:
            control.cancel()

    report = library.index(progress=progress, control=control)

    assert report.cancelled
    assert 4 <= library.store.count() < 12
    assert counter.images == library.store.count()  # the batch in flight was finished and kept
    assert library.store.meta["complete"] is False

    report = library.index()

    assert not report.cancelled
    assert set(_indexed(library)) == _on_disk(photos)
    assert counter.images == 12  # no photo embedded twice
    assert library.store.meta["complete"] is True


def _exif_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def test_empty_mount_point_of_an_unplugged_drive_counts_as_offline(
    library, counter: CountingEmbedder, photos: Path, tmp_path: Path
) -> None:
    mount = tmp_path / "mnt" / "photos"  # an fstab mount point stays behind, empty, when unplugged
    shutil.copytree(photos, mount)
    library.add_folder(mount)
    library.index()
    before = _indexed(library)
    counter.images = 0
    shutil.move(mount, tmp_path / "drive")
    mount.mkdir()

    report = library.index()

    assert report.offline == [str(mount)]
    assert (report.removed, _indexed(library)) == (0, before)
    assert library.search_text("x", k=100) == []

    mount.rmdir()
    shutil.move(tmp_path / "drive", mount)
    library.index()
    assert counter.images == 0
    assert len(library.search_text("x", k=100)) == 12


def test_a_good_photo_renamed_over_a_bad_file_clears_its_skip_record(
    library, counter: CountingEmbedder, photos: Path
) -> None:
    broken = photos / "download.jpg"
    broken.write_bytes(b"an interrupted download")
    library.add_folder(photos)
    library.index()
    make_photo(photos / "download (1).jpg", seed=700)  # downloaded again...
    library.index()
    counter.images = 0

    os.replace(photos / "download (1).jpg", broken)  # ...and renamed over the broken one
    report = library.index()

    assert (report.moved, counter.images) == (1, 0)
    assert library.store.photo_by_path(str(broken)) is not None
    assert library.store.skipped() == []
    assert library.stats()["skipped"] == 0


def test_the_newest_photos_are_indexed_first(library, photos: Path) -> None:
    """Cancelled after the first batch, the photos already searchable are the newest ones."""
    files = sorted(photos.rglob("*.jpg"))
    for age, path in enumerate(files):  # the last file listed is the oldest
        os.utime(path, (1_600_000_000 - age * 3600, 1_600_000_000 - age * 3600))
    library.add_folder(photos)
    library.batch_size = 3
    control = Control()

    def progress(p: IndexProgress) -> None:
        if p.phase == "embedding" and p.done >= 3:
            control.cancel()

    report = library.index(progress=progress, control=control)
    assert report.cancelled
    indexed = set(_indexed(library))
    assert {str(p) for p in files[: len(indexed)]} == indexed
    assert 3 <= len(indexed) < len(files)
