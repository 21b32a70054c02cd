"""What the CLI writes: results on stdout (text or JSON), progress bars on stderr.

stdout carries only results, so `--json` output stays parseable while a bar runs on stderr.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from inphotos.records import Hit, IndexProgress


def print_json(data: Any) -> None:
    """Print JSON that stays valid UTF-8 whatever the file names.

    A path whose bytes are not UTF-8 holds lone surrogates (os.fsdecode); written as the
    JSON escape `\\udcXX` it parses back to the same string, and os.fsencode() of that gives
    the original bytes.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False)
    print(text.encode("utf-8", "backslashreplace").decode("utf-8"))


def print_hits(hits: Sequence[Hit], as_json: bool) -> None:
    """One `score  path` line per hit, or a JSON list."""
    if as_json:
        print_json([
            {"path": h.photo.path, "score": round(h.score, 6), "id": h.photo.id,
             "width": h.photo.width, "height": h.photo.height, "taken_ms": h.photo.taken_ms}
            for h in hits
        ])
        return
    if not hits:
        print("No matching photos.", file=sys.stderr)
    for h in hits:
        print(f"{h.score:.4f}  {h.photo.path}")


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


class IndexProgressBar:
    """The `inphotos index` progress callback: one line redrawn in a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, p: IndexProgress) -> None:
        now = time.monotonic()
        if p.phase != "done" and now - self.last < 0.2:
            return
        self.last = now
        if p.phase == "scanning":
            line = f"Scanning… {p.done} photos found" if p.done else "Scanning…"
        elif p.phase == "embedding":
            width = 28
            filled = int(width * p.done / p.total) if p.total else 0
            line = (f"[{'#' * filled}{'.' * (width - filled)}] {p.done}/{p.total}  "
                    f"{p.rate:.1f} img/s  ETA {_fmt_time(p.eta_s)}")
            if p.skipped:
                line += f"  {p.skipped} skipped"
        else:
            line = ""
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + line)
            if p.phase == "done":
                sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
