"""The track area: a QGraphicsView whose scene x is time (via TimeScale) and whose rows are tracks.

QGraphicsView gives hit testing, rubber-band multi-select, scrolling and exposed-rect painting for
free; zoom re-lays items out (instead of scaling the view) so text, handles and thumbnails keep
their pixel size while waveforms are re-sliced for the new width. The view never edits the
timeline itself: it shows previews while dragging and emits a request when the mouse is released.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QWidget

from studio.project.clip_props import clip_speed
from studio.project.timeline import kinora_data
from studio.ui.library.model import TAKE_MIME, decode_take_ids, decode_take_span
from studio.ui.timeline.clip_media import MediaCatalog
from studio.ui.timeline.items import ClipItem, ClipRef
from studio.ui.timeline.timescale import ZOOM_STEP, TimeScale, fit_pps, snap, snap_range

if TYPE_CHECKING:
    import opentimelineio as otio

VIDEO_ROW_H = 72.0
AUDIO_ROW_H = 60.0
ROW_GAP = 2.0
SNAP_PX = 8.0
PLAYHEAD_GRAB_PX = 4.0
TAIL_SECONDS = 30.0  # room after the last clip to drop and drag into

_PLAYHEAD = QColor("#ff5a4e")
_DROP_MARKER = QColor("#6f9cff")


@dataclass(frozen=True)
class TrackRow:
    """A track as the view lays it out: its index in timeline.tracks, kind, name, y and height."""

    track_index: int
    kind: str
    name: str
    y: float
    height: float
    locked: bool


@dataclass(frozen=True)
class MoveRequest:
    """Move clips by delta seconds and by track_shift tracks of the dragged clip's kind."""

    clips: tuple[ClipRef, ...]
    delta: float
    kind: str
    track_shift: int


@dataclass(frozen=True)
class TrimRequest:
    """Move one edge ("head" or "tail") of clips to a new track time."""

    clips: tuple[ClipRef, ...]
    edge: str
    delta: float


def track_rows(timeline: otio.schema.Timeline) -> list[TrackRow]:
    """Video tracks top-down from the highest (V2 above V1), then audio tracks A1, A2, ..."""
    import opentimelineio as otio

    tracks = list(enumerate(timeline.tracks))
    video = [(i, t) for i, t in tracks if t.kind == otio.schema.TrackKind.Video][::-1]
    audio = [(i, t) for i, t in tracks if t.kind == otio.schema.TrackKind.Audio]
    rows, y = [], 0.0
    for index, track in video + audio:
        kind = "video" if track.kind == otio.schema.TrackKind.Video else "audio"
        height = VIDEO_ROW_H if kind == "video" else AUDIO_ROW_H
        rows.append(TrackRow(index, kind, track.name, y, height, bool(kinora_data(track).get("lock"))))
        y += height + ROW_GAP
    return rows


