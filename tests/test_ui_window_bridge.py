"""The engine bridge: events from a worker thread arrive on the GUI thread, steps coalesced, phases kept."""

from __future__ import annotations

import threading

import numpy as np

from studio.app import make_application
from studio.engine.events import EngineEvent
from studio.ui.engine_bridge import EngineBridge


def test_events_from_the_engine_thread_arrive_on_the_gui_thread_in_order(qtbot):
    make_application()
    bridge = EngineBridge()
    got: list[tuple[str, int, bool, bool]] = []
    bridge.event.connect(lambda e: got.append((e.phase, e.step, e.preview_rgb is not None,
                                               threading.current_thread() is threading.main_thread())))
    picture = np.zeros((4, 4, 3), np.uint8)

    def engine() -> None:
        bridge.on_event(EngineEvent(1, 1, "loading"))
        for step in range(1, 51):
            bridge.on_event(EngineEvent(1, 1, "denoising", step, 50, preview_rgb=picture if step % 10 == 0 else None))
        bridge.on_event(EngineEvent(1, 1, "decoding"))
        bridge.on_event(EngineEvent(1, 1, "done"))

    worker = threading.Thread(target=engine)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(got) and got[-1][0] == "done", timeout=10_000)
    assert all(on_gui for *_, on_gui in got)
    phases = [phase for phase, *_ in got]
    assert phases[0] == "loading" and phases[-2:] == ["decoding", "done"]
    steps = [(step, has_picture) for phase, step, has_picture, _ in got if phase == "denoising"]
    assert steps[-1] == (50, True)  # the newest step, still carrying the newest picture
    assert [s for s, _ in steps] == sorted(s for s, _ in steps)
