"""Scene items of the timeline: a clip box, its filmstrip or waveform, all placed by one TimeScale.

A clip item's x is scale.x(start in the track) and its width scale.x(duration); its content child
(filmstrip or waveform) covers exactly the same span and maps each of its pixel columns back to a
media time through the clip's source range. Only the exposed part is drawn, so painting cost
follows the window width, not the length of the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QWidget

from studio.project.timeline import kinora_data
from studio.ui.timeline.clip_media import ClipMedia, MediaCatalog, take_id_of
from studio.ui.timeline.timescale import TimeScale

if TYPE_CHECKING:
    import opentimelineio as otio
    from PySide6.QtWidgets import QStyleOptionGraphicsItem  # building its Python class at import cost ~1 ms

HANDLE_PX = 7.0
LABEL_H = 16.0

_COLORS = {
    "video": (QColor("#2f4f7a"), QColor("#4a78b8")),
    "audio": (QColor("#2d5b44"), QColor("#4f9c74")),
}
_SELECTED = QColor("#f2c14e")
_WAVE = QColor("#b9f0cf")
_WAVE_ARGB = _WAVE.rgba()  # as a uint32 pixel in the waveform image
_BADGE = QColor("#c0476b")


@dataclass(frozen=True)
class ClipRef:
    """Where a clip sits: its track and child index, and its span in track and media time."""

    track_index: int
    clip_index: int
    kind: str  # "video" | "audio"
    start: float
    duration: float
    source_start: float
    speed: float = 1.0  # seconds of media per second of track (LinearTimeWarp; 0 holds a frame)

    @property
    def end(self) -> float:
        return self.start + self.duration

    def media_at(self, elapsed: float) -> float:
        """The media time shown `elapsed` seconds of track after the clip's start (at 2x, twice as far)."""
        return self.source_start + elapsed * self.speed


class ClipItem(QGraphicsItem):
    """One clip on a track: colored box, name, generated-take badge, trim handles, and content."""

    def __init__(self, ref: ClipRef, clip: otio.schema.Clip, media: ClipMedia | None,
                 catalog: MediaCatalog, scale: TimeScale, height: float, locked: bool) -> None:
        super().__init__()
        self.ref = ref
        self.clip = clip
        self.media = media
        self.take_id = take_id_of(clip)
        self.link = kinora_data(clip).get("link_id")
        self.locked = locked
        self._height = height
        self._width = 0.0
        flags = QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
        self.setFlags(flags if not locked else QGraphicsItem.GraphicsItemFlag(0))
        self.setAcceptHoverEvents(True)
        self.setToolTip(self.title)
        content_cls = FilmstripItem if ref.kind == "video" else WaveformItem
        self.content = content_cls(self, catalog)
        self.relayout(scale)

    @property
    def title(self) -> str:
        return self.clip.name or (self.media.title if self.media else "offline")

    def relayout(self, scale: TimeScale, preview: ClipRef | None = None) -> None:
        """Place the item for a zoom level: x and width come from the shared time scale.

        `preview` shows a span the clip does not have yet (while a trim handle is dragged).
        """
        shown = preview or self.ref
        self.prepareGeometryChange()
        self.setX(scale.x(shown.start))
        self._width = scale.x(shown.end) - scale.x(shown.start)
        self.content.relayout(scale, shown)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self._width, self._height)

    def edge_at(self, local_x: float) -> str | None:
        """"head" or "tail" when local_x is on a trim handle (never on locked or tiny clips)."""
        if self.locked or self._width < 3 * HANDLE_PX:
            return None
        if local_x <= HANDLE_PX:
            return "head"
        if local_x >= self._width - HANDLE_PX:
            return "tail"
        return None

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        dark, light = _COLORS[self.ref.kind]
        rect = self.boundingRect().adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QPen(_SELECTED if self.isSelected() else light, 2 if self.isSelected() else 1))
        painter.setBrush(QBrush(dark if self.media else QColor("#553333")))
        painter.drawRoundedRect(rect, 3, 3)
        # The label sits on a translucent strip so it stays readable over thumbnails.
        painter.fillRect(QRectF(1, 1, self._width - 2, LABEL_H), QColor(0, 0, 0, 110))
        font = QFont(painter.font())
        font.setPointSizeF(8)
        painter.setFont(font)
        x_text = 4.0
        if self.media and self.media.generated and self._width > 40:
            badge = QRectF(3, 3, 20, LABEL_H - 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_BADGE)
            painter.drawRoundedRect(badge, 2, 2)
            painter.setPen(Qt.GlobalColor.white)
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "AI")
            x_text = 27.0
        painter.setPen(QColor("#e8e8e8"))
        label = self.title if self.media else f"{self.title} (offline)"
        if kinora_data(self.clip).get("takes"):
            label += f"  [{len(kinora_data(self.clip)['takes'])} takes]"
        if self.ref.speed != 1.0:  # a retimed clip says so, as other editors mark it
            label += f"  ({self.ref.speed * 100:.0f} %)" if self.ref.speed > 0 else "  (held)"
        painter.drawText(QRectF(x_text, 0, max(0.0, self._width - x_text - 4), LABEL_H),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
        if self.isSelected() and not self.locked:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(242, 193, 78, 160))
            painter.drawRect(QRectF(0, 0, HANDLE_PX / 2, self._height))
            painter.drawRect(QRectF(self._width - HANDLE_PX / 2, 0, HANDLE_PX / 2, self._height))

    def hoverMoveEvent(self, event) -> None:  # noqa: ANN001 - Qt signature
        edge = self.edge_at(event.pos().x())
        self.setCursor(Qt.CursorShape.SizeHorCursor if edge else Qt.CursorShape.ArrowCursor)


