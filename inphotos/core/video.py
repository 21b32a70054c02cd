"""Videos: which files are videos, and the few frames of each that the index keeps.

A video is indexed from a handful of its keyframes, never decoded whole: one sample every
STEP_S seconds, at least MIN_FRAMES (a short clip changes fast) and at most MAX_FRAMES (an
hour-long film costs as much as a 3-minute clip). Each sample seeks to the keyframe at or
before its time and decodes only that frame (the decoder skips every non-key frame), then
shrinks it at once to the size the model and the thumbnail need. A 1-minute clip thus costs
four decodes and four embeddings: a few photos' worth (docs/benchmarks.md).

How the index keeps them (db/entities.py): a video is ONE Photo row, keyed by its path like
any photo, whose vector is its first sampled frame and whose `duration_ms` is set; every
sampled frame (the first too) is a Frame row (the video's photo id, its time, its vector) in
a second HNSW index. So the scan's diff, moves (the row keeps its id, so its frames follow),
deletions (a row's frames go in the same transaction), thumbnails and the library checks
treat a video exactly as a photo, and a video can only ever be one result. A search asks
both indexes; a video scores as its best frame (db/store.py `nearest`), and the hit carries
that frame's time (core/search.py), where the preview starts playing. The alternative, a
Photo row per frame, would have put a video in the results once per frame and needed the
diff, moves and checks to learn about rows without a file of their own.

A video's date is its container's creation time (UTC, as phones write it; a photo keeps the
camera's wall clock), else its file time. PyAV (FFmpeg in a wheel) reads MP4, MOV, M4V, MKV,
WebM and AVI. Every failure is a
`DecodeError` whose reason a person can read.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from PIL import Image

from inphotos.db.store_frames import MAX_FRAMES_PER_VIDEO
from inphotos.errors import DecodeError

log = logging.getLogger(__name__)

#: One sample every this many seconds ...
STEP_S = 15.0
#: ... but at least this many (one a second for clips shorter than that) ...
MIN_FRAMES = 3
#: ... and at most this many, however long the video (an hour: one every 5 minutes).
MAX_FRAMES = MAX_FRAMES_PER_VIDEO
#: Packets read after a seek before giving up on that sample (a file whose index points
#: nowhere must not be read to its end).
MAX_PACKETS_PER_SAMPLE = 400


def sample_times(duration_s: float, max_frames: int = MAX_FRAMES) -> list[float]:
    """When to take frames of a video `duration_s` long (seconds from its start), evenly.

    3 s: 0, 1, 2; 1 minute: 0, 15, 30, 45; an hour: every 5 minutes. Unknown length: the start.
    """
    if not duration_s > 0 or not math.isfinite(duration_s):
        return [0.0]
    n = max(min(MIN_FRAMES, math.ceil(duration_s)), math.ceil(duration_s / STEP_S))
    n = max(1, min(max_frames, n))
    return [i * duration_s / n for i in range(n)]


@dataclass
class Frame:
    time_ms: int
    image: Image.Image  # upright RGB, short side at least the size asked for (when it has that)


@dataclass
class VideoFrames:
    """What `read_frames` took from a video, and what it cost (tests check the cost)."""

    frames: list[Frame] = field(default_factory=list)
    duration_ms: int = 0
    width: int = 0  # as displayed (rotation applied)
    height: int = 0
    taken_ms: int = 0  # the recording's creation time, 0 when unknown
    packets: int = 0  # packets read from the file
    decoded: int = 0  # frames decoded


def _open(path: str | os.PathLike[str]) -> Any:
    import av

    try:
        return av.open(os.fspath(path), metadata_errors="ignore")
    except (FileNotFoundError, PermissionError) as e:
        raise DecodeError.unreadable(e) from e
    except av.FFmpegError as e:
        raise DecodeError(f"damaged or unreadable video: {_reason(e)}") from e
    except OSError as e:
        raise DecodeError(f"cannot read the video: {e.strerror or e}") from e


def _reason(e: Exception) -> str:
    return str(getattr(e, "strerror", "") or e) or type(e).__name__


def _creation_ms(metadata: dict[str, str]) -> int:
    """The container's creation time (UTC, as cameras and phones write it), 0 if unknown."""
    text = metadata.get("creation_time") or metadata.get("date") or ""
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return 0
    if dt.year <= 1970:  # 1904/1970: a camera that leaves the field at zero
        return 0
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def _scaled(width: int, height: int, min_size: int) -> tuple[int, int]:
    """The size to shrink a frame to so its short side is `min_size` (never enlarged)."""
    short = min(width, height)
    if min_size <= 0 or short <= min_size:
        return width, height
    f = min_size / short
    return max(1, round(width * f)), max(1, round(height * f))


def _upright(img: Image.Image, rotation: int) -> Image.Image:
    """Turn a frame as the file's display matrix says (phones film portrait as rotated)."""
    r = rotation % 360
    if r == 0:
        return img
    # `rotation` is counterclockwise, as Pillow's rotate() is.
    return img.rotate(r, expand=True) if r in (90, 180, 270) else img


