"""The command line: `inphotos index|search|similar|folders|stats` over the app's `Library`.

Results go to stdout (text or `--json`), progress and messages to stderr; errors are one line
and a non-zero exit code. `inphotos.__main__` parses the command line and calls `run`; this
package never starts the app.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from inphotos.args import Options, parse_args
from inphotos.errors import InPhotosError

log = logging.getLogger(__name__)


def run(args: Options) -> int:
    """Run the subcommand in `args`; returns the exit code."""
    from inphotos.cli.commands import HANDLERS

    if args.command is None:
        print("inphotos: error: no command given (see inphotos --help)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    # Text output prints a path that is not UTF-8 as its own bytes (as ls and find do), so it
    # can be piped on, instead of failing with UnicodeEncodeError on a strict stdout.
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="surrogateescape")
    try:
        return HANDLERS[args.command](args)
    except InPhotosError as e:
        print(f"inphotos: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("inphotos: interrupted", file=sys.stderr)
        return 130


def main(argv: Sequence[str]) -> int:
    """Parse `argv` and run its subcommand; returns the exit code (for tests and scripts)."""
    return run(parse_args(argv))
