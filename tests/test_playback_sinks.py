"""The clocks: the sound card is the master when there is one, the wall clock takes over (with a
notice) when PortAudio or the device is missing, and the device gets exactly the source's samples."""

from __future__ import annotations

import sys
import threading
from types import SimpleNamespace

import numpy as np
import pytest
from playback_media import FPS, painted_frames, tone, wait_until

from studio.playback import SILENT_NOTICE, ArraySource, Player, SoundDeviceSink, WallClockSink, open_audio_sink
from studio.playback.audio_feed import AudioFeeder
from studio.playback.shared_sink import SharedSink


def test_no_output_device_falls_back_to_a_silent_wall_clock(monkeypatch):
    import sounddevice

    def no_device(*args, **kwargs):
        raise sounddevice.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sounddevice, "OutputStream", no_device)
    sink = open_audio_sink()
    assert isinstance(sink, WallClockSink)
    assert sink.notice == SILENT_NOTICE
    assert not sink.has_audio


def test_missing_portaudio_falls_back_to_a_silent_wall_clock(monkeypatch):
    class NoPortAudio:
        """Import sounddevice as a machine without libportaudio does: OSError."""

        def find_spec(self, name, path=None, target=None):
            if name == "sounddevice":
                raise OSError("PortAudio library not found")
            return None

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [NoPortAudio(), *sys.meta_path])
    sink = open_audio_sink()
    assert isinstance(sink, WallClockSink)
    assert sink.notice == SILENT_NOTICE


class FakeStream:
    """Stands in for sounddevice.OutputStream: the test plays the device by calling `deliver`."""

    latency = 0.05
    time = 0.0  # the stream's own clock (PortAudio's Pa_GetStreamTime), set by the test

    def __init__(self, *, samplerate, channels, dtype, latency, callback) -> None:
        assert (samplerate, channels, dtype) == (48000, 2, "float32")
        self.callback = callback
        self.heard: list[np.ndarray] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        pass

    def deliver(self, frames: int = 1024, *, current: float = 0.0, dac: float = 0.0) -> None:
        """One device callback; `current`/`dac` are its timestamps (0: a host API that gives none)."""
        out = np.full((frames, 2), np.nan, dtype=np.float32)
        self.callback(out, frames, SimpleNamespace(outputBufferDacTime=dac, currentTime=current), None)
        self.heard.append(out)

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def device():
    streams: list[FakeStream] = []

    def make(**kwargs):
        streams.append(FakeStream(**kwargs))
        return streams[-1]

    sink = SoundDeviceSink(SimpleNamespace(OutputStream=make))
    yield sink, streams[0]
    sink.close()


def test_device_gets_exactly_the_source_samples_from_the_play_position(device):
    sink, stream = device
    audio = tone(24, hz=331.0)
    player = Player(sink)
    try:
        player.load(ArraySource(painted_frames(24), FPS, audio))
        stream.deliver()  # while paused the device hears silence
        assert not stream.heard[0].any()
        player.seek(0.5)
        player.play()
        wait_until(lambda: player.current_frame() is not None and player.clock_running)  # GUI tick ends preroll
        feeder = player._feeder
        played = []
        for _ in range(10):
            wait_until(lambda: feeder.buffered_frames() >= 1024)
            stream.deliver()
            played.append(stream.heard[-1])
        np.testing.assert_array_equal(np.concatenate(played), audio[24000 : 24000 + 10 * 1024])
        assert player.stats().clock == "audio"
        assert player.stats().audio_underruns == 0
    finally:
        player.close()


def test_device_clock_counts_frames_consumed_minus_output_latency(device):
    sink, stream = device
    sink.start(lambda n: np.zeros((n, 2), np.float32))
    assert sink.elapsed() == 0.0  # nothing heard before the first callback
    for _ in range(20):
        stream.deliver(1000)
    heard = sink.elapsed()
    # The last block is still in the device's buffer: what is heard trails what was handed over.
    assert 19 * 1000 / 48000 - FakeStream.latency - 1e-9 <= heard <= 20 * 1000 / 48000
    sink.stop()
    held = sink.elapsed()
    stream.deliver(1000)
    assert sink.elapsed() == held  # stopped: the clock holds


def test_the_device_clock_runs_on_the_stream_clock_between_callbacks(device):
    # The clock counted from the moment the Python callback ran (plus the latency): a callback that
    # waited for the GIL made the sound seem that much later, and the picture followed it late. The
    # old test's stand-in device gave no timestamps, so only the fallback was ever checked.
    sink, stream = device
    sink.start(lambda n: np.zeros((n, 2), np.float32))
    stream.deliver(1024, current=10.0, dac=10.05)  # the block sounds 50 ms from now
    stream.time = 10.04
    assert sink.elapsed() == 0.0  # not heard yet
    stream.time = 10.06
    assert sink.elapsed() == pytest.approx(0.01)  # 10 ms into the first block: interpolated
    stream.time = 10.09  # a second callback, whatever moment Python ran it, keeps the same line
    stream.deliver(1024, current=10.05 + 1024 / 48000 - 0.05, dac=10.05 + 1024 / 48000)
    assert sink.elapsed() == pytest.approx(0.04)
    # A host whose DAC estimate wobbles late never moves the clock backwards within a run.
    stream.deliver(1024, current=10.05, dac=10.05 + 2 * 1024 / 48000 + 0.02)
    assert sink.elapsed() == pytest.approx(0.04)
    stream.time = 10.2
    assert sink.elapsed() == pytest.approx(3 * 1024 / 48000)  # never past what the device was given