class TimelineView(QGraphicsView):
    """Draws tracks, clips and the playhead; turns mouse gestures into edit requests."""

    moveRequested = Signal(object)  # MoveRequest
    trimRequested = Signal(object)  # TrimRequest
    scrubbed = Signal(float)
    zoomChanged = Signal()
    # take ids, time, track index, overwrite (Alt held), span: (in, out) seconds of each take or None (whole)
    takeDropped = Signal(list, float, int, bool, object)
    filesDropped = Signal(list, float, int)  # paths, time, track index
    contextMenuRequested = Signal(object, QPoint)  # ClipItem | None, global position

    def __init__(self, catalog: MediaCatalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.scale = TimeScale()
        self.rows: list[TrackRow] = []
        self.clip_items: list[ClipItem] = []
        self.playhead = 0.0
        self.marks: tuple[float | None, float | None] = (None, None)
        self.drop_marker: float | None = None  # seconds, while something is dragged over the tracks
        self.snapping = True
        self._duration = 0.0
        self._drag: _Drag | None = None
        # A viewport made here, as Qt would make it: the view asks for it at every paint, and the first widget
        # Qt made itself that reaches Python makes PySide build the classes of every kind of widget (~3 ms).
        self.setViewport(QWidget())
        self.setScene(QGraphicsScene(self))
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setAcceptDrops(True)
        self.setBackgroundBrush(QColor("#1c1d21"))
        catalog.ready.connect(lambda _sha: self.viewport().update())

    # -- building ----------------------------------------------------------------------------------

    def show_timeline(self, timeline: otio.schema.Timeline) -> None:
        """Rebuild every item from the timeline (edits are few and small; this keeps one truth)."""
        import opentimelineio as otio

        # Selection follows clip objects (moves keep them; a deleted clip is simply gone).
        selected = [i.clip for i in self.selected_clips()]
        scene = self.scene()
        self.clip_items = []  # before clear(): selection signals during it must not see dying items
        scene.clear()
        self.rows = track_rows(timeline)
        for row in self.rows:
            track = timeline.tracks[row.track_index]
            for index, child in enumerate(track):
                if not isinstance(child, otio.schema.Clip):
                    continue
                span = track.range_of_child_at_index(index)
                ref = ClipRef(row.track_index, index, row.kind, span.start_time.to_seconds(),
                              span.duration.to_seconds(), child.trimmed_range().start_time.to_seconds(),
                              clip_speed(child))
                item = ClipItem(ref, child, self.catalog.media_for(child), self.catalog, self.scale,
                                row.height, row.locked)
                item.setY(row.y)
                scene.addItem(item)
                item.setSelected(any(child is clip for clip in selected))
                self.clip_items.append(item)
        self._duration = max((t.duration().to_seconds() for t in timeline.tracks), default=0.0)
        self._update_scene_rect()

    def _update_scene_rect(self) -> None:
        height = self.rows[-1].y + self.rows[-1].height if self.rows else 0.0
        width = max(self.scale.x(self._duration + TAIL_SECONDS), self.viewport().width())
        self.scene().setSceneRect(QRectF(0, 0, width, height))
        self.viewport().update()

    def row_at(self, y: float) -> TrackRow | None:
        return next((r for r in self.rows if r.y <= y < r.y + r.height + ROW_GAP), None)

    def row_of(self, track_index: int) -> TrackRow | None:
        return next((r for r in self.rows if r.track_index == track_index), None)

    def selected_clips(self) -> list[ClipItem]:
        return [i for i in self.clip_items if i.isSelected()]

    def items_linked_to(self, items: list[ClipItem]) -> list[ClipItem]:
        """items plus the unlocked clips sharing their link id (a take's picture and sound)."""
        links = {i.link for i in items if i.link}
        out = list(items)
        out += [i for i in self.clip_items if i.link in links and i not in items and not i.locked]
        return out

    # -- zoom and scroll -------------------------------------------------------------------------------

    def visible_span(self) -> tuple[float, float]:
        """Times at the left and right edges of the viewport."""
        left = self.mapToScene(QPoint(0, 0)).x()
        return self.scale.t(left), self.scale.t(left + self.viewport().width())

    def set_pixels_per_second(self, pps: float, anchor_time: float | None = None) -> None:
        """Zoom, keeping anchor_time (default: the playhead) at the same place in the viewport."""
        anchor = self.playhead if anchor_time is None else anchor_time
        offset = self.scale.x(anchor) - self.horizontalScrollBar().value()
        self.scale = TimeScale(pps).zoomed(1.0)
        for item in self.clip_items:
            item.relayout(self.scale)
        self._update_scene_rect()
        self.horizontalScrollBar().setValue(round(self.scale.x(anchor) - offset))
        self.zoomChanged.emit()

    def zoom(self, factor: float, anchor_time: float | None = None) -> None:
        self.set_pixels_per_second(self.scale.pixels_per_second * factor, anchor_time)

    def zoom_to_fit(self) -> None:
        self.set_pixels_per_second(fit_pps(self._duration, self.viewport().width() - 20), 0.0)
        self.horizontalScrollBar().setValue(0)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            anchor = self.scale.t(self.mapToScene(event.position().toPoint()).x())
            self.zoom(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP, anchor)
            event.accept()
            return
        if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier and event.angleDelta().x() == 0:
            # A plain wheel scrolls time, which is what a timeline is mostly scrolled along.
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - event.angleDelta().y())
            event.accept()
            return
        super().wheelEvent(event)

    # -- painting ------------------------------------------------------------------------------------

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        for row in self.rows:
            shade = QColor("#24262b") if row.kind == "video" else QColor("#212428")
            painter.fillRect(QRectF(rect.left(), row.y, rect.width(), row.height), shade)
        if self.rows and not self.clip_items:
            # An empty edit says how to start one, where the first clip would go.
            painter.setPen(QColor("#7d828c"))
            painter.drawText(QRectF(12, 0, max(rect.width(), 600), self.rows[0].height),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             "Drag takes here from the library, or media files from your desktop.")

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        mark_in, mark_out = self.marks
        if mark_in is not None and mark_out is not None and mark_out > mark_in:
            painter.fillRect(QRectF(self.scale.x(mark_in), rect.top(), self.scale.x(mark_out - mark_in),
                                    rect.height()), QColor(111, 156, 255, 38))
        x = self.scale.x(self.playhead)
        painter.setPen(QPen(_PLAYHEAD, 1.5))
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        if self.drop_marker is not None:  # where a drop will insert (snapped), while dragging over
            x = self.scale.x(self.drop_marker)
            painter.setPen(QPen(_DROP_MARKER, 2.0))
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))

    def set_playhead(self, t: float) -> None:
        old = self.scale.x(self.playhead)
        self.playhead = max(0.0, t)
        new = self.scale.x(self.playhead)
        # Repaint only the two thin strips the line leaves and enters.
        for x in (old, new):
            top_left = self.mapFromScene(QPointF(x, 0))
            self.viewport().update(top_left.x() - 3, 0, 6, self.viewport().height())

    # -- snapping ------------------------------------------------------------------------------------

    def snap_targets(self, exclude: list[ClipItem]) -> list[float]:
        """Times a dragged edge snaps to: the playhead, the in/out marks and other clips' edges."""
        targets = [self.playhead, 0.0] + [m for m in self.marks if m is not None]
        for item in self.clip_items:
            if item not in exclude:
                targets += [item.ref.start, item.ref.end]
        return targets

    def snap_tolerance(self) -> float:
        return self.scale.t(SNAP_PX) if self.snapping else 0.0

    # -- mouse -----------------------------------------------------------------------------------

    def clip_item_at(self, pos: QPoint) -> ClipItem | None:
        for item in self.items(pos):
            while item is not None and not isinstance(item, ClipItem):
                item = item.parentItem()
            if item is not None:
                return item
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        scene_pos = self.mapToScene(event.position().toPoint())
        item = self.clip_item_at(event.position().toPoint())
        near_playhead = abs(scene_pos.x() - self.scale.x(self.playhead)) <= PLAYHEAD_GRAB_PX
        if item is None or item.locked:
            if near_playhead:
                self._drag = _Drag("scrub", [], None, scene_pos)
                self.scrubbed.emit(max(0.0, self.scale.t(scene_pos.x())))
                return
            super().mousePressEvent(event)  # rubber band; clicking empty space clears the selection
            return
        if event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
            item.setSelected(not item.isSelected())
            return
        if not item.isSelected():
            self.scene().clearSelection()
            item.setSelected(True)
        edge = item.edge_at(item.mapFromScene(scene_pos).x())
        if edge:
            dragged = self.items_linked_to([item])
        else:
            dragged = self.items_linked_to([i for i in self.selected_clips() if not i.locked])
        self._drag = _Drag(edge or "move", dragged, item, scene_pos)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        drag = self._drag
        if drag is None:
            super().mouseMoveEvent(event)
            return
        scene_pos = self.mapToScene(event.position().toPoint())
        if drag.mode == "scrub":
            self.scrubbed.emit(max(0.0, self.scale.t(scene_pos.x())))
            return
        drag.moved = True
        raw = self.scale.t(scene_pos.x() - drag.origin.x())
        tolerance = self.snap_tolerance()
        grabbed = drag.grabbed
        assert grabbed is not None
        if drag.mode == "move":
            earliest = min(i.ref.start for i in drag.items)
            start = snap_range(grabbed.ref.start + raw, grabbed.ref.duration,
                               self.snap_targets(drag.items), tolerance)
            drag.delta = max(start - grabbed.ref.start, -earliest)
            drag.track_shift = self._track_shift(grabbed, scene_pos.y())
            for item in drag.items:
                item.setX(self.scale.x(item.ref.start + drag.delta))
                if item.ref.kind == grabbed.ref.kind:
                    row = self._shifted_row(item.ref, drag.track_shift)
                    item.setY(row.y if row else item.y())
        else:
            edge_time = grabbed.ref.start if drag.mode == "head" else grabbed.ref.end
            target = snap(edge_time + raw, self.snap_targets(drag.items), tolerance)
            drag.delta = self._clamp_trim(drag, target - edge_time)
            for item in drag.items:
                item.relayout(self.scale, _trimmed(item.ref, drag.mode, drag.delta))

    def _clamp_trim(self, drag: _Drag, delta: float) -> float:
        """Keep every trimmed clip at least one frame long and inside its media."""
        min_len = 1 / 24
        for item in drag.items:
            available = item.clip.media_reference.available_range
            neighbours = [i.ref for i in self.clip_items if i.ref.track_index == item.ref.track_index and i is not item]
            if drag.mode == "head":
                # An in-place trim grows only into free space: up to the previous clip's end.
                free_from = max((r.end for r in neighbours if r.end <= item.ref.start), default=0.0)
                delta = min(delta, item.ref.duration - min_len)
                delta = max(delta, free_from - item.ref.start)
                if available is not None and item.ref.speed > 0:  # the media moves speed x delta
                    delta = max(delta, (available.start_time.to_seconds() - item.ref.source_start) / item.ref.speed)
            else:
                free_until = min((r.start for r in neighbours if r.start >= item.ref.end), default=None)
                delta = max(delta, min_len - item.ref.duration)
                if free_until is not None:
                    delta = min(delta, free_until - item.ref.end)
                if available is not None and item.ref.speed > 0:
                    media_end = available.end_time_exclusive().to_seconds()
                    delta = min(delta, (media_end - item.ref.source_start) / item.ref.speed - item.ref.duration)
        return delta

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, self._drag = self._drag, None
        if drag is None or drag.mode == "scrub":
            super().mouseReleaseEvent(event)
            return
        refs = tuple(i.ref for i in drag.items)
        if not drag.moved or (abs(drag.delta) < 1e-9 and drag.track_shift == 0):
            for item in drag.items:  # put previews back
                item.setY(self.row_of(item.ref.track_index).y)
                item.relayout(self.scale)
            return
        assert drag.grabbed is not None
        if drag.mode == "move":
            self.moveRequested.emit(MoveRequest(refs, drag.delta, drag.grabbed.ref.kind, drag.track_shift))
        else:
            self.trimRequested.emit(TrimRequest(refs, drag.mode, drag.delta))

    def _track_shift(self, grabbed: ClipItem, y: float) -> int:
        """How many tracks of the grabbed clip's kind the pointer is away from its own track."""
        same_kind = [r for r in self.rows if r.kind == grabbed.ref.kind]
        row = self.row_at(y)
        if row is None or row.kind != grabbed.ref.kind or row.locked:
            return 0
        here = next(i for i, r in enumerate(same_kind) if r.track_index == grabbed.ref.track_index)
        there = same_kind.index(row)
        # Display order is top-down; the request counts in timeline order (V1 -> V2 is +1).
        return (here - there) if grabbed.ref.kind == "video" else (there - here)

    def _shifted_row(self, ref: ClipRef, shift: int) -> TrackRow | None:
        same_kind = sorted((r for r in self.rows if r.kind == ref.kind), key=lambda r: r.track_index)
        here = next(i for i, r in enumerate(same_kind) if r.track_index == ref.track_index)
        return same_kind[here + shift] if 0 <= here + shift < len(same_kind) else None

    def contextMenuEvent(self, event) -> None:  # noqa: ANN001 - Qt signature
        item = self.clip_item_at(event.pos())
        if item is not None and not item.isSelected():
            self.scene().clearSelection()
            item.setSelected(True)
        self.contextMenuRequested.emit(item, event.globalPos())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Keys belong to the editor's actions; the view must not eat them for scrolling.
        event.ignore()

    # -- drops ---------------------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:  # noqa: ANN001 - Qt signature
        mime = event.mimeData()
        if mime.hasFormat(TAKE_MIME) or mime.hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: ANN001 - Qt signature
        self.dragEnterEvent(event)
        if event.isAccepted():
            self.drop_marker = self.drop_time(event.position().toPoint())
            self.viewport().update()

    def dragLeaveEvent(self, event) -> None:  # noqa: ANN001 - Qt signature
        self.drop_marker = None
        self.viewport().update()

    def drop_time(self, pos: QPoint) -> float:
        """The time a drop at viewport point `pos` inserts at: snapped to edges and the playhead."""
        t = max(0.0, self.scale.t(self.mapToScene(pos).x()))
        return snap(t, self.snap_targets([]), self.snap_tolerance()) if self.snapping else t

    def dropEvent(self, event) -> None:  # noqa: ANN001 - Qt signature
        mime = event.mimeData()
        self.drop_marker = None
        self.viewport().update()
        scene_pos = self.mapToScene(event.position().toPoint())
        t = self.drop_time(event.position().toPoint())
        row = self.row_at(scene_pos.y())
        track_index = row.track_index if row is not None else -1
        take_ids = decode_take_ids(mime)
        if take_ids:
            overwrite = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
            self.takeDropped.emit(take_ids, t, track_index, overwrite, decode_take_span(mime))
        elif mime.hasUrls():
            paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
            if paths:
                self.filesDropped.emit(paths, t, track_index)
        event.acceptProposedAction()


@dataclass
class _Drag:
    mode: str  # "move" | "head" | "tail" | "scrub"
    items: list[ClipItem]
    grabbed: ClipItem | None
    origin: QPointF
    delta: float = 0.0
    track_shift: int = 0
    moved: bool = False


def _trimmed(ref: ClipRef, edge: str, delta: float) -> ClipRef:
    if edge == "head":
        return dataclasses.replace(ref, start=ref.start + delta, duration=ref.duration - delta,
                                   source_start=ref.media_at(delta))
    return dataclasses.replace(ref, duration=ref.duration + delta)
