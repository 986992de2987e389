"""Building what plays when: one flattening of an edit, read by the Preview and by export.

`build_schedule(timeline, resolve, kinds)` turns an OpenTimelineIO timeline into a
`studio.media.schedule.Schedule` (layers of pictures bottom first, as OTIO composites later tracks
over earlier ones, and pieces of sound on the 48 kHz grid) with:
- the timeline's rate (`timeline_rate`: Kinora's metadata, else the timeline's own, else its clips');
- track flags from `metadata["kinora"]`: "mute" hides a video track and silences an audio track,
  "solo" on any audio track plays only the soloed ones;
- one media resolver (`resolve(clip) -> Path | None`; None: offline, the clip plays as a gap and is
  named in `missing`) and one probe (`kinds(path) -> (has_video, has_audio)`): a sound file on a
  video track, or a silent clip on an audio track, plays as a gap;
- the de-click fades where a clip's sound is cut mid-waveform (trimmed, and not simply continuing
  the previous piece of the same file, as after a split), and each audio clip's own gain, fades and
  volume keyframes (studio.project.clip_props).
- OTIO Transitions between two clips as a dissolve (the incoming picture fades in on a layer just
  above) and a linear crossfade of the sound; the clips run on into the transition from their media.
- speed: a clip's LinearTimeWarp effects (FreezeFrame holds its first frame, in silence); the sound
  is varispeed (resampled: pitch follows the speed).
- text over a clip's picture (metadata["kinora"]["text"] and "text_position").
- a clip's own reframe, position and scale (metadata["kinora"]["reframe"], studio.project.framing);
  clips without one follow the project's framing (whole over a blurred fill), or the export's --fit.
Only flat tracks are played: clips and gaps; a nested stack or track inside a track plays as a gap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import opentimelineio as otio

from studio.media.schedule import SAMPLE_RATE, AudioPiece, Schedule, VideoPiece
from studio.project.clip_props import SoundProps, clip_speed, sound_props
from studio.project.framing import clip_framing
from studio.project.timeline import audio_tracks, duration_seconds, kinora_data, seconds, timeline_rate, video_tracks

Resolve = Callable[[otio.schema.Clip], "Path | None"]
Kinds = Callable[[Path], "tuple[bool, bool]"]  # (has picture, has sound)


def build_schedule(timeline: otio.schema.Timeline, resolve: Resolve, kinds: Kinds) -> Schedule:
    """The edit as layers of pictures and pieces of sound (see the module notes)."""
    missing: list[str] = []
    known: dict[Path, tuple[bool, bool]] = {}

    def kind(path: Path) -> tuple[bool, bool]:
        if path not in known:
            known[path] = kinds(path)
        return known[path]

    layers: list[list[VideoPiece]] = []
    for track in video_tracks(timeline):
        if not track.enabled or kinora_data(track).get("mute"):
            layers.append([])
            continue
        base, over = [], []
        fades = _crossfades(track)
        for index, _clip, placed, start, _available, path in _clips(track, resolve, missing):
            if not kind(path)[0]:
                continue
            begin, end = seconds(placed.start_time), seconds(placed.end_time_exclusive())
            speed = clip_speed(_clip)
            data = kinora_data(_clip)
            text, text_position = str(data.get("text") or ""), str(data.get("text_position") or "bottom")
            framing = clip_framing(data)
            incoming, outgoing = fades.get(index, (None, None))
            end += outgoing[1] if outgoing else 0.0  # the outgoing clip plays on under the dissolve
            if incoming:  # the incoming clip dissolves in on a layer just above, then plays on here
                a, b = incoming
                over.append(VideoPiece(begin - a, begin + b, path, start - a * speed, fade=(begin - a, begin + b),
                                       speed=speed, text=text, text_position=text_position, framing=framing))
                begin, start = begin + b, start + b * speed
            base.append(VideoPiece(begin, end, path, start, speed=speed, text=text, text_position=text_position,
                                   framing=framing))
        layers.append(base)
        if over:
            layers.append(over)
    tracks = audio_tracks(timeline)
    solo = any(kinora_data(t).get("solo") for t in tracks)
    audio: list[AudioPiece] = []
    for track in tracks:
        if not _track_plays(track, solo):
            continue
        raw = []
        fades = _crossfades(track)
        for index, clip, placed, source_start, available, path in _clips(track, resolve, missing):
            if not kind(path)[1]:
                continue
            props = sound_props(kinora_data(clip))
            begin, end = seconds(placed.start_time), seconds(placed.end_time_exclusive())
            incoming, outgoing = fades.get(index, (None, None))
            speed = clip_speed(clip)
            if incoming:  # a crossfade: the sound starts early and fades in over the transition
                begin, source_start = begin - incoming[0], source_start - incoming[0] * speed
                props = replace(props, fade_in_s=max(props.fade_in_s, sum(incoming)))
            if outgoing:  # and the outgoing sound plays on, fading out
                end += outgoing[1]
                props = replace(props, fade_out_s=max(props.fade_out_s, sum(outgoing)))
            first = int(round(begin * SAMPLE_RATE))
            length = int(round(end * SAMPLE_RATE)) - first
            media_end = (int(round((seconds(available.end_time_exclusive()) - seconds(available.start_time))
                                   * SAMPLE_RATE)) if available is not None else None)
            raw.append((first, length, path, int(round(source_start * SAMPLE_RATE)), media_end, props, speed))
        audio.extend(_with_fades(raw))
    return Schedule(timeline_rate(timeline), duration_seconds(timeline), layers, audio,
                    missing)


def _crossfades(track: otio.schema.Track) -> dict[int, tuple[tuple[float, float] | None, tuple[float, float] | None]]:
    """Clip index -> (incoming, outgoing) transition as (seconds before the cut, seconds after it).

    Any OTIO Transition between two clips plays as a dissolve (its picture) and a crossfade (its sound).
    """
    found: dict[int, list[tuple[float, float] | None]] = {}
    for index, item in enumerate(track):
        if not isinstance(item, otio.schema.Transition) or not 0 < index < len(track) - 1:
            continue
        before, after = track[index - 1], track[index + 1]
        if not (isinstance(before, otio.schema.Clip) and isinstance(after, otio.schema.Clip)):
            continue
        span = (seconds(item.in_offset), seconds(item.out_offset))
        found.setdefault(index - 1, [None, None])[1] = span
        found.setdefault(index + 1, [None, None])[0] = span
    return {k: (v[0], v[1]) for k, v in found.items()}


_PlacedClip = tuple[int, otio.schema.Clip, otio.opentime.TimeRange, float, "otio.opentime.TimeRange | None", Path]


def _clips(track: otio.schema.Track, resolve: Resolve, missing: list[str]) -> Iterator[_PlacedClip]:
    """(index, clip, timeline range, seconds into the file, available range, path) for each playable clip."""
    for index, item in enumerate(track):
        if not isinstance(item, otio.schema.Clip) or not item.enabled:
            continue
        path = resolve(item)
        if path is None or not Path(path).is_file():
            missing.append(item.name or f"{track.name} clip {index + 1}")
            continue
        placed = track.range_of_child_at_index(index)
        trimmed = item.trimmed_range()
        available = item.media_reference.available_range if item.media_reference is not None else None
        origin = seconds(available.start_time) if available is not None else 0.0
        yield index, item, placed, seconds(trimmed.start_time) - origin, available, Path(path)


def _track_plays(track: otio.schema.Track, solo: bool) -> bool:
    data = kinora_data(track)
    if not track.enabled or data.get("mute"):
        return False
    return data.get("solo", False) or not solo


def _with_fades(raw: list[tuple[int, int, Path, int, int | None, SoundProps, float]]) -> list[AudioPiece]:
    """Pieces of one track, marking the edges where the sound is cut mid-waveform, with each clip's shaping."""
    pieces = []
    for i, (first, length, path, source_first, media_end, props, speed) in enumerate(raw):
        prev = raw[i - 1] if i > 0 else None
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        used = int(round(length * speed))  # samples of the file the piece reads: at 2x, twice its length
        continues_prev = prev is not None and _continues(prev, first, path, source_first, speed)
        continued_by_next = nxt is not None and _continues(raw[i], nxt[0], nxt[2], nxt[3], nxt[6])
        trimmed_head = source_first > 0
        trimmed_tail = media_end is None or source_first + used < media_end
        pieces.append(AudioPiece(first, length, path, source_first,
                                 fade_in=trimmed_head and not continues_prev,
                                 fade_out=trimmed_tail and not continued_by_next, gain_db=props.gain_db,
                                 fade_in_s=props.fade_in_s, fade_out_s=props.fade_out_s,
                                 volume_keys=props.volume_keys, speed=speed))
    return pieces


def _continues(prev: tuple[int, int, Path, int, int | None, SoundProps, float], first: int, path: Path,
               source_first: int, speed: float) -> bool:
    """Whether a piece starting at `first`, reading `path` from `source_first` at `speed`, simply goes on
    where `prev` stopped (as after a split, also of a sped-up clip): no cut in the waveform to de-click."""
    p_first, p_length, p_path, p_source, _end, _props, p_speed = prev
    return (p_path == path and p_first + p_length == first and p_speed == speed
            and abs(p_source + p_length * p_speed - source_first) <= 2)  # rounding of the two starts
