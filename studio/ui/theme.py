"""The dark theme and the icon set, loaded from studio/resources."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
THEME_FILE = RESOURCES / "theme" / "dark.qss"
ICON_DIR = RESOURCES / "icons"


def apply_theme(app: QApplication) -> None:
    """Give the whole application Kinora's dark look (Fusion style plus our style sheet)."""
    app.setStyle("Fusion")
    app.setStyleSheet(THEME_FILE.read_text(encoding="utf-8"))


@cache
def icon(name: str) -> QIcon:
    """The icon `name` from resources/icons (e.g. "generate"); an empty icon if it is missing."""
    path = ICON_DIR / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()
