"""Resume (issue 15): a paused job says what Resume will do for it, and it does: continue from the step it paused at
where its model keeps a resume point (studio/engine/resume.py), otherwise restart, with the reason.

The old card said "resume restarts from step 1" for every job (it did); now the sentence is the engine's, per job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from window_helpers import open_window, tiny_recipe

from studio.engine.events import EngineEvent
from studio.engine.runner import Runner
from studio.library import Library
from studio.ui.queue_panel import QueuePanel

WAIT_MS = 120_000
REPO = Path(__file__).resolve().parent.parent


def test_a_paused_card_says_resume_continues_and_resume_does_continue(qtbot, lib):
    window = open_window(qtbot, lib, start_engine=False)
    seen: list[EngineEvent] = []
    window.bridge.event.connect(seen.append)
    runner = Runner(lib, on_event=window.bridge.on_event)
    window.runner = runner
    runner.start()
    try:
        window.submit(tiny_recipe("a kite over the dunes", steps=400))
        qtbot.waitUntil(lambda: bool(window.queue_panel.take_ids()), timeout=WAIT_MS)
        take_id = window.queue_panel.take_ids()[0]
        card = window.queue_panel.card(take_id)
        qtbot.waitUntil(lambda: card.state.phase == "denoising" and card.state.step >= 3, timeout=WAIT_MS)
        qtbot.mouseClick(card.pause, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: card.state.phase == "paused", timeout=WAIT_MS)
        paused_at = card.state.step
        assert paused_at >= 3
        said = f"Resume continues from step {paused_at + 1} of 400"
        assert f"at step {paused_at}/400 · resume continues from step {paused_at + 1} of 400" in card.phase.toolTip()
        assert said in card.pause.toolTip()
        assert next(e for e in seen if e.phase == "paused").message == f"{said}."
        seen.clear()
        qtbot.mouseClick(card.pause, Qt.MouseButton.LeftButton)  # Resume
        qtbot.waitUntil(lambda: any(e.phase == "denoising" for e in seen), timeout=WAIT_MS)
        # What the card said is what happens: the steps go on from where it paused, not from 1.
        assert next(e for e in seen if e.phase == "denoising").step == paused_at + 1
        runner.cancel(take_id)
        qtbot.waitUntil(lambda: card.state.phase == "canceled", timeout=WAIT_MS)
    finally:
        window.shutdown()


def test_a_paused_card_of_a_mode_that_cannot_resume_says_it_restarts_and_why(qtbot):
    panel = QueuePanel()
    qtbot.addWidget(panel)
    panel.add_job(1, 1, "from a still", "denoising")
    why = "Resume restarts it from the first step: mode 'image' runs LTX2ConditionPipeline, whose steps are not kept"
    panel.apply_event(EngineEvent(1, 1, "denoising", 2, 4))
    panel.apply_event(EngineEvent(1, 1, "paused", message=f"{why}."))
    card = panel.card(1)
    assert "at step 2/4 · resume restarts from step 1" in card.phase.toolTip()
    assert why in card.phase.toolTip() and why in card.pause.toolTip()


def test_a_card_paused_before_it_ran_does_not_talk_of_steps(qtbot):
    panel = QueuePanel()
    qtbot.addWidget(panel)
    panel.add_job(1, 1, "waiting", "paused")
    assert panel.card(1).phase.toolTip() == "Paused"


def test_kinora_show_says_per_job_whether_resume_continues_or_restarts(tmp_path):
    folder = tmp_path / "lib"
    lib = Library.open(folder)
    kept = lib.create_take(tiny_recipe("a lighthouse at night"))
    kept_job = lib.enqueue_job(kept.id)
    lib.set_job_status(kept_job.id, "paused")
    lib.set_job_resume(kept_job.id, 2, "Resume continues from step 3 of 4")
    waiting = lib.create_take(tiny_recipe("a harbour at dawn"))
    waiting_job = lib.enqueue_job(waiting.id)
    lib.set_job_status(waiting_job.id, "paused")  # paused before it ran: no resume point
    lib.close()
    env = {**os.environ, "KINORA_LIBRARY": str(folder)}

    def show(take_id, *extra):
        run = [sys.executable, "-m", "studio", "library", "show", str(take_id), *extra]
        return subprocess.run(run, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True).stdout

    assert f"job {kept_job.id}:   paused. Resume continues from step 3 of 4." in show(kept.id)
    assert json.loads(show(waiting.id, "--json"))["jobs"][0]["note"] == "Resume restarts it from the first step."


def test_a_paused_job_restored_at_start_up_shows_its_own_sentence(qtbot, lib):
    # The window restored paused jobs without their row's resume_note, so the card fell back to "restarts".
    take = lib.create_take(tiny_recipe("a kite at dusk"))
    job = lib.enqueue_job(take.id)
    lib.set_job_status(job.id, "paused")
    lib.set_job_resume(job.id, 41, "Resume continues from step 42 of 80.")
    window = open_window(qtbot, lib, start_engine=False)
    try:
        qtbot.waitUntil(lambda: window.queue_panel.card(take.id) is not None, timeout=WAIT_MS)
        card = window.queue_panel.card(take.id)
        assert "Resume continues from step 42 of 80" in card.pause.toolTip()
    finally:
        window.shutdown()
