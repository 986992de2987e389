"""Playing an edit: the topmost clip's picture (trims honoured), the audio tracks mixed, and a cut
that plays with no skipped frame and no gap or seam in the sound."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest
from playback_media import FPS, RATE, frames_shown, painted_frames, read_frame, write_test_clip

from studio.media.audio import read_audio
from studio.media.encode import write_clip
from studio.playback import Player, TimelineSource, WallClockSink
from studio.project.operations import SplitClip
from studio.project.timeline import find_track, new_timeline


def frames_at(n: float) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(n, FPS)


def clip(path: Path, count: int, start: int = 0, length: int | None = None) -> otio.schema.Clip:
    """A clip showing frames [start, start + length) of a `count`-frame file."""
    available = otio.opentime.TimeRange(frames_at(0), frames_at(count))
    reference = otio.schema.ExternalReference(target_url=path.as_uri(), available_range=available)
    used = otio.opentime.TimeRange(frames_at(start), frames_at(count - start if length is None else length))
    return otio.schema.Clip(name=path.stem, media_reference=reference, source_range=used)


def resolve(c: otio.schema.Clip) -> Path:
    return Path(c.media_reference.target_url.removeprefix("file://"))


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    return {
        "a": write_test_clip(folder / "a.mp4", 24, clip_id=1, hz=440.0),
        "b": write_test_clip(folder / "b.mp4", 24, clip_id=2, hz=660.0),
    }


def timeline_with(video: list[list[otio.schema.Clip]], audio: list[list[otio.schema.Clip]]) -> otio.schema.Timeline:
    timeline = new_timeline("test", rate=FPS)
    timeline.tracks.clear()
    for kind, tracks in ((otio.schema.TrackKind.Video, video), (otio.schema.TrackKind.Audio, audio)):
        for n, items in enumerate(tracks, start=1):
            track = otio.schema.Track(name=f"{kind[0]}{n}", kind=kind)
            track.extend(items)
            timeline.tracks.append(track)
    return timeline


def picture(source: TimelineSource, frame: int) -> tuple[int, int]:
    """(frame number, clip id) painted in the picture at timeline frame `frame`."""
    return read_frame(source.frame_at((frame + 0.5) / FPS))


def test_picture_comes_from_the_topmost_clip_with_its_trim(media):
    lower = [clip(media["a"], 24, start=5, length=20)]
    upper = [otio.schema.Gap(source_range=otio.opentime.TimeRange(frames_at(0), frames_at(8))),
             clip(media["b"], 24, start=2, length=4)]
    source = TimelineSource(timeline_with([lower, upper], []), resolve)
    try:
        assert source.size == (64, 64)
        assert picture(source, 0) == (5, 1)  # under the gap: the lower clip, from its trimmed start
        assert picture(source, 8) == (2, 2)  # the upper clip covers the lower one
        assert picture(source, 11) == (5, 2)
        assert picture(source, 12) == (17, 1)  # after the upper clip ends, the lower again
        assert not source.frame_at(21 / FPS).any()  # past every clip: black
    finally:
        source.close()


def test_audio_tracks_are_mixed_and_a_muted_track_is_silent(media):
    a, b = read_audio(media["a"]), read_audio(media["b"])
    timeline = timeline_with([], [[clip(media["a"], 24)], [clip(media["b"], 24)]])
    mixed = TimelineSource(timeline, resolve).audio(0.25, 1.25)
    span = slice(12000, 60000)
    np.testing.assert_allclose(mixed, np.clip(a[span] + b[span], -1, 1), atol=1e-6)

    # The timeline editor's track flags live in metadata["kinora"].
    find_track(timeline, "A2").metadata["kinora"] = {"mute": True}
    np.testing.assert_array_equal(TimelineSource(timeline, resolve).audio(0.25, 1.25), a[span])
    find_track(timeline, "A2").metadata["kinora"] = {"mute": False, "solo": True}
    np.testing.assert_array_equal(TimelineSource(timeline, resolve).audio(0.25, 1.25), b[span])


def test_a_cut_plays_every_frame_and_every_sample(media):
    a, b = read_audio(media["a"]), read_audio(media["b"])
    video = [[clip(media["a"], 24, length=12), clip(media["b"], 24, length=12)]]
    audio = [[clip(media["a"], 24, length=12), clip(media["b"], 24, length=12)]]
    source = TimelineSource(timeline_with(video, audio), resolve)

    half = RATE  # 12 frames at 12 fps
    sound = source.audio(0.0, 2.0)
    assert len(sound) == 2 * RATE
    # Clip b's sound starts at frame 0 of b and is cut only at its tail: sample for sample, no gap.
    np.testing.assert_array_equal(sound[half : 2 * half - 200], b[: half - 200])
    # a is cut mid-waveform at its tail: only a few milliseconds fade before the cut.
    np.testing.assert_array_equal(sound[: half - 200], a[: half - 200])
    fade = sound[half - 200 : half]
    assert np.all(np.abs(fade) <= np.abs(a[half - 200 : half]) + 1e-7)
    # Read in blocks as the audio feeder does: the blocks join into the same samples.
    blocks = np.concatenate([source.audio(k * 1024 / RATE, (k + 1) * 1024 / RATE) for k in range(90)])
    np.testing.assert_array_equal(blocks, sound[: 90 * 1024])

    player = Player(WallClockSink())
    try:
        player.load(source)
        player.play()
        assert frames_shown(player) == [(i, 1) for i in range(12)] + [(i, 2) for i in range(12)]
        assert player.stats().frames_dropped == 0
    finally:
        player.close()


def test_a_split_clip_sounds_exactly_like_the_whole_clip(media):
    whole = timeline_with([], [[clip(media["a"], 24)]])
    split = timeline_with([], [[clip(media["a"], 24)]])
    SplitClip("A1", 10 / FPS).apply(split)
    assert len(find_track(split, "A1")) == 2
    np.testing.assert_array_equal(TimelineSource(split, resolve).audio(0, 2), TimelineSource(whole, resolve).audio(0, 2))


def test_a_clip_whose_file_is_gone_plays_as_a_gap_and_is_named(media, tmp_path):
    gone = clip(tmp_path / "deleted.mp4", 24, length=6)
    timeline = timeline_with([[gone, clip(media["a"], 24, length=6)]], [[clip(tmp_path / "deleted.mp4", 24)]])
    source = TimelineSource(timeline, resolve)
    assert source.missing == ["deleted", "deleted"]
    assert not source.frame_at(0.1).any()
    assert picture(source, 6) == (0, 1)
    assert not source.audio(0.0, 1.0).any()


def test_an_audio_clip_on_a_file_without_sound_plays_silence(tmp_path):
    silent = write_clip(painted_frames(6), None, FPS, RATE, tmp_path / "v.mp4")
    mute_path = tmp_path / "video_only.mp4"
    with av.open(str(silent)) as src, av.open(str(mute_path), "w") as dst:  # remux without the audio stream
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    source = TimelineSource(timeline_with([], [[clip(mute_path, 6)]]), resolve)
    assert not source.audio(0.0, 0.5).any()


def test_timeline_pictures_are_decoded_at_the_size_they_show(media, monkeypatch):
    from studio.media.decode import FrameReader

    asked: list[tuple[int, int] | None] = []
    frame_at = FrameReader.frame_at
    monkeypatch.setattr(FrameReader, "frame_at", lambda self, t, size=None: asked.append(size) or frame_at(self, t, size))
    source = TimelineSource(timeline_with([[clip(media["a"], 24)]], []), resolve)
    try:
        shown = source.frame_at(3.5 / FPS, (96, 32))  # a wide box: the square clip fits at 32x32
        assert asked == [(32, 32)]  # decoded at that size, not at 64x64 and scaled down
        assert shown.shape == (32, 96, 3)
        # Around it the project's framing, as export's presets place it: a blurred, dimmed fill, not black.
        for side in (shown[:, :32], shown[:, 64:]):
            assert 10 < side.mean() < shown[:, 32:64].mean()
        assert read_frame(shown[:, 32:64]) == (3, 1)
    finally:
        source.close()


def _long_gop_clip(path: Path, count: int) -> Path:
    """Painted frames with one keyframe for the whole clip, as tools with long GOPs write them."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=int(FPS))
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = 1000
        stream.codec_context.options = {"sc_threshold": "0"}
        for image in painted_frames(count):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode(None))
    return path


