"""Queue dock rows (issue 15): the ETA is never clipped and the buttons never move as the numbers change, the
remix kind is shown, finished rows can be cleared (one by one or all at once), canceled rows do not stay.

The old tests drove whole jobs through the window and looked at phases, never at the geometry of a card,
at what a remix card says, or at cards left behind after a cancel."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from studio.cancel import CancelToken
from studio.engine.events import EngineEvent
from studio.ui import queue_panel
from studio.ui.export_job import ExportJob, ExportQueue
from studio.ui.queue_panel import QueuePanel


def _panel(qtbot, width: int = 320) -> QueuePanel:
    panel = QueuePanel()
    qtbot.addWidget(panel)
    panel.resize(width, 400)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _button_spots(panel: QueuePanel, take_id: int) -> tuple[QPoint, QPoint]:
    card = panel.card(take_id)
    return card.pause.mapTo(panel, QPoint(0, 0)), card.cancel.mapTo(panel, QPoint(0, 0))


def test_eta_is_never_clipped_and_the_buttons_do_not_move(qtbot):
    panel = _panel(qtbot)
    panel.add_job(1, 1, "a lighthouse at night in a storm, waves over the rocks, long lens")
    spots, texts = [], []
    for elapsed, eta, step in ((1.0, None, 1), (65.0, 3.0, 9), (3725.0, 35999.0, 120), (5.0, 0.4, 999)):
        panel.apply_event(EngineEvent(1, 1, "denoising", step=step, total=1000, elapsed_s=elapsed, eta_s=eta))
        qtbot.wait(20)  # let the layout settle on the new text
        card = panel.card(1)
        text = card.times.text()
        assert card.times.fontMetrics().horizontalAdvance(text) <= card.times.contentsRect().width(), text
        assert card.times.mapTo(card, QPoint(card.times.width(), 0)).x() <= card.contentsRect().right() + 1
        spots.append(_button_spots(panel, 1))
        texts.append(text)
    assert len(set(spots)) == 1, spots  # the same place whatever the clock says
    assert texts[2] == "1:02:05 · ETA 9:59:59"


def test_a_remix_card_says_which_remix_it_is(qtbot):
    panel = _panel(qtbot)
    panel.add_job(1, 1, "the ball in the rain", remix_kind="extend")
    panel.add_job(2, 2, "from scratch")
    assert panel.card(1).kind.text() == "Remix · Extend"
    assert not panel.card(1).kind.isHidden()
    assert panel.card(2).kind.isHidden()
    panel.apply_event(EngineEvent(1, 1, "denoising", step=1, total=4))  # events do not lose it
    assert panel.card(1).kind.text() == "Remix · Extend"


def test_finished_cards_are_dismissed_one_by_one_or_all_at_once(qtbot):
    panel = _panel(qtbot)
    for take_id, phase in ((1, "done"), (2, "failed"), (3, "canceled"), (4, "denoising"), (5, "paused")):
        panel.add_job(take_id, take_id, f"take {take_id}")
        panel.apply_event(EngineEvent(take_id, take_id, phase, message="out of memory" if phase == "failed" else ""))
    assert panel.clear.isEnabled()
    done = panel.card(1)
    assert done.cancel.isEnabled()  # a done card has its dismiss button too
    qtbot.mouseClick(done.cancel, Qt.MouseButton.LeftButton)
    assert panel.card(1) is None
    cleared = []
    panel.finished_cleared.connect(lambda: cleared.append(True))
    qtbot.mouseClick(panel.clear, Qt.MouseButton.LeftButton)
    assert panel.take_ids() == [4, 5]  # running and paused jobs are not finished
    assert cleared == [True]
    assert not panel.clear.isEnabled()


def test_a_canceled_card_goes_away_by_itself_but_a_failed_one_stays(qtbot, monkeypatch):
    monkeypatch.setattr(queue_panel, "DONE_LINGER_MS", 10)
    panel = _panel(qtbot)
    for take_id, phase in ((1, "canceled"), (2, "failed")):
        panel.add_job(take_id, take_id, f"take {take_id}")
        panel.apply_event(EngineEvent(take_id, take_id, phase, message="boom"))
    qtbot.waitUntil(lambda: panel.card(1) is None, timeout=2000)
    qtbot.wait(50)
    assert panel.take_ids() == [2]  # its message stays until the user dismisses it


def test_clear_finished_exports_keeps_the_running_one(qtbot, tmp_path):
    queue = ExportQueue()
    qtbot.addWidget(queue)
    release = threading.Event()
    out = tmp_path / "a.mp4"

    def quick(progress) -> Path:
        return out

    def slow(progress) -> Path:
        release.wait(10)
        return out

    jobs = [ExportJob(quick, CancelToken("export")), ExportJob(slow, CancelToken("export"))]
    rows = [queue.add(job, name) for job, name in zip(jobs, ("quick", "slow"), strict=True)]
    for job in jobs:
        job.start()
    qtbot.waitUntil(lambda: rows[0].path == out, timeout=5000)
    queue.clear_finished()
    assert queue.rows == [rows[1]]
    release.set()
    qtbot.waitUntil(lambda: not jobs[1].running, timeout=5000)
    queue.clear_finished()
    assert queue.rows == []
    assert queue.isHidden()
