"""Plain records that every layer shares: what the store holds, what indexing reports, what a
search finds. No behaviour beyond formatting and nothing from the engine or Qt, so the window
may import them while the engine stays behind the workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # vectors are numpy arrays; the window starts without loading numpy
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
    #: Where `taken_ms` comes from: "exif" (the camera's date taken) or "file" (no EXIF date:
    #: the file's modification time, so the photo still sorts where a person expects).
    taken_source: str = "exif"
    #: The other files of the same photo (its RAW beside the JPEG, a Live Photo's video): shown
    #: with it, never indexed on their own (core/pairs.py).
    companions: tuple[str, ...] = ()

    @property
    def files(self) -> tuple[str, ...]:
        """Every file of this photo: the indexed one first, then its companions."""
        return (self.path, *self.companions)

    #: A video's length (0: a photo, or a video whose length is unknown).
    duration_ms: int = 0
    #: A video's sampled frames, best found by time: written with the row when not None
    #: (replacing those stored); None leaves the stored ones as they are. Read only on demand.
    frames: list[FrameRecord] | None = None

    @property
    def is_video(self) -> bool:
        return self.extension in FILE_TYPES["video"]

    @property
    def orientation(self) -> str:
        """"landscape", "portrait", "square", or "" when the size is unknown."""
        return orientation_of(self.width, self.height)

    @property
    def extension(self) -> str:
        """The file type as a lower-case extension without the dot ("jpg", "heic")."""
        return extension_of(self.path)


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """One sampled frame of a video: its time from the start and its vector."""

    time_ms: int
    embedding: np.ndarray


def format_duration(ms: int) -> str:
    """0:07, 1:05, 1:02:03: how a video's length (or a time in it) reads."""
    s = max(0, round(ms / 1000))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


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
    """A photo and its cosine similarity to the query (higher is better, at most 1).

    `strength` is the readable form (0-1) against the query's calibration: 0.5 at the
    relevance cut-off, 1.0 twice as far above the photo's background (see core/relevance.py);
    -1 when no calibration was made (a plain ranked list).
    """

    photo: PhotoRecord
    score: float
    strength: float = -1.0
    match: bool = True
    #: For a video: the time (ms) of its frame that matched best; -1 for a photo, or none known.
    frame_ms: int = -1


ORIENTATIONS = ("landscape", "portrait", "square")
SORTS = ("relevance", "date")
#: File types a filter may name, with the extensions each covers.
FILE_TYPES: dict[str, tuple[str, ...]] = {
    "jpg": ("jpg", "jpeg", "jpe"), "png": ("png",), "heic": ("heic", "heif"),
    "webp": ("webp",), "gif": ("gif",), "bmp": ("bmp",), "tiff": ("tif", "tiff"),
    "avif": ("avif",), "jxl": ("jxl",),
    "raw": ("cr2", "cr3", "nef", "arw", "raf", "orf", "rw2", "dng", "pef", "srw"),
    "video": ("mp4", "mov", "m4v", "mkv", "webm", "avi"),
}


def orientation_of(width: int, height: int) -> str:
    if width <= 0 or height <= 0:
        return ""
    if width == height:
        return "square"
    return "landscape" if width > height else "portrait"


