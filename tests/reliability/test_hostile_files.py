"""A folder of every strange file a real library holds, indexed in one run.

Each file is either indexed correctly (upright, first frame, right colours) or skipped with a
reason the user can read; none stops the run. Files that change under the indexer are picked
up on the next scan.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zlib
from pathlib import Path

import numpy as np
import PIL.Image
import pillow_heif
import pytest
from PIL import Image

from inphotos.core import pipeline as indexer_module
from inphotos.core.imaging import decode
from tests.conftest import make_photo


def _png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header for a huge image, with almost no data: a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def _jpeg_claiming(src: bytes, width: int, height: int) -> bytes:
    """A real JPEG whose frame header claims another size."""
    i = src.index(b"\xff\xc0")
    return src[: i + 5] + struct.pack(">HH", height, width) + src[i + 9 :]


def _solid(color: tuple[int, int, int], size: tuple[int, int] = (120, 90)) -> Image.Image:
    return Image.new("RGB", size, color)


def _animated(path: Path, fmt: str) -> None:
    """Red first frame, then blue and green: the first frame is the photo."""
    frames = [_solid((230, 20, 20)), _solid((20, 20, 230)), _solid((20, 230, 20))]
    frames[0].save(path, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def _sideways(path: Path) -> None:
    """Stored sideways with EXIF orientation 6: a red band on the stored left is the top."""
    arr = np.full((240, 320, 3), 90, np.uint8)
    arr[:, :40] = (230, 20, 20)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(arr).save(path, "JPEG", quality=95, exif=exif.tobytes())


def _broken_exif(path: Path) -> None:
    buf = io.BytesIO()
    make_photo(path, seed=41)
    data = path.read_bytes()
    junk = b"Exif\0\0" + b"MM\0\x2a\0\0\0\x08" + b"\xff" * 40  # a TIFF header pointing at garbage
    app1 = b"\xff\xe1" + struct.pack(">H", len(junk) + 2) + junk
    buf.write(data[:2] + app1 + data[2:])
    path.write_bytes(buf.getvalue())


def _deep(root: Path, levels: int) -> Path:
    folder = root.joinpath(*[f"level{i:03d}" for i in range(levels)])
    return make_photo(folder / "deep.jpg", seed=42)


def _beyond_path_max(root: Path) -> None:
    """Folders nested deeper than a path can name (PATH_MAX), made through directory handles."""
    root.mkdir()
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(30):
            name = "x" * 200
            os.mkdir(name, dir_fd=fd)
            nxt = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        with os.fdopen(os.open("lost.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as f:
            _solid((10, 10, 10)).save(f, "JPEG")
    finally:
        os.close(fd)


def _build_zoo(root: Path) -> tuple[dict[str, str], set[str]]:
    """Returns ({name: expected skip reason}, names expected to be indexed)."""
    root.mkdir(parents=True)
    good = make_photo(root / "good.jpg", seed=1)
    data = good.read_bytes()
    skip: dict[str, str] = {}
    ok = {"good.jpg"}

    (root / "empty.jpg").write_bytes(b"")
    skip["empty.jpg"] = "empty"
    (root / "truncated.jpg").write_bytes(data[: len(data) // 3])
    skip["truncated.jpg"] = "truncated"
    (root / "text.jpg").write_bytes(b"Dear diary, this is not a photo.\n" * 20)
    skip["text.jpg"] = "not an image"
    (root / "bomb.png").write_bytes(_png_claiming(100_000, 100_000))
    skip["bomb.png"] = "too many pixels"
    (root / "bomb.jpg").write_bytes(_jpeg_claiming(data, 65_000, 65_000))
    skip["bomb.jpg"] = "too many pixels"

    Image.new("CMYK", (160, 120), (0, 255, 255, 0)).save(root / "cmyk.jpg", "JPEG")  # red in CMYK
    Image.new("L", (160, 120), 128).save(root / "grey.jpg", "JPEG")
    Image.fromarray(np.full((90, 120), 40000, np.uint16)).save(root / "sixteen.png")
    pal = Image.new("P", (120, 90), 1)
    pal.putpalette([0, 0, 0, 230, 20, 20] + [0] * 762)
    pal.info["transparency"] = 0
    pal.save(root / "palette.png", transparency=0)
    _animated(root / "animated.gif", "GIF")
    _animated(root / "animated.webp", "WEBP")
    _sideways(root / "sideways.jpg")
    _broken_exif(root / "broken-exif.jpg")
    pillow_heif.register_heif_opener()
    make_photo(root / "iphone.heic", seed=43, fmt="HEIF")
    ok |= {"cmyk.jpg", "grey.jpg", "sixteen.png", "palette.png", "animated.gif", "animated.webp",
           "sideways.jpg", "broken-exif.jpg", "iphone.heic"}

    os.symlink(root / "no-such-photo.jpg", root / "dangling.jpg")
    skip["dangling.jpg"] = "link"
    os.symlink(root / "loop-b.jpg", root / "loop-a.jpg")
    os.symlink(root / "loop-a.jpg", root / "loop-b.jpg")
    skip["loop-a.jpg"] = skip["loop-b.jpg"] = "link"
    os.symlink(root, root / "folder-loop")  # a folder link back to the library
    os.mkfifo(root / "pipe.jpg")
    skip["pipe.jpg"] = "not a regular file"
    os.symlink("/dev/null", root / "device.jpg")  # a device file
    skip["device.jpg"] = "not a regular file"

    for name in ("with spaces .jpg", "emoji 🐶🌅.jpg", "new\nline.jpg", "tab\there.JPG"):
        make_photo(root / name, seed=len(name))
        ok.add(name)
    raw = os.path.join(os.fsencode(root), b"latin1-\xe9t\xe9.jpg")
    with open(raw, "wb") as f:
        f.write(data)
    ok.add(os.fsdecode(b"latin1-\xe9t\xe9.jpg"))

    deep = _deep(root / "deep", 150)
    ok.add(os.path.relpath(deep, root))
    _beyond_path_max(root / "too-deep")
    return skip, ok


def _make_unreadable(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No read permission: chmod 000, or (as root, who reads everything) a refused open()."""
    path.chmod(0)
    if os.geteuid() != 0:
        return
    real_open = open

    def guarded_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.fspath(file) == str(path) and stat.S_IMODE(os.stat(path).st_mode) == 0:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(PIL.Image.builtins, "open", guarded_open)
    monkeypatch.setattr(indexer_module, "open", guarded_open, raising=False)


