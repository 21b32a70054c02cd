"""The command line: `inphotos index|search|similar|folders|stats`, and the app with no subcommand.

Drives the same `Library` the desktop app uses. Results go to stdout (text or `--json`),
progress and messages to stderr; errors are one line and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

from inphotos import __version__
from inphotos.config import Settings
from inphotos.errors import UserError
from inphotos.paths import use_home

log = logging.getLogger(__name__)

COMMANDS = ("index", "search", "similar", "folders", "stats")


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--home", default=default, metavar="DIR",
                        help="keep the database, thumbnails, settings and logs under DIR "
                             "(also $INPHOTOS_HOME)")
    parser.add_argument("--model", default=default, metavar="SPEC",
                        help="ARCH:PRETRAINED, hf-hub:ORG/REPO or local-dir:PATH "
                             "(default: the one in settings, else ViT-B-32:laion2b_s34b_b79k)")
    parser.add_argument("--device", default=default, choices=["auto", "cpu", "cuda", "mps"],
                        help="where the model runs (default: auto)")
    parser.add_argument("--precision", default=default, choices=["auto", "fp32", "fp16", "bf16"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, default=default, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=default, help=argparse.SUPPRESS)
    parser.add_argument("-v", "--verbose", action="store_true",
                        default=argparse.SUPPRESS if suppress else False,
                        help="log details to stderr")


def _query_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-k", type=int, default=20, metavar="N", help="how many results (default 20)")
    p.add_argument("--offset", type=int, default=0, metavar="N", help="skip the first N results")
    p.add_argument("--min-score", type=float, default=None, metavar="S",
                   help="only results with cosine similarity >= S")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inphotos",
        description="Private, local semantic photo search. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"InPhotos {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="check that this installation works (imports, store, model, index, "
                             "search in a temporary folder) and exit")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)

    p = sub.add_parser("index", parents=[common], help="add folders and bring the index up to date")
    p.add_argument("paths", nargs="*", metavar="PATH", help="folders to add to the library first")
    p.add_argument("--json", action="store_true", help="print the final report as JSON")

    p = sub.add_parser("search", parents=[common], help="find photos matching a description")
    p.add_argument("text", nargs="+", help="what to look for, e.g. dog catching a frisbee")
    _query_options(p)

    p = sub.add_parser("similar", parents=[common], help="find photos similar to an image file")
    p.add_argument("file", help="an image: a library photo or any file")
    _query_options(p)

    p = sub.add_parser("folders", parents=[common], help="list, add or remove library folders")
    p.add_argument("action", nargs="?", choices=["list", "add", "remove"], default="list")
    p.add_argument("path", nargs="?", help="the folder to add or remove")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("stats", parents=[common], help="what is in the index")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


class CliError(UserError):
    """A one-line error for the user."""


def _library(args: argparse.Namespace) -> Any:
    from inphotos.core.library import Library

    paths = use_home(args.home).ensure()
    settings = Settings.load(paths.config_file)
    return Library(
        paths,
        model=args.model or settings.model,
        device=args.device or settings.device,
        precision=args.precision or settings.precision,
        batch_size=args.batch_size if args.batch_size is not None else settings.batch_size,
        workers=args.workers if args.workers is not None else settings.decode_workers,
    )


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


class _ProgressBar:
    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, p: Any) -> None:
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


def _print_json(data: Any) -> None:
    """Print JSON that stays valid UTF-8 whatever the file names.

    A path whose bytes are not UTF-8 holds lone surrogates (os.fsdecode); written as the
    JSON escape `\\udcXX` it parses back to the same string, and os.fsencode() of that gives
    the original bytes.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False)
    print(text.encode("utf-8", "backslashreplace").decode("utf-8"))


def _hits_out(hits: Sequence[Any], as_json: bool) -> None:
    if as_json:
        _print_json([
            {"path": h.photo.path, "score": round(h.score, 6), "id": h.photo.id,
             "width": h.photo.width, "height": h.photo.height, "taken_ms": h.photo.taken_ms}
            for h in hits
        ])
        return
    if not hits:
        print("No matching photos.", file=sys.stderr)
    for h in hits:
        print(f"{h.score:.4f}  {h.photo.path}")


