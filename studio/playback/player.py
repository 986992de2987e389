"""The player core: transport, the master clock, decode-ahead and statistics. No Qt.

Media time while playing is `anchor + speed * sink.elapsed()`: the sink's clock (the audio device
when there is one) drives the picture. A GUI timer calls `current_frame()`; it only takes already
decoded frames from the decode-ahead queue, so it never waits on a decoder.
Each run (play, seek while playing, speed change) prerolls: its clock starts on the first tick
after its first frames are decoded.

When to tick: the Preview arms each tick, one at a time, from `next_tick_ms()`: at the moment the run's
next frame is due by the master clock (media time to clock time through the run's anchor and speed),
never more than TICK_CEILING_MS away (the position, level meter and overlay keep moving while paused or
between frames) nor less than TICK_FLOOR_MS. A tick so armed arrives at its frame's time, and shows the
frame due then (or within DUE_TOLERANCE_S, for a clock that steps): the frame goes up within a timer's
lateness of its time, where a fixed 16 ms grid put it up to half a tick away (8 ms) plus that lateness.
A caller on its own fixed timer (the Feed's cards, tests polling) gets the frame due at the middle of
the stretch it stays up, until its next tick (the clock plus half its tick interval, measured on the
clock itself): picking for a grid tick's own time put every frame up to a whole tick after its time.
Call the Player from one thread (the GUI thread); position listeners run on that thread.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from studio.playback.audio_feed import AudioFeeder
from studio.playback.decode_ahead import DecodeAhead, DecodedFrame
from studio.playback.scrub import Scrubber
from studio.playback.sinks import Sink, open_audio_sink
from studio.playback.sources import Source, frame_count, sample_span

SPEED_RAMP = (-4, -2, -1, 0, 1, 2, 4)
# A run's clock starts once this many frames are decoded (or after PREROLL_MAX_S), so a cold
# decoder or a just-opened file never makes the first frames late.
PREROLL_FRAMES = 3
PREROLL_MAX_S = 1.0
TICKS_MEASURED = 15  # the tick interval is the median of this many, so one late tick does not move it
# Frame-timed ticks (`next_tick_ms`), in the whole milliseconds GUI timers take: the longest wait (so the
# position, level and overlay keep flowing while paused or between frames: ~48 Hz; the shortest that
# needs only two ticks a frame at 24-30 fps, no more than the old 16 ms grid) and the shortest (no busy loop).
TICK_CEILING_MS = 21
TICK_FLOOR_MS = 1
# While the next frame is due but not decoded yet (the decoder is behind), look again this soon:
OVERDUE_POLL_MS = 4  # a late frame waits at most this much more; a starved decoder costs <= 250 ticks a second
# A tick armed for a frame's time may find the clock a hair short of it (a sound card's clock steps
# between callbacks): a frame due within this much is shown now, not left for a tick after it.
DUE_TOLERANCE_S = 0.001


@dataclass
class PlaybackStats:
    """What playback did so far (since the source was loaded).

    A/V drift is measured on every frame shown while playing: the distance between the master
    clock's position when the frame goes up and that frame's time (its pts; going backwards, its
    end), early or late alike. Ticking when frames are due (`Player.next_tick_ms`) keeps it within the
    timer's rounding (1 ms) plus how late the tick itself came; a fixed 60 Hz timer, within half a tick
    (8 ms) plus that lateness.
    """

    clock: str  # "audio" (sound card is the master) or "wall" (silent, monotonic clock)
    frames_shown: int = 0
    frames_dropped: int = 0  # frames of a run never shown (superseded, or skipped by a decoder behind the clock)
    late_frames: int = 0  # frames shown more than one frame period away from their time
    av_drift_ms: float = 0.0  # last measured, absolute
    mean_av_drift_ms: float = 0.0  # of the absolute drifts
    max_av_drift_ms: float = 0.0
    audio_underruns: int = 0  # audio blocks the device played as silence because decoding lagged

    def to_dict(self) -> dict:
        return asdict(self)


class Player:
    """Plays a Source: play/pause, seek, frame and second steps, J/K/L shuttle, loop, scrubbing."""

    def __init__(self, sink: Sink | None = None, *, queue_size: int | None = None,
                 frame_size: tuple[int, int] | None = None) -> None:
        """`sink=None` opens the audio device (or the silent wall clock); `frame_size` is (w, h) to decode at;
        `queue_size` frames decoded ahead (default: by picture size, see decode_ahead.AHEAD_BYTES)."""
        self._owns_sink = sink is None
        self.sink: Sink = sink if sink is not None else open_audio_sink()
        self._frame_size = frame_size
        self._decoder = DecodeAhead(queue_size)
        self._feeder = AudioFeeder(self._read_audio, self.sink.rate) if self.sink.has_audio else None
        self._scrubber = (
            Scrubber(self._read_audio, self.sink.play_grain, self.sink.rate) if self.sink.has_audio else None
        )
        self._source: Source | None = None
        self._listeners: list[Callable[[float], None]] = []
        self.loop = False
        self.muted = False  # silence only: the clock still runs on the sound card (the Feed's M key)
        self._speed = 0
        self._anchor = 0.0  # media time at which the current run started
        self._preroll_since: float | None = None  # set while a run waits for its first frames
        self._paused_at = 0.0
        self._shown: DecodedFrame | None = None
        self._last_reported: float | None = None
        self._stats = PlaybackStats(clock="audio" if self.sink.has_audio else "wall")
        self._drift_sum = 0.0
        self._drift_n = 0
        self._ticks: deque[float] = deque(maxlen=TICKS_MEASURED)  # clock seconds between ticks
        self._last_tick: float | None = None  # the clock at the previous tick of this run
        self._run_last: int | None = None  # index of the run's frame shown last (dropped frames are the gaps)
        self._frame_timed = False  # the caller arms its ticks from next_tick_ms() (see the module notes)

    # -- source ------------------------------------------------------------------------------

    @property
    def source(self) -> Source | None:
        return self._source

    @property
    def notice(self) -> str | None:
        """A line for the UI, e.g. that playback is silent for lack of an audio device."""
        return self.sink.notice

    @property
    def decode_error(self) -> str | None:
        """The last picture the decoder could not make (that frame is skipped), or None."""
        return self._decoder.last_error

    def load(self, source: Source | None) -> None:
        """Show `source` from its first frame, paused. The previous source is closed (by the decode thread,
        which releases its file); `None` leaves the player empty."""
        self._stop_run()
        self._source = source
        self._speed = 0
        self._paused_at = 0.0
        self._shown = None
        self._stats = PlaybackStats(clock=self._stats.clock)
        self._drift_sum, self._drift_n = 0.0, 0
        self._decoder.set_source(source, self._frame_size)
        self._report(0.0)

    def close(self) -> None:
        """Stop every thread and close the source (and the audio device if this player opened it)."""
        self._stop_run()
        if self._feeder is not None:
            self._feeder.close()
        if self._scrubber is not None:
            self._scrubber.close()
        self._decoder.close()
        self._source = None
        if self._owns_sink:
            self.sink.close()

    def _read_audio(self, t0: float, t1: float) -> np.ndarray:
        source = self._source  # read once: load() may swap it from the GUI thread
        if source is None or self.muted:
            first, n = sample_span(t0, t1, self.sink.rate)
            return np.zeros((n, 2), dtype=np.float32)
        return source.audio(t0, t1)

    # -- state -------------------------------------------------------------------------------

    @property
    def duration(self) -> float:
        return self._source.duration if self._source is not None else 0.0

    @property
    def fps(self) -> float:
        return self._source.fps if self._source is not None else 24.0

    @property
    def frame_count(self) -> int:
        return frame_count(self._source) if self._source is not None else 0

    @property
    def speed(self) -> int:
        """Current speed: 0 paused, 1 normal, 2/4 fast, negative backwards."""
        return self._speed

    @property
    def playing(self) -> bool:
        return self._speed != 0

    @property
    def clock_running(self) -> bool:
        """True while playing and past the preroll (the first frames of the run are decoded)."""
        return self._speed != 0 and self._preroll_since is None

    @property
    def position(self) -> float:
        """Media time in seconds by the master clock."""
        if self._speed == 0:
            return self._paused_at
        if self._preroll_since is not None:
            return self._anchor
        return self._anchor + self._speed * self.sink.elapsed()

    def frame_index(self, t: float | None = None) -> int:
        """The frame shown at `t` (default: now)."""
        t = self.position if t is None else t
        return min(max(int(math.floor(t * self.fps + 1e-6)), 0), max(self.frame_count - 1, 0))

    def audio_level(self) -> float | None:
        """The peak (0..1) of the sound being played now, or None without an audio device."""
        if self._feeder is None:
            return None
        return self._feeder.peak if self.playing else 0.0

    def stats(self) -> PlaybackStats:
        """A copy of the statistics, with the audio feeder's underruns."""
        stats = PlaybackStats(**asdict(self._stats))
        if self._feeder is not None:
            stats.audio_underruns = self._feeder.underruns
        return stats

    def add_position_listener(self, listener: Callable[[float], None]) -> None:
        """Call `listener(seconds)` whenever the position changes (on the thread driving the player)."""
        self._listeners.append(listener)

    def set_frame_size(self, size: tuple[int, int] | None) -> None:
        """Decode pictures at `size` (width, height), e.g. the preview's on-screen size; None: native."""
        if size == self._frame_size:
            return
        self._frame_size = size
        self._decoder.set_size(size)
        if self._source is None:
            return
        self._shown = None  # show the current frame again, at the new size
        self._decoder.restart(self.frame_index(), self._speed or 1)

    # -- transport ---------------------------------------------------------------------------

    def play(self) -> None:
        """Play forward at normal speed; from the last frame, start again at the beginning."""
        if self._source is None:
            return
        if self._speed == 0 and self.frame_index() >= self.frame_count - 1:
            self.seek(0.0)
        self.set_speed(1)

    def pause(self) -> None:
        self.set_speed(0)

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: int) -> None:
        """Play at `speed` (one of SPEED_RAMP); 0 pauses where the clock is."""
        if self._source is None or speed == self._speed:
            return
        position = self._clamp(self.position)
        if speed == 0:
            self._stop_run()
            self._speed = 0
            self._paused_at = position
            self._report(position)
            return
        if speed < 0 and self._speed == 0:
            # Backwards from a still frame: start at that frame's end so it stays up one frame period,
            # as it does going forwards.
            position = min(self.duration, (self.frame_index(position) + 1) / self.fps) - 1e-6
        self._start_run(position, speed)

    def shuttle_forward(self) -> None:
        """L: play forward, or faster along the ramp when already playing forward."""
        self.set_speed(1 if self._speed <= 0 else _ramp_step(self._speed, +1))

    def shuttle_reverse(self) -> None:
        """J: play backwards, or faster backwards along the ramp."""
        self.set_speed(-1 if self._speed >= 0 else _ramp_step(self._speed, -1))

    def seek(self, t: float) -> None:
        """Go to `t` seconds; playback continues from there if it was playing."""
        if self._source is None:
            return
        t = self._clamp(t)
        if self._speed != 0:
            self._start_run(t, self._speed)
            return
        self._paused_at = t
        index = self.frame_index(t)
        if not (self._shown is not None and self._shown.index == index):
            if not self._decoder.skip_to(index, 1):
                self._decoder.restart(index, 1)
        self._report(t)

    def scrub(self, t: float) -> None:
        """Seek to `t` and, while paused, sound a short grain of audio from there."""
        self.seek(t)
        if self._scrubber is not None and self._speed == 0:
            self._scrubber.request(self._paused_at)

    def step_frames(self, n: int) -> None:
        """Pause and move `n` frames (negative: back)."""
        self.pause()
        index = min(max(self.frame_index() + n, 0), max(self.frame_count - 1, 0))
        self.seek(index / self.fps)

    def step_seconds(self, seconds: float) -> None:
        """Move by `seconds`, keeping play or pause."""
        self.seek(self.position + seconds)

    def home(self) -> None:
        self.seek(0.0)

    def end(self) -> None:
        """Go to the last frame."""
        self.seek(max(self.frame_count - 1, 0) / self.fps)

    # -- the clock tick ----------------------------------------------------------------------

    def current_frame(self) -> DecodedFrame | None:
        """The frame whose time has come by the master clock (the last one shown if none is new).

        Cheap and non-blocking. Also handles reaching either end (loop or stop) and reports the
        position to listeners.
        """
        if self._source is None:
            return None
        if self._preroll_since is not None and (
            self._decoder.ready(PREROLL_FRAMES) or time.monotonic() - self._preroll_since > PREROLL_MAX_S
        ):
            self._start_clock()
        position = self.position
        if self._speed > 0 and position >= self.duration:
            self._reach_end(forward=True)
            position = self.position
        elif self._speed < 0 and position < 0.0:
            self._reach_end(forward=False)
            position = self.position
        frame = self._decoder.take_due(self.frame_index(self._presented_time(position)))
        if frame is not None:
            self._stats.frames_shown += 1
            if self._speed != 0:
                self._count_dropped(frame.index)
                self._measure_drift(frame, position)
            self._shown = frame
        if self._speed != 0:
            self._report(position)
        return self._shown

    def next_due_in(self) -> float | None:
        """Clock seconds until the run's next frame is due (0.0: due and not shown yet, its decoding is late),
        or None when no frame is coming: paused, or prerolling (the clock starts on a tick).

        Past the last frame (the first going backwards), the end is due: there the run stops or loops.
        """
        if not self.clock_running or self._run_last is None:
            return None
        index = self._run_last + self._speed
        if self._speed > 0:
            due = min(index / self.fps, self.duration)
        else:  # backwards a frame is due at its end
            due = (index + 1) / self.fps if index >= 0 else 0.0
        return max(0.0, (due - self.position) / self._speed)

    def next_tick_ms(self) -> int:
        """Milliseconds until the caller should tick (`current_frame()`) again: when the next frame is due,
        within TICK_FLOOR_MS..TICK_CEILING_MS (OVERDUE_POLL_MS while a due frame is still decoding).

        Whole milliseconds, rounded up, so a tick is not early by the timer's rounding. A caller that
        arms every tick from this gets the frame due at each tick (see the module notes).
        """
        self._frame_timed = True
        due_in = self.next_due_in()
        if due_in is None:
            return TICK_CEILING_MS
        if due_in == 0.0:
            return OVERDUE_POLL_MS
        return min(max(math.ceil(due_in * 1000.0), TICK_FLOOR_MS), TICK_CEILING_MS)

    def _presented_time(self, position: float) -> float:
        """The media time whose frame goes up now (see the module notes): the clock's, for a caller ticking
        when frames are due; else that at the middle of the stretch until the caller's next tick."""
        if not self.clock_running:
            return position
        if self._frame_timed:
            return position + self._speed * DUE_TOLERANCE_S
        now = self.sink.elapsed()
        if self._last_tick is not None and now > self._last_tick:
            self._ticks.append(now - self._last_tick)
        self._last_tick = now
        if not self._ticks:
            return position
        # Never more than half a frame: past that the tick is too slow to show every frame anyway.
        lead = min(statistics.median(self._ticks), 1.0 / self.fps) / 2.0
        return position + self._speed * lead

    def _count_dropped(self, index: int) -> None:
        """Frames of the run between the last one shown and `index` were never shown."""
        if self._run_last is not None:
            self._stats.frames_dropped += max(0, (index - self._run_last) // self._speed - 1)
        self._run_last = index

    def _measure_drift(self, frame: DecodedFrame, position: float) -> None:
        due = frame.pts if self._speed > 0 else frame.pts + 1.0 / self.fps
        drift_ms = abs(position - due) * 1000.0
        self._stats.av_drift_ms = drift_ms
        self._drift_sum += drift_ms
        self._drift_n += 1
        self._stats.mean_av_drift_ms = self._drift_sum / self._drift_n
        self._stats.max_av_drift_ms = max(self._stats.max_av_drift_ms, drift_ms)
        if drift_ms > 1000.0 / self.fps:
            self._stats.late_frames += 1

    def _reach_end(self, *, forward: bool) -> None:
        if self.loop:
            self._start_run(0.0 if forward else self.duration - 1e-6, self._speed)
            return
        self._stop_run()
        self._speed = 0
        # Rest at the very end (the last frame stays up), so the playhead never steps back.
        self._paused_at = self.duration if forward else 0.0
        self._report(self._paused_at)

    # -- runs: one stretch of playback at one speed ------------------------------------------

    def _start_run(self, t: float, speed: int) -> None:
        self._stop_run()
        self._anchor = t
        self._speed = speed
        index = self.frame_index(t)
        if self._shown is not None and self._shown.index == index:
            index += speed  # already on screen: decode from the next one
        self._run_last = index - speed  # the frame before the run's first: none of the run is dropped yet
        if not self._decoder.skip_to(index, speed):
            self._decoder.restart(index, speed)
        if self._feeder is not None:
            self._feeder.start(t, speed)  # audio decodes during the preroll too
        self._preroll_since = time.monotonic()
        self._report(t)

    def _start_clock(self) -> None:
        self._preroll_since = None
        self._last_tick = None
        self.sink.start(self._feeder.pull if self._feeder is not None else None)

    def _stop_run(self) -> None:
        self._preroll_since = None
        self.sink.stop()
        if self._feeder is not None:
            self._feeder.stop()

    def _clamp(self, t: float) -> float:
        return min(max(t, 0.0), self.duration)

    def _report(self, t: float) -> None:
        if t == self._last_reported:
            return
        self._last_reported = t
        for listener in list(self._listeners):
            listener(t)


def _ramp_step(speed: int, direction: int) -> int:
    """The next speed along SPEED_RAMP in `direction`, staying at the ends."""
    i = SPEED_RAMP.index(speed) + direction
    return SPEED_RAMP[min(max(i, 0), len(SPEED_RAMP) - 1)]
