"""Printing for CLI commands: JSON with --json, readable text otherwise."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def emit(args: argparse.Namespace, data: Any, text: Callable[[], str] | str) -> None:
    """Print `data` as JSON under --json, else the human text (a string or a function making one)."""
    if wants_json(args):
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(text() if callable(text) else text)
