"""What the CLI writes: results on stdout (text or JSON), progress bars on stderr.

stdout carries only results, so `--json` output stays parseable while a bar runs on stderr.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from types import TracebackType
from typing import Any, TextIO

from tqdm import tqdm

from inphotos.records import Hit, IndexProgress, SearchResult

#: How often a bar may redraw: a terminal redraws in place; a pipe or log file gets a line each
#: time, so it gets few enough lines to read.
TTY_INTERVAL_S = 0.2
PIPE_INTERVAL_S = 10.0


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


def print_result(result: SearchResult, as_json: bool, show_all: bool) -> None:
    """A search's hits on stdout (`strength  score  path`, or a JSON list); on stderr, how
    many matched and how many weaker ones `--all` would show."""
    if as_json:
        print_json([
            {"path": h.photo.path, "score": round(h.score, 6),
             "strength": round(h.strength, 3) if h.strength >= 0 else None, "match": h.match,
             "id": h.photo.id, "width": h.photo.width, "height": h.photo.height,
             "taken_ms": h.photo.taken_ms, "taken_source": h.photo.taken_source}
            for h in result.hits
        ])
    else:
        for h in result.hits:
            strength = f"{round(h.strength * 100)}%  " if h.strength >= 0 else ""
            print(f"{strength}{h.score:.4f}  {h.photo.path}")
    if not result.matched and not result.weaker:
        summary = "No matching photos."
    elif result.cutoff is None:
        summary = f"{result.matched} photos"
    else:
        summary = result.summary()
        if result.weaker and not show_all:
            summary += " (--all shows them)"
    print(summary, file=sys.stderr)


class _Lines:
    """A stream for a pipe or log file: each redraw of a bar becomes a line of its own.

    tqdm redraws with a carriage return, which a terminal turns into an overwrite but a log
    file keeps as one ever-growing line; the padding it uses to blank the old text goes too.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.encoding = getattr(stream, "encoding", None)  # tqdm draws the bar in what it can encode
        self.open_line = False  # text written since the last line end

    def write(self, text: str) -> int:
        out: list[str] = []
        for part in re.split(r"([\r\n])", text):
            if part in ("\r", "\n"):
                if self.open_line:
                    out.append("\n")
                    self.open_line = False
            elif part.strip(" "):
                out.append(part.rstrip(" "))
                self.open_line = True
        self.stream.write("".join(out))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


class IndexProgressBar:
    """The `inphotos index` progress callback: a scanning count, then an embedding bar.

    Use as a context manager so the bar is closed (and the terminal line cleared) whatever
    happens; the final report is printed after it.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        stream = stream or sys.stderr
        self.tty = stream.isatty()
        self.stream: Any = stream if self.tty else _Lines(stream)
        self.bar: tqdm | None = None
        self.phase = ""

    def __call__(self, p: IndexProgress) -> None:
        if p.phase != self.phase:
            self.close()
            self.phase = p.phase
            if p.phase == "scanning":
                # Its count lags behind (the engine reports every few thousand files), so it
                # is not left behind as if it were the final number.
                self.bar = self._bar("{desc}", total=None, leave=False)
                self.bar.set_description_str("Scanning…")
            elif p.phase == "embedding":
                self.bar = self._bar(
                    "Embedding {percentage:3.0f}%|{bar}| {n}/{total} [{elapsed}{postfix}]",
                    total=p.total, leave=not self.tty)  # a log keeps the final state
        bar = self.bar
        if bar is None:
            return
        if p.phase == "scanning" and p.done:
            bar.set_description_str(f"Scanning… {p.done} photos found", refresh=False)
        elif p.phase == "embedding":
            eta = "--:--" if p.eta_s is None else tqdm.format_interval(p.eta_s)
            postfix = f"{p.rate:.1f} img/s, ETA {eta}"
            if p.skipped:
                postfix += f", {p.skipped} skipped"
            bar.set_postfix_str(postfix, refresh=False)
        bar.update(p.done - bar.n)

    def _bar(self, fmt: str, total: int | None, leave: bool) -> tqdm:
        # On a terminal the bar is cleared when done, so the report starts on a clean line.
        return tqdm(total=total, file=self.stream, bar_format=fmt, dynamic_ncols=self.tty,
                    mininterval=TTY_INTERVAL_S if self.tty else PIPE_INTERVAL_S, leave=leave)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> IndexProgressBar:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
