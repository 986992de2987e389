"""The timecode ruler above the tracks: ticks, labels, in/out marks and the draggable playhead."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from studio.ui.timeline.timescale import timecode
from studio.ui.timeline.view import TimelineView

RULER_H = 26


class Ruler(QWidget):
    """Draws time for the view's visible span; pressing or dragging on it scrubs the playhead."""

    scrubbed = Signal(float)

    def __init__(self, view: TimelineView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.fps = 24.0
        self.setFixedHeight(RULER_H)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        view.horizontalScrollBar().valueChanged.connect(self.update)
        view.zoomChanged.connect(self.update)

    def _x_of(self, t: float) -> float:
        return self.view.scale.x(t) - self.view.horizontalScrollBar().value()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#17181b"))
        scale = self.view.scale
        t0, t1 = self.view.visible_span()
        step = scale.tick_step()
        minor = step / 5 if step * scale.pixels_per_second >= 50 else step
        painter.setPen(QColor("#9aa0a8"))
        font = painter.font()
        font.setPointSizeF(7.5)
        painter.setFont(font)
        k = math.floor(t0 / minor)
        while k * minor <= t1 + minor:
            t = k * minor
            x = self._x_of(t)
            labelled = abs(t / step - round(t / step)) < 1e-6
            painter.drawLine(QPointF(x, RULER_H - (10 if labelled else 4)), QPointF(x, RULER_H))
            if labelled:
                painter.drawText(QPointF(x + 3, 11), timecode(t, self.fps))
            k += 1
        mark_in, mark_out = self.view.marks
        painter.setPen(QPen(QColor("#6f9cff"), 2))
        for mark in (mark_in, mark_out):
            if mark is not None:
                x = self._x_of(mark)
                painter.drawLine(QPointF(x, 12), QPointF(x, RULER_H))
        if mark_in is not None and mark_out is not None and mark_out > mark_in:
            painter.fillRect(QRectF(self._x_of(mark_in), 14, self._x_of(mark_out) - self._x_of(mark_in), 6),
                             QColor(111, 156, 255, 110))
        x = self._x_of(self.view.playhead)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#ff5a4e"))
        painter.drawPolygon(QPolygonF([QPointF(x - 6, 12), QPointF(x + 6, 12), QPointF(x, RULER_H)]))

    def _scrub(self, event: QMouseEvent) -> None:
        x = event.position().x() + self.view.horizontalScrollBar().value()
        self.scrubbed.emit(max(0.0, self.view.scale.t(x)))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._scrub(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._scrub(event)
