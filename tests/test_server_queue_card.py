"""API jobs are marked "API" on their Queue dock cards (the engine's events carry the job's origin)."""

from __future__ import annotations

from studio.engine.events import EngineEvent
from studio.ui.queue_panel import QueuePanel


def test_a_job_queued_through_the_api_is_marked_on_its_card(qtbot) -> None:
    panel = QueuePanel()
    qtbot.addWidget(panel)
    panel.apply_event(EngineEvent(7, 3, "loading", origin="api"))
    panel.apply_event(EngineEvent(7, 3, "denoising", step=1, total=4, origin="api"))
    panel.apply_event(EngineEvent(8, 4, "loading"))
    assert panel.card(7).phase.text().startswith("API · ")
    assert not panel.card(8).phase.text().startswith("API")
