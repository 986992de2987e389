"""The Preview and export play one schedule: the same picture and the same sound at any time of an edit.

Before, each flattened the timeline itself (frame-rate fallbacks, fades, media lookup and the frame a
time shows all differed), so what was previewed was not what was exported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from playback_media import FPS, read_frame, write_test_clip

from studio.exporting import render_timeline
from studio.media.audio import read_audio
from studio.media.decode import FrameReader
from studio.playback import TimelineSource

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def _clip(path: Path, count: int, start: int, length: int) -> otio.schema.Clip:
    reference = otio.schema.ExternalReference(target_url=path.as_uri(), available_range=TR(RT(0, FPS), RT(count, FPS)))
    return otio.schema.Clip(name=path.stem, media_reference=reference, source_range=TR(RT(start, FPS), RT(length, FPS)))


def _gap(frames: int) -> otio.schema.Gap:
    return otio.schema.Gap(source_range=TR(RT(0, FPS), RT(frames, FPS)))


def _resolve(clip: otio.schema.Clip) -> Path:
    return Path(clip.media_reference.target_url.removeprefix("file://"))


OVER = (9, 15)  # timeline frames where V2's clip plays over V1's
FRAMED = (20, 32)  # timeline frames where V3's reframed clip plays
FRAMED_BOX = (slice(16, 48), slice(32, 64))  # where it sits in a 64 x 64 frame: half size, a quarter right
TALL = (34, 40)  # timeline frames where V4's portrait clip (no reframe of its own) plays
TALL_BOX = (slice(0, 64), slice(16, 48))  # where it sits in the 64 x 64 canvas: whole, 32 x 64, centred


def _write_tall_clip(path: Path, count: int, clip_id: int) -> Path:
    """A 32 x 64 (portrait) clip of painted frames: each stripe of paint_frame at half its width."""
    from playback_media import painted_frames, tone

    from studio.media.encode import write_clip

    return write_clip(np.ascontiguousarray(painted_frames(count, clip_id)[:, :, ::2]), tone(count, hz=550.0), FPS,
                      48000, path)


def _edit(folder: Path) -> otio.schema.Timeline:
    """Three clips cut, trimmed and layered, a gap, a second audio track, and a muted one; on V3 a clip
    reframed to half size in the right half, over the others (picture in picture); on V4 a portrait clip
    with no reframe of its own, on the square canvas V1's first clip sets. The timeline names no rate of
    its own: both sides must find the same one (its clips' 12 fps)."""
    from studio.project.framing import framing_metadata, make_framing

    framed = _clip(folder / "c.mp4", 30, 2, FRAMED[1] - FRAMED[0])
    framed.metadata["kinora"] = framing_metadata(make_framing(0.5, 0.25, 0.0, "black"))
    a = write_test_clip(folder / "a.mp4", 30, clip_id=1, hz=440.0)
    b = write_test_clip(folder / "b.mp4", 30, clip_id=2, hz=660.0)
    c = write_test_clip(folder / "c.mp4", 30, clip_id=3, hz=330.0)
    tall = _write_tall_clip(folder / "tall.mp4", 30, clip_id=1)
    timeline = otio.schema.Timeline("agreement")
    tracks = [
        ("V1", "Video", [_clip(a, 30, 3, 14), _clip(b, 30, 0, 10), _gap(4), _clip(c, 30, 7, 12)]),
        ("V2", "Video", [_gap(OVER[0]), _clip(c, 30, 0, OVER[1] - OVER[0])]),
        ("V3", "Video", [_gap(FRAMED[0]), framed]),
        ("V4", "Video", [_gap(TALL[0]), _clip(tall, 30, 20, TALL[1] - TALL[0])]),
        ("A1", "Audio", [_clip(a, 30, 3, 14), _clip(b, 30, 0, 10), _gap(4), _clip(c, 30, 7, 12)]),
        ("A2", "Audio", [_gap(5), _clip(b, 30, 12, 8)]),
        ("A3", "Audio", [_clip(c, 30, 0, 20)]),
    ]
    for name, kind, items in tracks:
        track = otio.schema.Track(name=name, kind=kind)
        track.extend(items)
        timeline.tracks.append(track)
    timeline.tracks[6].metadata["kinora"] = {"mute": True}
    return timeline


@pytest.mark.parametrize("speed", [None, 2.0, 0.5])
def test_preview_and_export_show_the_same_frame_and_sound_at_random_times(tmp_path: Path, speed) -> None:
    timeline = _edit(tmp_path)
    sped: list[float] = []  # times inside the clip given a speed, as the Inspector sets it
    if speed is not None:  # V1's first clip and its sound (A1) retimed; at 0.5x they cover part of the next
        from studio.project.clip_props import clip_speed
        from studio.project.edit_plans import plan_clip_edit

        clip, sound = timeline.tracks[0][0], timeline.tracks[4][0]
        for op in plan_clip_edit(clip, [sound], {}, None, True, speed)(timeline):
            op.apply(timeline)
        first = timeline.tracks[0][0]
        assert clip_speed(first) == clip_speed(timeline.tracks[4][0]) == speed
        length = first.duration().to_seconds()
        assert length == pytest.approx(14 / FPS / speed)
        sped = [length * f for f in (0.1, 0.35, 0.6, 0.9)]
    out = render_timeline(timeline, tmp_path / "edit.mp4", "source", resolve_media=_resolve, watermark=None)
    preview = TimelineSource(timeline, _resolve)
    exported = read_audio(out)
    rng = np.random.default_rng(15)
    try:
        assert preview.fps == FPS
        total = int(round(preview.duration * FPS))
        with FrameReader(out) as reader:
            assert reader.info.fps == FPS and abs(reader.duration - preview.duration) < 1 / FPS
            # The old edit's clips all had the canvas's shape, so neither side ever drew bars: the Preview's
            # black letterbox against the export's fill, and the Preview's canvas (its top track's first
            # picture) against export's (V1's first), went untested.
            assert preview.size == (reader.info.width, reader.info.height) == (64, 64)
            framed_seen = tall_seen = 0
            for t in sorted(rng.uniform(0, preview.duration - 1e-3, 30)) + [(TALL[0] + 2.5) / FPS] + sped:
                k = min(int(t * FPS), total - 1)  # the exported frame on screen at t
                shown = preview.frame_at(t)  # at the project's canvas, as the Program monitor shows it
                theirs = reader.frame_at((k + 0.5) / FPS)
                if FRAMED[0] <= k < FRAMED[1]:  # the reframed clip's frame in its box, the edit around it
                    framed_seen += 1
                    assert read_frame(shown[FRAMED_BOX]) == read_frame(theirs[FRAMED_BOX]) == (2 + k - FRAMED[0], 3)
                    assert np.abs(shown.astype(int) - theirs).mean() < 12, f"t={t:.3f}"
                elif TALL[0] <= k < TALL[1]:  # the portrait clip whole in the middle, over its blurred fill
                    tall_seen += 1
                    assert read_frame(shown[TALL_BOX]) == read_frame(theirs[TALL_BOX]) == (20 + k - TALL[0], 1)
                    for side in (slice(0, 14), slice(50, 64)):
                        assert 20 < shown[:, side].mean() < 200 and 20 < theirs[:, side].mean() < 200  # not black
                    assert np.abs(shown.astype(int) - theirs).mean() < 12, f"t={t:.3f}"
                else:
                    assert read_frame(shown) == read_frame(theirs), f"t={t:.3f}"
                    if t in sped and not OVER[0] <= k < OVER[1]:  # the retimed clip: its media from in (3) at its speed
                        assert read_frame(shown) == (3 + int(k * speed), 1), f"t={t:.3f}"
            assert framed_seen >= 3 and tall_seen >= 1
        for t in list(rng.uniform(0, preview.duration - 0.05, 12)) + [t - 0.025 for t in sped[1:]]:
            first = int(round(t * 48000))
            mine = preview.audio(first / 48000, (first + 2400) / 48000)[:, 0]
            theirs = exported[first:first + 2400, 0]
            # AAC is lossy: the same sound, within a few percent of its level
            assert np.sqrt(np.mean((mine - theirs) ** 2)) < 0.05 * max(0.05, np.sqrt(np.mean(mine ** 2))) + 0.01, t
    finally:
        preview.close()


def test_gain_fades_and_volume_keys_sound_the_same_in_preview_and_export(tmp_path: Path) -> None:
    from studio.project.clip_props import make_props

    a = write_test_clip(tmp_path / "a.mp4", 24, clip_id=1, hz=440.0)
    timeline = otio.schema.Timeline("loud and soft")
    track = otio.schema.Track(name="A1", kind="Audio")
    track.append(_clip(a, 24, 0, 24))
    timeline.tracks.append(track)
    plain = TimelineSource(timeline, _resolve)
    flat = plain.audio(0.0, 2.0)[:, 0]
    plain.close()
    clip = track[0]
    clip.metadata["kinora"] = {k: v for k, v in make_props(-6.0, 0.5, 0.25, [(1.0, 0.0), (1.5, -12.0)])
                               .to_metadata().items() if v is not None}
    preview = TimelineSource(timeline, _resolve)
    mine = preview.audio(0.0, 2.0)[:, 0]
    preview.close()
    out = render_timeline(timeline, tmp_path / "shaped.mp4", "source", resolve_media=_resolve, watermark=None)
    theirs = read_audio(out)[:96000, 0]

    def level(x: np.ndarray, t0: float, t1: float) -> float:
        return float(np.sqrt(np.mean(x[int(t0 * 48000):int(t1 * 48000)] ** 2)))

    assert level(mine, 0.0, 0.05) < 0.15 * level(flat, 0.0, 0.05)  # fading in
    assert level(mine, 0.6, 0.9) / level(flat, 0.6, 0.9) == pytest.approx(10 ** (-6 / 20), rel=0.03)  # -6 dB
    assert level(mine, 1.5, 1.7) / level(flat, 1.5, 1.7) == pytest.approx(10 ** (-18 / 20), rel=0.05)  # -6 -12
    assert level(mine, 1.96, 2.0) < 0.2 * level(flat, 1.96, 2.0)  # fading out
    for t0 in (0.1, 0.7, 1.2, 1.6, 1.9):
        assert level(theirs, t0, t0 + 0.05) == pytest.approx(level(mine, t0, t0 + 0.05), rel=0.08, abs=2e-3)


def test_a_transition_dissolves_and_crossfades_the_same_in_preview_and_export(tmp_path: Path) -> None:
    # Before, export and playback treated OTIO Transitions as cuts.
    from playback_media import tone

    from studio.media.encode import write_clip

    red = write_clip(np.full((36, 64, 64, 3), (200, 30, 30), np.uint8), tone(36, hz=440.0), FPS, 48000,
                     tmp_path / "red.mp4")
    blue = write_clip(np.full((36, 64, 64, 3), (30, 30, 200), np.uint8), tone(36, hz=660.0), FPS, 48000,
                      tmp_path / "blue.mp4")
    timeline = otio.schema.Timeline("dissolve")
    for name, kind in (("V1", "Video"), ("A1", "Audio")):
        track = otio.schema.Track(name=name, kind=kind)
        track.extend([_clip(red, 36, 6, 24),
                      otio.schema.Transition(in_offset=RT(6, FPS), out_offset=RT(6, FPS)),
                      _clip(blue, 36, 6, 24)])
        timeline.tracks.append(track)
    preview = TimelineSource(timeline, _resolve)
    out = render_timeline(timeline, tmp_path / "dissolve.mp4", "source", resolve_media=_resolve, watermark=None)
    try:
        assert preview.duration == 4.0
        with FrameReader(out) as reader:
            for t, redness in ((1.0, 1.0), (1.5, 1.0), (2.0, 0.5), (2.25, 0.25), (3.0, 0.0)):
                mine = preview.frame_at(t, (64, 64)).reshape(-1, 3).mean(axis=0)
                theirs = reader.frame_at(t + 0.01).reshape(-1, 3).mean(axis=0)
                assert abs(mine[0] - (30 + 170 * redness)) < 12 and abs(mine[2] - (30 + 170 * (1 - redness))) < 12, t
                assert np.abs(mine - theirs).max() < 12, t
        exported = read_audio(out)
        for t in (1.0, 1.75, 2.0, 2.25, 3.0):
            first = int(t * 48000)
            mine = preview.audio(first / 48000, (first + 2400) / 48000)[:, 0]
            theirs = exported[first:first + 2400, 0]
            assert np.sqrt(np.mean((mine - theirs) ** 2)) < 0.03, t
        # Mid-dissolve both tones sound at half level: the mix is neither tone alone.
        mid = preview.audio(2.0, 2.05)[:, 0]
        t_axis = np.arange(len(mid)) / 48000 + 2.0
        for hz in (440.0, 660.0):
            level = 2 * abs(np.mean(mid * np.exp(-2j * np.pi * hz * t_axis)))
            assert 0.1 < level < 0.2, hz  # half of the 0.3 tone
    finally:
        preview.close()


def test_a_linear_time_warp_plays_twice_as_fast_in_preview_and_export(tmp_path: Path) -> None:
    # Before, LinearTimeWarp was ignored: the clip played at normal speed and its frames lagged.
    a = write_test_clip(tmp_path / "a.mp4", 36, clip_id=1, hz=440.0)
    timeline = otio.schema.Timeline("fast")
    for name, kind in (("V1", "Video"), ("A1", "Audio")):
        track = otio.schema.Track(name=name, kind=kind)
        clip = _clip(a, 36, 4, 12)
        clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
        track.append(clip)
        timeline.tracks.append(track)
    preview = TimelineSource(timeline, _resolve)
    out = render_timeline(timeline, tmp_path / "fast.mp4", "source", resolve_media=_resolve, watermark=None)
    try:
        with FrameReader(out) as reader:
            for k in (0, 3, 7, 11):
                assert read_frame(preview.frame_at((k + 0.5) / FPS, (64, 64))) == (4 + 2 * k, 1)
                assert read_frame(reader.frame_at((k + 0.5) / FPS)) == (4 + 2 * k, 1)
        exported = read_audio(out)
        for sound in (preview.audio(0.2, 0.7)[:, 0], exported[9600:33600, 0]):
            spectrum = np.abs(np.fft.rfft(sound))
            assert np.fft.rfftfreq(len(sound), 1 / 48000)[np.argmax(spectrum)] == pytest.approx(880, abs=5)
    finally:
        preview.close()


def _both_at(clip: otio.schema.Clip, t: float, size: tuple[int, int], out: Path) -> tuple[np.ndarray, np.ndarray]:
    """The Preview's and the exported file's picture at `t` of an edit of `clip` alone on V1 (as ints)."""
    timeline = otio.schema.Timeline(out.stem)
    track = otio.schema.Track(name="V1", kind="Video")
    track.append(clip)
    timeline.tracks.append(track)
    preview = TimelineSource(timeline, _resolve)
    try:
        mine = preview.frame_at(t, size).astype(int)
    finally:
        preview.close()
    render_timeline(timeline, out, "source", resolve_media=_resolve, watermark=None)
    with FrameReader(out) as reader:
        return mine, reader.frame_at(t).astype(int)


def test_text_over_a_clip_is_drawn_the_same_in_preview_and_export(tmp_path: Path) -> None:
    from studio.media.encode import write_clip

    grey = write_clip(np.full((24, 96, 160, 3), 60, np.uint8), None, FPS, 48000, tmp_path / "grey.mp4")
    clip = _clip(grey, 24, 0, 24)
    clip.metadata["kinora"] = {"text": "KINORA", "text_position": "bottom"}
    mine, theirs = _both_at(clip, 0.5, (160, 96), tmp_path / "titled.mp4")
    band = slice(int(96 * 0.76), int(96 * 0.95))
    assert mine[band].max() > 200 and mine[:40].max() < 80  # white text at the bottom only
    assert abs(mine[band].mean() - theirs[band].mean()) < 6
    assert ((mine[band] > 160) == (theirs[band] > 160)).mean() > 0.9  # the same letters


def test_a_reframed_clip_over_its_blurred_fill_looks_the_same_in_preview_and_export(tmp_path: Path) -> None:
    from studio.media.encode import write_clip
    from studio.project.framing import framing_metadata, make_framing

    # Orange left half, blue right half: the fill around the small picture takes its colours.
    frames = np.zeros((12, 64, 96, 3), np.uint8)
    frames[:, :, :48] = (230, 120, 20)
    frames[:, :, 48:] = (20, 60, 220)
    two = write_clip(frames, None, FPS, 48000, tmp_path / "two.mp4")
    clip = _clip(two, 12, 0, 12)
    clip.metadata["kinora"] = framing_metadata(make_framing(0.5, -0.25, 0.25, "blur"))
    mine, theirs = _both_at(clip, 0.5, (96, 64), tmp_path / "reframed.mp4")
    # Half size (48 x 32), moved a quarter of the width left and a quarter of the height down.
    box = (slice(32, 64), slice(0, 48))
    for shown in (mine, theirs):
        assert abs(shown[40:56, 4:20].mean(axis=(0, 1)) - (230, 120, 20)).max() < 16  # its orange half
        assert abs(shown[40:56, 28:44].mean(axis=(0, 1)) - (20, 60, 220)).max() < 16  # its blue half
        fill = shown[0:28, 52:96]  # the blurred fill above and right of it: dimmed, not black
        assert 20 < fill.mean() < 150
    assert np.abs(mine - theirs)[box].mean() < 8
    assert np.abs(mine - theirs).mean() < 8  # the same fill
