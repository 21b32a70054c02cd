"""The command line's grammar: one parser for `inphotos` and `inphotos-gui`, parsed once.

`parse_args` turns argv into `Options`; `inphotos` dispatches on it (a subcommand, `--self-test`
or the app) and the app reads its options from the same object, so nothing parses argv twice
and no entry point scans argv strings.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

#: As inphotos.records has them (a test checks); not imported from there, which would load
#: numpy before the app's window can open.
ORIENTATIONS = ("landscape", "portrait", "square")
FILE_TYPE_NAMES = ("jpg", "png", "heic", "webp", "gif", "bmp", "tiff", "avif", "jxl", "raw", "video")

COMMANDS = ("index", "search", "similar", "folders", "stats", "albums", "check", "repair",
            "duplicates", "tags")


class _Version(argparse.Action):
    """`--version`."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from inphotos import __version__

        parser.exit(message=f"InPhotos {__version__}\n")


class Options(argparse.Namespace):
    """The parsed command line. A subcommand adds its own fields (`paths`, `text`, `k`, ...).

    The fields are annotations only: argparse fills in a default only for a name the namespace
    does not have yet.
    """

    command: str | None
    self_test: bool
    home: str | None
    model: str | None
    device: str | None
    precision: str | None
    batch_size: int | None
    workers: int | None
    verbose: bool


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    # Accepted before and after the subcommand; after it, an option left out must not reset
    # what was given before it, hence SUPPRESS as the subcommand's default.
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--home", default=default, metavar="DIR",
                        help="keep the database, thumbnails, settings and logs under DIR "
                             "(also $INPHOTOS_HOME)")
    parser.add_argument("--model", default=default, metavar="SPEC", type=_model_name,
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


def _model_name(text: str) -> str:
    """A model name as given; an empty one is an error, not "the default"."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "needs a model name: ARCH:PRETRAINED, hf-hub:ORG/REPO or local-dir:PATH")
    return text


def cosine(text: str) -> float:
    """A --min-score: a cosine similarity, from -1 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if math.isnan(value) or not -1.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a cosine similarity is between -1 and 1 (got {text})")
    return value


def date_ms(text: str) -> int:
    """A date as YYYY, YYYY-MM or YYYY-MM-DD: its start, in ms (photo dates are local time
    stored as UTC, so this compares as the camera's clock reads)."""
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return int(datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp() * 1000)
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {text!r}")


def file_types(text: str) -> tuple[str, ...]:
    """A comma-separated list of file types (jpg,heic); "jpeg" means jpg, "tif" tiff."""
    from inphotos.records import FILE_TYPES

    aliases = {e: t for t, exts in FILE_TYPES.items() for e in exts}
    out = []
    for part in text.lower().replace(".", "").split(","):
        if part.strip():
            if part.strip() not in aliases:
                raise argparse.ArgumentTypeError(
                    f"unknown file type {part.strip()!r} (one of {', '.join(FILE_TYPE_NAMES)})")
            out.append(aliases[part.strip()])
    return tuple(dict.fromkeys(out))


def _filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--after", type=date_ms, metavar="DATE",
                   help="taken on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD)")
    p.add_argument("--before", type=date_ms, metavar="DATE", help="taken before DATE")
    p.add_argument("--folder", metavar="PATH", help="only photos in this folder (and inside it)")
    p.add_argument("--type", type=file_types, dest="types", metavar="TYPES", default=(),
                   help=f"only these file types, comma-separated ({','.join(FILE_TYPE_NAMES)})")
    p.add_argument("--orientation", choices=ORIENTATIONS)
    p.add_argument("--sort", choices=["relevance", "date"], default=None,
                   help="best matches first (default), or the matches newest first")
    p.add_argument("--all", action="store_true", dest="show_all",
                   help="everything ranked, the weaker matches too")
    p.add_argument("--min-score", type=cosine, default=None, metavar="S",
                   help="only results with cosine similarity >= S (-1 to 1)")


