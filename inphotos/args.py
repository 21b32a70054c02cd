"""The command line's grammar: one parser for `inphotos` and `inphotos-gui`, parsed once.

`parse_args` turns argv into `Options`; `inphotos` dispatches on it (a subcommand, `--self-test`
or the app) and the app reads its options from the same object, so nothing parses argv twice
and no entry point scans argv strings.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

COMMANDS = ("index", "search", "similar", "folders", "stats")


class _Version(argparse.Action):
    """`--version`, looked up only when asked for (importlib.metadata costs ~0.1 s a start)."""

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


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Parse `argv` (default: this process's arguments); exits with a usage message when wrong."""
    args = sys.argv[1:] if argv is None else list(argv)
    return build_parser().parse_args(args, namespace=Options())
