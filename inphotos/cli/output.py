"""What the CLI writes: results on stdout (text or JSON), progress bars on stderr.

stdout carries only results, so `--json` output stays parseable while a bar runs on stderr.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from inphotos.ipc import hit_row

if TYPE_CHECKING:  # a query answered by the running app prints without importing numpy or tqdm
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
    print_hit_rows([hit_row(h) for h in hits], as_json)


def print_hit_rows(rows: Sequence[dict[str, Any]], as_json: bool) -> None:
    """`print_hits` for hits as `ipc.hit_row` gives them (e.g. answered by the running app)."""
    if as_json:
        print_json(list(rows))
        return
    if not rows:
        print("No matching photos.", file=sys.stderr)
    for row in rows:
        print(f"{row['score']:.4f}  {row['path']}")


def print_result(result: SearchResult | dict[str, Any], as_json: bool, show_all: bool) -> None:
    """A search's hits on stdout (`strength  score  path`, or a JSON list); on stderr, how
    many matched and how many weaker ones `--all` would show. `result` may come as the
    running app sends it (`ipc.result_rows`)."""
    from inphotos.ipc import result_rows

    data = result if isinstance(result, dict) else result_rows(result)
    rows = data["hits"]
    if as_json:
        print_json(list(rows))
    else:
        for row in rows:
            strength = f"{round(row['strength'] * 100)}%  " if row.get("strength") is not None else ""
            print(f"{strength}{row['score']:.4f}  {row['path']}")
    matched, weaker = int(data.get("matched", 0)), int(data.get("weaker", 0))
    if not matched and not weaker:
        summary = "No matching photos."
    elif data.get("cutoff") is None:
        summary = f"{matched} photos"
    else:
        summary = str(data.get("summary", ""))
        if weaker and not show_all:
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
            from tqdm import tqdm

            eta = "--:--" if p.eta_s is None else tqdm.format_interval(p.eta_s)
            postfix = f"{p.rate:.1f} img/s, ETA {eta}"
            if p.skipped:
                postfix += f", {p.skipped} skipped"
            bar.set_postfix_str(postfix, refresh=False)
        bar.update(p.done - bar.n)

    def _bar(self, fmt: str, total: int | None, leave: bool) -> tqdm:
        from tqdm import tqdm

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
