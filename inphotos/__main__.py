"""`inphotos` and `python -m inphotos`: the CLI with a subcommand, the desktop app without."""

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the CLI or the GUI; returns the process exit code."""
    from inphotos import cli

    return cli.main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
