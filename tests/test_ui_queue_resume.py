"""Resume (issue 15): a paused job says that Resume restarts it from the first step, and it does.

Continuing from the paused step is not built (studio/engine/events.py RESUME_RESTARTS says why); the old
tests resumed only jobs that had never started, so a card that hid the lost steps went unnoticed."""

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


def test_a_paused_card_says_resume_restarts_and_resume_does_restart(qtbot, lib):
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
        assert f"at step {paused_at}/400 · resume restarts from step 1" in card.phase.toolTip()
        assert "restarts it from the first step" in card.pause.toolTip()
        assert "restarts it from the first step" in next(e for e in seen if e.phase == "paused").message
        seen.clear()
        qtbot.mouseClick(card.pause, Qt.MouseButton.LeftButton)  # Resume
        qtbot.waitUntil(lambda: any(e.phase == "denoising" for e in seen), timeout=WAIT_MS)
        # What the card said is what happens: the steps count again from 1, not from where it paused.
        assert next(e for e in seen if e.phase == "denoising").step == 1
        runner.cancel(take_id)
        qtbot.waitUntil(lambda: card.state.phase == "canceled", timeout=WAIT_MS)
    finally:
        window.shutdown()


def test_a_card_paused_before_it_ran_does_not_talk_of_steps(qtbot):
    panel = QueuePanel()
    qtbot.addWidget(panel)
    panel.add_job(1, 1, "waiting", "paused")
    assert panel.card(1).phase.toolTip() == "Paused"


def test_kinora_show_says_a_paused_job_restarts(tmp_path):
    folder = tmp_path / "lib"
    lib = Library.open(folder)
    take = lib.create_take(tiny_recipe("a lighthouse at night"))
    job = lib.enqueue_job(take.id)
    lib.set_job_status(job.id, "paused")
    lib.close()
    env = {**os.environ, "KINORA_LIBRARY": str(folder)}
    run = [sys.executable, "-m", "studio", "library", "show", str(take.id)]
    text = subprocess.run(run, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True).stdout
    assert f"job {job.id}:   paused. Resume restarts it from the first step." in text
    data = json.loads(subprocess.run([*run, "--json"], cwd=REPO, env=env, capture_output=True, text=True,
                                     timeout=120, check=True).stdout)
    assert data["jobs"][0]["note"] == "Resume restarts it from the first step."
