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
from typing import TYPE_CHECKING

from inphotos.args import Options
from inphotos.cli.output import IndexProgressBar, print_json, print_result
from inphotos.config import Settings
from inphotos.errors import UserError
from inphotos.paths import use_home
from inphotos.records import Filters, SearchRequest

if TYPE_CHECKING:
    from inphotos.core.control import Control
    from inphotos.core.library import Library
    from inphotos.records import ClusterOptions, IndexReport

log = logging.getLogger(__name__)


class CliError(UserError):
    """A one-line error for the user."""


def open_library(args: Options, repair: bool = False) -> Library:
    """The library under `--home` with the options given, else the saved settings."""
    from inphotos.core.library import Library
    from inphotos.ml.models import check_spec, parse_spec

    for name in ("batch_size", "workers"):
        value = getattr(args, name, None)
        if value is not None and value < 0:
            raise CliError(f"--{name.replace('_', '-')} must be 0 (automatic) or more (got {value})")
    paths = use_home(args.home).ensure()
    settings = Settings.load(paths.config_file)
    model = args.model or settings.model
    check_spec(parse_spec(model))  # a missing model folder or unknown weights: said at once
    return (Library.repair if repair else Library)(
        paths,
        model=model,
        device=args.device or settings.device,
        precision=args.precision or settings.precision,
        batch_size=args.batch_size if args.batch_size is not None else settings.batch_size,
        workers=args.workers if args.workers is not None else settings.decode_workers,
        videos=settings.index_videos if getattr(args, "videos", None) is None else args.videos,
    )


def cluster_options(args: Options) -> ClusterOptions | None:
    """`--cluster` with its read mode and path map; else the app's setting (None: off)."""
    from inphotos.records import ClusterOptions, parse_path_map

    try:
        path_map = parse_path_map(args.path_map)
    except ValueError as e:
        raise CliError(f"--path-map: {e}") from None
    if not args.cluster:
        if path_map or args.cluster_read != "auto":
            raise CliError("--cluster-read and --path-map go with --cluster ADDRESS")
        return Settings.load(use_home(args.home).config_file).cluster_options()
    return ClusterOptions(args.cluster.strip(), args.cluster_read, path_map)


def cmd_index(args: Options) -> int:
    from inphotos.core.library import AlreadyInLibraryError

    cluster = cluster_options(args)
    with open_library(args) as lib:
        lib.cluster = cluster
        added = 0
        library_folders = {f.path for f in lib.store.folders()}
        for path in args.paths:
            if os.path.realpath(os.path.expanduser(path)) in library_folders:
                added += 1  # a library folder itself: brought up to date below
                continue
            try:
                absorbed = _covered_by(lib, path)
                lib.add_folder(path)
                added += 1
                print(f"Added {os.path.abspath(path)}{_absorbed_note(absorbed)}", file=sys.stderr)
            except AlreadyInLibraryError as e:
                print(f"{e}: nothing to add", file=sys.stderr)
        if args.paths and not added and lib.store.folders():
            # Only folders already covered were named: their photos are indexed with the
            # folder that holds them ('inphotos index' with no folder brings all up to date).
            print("Nothing new to index. Run 'inphotos index' to bring the whole library up to "
                  "date.", file=sys.stderr)
            return 0
        if not lib.store.folders():
            raise CliError("The library has no folders yet: inphotos index PATH")
        report = _index_interruptibly(lib)
        if args.json:
            print_json({
                "added": report.added, "updated": report.updated, "moved": report.moved,
                "removed": report.removed, "skipped": [{"path": p, "reason": r} for p, r in report.skipped],
                "offline": report.offline, "cancelled": report.cancelled,
                "elapsed_s": round(report.elapsed_s, 3), "photos": lib.store.count(),
                "engine": report.engine,
            })
        else:
            print(f"Indexed: {report.summary()} in {report.elapsed_s:.1f} s "
                  f"({lib.store.count()} photos in the library)")
            if report.engine:
                print(f"  embedded on the {report.engine}")
            for p, r in report.skipped[:50]:
                print(f"  skipped {p}: {r}")
            if len(report.skipped) > 50:
                print(f"  … and {len(report.skipped) - 50} more")
            for f in report.offline:
                print(f"  offline (photos kept): {f}")
        return 130 if report.cancelled else 0


