"""Walking library folders: the images a user has, not the clutter around them."""

from __future__ import annotations

import os
from pathlib import Path

from inphotos.core.scanner import walk_images


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _walk(root: Path) -> tuple[set[str], dict[str, str]]:
    errors: dict[str, str] = {}
    found = {e.path for e in walk_images(str(root), on_error=lambda p, r: errors.__setitem__(p, r))}
    return found, errors


def test_finds_images_by_extension_in_any_case_with_size_and_mtime(tmp_path: Path) -> None:
    names = ["a.jpg", "b.JPEG", "c.png", "d.HEIC", "e.webp", "sub/deeper/f.tif", "g.gif", "h.bmp",
             "i.avif", "j.JXL", "raw.cr2", "k.NEF", "l.dng",
             "live.mov"]  # a Live Photo's video: core/pairs.py keeps it only beside its picture
    for n in names:
        _touch(tmp_path / n, b"12345")
    for n in ["notes.txt", "noext", "raw.xmp"]:
        _touch(tmp_path / n)

    entries = list(walk_images(str(tmp_path)))

    assert {e.path for e in entries} == {str(tmp_path / n) for n in names}
    for e in entries:
        st = os.stat(e.path)
        assert (e.size, e.mtime_ns) == (5, st.st_mtime_ns)


def test_hidden_and_system_entries_are_skipped(tmp_path: Path) -> None:
    keep = _touch(tmp_path / "keep.jpg")
    for n in [".hidden.jpg", "._keep.jpg", ".thumbnails/t.jpg", "@eaDir/keep.jpg/SYNOPHOTO.jpg",
              "#recycle/old.jpg", "$RECYCLE.BIN/x.jpg", ".Trash-1000/files/y.jpg", "__MACOSX/z.jpg"]:
        _touch(tmp_path / n)

    found, errors = _walk(tmp_path)

    assert found == {str(keep)}
    assert errors == {}


def test_symlinked_folders_are_followed_once_and_loops_end(tmp_path: Path) -> None:
    real = tmp_path / "real"
    _touch(real / "p.jpg", b"12345")
    lib = tmp_path / "lib"
    own = _touch(lib / "own.jpg")
    os.symlink(real, lib / "link-to-real")
    os.symlink(real, lib / "same-folder-again")  # a second way into the same folder
    os.symlink(lib, lib / "loop")  # a folder containing a link to itself
    errors: dict[str, str] = {}

    entries = list(walk_images(str(lib), on_error=lambda p, r: errors.__setitem__(p, r)))

    # A list, not a set: a photo yielded twice would be indexed twice.
    paths = [e.path for e in entries]
    assert len(paths) == 2, paths
    assert str(own) in paths
    (linked,) = (e for e in entries if e.path != str(own))
    # Through whichever link came first; the other link and the loop are not entered.
    assert linked.path in {str(lib / "link-to-real" / "p.jpg"), str(lib / "same-folder-again" / "p.jpg")}
    assert linked.size == 5
    assert errors == {}  # a loop is not an error, just not walked again


def test_broken_links_and_special_files_are_reported_not_fatal(tmp_path: Path) -> None:
    good = _touch(tmp_path / "good.jpg")
    os.symlink(tmp_path / "missing.jpg", tmp_path / "broken.jpg")
    os.mkfifo(tmp_path / "pipe.jpg")

    found, errors = _walk(tmp_path)

    assert found == {str(good)}
    assert "link" in errors[str(tmp_path / "broken.jpg")]
    assert errors[str(tmp_path / "pipe.jpg")] == "not a regular file"


def test_missing_root_is_reported(tmp_path: Path) -> None:
    found, errors = _walk(tmp_path / "nope")
    assert found == set()
    assert "cannot open folder" in errors[str(tmp_path / "nope")]


def test_walk_stops_when_asked(tmp_path: Path) -> None:
    for i in range(5):
        _touch(tmp_path / f"d{i}" / "p.jpg")
    assert list(walk_images(str(tmp_path), should_stop=lambda: True)) == []