def extension_of(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


@dataclass(frozen=True)
class Filters:
    """What a search or browse is narrowed to; every field left empty means "any".

    Dates are ms since the epoch (local time as UTC, as EXIF dates are stored): `after_ms`
    inclusive, `before_ms` exclusive. `folder` is a library folder or any folder inside one.
    `types` are keys of FILE_TYPES ("jpg" covers .jpeg too).
    """

    after_ms: int | None = None
    before_ms: int | None = None
    folder: str = ""
    types: tuple[str, ...] = ()
    orientation: str = ""

    def __bool__(self) -> bool:
        return bool(self.after_ms is not None or self.before_ms is not None or self.folder
                    or self.types or self.orientation)

    def extensions(self) -> tuple[str, ...]:
        return tuple(e for t in self.types for e in FILE_TYPES.get(t, (t,)))

    def accepts(self, photo: PhotoRecord) -> bool:
        """The same rule the database applies, for one record (tests, brute force)."""
        if self.after_ms is not None and photo.taken_ms < self.after_ms:
            return False
        if self.before_ms is not None and photo.taken_ms >= self.before_ms:
            return False
        if self.folder and not photo.path.startswith(self.folder.rstrip("/") + "/"):
            return False
        if self.types and photo.extension not in self.extensions():
            return False
        return not self.orientation or photo.orientation == self.orientation

    def to_json(self) -> dict[str, object]:
        return {"after_ms": self.after_ms, "before_ms": self.before_ms, "folder": self.folder,
                "types": list(self.types), "orientation": self.orientation}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Filters:
        def opt_int(v: object) -> int | None:
            return int(v) if isinstance(v, int | float) else None

        types = data.get("types") or []
        return cls(opt_int(data.get("after_ms")), opt_int(data.get("before_ms")),
                   str(data.get("folder") or ""),
                   tuple(str(t) for t in types) if isinstance(types, list) else (),
                   str(data.get("orientation") or ""))


@dataclass(frozen=True)
class SearchRequest:
    """A search as a person phrases it; what a smart album saves.

    `text` uses the query language of core/query.py (words, "phrases", -negatives). With
    `photo_ids` or `image_path` it is "find similar", and `text` (if any) refines it. With
    neither and no text, it lists the filtered library by date.
    """

    text: str = ""
    photo_ids: tuple[int, ...] = ()
    image_path: str = ""
    filters: Filters = field(default_factory=Filters)
    sort: str = "relevance"  # or "date"
    include_weaker: bool = False  # everything ranked, not only what passes the cut-off
    min_score: float | None = None  # raw cosine
    category: str = ""  # an Explore category's key (core/categories.py); `text` refines it

    def to_json(self) -> dict[str, object]:
        """The saved form of a text search (a smart album); photo ids are not saved."""
        saved: dict[str, object] = {
            "text": self.text, "filters": self.filters.to_json(), "sort": self.sort,
            "include_weaker": self.include_weaker, "min_score": self.min_score}
        if self.category:
            saved["category"] = self.category
        return saved

    @classmethod
    def from_json(cls, data: dict[str, object]) -> SearchRequest:
        filters = data.get("filters")
        min_score = data.get("min_score")
        return cls(
            text=str(data.get("text") or ""),
            filters=Filters.from_json(filters) if isinstance(filters, dict) else Filters(),
            sort="date" if data.get("sort") == "date" else "relevance",
            include_weaker=bool(data.get("include_weaker")),
            min_score=float(min_score) if isinstance(min_score, int | float) else None,
            category=str(data.get("category") or ""),
        )


@dataclass(frozen=True)
class SearchResult:
    """One page of a search, and how the whole result stands.

    `matched` photos stand out above the cut-off; `weaker` ones score below it but still
    closer than the photo's background (shown only when asked for: `include_weaker`).
    `more` is True when the counts are lower bounds (the search stopped counting);
    `weaker_more` when only the weaker count is (every match was found, and the search did not
    go deeper to count what lies below them).
    `cutoff` is the raw cosine where matches end (None for a plain ranked list).
    """

    hits: list[Hit]
    matched: int
    weaker: int
    cutoff: float | None = None
    more: bool = False
    total: int = 0  # photos the search looked at (after filters)
    weaker_more: bool = False

    def summary(self) -> str:
        plus = "+" if self.more else ""
        text = f"{self.matched}{plus} match" + ("" if self.matched == 1 and not plus else "es")
        if self.weaker:
            text += f" · {self.weaker}{'+' if self.more or self.weaker_more else ''} weaker"
        return text


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
    #: Where the photos were embedded when not on this computer (a Ray cluster), in words.
    engine: str = ""

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


@dataclass(frozen=True)
class DuplicateGroup:
    """Photos that are copies of each other (core/duplicates.py), the suggested keeper first."""

    photos: list[PhotoRecord]
    exact: bool  # every photo has the same bytes
    keeper_reason: str  # why the first photo is the one to keep ("largest (4000×3000)")

    @property
    def keeper(self) -> PhotoRecord:
        return self.photos[0]


@dataclass
class TrashReport:
    """What Move to Trash did: files now in the system trash (and out of the index), and the
    ones it could not move, each with the reason (those stay where they were, still indexed)."""

    trashed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


#: How the cluster's workers get the photos: "auto" (shared when a sample is readable there),
#: "shared" (they read the same files, under `path_map`) or "send" (this computer sends them).
CLUSTER_READ_MODES = ("auto", "shared", "send")


@dataclass(frozen=True)
class ClusterOptions:
    """Index through a Ray cluster: the address (host:port, ray://host:port, or "auto" for
    $RAY_ADDRESS), how workers read the photos, and where they see this computer's folders
    (`path_map`: (local prefix, remote prefix) pairs, longest match wins)."""

    address: str
    read: str = "auto"
    path_map: tuple[tuple[str, str], ...] = ()

    def remote_path(self, path: str) -> str:
        """Where a worker finds `path` (unchanged when no mapping covers it)."""
        best: tuple[str, str] | None = None
        for local, remote in self.path_map:
            base = local.rstrip("/\\")
            inside = path == base or path.startswith((base + "/", base + "\\"))
            if inside and (best is None or len(base) > len(best[0])):
                best = (base, remote.rstrip("/\\"))
        return path if best is None else best[1] + path[len(best[0]):]


def parse_path_map(items: list[str] | tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """`LOCAL=REMOTE` texts -> pairs.

    Raises:
        ValueError: an item without `=` or with an empty side (the message says which).
    """
    pairs = []
    for item in items:
        local, sep, remote = item.partition("=")
        if not sep or not local.strip() or not remote.strip():
            raise ValueError(f"a path map is LOCAL=REMOTE (got {item!r})")
        pairs.append((local.strip(), remote.strip()))
    return tuple(pairs)