def _index_interruptibly(lib: Library) -> IndexReport:
    """Index with a progress bar; the first Ctrl-C stops after the batch in flight, a second
    at once; the SIGINT handler found is put back."""
    from inphotos.core.control import Control

    control = Control()
    previous = signal.signal(signal.SIGINT, _interrupt_handler(control))
    try:
        with IndexProgressBar() as progress:
            return lib.index(progress=progress, control=control)
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupt_handler(control: Control) -> Callable[[int, object], None]:
    """Ctrl-C stops after the batch in flight (and says so); a second one stops at once.

    Stopping at once is safe: each batch is one transaction, so at most the batch in flight
    is lost and the next run goes on from there (as after `kill -9`).
    """

    def on_interrupt(signum: int, frame: object) -> None:
        if control.cancelled:
            raise KeyboardInterrupt
        control.cancel()
        print("\ninphotos: stopping after the photos in flight are saved "
              "(press Ctrl-C again to stop at once)", file=sys.stderr, flush=True)

    return on_interrupt


def _check_query_options(args: Options) -> None:
    # The engine reads a negative page as an empty one; say what is wrong instead.
    if args.k < 1:
        raise CliError(f"-k must be 1 or more (got {args.k})")
    if args.offset < 0:
        raise CliError(f"--offset must be 0 or more (got {args.offset})")
    if args.min_score is not None and not -1.0 <= args.min_score <= 1.0:  # NaN fails too
        raise CliError(f"--min-score must be a number from -1 to 1 (got {args.min_score})")


def _covered_by(lib: Library, path: str) -> list[str]:
    """Library folders inside `path`: adding `path` takes them over (their photos are kept)."""
    folder = os.path.abspath(os.path.expanduser(path))
    return sorted(f.path for f in lib.store.folders()
                  if f.path != folder and f.path.startswith(folder.rstrip(os.sep) + os.sep))


def _absorbed_note(absorbed: list[str]) -> str:
    if not absorbed:
        return ""
    return f" (it now covers {', '.join(absorbed)}, already in the library; their photos are kept)"


def _require_photos(lib: Library) -> None:
    """An empty library says what to do, once the model is known to work (a broken model is
    the first thing to fix: indexing needs it too)."""
    if lib.store.count() == 0:
        _ = lib.embedder
        raise CliError("The library has no photos yet: add a folder and index it with "
                       "'inphotos index PATH'")


def _filters(args: Options) -> Filters:
    folder = os.path.abspath(os.path.expanduser(args.folder)) if args.folder else ""
    return Filters(args.after, args.before, folder, tuple(args.types), args.orientation or "")


def _request(args: Options, text: str = "", image_path: str = "") -> SearchRequest:
    return SearchRequest(text=text, image_path=image_path, filters=_filters(args),
                         sort=args.sort or "relevance", include_weaker=args.show_all,
                         min_score=args.min_score)


def answered_by_app(args: Options, request: SearchRequest) -> bool:
    """Let the app, when it is running on this library, answer the query (it holds the
    database) with the same search the command would run; True when it did and the result
    was printed."""
    from inphotos import ipc

    paths = use_home(args.home)
    model = args.model or Settings.load(paths.config_file).model
    answer = ipc.ask(paths.data, {"op": "search", "request": request.to_json(),
                                  "image_path": request.image_path, "model": model,
                                  "k": args.k, "offset": args.offset})
    if answer is None or answer.get("local"):
        return False
    if not answer.get("ok"):
        raise CliError(str(answer.get("error") or "The app could not answer"))
    print_result(answer["result"], args.json, args.show_all)
    return True


def cmd_search(args: Options) -> int:
    _check_query_options(args)
    text = " ".join(args.text)
    if not text.strip():
        raise CliError("Type something to search for")
    if answered_by_app(args, _request(args, text=text)):
        return 0
    with open_library(args) as lib:
        _require_photos(lib)
        result = lib.search(_request(args, text=text), k=args.k, offset=args.offset)
        print_result(result, args.json, args.show_all)
    return 0


