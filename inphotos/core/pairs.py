"""Files that are one photo: a camera's RAW beside the JPEG it wrote, a Live Photo's video.

Cameras set to RAW+JPEG write IMG_0001.CR2 and IMG_0001.JPG; an iPhone's Live Photo is
IMG_0001.HEIC and IMG_0001.MOV. A person took one photo, so the grid shows one item: the
picture that is fastest to read is indexed (JPEG before HEIC before anything else, a RAW
only when there is no picture), and the other files are its companions, listed with it.

Files pair up when they share a folder and a name up to the extension. Two pictures with the
same name (IMG_1.jpg, IMG_1.png) stay two photos: only RAWs and Live Photo videos become
companions. A Live Photo video without its picture is not a photo, so it is left out.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol, TypeVar

from inphotos.core.formats import RAW_EXTENSIONS
from inphotos.records import FILE_TYPES

#: The motion half of an iPhone Live Photo, found beside its picture.
LIVE_VIDEO_EXTENSIONS = frozenset({".mov"})
#: Every video type (records.FILE_TYPES): a video is never taken for the picture of a pair.
_VIDEO_EXTENSIONS = frozenset("." + e for e in FILE_TYPES["video"])
#: What is picked as the item a group shows, best first (JPEG decodes fastest).
_PREFERRED = (".jpg", ".jpeg", ".jpe", ".heic", ".heif")


class _HasPath(Protocol):
    @property
    def path(self) -> str: ...


E = TypeVar("E", bound=_HasPath)


def is_companion_name(name: str) -> bool:
    """Whether a file of this name can be another file's companion (a RAW or a Live Photo video)."""
    ext = os.path.splitext(name)[1].lower()
    return ext in RAW_EXTENSIONS or ext in LIVE_VIDEO_EXTENSIONS


def _rank(path: str) -> int:
    ext = os.path.splitext(path)[1].lower()
    if ext in RAW_EXTENSIONS:
        return len(_PREFERRED) + 1
    return _PREFERRED.index(ext) if ext in _PREFERRED else len(_PREFERRED)


def pair_up(
    entries: Iterable[E], lone_videos: bool = False
) -> tuple[list[E], dict[str, tuple[str, ...]]]:
    """The files to index, and the companions of those that have any (by path).

    Files come back in the order they were given; a companion is never among the files to
    index. A Live Photo video with no picture beside it is indexed as a video of its own
    when `lone_videos` (videos are indexed), else dropped. Other videos are never paired.
    """
    items = list(entries)
    groups: dict[tuple[str, str], list[E]] = defaultdict(list)
    for e in items:
        folder, name = os.path.split(e.path)
        groups[(folder, os.path.splitext(name)[0])].append(e)
    left_out: set[str] = set()
    companions: dict[str, tuple[str, ...]] = {}
    for members in groups.values():
        videos = [e for e in members if os.path.splitext(e.path)[1].lower() in LIVE_VIDEO_EXTENSIONS]
        photos = [e for e in members if os.path.splitext(e.path)[1].lower() not in _VIDEO_EXTENSIONS]
        if not photos:
            if not lone_videos:
                left_out.update(e.path for e in videos)
            continue
        if len(members) == 1:
            continue
        primary = min(photos, key=lambda e: (_rank(e.path), e.path))
        raws = [e for e in photos if os.path.splitext(e.path)[1].lower() in RAW_EXTENSIONS]
        joined = [e for e in raws if e is not primary] if _rank(primary.path) <= len(_PREFERRED) else []
        joined += videos
        if joined:
            companions[primary.path] = tuple(sorted(e.path for e in joined))
            left_out.update(e.path for e in joined)
    return [e for e in items if e.path not in left_out], companions
