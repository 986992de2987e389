"""Where Kinora keeps its files: the library folder and the user config folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Kinora"
LIBRARY_ENV = "KINORA_LIBRARY"
CONFIG_ENV = "KINORA_CONFIG"


def default_library_dir() -> Path:
    """The library folder used when neither --library nor KINORA_LIBRARY names one."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "library"


def resolve_library_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--library wins over KINORA_LIBRARY, which wins over the platform default."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(LIBRARY_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return default_library_dir()


def config_dir() -> Path:
    """User config folder (settings, signing identity); KINORA_CONFIG overrides it."""
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
