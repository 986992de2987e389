"""Export renders OTIO timelines: layering, trims, presets, watermark, sample-exact sync, cancel."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest
from media_samples import rotated_clip

from studio.cancel import CancelToken
from studio.errors import Cancelled, MediaError
from studio.exporting import render_schedule, render_timeline
from studio.media.audio import read_audio
from studio.media.compose import place
from studio.media.decode import FrameReader
from studio.media.encode import write_clip
from studio.media.export import AudioMixer, ExportProgress, plan_render
from studio.media.generators import color_matte, countdown_leader, flash_frame_indices, frame_start_sample
from studio.media.presets import PRESETS, ExportPreset, get_preset
from studio.media.probe import probe
from studio.media.schedule import AudioPiece
from studio.media.sync import measure_offset
from studio.media.watermark import WatermarkSettings

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
TINY = ExportPreset("tiny", 64, 36, "fit", x264_preset="ultrafast")


def _resolve(clip: otio.schema.Clip) -> Path:
    return Path(clip.media_reference.target_url)


def _clip(path: Path, start_s: float, seconds: float, rate: float) -> otio.schema.Clip:
    ref = otio.schema.ExternalReference(target_url=str(path))
    return otio.schema.Clip(path.stem, media_reference=ref,
                            source_range=TR(RT(round(start_s * rate), rate), RT(round(seconds * rate), rate)))


def _timeline(rate: float, video: list[list], audio: list[list] | None = None) -> otio.schema.Timeline:
    """Tracks from lists of items; a float in a list is a gap of that many seconds (at 48 kHz)."""
    tl = otio.schema.Timeline("test")
    tl.metadata["kinora"] = {"rate": rate}
    for kind, tracks in (("Video", video), ("Audio", audio or [])):
        for items in tracks:
            track = otio.schema.Track(kind=kind)
            for item in items:
                if isinstance(item, (int, float)):
                    item = otio.schema.Gap(source_range=TR(RT(0, 48000), RT(item * 48000, 48000)))
                track.append(item)
            tl.tracks.append(track)
    return tl


def _matte(tmp_path: Path, name: str, color: tuple[int, int, int], seconds: float = 1.0,
           size: tuple[int, int] = (64, 36), fps: float = 24) -> Path:
    clip = color_matte(color, seconds, fps, size)
    return write_clip(clip.frames, clip.audio, fps, 48000, tmp_path / f"{name}.mp4", preset="ultrafast")


def _leader(tmp_path: Path, fps: float | Fraction) -> Path:
    leader = countdown_leader(3, fps, (64, 36))
    return write_clip(leader.frames, leader.audio, leader.fps, 48000, tmp_path / "leader.mp4", preset="ultrafast")


@pytest.mark.parametrize("fps", [24, 25, 30, Fraction(30000, 1001)], ids=["24", "25", "30", "29.97"])
def test_export_keeps_sync(tmp_path: Path, fps: float | Fraction) -> None:
    leader = _leader(tmp_path, fps)
    rate = float(fps)
    tl = _timeline(rate, [[_clip(leader, 0, 3, rate)]], [[_clip(leader, 0, 3, rate)]])
    out = render_timeline(tl, tmp_path / "out.mp4", TINY, resolve_media=_resolve, watermark=None)
    measured = measure_offset(out)
    assert len(measured.flashes) == 3
    assert abs(measured.offset_ms) <= 1.0 + 500.0 / rate


@pytest.mark.parametrize("fps", [24, 25, 30, Fraction(30000, 1001)], ids=["24", "25", "30", "29.97"])
def test_sync_holds_after_moving_the_clip_by_a_fraction_of_a_sample(tmp_path: Path, fps: float | Fraction) -> None:
    leader = _leader(tmp_path, fps)
    rate = float(fps)
    shift = 12000.4 / 48000  # 0.25 s and 0.4 of a sample
    tl = _timeline(rate, [[shift, _clip(leader, 0, 3, rate)]], [[shift, _clip(leader, 0, 3, rate)]])
    out = render_timeline(tl, tmp_path / "moved.mp4", TINY, resolve_media=_resolve, watermark=None)
    measured = measure_offset(out)
    assert abs(measured.offset_ms) <= 1.0 + 500.0 / rate
    # The pops moved with the clip, to the sample: the second one sits where the leader put it plus the shift.
    second_pop = frame_start_sample(flash_frame_indices(3, Fraction(fps), 90)[1], Fraction(fps)) / 48000 + shift
    assert min(measured.pops, key=lambda p: abs(p - second_pop)) == pytest.approx(second_pop, abs=2 / 48000)


def test_sync_holds_after_a_move_made_with_the_editor_operations(tmp_path: Path) -> None:
    from studio.project.operations import MoveClip
    from studio.project.timeline import find_track, new_timeline

    leader = _leader(tmp_path, 25)
    tl = new_timeline("moved", rate=25)
    find_track(tl, "V1").append(_clip(leader, 0, 3, 25))
    find_track(tl, "A1").append(_clip(leader, 0, 3, 25))
    MoveClip("V1", 0, 0.52).apply(tl)
    MoveClip("A1", 0, 0.52).apply(tl)
    out = render_timeline(tl, tmp_path / "edited.mp4", TINY, resolve_media=_resolve, watermark=None)
    measured = measure_offset(out)
    assert measured.flashes[0] == pytest.approx(0.52, abs=1e-3)
    assert abs(measured.offset_ms) <= 1.0 + 500.0 / 25


def test_mixer_places_audio_on_the_nearest_sample(tmp_path: Path) -> None:
    click = np.zeros((4800, 2), np.float32)
    click[0] = 0.9
    path = write_clip(np.zeros((3, 32, 32, 3), np.uint8), click, 30, 48000, tmp_path / "click.mp4")
    source = read_audio(path, 0.0, 0.1)
    for offset_samples in (100.4, 100.6, 257.0):
        # The schedule puts a piece on the sample nearest its start (build_schedule rounds).
        mixer = AudioMixer([AudioPiece(int(round(offset_samples)), 4800, path, 0, False, False)])
        mixed = np.concatenate([mixer.mix(0, 1000), mixer.mix(1000, 4000)])
        shift = int(round(offset_samples))
        np.testing.assert_allclose(mixed[shift:shift + 4000], source[:4000], atol=1e-6)
        assert not mixed[:shift].any()


def test_top_track_covers_bottom_and_gaps_show_what_is_beneath(tmp_path: Path) -> None:
    red = _matte(tmp_path, "red", (255, 0, 0), 2.0)
    blue = _matte(tmp_path, "blue", (0, 0, 255), 1.0)
    tl = _timeline(24, [[_clip(red, 0, 1.5, 24)], [0.5, _clip(blue, 0, 1.0, 24)]])
    out = render_timeline(tl, tmp_path / "layers.mp4", TINY, resolve_media=_resolve, watermark=None)
    with FrameReader(out) as reader:
        assert reader.frame_at(0.25)[18, 32].argmax() == 0  # red under the gap
        assert reader.frame_at(1.0)[18, 32].argmax() == 2  # blue on top
        assert reader.frame_at(1.25)[18, 32].argmax() == 2  # blue runs to 1.5 s, past the red
    assert probe(out).duration == pytest.approx(1.5, abs=0.01)


def test_trim_is_honoured_and_uncovered_time_is_black(tmp_path: Path) -> None:
    frames = np.zeros((48, 36, 64, 3), np.uint8)
    for i in range(48):
        frames[i] = 5 * i
    ramp = write_clip(frames, None, 24, 48000, tmp_path / "ramp.mp4", preset="ultrafast")
    tl = _timeline(24, [[0.5, _clip(ramp, 1.0, 0.5, 24)]])
    out = render_timeline(tl, tmp_path / "trim.mp4", TINY, resolve_media=_resolve, watermark=None)
    with FrameReader(out) as reader:
        assert reader.frame_at(0.1).mean() < 3
        assert abs(float(reader.frame_at(0.5).mean()) - 5 * 24) < 4  # source frame at 1.0 s


def test_presets_have_their_sizes_and_fit_letterboxes_while_fill_crops(tmp_path: Path) -> None:
    assert {n: (p.width, p.height) for n, p in PRESETS.items()} == {
        "9:16": (1080, 1920), "16:9": (1920, 1080), "1:1": (1080, 1080), "720p": (1280, 720), "source": (None, None)}
    wide = _matte(tmp_path, "wide", (255, 255, 255), 0.5, size=(64, 36))
    tl = _timeline(24, [[_clip(wide, 0, 0.5, 24)]])
    assert (plan_render(render_schedule(tl, _resolve), get_preset("9:16")).width, plan_render(render_schedule(tl, _resolve), get_preset("9:16")).height) == (1080, 1920)
    assert (plan_render(render_schedule(tl, _resolve), get_preset("source")).width, plan_render(render_schedule(tl, _resolve), get_preset("source")).height) == (64, 36)
    square_fit = ExportPreset("sq", 36, 36, "fit", x264_preset="ultrafast")
    with FrameReader(render_timeline(tl, tmp_path / "fit.mp4", square_fit, resolve_media=_resolve, watermark=None)) as r:
        frame = r.frame_at(0.1)
        assert frame[1, 18].mean() < 20 and frame[18, 18].mean() > 235  # bars above, picture in the middle
    with FrameReader(render_timeline(tl, tmp_path / "fill.mp4", square_fit.with_fit("fill"), resolve_media=_resolve, watermark=None)) as r:
        assert r.frame_at(0.1)[1, 18].mean() > 235
    assert place(1920, 1080, 1080, 1920, "fill").scaled_h == 1920
    assert place(1920, 1080, 1080, 1920, "fit").dest_y == 656


def test_unknown_preset_names_the_choices() -> None:
    with pytest.raises(MediaError, match="9:16"):
        get_preset("4k")


def test_watermark_is_on_by_default_and_can_be_turned_off(tmp_path: Path) -> None:
    grey = _matte(tmp_path, "grey", (60, 60, 60), 0.5, size=(320, 180))
    tl = _timeline(24, [[_clip(grey, 0, 0.5, 24)]])
    preset = ExportPreset("p", 320, 180, "fit", x264_preset="ultrafast")
    marked = render_timeline(tl, tmp_path / "marked.mp4", preset, resolve_media=_resolve)
    plain = render_timeline(tl, tmp_path / "plain.mp4", preset, resolve_media=_resolve, watermark=None)
    top_left = render_timeline(tl, tmp_path / "tl.mp4", preset, resolve_media=_resolve,
                      watermark=WatermarkSettings(corner="top-left", opacity=1.0))
    with FrameReader(marked) as m, FrameReader(plain) as p, FrameReader(top_left) as t:
        corner_m, corner_p = m.frame_at(0.2)[140:, 200:], p.frame_at(0.2)[140:, 200:]
        assert corner_m.max() > 150 and corner_p.max() < 80
        assert np.abs(m.frame_at(0.2)[:40, :100].astype(int) - 60).max() < 10  # rest untouched
        assert t.frame_at(0.2)[:40, :120].max() > 200


def test_progress_reports_fraction_and_eta_and_ends_at_one(tmp_path: Path) -> None:
    red = _matte(tmp_path, "red", (255, 0, 0), 1.0)
    reports: list[ExportProgress] = []
    render_timeline(_timeline(24, [[_clip(red, 0, 1, 24)]]), tmp_path / "p.mp4", TINY, resolve_media=_resolve,
           progress=reports.append)
    assert reports[-1].fraction == 1.0 and reports[-1].frame == reports[-1].total == 24
    assert all(a.fraction <= b.fraction for a, b in zip(reports, reports[1:]))


def test_cancel_stops_and_leaves_no_file(tmp_path: Path) -> None:
    red = _matte(tmp_path, "red", (255, 0, 0), 1.0)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    token = CancelToken()

    def cancel_midway(p: ExportProgress) -> None:
        token.cancel()

    with pytest.raises(Cancelled):
        render_timeline(_timeline(24, [[_clip(red, 0, 1, 24)]]), out_dir / "c.mp4", TINY, resolve_media=_resolve,
               progress=cancel_midway, cancel=token)
    assert list(out_dir.iterdir()) == []


def test_muted_audio_track_is_silent_and_missing_media_is_named(tmp_path: Path) -> None:
    leader = _leader(tmp_path, 24)
    tl = _timeline(24, [[_clip(leader, 0, 1, 24)]], [[_clip(leader, 0, 1, 24)]])
    tl.audio_tracks()[0].metadata["kinora"] = {"mute": True}
    out = render_timeline(tl, tmp_path / "muted.mp4", TINY, resolve_media=_resolve, watermark=None)
    assert np.abs(read_audio(out)).max() < 1e-3

    def missing(clip: otio.schema.Clip) -> Path:
        raise FileNotFoundError("gone")

    with pytest.raises(MediaError, match="leader"):
        render_timeline(tl, tmp_path / "x.mp4", TINY, resolve_media=missing)


def test_sound_file_on_a_video_track_and_silent_clip_on_an_audio_track_play_as_gaps(tmp_path: Path, corpus: Path) -> None:
    red = _matte(tmp_path, "red", (255, 0, 0), 1.0)
    silent = tmp_path / "silent.mp4"
    with av.open(str(silent), "w") as out:  # video only, no audio stream
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 36, "yuv420p"
        for i in range(24):
            frame = av.VideoFrame.from_ndarray(np.zeros((36, 64, 3), np.uint8)).reformat(format="yuv420p")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    opus = corpus / "audio" / "bear.opus"
    tl = _timeline(24, [[_clip(red, 0, 1, 24)], [_clip(opus, 0, 1, 24)]], [[_clip(silent, 0, 1, 24)]])
    out = render_timeline(tl, tmp_path / "gaps.mp4", TINY, resolve_media=_resolve, watermark=None)
    with FrameReader(out) as reader:
        assert reader.frame_at(0.5)[18, 32].argmax() == 0
    assert np.abs(read_audio(out)).max() < 1e-3


def test_rotated_source_is_exported_upright(tmp_path: Path) -> None:
    path = rotated_clip(tmp_path / "rotated.mp4", frames=12)  # left half white, shown turned clockwise
    tl = _timeline(24, [[_clip(path, 0, 0.5, 24)]])
    preset = ExportPreset("portrait", 32, 64, "fit", x264_preset="ultrafast")
    with FrameReader(render_timeline(tl, tmp_path / "upright.mp4", preset, resolve_media=_resolve, watermark=None)) as r:
        frame = r.frame_at(0.2)
    assert frame.shape == (64, 32, 3)
    assert frame[:28].mean() > 235 and frame[36:].mean() < 20


def test_blur_fit_shows_the_whole_picture_over_a_blurred_fill_and_is_the_9_16_default(tmp_path: Path) -> None:
    # Before, 9:16 filled and cropped: a 16:9 title lost its sides.
    assert get_preset("9:16").fit == "blur" and get_preset("1:1").fit == "blur"
    frames = np.full((12, 36, 64, 3), (40, 160, 40), np.uint8)
    frames[:, :, :8] = (220, 20, 20)  # red left edge
    frames[:, :, -8:] = (20, 20, 220)  # blue right edge
    wide = write_clip(frames, None, 24, 48000, tmp_path / "wide.mp4", preset="ultrafast")
    tl = _timeline(24, [[_clip(wide, 0, 0.5, 24)]])
    tall = ExportPreset("tall", 64, 112, "blur", x264_preset="ultrafast")
    with FrameReader(render_timeline(tl, tmp_path / "blur.mp4", tall, resolve_media=_resolve, watermark=None)) as r:
        picture = r.frame_at(0.2).astype(int)
    middle = picture[56]  # the fitted band: both edges are there
    assert middle[1][0] > 150 and middle[-2][2] > 150
    top = picture[5]  # above the band: the picture's own colours, blurred and dimmed, not black
    assert top.mean() > 25 and top[:, 1].mean() > top[:, 0].mean() - 40
    with FrameReader(render_timeline(tl, tmp_path / "fill.mp4", tall.with_fit("fill"), resolve_media=_resolve,
                                     watermark=None)) as r:
        cropped = r.frame_at(0.2).astype(int)[56]
    assert cropped[1][0] < 120  # fill crops the red edge away
