"""Command line: ``python -m cvm_core COMMAND FILE [options]``.

Each command is a module in cvm_core/commands/ with ``HELP``, ``add_arguments(parser)`` and
``run(args) -> dict``; the dict is printed as JSON with --json, or as readable lines otherwise.
Adding a command means adding a module: nothing here changes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys

from cvm_core import cli as commands
from cvm_core.errors import CvmError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cvm_core", description="Customer Value Management from the command line."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"cvm_core.cli.{info.name}")
        command = sub.add_parser(info.name, help=module.HELP, description=module.HELP)
        commands.add_input_arguments(command)
        module.add_arguments(command)
        command.add_argument("--json", action="store_true", help="Print the result as JSON.")
        command.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.run(args)
    except CvmError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    else:
        commands.print_readable(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
