"""The Preview and export play one schedule: the same picture and the same sound at any time of an edit.

Before, each flattened the timeline itself (frame-rate fallbacks, fades, media lookup and the frame a
time shows all differed), so what was previewed was not what was exported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opentimelineio as otio
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


def _edit(folder: Path) -> otio.schema.Timeline:
    """Three clips cut, trimmed and layered, a gap, a second audio track, and a muted one. The timeline
    names no rate of its own: both sides must find the same one (its clips' 12 fps)."""
    a = write_test_clip(folder / "a.mp4", 30, clip_id=1, hz=440.0)
    b = write_test_clip(folder / "b.mp4", 30, clip_id=2, hz=660.0)
    c = write_test_clip(folder / "c.mp4", 30, clip_id=3, hz=330.0)
    timeline = otio.schema.Timeline("agreement")
    tracks = [
        ("V1", "Video", [_clip(a, 30, 3, 14), _clip(b, 30, 0, 10), _gap(4), _clip(c, 30, 7, 12)]),
        ("V2", "Video", [_gap(9), _clip(c, 30, 0, 6)]),
        ("A1", "Audio", [_clip(a, 30, 3, 14), _clip(b, 30, 0, 10), _gap(4), _clip(c, 30, 7, 12)]),
        ("A2", "Audio", [_gap(5), _clip(b, 30, 12, 8)]),
        ("A3", "Audio", [_clip(c, 30, 0, 20)]),
    ]
    for name, kind, items in tracks:
        track = otio.schema.Track(name=name, kind=kind)
        track.extend(items)
        timeline.tracks.append(track)
    timeline.tracks[4].metadata["kinora"] = {"mute": True}
    return timeline


def test_preview_and_export_show_the_same_frame_and_sound_at_random_times(tmp_path: Path) -> None:
    timeline = _edit(tmp_path)
    out = render_timeline(timeline, tmp_path / "edit.mp4", "source", resolve_media=_resolve, watermark=None)
    preview = TimelineSource(timeline, _resolve)
    exported = read_audio(out)
    rng = np.random.default_rng(15)
    try:
        assert preview.fps == FPS
        total = int(round(preview.duration * FPS))
        with FrameReader(out) as reader:
            assert reader.info.fps == FPS and abs(reader.duration - preview.duration) < 1 / FPS
            for t in sorted(rng.uniform(0, preview.duration - 1e-3, 25)):
                k = min(int(t * FPS), total - 1)  # the exported frame on screen at t
                shown = preview.frame_at(t, (64, 64))
                assert read_frame(shown) == read_frame(reader.frame_at((k + 0.5) / FPS)), f"t={t:.3f}"
        for t in rng.uniform(0, preview.duration - 0.05, 12):
            first = int(round(t * 48000))
            mine = preview.audio(first / 48000, (first + 2400) / 48000)[:, 0]
            theirs = exported[first:first + 2400, 0]
            # AAC is lossy: the same sound, within a few percent of its level
            assert np.sqrt(np.mean((mine - theirs) ** 2)) < 0.05 * max(0.05, np.sqrt(np.mean(mine ** 2))) + 0.01, t
    finally:
        preview.close()
