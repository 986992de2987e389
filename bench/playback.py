"""Program monitor playback and studio start-up.

1. Playback: a 20 s 1080p30 edit of three clips (cut from the shared 1080p30 bench footage at different
   offsets, a one-second crossfade into the second, the last one with a 2 s volume fade-out and -6 dB
   of gain) played through the program monitor's path (TimelineSource from the one schedule, the
   Player, viewer size 960x540), ticked as the Preview ticks: after each tick it sleeps what
   `Player.next_tick_ms()` says, as the Preview arms its single-shot timer with it (until the next
   frame is due by the master clock, 1-21 ms), against two clocks: a stand-in sound card (the real
   SoundDeviceSink and audio feeder over a thread that takes 1024-sample blocks in real time, each
   heard 100 ms after its callback is due, as a DAC reports it) and the silent wall clock. Prints dropped and late frames
   and A/V drift (mean and max of |clock - frame time| as each frame goes up), ticks per second, the
   CPU seconds the process used, the load average before and after, and the same for the footage
   played as one file (the baseline, measured in the same run), and a control with nothing to decode
   (what is left there is the ticking, not the decoder). Each is played first on the fixed 16 ms grid
   the Preview ticked on before frame-timed ticks, where the Player picks the frame due half a tick
   ahead as it does for any caller on a fixed timer (the "before" in the same minute; --no-grid skips it).
   Target: 0 dropped, drift <= 10 ms (the max).
2. Start-up: launch to an interactive window against a bare PySide6 window measured in the same run
   (bench/startup.py, which also runs alone). Target <= 2.5x the bare window.

    .venv/bin/python bench/playback.py [--no-grid]      (needs a display or Xvfb for part 2; skipped without)
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import opentimelineio as otio

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _media_fixtures import FPS, bench_folder, our_clip  # noqa: E402
from startup import startup  # noqa: E402

from studio.playback import ArraySource, FileSource, Player, TimelineSource, WallClockSink  # noqa: E402
from studio.playback.sinks import SoundDeviceSink  # noqa: E402
from studio.project.clip_props import make_props  # noqa: E402
from studio.project.timeline import new_timeline  # noqa: E402

VIEWER = (960, 540)
GRID_TICK_S = 0.016  # the Preview's repeating timer before frame-timed ticks
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


class StandInStream:
    """sounddevice.OutputStream's stand-in: a thread takes 1024-sample blocks at 48 kHz in real time.

    Block k is heard at start + LATENCY + k * block (a perfect DAC, on the monotonic clock, which is
    the stream's clock here); its callback runs whenever the thread gets to it on a busy machine,
    as a real PortAudio callback waits for the GIL.
    """

    latency = 0.1
    block = 1024

    def __init__(self, *, samplerate: int, channels: int, dtype: str, latency: object, callback) -> None:
        self._rate, self._channels, self._callback = samplerate, channels, callback
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stand-in sound card", daemon=True)

    @property
    def time(self) -> float:
        return time.monotonic()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        period = self.block / self._rate
        started, k = time.monotonic(), 0
        while not self._stopped.is_set():
            time.sleep(max(0.0, started + k * period - time.monotonic()))
            out = np.empty((self.block, self._channels), np.float32)
            timing = SimpleNamespace(currentTime=time.monotonic(), outputBufferDacTime=started + self.latency + k * period)
            self._callback(out, self.block, timing, None)
            k += 1

    def abort(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=2.0)

    def close(self) -> None:
        return None


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else f"{os.getloadavg()[0]:.2f}"


def play(label: str, source, clock: str, *, grid: bool = False) -> None:
    sink = SoundDeviceSink(SimpleNamespace(OutputStream=StandInStream)) if clock == "audio" else WallClockSink(notice=None)
    player = Player(sink)
    player.set_frame_size(VIEWER)
    player.load(source)
    time.sleep(1.0)  # let decode-ahead fill, as the monitor does while the creator reaches for Space
    load_before = load_average()
    cpu_before = time.process_time()
    player.play()
    started = next_tick = time.monotonic()
    ticks = 0
    while player.playing and time.monotonic() - started < source.duration + 5:
        player.current_frame()
        ticks += 1
        if grid:
            next_tick += GRID_TICK_S  # a repeating PreciseTimer: a fixed grid, not 16 ms after each tick's work
            time.sleep(max(0.0, next_tick - time.monotonic()))
        else:
            time.sleep(player.next_tick_ms() / 1000.0)  # the Preview's single-shot timer, armed after each tick
    played = time.monotonic() - started
    cpu = time.process_time() - cpu_before
    stats = player.stats()
    player.close()
    sink.close()
    ticking = "fixed 16 ms grid (before)" if grid else "frame-timed ticks"
    print(f"{label}, {clock} clock, {ticking}: {source.duration:.1f} s of 1080p30 at {VIEWER[0]}x{VIEWER[1]}")
    print(f"  frames shown {stats.frames_shown}, dropped {stats.frames_dropped} (target 0), late {stats.late_frames}"
          f", audio underruns {stats.audio_underruns}")
    print(f"  A/V drift mean {stats.mean_av_drift_ms:.1f} ms, max {stats.max_av_drift_ms:.1f} ms (target <= 10 ms)")
    print(f"  {ticks / played:.0f} ticks a second, {cpu:.1f} CPU seconds (all threads)")
    print(f"  load average {load_before} before, {load_average()} after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-grid", action="store_true", help="skip the fixed 16 ms grid (the before figures)")
    args = parser.parse_args()
    ticking = (False,) if args.no_grid else (True, False)
    footage = our_clip(bench_folder())
    # Baseline in the same run: the same footage as one file, so a loaded machine shows in both figures.
    for clock in ("audio", "wall"):
        for grid in ticking:
            play("baseline, the footage as one file", FileSource(footage), clock, grid=grid)
        for grid in ticking:
            play("the three-clip edit", TimelineSource(three_clip_edit(footage), lambda clip: footage), clock, grid=grid)
    # Control: the same player, clock and tick with nothing to decode (one picture, shown 600 times), so
    # what is left is the picking of frames and the machine's tick lateness, not the decoder keeping up.
    still = np.broadcast_to(np.zeros((VIEWER[1], VIEWER[0], 3), np.uint8), (20 * FPS, VIEWER[1], VIEWER[0], 3))
    for grid in ticking:
        play("control, nothing to decode", ArraySource(still, FPS), "audio", grid=grid)
    startup()


if __name__ == "__main__":
    main()
