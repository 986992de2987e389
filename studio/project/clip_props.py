"""A clip's sound properties an editor sets: gain, fades and volume keyframes, kept in the clip's
`metadata["kinora"]` and read by the schedule (so the Preview and export sound the same).

Keys: "gain_db" (float), "fade_in_s" / "fade_out_s" (seconds from the clip's edges), "volume_keys"
([[seconds into the clip, dB], ...], linear in dB between keys, held before the first and after the
last). Values are checked here, once, for every caller (Inspector, CLI, API).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from studio.errors import ProjectError

if TYPE_CHECKING:
    import opentimelineio as otio

MIN_DB, MAX_DB = -60.0, 24.0
MIN_SPEED, MAX_SPEED = 0.1, 10.0  # what an editor sets (imported timelines may carry any LinearTimeWarp)


@dataclass(frozen=True)
class SoundProps:
    """What shapes a clip's sound; the defaults change nothing."""

    gain_db: float = 0.0
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0
    volume_keys: tuple[tuple[float, float], ...] = field(default_factory=tuple)

    @property
    def neutral(self) -> bool:
        return self == SoundProps()

    def to_metadata(self) -> dict[str, Any]:
        """The keys of metadata["kinora"] (None removes a key at its default)."""
        return {"gain_db": self.gain_db or None, "fade_in_s": self.fade_in_s or None,
                "fade_out_s": self.fade_out_s or None,
                "volume_keys": [list(k) for k in self.volume_keys] or None}


def sound_props(data: dict[str, Any]) -> SoundProps:
    """The properties stored in a clip's metadata["kinora"] (as `kinora_data` gives it)."""
    return make_props(float(data.get("gain_db") or 0.0), float(data.get("fade_in_s") or 0.0),
                      float(data.get("fade_out_s") or 0.0),
                      [(float(t), float(db)) for t, db in (data.get("volume_keys") or [])])


def make_props(gain_db: float, fade_in_s: float, fade_out_s: float,
               volume_keys: list[tuple[float, float]] | tuple[tuple[float, float], ...] = ()) -> SoundProps:
    """Checked properties; ProjectError names the value out of range."""
    for name, db in [("Gain", gain_db)] + [(f"Volume key at {t:g} s", db) for t, db in volume_keys]:
        if not MIN_DB <= db <= MAX_DB:
            raise ProjectError(f"{name} must be between {MIN_DB:g} and {MAX_DB:g} dB, not {db:g}.")
    if not (0 <= fade_in_s < math.inf and 0 <= fade_out_s < math.inf):  # NaN and Inf fail too (from a file)
        raise ProjectError(f"Fades are 0 or more seconds, not {fade_in_s:g} and {fade_out_s:g}.")
    if any(not 0 <= t < math.inf for t, _ in volume_keys):
        raise ProjectError("Volume keys are placed from the clip's start: times are 0 or more seconds.")
    return SoundProps(gain_db, fade_in_s, fade_out_s, tuple(sorted((float(t), float(db)) for t, db in volume_keys)))


def parse_keys(text: str) -> list[tuple[float, float]]:
    """"0:-6, 1.5:0" -> [(0.0, -6.0), (1.5, 0.0)]; ProjectError for anything else."""
    keys = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        try:
            t, db = (float(v) for v in part.split(":"))
        except ValueError:
            raise ProjectError(f"Volume key '{part}' should look like 1.5:-6 (seconds:dB).") from None
        keys.append((t, db))
    return keys


def format_keys(keys: tuple[tuple[float, float], ...]) -> str:
    return ", ".join(f"{t:g}:{db:g}" for t, db in keys)


