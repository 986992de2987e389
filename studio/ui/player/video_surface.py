"""The picture of the Preview: the current frame scaled to fit on black, and an optional stats overlay.

Given `drag_data`, the picture can be dragged out (the Source monitor's take onto the timeline).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMimeData, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

PLACEHOLDER = "Double-click a take in the Library to preview it"
DRAG_PIXMAP_WIDTH = 160  # the picture under the pointer while it is dragged


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
        # What a drag of the picture carries (None: nothing to drag now); unset, the picture is not draggable.
        self.drag_data: Callable[[], QMimeData | None] | None = None
        self._press_at: QPoint | None = None

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

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.drag_data is not None:
            self._press_at = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        start = self._press_at
        if (start is None or self.drag_data is None or not event.buttons() & Qt.MouseButton.LeftButton
                or (event.position().toPoint() - start).manhattanLength() < QApplication.startDragDistance()):
            super().mouseMoveEvent(event)
            return
        self._press_at = None
        mime = self.drag_data()
        if mime is None:
            return
        drag = QDrag(self)
        drag.setMimeData(mime)
        if self._image is not None and not self._image.isNull():
            pixmap = QPixmap.fromImage(self._image.scaledToWidth(DRAG_PIXMAP_WIDTH,
                                                                 Qt.TransformationMode.SmoothTransformation))
            drag.setPixmap(pixmap)
            drag.setHotSpot(QPoint(pixmap.width() // 2, pixmap.height() // 2))
        drag.exec(Qt.DropAction.CopyAction)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press_at = None
        super().mouseReleaseEvent(event)

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