def _center(path: Path) -> tuple[int, int, int]:
    with Image.open(path) as im:
        rgb = im.convert("RGB")
        return rgb.getpixel((rgb.width // 2, rgb.height // 2))  # type: ignore[return-value]


def test_every_hostile_file_is_indexed_or_skipped_with_a_reason(
    library, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zoo = photos / "zoo"
    skip, ok = _build_zoo(zoo)
    locked = make_photo(zoo / "locked.jpg", seed=44)
    _make_unreadable(locked, monkeypatch)
    skip["locked.jpg"] = "permission"
    library.add_folder(photos)

    report = library.index()

    reasons = {os.path.relpath(p, zoo): r for p, r in report.skipped if p.startswith(str(zoo))}
    too_deep = [r for p, r in reasons.items() if p.startswith("too-deep")]
    assert too_deep, reasons
    assert "too long" in too_deep[0]  # the folder no path can name is reported, not fatal
    reasons = {p: r for p, r in reasons.items() if not p.startswith("too-deep")}
    assert set(reasons) == set(skip), reasons
    for name, expected in skip.items():
        assert expected in reasons[name].lower(), (name, reasons[name])
    rows = library.store.all_photos()
    indexed = {os.path.relpath(r.path, zoo) for r in rows if r.path.startswith(str(zoo))}
    assert indexed == ok
    assert library.store.count() == len(ok) + 12  # and the ordinary photos beside the zoo

    def thumb(name: str) -> Path:
        rec = library.store.photo_by_path(str(zoo / name))
        return library.thumbs.ensure(rec.path, rec.mtime_ns, rec.size)

    r, g, b = _center(thumb("cmyk.jpg"))
    assert r > 180 and g < 80 and b < 80  # noqa: PT018 - one colour
    assert _center(thumb("palette.png"))[0] > 180
    assert max(_center(thumb("sixteen.png"))) > 200  # 16-bit mid-grey is not drawn black
    for name in ("animated.gif", "animated.webp"):
        r, g, b = _center(thumb(name))
        assert r > 180 and b < 80, name  # noqa: PT018 - the first frame, red
    with Image.open(thumb("sideways.jpg")) as im:
        assert im.height > im.width  # upright: portrait
        top = im.convert("RGB").getpixel((im.width // 2, 2))
        assert top[0] > 180 and top[2] < 80  # noqa: PT018 - the red band is on top
    rec = library.store.photo_by_path(str(zoo / "sideways.jpg"))
    assert (rec.width, rec.height) == (240, 320)
    # Broken EXIF gives no date taken: the photo is dated by its file, and says so.
    broken = library.store.photo_by_path(str(zoo / "broken-exif.jpg"))
    assert broken.taken_source == "file"
    assert broken.taken_ms == os.stat(zoo / "broken-exif.jpg").st_mtime_ns // 1_000_000

    # Every skipped file is listed for the user, and none is retried until it changes.
    recorded = {os.path.relpath(s.path, zoo) for s in library.store.skipped()}
    assert recorded >= {"empty.jpg", "truncated.jpg", "text.jpg", "bomb.png", "bomb.jpg", "locked.jpg"}
    again = library.index()
    assert again.added == again.updated == 0


@pytest.mark.parametrize("change", ["grows", "replaced", "deleted"])
def test_a_file_changing_while_it_is_read_is_picked_up_on_the_next_scan(
    library, photos: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    target = photos / "img_05.jpg"
    real_decode = indexer_module.decode

    def decode_while_changing(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        out = real_decode(path, *args, **kwargs)
        if os.fspath(path) == str(target) and target.exists():
            if change == "grows":  # a copy still being written
                with open(target, "ab") as f:
                    f.write(b"\0" * 4096)
            elif change == "replaced":  # saved over by an editor: write then rename
                make_photo(target.with_suffix(".tmp"), seed=99, size=(200, 150))
                os.replace(target.with_suffix(".tmp"), target)
            else:
                target.unlink()
        return out

    monkeypatch.setattr(indexer_module, "decode", decode_while_changing)
    library.add_folder(photos)
    report = library.index()

    assert library.store.count() == 11  # the rest went on
    assert library.store.photo_by_path(str(target)) is None  # never a row from a half-read file
    assert [p for p, _ in report.skipped] == [str(target)]
    assert library.store.skipped() == []  # not marked bad: it is tried again
    monkeypatch.undo()

    report = library.index()
    if change == "deleted":
        assert report.skipped == []
        assert library.store.count() == 11
        return
    rec = library.store.photo_by_path(str(target), with_embedding=True)
    assert rec is not None
    assert rec.size == target.stat().st_size
    expected = library.embedder.encode_pixels(decode(target, library.embedder.pixel_spec).pixels[None])[0]
    assert float(np.dot(rec.embedding, expected)) > 0.999


def test_the_app_lists_every_skipped_file_with_its_reason(qtbot, window, photos: Path, monkeypatch) -> None:
    from inphotos.ui import library_controller

    (photos / "empty.jpg").write_bytes(b"")
    (photos / "bomb.png").write_bytes(_png_claiming(100_000, 100_000))
    os.symlink(photos / "gone.jpg", photos / "dangling.jpg")
    os.mkfifo(photos / "pipe.jpg")
    shown: list[list[tuple[str, str]]] = []

    def capture(dialog) -> int:  # type: ignore[no-untyped-def]
        t = dialog.table
        shown.append([(t.item(r, 0).text(), t.item(r, 1).text()) for r in range(t.rowCount())])
        return 0

    monkeypatch.setattr(library_controller.SkippedDialog, "exec", capture)
    with qtbot.waitSignal(window.session.index.finished, timeout=60_000):
        window.add_folder(str(photos))

    button = window.index_status.skipped_button
    assert button.isVisibleTo(window)
    assert button.text() == "4 files skipped"
    button.click()
    reasons = {os.path.basename(p): r for p, r in shown[0]}
    assert set(reasons) == {"empty.jpg", "bomb.png", "dangling.jpg", "pipe.jpg"}
    assert "empty" in reasons["empty.jpg"]
    assert "too many pixels" in reasons["bomb.png"]
    assert "link" in reasons["dangling.jpg"]
    assert "not a regular file" in reasons["pipe.jpg"]
    qtbot.waitUntil(lambda: window.photo_model.rowCount() == 12, timeout=60_000)  # the good ones
