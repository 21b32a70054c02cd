"""`--self-test`: prove that this installation can do a user's work, then exit.

Above all for the PyInstaller bundle: a module, data file or native library that the bundle
missed (open_clip's configs or BPE vocabulary, ObjectBox's ctypes library, pillow-heif's codecs,
Qt plugins, `resources/`) makes a step fail here, in `make bundle-test`, instead of on a
user's machine. Each step runs the code users run: the tiny model goes through open_clip's
`local-dir:` loading, the photos through the real indexer into a real ObjectBox store.

Everything is written into a temporary folder that is removed afterwards; the user's library is
never opened. The report goes to stdout; the exit code is 0 when every step passed.
"""

from __future__ import annotations

import importlib
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from inphotos import APP_NAME, __version__
from inphotos.paths import app_paths, resource

log = logging.getLogger(__name__)

# Imported by name, so the bundle proves each is inside it. Listing torch and open_clip here does
# not load the model early: the self-test is not the app, and it wants to fail on a missing one.
RUNTIME_MODULES = (
    "numpy", "PIL.Image", "pillow_heif", "platformdirs", "objectbox", "objectbox.c",
    "PyQt6.QtCore", "PyQt6.QtGui", "PyQt6.QtWidgets", "PyQt6.QtNetwork",
    "torch", "torchvision", "open_clip", "open_clip.tokenizer", "timm", "huggingface_hub",
    "safetensors", "ftfy", "regex", "tqdm", "onnxruntime", "onnx",
    # Formats and features beyond JPEG/PNG/HEIC: camera RAW, JPEG XL, videos (the player: the
    # qt step), the system trash, folder watching, single-threaded BLAS for categories.
    "rawpy", "pillow_jxl", "av", "send2trash", "watchdog.observers", "threadpoolctl",
    "inphotos.app", "inphotos.args", "inphotos.cli", "inphotos.cli.commands", "inphotos.core.library",
    "inphotos.ml.embedder", "inphotos.ml.text_onnx", "inphotos.ipc", "inphotos.ui.single_instance",
)
ICON = "icons/inphotos.svg"  # the window icon app.py sets


class SelfTestError(AssertionError):
    """A step did not give what it should have."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SelfTestError(message)


def _write_photo(path: Path, seed: int, fmt: str, **save: Any) -> Path:
    """A photo-like picture (gradients plus noise), different for each seed."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    h, w = 96, 128
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = rng.random(3) * 255 + xx[..., None] * (rng.random(3) * 2 - 1) * 255 / w
    img += yy[..., None] * (rng.random(3) * 2 - 1) * 255 / h + rng.normal(0, 12, (h, w, 3))
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, fmt, **save)
    return path


class _Run:
    """Runs the steps in order; the first failure ends the test."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.failed: str | None = None

    def step(self, name: str, fn: Callable[[], str]) -> None:
        if self.failed:
            return
        t0 = time.perf_counter()
        try:
            detail = fn()
        except Exception as e:  # a failure of any kind is the result of this step
            self.failed = name
            self.line("FAIL", name, time.perf_counter() - t0, f"{type(e).__name__}: {e}")
            traceback.print_exc(file=self.out)
            return
        self.line("ok", name, time.perf_counter() - t0, detail)

    def line(self, status: str, name: str, seconds: float, detail: str) -> None:
        self.out.write(f"  {status:<4} {name:<9} {seconds:6.2f} s  {detail}\n")
        self.out.flush()


def run(out: TextIO | None = None) -> int:
    """Run every step; returns 0 when all passed, else 1 (the report names the failing step)."""
    out = out or sys.stdout or open(os.devnull, "w")  # noqa: SIM115 - windowed Windows has no stdout
    t_start = time.perf_counter()
    frozen = getattr(sys, "frozen", False)
    where = f"bundle in {os.path.dirname(sys.executable)}" if frozen else f"from {sys.executable}"
    out.write(f"{APP_NAME} {__version__} self-test ({where}; Python {platform.python_version()}, "
              f"{platform.system()} {platform.machine()})\n")
    tmp = Path(tempfile.mkdtemp(prefix="inphotos-selftest-"))
    state: dict[str, Any] = {}
    r = _Run(out)
    try:
        r.step("imports", _imports)
        r.step("qt", _qt)
        r.step("data", _data)
        r.step("model", lambda: _model(tmp, state))
        r.step("photos", lambda: _photos(tmp, state))
        r.step("index", lambda: _index(tmp, state))
        r.step("search", lambda: _search(state))
        r.step("similar", lambda: _similar(tmp, state))
        r.step("reopen", lambda: _reopen(tmp, state))
    finally:
        lib = state.pop("library", None)
        if lib is not None:
            lib.close()
        shutil.rmtree(tmp, ignore_errors=True)
    total = time.perf_counter() - t_start
    if r.failed:
        out.write(f"Self-test FAILED at step '{r.failed}' after {total:.1f} s\n")
        return 1
    out.write(f"Self-test passed in {total:.1f} s\n")
    return 0


def _imports() -> str:
    m = {name: importlib.import_module(name) for name in RUNTIME_MODULES}
    heif = m["pillow_heif"].libheif_version()
    _check(bool(heif), "pillow-heif has no libheif")
    return (f"torch {m['torch'].__version__}, open_clip {m['open_clip'].__version__}, "
            f"Qt {m['PyQt6.QtCore'].qVersion()}, ObjectBox {m['objectbox'].version_core}, "
            f"libheif {heif}")


def _qt() -> str:
    """Start Qt with its platform plugin and decode the app icon through Qt's image plugins."""
    from PyQt6.QtCore import QLibraryInfo
    from PyQt6.QtGui import QIcon, QImageReader
    from PyQt6.QtWidgets import QApplication

    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    found = sorted(p.name for p in plugins.glob("*") if p.is_file()) if plugins.is_dir() else []
    wanted = {"Linux": "xcb", "Darwin": "cocoa", "Windows": "windows"}.get(platform.system())
    _check(not wanted or any(wanted in f for f in found),
           f"Qt's '{wanted}' platform plugin is missing from {plugins} (found: {found})")
    owned = QApplication.instance() is None
    if owned:
        args = ["inphotos-self-test"]
        headless = (platform.system() == "Linux" and not os.environ.get("QT_QPA_PLATFORM")
                    and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))
        if headless:  # the build machine: a desktop session uses its real plugin
            args += ["-platform", "offscreen"]
        app = QApplication(args)
    name = QApplication.platformName()
    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    _check({"jpeg", "png", "svg"} <= formats, f"Qt image formats missing: {sorted(formats)}")
    drawn = not QIcon(str(resource(ICON))).pixmap(64, 64).isNull()  # Qt's SVG icon engine
    _check(drawn, f"cannot load the app icon {resource(ICON)}")
    from inphotos.ui.video_player import multimedia  # as the preview loads it

    why_not = multimedia()[2]
    _check(not why_not, why_not)
    if owned:
        del app  # gone again, so a later QApplication (the app's, pytest-qt's) starts clean
    return f"platform {name}; {len(formats)} image formats; SVG app icon drawn; Qt Multimedia"


