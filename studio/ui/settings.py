"""The studio's own settings (window layout, last choices) in an ini file in the config folder.

An explicit ini file under studio.paths.config_dir() keeps tests isolated (KINORA_CONFIG) and
keeps the settings readable and portable.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from studio.paths import config_dir

SETTINGS_FILE = "studio.ini"
# The Feed syncs its subscriptions this often while the window is open, whether the Feed is shown or not.
FEED_SYNC_INTERVAL_MS = 5 * 60 * 1000


def studio_settings() -> QSettings:
    """The settings store; cheap to make, so make one where needed rather than keeping it around."""
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return QSettings(str(folder / SETTINGS_FILE), QSettings.Format.IniFormat)
