"""The player core with the silent wall-clock sink: frames advance with time, seek and step land on
the right frame, J/K/L ramps, loop, reverse, and the audio grain of a scrub."""

from __future__ import annotations

import time

import numpy as np
import pytest
from playback_media import FPS, frames_shown, painted_frames, read_frame, tone, wait_until, write_test_clip

from studio.playback import SPEED_RAMP, ArraySource, FileSource, Player, WallClockSink


@pytest.fixture
def player():
    p = Player(WallClockSink())
    yield p
    p.close()


def shown_index(player: Player) -> int:
    """Wait for the frame at the player's position to be decoded and return the number painted in it."""
    wanted = player.frame_index()
    wait_until(lambda: (f := player.current_frame()) is not None and f.index == wanted)
    return read_frame(player.current_frame().image)[0]


def record_playback(player: Player) -> list[int]:
    """The painted numbers shown until playback stops, in order."""
    return [index for index, _ in frames_shown(player)]


def test_file_plays_every_frame_in_order_and_drops_none(player, tmp_path):
    player.load(FileSource(write_test_clip(tmp_path / "clip.mp4", 18)))
    player.play()
    shown = record_playback(player)
    assert shown == list(range(18))
    stats = player.stats()
    assert stats.frames_dropped == 0
    assert stats.clock == "wall"
    assert stats.frames_shown == 18
    assert player.position == pytest.approx(18 / FPS)  # rests at the end


def test_seek_and_steps_land_on_the_right_frame(player, tmp_path):
    player.load(FileSource(write_test_clip(tmp_path / "clip.mp4", 24)))
    assert shown_index(player) == 0
    player.seek(10.5 / FPS)
    assert shown_index(player) == 10
    player.step_frames(1)
    assert shown_index(player) == 11
    player.step_frames(-3)
    assert shown_index(player) == 8
    player.step_seconds(1.0)
    assert shown_index(player) == 8 + int(FPS)
    player.step_seconds(-1.0)
    assert shown_index(player) == 8
    player.seek(3 / FPS)  # backwards, out of the decoded queue
    assert shown_index(player) == 3


def test_home_and_end_show_first_and_last_frames(player):
    player.load(ArraySource(painted_frames(20), FPS))
    player.end()
    assert shown_index(player) == 19
    player.home()
    assert shown_index(player) == 0
    player.end()
    player.play()  # play from the last frame starts over
    assert player.frame_index() < 19


def test_jkl_ramp_walks_the_speeds_and_k_pauses(player):
    player.load(ArraySource(painted_frames(40), FPS))
    player.seek(20 / FPS)
    speeds = []
    for _ in range(4):
        player.shuttle_forward()
        speeds.append(player.speed)
    assert speeds == [1, 2, 4, 4]
    player.shuttle_reverse()
    assert player.speed == -1
    player.shuttle_reverse()
    player.shuttle_reverse()
    assert player.speed == -4 == SPEED_RAMP[0]
    player.pause()
    assert not player.playing


def test_reverse_play_shows_frames_backwards_to_the_start(player):
    player.load(ArraySource(painted_frames(12), FPS))
    player.seek(11 / FPS)
    player.shuttle_reverse()
    shown = record_playback(player)
    assert shown == list(range(11, -1, -1))
    assert player.position == 0.0


def test_loop_starts_again_from_the_first_frame(player):
    player.load(ArraySource(painted_frames(6), FPS))
    player.loop = True
    player.play()
    shown: list[int] = []

    def twice_through() -> bool:
        frame = player.current_frame()
        if frame is not None and (not shown or shown[-1] != frame.index):
            shown.append(frame.index)
        return len(shown) >= 9

    wait_until(twice_through, poll=0.002)
    player.pause()
    assert shown[:9] == [0, 1, 2, 3, 4, 5, 0, 1, 2]


def test_position_listeners_hear_seeks_and_playback(player):
    player.load(ArraySource(painted_frames(12), FPS))
    heard: list[float] = []
    player.add_position_listener(heard.append)
    player.seek(0.5)
    assert heard[-1] == 0.5
    player.play()
    wait_until(lambda: player.current_frame() is not None and player.frame_index() >= 8)
    player.pause()
    assert heard[-1] > 0.5
    assert heard == sorted(heard)


