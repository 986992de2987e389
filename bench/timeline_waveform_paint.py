"""Timeline waveform painting: a 20 s clip against a one-hour file, at several zoom levels.

The editor slices the cached peak pyramid for the visible columns only, so a repaint costs what
the visible waveform width costs, whatever the file's length. Prints, per zoom level, the
median time to paint the track area (offscreen, 1400 px wide) and how many waveform columns
were visible, for both files, and the one-hour case as a ratio to a 16 ms frame budget
(<= 1.0 is on target). At low zoom the 20 s clip is only a few columns wide, so it is cheaper.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/timeline_waveform_paint.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import opentimelineio as otio  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.library import Library  # noqa: E402
from studio.ui.tasks import wait_for_tasks  # noqa: E402
from studio.ui.timeline import TimelineEditor, edits  # noqa: E402

FRAME_BUDGET_MS = 16.0
RUNS = 15
ZOOMS = (2.0, 20.0, 200.0, 2000.0)  # pixels per second


def write_tone(path: Path, seconds: float, rate: int) -> Path:
    """A mono 16-bit WAV whose loudness wanders, written in one-minute blocks."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        block = 60 * rate
        for start in range(0, int(seconds * rate), block):
            t = (start + np.arange(min(block, int(seconds * rate) - start))) / rate
            level = 0.2 + 0.7 * np.abs(np.sin(2 * np.pi * t / 37.0))
            out.writeframes((level * np.sin(2 * np.pi * 220 * t) * 32000).astype("<i2").tobytes())
    return path


def audio_clip(path: Path, seconds: float) -> otio.schema.Clip:
    rate = 24
    span = otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(round(seconds * rate), rate))
    return otio.schema.Clip(name=path.stem, source_range=span,
                            media_reference=otio.schema.ExternalReference(path.as_uri(), span))


def paint_ms(editor: TimelineEditor, pps: float, centre: float) -> tuple[float, int]:
    editor.view.set_pixels_per_second(pps)
    editor.view.horizontalScrollBar().setValue(round(editor.view.scale.x(centre) - 600))
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        editor.view.viewport().grab()
        times.append((time.perf_counter() - start) * 1000)
    t0, t1 = editor.view.visible_span()
    item = editor.view.clip_items[0]
    columns = max(0, round(editor.view.scale.x(min(t1, item.ref.end) - max(t0, item.ref.start))))
    return statistics.median(times), columns


def measure(lib: Library, path: Path, seconds: float) -> tuple[float, dict[float, tuple[float, int]]]:
    editor = TimelineEditor(lib)
    editor.resize(1400, 300)
    editor.set_project(lib.create_project(path.stem).id)
    editor.run_edit("Add", edits.plan_insert(None, audio_clip(path, seconds), 0.0, None, "A1"))
    editor.show()
    item = editor.view.clip_items[0]
    start = time.perf_counter()
    while not editor.catalog.waveform_ready(item.media):
        QApplication.processEvents()
        wait_for_tasks(50)
    QApplication.processEvents()
    build_s = time.perf_counter() - start
    results = {pps: paint_ms(editor, pps, seconds / 2) for pps in ZOOMS}
    editor.close()
    return build_s, results


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lib = Library.open(folder / "library")
        short = write_tone(folder / "twenty-seconds.wav", 20.0, 48000)
        hour = write_tone(folder / "one-hour.wav", 3600.0, 8000)
        build_short, short_ms = measure(lib, short, 20.0)
        build_hour, hour_ms = measure(lib, hour, 3600.0)
        lib.close()
    print(f"peak pyramid build (once, cached on disk): 20 s {build_short:.2f} s, one hour {build_hour:.2f} s")
    print(f"{'zoom px/s':>10} {'20 s ms':>9} {'columns':>8} {'1 h ms':>9} {'columns':>8} {'1h/budget':>10}")
    for pps in ZOOMS:
        (s_ms, s_cols), (h_ms, h_cols) = short_ms[pps], hour_ms[pps]
        print(f"{pps:>10g} {s_ms:>9.2f} {s_cols:>8} {h_ms:>9.2f} {h_cols:>8} {h_ms / FRAME_BUDGET_MS:>10.2f}")
    app.quit()


if __name__ == "__main__":
    main()
