"""`inphotos` and `python -m inphotos`: parse once, then a subcommand, `--self-test` or the app."""

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch on the parsed command line; returns the process exit code."""
    from inphotos.args import parse_args

    args = parse_args(argv)
    if args.self_test:  # never opens a library, so the other options do not matter
        from inphotos import selftest

        return selftest.run()
    if args.command is None:
        from inphotos import app

        return app.main(args)
    from inphotos import cli

    return cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