def read_frames(
    path: str | os.PathLike[str], min_size: int, times: list[float] | None = None,
    max_frames: int = MAX_FRAMES, fast: bool = False,
) -> VideoFrames:
    """The frames of a video at `times` (default: `sample_times` of its length), each the
    keyframe at or before its time; two times that fall on one keyframe give it once.
    `fast`: skip the deblocking filter (~20% of a 1080p keyframe's decode), for pictures
    shrunk to model and thumbnail size, where its blocks are a pixel or two.

    Raises:
        DecodeError: not a video PyAV can read, no video track, or no frame could be decoded.
    """
    import av

    out = VideoFrames()
    container = _open(path)
    try:
        streams = container.streams.video
        if not streams:
            raise DecodeError("no video track in the file")
        stream = streams[0]
        ctx = stream.codec_context
        ctx.skip_frame = "NONKEY"  # seek lands on keyframes: the frames between are never decoded
        if fast:
            ctx.options = {"skip_loop_filter": "all", "flags2": "fast"}
        base = stream.time_base
        if stream.duration and base:
            duration_s = float(stream.duration * base)
        elif container.duration:
            duration_s = container.duration / av.time_base
        else:
            duration_s = 0.0
        out.duration_ms = max(0, round(duration_s * 1000))
        out.taken_ms = _creation_ms(dict(container.metadata))
        start = stream.start_time or 0
        if times is None:
            times = sample_times(duration_s, max_frames)
        seen: set[int] = set()
        for i, t in enumerate(times):
            if i or t > 0:
                container.seek(start + int(t / base), stream=stream, backward=True, any_frame=False)
            frame = _next_keyframe(container, stream, out)
            if frame is None or frame.pts is None:
                continue
            time_ms = max(0, round(float((frame.pts - start) * base) * 1000))
            if time_ms in seen:
                continue
            seen.add(time_ms)
            rotation = int(getattr(frame, "rotation", 0) or 0)
            w, h = _scaled(frame.width, frame.height, min_size)
            img = _upright(frame.to_image(width=w, height=h), rotation)
            if not out.width:
                turned = rotation % 180 != 0
                out.width, out.height = (frame.height, frame.width) if turned else (frame.width, frame.height)
            out.frames.append(Frame(time_ms, img))
    except DecodeError:
        raise
    except av.FFmpegError as e:
        if not out.frames:
            raise DecodeError(f"damaged or unreadable video: {_reason(e)}") from e
        log.info("Video %s: stopped after %d frames: %s", path, len(out.frames), e)
    except MemoryError as e:
        raise DecodeError("not enough memory to decode this video") from e
    finally:
        container.close()
    if not out.frames:
        raise DecodeError("no frame of this video could be decoded")
    out.frames.sort(key=lambda f: f.time_ms)
    return out


def _next_keyframe(container: Any, stream: Any, out: VideoFrames) -> Any:
    """Decode the next keyframe; None when none comes within MAX_PACKETS_PER_SAMPLE packets.

    Only the keyframe's own packet is decoded, then the decoder is drained: a decoder holds a
    frame back until later packets arrive (reordering), which would read a whole group of
    pictures for nothing. The next seek resets it.
    """
    ctx = stream.codec_context
    for read, packet in enumerate(container.demux(stream), 1):
        out.packets += 1
        if read > MAX_PACKETS_PER_SAMPLE:
            return None
        if packet.size == 0 or not packet.is_keyframe:
            continue
        frames = [*ctx.decode(packet), *ctx.decode(None)]
        out.decoded += len(frames)
        if frames:
            return frames[0]
    return None


def open_frame(
    path: str | os.PathLike[str], min_size: int = 0, at_ms: int = 0,
) -> tuple[Image.Image, int, int, int]:
    """One frame (the keyframe at or before `at_ms`) as (image, width, height, taken_ms), the
    shape imaging.open_upright gives for a photo: thumbnails, the preview's still, find similar."""
    v = read_frames(path, min_size, times=[max(0, at_ms) / 1000.0])
    return v.frames[0].image, v.width, v.height, v.taken_ms


def video_still(path: str | os.PathLike[str], max_side: int, at_ms: int = 0) -> Image.Image:
    """The frame at `at_ms` (its keyframe), no larger than `max_side`: the preview's still."""
    img = open_frame(path, 0, at_ms)[0]
    if max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return img


@dataclass
class DecodedVideo:
    """What the indexer keeps of a video (see pipeline.decode_one)."""

    pixels: np.ndarray | None  # (frames, C, H, W) float32 for the model; None when not asked for
    frame_ms: list[int]
    duration_ms: int
    width: int
    height: int
    taken_ms: int
    thumbnail: Image.Image | None
    packets: int = 0
    decoded: int = 0


def decode_video(path: str | os.PathLike[str], spec: Any, thumb_size: int,
                 want_thumbnail: bool = True) -> DecodedVideo:
    """Sample a video for indexing: model pixels of each frame, the first as the thumbnail."""
    from inphotos.core.imaging import model_pixels

    need = max(spec.size if spec else 0, thumb_size if want_thumbnail else 0)
    v = read_frames(path, need, fast=True)
    try:
        pixels = np.stack([model_pixels(f.image, spec) for f in v.frames]) if spec else None
        thumb = None
        if want_thumbnail:
            thumb = v.frames[0].image.copy()
            thumb.thumbnail((thumb_size, thumb_size), Image.Resampling.BICUBIC, reducing_gap=2.0)
    except (OSError, ValueError) as e:
        raise DecodeError(f"damaged or unreadable video: {e}") from e
    return DecodedVideo(pixels, [f.time_ms for f in v.frames], v.duration_ms, v.width, v.height,
                        v.taken_ms, thumb, v.packets, v.decoded)

