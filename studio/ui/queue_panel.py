"""The Queue dock: one card per job with phase, progress, elapsed/ETA, live preview and controls.

Cards are fed by engine events (through the bridge) and by the library's durable queue at start-up,
where jobs left over from the last session come back paused. Drag a card by its grip to reorder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QDrag, QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.events import ENDED_PHASES, WAITING_PHASES, resume_sentence
from studio.formatting import format_duration
from studio.ui.chrome import button_face, draw_panel
from studio.ui.library.thumbnails import rgb_to_qimage
from studio.ui.remix import remix_mode
from studio.ui.theme import CARD, FIELD_BORDER, Tone, icon, tone

JOB_MIME = "application/x-kinora-job"
PHASE_LABELS = {
    "queued": "Waiting", "loading": "Loading model", "encoding": "Reading the prompt", "denoising": "Denoising",
    "decoding": "Decoding", "writing": "Writing the file", "done": "Done", "failed": "Failed",
    "canceled": "Canceled", "paused": "Paused",
}
DONE_LINGER_MS = 4000  # a finished card stays this long so the user sees it finish
# The widest clock text a card shows: its label is this wide whatever it says, so the ETA is never clipped and
# the buttons under it never move as the numbers change (`h:mm:ss` covers jobs up to ten hours).
WIDEST_TIMES = "8:88:88 · ETA 8:88:88"
BUTTON_SIZE = 26


def remix_label(kind: str | None) -> str:
    """"Extend" for a remix kind; a kind a newer Kinora wrote is shown as it is."""
    if not kind:
        return ""
    try:
        return remix_mode(kind).label
    except KeyError:
        return kind.replace("_", " ")


@dataclass
class JobState:
    """What a card shows about one job."""

    take_id: int
    job_id: int | None
    prompt: str
    phase: str = "queued"
    step: int = 0
    total: int = 0
    elapsed_s: float | None = None
    eta_s: float | None = None
    message: str = ""
    seen_at: float = field(default_factory=time.monotonic)
    origin: str = ""  # "api": queued through `kinora serve`
    remix_kind: str | None = None  # a RemixKind value when the take remixes another

    @property
    def fraction(self) -> float:
        if self.phase == "done":
            return 1.0
        return self.step / self.total if self.total else 0.0


class _TimesLabel(QLabel):
    """As wide as the widest time it can show, measured in its own font when asked (the application font can
    change after construction): the ETA never clips and the buttons beside it never move."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(WIDEST_TIMES) + 4, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()


