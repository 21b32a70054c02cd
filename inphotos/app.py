"""The desktop app's entry point."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    return 2
