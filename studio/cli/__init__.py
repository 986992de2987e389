"""The `kinora` command: the headless face of Kinora's services.

Each command group lives in its own module under `studio.cli` and exposes
`register(subparsers, common)`. Handlers import heavy libraries (torch, diffusers, Qt)
inside themselves, so `kinora --help` and `kinora --version` stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from studio import __version__
from studio.errors import KinoraError, os_error_message

# Modules that add sub-commands; each has `register(subparsers, common)`.
COMMAND_MODULES: tuple[str, ...] = (
    "studio.cli.library_cmds",
    "studio.cli.project_cmds",
    "studio.cli.generate_cmd",
    "studio.cli.queue_cmds",
    "studio.cli.models_cmd",
    "studio.cli.export_cmd",
    "studio.cli.credentials_cmd",
    "studio.cli.feed_cmd",
    "studio.cli.serve_cmd",
    "studio.cli.cameo_cmd",
)

log = logging.getLogger("kinora")

EXIT_BAD_INPUT = 2  # a KinoraError or an unreadable file: one line on stderr names the file and the problem


def _common_options() -> argparse.ArgumentParser:
    """Options every sub-command accepts too (default SUPPRESS keeps the top-level value)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--library", metavar="PATH", default=argparse.SUPPRESS,
                        help="library folder (default: $KINORA_LIBRARY or the user data folder)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="machine-readable output")
    return common


def _top_parser() -> argparse.ArgumentParser:
    """`kinora` and its global options, without the commands."""
    parser = argparse.ArgumentParser(
        prog="kinora",
        description="Kinora Studio: generate video with sound on your own GPU, edit it, export it with Content Credentials.",
        epilog="With no command, the studio window opens.",
    )
    parser.add_argument("--version", action="version", version=f"kinora {__version__}")
    parser.add_argument("--library", metavar="PATH", default=None,
                        help="library folder (default: $KINORA_LIBRARY or the user data folder)")
    parser.add_argument("--json", action="store_true", default=False, help="machine-readable output")
    parser.add_argument("--verbose", "-v", action="store_true", help="log details (and tracebacks) to stderr")
    return parser


def _window_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The global options when `argv` opens the window (no command, no help), else None. Registering every
    command imports their modules: ~50 ms of the studio's launch, for a parser the window does not use."""
    if any(arg in ("-h", "--help") for arg in argv):
        return None
    args, rest = _top_parser().parse_known_args(argv)
    return None if rest else args


def build_parser() -> argparse.ArgumentParser:
    parser = _top_parser()
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _common_options()
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a command group not built yet
        module.register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _window_args(argv) or build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    handler = getattr(args, "handler", None)
    if handler is None:
        from studio.app import run_gui

        return run_gui(library=args.library)
    try:
        return int(handler(args) or 0)
    except KinoraError as exc:
        log.debug("command failed", exc_info=True)
        print(f"kinora: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (`kinora ... | head`): not an error; keep Python quiet at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a file the user cannot read or write, wherever it was met
        log.debug("command failed", exc_info=True)
        print(f"kinora: {os_error_message(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("kinora: interrupted", file=sys.stderr)
        return 130
