"""The dark theme and the icon set, loaded from studio/resources.

The look is the Fusion style and a dark palette; what a palette cannot say (dock title bars, the active
monitor's mark, a field marked invalid, job cards and the image drop zone) the widgets draw themselves
(studio/ui/chrome.py). There is no application-wide style sheet on purpose: any app-wide sheet makes Qt
style every widget through QStyleSheetStyle, which made building the launch window ~70% slower (issue 15's
start-up target). Widgets ask for a colour through `tone()`, never with a colour of their own.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TypeVar

from PySide6.QtGui import QColor, QFont, QIcon, QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
ICON_DIR = RESOURCES / "icons"

# Neutral greys like a grading suite, one blue accent, amber for notices.
WINDOW = "#1b1e24"
CHROME = "#14161b"  # dock title bars, the menu and status bars
FIELD = "#12141a"  # text fields and lists
CARD = "#20242c"
DROP_ZONE = "#15171c"  # the image drop zone, with a dashed DROP_BORDER (ACCENT while an image hovers)
DROP_BORDER = "#3c4452"
BUTTON = "#2a2f39"
BORDER = "#2a2f39"
FIELD_BORDER = "#2e3440"
TEXT = "#d8dce3"
BRIGHT_TEXT = "#e6e9ef"
TITLE_TEXT = "#aab1bd"
DISABLED_TEXT = "#5d6470"
ACCENT = "#4f8cff"
SELECTION = "#2f5fb8"
ACCENT_BUTTON = "#2f6fe0"
HINT = "#8d95a3"
ERROR = "#ff7b7b"
INVALID = "#e05a5a"
NOTICE = "#f5c542"
WARNING = "#f2a64e"
TIMECODE = "#ff8a80"
TIMECODE_BACKGROUND = "#17181b"


class Tone(StrEnum):
    """What a widget's text or face says; `tone()` gives it the colour for that."""

    HINT = "hint"  # secondary text: counts, explanations, times
    ERROR = "error"
    NOTICE = "notice"  # a warning that is not an error (a model that makes noise)
    WARNING = "warning"  # an edit that was refused or needs a look (the timeline's status line)
    TIMECODE = "timecode"  # the timeline's playhead time: monospace, red on near-black
    ACCENT = "accent"  # the one main action of a panel (Generate): a bold blue button


_TONE_TEXT = {Tone.HINT: HINT, Tone.ERROR: ERROR, Tone.NOTICE: NOTICE, Tone.WARNING: WARNING, Tone.TIMECODE: TIMECODE}
W = TypeVar("W", bound=QWidget)


def tone(widget: W, kind: Tone | str) -> W:
    """Give `widget` the colours of `kind` (a per-widget palette: no style sheet) and return it."""
    kind = Tone(kind)
    palette = widget.palette()
    if kind is Tone.ACCENT:
        palette.setColor(QPalette.ColorRole.Button, QColor(ACCENT_BUTTON))
        palette.setColor(QPalette.ColorRole.ButtonText, QColor("#ffffff"))
        palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Button, QColor(BUTTON))
        palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(DISABLED_TEXT))
        font = widget.font()
        font.setBold(True)
        widget.setFont(font)
        if isinstance(widget, QAbstractButton):
            widget.setMinimumHeight(widget.sizeHint().height() + 8)
    else:
        colour = QColor(_TONE_TEXT[kind])
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
            palette.setColor(QPalette.ColorGroup.Active, role, colour)
            palette.setColor(QPalette.ColorGroup.Inactive, role, colour)
        if kind is Tone.TIMECODE:
            palette.setColor(QPalette.ColorRole.Window, QColor(TIMECODE_BACKGROUND))
            widget.setAutoFillBackground(True)
            font = widget.font()
            font.setFamily("monospace")
            font.setStyleHint(QFont.StyleHint.TypeWriter)
            widget.setFont(font)
    widget.setPalette(palette)
    return widget


def set_flag(widget: QWidget, name: str, on: bool) -> None:
    """Set a dynamic property the theme draws (`activeMonitor` on a dock, `invalid` on a text field, `hover`
    on the drop zone) and repaint: the widget reads it when it paints (studio/ui/chrome.py)."""
    if bool(widget.property(name)) != on:
        widget.setProperty(name, on)
        widget.update()


def dark_palette() -> QPalette:
    """The application palette: every widget's colours unless `tone()` says otherwise."""
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in ((roles.Window, WINDOW), (roles.WindowText, TEXT), (roles.Base, FIELD),
                         (roles.AlternateBase, CARD), (roles.Text, TEXT), (roles.Button, BUTTON),
                         (roles.ButtonText, TEXT), (roles.BrightText, "#ffffff"), (roles.Highlight, SELECTION),
                         (roles.HighlightedText, "#ffffff"), (roles.ToolTipBase, BUTTON),
                         (roles.ToolTipText, BRIGHT_TEXT), (roles.PlaceholderText, DISABLED_TEXT),
                         (roles.Link, ACCENT), (roles.LinkVisited, ACCENT), (roles.Light, "#3c4452"),
                         (roles.Midlight, "#333a46"), (roles.Mid, "#20242c"), (roles.Dark, "#111318"),
                         (roles.Shadow, "#0b0c0f")):
        palette.setColor(role, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(disabled, role, QColor(DISABLED_TEXT))
    palette.setColor(disabled, roles.Button, QColor(CARD))
    palette.setColor(disabled, roles.Highlight, QColor(BUTTON))
    return palette


STYLE = "Fusion"
# Qt's own command-line option choosing the style of an application about to be made. setStyle() on a made
# one hands the style back to Python, and PySide then builds its QStyle class with its enums: ~5 ms of a launch.
STYLE_ARGS = ["-style", STYLE]


def apply_theme(app: QApplication, *, made_with_style: bool = False) -> None:
    """Give the whole application Kinora's dark look: Fusion and the dark palette; no style sheet. The shapes a
    palette cannot give are drawn by the widgets that show them (studio/ui/chrome.py).

    `made_with_style`: `app` was made with STYLE_ARGS; otherwise (a test's QApplication) the style is set here."""
    if not made_with_style:
        app.setStyle(STYLE)
    app.setPalette(dark_palette())
    font = QFont(app.font())
    font.setPointSizeF(10)
    app.setFont(font)


@cache
def icon(name: str) -> QIcon:
    """The icon `name` from resources/icons (e.g. "generate"); an empty icon if it is missing."""
    path = ICON_DIR / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()
