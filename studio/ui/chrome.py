"""The theme's shapes that a palette cannot give, drawn by the widgets that show them.

Dock title bars (and the active monitor's mark), the rounded frames of job cards, the image drop zone and
multi-line text fields, tool buttons that keep a face, checked buttons in the selection blue. They were a
proxy style's overrides; a Python QStyle is called for every control every widget draws (each label's
frame, each scroll bar) and made PySide build a Python class for every kind of style option, ~14 ms of the
launch's first frame (issue 15's start-up target). Here only the widgets concerned run Python to paint.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QAbstractButton, QDockWidget, QFrame, QPlainTextEdit, QToolButton, QWidget

from studio.ui.theme import ACCENT, BORDER, BRIGHT_TEXT, CHROME, FIELD_BORDER, INVALID, SELECTION, TITLE_TEXT


def draw_panel(widget: QWidget, *, border: str, fill: str | None = None, dashed: bool = False) -> None:
    """Paint `widget`'s rounded outline (and fill): call from its paint event."""
    painter = QPainter(widget)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(border), 1, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine))
    painter.setBrush(QColor(fill) if fill else Qt.BrushStyle.NoBrush)
    radius = 6 if fill else 4
    painter.drawRoundedRect(widget.rect().toRectF().adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
    painter.end()


class Dock(QDockWidget):
    """A dock whose title bar is a darker band with a rule under it; with the `activeMonitor` property set (the
    monitor Space and J/K/L drive) the title is brighter over a blue rule. Its buttons stay Qt's own."""

    def paintEvent(self, event: QPaintEvent) -> None:
        page = self.widget()
        if self.isFloating() or page is None:
            super().paintEvent(event)
            return
        band = QRect(0, 0, self.width(), page.geometry().top())
        if not band.intersects(event.rect()):
            return
        active = bool(self.property("activeMonitor"))
        rule = 2 if active else 1
        painter = QPainter(self)
        painter.fillRect(band, QColor(CHROME))
        painter.fillRect(band.left(), band.bottom() - rule + 1, band.width(), rule, QColor(ACCENT if active else BORDER))
        # The title bar's close and float buttons (direct children: a search of the whole page costs ~0.5 ms).
        buttons = [button.geometry().left() for button in self.findChildren(
            QAbstractButton, options=Qt.FindChildOption.FindDirectChildrenOnly) if button.isVisible()]
        text = QRect(band.left() + 8, band.top(), min([band.right() - 8, *buttons]) - band.left() - 8,
                     band.height() - rule)
        painter.setPen(QColor(BRIGHT_TEXT if active else TITLE_TEXT))
        title = painter.fontMetrics().elidedText(self.windowTitle(), Qt.TextElideMode.ElideRight, text.width())
        painter.drawText(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        painter.end()


class TextField(QPlainTextEdit):
    """A multi-line text field with a rounded border: blue while it has focus, red with the `invalid` property."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        # No frame of the style's; the same 1 px around the text (Fusion's frame width), where the border is drawn.
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setViewportMargins(1, 1, 1, 1)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.Paint:  # the field's own paint (its text is the viewport's)
            if self.property("invalid"):
                border = INVALID
            else:
                border = ACCENT if self.hasFocus() else FIELD_BORDER
            draw_panel(self, border=border)
        return handled


def button_face(button: QToolButton) -> QToolButton:
    """Give a tool button a face even where it would be flat (toolbars, transport rows) and, if it can be
    checked, the selection blue with white text while checked. Returns the button."""
    button.setAutoRaise(False)
    if button.isCheckable() or (button.defaultAction() is not None and button.defaultAction().isCheckable()):
        accent_when_checked(button)
    return button


def accent_when_checked(button: QAbstractButton) -> None:
    """Show `button` in the selection blue with white text while it is checked."""
    plain = button.palette()
    checked = QPalette(plain)
    checked.setColor(QPalette.ColorRole.Button, QColor(SELECTION))
    checked.setColor(QPalette.ColorRole.ButtonText, QColor("#ffffff"))
    button.toggled.connect(lambda on: button.setPalette(checked if on else plain))
    if button.isChecked():
        button.setPalette(checked)
