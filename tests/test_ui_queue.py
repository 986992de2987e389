"""The Queue dock: cancel a running job from its card, reorder waiting jobs by drag, and jobs from
the last session come back paused."""

from __future__ import annotations

from PySide6.QtCore import Qt
from window_helpers import open_window, tiny_recipe

from studio.engine.runner import Runner
from studio.library import Library
from studio.recipe import Recipe
from studio.ui.tasks import wait_for_tasks

WAIT_MS = 120_000


def tiny(prompt: str, steps: int = 2) -> Recipe:
    return tiny_recipe(prompt, steps=steps)


def test_cancel_a_running_job_from_its_card(qtbot, lib):
    window = open_window(qtbot, lib)
    window.submit(tiny("a green field in the wind", steps=200))
    qtbot.waitUntil(lambda: bool(window.queue_panel.take_ids()), timeout=WAIT_MS)
    take_id = window.queue_panel.take_ids()[0]
    card = window.queue_panel.card(take_id)
    qtbot.waitUntil(lambda: card.state.phase == "denoising", timeout=WAIT_MS)
    qtbot.mouseClick(card.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.state.phase == "canceled", timeout=WAIT_MS)
    assert card.state.step < 200
    assert not card.pause.isEnabled()
    qtbot.waitUntil(lambda: lib.take(take_id).status == "canceled", timeout=WAIT_MS)
    qtbot.mouseClick(card.cancel, Qt.MouseButton.LeftButton)  # now it dismisses the card
    assert window.queue_panel.card(take_id) is None
    window.shutdown()


def test_dragging_a_card_reorders_the_waiting_jobs_in_the_library(qtbot, lib):
    window = open_window(qtbot, lib, start_engine=False)
    runner = Runner(lib, on_event=window.bridge.on_event)  # never started: the jobs wait
    window.runner = runner
    for prompt in ("first", "second", "third"):
        window.submit(tiny(prompt))
        qtbot.waitUntil(lambda p=prompt: any(window.queue_panel.card(t).state.prompt == p
                                             for t in window.queue_panel.take_ids()), timeout=WAIT_MS)
    first, second, third = window.queue_panel.take_ids()
    qtbot.waitUntil(lambda: all(window.queue_panel.card(t).state.job_id for t in (first, second, third)),
                    timeout=WAIT_MS)
    window.queue_panel.move_card(third, 0)
    assert window.queue_panel.take_ids() == [third, first, second]
    qtbot.waitUntil(lambda: [j.take_id for j in lib.list_jobs()] == [third, first, second], timeout=WAIT_MS)
    window.shutdown()


def test_jobs_left_by_a_crash_come_back_paused_and_resume(qtbot, tmp_path):
    folder = tmp_path / "crashed"
    before = Library.open(folder)
    take = before.create_take(tiny("a lighthouse at night"))
    before.enqueue_job(take.id)
    before.close()  # as if the studio died with the job waiting

    lib = Library.open(folder)  # recovers: the job is paused, not started by surprise
    try:
        window = open_window(qtbot, lib, start_engine=False)
        qtbot.waitUntil(lambda: window.queue_panel.card(take.id) is not None, timeout=WAIT_MS)
        card = window.queue_panel.card(take.id)
        assert card.state.phase == "paused"
        assert card.state.prompt == "a lighthouse at night"
        assert any("paused" in text for text, _ in window.messages)
        runner = Runner(lib, on_event=window.bridge.on_event)
        window.runner = runner
        runner.start()
        qtbot.mouseClick(card.pause, Qt.MouseButton.LeftButton)  # the button reads Resume now
        qtbot.waitUntil(lambda: lib.take(take.id).status == "done", timeout=WAIT_MS)
        window.shutdown()
    finally:
        wait_for_tasks(30_000)
        lib.close()