def _data() -> str:
    """Where this installation keeps the user's library: the same folders as the Python install."""
    paths = app_paths()
    return f"user data in {paths.data} (not opened)"


def _model(tmp: Path, state: dict[str, Any]) -> str:
    from inphotos.ml.tiny_model import make_tiny_model

    state["model"] = make_tiny_model(tmp / "model")
    return "tiny random-weight open_clip model written as local-dir:"


def _photos(tmp: Path, state: dict[str, Any]) -> str:
    from inphotos.core.imaging import register_heif

    folder = tmp / "photos"
    folder.mkdir()
    _write_photo(folder / "gradient.jpg", 1, "JPEG", quality=90)
    _write_photo(folder / "gradient.png", 2, "PNG")
    _check(register_heif(), "pillow-heif could not be registered with Pillow")
    _write_photo(folder / "gradient.heic", 3, "HEIF", quality=80)
    state["photos"] = folder
    return "JPEG, PNG and HEIC written"


def _index(tmp: Path, state: dict[str, Any]) -> str:
    from inphotos.core.library import Library

    lib = Library(app_paths(tmp / "home"), model=state["model"], workers=1)
    state["library"] = lib
    lib.add_folder(state["photos"])
    report = lib.index()
    _check(not report.skipped, f"photos skipped: {report.skipped}")
    _check(report.added == 3 and lib.store.count() == 3, f"indexed {report.summary()}")
    return f"3 photos embedded on {getattr(lib.embedder, 'device', '?')}"


def _search(state: dict[str, Any]) -> str:
    hits = state["library"].search_text("a sunset over the sea", k=10)
    _check(len(hits) == 3, f"search found {len(hits)} of 3 photos")
    _check(all(-1.0001 <= h.score <= 1.0001 for h in hits), "scores are not cosine similarities")
    return f"text query ranked {len(hits)} photos"


def _similar(tmp: Path, state: dict[str, Any]) -> str:
    lib = state["library"]
    original = state["photos"] / "gradient.heic"
    outside = tmp / "copy.heic"
    shutil.copyfile(original, outside)
    hits = lib.similar_to_file(outside, k=3)
    _check(bool(hits) and hits[0].photo.path == str(original),
           f"the copy of {original.name} did not find it first: {[h.photo.path for h in hits]}")
    _check(hits[0].score > 0.999, f"a copy scored {hits[0].score:.4f}, not ~1")
    in_library = lib.similar_to_file(original, k=3)
    _check(len(in_library) == 2, "a library photo should find the other two, not itself")
    return f"a copy finds its original (score {hits[0].score:.4f})"


def _reopen(tmp: Path, state: dict[str, Any]) -> str:
    from inphotos.core.library import Library

    state.pop("library").close()
    with Library(app_paths(tmp / "home"), model=state["model"]) as lib:
        _check(lib.store.count() == 3, f"after reopening the store holds {lib.store.count()} photos")
    return "the store reopens with its 3 photos"
