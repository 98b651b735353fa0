"""``hrom`` entry point: dispatches to one module per sub-command and turns HromError into one
clear line on stderr with exit code 2 (no traceback)."""

from __future__ import annotations

import argparse
import importlib
import sys

from hrom import __version__
from hrom.errors import HromError

# Each name is a module hrom.cli.<name> with register(subparsers) that sets ``func`` on its parser.
COMMANDS = ("info", "train", "export", "track", "eval", "tune", "data")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hrom", description="HROM visual tracking: track, train, evaluate, export.")
    parser.add_argument("--version", action="version", version=f"hrom {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"hrom.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HromError as exc:
        print(f"hrom {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"hrom {args.command}: interrupted", file=sys.stderr)
        return 130