def rebased(data: dict[str, Any], offset_s: float, length_s: float, *, head: bool, tail: bool) -> dict[str, Any]:
    """The sound keys of metadata["kinora"] for a part of a clip that starts `offset_s` seconds into it
    (negative: earlier, as a head trim outwards) and lasts `length_s`: the volume keys move to the
    part's own start (cut at its edges with the level they had there, so it plays as it did), and the
    fades stay only on the clip's own edges (`head`: the part starts where the clip did; `tail`: ends).
    """
    import numpy as np

    props = sound_props(data)
    keys = [(t - offset_s, db) for t, db in props.volume_keys]
    if keys:
        times, levels = zip(*keys)
        inside = [(t, db) for t, db in keys if 0.0 <= t <= length_s]
        if times[0] < 0 and not (inside and inside[0][0] == 0.0):
            inside.insert(0, (0.0, float(np.interp(0.0, times, levels))))
        if times[-1] > length_s and not (inside and inside[-1][0] == length_s):
            inside.append((length_s, float(np.interp(length_s, times, levels))))
        keys = inside
    part = SoundProps(props.gain_db, props.fade_in_s if head else 0.0, props.fade_out_s if tail else 0.0,
                      tuple(keys))
    return part.to_metadata()


def clip_speed(clip: otio.schema.Clip) -> float:
    """How fast the clip plays its media: the product of its LinearTimeWarp effects (FreezeFrame is 0)."""
    import opentimelineio as otio

    speed = 1.0
    for effect in clip.effects:
        if isinstance(effect, otio.schema.LinearTimeWarp):
            speed *= float(effect.time_scalar)
    return speed if math.isfinite(speed) and speed > 0 else 0.0  # reverse, NaN, Inf: a held frame


def check_speed(speed: float) -> float:
    """A speed an editor may set, 0.1x to 10x; ProjectError names one outside it. (Reverse and a held
    frame are not set here: they arrive only with imported timelines.)"""
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ProjectError(f"Speed must be between {MIN_SPEED * 100:g} % and {MAX_SPEED * 100:g} %, "
                           f"not {speed * 100:g} %.")
    return float(speed)


def set_speed(clip: otio.schema.Clip, speed: float) -> None:
    """Make `clip` (a copy not yet on a track) play its media at `speed`: its LinearTimeWarp effects (a
    FreezeFrame is one) give way to a single LinearTimeWarp of `speed`, none at 1x, written as
    OpenTimelineIO's EDL adapter writes an M2 speed (unnamed; effect_name "LinearTimeWarp"), so it goes
    out to other editors and comes back as `clip_speed` reads it. Its source_range is the caller's."""
    import opentimelineio as otio

    check_speed(speed)
    kept = [e for e in clip.effects if not isinstance(e, otio.schema.LinearTimeWarp)]
    del clip.effects[:]
    clip.effects.extend(kept)
    if speed != 1.0:
        clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=float(speed)))


def retimed_keys(data: dict[str, Any], factor: float) -> list[list[float]] | None:
    """The volume keys of metadata["kinora"] (`kinora_data`) for the clip played `factor` times as long
    (the old speed over the new one): each key stays on the moment of the media it was set on."""
    keys = sound_props(data).volume_keys
    return [[t * factor, db] for t, db in keys] or None


def media_length(speed: float, length: float) -> float:
    """Seconds of its media a clip at `speed` plays in `length` seconds of track.

    OpenTimelineIO keeps a clip's source_range starting in its media's time and lasting as long as the
    clip lasts on its track (OTIO's own adapters write a sped-up EDL event so); a LinearTimeWarp plays
    `time_scalar` seconds of media per second of track. A held frame (speed 0) counts its hold: its
    in and out say how long it is held, the only length they can give it.
    """
    return length * speed if speed > 0 else length


def track_length(speed: float, media: float) -> float:
    """Seconds of track a clip at `speed` takes to play `media` seconds of its media (`media_length`'s inverse)."""
    return media / speed if speed > 0 else media


def media_in_out(clip: otio.schema.Clip) -> tuple[float, float]:
    """The clip's in and out, in seconds of its media (as trimmed_range's start counts them): what the
    Inspector shows and `PlaceClip` takes. At 2x a 1 s clip plays 2 s of its media."""
    source = clip.trimmed_range()
    start = source.start_time.to_seconds()
    return start, start + media_length(clip_speed(clip), source.duration.to_seconds())
