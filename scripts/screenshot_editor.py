"""Screenshots of the editor under Xvfb: projects, the Source and Program monitors, the Inspector with clip
properties, and an export in the Queue dock.

    .venv/bin/python scripts/screenshot_editor.py [OUT_FOLDER]   (default docs/)

Uses a scratch library and config folder and makes its takes with the built-in generators (title
card, countdown leader, bars and tone), so no engine or weights are needed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from screenshot import start_xvfb, wait  # noqa: E402

SCREEN = (1440, 900)  # the size the studio opens at: its default layout must fit it


def settle(app, seconds: float = 0.8) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)


def grab_screen(app, out: Path) -> None:
    """The whole screen (the window and any dialog over it)."""
    settle(app)
    if not app.primaryScreen().grabWindow(0).save(str(out), "PNG"):
        sys.exit(f"screenshot: could not write {out}")
    print(f"wrote {out}")


def make_takes(lib, folder: Path) -> list[int]:
    from studio.media.encode import write_clip
    from studio.media.generators import bars_and_tone, countdown_leader, title_card
    from studio.recipe import Recipe

    made = []
    for name, clip in (("Opening title", title_card("Kinora Studio", 3.0, 24, (640, 360))),
                       ("Countdown", countdown_leader(4, 24, (640, 360))),
                       ("Bars and tone", bars_and_tone(3.0, 24, (640, 360)))):
        path = write_clip(clip.frames, clip.audio, 24, 48000, folder / f"{name}.mp4", preset="ultrafast")
        recipe = Recipe(prompt=name, model_id="builtin:title", seconds=3, fps=24, width=640, height=360)
        take = lib.create_take(recipe)
        made.append(lib.complete_take(take.id, path, recipe=recipe, timings={"total_s": 0.1}).id)
    return made


def main(out_dir: Path) -> None:
    server = start_xvfb(SCREEN)
    scratch = Path(tempfile.mkdtemp(prefix="kinora-screens-"))
    os.environ["KINORA_LIBRARY"] = str(scratch / "library")
    os.environ["KINORA_CONFIG"] = str(scratch / "config")
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    try:
        shoot(out_dir, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if server is not None:
            server.terminate()
            server.wait(10)


def shoot(out_dir: Path, scratch: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from studio.app import create_main_window, make_application
    from studio.library import Library
    from studio.ui.export_dialog import ExportDialog
    from studio.ui.projects import ProjectSwitcher
    from studio.ui.tasks import wait_for_tasks

    app = make_application()
    lib = Library.open()
    takes = make_takes(lib, scratch)
    for name in ("Trailer — first cut", "Festival teaser 9:16", "Behind the scenes"):
        lib.create_project(name)
    window = create_main_window(lib, start_engine=False)
    window.setGeometry(0, 0, *SCREEN)
    window.show()
    window.start()
    wait(app, lambda: window.project_id is not None and window.prompt_panel.model.count() > 0, 60, "the studio")
    out_dir.mkdir(parents=True, exist_ok=True)

    # 1. Projects: an edit on screen (unsaved marker in the title) and the switcher over it.
    start = 0.0
    for take_id in takes:
        window.timeline.insert_take(take_id, start)
        start = window.timeline.timeline().duration().to_seconds()
    settle(app)
    window.timeline.view.zoom_to_fit()
    switcher = ProjectSwitcher(lib.list_projects(), window.project_id, window)  # File > Switch Project
    switcher.move(520, 240)
    switcher.show()
    grab_screen(app, out_dir / "screenshot-projects.png")
    switcher.close()

    # 2. The monitors: a take in Source (paused inside it), the edit in Program at a ruler click.
    from studio.ui.library.query import describe_take

    monitors = window.monitors
    monitors.play_take(describe_take(lib, lib.take(takes[2])))
    wait(app, lambda: monitors.source.player.playing, 60, "the Source monitor")
    monitors.source.pause()
    for at, is_in in ((0.5, True), (2.5, False)):  # In and Out on the Source take, as I and O set them
        monitors.source.seek(at)
        monitors.mark_source(is_in)
    monitors.source.seek(1.2)
    window.timeline.ruler.scrubbed.emit(4.6)
    wait(app, lambda: monitors.program.showing_timeline and abs(monitors.program.player.position - 4.6) < 0.05, 60,
         "the Program monitor")
    grab_screen(app, out_dir / "screenshot-program-monitor.png")

    # 3. The Inspector with the selected clip's position and in/out (timecode), sound and reframe: the
    # bars trimmed to start 12 frames in, reframed to 70 % a little left over their blurred fill.
    bars = [i for i in window.timeline.view.clip_items if i.ref.track_index == 0][2]
    bars.setSelected(True)
    wait(app, window.clip_inspector.isVisible, 30, "the clip inspector")
    inspector = window.clip_inspector
    inspector.source_in.setText("00:00:00:12")
    inspector.gain.setValue(-6.0)
    inspector.fade_in.setValue(0.5)
    inspector.fade_out.setValue(1.0)
    inspector.keys.setText("0:0, 1.5:-12")
    inspector.text.setText("Colour check")
    inspector.reframe.setCurrentIndex(inspector.reframe.findData("custom"))
    inspector.scale.setValue(70)
    inspector.offset_x.setValue(-10)
    inspector.apply()
    wait(app, lambda: not inspector.isHidden() and inspector.source_in.text() == "00:00:00:12", 30,
         "the Inspector to show the applied clip")
    window.timeline.ruler.scrubbed.emit(8.0)  # the monitor follows the edit: the reframed bars, titled
    wait(app, lambda: monitors.program.showing_timeline and abs(monitors.program.player.position - 8.0) < 0.05, 60,
         "the Program monitor at 8 s")
    grab_screen(app, out_dir / "screenshot-inspector.png")

    # 4. An export running in the Queue dock (In/Out marked on the timeline).
    window.timeline.set_mark_in(1.0)
    window.timeline.set_mark_out(9.0)
    window.show_export()  # opens once the project is saved (a worker thread)

    def shown() -> ExportDialog | None:
        return next((w for w in QApplication.topLevelWidgets() if isinstance(w, ExportDialog) and w.isVisible()), None)

    wait(app, lambda: shown() is not None, 60, "the export dialog")
    dialog = shown()
    dialog.path.setText(str(scratch / "trailer.mp4"))
    dialog.preset.setCurrentIndex(dialog.preset.findData("16:9"))
    dialog.start()
    row = window.export_queue.rows[0]
    wait(app, lambda: 0.15 < row.bar.value() / 1000 < 0.9 or row.path is not None, 300, "export progress")
    grab_screen(app, out_dir / "screenshot-export-queue.png")
    wait(app, lambda: not row.job.running, 600, "the export to finish")
    window.close()
    wait_for_tasks(30000)
    lib.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs")
