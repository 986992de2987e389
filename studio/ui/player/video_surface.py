"""The picture of the Preview: the current frame scaled to fit on black, and an optional stats overlay."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

PLACEHOLDER = "Double-click a take in the Library to preview it"


class VideoSurface(QWidget):
    """Paints a QImage keeping its aspect ratio; the overlay text (debug stats) sits top-left."""

    resized = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the Preview, which owns the transport
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._image: QImage | None = None
        self._overlay: str | None = None
        self.placeholder = PLACEHOLDER  # shown until the first picture (the Source and Program monitors say theirs)

    def sizeHint(self) -> QSize:
        return QSize(480, 270)

    def image(self) -> QImage | None:
        return self._image

    def set_image(self, image: QImage | None) -> None:
        self._image = image
        self.update()

    def set_overlay(self, text: str | None) -> None:
        self._overlay = text
        self.update()

    def picture_rect(self) -> QRect:
        """Where the picture lands inside the widget (letterboxed)."""
        if self._image is None or self._image.isNull():
            return QRect()
        size = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRect((self.width() - size.width()) // 2, (self.height() - size.height()) // 2,
                     size.width(), size.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.resized.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self._image is not None and not self._image.isNull():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRectF(self.picture_rect()), self._image)
        else:
            painter.setPen(QColor(140, 140, 140))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
        if self._overlay:
            painter.setFont(QFont("monospace", 9))
            box = painter.boundingRect(QRect(8, 8, self.width() - 16, self.height() - 16),
                                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, self._overlay)
            painter.fillRect(box.adjusted(-4, -4, 4, 4), QColor(0, 0, 0, 170))
            painter.setPen(QColor(120, 255, 160))
            painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, self._overlay)
        painter.end()
