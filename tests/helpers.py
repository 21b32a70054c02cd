"""Test helpers shared across the engine tests (fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pytest
from PIL import Image

from inphotos.core.protocols import Embedder
from inphotos.ml.pixels import PixelSpec

if TYPE_CHECKING:
    from inphotos.core.library import Library


class CountingEmbedder:
    """Wraps a real embedder and counts the images it embeds (to prove "no re-embedding")."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.dims = inner.dims
        self.pixel_spec: PixelSpec = inner.pixel_spec
        self.images = 0

    @property
    def name(self) -> str:
        return self.inner.name

    def encode_pixels(self, batch: np.ndarray) -> np.ndarray:
        self.images += len(batch)
        return self.inner.encode_pixels(batch)

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_text(texts)


def tree_state(root: Path) -> dict[bytes, tuple[str, int]]:
    """Every entry under `root` (as raw bytes, so odd names count too) -> (sha1, mtime_ns).

    Folders map to ("dir", mtime_ns): a file created and deleted inside one still shows.
    """
    state: dict[bytes, tuple[str, int]] = {}
    broot = os.fsencode(root)
    for dirpath, dirnames, filenames in os.walk(broot):
        for name in dirnames:
            p = os.path.join(dirpath, name)
            state[os.path.relpath(p, broot)] = ("dir", os.lstat(p).st_mtime_ns)
        for name in filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if os.path.islink(p):
                state[os.path.relpath(p, broot)] = ("link:" + os.fsdecode(os.readlink(p)), st.st_mtime_ns)
                continue
            with open(p, "rb") as f:
                digest = hashlib.sha1(f.read()).hexdigest()
            state[os.path.relpath(p, broot)] = (digest, st.st_mtime_ns)
    state[b"."] = ("dir", os.lstat(broot).st_mtime_ns)
    return state


def reap(proc: subprocess.Popen[Any]) -> None:
    """Make sure a child process is gone and its pipes closed (after a test, pass or fail)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def weights_file(model_folder: Path) -> Path:
    """The weights file in a model folder made by `inphotos.ml.tiny_model`."""
    return next(p for p in model_folder.iterdir() if p.suffix in (".safetensors", ".bin"))


def running_pool_jobs(wait_s: float = 0.0) -> dict[str, int]:
    """Jobs running on any `Runner` pool, by runner name, after waiting up to `wait_s` for none.

    Python's thread list cannot see QThreadPool workers; the runner counts its jobs instead.
    """
    from inphotos.workers.runner import running_jobs

    deadline = time.monotonic() + wait_s
    while (jobs := running_jobs()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return jobs


def check_library_consistent(lib: Library, files_on_disk: bool = True, temp_thumbnails: bool = False) -> int:
    """Assert what holds for a library at rest whatever interrupted it; returns the row count.

    No duplicate paths or ids; every row under one of the library's folders, with size, mtime,
    fingerprint and dimensions; its vector present, of the store's length, finite and of unit
    length; its file on disk (`files_on_disk=False`: a run killed after photos were deleted
    leaves their rows to the next run); a video's frames belong to its row (and no frame to
    a row that is gone), each once, with a unit vector; every thumbnail decodes, and no temporary one is left
    (`temp_thumbnails=True`: a write a kill interrupted, removed on the next start).
    """
    rows = lib.store.all_photos(with_embedding=True)
    paths = [r.path for r in rows]
    assert len(paths) == len(set(paths)), "duplicate rows"
    assert len({r.id for r in rows}) == len(rows), "duplicate ids"
    library_folders = {f.path for f in lib.store.folders()}
    for r in rows:
        assert r.folder in library_folders, r
        assert r.path.startswith(r.folder + os.sep), r
        assert min(r.size, r.mtime_ns, r.width, r.height) > 0, r
        assert r.fingerprint, r
        assert r.embedding is not None, r.path
        assert r.embedding.shape == (lib.store.dims,), r.path
        assert np.isfinite(r.embedding).all(), r.path
        assert np.linalg.norm(r.embedding) == pytest.approx(1.0, abs=1e-4), r.path
        if files_on_disk:
            assert os.path.isfile(r.path), f"a row for a file that is gone: {r.path}"
    videos = {r.id for r in rows if r.is_video}
    frames = lib.store.frames_of([r.id for r in rows])
    assert set(frames) <= videos, "frames of a row that is not a video"
    assert lib.store.frame_count() == sum(len(f) for f in frames.values()), "frames without a row"
    for photo_id, fs in frames.items():
        times = [f.time_ms for f in fs]
        assert len(times) == len(set(times)), f"a frame twice in video {photo_id}"
        for f in fs:
            assert f.embedding.shape == (lib.store.dims,)
            assert np.linalg.norm(f.embedding) == pytest.approx(1.0, abs=1e-4)
    for thumb in lib.paths.thumbnails.rglob("*"):
        if not thumb.is_file():
            continue
        if thumb.name.startswith(".tmp-"):
            assert temp_thumbnails, f"a temporary thumbnail was left behind: {thumb}"
            continue
        with Image.open(thumb) as im:
            im.load()  # a truncated file raises here
    return len(rows)


#: The ways a model folder breaks, as `damage_model` does them.
MODEL_DAMAGE = ("truncated", "garbage", "other-shapes", "no-weights", "no-config", "bad-config")


def copy_model(tiny_model: str, dest: Path) -> str:
    """A writable copy of the tiny model's folder at `dest`; returns its `local-dir:` spec."""
    shutil.copytree(tiny_model.removeprefix("local-dir:"), dest)
    return f"local-dir:{dest}"