class GrainSink(WallClockSink):
    """A wall clock that records the scrub grains it is asked to play, as a sound card would hear them."""

    has_audio = True

    def __init__(self) -> None:
        super().__init__(notice=None)
        self.grains: list[np.ndarray] = []
        self.pulled: list[np.ndarray] = []

    def play_grain(self, samples: np.ndarray) -> None:
        self.grains.append(samples)


def test_scrub_sounds_a_short_faded_grain_from_the_scrub_position():
    audio = tone(24)
    sink = GrainSink()
    player = Player(sink)
    try:
        player.load(ArraySource(painted_frames(24), FPS, audio))
        player.scrub(1.0)
        wait_until(lambda: sink.grains)
        grain = sink.grains[-1]
        start = 48000
        expected = audio[start : start + len(grain)]
        middle = slice(len(grain) // 4, 3 * len(grain) // 4)
        assert 0.05 * 48000 <= len(grain) <= 0.2 * 48000
        np.testing.assert_array_equal(grain[middle], expected[middle])
        assert abs(grain[0]).max() < 1e-3 < abs(expected[: len(grain)]).max()  # faded in: no click
        assert shown_index(player) == 12
    finally:
        player.close()


def test_a_muted_player_sends_silence_and_keeps_its_picture():
    sink = GrainSink()
    player = Player(sink)
    try:
        player.load(ArraySource(painted_frames(24), FPS, tone(24)))
        player.muted = True  # the Feed's M key
        player.scrub(1.0)
        wait_until(lambda: sink.grains)
        assert not np.any(sink.grains[-1])
        assert shown_index(player) == 12
    finally:
        player.close()


class BrokenFrameSource(ArraySource):
    """Frame 3 cannot be decoded, as in a file damaged there."""

    def frame_at(self, t, size=None):
        if int(t * self.fps) == 3:
            raise ValueError("damaged picture at frame 3")
        return super().frame_at(t, size)


def test_a_frame_that_cannot_be_decoded_is_skipped_and_reported(player):
    player.load(BrokenFrameSource(painted_frames(6), FPS))
    player.play()
    assert record_playback(player) == [0, 1, 2, 4, 5]
    assert "frame 3" in player.decode_error


def test_double_speed_shows_every_other_frame(player):
    player.load(ArraySource(painted_frames(24), FPS))
    assert shown_index(player) == 0
    player.set_speed(2)
    assert record_playback(player) == list(range(0, 24, 2))  # the still frame 0, then every other one
    assert player.stats().frames_dropped == 0


class SlowStartSource(ArraySource):
    """The first frames take long to decode, like a file opened cold on a busy machine."""

    def frame_at(self, t, size=None):
        if int(t * self.fps) < 3:
            time.sleep(0.15)  # longer than a frame period: without a preroll frames would drop
        return super().frame_at(t, size)


def test_the_clock_waits_for_the_first_frames_so_none_is_late(player):
    player.load(SlowStartSource(painted_frames(8), FPS))
    player.play()
    assert player.position == 0.0 and not player.clock_running
    assert record_playback(player) == list(range(8))
    assert player.stats().frames_dropped == 0


def test_an_audio_only_file_shows_its_waveform_with_the_position(corpus):
    # Before, a sound file played on a black picture.
    from studio.playback import FileSource

    source = FileSource(corpus / "audio" / "bear.opus")
    try:
        start, later = source.frame_at(0.0, (320, 120)), source.frame_at(source.duration / 2, (320, 120))
        green = (start[..., 1] > 150) & (start[..., 0] < 120)
        assert green.sum() > 500  # the waveform is drawn
        assert start[:, 0, 0].mean() > 200 and later[:, 160, 0].mean() > 200  # the position line moves
    finally:
        source.close()


def test_the_level_meter_reads_the_block_being_played():
    # The Preview's level meter reads the audio feeder's last block (no decoding on the GUI thread).
    import time

    import numpy as np

    from studio.playback.audio_feed import AudioFeeder
    from studio.ui.player.transport_bar import level_db

    def half_scale(t0: float, t1: float) -> np.ndarray:
        return np.full((int(round((t1 - t0) * 48000)), 2), 0.5, np.float32)

    feeder = AudioFeeder(half_scale, 48000)
    try:
        feeder.start(0.0, 1)
        block = None
        for _ in range(200):
            block = feeder.pull(1024)
            if block is not None and block.any():
                break
            time.sleep(0.01)
        assert feeder.peak == 0.5 and level_db(feeder.peak) == -6 and level_db(0.0) == -60
    finally:
        feeder.close()