def cmd_similar(args: Options) -> int:
    _check_query_options(args)
    if not os.path.exists(args.file):
        raise CliError(f"File not found: {args.file}")
    request = _request(args, text=args.text, image_path=os.path.abspath(args.file))
    if answered_by_app(args, request):
        return 0
    with open_library(args) as lib:
        _require_photos(lib)
        print_result(lib.search(request, k=args.k, offset=args.offset), args.json, args.show_all)
    return 0


def cmd_albums(args: Options) -> int:
    """`albums [list]`, `albums add NAME QUERY [filters]`, `albums show NAME`, `rename`, `remove`."""
    from inphotos.core.albums import Albums

    albums = Albums(use_home(args.home).ensure().data)  # no model needed to list or edit
    if args.action != "list" and not args.name:
        raise CliError(f"albums {args.action} needs a NAME")
    if args.action == "add":
        request = _request(args, text=args.query)
        if not request.text.strip() and not request.filters:
            raise CliError('albums add needs a search: inphotos albums add NAME "WORDS" [filters]')
        if request.text.strip():
            from inphotos.core.query import parse_query

            if not parse_query(request.text).positive:
                raise CliError("Say what to look for, not only what to leave out")
        albums.add(args.name, request)
        print(f"Saved album {args.name!r}", file=sys.stderr)
    elif args.action == "rename":
        if not args.query:
            raise CliError("albums rename needs the OLD and the NEW name")
        albums.rename(args.name, args.query)
        print(f"Renamed {args.name!r} to {args.query!r}", file=sys.stderr)
    elif args.action == "remove":
        albums.remove(args.name)
        print(f"Removed album {args.name!r} (no photo was touched)", file=sys.stderr)
    elif args.action == "show":
        _check_query_options(args)
        saved = albums.get(args.name)
        request = SearchRequest(  # options given now win over the saved ones
            text=saved.text, filters=_merge(saved.filters, _filters(args)),
            sort=args.sort or saved.sort, include_weaker=args.show_all or saved.include_weaker,
            min_score=args.min_score if args.min_score is not None else saved.min_score,
        )
        with open_library(args) as lib:
            print_result(lib.search(request, k=args.k, offset=args.offset), args.json,
                         request.include_weaker)
        return 0
    if args.action == "list" or args.json:
        _list_albums(albums.all(), args.json)
    return 0


def _merge(saved: Filters, given: Filters) -> Filters:
    return Filters(
        given.after_ms if given.after_ms is not None else saved.after_ms,
        given.before_ms if given.before_ms is not None else saved.before_ms,
        given.folder or saved.folder, given.types or saved.types,
        given.orientation or saved.orientation,
    )


def _list_albums(albums: dict[str, SearchRequest], as_json: bool) -> None:
    if as_json:
        print_json([{"name": name, **r.to_json()} for name, r in albums.items()])
        return
    if not albums:
        print('No albums yet: inphotos albums add NAME "WORDS" [filters]', file=sys.stderr)
    for name, r in albums.items():
        print(f"{name}\t{r.text}{_describe(r)}")