def cmd_index(args: argparse.Namespace) -> int:
    from inphotos.core.control import Control
    from inphotos.core.library import AlreadyInLibraryError

    with _library(args) as lib:
        for path in args.paths:
            try:
                lib.add_folder(path)
                print(f"Added {os.path.abspath(path)}", file=sys.stderr)
            except AlreadyInLibraryError:
                pass
        if not lib.store.folders():
            raise CliError("The library has no folders yet: inphotos index PATH")
        control = Control()
        previous = signal.signal(signal.SIGINT, lambda *_: control.cancel())
        try:
            report = lib.index(progress=_ProgressBar(), control=control)
        finally:
            signal.signal(signal.SIGINT, previous)
        if args.json:
            _print_json({
                "added": report.added, "updated": report.updated, "moved": report.moved,
                "removed": report.removed, "skipped": [{"path": p, "reason": r} for p, r in report.skipped],
                "offline": report.offline, "cancelled": report.cancelled,
                "elapsed_s": round(report.elapsed_s, 3), "photos": lib.store.count(),
            })
        else:
            print(f"Indexed: {report.summary()} in {report.elapsed_s:.1f} s "
                  f"({lib.store.count()} photos in the library)")
            for p, r in report.skipped[:50]:
                print(f"  skipped {p}: {r}")
            if len(report.skipped) > 50:
                print(f"  … and {len(report.skipped) - 50} more")
            for f in report.offline:
                print(f"  offline (photos kept): {f}")
        return 130 if report.cancelled else 0


def _check_query_options(args: argparse.Namespace) -> None:
    # The engine reads a negative page as an empty one; say what is wrong instead.
    if args.k < 1:
        raise CliError(f"-k must be 1 or more (got {args.k})")
    if args.offset < 0:
        raise CliError(f"--offset must be 0 or more (got {args.offset})")


def cmd_search(args: argparse.Namespace) -> int:
    _check_query_options(args)
    with _library(args) as lib:
        hits = lib.search_text(" ".join(args.text), k=args.k, offset=args.offset,
                               min_score=args.min_score)
        _hits_out(hits, args.json)
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    _check_query_options(args)
    if not os.path.exists(args.file):
        raise CliError(f"File not found: {args.file}")
    with _library(args) as lib:
        hits = lib.similar_to_file(args.file, k=args.k, offset=args.offset, min_score=args.min_score)
        _hits_out(hits, args.json)
    return 0


def cmd_folders(args: argparse.Namespace) -> int:
    with _library(args) as lib:
        if args.action in ("add", "remove") and not args.path:
            raise CliError(f"folders {args.action} needs a PATH")
        if args.action == "add":
            rec = lib.add_folder(args.path)
            print(f"Added {rec.path}; run 'inphotos index' to index it", file=sys.stderr)
        elif args.action == "remove":
            n = lib.remove_folder(args.path)
            print(f"Removed {os.path.abspath(args.path)} from the library "
                  f"({n} photos forgotten; no file was touched)", file=sys.stderr)
        folders = lib.folders()
        if args.json:
            _print_json([{"path": f.path, "online": f.online, "photos": f.photos,
                          "last_scan_ms": f.last_scan_ms} for f in folders])
        elif args.action == "list":
            if not folders:
                print("No folders yet: inphotos folders add PATH", file=sys.stderr)
            for f in folders:
                state = "online" if f.online else "OFFLINE"
                print(f"{f.photos:>8}  {state:<8} {f.path}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with _library(args) as lib:
        stats = lib.stats()
        if args.json:
            _print_json(stats)
        else:
            for key, value in stats.items():
                print(f"{key:>16}: {value}")
    return 0


def _way_out(e: Exception) -> str:
    """The engine's `advice` in this CLI's words ("" when the message says enough)."""
    from inphotos.errors import Advice, DownloadError

    folder = (" Or copy the model folder (open_clip_config.json plus weights) to this computer "
              "and choose it with --model local-dir:PATH.")
    advice = getattr(e, "advice", Advice.NONE)
    if isinstance(e, DownloadError):
        return " Try again later." + folder
    if advice is Advice.RETRY:
        return " Try again later."
    return ""


def main(argv: Sequence[str]) -> int:
    """Run the CLI (or the app with no subcommand); returns the exit code."""
    if "--self-test" in argv:  # first: it ignores the other options and never opens a library
        from inphotos import selftest

        return selftest.run()
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if args.command is None:
        from inphotos import app

        return app.main(list(argv))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    # Text output prints a path that is not UTF-8 as its own bytes (as ls and find do), so it
    # can be piped on, instead of failing with UnicodeEncodeError on a strict stdout.
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="surrogateescape")
    from inphotos.errors import InPhotosError

    handlers = {"index": cmd_index, "search": cmd_search, "similar": cmd_similar,
                "folders": cmd_folders, "stats": cmd_stats}
    try:
        return handlers[args.command](args)
    except InPhotosError as e:
        print(f"inphotos: error: {e}{_way_out(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("inphotos: interrupted", file=sys.stderr)
        return 130
