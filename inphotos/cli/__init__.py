"""The command line: `inphotos index|search|similar|folders|stats` over the app's `Library`.

Results go to stdout (text or `--json`), progress and messages to stderr. An `InPhotosError`
is a line `inphotos: error: ...` plus, when the engine advises a way out, a line that says it
in command-line terms; anything else is a bug and ends in a traceback. `inphotos.__main__`
parses the command line and calls `run`; this package never starts the app.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from inphotos.args import Options, parse_args
from inphotos.errors import Advice, DownloadError, InPhotosError

log = logging.getLogger(__name__)

#: The engine's `Advice`, in this command line's words.
ADVICE: dict[Advice, str] = {
    Advice.RETRY: "Check the internet connection and try again.",
    Advice.USE_MODEL_FOLDER: "Or use a model folder copied by hand: --model local-dir:PATH",
    Advice.FREE_SPACE: "Free some disk space, then run the command again.",
    Advice.UPDATE_APP: "This library was written by a newer InPhotos: update InPhotos to open it.",
    Advice.CLOSE_OTHER: "Close the InPhotos window or the other command first.",
    Advice.REPAIR: "Run 'inphotos repair' to rebuild the index from your photos "
                   "(library folders and settings are kept).",
}


def advice_lines(error: InPhotosError) -> list[str]:
    """What the user can do about `error`, one sentence a line (none for a plain refusal)."""
    lines = [ADVICE[error.advice]] if error.advice in ADVICE else []
    if isinstance(error, DownloadError):  # a model folder copied by hand needs no network
        lines.append(ADVICE[Advice.USE_MODEL_FOLDER])
    return lines


def run(args: Options) -> int:
    """Run the subcommand in `args`; returns the exit code."""
    from inphotos.cli.commands import HANDLERS

    if args.command is None:
        print("inphotos: error: no command given (see inphotos --help)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_not_printed_by_its_library)
    # Text output prints a path that is not UTF-8 as its own bytes (as ls and find do), so it
    # can be piped on, instead of failing with UnicodeEncodeError on a strict stdout.
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="surrogateescape")
    try:
        code = HANDLERS[args.command](args)
        sys.stdout.flush()  # a full disk or closed pipe says so here, not at exit
        return code
    except BrokenPipeError:
        # `inphotos search x | head -1`: the reader has what it wanted. Quietly, like `ls`.
        _silence_stdout()
        return 141
    except OSError as e:
        if e.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG):
            raise
        _silence_stdout()
        print(f"inphotos: error: cannot write the output: {e.strerror or e}", file=sys.stderr)
        return 1
    except InPhotosError as e:
        log.info("inphotos %s refused: %r", args.command, e)
        print(f"inphotos: error: {e}", file=sys.stderr)
        for line in advice_lines(e):
            print(line, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("inphotos: interrupted", file=sys.stderr)
        return 130
    except Exception:
        log.critical("inphotos %s failed with an unexpected error (a bug in InPhotos)", args.command)
        traceback.print_exc()
        return 1


def _not_printed_by_its_library(record: logging.LogRecord) -> bool:
    """huggingface_hub prints its own warnings on stderr: printing them again here showed
    each one twice."""
    return not record.name.startswith("huggingface_hub")


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at exit does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file behind stdout (a test's capture)
        pass


def main(argv: Sequence[str]) -> int:
    """Parse `argv` and run its subcommand; returns the exit code (for tests and scripts)."""
    return run(parse_args(argv))