def _describe(r: SearchRequest) -> str:
    from datetime import UTC, datetime

    def day(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")

    f, parts = r.filters, []
    if f.after_ms is not None:
        parts.append(f"from {day(f.after_ms)}")
    if f.before_ms is not None:
        parts.append(f"before {day(f.before_ms)}")
    if f.folder:
        parts.append(f"in {f.folder}")
    if f.types:
        parts.append(",".join(f.types))
    if f.orientation:
        parts.append(f.orientation)
    if r.sort == "date":
        parts.append("by date")
    if r.include_weaker:
        parts.append("all")
    return f" ({'; '.join(parts)})" if parts else ""


def cmd_folders(args: Options) -> int:
    with open_library(args) as lib:
        if args.action in ("add", "remove") and not args.path:
            raise CliError(f"folders {args.action} needs a PATH")
        if args.action == "add":
            absorbed = _covered_by(lib, args.path)
            rec = lib.add_folder(args.path)
            print(f"Added {rec.path}{_absorbed_note(absorbed)}; run 'inphotos index' to index it",
                  file=sys.stderr)
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


def cmd_duplicates(args: Options) -> int:
    from inphotos.core.duplicates import DEFAULT_THRESHOLD, check_threshold
    from inphotos.core.library_duplicates import group_row

    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    try:
        check_threshold(threshold)
    except ValueError as e:
        raise CliError(f"--threshold: {e}") from None
    with open_library(args) as lib:
        if lib.duplicates_pending():  # indexed before duplicates were kept: compare them now
            print("Comparing the photos indexed before duplicates were kept…", file=sys.stderr)
            _run_interruptibly(lambda control: lib.find_pending_duplicates(control))
        groups = lib.duplicate_groups(threshold, exact_only=args.exact_only)
        if args.json:
            print_json([group_row(g) for g in groups])
            return 0
        if not groups:
            print("No duplicates found." if lib.store.count() else "The library is empty.",
                  file=sys.stderr)
        for n, g in enumerate(groups, 1):
            kind = "exact copies" if g.exact else "near-duplicates"
            print(f"Group {n}: {len(g.photos)} {kind}")
            for i, p in enumerate(g.photos):
                mark = f"keep ({g.keeper_reason})" if i == 0 else ""
                print(f"  {p.width}×{p.height}  {p.size:>10}  {p.path}  {mark}".rstrip())
        if groups:
            extra = sum(len(g.photos) - 1 for g in groups)
            print(f"{len(groups)} group(s); {extra} photo(s) beside the suggested keepers.",
                  file=sys.stderr)
    return 0


def _run_interruptibly(fn: Callable[[Control], object]) -> None:
    """Run `fn(control)` with Ctrl-C cancelling it between steps (what was done is kept)."""
    from inphotos.core.control import Cancelled, Control

    control = Control()
    previous = signal.signal(signal.SIGINT, _interrupt_handler(control))
    try:
        fn(control)
    except Cancelled:
        pass
    finally:
        signal.signal(signal.SIGINT, previous)


def cmd_tags(args: Options) -> int:
    """`tags PHOTO`: the categories a photo belongs to, strongest first, with strengths."""
    if not os.path.exists(args.photo):
        raise CliError(f"File not found: {args.photo}")
    with open_library(args) as lib:
        _require_photos(lib)
        tags = lib.tags(args.photo)
        if args.json:
            print_json([{"category": t.category.key, "name": t.category.name,
                         "strength": round(t.strength, 4), "score": round(t.score, 4)}
                        for t in tags])
        elif not tags:
            print("No category stands out for this photo.")
        else:
            for t in tags:
                print(f"{t.strength:>5.0%}  {t.category.name}")
    return 0


def cmd_check(args: Options) -> int:
    with open_library(args) as lib:
        problems = lib.check()
        for line in problems[:50]:
            print(f"  {line}")
        if len(problems) > 50:
            print(f"  … and {len(problems) - 50} more")
        if problems:
            print(f"inphotos: error: the index in {lib.db_dir} is damaged ({len(problems)} "
                  "problem(s)).\nRun 'inphotos repair' to rebuild it from your photos "
                  "(library folders and settings are kept).", file=sys.stderr)
            return 1
        print(f"The index is sound: {lib.store.count()} photos in {len(lib.folders())} folder(s).")
    return 0


def cmd_repair(args: Options) -> int:

    with open_library(args, repair=True) as lib:
        print(f"Rebuilding the index of {len(lib.folders())} folder(s) from the photos; "
              "the damaged one was kept aside.", file=sys.stderr)
        report = _index_interruptibly(lib)
        print(f"Repaired: {report.summary()} ({lib.store.count()} photos in the library)")
    return 130 if report.cancelled else 0


HANDLERS: dict[str, Callable[[Options], int]] = {
    "index": cmd_index, "search": cmd_search, "similar": cmd_similar,
    "folders": cmd_folders, "stats": cmd_stats, "albums": cmd_albums, "check": cmd_check,
    "repair": cmd_repair, "duplicates": cmd_duplicates, "tags": cmd_tags,
}
