"""Open the real studio under Xvfb, generate takes through the prompt panel, and save a screenshot.

    .venv/bin/python scripts/screenshot.py [OUT.png]

Starts its own Xvfb (apt-get install xvfb) unless DISPLAY is set, uses a scratch library and config
folder, generates with the built-in title generator and with tiny-random (noise: no weights needed),
puts the takes on the timeline, opens one in the Source monitor, and grabs the window to
docs/screenshot-window.png while one more tiny-random take is still denoising in the queue.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEFAULT_OUT = REPO / "docs" / "screenshot-window.png"
SCREEN = (1600, 1000)


def start_xvfb(screen: tuple[int, int] = SCREEN) -> subprocess.Popen | None:
    """Start Xvfb on a free display and point DISPLAY at it (None when a display is already set)."""
    if os.environ.get("DISPLAY"):
        return None
    if shutil.which("Xvfb") is None:
        sys.exit("screenshot: Xvfb is not installed (apt-get install xvfb), and no DISPLAY is set.")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{screen[0]}x{screen[1]}x24",
                               "-nolisten", "tcp"], pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()  # Xvfb writes its display number once it accepts clients
    if not number:
        server.kill()
        sys.exit("screenshot: Xvfb did not start.")
    os.environ["DISPLAY"] = f":{number}"
    return server


def wait(app, condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Run the event loop until `condition` holds (the GUI stays live while the engine works)."""
    print(f"{time.strftime('%H:%M:%S')} waiting for {what}", flush=True)
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"screenshot: timed out waiting for {what}.")
        app.processEvents()
        time.sleep(0.01)


def generate(app, window, prompt: str, model: str, resolution: int, seconds: int, steps: int | None = None) -> int:
    """Fill the prompt panel as a creator would (the model's own steps unless given), press Generate, return the take's id."""
    panel = window.prompt_panel
    known = set(window.queue_panel.take_ids())
    panel.prompt.setPlainText(prompt)
    panel.model.setCurrentIndex(panel.model.findData(model))
    panel.aspect.setCurrentText("16:9")
    panel.resolution.setCurrentIndex(panel.resolution.findData(resolution))
    panel.duration.setValue(seconds)
    panel.advanced.setChecked(steps is not None)
    if steps is not None:
        panel.steps.setValue(steps)
    panel.generate()
    wait(app, lambda: set(window.queue_panel.take_ids()) - known, 60, f"'{prompt}' to be queued")
    return (set(window.queue_panel.take_ids()) - known).pop()


def main(out: Path) -> None:
    server = start_xvfb()
    scratch = Path(tempfile.mkdtemp(prefix="kinora-screenshot-"))
    os.environ["KINORA_LIBRARY"] = str(scratch / "library")
    os.environ["KINORA_CONFIG"] = str(scratch / "config")
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    try:
        shoot(out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if server is not None:
            server.terminate()
            server.wait(10)


def shoot(out: Path) -> None:
    from studio.app import create_main_window, make_application
    from studio.atomic import atomic_path
    from studio.library import Library
    from studio.ui.tasks import wait_for_tasks

    app = make_application()
    lib = Library.open()
    window = create_main_window(lib)
    window.setGeometry(0, 0, *SCREEN)
    window.show()
    window.start()
    wait(app, lambda: window.prompt_panel.model.count() > 0 and window.project_id is not None, 60, "the studio")

    title = generate(app, window, "Kinora Studio", "builtin:title", 256, 3)
    wait(app, lambda: lib.take(title).status == "done", 300, "the title card")
    noise = generate(app, window, "a red ball bounces on a wooden floor", "tiny-random", 64, 2)
    wait(app, lambda: lib.take(noise).status in ("done", "failed"), 600, "the tiny-random take")
    if lib.take(noise).status == "failed":
        sys.exit(f"screenshot: generation failed: {lib.take(noise).error}")

    window.timeline.insert_take(title, 0.0)
    window.timeline.insert_take(noise, 3.0)
    model = window.library_panel.model

    def shown_done(take_id: int) -> bool:
        row = model.row_of(take_id)
        return row is not None and model.item_at(row).media_path is not None

    wait(app, lambda: shown_done(title) and shown_done(noise), 60, "the library to show both takes")
    window.library_panel.select_take(noise)  # the Inspector shows its recipe
    item = window.library_panel.current_item()
    window.monitors.play_take(item)
    source = window.monitors.source
    wait(app, lambda: source.player.playing, 60, "the Source monitor to start")
    source.pause()
    source.seek(1.0)

    # One more take, grabbed while it is still denoising so the queue shows live progress. Twice tiny-random's
    # 4 steps: the live preview comes every 4th step, and 4 more leave time for the posters and the grab.
    window.queue_panel.clear.click()  # "Clear finished": the running job's row is the one in sight
    running = generate(app, window, "a blue bird flies over the sea at dawn", "tiny-random", 64, 4, steps=8)
    card = window.queue_panel.card(running)
    wait(app, lambda: card.state.phase == "denoising" and not card.preview.pixmap().isNull(), 600,
         "the queue to show progress and a live preview")
    thumbs = window.library_panel.thumbnails
    finished = [it for it in window.library_panel.model.items() if it.media_path is not None]
    wait(app, lambda: all(thumbs.poster(it.take_id, it.media_path, it.sha256) is not None for it in finished),
         120, "posters")
    window.library_panel.view.viewport().update()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:  # let the last repaints land
        app.processEvents()
        time.sleep(0.02)

    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        if not window.grab().save(str(tmp), "PNG"):
            sys.exit(f"screenshot: could not write {out}")
    print(f"wrote {out} ({window.width()}x{window.height()}); worst GUI stall {window.stall_probe.worst_ms:.0f} ms")
    window.close()
    wait_for_tasks(30000)
    lib.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