class JobCard(QFrame):
    """One job. Buttons emit through the panel; the grip starts a reorder drag."""

    def __init__(self, state: JobState, panel: QueuePanel) -> None:
        super().__init__(objectName="jobCard")
        self.state = state
        self._panel = panel
        self.grip = QLabel()
        self.grip.setPixmap(icon("grip").pixmap(16, 16))
        self.grip.setCursor(Qt.CursorShape.OpenHandCursor)
        self.grip.setToolTip("Drag to change the order")
        self.preview = QLabel()
        self.preview.setFixedSize(72, 48)
        self.preview.setStyleSheet("background: #0e1014; border-radius: 3px;")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt = QLabel()
        self.kind = tone(QLabel(), Tone.HINT)  # the remix kind ("Extend"), empty for a take made from scratch
        self.phase = tone(QLabel(), Tone.HINT)
        self.times = tone(_TimesLabel(), Tone.HINT)
        self.times.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.bar = QProgressBar(maximum=1000, textVisible=False)
        self.bar.setFixedHeight(8)
        self.pause = QToolButton()
        self.cancel = QToolButton(icon=icon("cancel"), toolTip="Cancel this job")
        for button in (self.pause, self.cancel):
            button_face(button).setFixedSize(BUTTON_SIZE, BUTTON_SIZE)
        self.pause.clicked.connect(self._pause_clicked)
        self.cancel.clicked.connect(self._cancel_clicked)
        # The prompt and phase may not widen the card (the dock can be narrow): they are elided to the width
        # they get, with the whole text in the tooltip.
        self.prompt.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.phase.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 6)
        grid.addWidget(self.grip, 0, 0, 3, 1)
        grid.addWidget(self.preview, 0, 1, 3, 1)
        grid.addWidget(self.prompt, 0, 2)
        grid.addWidget(self.kind, 0, 3, 1, 2, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.phase, 1, 2)
        grid.addWidget(self.times, 1, 3, 1, 2, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.bar, 2, 2, 1, 1)
        grid.addWidget(self.pause, 2, 3)
        grid.addWidget(self.cancel, 2, 4)
        grid.setColumnStretch(2, 1)
        self.refresh()

    def _elide(self, label: QLabel, text: str) -> None:
        label.setText(label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(60, label.width())))

    def refresh(self) -> None:
        s = self.state
        self._elide(self.prompt, s.prompt or f"Take {s.take_id}")
        self.prompt.setToolTip(s.prompt)
        kind = remix_label(s.remix_kind)
        self.kind.setText(f"Remix · {kind}" if kind else "")
        self.kind.setVisible(bool(kind))
        label = ("API · " if s.origin == "api" else "") + PHASE_LABELS.get(s.phase, s.phase)
        if s.phase == "denoising" and s.total:
            label += f" {s.step}/{s.total}"
        # What Resume does is the engine's word for this job (its paused message, or its row's note when restored).
        resume = resume_sentence(s.message.rstrip(".")) if s.phase == "paused" else ""
        if s.phase == "paused" and s.step:
            continues = resume.startswith("Resume continues")
            label += f" at step {s.step}/{s.total} · " + (
                resume[:-1].replace("Resume", "resume", 1) if continues else "resume restarts from step 1")
        if s.message and s.phase in ("failed", "canceled"):
            label += f": {s.message}"
        self._elide(self.phase, label)
        # The whole sentence, with the reason a job restarts (its mode or model keeps no resume point).
        self.phase.setToolTip(f"{label}\n{resume}" if resume and (s.step or s.message) else label)
        self.bar.setValue(int(s.fraction * 1000))
        elapsed = s.elapsed_s
        if elapsed is not None and s.phase not in ENDED_PHASES and s.phase not in WAITING_PHASES:
            elapsed += time.monotonic() - s.seen_at  # keep the clock moving between events
        eta = "" if s.eta_s is None or s.phase in ENDED_PHASES else f" · ETA {format_duration(s.eta_s)}"
        self.times.setText(f"{format_duration(elapsed)}{eta}" if elapsed is not None else "")
        paused = s.phase == "paused"
        self.pause.setIcon(icon("play" if paused else "pause"))
        self.pause.setToolTip(f"Resume this job. {resume}" if paused
                              else "Pause this job (it waits in the queue; Resume continues from the step it paused "
                                   "at where its model allows, otherwise restarts it)")
        final = s.phase in ENDED_PHASES
        self.pause.setEnabled(not final)
        self.cancel.setToolTip("Dismiss this finished job" if final else "Cancel this job")

    def paintEvent(self, event: QPaintEvent) -> None:
        draw_panel(self, border=FIELD_BORDER, fill=CARD)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.refresh()  # re-elide the prompt to the new width

    def show_preview(self, rgb) -> None:
        image = rgb_to_qimage(rgb)
        self.preview.setPixmap(QPixmap.fromImage(image).scaled(
            self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))

    def _cancel_clicked(self) -> None:
        if self.state.phase in ENDED_PHASES:
            self._panel.remove_job(self.state.take_id)
        else:
            self._panel.cancel_requested.emit(self.state.take_id)

    def _pause_clicked(self) -> None:
        if self.state.phase == "paused":
            self._panel.resume_requested.emit(self.state.take_id)
        else:
            self._panel.pause_requested.emit(self.state.take_id)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.grip.geometry().contains(event.position().toPoint()):
            mime = QMimeData()
            mime.setData(JOB_MIME, QByteArray(str(self.state.take_id).encode("ascii")))
            drag = QDrag(self)
            drag.setMimeData(mime)
            drag.setPixmap(self.grab())
            drag.setHotSpot(event.position().toPoint())
            drag.exec(Qt.DropAction.MoveAction)
            return
        super().mousePressEvent(event)


