"""The on-disk thumbnail cache, keyed by path, mtime and size.

Files are written atomically (temp file + os.replace) so a crash never leaves a truncated
thumbnail. The cache lives under the app's cache folder, never beside the photos.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
from pathlib import Path

from PIL import Image

from inphotos.core.imaging import THUMB_CHECKER, THUMB_SIZE, DecodeError, flatten, open_upright
from inphotos.fsutil import TEMP_PREFIX, atomic_write, private_dir

log = logging.getLogger(__name__)


def encode_thumbnail(image: Image.Image) -> bytes:
    """A thumbnail as the cache stores it (JPEG, quality 85)."""
    encoded = io.BytesIO()
    image.save(encoded, "JPEG", quality=85)
    return encoded.getvalue()


class ThumbnailCache:
    """JPEG thumbnails of photos, at most `THUMB_SIZE` on the long side."""

    def __init__(self, root: Path) -> None:
        self.root = root
        private_dir(self.root)

    def path_for(self, photo_path: str, mtime_ns: int, size: int) -> Path:
        key = hashlib.sha1(f"{photo_path}\0{mtime_ns}\0{size}".encode("utf-8", "surrogateescape"))
        digest = key.hexdigest()
        return self.root / digest[:2] / f"{digest}.jpg"

    def get(self, photo_path: str, mtime_ns: int, size: int) -> Path | None:
        """The cached thumbnail file, or None."""
        p = self.path_for(photo_path, mtime_ns, size)
        return p if p.exists() else None

    def put(self, photo_path: str, mtime_ns: int, size: int, image: Image.Image) -> Path:
        """Store a thumbnail atomically; returns its file."""
        # Encoded in memory, then written by Python: Pillow's own file writer ignores a short
        # write, so on a disk that fills up mid-file it left a truncated thumbnail behind.
        return self.put_encoded(photo_path, mtime_ns, size, encode_thumbnail(image))

    def put_encoded(self, photo_path: str, mtime_ns: int, size: int, data: bytes) -> Path:
        """Store a thumbnail already encoded as JPEG (made on a cluster worker); returns its file."""
        target = self.path_for(photo_path, mtime_ns, size)
        if not target.parent.is_dir():
            private_dir(target.parent)
        atomic_write(target, data, durable=False)  # a cache: no sync per photo
        return target

    def move(self, old: tuple[str, int, int], new: tuple[str, int, int]) -> None:
        """Carry a thumbnail over to a moved or renamed photo (keys are (path, mtime_ns, size))."""
        src = self.path_for(*old)
        dst = self.path_for(*new)
        if src == dst:
            return
        try:
            if not dst.parent.is_dir():
                private_dir(dst.parent)
            os.replace(src, dst)
        except FileNotFoundError:
            pass  # never made, or moved already by a run that was interrupted
        except OSError as e:
            log.info("Thumbnail not moved for %s: %s", new[0], e)

    def discard(self, key: tuple[str, int, int]) -> None:
        """Delete the thumbnail of a photo that was deleted or changed."""
        with contextlib.suppress(OSError):
            self.path_for(*key).unlink()

    def ensure(self, photo_path: str, mtime_ns: int, size: int) -> Path:
        """The thumbnail file, made from the photo on a cache miss.

        Raises:
            DecodeError: the photo cannot be read.
        """
        cached = self.get(photo_path, mtime_ns, size)
        if cached is not None:
            return cached
        rgb, _, _, _ = open_upright(photo_path, min_size=THUMB_SIZE, keep_alpha=True)
        try:
            rgb.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.BICUBIC, reducing_gap=2.0)
            return self.put(photo_path, mtime_ns, size, flatten(rgb, checker=THUMB_CHECKER))
        except OSError as e:
            raise DecodeError(f"cannot write thumbnail: {e}") from e
        finally:
            rgb.close()

    def remove_stale_temp_files(self) -> int:
        """Delete temp files left by a crash; returns how many."""
        n = 0
        for p in self.root.glob(f"*/{TEMP_PREFIX}*"):
            with contextlib.suppress(OSError):
                p.unlink()
                n += 1
        return n
