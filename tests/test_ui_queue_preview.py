"""The Queue's live preview: a picture of the forming clip from the first denoising steps, not at the end."""

from __future__ import annotations

import numpy as np

from studio.app import make_application
from studio.engine.runner import Runner
from studio.recipe import Recipe
from studio.ui.engine_bridge import EngineBridge
from studio.ui.queue_panel import QueuePanel

WAIT_MS = 120_000
EVERY = 6


def shown_picture(card) -> np.ndarray | None:
    pixmap = card.preview.pixmap()
    if pixmap is None or pixmap.isNull():
        return None
    image = pixmap.toImage()
    return np.array([[image.pixelColor(x, y).value() for x in range(image.width())] for y in range(image.height())])


def test_the_queue_shows_a_live_preview_from_the_first_steps(qtbot, lib):
    # The old runner made its first preview at step `preview_every` (with tiny-random's 4 steps: the last
    # one), and a one-latent-pixel preview was stretched to black; no test looked at the card while it ran.
    make_application()
    bridge = EngineBridge()
    panel = QueuePanel()
    qtbot.addWidget(panel)
    first_shown: list[tuple[int, int, float]] = []  # (step, total, brightest value) when a picture first showed

    def on_event(event) -> None:
        panel.apply_event(event)
        card = panel.card(event.take_id)
        if event.phase == "denoising" and not first_shown and card is not None:
            picture = shown_picture(card)
            if picture is not None:
                first_shown.append((event.step, event.total, float(picture.max())))

    bridge.event.connect(on_event)
    runner = Runner(lib, on_event=bridge.on_event, preview_every=EVERY)
    runner.start()
    try:
        take_id = runner.submit(Recipe("a red ball", model_id="tiny-random", width=32, height=32, fps=24.0,
                                       seconds=0.5, steps=2 * EVERY, seed=1))
        qtbot.waitUntil(lambda: lib.take(take_id).status == "done", timeout=WAIT_MS)
    finally:
        runner.stop()
    assert first_shown, "no preview reached the Queue while denoising"
    step, total, brightest = first_shown[0]
    assert step < EVERY < total  # from the first steps, not after `preview_every` of them
    assert brightest > 0  # a picture, not the card's black background
