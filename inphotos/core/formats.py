"""Which files InPhotos indexes, by their names alone.

Kept apart from the decoders (core/imaging.py, core/raw.py, core/video.py) so that the window
can list the formats, and the folder watcher can sort out file names, without loading any of
them: this module imports nothing heavy.
"""

from __future__ import annotations

import os

RAW_EXTENSIONS = frozenset(
    {".cr2", ".cr3", ".nef", ".arw", ".raf", ".orf", ".rw2", ".dng", ".pef", ".srw"}
)
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".heif",
     ".avif", ".jxl"}
) | RAW_EXTENSIONS
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"})


def _extension(name: str | os.PathLike[str]) -> str:
    return os.path.splitext(os.fspath(name))[1].lower()


def is_raw_name(name: str | os.PathLike[str]) -> bool:
    """Whether a file name has a camera RAW extension."""
    return _extension(name) in RAW_EXTENSIONS


def is_image_name(name: str | os.PathLike[str]) -> bool:
    """Whether a file name has one of the image extensions InPhotos indexes."""
    return _extension(name) in IMAGE_EXTENSIONS


def is_video_name(name: str | os.PathLike[str]) -> bool:
    """Whether a file name has one of the video extensions InPhotos indexes."""
    return _extension(name) in VIDEO_EXTENSIONS
