"""The ``warrantykit`` command line.

Each sub-command lives in its own module with a ``register(subparsers)``
function. Exit codes: 0 success, 1 the input is invalid or a check failed,
2 usage errors (argparse's convention).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main"]

COMMANDS = (
    "warrantykit.cli.check",
    "warrantykit.cli.claims",
    "warrantykit.cli.fmt",
    "warrantykit.cli.properties",
    "warrantykit.cli.schema",
    "warrantykit.cli.schedule",
    "warrantykit.cli.sla",
    "warrantykit.cli.test",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warrantykit",
        description="Validate and evaluate warranty and service-level policies.",
    )
    from warrantykit import __version__

    parser.add_argument("--version", action="version", version=f"warrantykit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except BrokenPipeError:  # output piped into `head`
        sys.stderr.close()
        return 0
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
