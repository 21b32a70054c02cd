"""What runs on a cluster's worker: one Ray actor that loads the model once, then decodes
and embeds the batches core/cluster.py sends it (from paths it reads itself, or from the
bytes sent), and returns vectors and JPEG thumbnails, never pixels. No Ray import here: the
run makes this class an actor."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import socket
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from inphotos.core.formats import is_raw_name, is_video_name
from inphotos.core.imaging import Decoded as ImageDecoded
from inphotos.core.imaging import check_regular_file, decode
from inphotos.core.pipeline import Decoded, decode_file, embed_decoded
from inphotos.core.thumbs import encode_thumbnail
from inphotos.errors import DecodeError
from inphotos.ml.pixels import PixelSpec

log = logging.getLogger(__name__)


def shipped_model_folder(files: dict[str, bytes]) -> Path:
    """Where a shipped model's files are kept on this worker machine: one folder per content
    (named by its hash), so every run and every worker of the machine reuses one copy instead
    of leaving a new one (a ViT-B-32 is ~600 MB) each time an actor starts."""
    digest = hashlib.blake2b(digest_size=12)
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(len(files[name]).to_bytes(8, "little"))
        digest.update(files[name])
    root = Path(tempfile.gettempdir()) / "inphotos-cluster-models"
    folder = root / digest.hexdigest()
    if not folder.is_dir():
        root.mkdir(parents=True, exist_ok=True)
        incoming = Path(tempfile.mkdtemp(prefix=".incoming-", dir=root))
        for name, data in files.items():
            (incoming / name).write_bytes(data)
        try:
            os.rename(incoming, folder)  # whole or not at all
        except OSError:  # another worker on this machine was first: use its copy
            shutil.rmtree(incoming, ignore_errors=True)
    return folder


class ClusterWorker:
    """One Ray actor: loads the model once, then decodes and embeds batches.

    Args:
        model: the model spec (a `local-dir:` one is replaced by the shipped `files`).
        decode_threads: decoding threads beside the model (a GPU worker needs several).
    """

    def __init__(self, model: str, files: dict[str, bytes] | None, precision: str,
                 want_thumbnails: bool, decode_threads: int) -> None:
        from inphotos.ml.embedder import ClipEmbedder

        if files is not None:
            model = f"local-dir:{shipped_model_folder(files)}"
        cache = Path(tempfile.gettempdir()) / "inphotos-cluster-cache"
        self.embedder = ClipEmbedder(model, device="auto", precision=precision, cache_dir=cache)
        self.want_thumbnails = want_thumbnails
        self.pool = ThreadPoolExecutor(decode_threads) if decode_threads > 1 else None

    def info(self) -> dict[str, Any]:
        from inphotos import __version__

        e = self.embedder
        return {"version": __version__, "dims": e.dims, "device": getattr(e, "device", "?"),
                "precision": getattr(e, "precision", "?"), "pid": os.getpid(),
                "host": socket.gethostname()}

    def prepare(self, count: int, batch_size: int) -> None:
        self.embedder.prepare(count, batch_size)  # the local fast path: compile when it pays

    def can_read(self, samples: list[tuple[str, int]]) -> list[bool]:
        """Whether each (path, size) is a readable file of that size here."""
        out = []
        for path, size in samples:
            try:
                out.append(check_regular_file(path).st_size == size and os.access(path, os.R_OK))
            except DecodeError:
                out.append(False)
        return out

    def embed(self, items: list[tuple[Decoded, str | bytes]]) -> list[Decoded]:
        """Decode (from a path here, or from bytes sent) and embed; pixels never travel back."""
        if self.pool is not None:
            results = list(self.pool.map(lambda it: self._decode(*it), items))
        else:
            results = [self._decode(d, source) for d, source in items]
        good = [r for r in results if not r.error and r.pixels is not None]
        embed_decoded(self.embedder.encode_pixels, good)
        for r in results:
            r.pixels = None
        return results

    def _decode(self, d: Decoded, source: str | bytes) -> Decoded:
        spec = self.embedder.pixel_spec
        if isinstance(source, str):
            out, thumb = decode_file(d.work, spec, self.want_thumbnails, path=source)
        else:
            out, thumb = d, None
            try:
                dec = self._decode_bytes(d.work.entry.path, source, spec)
                out.pixels, out.width, out.height, out.taken_ms = (
                    dec.pixels, dec.width, dec.height, dec.taken_ms)
                thumb = dec.thumbnail
            except DecodeError as e:
                out.error, out.retry_later = str(e), e.retry_later
        if thumb is not None:
            out.thumbnail = encode_thumbnail(thumb)
        return out

    def _decode_bytes(self, name: str, data: bytes, spec: PixelSpec) -> ImageDecoded:
        """A file this computer sent as bytes. LibRaw and the video decoder read files, so a
        camera RAW or a video is written to a temporary file of its own kind first; the rest
        decode from memory."""
        if not (is_raw_name(name) or is_video_name(name)):
            return decode(io.BytesIO(data), spec, want_thumbnail=self.want_thumbnails)
        with tempfile.NamedTemporaryFile(suffix=os.path.splitext(name)[1]) as tmp:
            tmp.write(data)
            tmp.flush()
            return decode(tmp.name, spec, want_thumbnail=self.want_thumbnails)
