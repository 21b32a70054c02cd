"""Duplicates: exact copies and near-duplicates form groups, kept up to date while indexing.

Real files on disk (an exact copy, a re-encoded JPEG, a resized copy, a PNG conversion) are
embedded by LooksEmbedder (tests/helpers.py), a deterministic embedder whose vectors are the
pictures themselves shrunk to 8×8: copies lie within 2e-5 of each other and different
generated photos at least 0.02 apart, so the groups are known.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from inphotos.core import duplicates
from inphotos.core.library import Library
from inphotos.db.meta import write_meta
from inphotos.paths import AppPaths
from tests.conftest import make_photo
from tests.helpers import LooksEmbedder, duplicates_folder, looks_model, temporary_trash, tree_state


@pytest.fixture
def lib(home: AppPaths, tmp_path: Path) -> Iterator[Library]:
    library = Library(home, model=looks_model(tmp_path / "model"), embedder_factory=LooksEmbedder,
                      workers=1)
    yield library
    library.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return duplicates_folder(tmp_path / "photos")


def groups_of(lib: Library, **kw: object) -> list[set[str]]:
    return [{os.path.relpath(p.path, p.folder) for p in g.photos} for g in lib.duplicate_groups(**kw)]


COPIES = {"p0.jpg", "backup/p0.jpg", "p0_reencoded.jpg", "p0_small.jpg"}


def test_copies_form_one_group_and_different_photos_stay_out(lib: Library, folder: Path) -> None:
    lib.add_folder(folder)
    lib.index()
    assert groups_of(lib) == [COPIES]
    group = lib.duplicate_groups()[0]
    assert not group.exact  # re-encoded and resized copies are not the same bytes
    # The keeper: the largest picture (the resized copy never), the oldest of the equals.
    assert group.keeper.width * group.keeper.height == 640 * 480
    assert group.keeper_reason == "largest (640×480)"
    assert os.path.basename(group.photos[-1].path) == "p0_small.jpg"
    # Exact copies only: the byte-for-byte copy and its original.
    exact = lib.duplicate_groups(exact_only=True)
    assert [{os.path.relpath(p.path, p.folder) for p in g.photos} for g in exact] == [
        {"p0.jpg", "backup/p0.jpg"}]
    assert exact[0].exact
    # A threshold under the copies' distance leaves only the exact pair.
    assert groups_of(lib, threshold=0.0) == [{"p0.jpg", "backup/p0.jpg"}]
    with pytest.raises(ValueError, match="between 0 and"):
        lib.duplicate_groups(threshold=0.5)


def test_each_written_photo_asks_for_its_neighbours_once(
        lib: Library, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    nearest = lib.store.nearest
    monkeypatch.setattr(lib.store, "nearest", lambda *a, **k: calls.append(1) or nearest(*a, **k))
    lib.add_folder(folder)
    lib.index()
    assert len(calls) == 9  # one query per photo written: never all pairs
    calls.clear()
    lib.index()  # nothing changed: nothing asked
    assert calls == []


def test_groups_follow_adds_removals_moves_and_edits(lib: Library, folder: Path) -> None:
    (folder / "p0_small.jpg").unlink()
    lib.add_folder(folder)
    lib.index()
    assert groups_of(lib) == [{"p0.jpg", "backup/p0.jpg", "p0_reencoded.jpg"}]
    # Added: a copy of another photo makes a new group, without touching the first.
    shutil.copy(folder / "p3.jpg", folder / "p3 copy.jpg")
    lib.index()
    assert groups_of(lib) == [{"p0.jpg", "backup/p0.jpg", "p0_reencoded.jpg"}, {"p3.jpg", "p3 copy.jpg"}]
    # Moved: the photo keeps its row and its place in the group.
    (folder / "moved").mkdir()
    os.rename(folder / "p0_reencoded.jpg", folder / "moved" / "p0_reencoded.jpg")
    report = lib.index()
    assert report.moved == 1
    assert groups_of(lib)[0] == {"p0.jpg", "backup/p0.jpg", "moved/p0_reencoded.jpg"}
    # Edited: the copy of p3 becomes another picture and leaves its group.
    make_photo(folder / "p3 copy.jpg", seed=99, size=(640, 480))
    lib.index()
    assert groups_of(lib) == [{"p0.jpg", "backup/p0.jpg", "moved/p0_reencoded.jpg"}]
    # Removed: the group shrinks, and a group of one is no group. (A folder left empty keeps
    # its photos, as an unplugged drive would: each keeps another photo here.)
    (folder / "p0.jpg").unlink()
    lib.index()
    assert groups_of(lib) == [{"backup/p0.jpg", "moved/p0_reencoded.jpg"}]
    make_photo(folder / "moved" / "other.jpg", seed=50)
    (folder / "moved" / "p0_reencoded.jpg").unlink()
    lib.index()
    assert groups_of(lib) == []
    assert lib.store.link_count() == 0  # no pair names a photo that is gone


def test_removing_a_folder_drops_its_pairs(lib: Library, folder: Path) -> None:
    lib.add_folder(folder)
    lib.index()
    assert lib.store.link_count() > 0
    lib.remove_folder(folder)
    assert lib.store.link_count() == 0


def test_a_library_indexed_before_duplicates_gets_them_in_the_background(
        lib: Library, folder: Path) -> None:
    lib.add_folder(folder)
    lib.index()
    expected = groups_of(lib)
    # As an older InPhotos left it: no pairs, no record of the background pass.
    lib.store.replace_links([p.id for p in lib.store.all_photos()], [])
    del lib.store.meta[duplicates.BACKLOG_KEY]
    write_meta(lib.store.directory, lib.store.meta)
    assert lib.duplicate_groups() == []
    assert lib.duplicates_pending()
    lib.index()  # nothing to embed; the writer finds the pairs after the run
    assert groups_of(lib) == expected
    assert not lib.duplicates_pending()
    assert lib.store.meta[duplicates.BACKLOG_KEY] == "done"


def test_the_background_pass_resumes_after_a_cancel(lib: Library, folder: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from inphotos.core.control import Control

    lib.add_folder(folder)
    lib.index()
    expected = groups_of(lib)
    lib.store.replace_links([p.id for p in lib.store.all_photos()], [])
    del lib.store.meta[duplicates.BACKLOG_KEY]
    monkeypatch.setattr(duplicates, "BACKLOG_CHUNK", 2)
    control = Control()
    done = []
    original = duplicates.link_photos

    def link_then_cancel(store, records):  # type: ignore[no-untyped-def]
        done.append(len(records))
        original(store, records)
        control.cancel()

    monkeypatch.setattr(duplicates, "link_photos", link_then_cancel)
    lib.index(control=control)
    # The first run was cancelled after one chunk of two photos: the rest waits.
    assert done[0] == 2
    assert lib.duplicates_pending()
    monkeypatch.setattr(duplicates, "link_photos", original)
    assert lib.find_pending_duplicates() == 7
    assert groups_of(lib) == expected


def test_move_to_trash_moves_only_the_chosen_files_and_the_index_follows(
        lib: Library, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trash = temporary_trash(monkeypatch, tmp_path)
    lib.add_folder(folder)
    lib.index()
    group = lib.duplicate_groups()[0]
    chosen = group.photos[1:]
    before = tree_state(folder)
    count = lib.store.count()
    report = lib.trash_photos([p.id for p in chosen])
    assert sorted(report.trashed) == sorted(p.path for p in chosen)
    assert report.failed == []
    after = tree_state(folder)
    gone = {os.fsencode(os.path.relpath(p.path, folder)) for p in chosen}
    # Only the chosen files left the folder (their folder's own entry changed with them).
    assert set(before) - set(after) == gone
    assert {k: v for k, v in before.items() if k not in gone and v[0] != "dir"} == \
        {k: v for k, v in after.items() if v[0] != "dir"}
    # They are in the trash, whole, with the trash's record of where they came from.
    trashed = sorted(p.name for p in (trash / "files").iterdir())
    assert len(trashed) == len(chosen)
    assert len(list((trash / "info").iterdir())) == len(chosen)
    # The index followed: the photos left it, the group is gone.
    assert lib.store.count() == count - len(chosen)
    assert lib.duplicate_groups() == []


def test_a_file_that_cannot_be_trashed_is_reported_and_nothing_else_changes(
        lib: Library, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trash = temporary_trash(monkeypatch, tmp_path)
    lib.add_folder(folder)
    lib.index()
    group = lib.duplicate_groups()[0]
    victim = group.photos[1]
    os.unlink(victim.path)  # gone behind InPhotos' back
    count = lib.store.count()
    before = tree_state(folder)
    report = lib.trash_photos([victim.id])
    assert report.trashed == []
    assert report.failed == [(victim.path, "the file is no longer there")]
    assert tree_state(folder) == before
    assert lib.store.count() == count  # the next scan removes it, as any deleted file
    assert not (trash / "files").exists() or not list((trash / "files").iterdir())


def test_pairs_survive_a_reopen(home: AppPaths, tmp_path: Path, folder: Path) -> None:
    spec = looks_model(tmp_path / "model")
    with Library(home, model=spec, embedder_factory=LooksEmbedder, workers=1) as lib:
        lib.add_folder(folder)
        lib.index()
    with Library(home, model=spec, embedder_factory=LooksEmbedder, workers=1) as lib:
        assert groups_of(lib) == [COPIES]


def test_group_ids_joins_chains_and_orders_largest_first() -> None:
    from inphotos.db.store import Link

    links = [Link(1, 2, 0.001), Link(2, 3, 0.002), Link(7, 8, 0.0, True), Link(4, 5, 0.03), Link(5, 9, 0.004)]
    assert duplicates.group_ids(links, 0.01) == [[1, 2, 3], [5, 9], [7, 8]]
    assert duplicates.group_ids(links, 0.05) == [[1, 2, 3], [4, 5, 9], [7, 8]]
    assert duplicates.group_ids(links, 0.01, exact_only=True) == [[7, 8]]


def test_a_photo_and_its_pairs_are_written_together(lib: Library, folder: Path) -> None:
    """A kill between writing a batch and its pairs must not keep photos without their pairs:
    they share one transaction (a failure while finding the pairs writes neither)."""
    from inphotos.db.store import WriteBatch

    lib.add_folder(folder)
    lib.index()
    count, links = lib.store.count(), lib.store.link_count()
    copy = lib.store.photo_by_path(str(folder / "p0.jpg"), with_embedding=True)
    assert copy is not None
    copy.id, copy.path = 0, str(folder / "p0 again.jpg")

    def fail(_records):  # type: ignore[no-untyped-def]
        raise RuntimeError("killed while finding the pairs")

    with pytest.raises(RuntimeError, match="killed"):
        lib.store.write(WriteBatch(photos=[copy], pairs=fail))
    assert (lib.store.count(), lib.store.link_count()) == (count, links)
    lib.store.write(WriteBatch(photos=[copy], pairs=lambda rs: duplicates.pairs_of(lib.store, rs)))
    assert lib.store.count() == count + 1
    assert lib.store.link_count() == links + 4  # the new copy pairs with the four others


def test_group_ids_matches_a_plain_search_of_the_pairs() -> None:
    import numpy as np

    from inphotos.db.store import Link

    rng = np.random.default_rng(5)
    links = [Link(int(a), int(b), float(d)) for a, b, d in
             zip(rng.integers(1, 300, 400), rng.integers(1, 300, 400), rng.uniform(0, 0.02, 400),
                 strict=True) if a != b]
    near = {}
    for lk in links:
        if lk.distance <= 0.01:
            near.setdefault(lk.a, set()).add(lk.b)
            near.setdefault(lk.b, set()).add(lk.a)
    seen: set[int] = set()
    expected = []
    for start in sorted(near):
        if start in seen:
            continue
        part, todo = set(), [start]
        while todo:
            x = todo.pop()
            if x not in part:
                part.add(x)
                todo.extend(near[x] - part)
        seen |= part
        expected.append(sorted(part))
    expected.sort(key=lambda g: (-len(g), g[0]))
    assert duplicates.group_ids(links, 0.01) == expected
