"""Plain records that every layer shares: what the store holds, what indexing reports, what a
search finds. No behaviour beyond formatting and nothing from the engine or Qt, so the window
may import them while the engine stays behind the workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(slots=True)
class PhotoRecord:
    """One indexed photo. `embedding` is None when it was not read."""

    path: str
    folder: str
    size: int
    mtime_ns: int
    fingerprint: str = ""
    width: int = 0
    height: int = 0
    taken_ms: int = 0
    indexed_ms: int = 0
    embedding: np.ndarray | None = None
    id: int = 0
    #: The inode change time when indexed (0: unknown, an older index or no such clock).
    ctime_ns: int = 0


@dataclass(frozen=True, slots=True)
class FolderRecord:
    path: str
    added_ms: int
    last_scan_ms: int
    online: bool
    id: int = 0


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    path: str
    folder: str
    size: int
    mtime_ns: int
    reason: str
    id: int = 0


@dataclass(frozen=True)
class FolderInfo:
    """A library folder as the folders panel and `inphotos folders` show it."""

    path: str
    online: bool
    photos: int
    last_scan_ms: int


@dataclass(frozen=True)
class Hit:
    """A photo and its cosine similarity to the query (higher is better, at most 1)."""

    photo: PhotoRecord
    score: float


@dataclass
class IndexProgress:
    """A snapshot for progress bars."""

    phase: str  # "scanning", "embedding", "done"
    done: int = 0
    total: int = 0
    rate: float = 0.0  # photos per second
    eta_s: float | None = None
    skipped: int = 0
    current: str = ""
    waiting: dict[str, int] = field(default_factory=dict)  # folder -> photos not yet indexed


@dataclass
class IndexReport:
    """What one run did."""

    added: int = 0
    updated: int = 0
    moved: int = 0
    removed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    offline: list[str] = field(default_factory=list)
    cancelled: bool = False
    elapsed_s: float = 0.0
    embedded: int = 0
    #: Photos still to index, by folder: left by a cancel (empty when the run completed).
    waiting: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.embedded / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def summary(self) -> str:
        parts = [
            f"{self.added} added",
            f"{self.updated} updated",
            f"{self.moved} moved",
            f"{self.removed} removed",
            f"{len(self.skipped)} skipped",
        ]
        text = ", ".join(parts)
        if self.offline:
            text += f"; {len(self.offline)} folder(s) offline"
        if self.cancelled:
            text += " (cancelled; the rest continues next time)"
        return text
