"""Typed user settings, saved as JSON in the config folder.

Unknown keys are ignored and bad values fall back to defaults, so a hand-edited or older
settings file never stops the app from starting.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from inphotos.fsutil import atomic_write, private_dir

log = logging.getLogger(__name__)

DEFAULT_MODEL = "ViT-B-32:laion2b_s34b_b79k"


@dataclass
class Settings:
    """Everything the user can change. 0 or "auto" means: InPhotos picks."""

    model: str = DEFAULT_MODEL
    device: str = "auto"
    precision: str = "auto"
    batch_size: int = 0
    decode_workers: int = 0
    thumbnail_size: int = 160
    show_scores: bool = False
    #: Index videos too (a few frames each, core/video.py); off: they are left out and forgotten.
    index_videos: bool = True

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read settings from `path`; missing file or bad values give defaults."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as e:
            log.warning("Settings file %s unreadable (%s); using defaults", path, e)
            return cls()
        settings = cls()
        if not isinstance(raw, dict):
            return settings
        for f in fields(cls):
            if f.name not in raw:
                continue
            value = raw[f.name]
            default = getattr(settings, f.name)
            if type(value) is type(default) and _in_range(f.name, value):
                setattr(settings, f.name, value)
            else:
                log.warning("Setting %s=%r ignored (expected %s)", f.name, value, type(default).__name__)
        return settings

    def save(self, path: Path) -> None:
        """Write atomically, so a crash never leaves half a settings file."""
        private_dir(path.parent)
        data: dict[str, Any] = asdict(self)
        atomic_write(path, json.dumps(data, indent=2).encode("utf-8"))


#: Allowed ranges of the numeric settings (0 means "InPhotos picks" for the sizes).
RANGES: dict[str, tuple[int, int]] = {
    "batch_size": (0, 4096),
    "decode_workers": (0, 256),
    "thumbnail_size": (32, 1024),
}


def _in_range(name: str, value: object) -> bool:
    if name not in RANGES or not isinstance(value, int):
        return True
    low, high = RANGES[name]
    return low <= value <= high