class _CardList(QWidget):
    """The column of cards; accepts card drops to reorder."""

    def __init__(self, panel: QueuePanel) -> None:
        super().__init__()
        self._panel = panel
        self.setAcceptDrops(True)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(4, 4, 4, 4)
        self.layout_.setSpacing(6)
        self.empty = tone(QLabel("No jobs. Write a prompt and press Generate (Ctrl+Enter)."), Tone.HINT)
        self.empty.setWordWrap(True)
        self.layout_.addWidget(self.empty)
        self.layout_.addStretch(1)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(JOB_MIME):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(JOB_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if not event.mimeData().hasFormat(JOB_MIME):
            return
        take_id = int(bytes(event.mimeData().data(JOB_MIME).data()).decode("ascii"))
        event.acceptProposedAction()
        self._panel.move_card(take_id, self._panel.index_at(event.position().toPoint()))


class QueuePanel(QWidget):
    """All jobs, newest last. Controls are emitted as signals; the window calls the runner off-thread."""

    cancel_requested = Signal(int)  # take id
    pause_requested = Signal(int)
    resume_requested = Signal(int)
    order_changed = Signal(list)  # job ids of the waiting jobs, in their new order
    finished_cleared = Signal()  # "Clear finished" was pressed (the window clears finished exports too)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cards: dict[int, JobCard] = {}
        self._list = _CardList(self)
        scroll = self._scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._list)
        self.clear = QPushButton("Clear finished", toolTip="Dismiss every done, failed or canceled job")
        self.clear.setEnabled(False)
        self.clear.clicked.connect(self.clear_finished)
        header = QHBoxLayout()
        header.setContentsMargins(4, 4, 4, 0)
        header.addStretch(1)
        header.addWidget(self.clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(scroll)
        self._clock = QTimer(self, interval=500)  # elapsed time keeps counting between events
        self._clock.timeout.connect(self._tick)
        self._clock.start()

    # -- state ----------------------------------------------------------------------------------
    def card(self, take_id: int) -> JobCard | None:
        return self._cards.get(take_id)

    def take_ids(self) -> list[int]:
        """Take ids of the cards, top to bottom."""
        order = []
        for i in range(self._list.layout_.count()):
            widget = self._list.layout_.itemAt(i).widget()
            if isinstance(widget, JobCard):
                order.append(widget.state.take_id)
        return order

    def add_job(self, take_id: int, job_id: int | None, prompt: str, phase: str = "queued",
                remix_kind: str | None = None, note: str = "") -> JobCard:
        """Show a job (submitted now, or restored from the durable queue: `note` is a paused job's row's
        `resume_note`, what Resume will do)."""
        card = self._cards.get(take_id)
        if card is None:
            card = JobCard(JobState(take_id, job_id, prompt, phase, message=note, remix_kind=remix_kind), self)
            self._cards[take_id] = card
            self._list.layout_.insertWidget(self._list.layout_.count() - 1, card)
            self._list.empty.hide()
            # A scroll area does not pass its content's minimum width on: without this the dock could be
            # narrower than a card, whose times and buttons were then cut off at its right edge.
            room = card.minimumSizeHint().width() + self._scroll.verticalScrollBar().sizeHint().width()
            self._scroll.setMinimumWidth(max(self._scroll.minimumWidth(), room))
        else:  # engine events got here first: they know the phase better than the caller
            card.state.job_id = job_id if job_id is not None else card.state.job_id
            card.state.prompt = prompt or card.state.prompt
            card.state.remix_kind = remix_kind or card.state.remix_kind
            card.refresh()
        self._update_clear()
        return card

    def apply_event(self, event) -> None:
        """Update a card from an engine event (GUI thread)."""
        card = self._cards.get(event.take_id) or self.add_job(event.take_id, event.job_id, event.message
                                                              if event.phase == "queued" else "")
        s = card.state
        s.phase = event.phase
        s.origin = getattr(event, "origin", "") or s.origin
        s.job_id = event.job_id if event.job_id is not None else s.job_id
        if event.total:
            s.step, s.total = event.step, event.total
        if event.elapsed_s is not None:
            s.elapsed_s = event.elapsed_s
        s.eta_s = event.eta_s
        s.seen_at = time.monotonic()
        if event.phase in ("failed", "canceled", "paused"):  # a paused job's message says what Resume will do
            s.message = event.message or ""
        card.refresh()
        if event.preview_rgb is not None:
            card.show_preview(event.preview_rgb)
        if event.phase in ("done", "canceled"):  # a failed card stays until dismissed: its message matters
            QTimer.singleShot(DONE_LINGER_MS, self, lambda take_id=event.take_id: self._remove_if_ended(take_id))
        self._update_clear()

    def _remove_if_ended(self, take_id: int) -> None:
        card = self._cards.get(take_id)
        if card is not None and card.state.phase in ENDED_PHASES:
            self.remove_job(take_id)

    def remove_job(self, take_id: int) -> None:
        card = self._cards.pop(take_id, None)
        if card is not None:
            card.setParent(None)
            card.deleteLater()
        self._list.empty.setVisible(not self._cards)
        self._update_clear()

    def clear_finished(self) -> None:
        """Dismiss every card whose job is over (done, failed, canceled)."""
        for take_id in [t for t, card in self._cards.items() if card.state.phase in ENDED_PHASES]:
            self.remove_job(take_id)
        self.finished_cleared.emit()

    def _update_clear(self) -> None:
        self.clear.setEnabled(any(card.state.phase in ENDED_PHASES for card in self._cards.values()))

    def _tick(self) -> None:
        for card in self._cards.values():
            if card.state.phase not in ENDED_PHASES and card.state.phase not in WAITING_PHASES:
                card.refresh()

    # -- reorder --------------------------------------------------------------------------------
    def index_at(self, pos: QPoint) -> int:
        """Card index a drop at `pos` (in the list's coordinates) lands on."""
        ids = self.take_ids()
        for index, take_id in enumerate(ids):
            if pos.y() < self._cards[take_id].geometry().center().y():
                return index
        return len(ids)

    def move_card(self, take_id: int, index: int) -> None:
        """Put a card at `index` and announce the new order of waiting jobs."""
        card = self._cards.get(take_id)
        if card is None:
            return
        ids = self.take_ids()
        old = ids.index(take_id)
        if index > old:
            index -= 1  # the card leaves its old slot first
        if index == old:
            return
        layout = self._list.layout_
        layout.removeWidget(card)
        layout.insertWidget(index + 1, card)  # slot 0 of the layout is the "no jobs" label
        self.order_changed.emit([self._cards[t].state.job_id for t in self.take_ids()
                                 if self._cards[t].state.phase in ("queued", "paused")
                                 and self._cards[t].state.job_id is not None])