def _query_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-k", type=int, default=20, metavar="N", help="how many results (default 20)")
    p.add_argument("--offset", type=int, default=0, metavar="N", help="skip the first N results")
    _filter_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")


def build_parser() -> argparse.ArgumentParser:
    """The whole grammar: global options, `--self-test`, and the subcommands."""
    parser = argparse.ArgumentParser(
        prog="inphotos",
        description="Private, local semantic photo search. With no command, opens the app.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
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
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="decode and embed on a Ray cluster: HOST:PORT, ray://HOST:PORT, or auto "
                        "($RAY_ADDRESS); this computer still scans and writes the index "
                        "(needs pip install 'inphotos[cluster]'; default: the app's setting)")
    p.add_argument("--cluster-read", choices=["auto", "shared", "send"], default="auto",
                   help="shared: the workers read the photos themselves (same paths, or see "
                        "--path-map); send: this computer sends them; auto (default): shared "
                        "when the workers can read a sample of them")
    p.add_argument("--path-map", action="append", default=[], metavar="LOCAL=REMOTE",
                   help="the workers see the folder LOCAL as REMOTE (repeatable)")
    p.add_argument("--no-videos", dest="videos", action="store_false", default=None,
                   help="leave videos out (those indexed before are forgotten); default: the "
                        "setting, on unless turned off in Settings")

    p = sub.add_parser("search", parents=[common], help="find photos matching a description")
    p.add_argument("text", nargs="+", help="what to look for, e.g. dog catching a frisbee")
    _query_options(p)

    p = sub.add_parser("similar", parents=[common], help="find photos similar to an image file")
    p.add_argument("file", help="an image: a library photo or any file")
    p.add_argument("--text", default="", metavar="WORDS", help='refine with words, e.g. "at night"')
    _query_options(p)

    p = sub.add_parser("albums", parents=[common], help="smart albums: saved searches",
                       description="With no action, lists the albums. An album runs its search "
                                   "again each time, so new photos show up.")
    p.add_argument("action", nargs="?", choices=["list", "add", "show", "rename", "remove"],
                   default="list")
    p.add_argument("name", nargs="?", help="the album")
    p.add_argument("query", nargs="?", default="",
                   help="add: the search (quote it); rename: the new name")
    _query_options(p)

    p = sub.add_parser("folders", parents=[common], help="list, add or remove library folders")
    p.add_argument("action", nargs="?", choices=["list", "add", "remove"], default="list")
    p.add_argument("path", nargs="?", help="the folder to add or remove")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("stats", parents=[common], help="what is in the index")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("duplicates", parents=[common],
                       help="groups of copies: exact copies and near-duplicates (re-encoded, resized)")
    p.add_argument("--threshold", type=float, default=None, metavar="D",
                   help="group photos closer than this cosine distance (default 0.01; at most 0.05)")
    p.add_argument("--exact-only", action="store_true", help="only byte-for-byte copies")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("tags", parents=[common],
                       help="the everyday things a photo shows (its Explore categories)")
    p.add_argument("photo", help="a library photo, or any image file")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    sub.add_parser("check", parents=[common],
                   help="check the whole index for damage (every row and vector, the folders)")
    sub.add_parser("repair", parents=[common],
                   help="rebuild a damaged index from the photos, keeping folders and settings")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Parse `argv` (default: this process's arguments); exits with a usage message when wrong."""
    args = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    options, extras = parser.parse_known_args(args, namespace=Options())
    # A query's negative terms look like options to argparse: `search beach -people`. One
    # dash and not an option of the command: a word of the query (`--typo` stays an error).
    terms = [e for e in extras if e.startswith("-") and not e.startswith("--") and len(e) > 1]
    if extras and (len(terms) != len(extras) or options.command not in ("search", "albums")):
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    if terms and options.command == "search":
        options.text = [*options.text, *terms]
    elif terms:
        options.query = " ".join([options.query, *terms]).strip()
    return options
