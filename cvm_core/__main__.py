"""Command line: ``python -m cvm_core COMMAND FILE [options]``.

Commands are listed in :data:`cvm_core.cli.COMMANDS`; each module has ``add_arguments(parser)``
and ``run(args) -> dict``, and the dict is printed as JSON with --json, or as readable lines
otherwise. Only the chosen command's module is imported: the others appear in ``--help`` from the
table alone, so a ``clv`` run does not pay for scikit-learn, python-pptx or lifelines.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys

from cvm_core import i18n
from cvm_core.cli import COMMANDS
from cvm_core.errors import CvmError


def chosen_command(argv: list[str]) -> str | None:
    """The first argument that names a command (options come after it), if any."""
    return next((arg for arg in argv if arg in COMMANDS), None)


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser, with the full options of ``chosen`` only (None: every command's).

    Building every command's options imports every command module; the CLI passes the one it
    is about to run, tests and documentation may ask for all.
    """
    parser = argparse.ArgumentParser(
        prog="python -m cvm_core", description="Customer Value Management from the command line."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        subparser = sub.add_parser(name, help=command.help, description=command.help)
        if chosen is None or name == chosen:
            _add_options(subparser, command.module)
    return parser


def _add_options(parser: argparse.ArgumentParser, module_name: str) -> None:
    from cvm_core.cli import inputs  # reads files: pandas and the readers, not needed for --help

    module = importlib.import_module(module_name)
    inputs.add_input_arguments(parser)
    module.add_arguments(parser)
    parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
    parser.add_argument(
        "--lang", choices=["en", "de", "zh"], default="en",
        help="Language of the deck, the workbook and the messages (numbers and dates as it "
        "writes them); the JSON keys stay English.",
    )  # fmt: skip
    parser.set_defaults(run=module.run)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = chosen_command(argv)
    args = build_parser(chosen if chosen is not None else "").parse_args(argv)
    i18n.use(args.lang)
    try:
        result = args.run(args)
    except CvmError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json_text(result))
    else:
        from cvm_core.cli.inputs import print_readable

        print_readable(result)
    return 0


def json_text(result: object) -> str:
    """``result`` as standard JSON: NaN and infinity become null (bare NaN / Infinity are not JSON,
    and strict parsers such as JavaScript's JSON.parse and jq reject the whole document)."""
    return json.dumps(
        _finite(result), indent=2, ensure_ascii=False, default=_plain, allow_nan=False
    )


def _finite(value: object) -> object:
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    if isinstance(value, float):  # numpy's float64 too
        return value if math.isfinite(value) else None
    return value


def _plain(value: object) -> object:
    """What json cannot write itself: numpy scalars and arrays as numbers and lists (NaN as
    null), anything else as text."""
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        try:
            return _finite(tolist())
        except (TypeError, ValueError):
            pass
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