def test_a_file_with_costly_jumps_is_scrubbed_from_a_proxy_and_a_cheap_one_needs_none(media, tmp_path, monkeypatch):
    from studio.playback import FileSource, sources

    # Tiny files: scale the threshold so one keyframe per 5 s at 64x64 counts as costly (~245k
    # pixels a jump), a keyframe every 0.5 s (write_clip's, ~25k) as cheap.
    monkeypatch.setattr(sources, "PROXY_JUMP_PIXELS", 100_000)
    long_gop = FileSource(_long_gop_clip(tmp_path / "long_gop.mp4", 60))
    short_gop = FileSource(media["a"])
    try:
        assert long_gop.proxy_ready(timeout=30)
        assert [read_frame(long_gop.frame_at((i + 0.5) / FPS, (32, 32)))[0] for i in (50, 7, 33)] == [50, 7, 33]
        assert not short_gop.proxy_ready(timeout=0)  # its keyframes are close: jumps are cheap already
    finally:
        long_gop.close()
        short_gop.close()


def test_a_dissolve_between_two_cuts_of_one_file_decodes_each_side_straight_on(tmp_path, monkeypatch):
    # The edit path kept one decoder per file, so a dissolve between two cuts of one take (the bench's
    # edit) sought that decoder back and forth on every frame of the dissolve, and the decode thread
    # fell behind; the old tests dissolved between different files only.
    from studio.media.decode import FrameReader

    take = write_test_clip(tmp_path / "take.mp4", 64, clip_id=3)
    seeks: list[float] = []
    seek = FrameReader._seek
    monkeypatch.setattr(FrameReader, "_seek", lambda self, t: seeks.append(t) or seek(self, t))
    dissolve = otio.schema.Transition(in_offset=frames_at(6), out_offset=frames_at(6))
    # Source frames 0-23 then 40-63: the two sides of the dissolve are 16 frames (1.3 s) apart in the
    # file, beyond what a decoder reaches by decoding on.
    source = TimelineSource(timeline_with([[clip(take, 64, 0, 24), dissolve, clip(take, 64, 40, 24)]], []), resolve)
    try:
        pictures = [source.frame_at((i + 0.5) / FPS) for i in range(48)]
        assert [read_frame(p) for p in pictures[:18]] == [(i, 3) for i in range(18)]
        assert [read_frame(p) for p in pictures[30:]] == [(40 + i - 24, 3) for i in range(30, 48)]
        # Three: the start, the second side's decoder opening, and the first decoder (the one with the
        # scrub proxy) taking the second side over after the dissolve. Not one for every frame of it.
        assert len(seeks) <= 3
    finally:
        source.close()