class _ContentItem(QGraphicsItem):
    """Child of a clip covering its span below the label; maps local x to media time."""

    def __init__(self, clip_item: ClipItem, catalog: MediaCatalog) -> None:
        super().__init__(clip_item)
        self.clip_item = clip_item
        self.catalog = catalog
        self._scale = TimeScale()
        self._shown = clip_item.ref
        self._width = 0.0
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def relayout(self, scale: TimeScale, shown: ClipRef) -> None:
        self.prepareGeometryChange()
        self._scale = TimeScale(scale.pixels_per_second)
        self._shown = shown
        self._width = self.clip_item.boundingRect().width()
        self.setPos(0, LABEL_H + 1)

    @property
    def height(self) -> float:
        return self.clip_item.boundingRect().height() - LABEL_H - 2

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self._width, self.height)

    def media_time(self, local_x: float) -> float:
        """Media time shown at local x: the clip's source start plus the elapsed track time, at its speed."""
        return self._shown.media_at(self._scale.t(local_x))

    def source_span(self) -> tuple[float, float]:
        """Media times at the item's left and right edges (the clip's trimmed source range)."""
        return self.media_time(0.0), self.media_time(self._width)

    def _exposed_columns(self, option: QStyleOptionGraphicsItem) -> tuple[int, int]:
        exposed = option.exposedRect.intersected(self.boundingRect())
        return max(0, math.floor(exposed.left())), min(math.ceil(self._width), math.ceil(exposed.right()))


class WaveformItem(_ContentItem):
    """The clip's waveform, sliced from the cached peak pyramid for the visible columns only."""

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        media = self.clip_item.media
        if media is None or not self.catalog.waveform_ready(media):
            return
        x0, x1 = self._exposed_columns(option)
        if x1 <= x0:
            return
        peaks = self.catalog.peaks(media, self.media_time(x0), self.media_time(x1), x1 - x0)
        if self.catalog.waveform_db:
            # Imported here: the module loads PyAV, which the window does not need for its first frame (the
            # catalog has loaded it by the time a waveform is ready).
            from studio.media.waveform import db_scale

            peaks = db_scale(peaks)
        # One pixel column per peak pair, filled from min to max with numpy and drawn as one image:
        # the cost follows the visible width only, and no Python loop runs per column. (numpy is loaded by
        # then, with the peaks; imported here so the window's first frame does not wait for it.)
        import numpy as np

        height = max(1, int(self.height))
        mid, half = height / 2, height / 2 - 1
        top = np.floor(mid - peaks[:, 1] * half)
        bottom = np.ceil(mid - peaks[:, 0] * half)
        rows = np.arange(height)[:, None]
        pixels = np.where((rows >= top) & (rows <= bottom), np.uint32(_WAVE_ARGB), np.uint32(0)).astype(np.uint32)
        pixels[int(mid), :] = _WAVE_ARGB  # the zero line, so silence still shows where the clip is
        image = QImage(pixels.data, pixels.shape[1], height, 4 * pixels.shape[1],
                       QImage.Format.Format_ARGB32_Premultiplied)
        painter.drawImage(QPointF(x0, 0), image)


class FilmstripItem(_ContentItem):
    """Thumbnails tiled along the clip, each the frame nearest the media time at its middle."""

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        media = self.clip_item.media
        if media is None:
            return
        strip = self.catalog.filmstrip(media)
        if not strip:
            return
        h = self.height
        first = strip[0]
        tile_w = max(8.0, h * first.width() / max(1, first.height()))
        x0, x1 = self._exposed_columns(option)
        duration = media.duration or max(self.media_time(self._width), 1e-6)
        painter.save()
        painter.setClipRect(self.boundingRect())
        i = math.floor(x0 / tile_w)
        while i * tile_w < x1:
            x = i * tile_w
            frame_index = min(len(strip) - 1, max(0, int(self.media_time(x + tile_w / 2) / duration * len(strip))))
            painter.drawImage(QRectF(x, 0, tile_w, h), strip[frame_index])
            i += 1
        painter.restore()