def test_the_device_clock_waits_for_the_first_sound(device):
    sink, stream = device
    ready = False
    sink.start(lambda n: np.ones((n, 2), np.float32) if ready else None)
    stream.deliver()
    assert sink.elapsed() == 0.0 and not stream.heard[-1].any()
    ready = True
    for _ in range(5):
        stream.deliver(4800)
    # Four blocks of 0.1 s are certainly heard, less the device's latency.
    assert sink.elapsed() >= 0.4 - FakeStream.latency and stream.heard[-1].all()


def test_a_late_feeder_costs_silence_not_sync():
    reads: list[float] = []
    gate, stuck = threading.Event(), threading.Event()

    def read(t0: float, t1: float) -> np.ndarray:
        if reads:  # every block after the first is slow
            stuck.set()
            gate.wait()
        reads.append(t0)
        return np.ones((int(round(t1 * 48000)) - int(round(t0 * 48000)), 2), np.float32)

    feeder = AudioFeeder(read, 48000, block=1000)
    try:
        assert feeder.pull(1000) is None  # nothing started: the sink's clock waits
        feeder.start(0.0, 1)
        stuck.wait(10.0)
        assert feeder.pull(1000).all()
        assert not feeder.pull(3000).any()  # the device played 3000 frames of silence
        assert feeder.underruns == 1
        gate.set()
        wait_until(lambda: feeder.buffered_frames() >= 1000)
        # After the block it was stuck on, the feeder reads the samples due now, not the missed ones.
        assert reads[:3] == [0.0, pytest.approx(1000 / 48000), pytest.approx(4000 / 48000)]
        assert feeder.pull(1000).all()
    finally:
        feeder.close()


def heard_next(stream: FakeStream, player: Player, blocks: int = 2) -> np.ndarray:
    """What the device plays over the next `blocks` callbacks of 1024 frames, fed by `player`."""
    for _ in range(blocks):
        wait_until(lambda: player._feeder.buffered_frames() >= 1024)
        stream.deliver()
    return np.concatenate(stream.heard[-blocks:])


def test_two_players_share_one_device_and_the_idle_one_never_stops_the_sound(device):
    # The Source and Program monitors used to open a device each (bare ALSA gave the second one silence);
    # sharing one naively would let the idle player's load, seek or pause stop the other's sound.
    sink, stream = device
    shared = SharedSink(sink)
    low, high = tone(24, hz=220.0), tone(24, hz=660.0)
    source, program = Player(shared.handle()), Player(shared.handle())
    try:
        source.load(ArraySource(painted_frames(24), FPS, low))
        program.load(ArraySource(painted_frames(24), FPS, high))
        program.play()
        wait_until(lambda: program.current_frame() is not None and program.clock_running)
        first = heard_next(stream, program)
        source.load(ArraySource(painted_frames(24), FPS, low))  # the idle player: load, seek, pause
        source.seek(0.5)
        source.pause()
        np.testing.assert_array_equal(np.concatenate([first, heard_next(stream, program)]), high[: 4 * 1024])
        assert program.position > 0.0 and source.position == 0.5
        program.pause()  # the other one plays now (the monitors pause one before the other starts)
        held = program.position
        source.play()
        wait_until(lambda: source.current_frame() is not None and source.clock_running)
        np.testing.assert_array_equal(heard_next(stream, source), low[24000 : 24000 + 2 * 1024])
        assert program.position == held and not program.playing
    finally:
        source.close()
        program.close()


def test_a_handle_whose_run_was_taken_holds_its_clock_and_grains_wait_for_silence(device):
    sink, stream = device
    shared = SharedSink(sink)
    one, two = shared.handle(), shared.handle()
    assert (one.rate, one.has_audio, one.notice) == (sink.rate, True, None)
    one.start(lambda n: np.full((n, 2), 0.25, np.float32))
    for _ in range(5):
        stream.deliver(4800)
    held = one.elapsed()
    assert held > 0.0
    two.play_grain(np.ones((512, 2), np.float32))  # a scrub in the idle player: not over the sound playing
    stream.deliver(1024)
    assert (stream.heard[-1] == 0.25).all()
    two.start(lambda n: np.full((n, 2), 0.5, np.float32))  # takes the device
    taken_at = one.elapsed()
    assert taken_at >= held
    stream.deliver(4800)
    stream.deliver(4800)
    assert one.elapsed() == taken_at and two.elapsed() > 0.0 and (stream.heard[-1] == 0.5).all()
    one.stop()  # not playing: leaves the device alone
    stream.deliver(1024)
    assert (stream.heard[-1] == 0.5).all()
    two.close()  # a handle's close ends its run, not the device
    one.play_grain(np.ones((512, 2), np.float32))
    stream.deliver(1024)
    assert stream.heard[-1][:512].all() and not stream.heard[-1][512:].any()
