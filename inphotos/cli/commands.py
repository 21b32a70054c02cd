"""The subcommands: `index`, `search`, `similar`, `folders`, `stats` over the app's `Library`.

Each takes the parsed `Options` and returns an exit code; a refusal is raised as an
`InPhotosError` for `inphotos.cli.run` to print.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from inphotos.args import Options
from inphotos.cli.output import IndexProgressBar, print_hit_rows, print_hits, print_json
from inphotos.config import Settings
from inphotos.errors import UserError
from inphotos.paths import use_home

if TYPE_CHECKING:
    from inphotos.core.library import Library

log = logging.getLogger(__name__)


class CliError(UserError):
    """A one-line error for the user."""


def open_library(args: Options) -> Library:
    """The library under `--home` with the options given, else the saved settings."""
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


def cmd_index(args: Options) -> int:
    from inphotos.core.control import Control
    from inphotos.core.library import AlreadyInLibraryError

    with open_library(args) as lib:
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
            with IndexProgressBar() as progress:
                report = lib.index(progress=progress, control=control)
        finally:
            signal.signal(signal.SIGINT, previous)
        if args.json:
            print_json({
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


def _check_query_options(args: Options) -> None:
    # The engine reads a negative page as an empty one; say what is wrong instead.
    if args.k < 1:
        raise CliError(f"-k must be 1 or more (got {args.k})")
    if args.offset < 0:
        raise CliError(f"--offset must be 0 or more (got {args.offset})")


def answered_by_app(args: Options, request: dict[str, Any]) -> bool:
    """Let the app, when it is running on this library, answer the query (it holds the
    database); True when it did and its hits were printed."""
    from inphotos import ipc

    paths = use_home(args.home)
    model = args.model or Settings.load(paths.config_file).model
    answer = ipc.ask(paths.data, {**request, "model": model, "k": args.k, "offset": args.offset,
                                  "min_score": args.min_score})
    if answer is None or answer.get("local"):
        return False
    if not answer.get("ok"):
        raise CliError(str(answer.get("error") or "The app could not answer"))
    print_hit_rows(answer.get("hits") or [], args.json)
    return True


def cmd_search(args: Options) -> int:
    _check_query_options(args)
    if answered_by_app(args, {"op": "search", "text": " ".join(args.text)}):
        return 0
    with open_library(args) as lib:
        hits = lib.search_text(" ".join(args.text), k=args.k, offset=args.offset,
                               min_score=args.min_score)
        print_hits(hits, args.json)
    return 0


def cmd_similar(args: Options) -> int:
    _check_query_options(args)
    if not os.path.exists(args.file):
        raise CliError(f"File not found: {args.file}")
    if answered_by_app(args, {"op": "similar", "path": os.path.abspath(args.file)}):
        return 0
    with open_library(args) as lib:
        hits = lib.similar_to_file(args.file, k=args.k, offset=args.offset, min_score=args.min_score)
        print_hits(hits, args.json)
    return 0


def cmd_folders(args: Options) -> int:
    with open_library(args) as lib:
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
            print_json([{"path": f.path, "online": f.online, "photos": f.photos,
                         "last_scan_ms": f.last_scan_ms} for f in folders])
        elif args.action == "list":
            if not folders:
                print("No folders yet: inphotos folders add PATH", file=sys.stderr)
            for f in folders:
                state = "online" if f.online else "OFFLINE"
                print(f"{f.photos:>8}  {state:<8} {f.path}")
    return 0


def cmd_stats(args: Options) -> int:
    with open_library(args) as lib:
        stats = lib.stats()
        if args.json:
            print_json(stats)
        else:
            for key, value in stats.items():
                print(f"{key:>16}: {value}")
    return 0


HANDLERS: dict[str, Callable[[Options], int]] = {
    "index": cmd_index, "search": cmd_search, "similar": cmd_similar,
    "folders": cmd_folders, "stats": cmd_stats,
}