def damage_model(folder: Path, how: str) -> None:
    """Break a model folder the way downloads and copies break (`how`: one of MODEL_DAMAGE).

    truncated: the weights cut off part way; garbage: not a checkpoint at all; other-shapes: a
    real checkpoint of another architecture; no-weights, no-config: the file is missing;
    bad-config: the config is not JSON.
    """
    config = folder / "open_clip_config.json"
    if how in ("no-config", "bad-config"):
        config.unlink() if how == "no-config" else config.write_text("{ not json")
        return
    weights = weights_file(folder)
    if how == "truncated":
        data = weights.read_bytes()
        weights.write_bytes(data[: len(data) // 3])
    elif how == "garbage":
        weights.write_bytes(b"\x00not a checkpoint" * 100)
    elif how == "other-shapes":
        from inphotos.ml.tiny_model import TINY_CONFIG, make_tiny_model

        other = folder.parent / f"{folder.name}-other-shapes"
        make_tiny_model(other, model_cfg={**TINY_CONFIG, "embed_dim": 16})
        shutil.copy(weights_file(other), weights)
        shutil.rmtree(other)
    elif how == "no-weights":
        weights.unlink()
    else:
        raise ValueError(f"unknown damage {how!r}: one of {MODEL_DAMAGE}")


def save_as_safetensors(folder: Path) -> Path:
    """Turn a tiny model folder's torch checkpoint into `open_clip_model.safetensors` (only)."""
    import torch
    from safetensors.torch import save_file

    weights = weights_file(folder)
    state = torch.load(weights, map_location="cpu", weights_only=True)
    out = folder / "open_clip_model.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(out))
    weights.unlink()
    return out


class ColourEmbedder:
    """A deterministic embedder with known semantics and CLIP's shape, for tests that need
    real rankings.

    Like CLIP's, its vectors share one strong direction (any two photos score high, in a
    narrow band) and differ by a little meaning plus a little noise. A photo's meaning is the
    colour of its left and its right half, each one of COLOURS or "grey"; its noise comes
    from its pixels (the same photo, the same vector). A text's meaning is its colour words
    ("purple" is magenta); its other words add noise of their own, so a caption without
    colour words ("a photo") means no colour.
    """

    COLOURS: ClassVar[dict[str, tuple[float, float, float]]] = {
        "red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "yellow": (1, 1, 0),
        "cyan": (0, 1, 1), "magenta": (1, 0, 1),
    }
    WORDS: ClassVar[dict[str, str]] = {"purple": "magenta", "grey": "grey", "gray": "grey"}
    NAMES: ClassVar[list[str]] = [*COLOURS, "grey"]
    dims = 16
    name = "colour-test-embedder"
    MEANING = 0.5
    NOISE = 0.04

    def __init__(self) -> None:
        self.pixel_spec = PixelSpec()

    def _vector(self, meaning: np.ndarray, noise_seed: int) -> np.ndarray:
        v = np.zeros(self.dims, np.float32)
        v[: len(self.NAMES)] = self.MEANING * meaning
        v[len(self.NAMES)] = 1.0
        rest = self.dims - len(self.NAMES) - 1
        v[-rest:] = self.NOISE * np.random.default_rng(noise_seed).normal(size=rest)
        return v / np.linalg.norm(v)

    def colour_name(self, rgb: np.ndarray) -> str:
        """The named colour nearest to `rgb` (0..1), or "grey" for a dull one."""
        if rgb.max() - rgb.min() < 0.25:
            return "grey"
        c = rgb - rgb.mean()
        best = max(self.COLOURS, key=lambda n: float(
            c @ (np.asarray(self.COLOURS[n]) - np.mean(self.COLOURS[n]))
            / np.linalg.norm(np.asarray(self.COLOURS[n]) - np.mean(self.COLOURS[n]))))
        return best

    def encode_pixels(self, batch: np.ndarray) -> np.ndarray:
        std = np.asarray(self.pixel_spec.std, np.float32)[:, None, None]
        mean = np.asarray(self.pixel_spec.mean, np.float32)[:, None, None]
        out = []
        for row in batch:
            rgb = row * std + mean
            half = rgb.shape[2] // 2
            meaning = np.zeros(len(self.NAMES), np.float32)
            for part in (rgb[:, :, :half], rgb[:, :, half:]):
                meaning[self.NAMES.index(self.colour_name(part.mean(axis=(1, 2))))] += 0.5
            out.append(self._vector(meaning, int(hashlib.sha1(row.tobytes()).hexdigest()[:8], 16)))
        return np.stack(out)

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            words = [self.WORDS.get(w, w) for w in text.lower().split()]
            meaning = np.asarray([float(words.count(n)) for n in self.NAMES], np.float32)
            others = " ".join(w for w in words if w not in self.NAMES)
            rows.append(self._vector(meaning, int(hashlib.sha1(others.encode()).hexdigest()[:8], 16)))
        return np.stack(rows)


def make_colour_photo(path: Path, rgb: tuple[int, int, int], size: tuple[int, int] = (96, 64),
                      seed: int = 0, exif_date: str = "",
                      right: tuple[int, int, int] | None = None) -> Path:
    """A photo of one colour (or two: `right` for its right half) with a little noise
    (`exif_date`: "YYYY:MM:DD HH:MM:SS")."""
    rng = np.random.default_rng(seed)
    base = np.zeros((size[1], size[0], 3), np.float32) + np.asarray(rgb, np.float32)
    if right is not None:
        base[:, size[0] // 2 :] = right
    arr = np.clip(base + rng.normal(0, 8, (size[1], size[0], 3)), 0, 255)
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(arr.astype(np.uint8))
    exif = Image.Exif()
    if exif_date:
        exif.get_ifd(0x8769)[36867] = exif_date
    img.save(path, exif=exif) if exif_date else img.save(path)
    return path


def colour_model(folder: Path) -> str:
    """A `local-dir:` spec naming ColourEmbedder's size (a config only: the factory loads it)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "open_clip_config.json").write_text('{"model_cfg": {"embed_dim": 16}}')
    return f"local-dir:{folder}"


class LooksEmbedder:
    """A deterministic embedder for duplicate tests: a photo's vector is the picture itself,
    shrunk to 8×8 colour cells with its mean taken out (a perceptual hash, in effect).

    So copies that look the same (the same file, a re-encoded or resized copy) lie very close,
    and pictures that look different lie far apart, as with CLIP but without weights to load.
    Text has no meaning here (a fixed direction per text).
    """

    dims = 8 * 8 * 3
    name = "looks-test-embedder"

    def __init__(self) -> None:
        self.pixel_spec = PixelSpec()

    def encode_pixels(self, batch: np.ndarray) -> np.ndarray:
        n, c, h, w = batch.shape
        cells = batch[:, :, : h - h % 8, : w - w % 8].reshape(n, c, 8, h // 8, 8, w // 8).mean(axis=(3, 5))
        flat = cells.reshape(n, -1).astype(np.float32)
        flat -= flat.mean(axis=1, keepdims=True)
        return flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-6)

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        seeds = [int(hashlib.sha1(t.encode()).hexdigest()[:8], 16) for t in texts]
        rows = [np.random.default_rng(s).normal(size=self.dims) for s in seeds]
        out = np.asarray(rows, np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def looks_model(folder: Path) -> str:
    """A `local-dir:` spec naming LooksEmbedder's size (a config only: the factory loads it)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {"model_cfg": {"embed_dim": LooksEmbedder.dims}}
    (folder / "open_clip_config.json").write_text(json.dumps(config))
    return f"local-dir:{folder}"


def temporary_trash(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point send2trash at a freedesktop.org trash inside `tmp_path`, never the user's own
    (its module reads XDG_DATA_HOME once, at import); returns the trash folder."""
    import send2trash
    from send2trash import plat_other

    if send2trash.send2trash is not plat_other.send2trash:
        pytest.skip("send2trash uses gio here; its trash cannot be redirected")
    data = tmp_path / "xdg-data"
    data.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", os.fsencode(data))
    monkeypatch.setattr(plat_other, "HOMETRASH_B", os.fsencode(data / "Trash"))
    monkeypatch.setattr(plat_other, "HOMETRASH", str(data / "Trash"))
    return data / "Trash"


def duplicates_folder(root: Path) -> Path:
    """Six different photos; photo 0 also has an exact copy (backup/), a re-encoded and a
    resized copy: one group of four for LooksEmbedder."""
    from tests.conftest import make_photo

    for i in range(6):
        make_photo(root / f"p{i}.jpg", seed=i, size=(640, 480), quality=92)
    (root / "backup").mkdir()
    shutil.copy2(root / "p0.jpg", root / "backup" / "p0.jpg")
    Image.open(root / "p0.jpg").save(root / "p0_reencoded.jpg", quality=60)
    Image.open(root / "p0.jpg").resize((320, 240)).save(root / "p0_small.jpg", quality=90)
    return root
class ConceptEmbedder(ColourEmbedder):
    """A deterministic embedder for categories (core/categories.py), named as such: the
    colour embedder with a few everyday words wired to colours, so photos built to match
    "dog" are red ones, "beach" yellow ones and "forest" green ones. Every other word of the
    vocabulary only adds its own noise, so no photo stands out for it. Punctuation is
    ignored ("a photo of a dog." means red).
    """

    CONCEPTS: ClassVar[dict[str, str]] = {"dog": "red", "beach": "yellow", "forest": "green"}
    name = "concept-test-embedder"

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        plain = [" ".join(self.CONCEPTS.get(w, w) for w in
                          "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in t.lower()).split())
                 for t in texts]
        return super().encode_text(plain)


def make_colour_video(path: Path, colours: Sequence[tuple[int, int, int]], seconds: float = 1.0,
                      fps: float = 4, size: tuple[int, int] = (96, 64), keyframe_s: float = 1.0) -> Path:
    """A video (by its extension: .mp4, .mkv, .webm, ...) showing each colour in turn for
    `seconds`, with a keyframe every `keyframe_s` seconds. A long one is cheap: `fps` may be
    a fraction (one frame every 10 s: Fraction(1, 10))."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    codec = {".webm": "libvpx-vp9", ".avi": "mpeg4"}.get(path.suffix.lower(), "libx264")
    rate = Fraction(fps).limit_denominator(1000)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.codec_context.gop_size = max(1, round(keyframe_s * float(rate)))
        pts = 0
        for rgb in colours:
            arr = np.zeros((size[1], size[0], 3), np.uint8) + np.asarray(rgb, np.uint8)
            for _ in range(max(1, round(seconds * float(rate)))):
                frame = av.VideoFrame.from_ndarray(arr, format="rgb24")
                frame.pts = pts
                pts += 1
                out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path
