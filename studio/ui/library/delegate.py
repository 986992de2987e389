"""Draws one take in the grid: poster (or the hover filmstrip), duration, status badge, favourite."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtWidgets
from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QStyledItemDelegate

from studio.ui.library.model import ItemRole
from studio.ui.library.query import TakeItem
from studio.ui.library.thumbnails import ThumbnailLoader
from studio.ui.theme import icon

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStyleOptionViewItem

CELL = QSize(184, 148)
IMAGE_H = 100
STAR = 18
BADGE_COLORS = {
    "queued": QColor("#6b7280"), "running": QColor("#2f6fe0"), "failed": QColor("#c94444"),
    "canceled": QColor("#8a6d3b"), "paused": QColor("#8a6d3b"),
}


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


class TakeDelegate(QStyledItemDelegate):
    """Paints cells; a click on the star toggles the favourite (`favorite_clicked`)."""

    favorite_clicked = Signal(int, bool)  # take id, new state

    def __init__(self, thumbnails: ThumbnailLoader, parent=None) -> None:
        super().__init__(parent)
        self._thumbs = thumbnails
        self.hover_row = -1
        self.hover_fraction = 0.0  # mouse x across the hovered cell, picks the filmstrip frame

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return CELL

    @staticmethod
    def star_rect(cell: QRect) -> QRect:
        return QRect(cell.right() - STAR - 8, cell.top() + 8, STAR, STAR)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        item: TakeItem | None = index.data(ItemRole)
        if item is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        cell = option.rect.adjusted(4, 4, -4, -4)
        # QStyle looked up here, not imported: PySide builds its Python class with its enums (~5 ms) on first use,
        # and the launch's first frame paints no take.
        selected = bool(option.state & QtWidgets.QStyle.StateFlag.State_Selected)
        painter.setPen(QPen(QColor("#4f8cff") if selected else QColor("#2a2f39"), 2 if selected else 1))
        painter.setBrush(QColor("#20242c"))
        painter.drawRoundedRect(cell, 6, 6)

        image_rect = QRect(cell.left() + 1, cell.top() + 1, cell.width() - 2, IMAGE_H)
        painter.fillRect(image_rect, QColor("#0e1014"))
        self._paint_picture(painter, image_rect, item, index.row())
        self._paint_badges(painter, cell, image_rect, item)

        text_rect = QRect(cell.left() + 8, image_rect.bottom() + 4, cell.width() - 16, 18)
        title = item.take.display_title
        painter.setPen(QColor("#e6e9ef"))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         option.fontMetrics.elidedText(title, Qt.TextElideMode.ElideRight, text_rect.width()))
        meta_rect = text_rect.translated(0, 17)
        small = QFont(option.font)
        small.setPointSizeF(max(6.0, option.font.pointSizeF() - 1.5))
        painter.setFont(small)
        painter.setPen(QColor("#8d95a3"))
        meta = item.take.recipe.model_id if item.take.recipe else item.take.origin
        painter.drawText(meta_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, meta)
        painter.restore()

    def _paint_picture(self, painter: QPainter, rect: QRect, item: TakeItem, row: int) -> None:
        image = None
        if row == self.hover_row:
            strip = self._thumbs.filmstrip(item.take_id, item.media_path, item.sha256)
            if strip:
                image = strip[min(len(strip) - 1, int(self.hover_fraction * len(strip)))]
        if image is None:
            image = self._thumbs.poster(item.take_id, item.media_path, item.sha256)
        if image is None:
            painter.setPen(QColor("#4a5160"))
            label = {"queued": "Queued", "running": "Generating…", "failed": "Failed",
                     "canceled": "Canceled"}.get(item.take.status, "No picture")
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
            return
        scaled = image.size().scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(QPoint(0, 0), scaled)
        target.moveCenter(rect.center())
        painter.drawImage(target, image)

    def _paint_badges(self, painter: QPainter, cell: QRect, image_rect: QRect, item: TakeItem) -> None:
        status = item.take.status
        if status in BADGE_COLORS:
            badge = QRect(image_rect.left() + 6, image_rect.top() + 6, 64, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(BADGE_COLORS[status])
            painter.drawRoundedRect(badge, 8, 8)
            painter.setPen(QColor("white"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, status)
        duration = format_seconds(item.duration)
        if duration:
            box = QRect(image_rect.right() - 44, image_rect.bottom() - 20, 40, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 170))
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(QColor("#e6e9ef"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, duration)
        star = icon("star-filled" if item.take.favorite else "star")
        star.paint(painter, self.star_rect(cell))

    def editorEvent(self, event: QEvent, model, option: QStyleOptionViewItem, index: QModelIndex) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            cell = option.rect.adjusted(4, 4, -4, -4)
            item: TakeItem | None = index.data(ItemRole)
            if item is not None and self.star_rect(cell).adjusted(-4, -4, 4, 4).contains(event.position().toPoint()):
                self.favorite_clicked.emit(item.take_id, not item.take.favorite)
                return True
        return super().editorEvent(event, model, option, index)
