"""The dark theme and the icon set, loaded from studio/resources.

The look is the Fusion style, a dark palette and a small proxy style for what a palette cannot say (dock
title bars, the active monitor's mark, a field marked invalid, job cards and the image drop zone). There is
no application-wide style sheet on purpose: any app-wide sheet makes Qt style every widget through
QStyleSheetStyle, which made building the launch window ~70% slower (issue 15's start-up target). Widgets
ask for a colour through `tone()`, never with a colour of their own.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QPlainTextEdit,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QStyleOptionButton,
    QStyleOptionComplex,
    QStyleOptionToolButton,
    QTextEdit,
    QWidget,
)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
ICON_DIR = RESOURCES / "icons"

# Neutral greys like a grading suite, one blue accent, amber for notices.
WINDOW = "#1b1e24"
CHROME = "#14161b"  # dock title bars, the menu and status bars
FIELD = "#12141a"  # text fields and lists
CARD = "#20242c"
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
    on the drop zone) and repaint: the proxy style reads it at paint time, so no re-polish is needed."""
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


_DOCK_TITLE = QStyle.ControlElement.CE_DockWidgetTitle
_SHAPED_FRAME = QStyle.ControlElement.CE_ShapedFrame
_PUSH_BUTTON = QStyle.ControlElement.CE_PushButton
_TOOL_BUTTON = QStyle.ComplexControl.CC_ToolButton
_HAS_FOCUS = QStyle.StateFlag.State_HasFocus
_ON = QStyle.StateFlag.State_On
_AUTO_RAISE = QStyle.StateFlag.State_AutoRaise
_RAISED = QStyle.StateFlag.State_Raised


class KinoraStyle(QProxyStyle):
    """Fusion, plus the few shapes a palette cannot give: dock titles; the frames of job cards, the drop zone
    and multi-line text fields; tool buttons with a face even in a toolbar; checked buttons in the accent.
    Only `drawControl` and `drawComplexControl` are overridden: a Python call per control drawn, cheap beside
    a style sheet (primitives, called far more often, stay in C++)."""

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def drawControl(self, element: QStyle.ControlElement, option: QStyleOption, painter: QPainter,
                    widget: QWidget | None = None) -> None:
        if element is _DOCK_TITLE and widget is not None:
            _dock_title(option, painter, widget)
            return
        if element is _SHAPED_FRAME and widget is not None and _frame(option, painter, widget):
            return
        if element is _PUSH_BUTTON and option.state & _ON:
            option = QStyleOptionButton(option)
            _checked_colours(option.palette)
        super().drawControl(element, option, painter, widget)

    def drawComplexControl(self, control: QStyle.ComplexControl, option: QStyleOptionComplex, painter: QPainter,
                           widget: QWidget | None = None) -> None:
        if control is _TOOL_BUTTON:
            # Toolbar buttons (Split, Loop, Snap...) keep a button face when the mouse is away, as before.
            option = QStyleOptionToolButton(option)
            option.state = (option.state & ~_AUTO_RAISE) | _RAISED
            if option.state & _ON:
                _checked_colours(option.palette)
        super().drawComplexControl(control, option, painter, widget)


def _checked_colours(palette: QPalette) -> None:
    """A checked (toggled on) button: the selection blue with white text."""
    palette.setColor(QPalette.ColorRole.Button, QColor(SELECTION))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor("#ffffff"))


def _dock_title(option: QStyleOption, painter: QPainter, dock: QWidget) -> None:
    """A darker band with a rule under it; the active monitor's title is brighter, over a blue rule."""
    active = bool(dock.property("activeMonitor"))
    rect: QRect = option.rect
    painter.save()
    painter.fillRect(rect, QColor(CHROME))
    rule = 2 if active else 1
    painter.fillRect(rect.left(), rect.bottom() - rule + 1, rect.width(), rule, QColor(ACCENT if active else BORDER))
    painter.setPen(QColor(BRIGHT_TEXT if active else TITLE_TEXT))
    text_rect = rect.adjusted(8, 0, -8, -rule)
    title = painter.fontMetrics().elidedText(dock.windowTitle(), Qt.TextElideMode.ElideRight, text_rect.width())
    painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
    painter.restore()


def _frame(option: QStyleOption, painter: QPainter, widget: QWidget) -> bool:
    """Draw the frame of a job card, the drop zone or a multi-line text field; False for any other frame."""
    name = widget.objectName()
    if name == "jobCard":
        fill, border, dashed = CARD, FIELD_BORDER, False
    elif name == "dropZone":
        fill, dashed = "#15171c", True
        border = ACCENT if widget.property("hover") else "#3c4452"
    elif isinstance(widget, (QPlainTextEdit, QTextEdit)):
        fill, dashed = None, False
        if widget.property("invalid"):
            border = INVALID
        else:
            border = ACCENT if option.state & _HAS_FOCUS else FIELD_BORDER
    else:
        return False
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor(border), 1, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
    painter.setPen(pen)
    painter.setBrush(QColor(fill) if fill else Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(option.rect.toRectF().adjusted(0.5, 0.5, -0.5, -0.5), 6 if fill else 4, 6 if fill else 4)
    painter.restore()
    return True


def apply_theme(app: QApplication) -> None:
    """Give the whole application Kinora's dark look: Fusion, the dark palette, the proxy style; no style sheet."""
    app.setStyle(KinoraStyle())
    app.setPalette(dark_palette())
    font = QFont(app.font())
    font.setPointSizeF(10)
    app.setFont(font)


@cache
def icon(name: str) -> QIcon:
    """The icon `name` from resources/icons (e.g. "generate"); an empty icon if it is missing."""
    path = ICON_DIR / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()
