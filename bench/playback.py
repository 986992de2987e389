"""Program monitor playback and studio start-up.

1. Playback: a 20 s 1080p30 edit of three clips (cut from the shared 1080p30 bench footage at different
   offsets, a one-second crossfade into the second, the last one with a 2 s volume fade-out and -6 dB
   of gain) played through the program
   monitor's path (TimelineSource from the one schedule, the Player, viewer size 960x540) against a
   stand-in audio clock (the wall-clock sink), polled at the Preview's 16 ms tick. Prints dropped and
   late frames and A/V drift against the clock, and the same for the footage played as one file (the
   baseline, measured in the same run). Target: 0 dropped, drift <= 10 ms.
2. Start-up: launch to an interactive window against a bare PySide6 window measured in the same run
   (bench/startup.py, which also runs alone). Target <= 2.5x the bare window.

    .venv/bin/python bench/playback.py      (needs a display or Xvfb for part 2; skipped without)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import opentimelineio as otio

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _media_fixtures import FPS, bench_folder, our_clip  # noqa: E402
from startup import startup  # noqa: E402

from studio.playback import FileSource, Player, TimelineSource, WallClockSink  # noqa: E402
from studio.project.clip_props import make_props  # noqa: E402
from studio.project.timeline import new_timeline  # noqa: E402

VIEWER = (960, 540)
TICK_S = 0.016
RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def three_clip_edit(source: Path) -> otio.schema.Timeline:
    timeline = new_timeline("bench", rate=FPS)
    video, audio = timeline.tracks[0], timeline.tracks[1]
    available = TR(RT(0, FPS), RT(20 * FPS, FPS))
    for n, (start, frames) in enumerate(((0, 200), (250, 200), (100, 200))):
        for track in (video, audio):
            ref = otio.schema.ExternalReference(target_url=source.as_uri(), available_range=available)
            clip = otio.schema.Clip(f"clip {n}", media_reference=ref, source_range=TR(RT(start, FPS), RT(frames, FPS)))
            if n == 2 and track is audio:
                clip.metadata["kinora"] = {k: v for k, v in make_props(-6.0, 0.0, 2.0).to_metadata().items()
                                           if v is not None}
            if n == 1:  # a one-second crossfade into the second clip
                track.append(otio.schema.Transition(in_offset=RT(FPS // 2, FPS), out_offset=RT(FPS // 2, FPS)))
            track.append(clip)
    return timeline


def play(label: str, source) -> None:
    player = Player(WallClockSink(notice=None))
    player.set_frame_size(VIEWER)
    player.load(source)
    time.sleep(1.0)  # let decode-ahead fill, as the monitor does while the creator reaches for Space
    player.play()
    started = time.monotonic()
    while player.playing and time.monotonic() - started < source.duration + 5:
        player.current_frame()
        time.sleep(TICK_S)
    stats = player.stats()
    player.close()
    print(f"{label}: {source.duration:.1f} s of 1080p30 at {VIEWER[0]}x{VIEWER[1]}, clock: {stats.clock}")
    print(f"  frames shown {stats.frames_shown}, dropped {stats.frames_dropped} (target 0), late {stats.late_frames}")
    print(f"  A/V drift mean {stats.mean_av_drift_ms:.1f} ms, max {stats.max_av_drift_ms:.1f} ms (target <= 10 ms)")
    print(f"  load average {os.getloadavg()[0]:.2f}")


def main() -> None:
    footage = our_clip(bench_folder())
    # Baseline in the same run: the same footage as one file, so a loaded machine shows in both figures.
    play("baseline, the footage as one file", FileSource(footage))
    play("the three-clip edit", TimelineSource(three_clip_edit(footage), lambda clip: footage))
    startup()


if __name__ == "__main__":
    main()
