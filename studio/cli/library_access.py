"""The one way a CLI command opens the library: --library, else $KINORA_LIBRARY, else the default."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.library import Library


def open_library(args: argparse.Namespace) -> Library:
    """Open the library the command line names (a context manager; close it when done)."""
    from studio.library import Library
    from studio.paths import resolve_library_dir

    return Library.open(resolve_library_dir(getattr(args, "library", None)))
