"""Build a real three-clip edit with waveforms in a scratch library and save a screenshot of the editor.

Run under X (or Xvfb):  xvfb-run -a -s "-screen 0 1600x900x24" .venv/bin/python scripts/screenshot_timeline.py
Writes docs/screenshot-timeline.png (or the path given as the first argument).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QSplitter  # noqa: E402

from studio.atomic import atomic_path  # noqa: E402
from studio.library import Library  # noqa: E402
from studio.media import generators  # noqa: E402
from studio.media.encode import write_clip  # noqa: E402
from studio.recipe import Recipe  # noqa: E402
from studio.ui.tasks import wait_for_tasks  # noqa: E402
from studio.ui.theme import apply_theme  # noqa: E402
from studio.ui.timeline import TimelineEditor  # noqa: E402

SIZE = (320, 180)
FPS = 24


def chord(seconds: float, rate: int = 48000) -> np.ndarray:
    """A swelling and fading A-major chord with a beat, so the waveform has a shape to see."""
    t = np.arange(int(seconds * rate)) / rate
    tone = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    envelope = np.sin(np.pi * t / seconds) * (0.55 + 0.45 * np.abs(np.sin(2 * np.pi * 1.5 * t)))
    mono = (0.9 * envelope * tone).astype(np.float32)
    return np.stack([mono, mono], axis=1)


def add_take(lib: Library, folder: Path, prompt: str, clip: generators.GeneratedClip,
             audio: np.ndarray | None = None) -> int:
    """Store a generated clip as a finished "generated" take, as the engine would."""
    path = write_clip(np.asarray(clip.frames), clip.audio if audio is None else audio, clip.fps,
                      clip.sample_rate, folder / f"{prompt[:20]}.mp4")
    recipe = Recipe(prompt=prompt, seconds=clip.seconds, width=SIZE[0], height=SIZE[1], model_id="built-in")
    take = lib.create_take(recipe)
    return lib.complete_take(take.id, path, recipe=recipe, timings={"total": 0.5}).id


def build_edit(editor: TimelineEditor, lib: Library, folder: Path) -> None:
    leader = add_take(lib, folder, "Countdown leader", generators.countdown_leader(4, FPS, SIZE))
    bars = add_take(lib, folder, "Bars and tone", generators.bars_and_tone(3.0, FPS, SIZE, level=0.5))
    title = generators.title_card("KINORA", 6.0, FPS, SIZE, subtitle="a chord that swells",
                                  background=(40, 24, 64))
    card = add_take(lib, folder, "Title over a chord", title, chord(6.0))
    project = lib.create_project("Three-clip edit")
    editor.set_project(project.id)
    editor.insert_take(leader, 0.0)
    editor.insert_take(bars, 4.0)
    editor.insert_take(card, 7.0)
    # Cut the bars short and close the gap, as an editor would.
    editor.set_playhead(5.5)
    editor.split_at_playhead()
    bars_tail = next(i for i in editor.view.clip_items if i.ref.kind == "video" and i.ref.start == 5.5)
    bars_tail.setSelected(True)
    editor.delete_selected(ripple=True)
    editor.set_mark_in(6.5)
    editor.set_mark_out(9.0)
    editor.set_playhead(7.75)


def main(out: Path) -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    apply_theme(app)
    with tempfile.TemporaryDirectory() as tmp:
        lib = Library.open(Path(tmp) / "library")
        editor = TimelineEditor(lib)
        splitter = QSplitter()
        splitter.addWidget(editor)
        splitter.addWidget(editor.history_panel())
        splitter.setSizes([1150, 250])
        splitter.resize(1400, 270)
        splitter.setWindowTitle("Kinora — timeline")
        build_edit(editor, lib, Path(tmp))
        splitter.show()
        editor.view.zoom_to_fit()
        # Filmstrips and waveform pyramids are made on worker threads; let them land, then paint.
        for _ in range(50):
            app.processEvents()
            wait_for_tasks(200)
        app.processEvents()
        editor.view.zoom_to_fit()
        image = splitter.grab()
        with atomic_path(out) as tmp_png:
            if not image.save(str(tmp_png), "PNG"):
                raise SystemExit(f"could not write {out}")
        print(f"wrote {out} ({image.width()}x{image.height()})")
        splitter.close()
        lib.close()
    QTimer.singleShot(0, app.quit)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshot-timeline.png")
