"""Typed user settings, saved as JSON in the config folder.

Unknown keys are ignored and bad values fall back to defaults, so a hand-edited or older
settings file never stops the app from starting.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inphotos.fsutil import atomic_write, private_dir

if TYPE_CHECKING:
    from inphotos.records import ClusterOptions

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
    #: View → Stack duplicates: each group of copies shows as one cell in the grid.
    stack_duplicates: bool = True
    #: Index through a Ray cluster (Settings → Indexing); searching stays on this computer.
    cluster_enabled: bool = False
    cluster_address: str = ""
    cluster_read: str = "auto"  # auto, shared or send (records.CLUSTER_READ_MODES)
    cluster_path_map: str = ""  # LOCAL=REMOTE pairs separated by ";"
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

    def cluster_options(self) -> ClusterOptions | None:
        """The cluster to index through, or None (off, no address, or a bad path map: logged)."""
        from inphotos.records import CLUSTER_READ_MODES, ClusterOptions, parse_path_map

        if not self.cluster_enabled or not self.cluster_address.strip():
            return None
        try:
            path_map = parse_path_map([p for p in self.cluster_path_map.split(";") if p.strip()])
        except ValueError as e:
            log.warning("Cluster path map ignored: %s", e)
            path_map = ()
        read = self.cluster_read if self.cluster_read in CLUSTER_READ_MODES else "auto"
        return ClusterOptions(self.cluster_address.strip(), read, path_map)

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
