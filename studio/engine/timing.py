"""Fitting generated material to the exact length asked for, and splicing clips together.

Video models generate only some frame counts (LTX-2: 8k+1) and sizes (multiples of 32); the
creator asks for seconds and pixels. These helpers close the gap on plain numpy arrays.
"""

from __future__ import annotations

import math

import numpy as np

SEAM_FADE_S = 0.05  # audio crossfade at a hard splice: long enough to hide a click, short enough to keep sync


def valid_frame_count(frames: int, temporal_ratio: int) -> int:
    """The smallest count of the form temporal_ratio*k + 1 that is >= frames (at least 1 + ratio)."""
    k = max(1, math.ceil((max(frames, 1) - 1) / temporal_ratio))
    return temporal_ratio * k + 1


def valid_size(width: int, height: int, multiple: int) -> tuple[int, int]:
    """The nearest size whose sides are multiples of `multiple` (never below one multiple)."""
    return max(multiple, round(width / multiple) * multiple), max(multiple, round(height / multiple) * multiple)


def fit_frames(frames: np.ndarray, count: int) -> np.ndarray:
    """Trim to `count` frames, or pad by holding the last frame."""
    if len(frames) >= count:
        return frames[:count]
    pad = np.repeat(frames[-1:], count - len(frames), axis=0)
    return np.concatenate([frames, pad], axis=0)


def resize_frames(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize (T, H, W, 3) uint8 frames to width x height (no-op when already that size)."""
    if frames.shape[1] == height and frames.shape[2] == width:
        return frames
    import cv2

    interp = cv2.INTER_AREA if width < frames.shape[2] else cv2.INTER_LINEAR
    return np.stack([cv2.resize(f, (width, height), interpolation=interp) for f in frames])


def to_uint8(frames: np.ndarray) -> np.ndarray:
    """Float frames in [0, 1] to uint8."""
    return (np.clip(frames, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def fit_audio(audio: np.ndarray, sample_rate: int, seconds: float) -> np.ndarray:
    """Trim or pad (with silence) (n, ch) float32 audio to exactly `seconds`."""
    want = round(seconds * sample_rate)
    if len(audio) >= want:
        return audio[:want]
    pad = np.zeros((want - len(audio), audio.shape[1]), dtype=np.float32)
    return np.concatenate([audio, pad], axis=0)


def resample_audio(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample (n, ch) audio to (m, 2) float32 through FFmpeg's band-limited resampler (PyAV).

    Plain interpolation folds everything above the new Nyquist back into the band (48 -> 24 kHz turns a
    15 kHz tone into 9 kHz); a filtering resampler removes it. The first output sample keeps the first
    input sample's time; the length is about n * rate_out / rate_in (callers fit it exactly).
    """
    stereo = as_stereo(audio)
    if rate_in == rate_out or len(stereo) == 0:
        return stereo
    from studio.media.encode import resample

    return resample(stereo, rate_in, rate_out)


def as_stereo(audio: np.ndarray) -> np.ndarray:
    """(n,), (n, 1) or (n, 2+) audio as (n, 2) float32."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[:, None]
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    return audio[:, :2]


def crossfade_append(base: np.ndarray, tail: np.ndarray, overlap: int) -> np.ndarray:
    """Append `tail` to `base`, the last `overlap` samples of base crossfading into tail's first ones."""
    overlap = max(0, min(overlap, len(base), len(tail)))
    if overlap == 0:
        return np.concatenate([base, tail], axis=0)
    ramp = np.linspace(0.0, 1.0, overlap, dtype=np.float32)[:, None]
    mixed = base[-overlap:] * (1.0 - ramp) + tail[:overlap] * ramp
    return np.concatenate([base[:-overlap], mixed, tail[overlap:]], axis=0)


def append_after(base: np.ndarray, generated: np.ndarray, rate: int, lead_s: float) -> np.ndarray:
    """Append generated sound after `base`, keeping it in step with its pictures.

    `generated` starts `lead_s` before the moment that must play right after base's last sample (extend:
    its first frames were the parent's held ones). Its sample at lead_s + t lands at len(base) + t*rate; the
    SEAM_FADE_S crossfade uses the generated sound just before lead_s, under base's last samples.
    """
    start = round(lead_s * rate)
    fade = max(0, min(round(SEAM_FADE_S * rate), start, len(base)))
    return crossfade_append(base, generated[start - fade:], fade)


def splice_range(base: np.ndarray, middle: np.ndarray, start: int, fade: int) -> np.ndarray:
    """Replace base[start:start+len(middle)] with middle, ramping over `fade` samples inside both edges.

    Works on frames or audio samples alike (first axis is time); the result has base's length.
    """
    end = min(len(base), start + len(middle))
    weight = np.zeros(len(base), dtype=np.float32)
    weight[start:end] = 1.0
    fade = max(0, min(fade, (end - start) // 2))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade + 2, dtype=np.float32)[1:-1]
        weight[start:start + fade] = ramp
        weight[end - fade:end] = ramp[::-1]
    shape = (-1,) + (1,) * (base.ndim - 1)
    weight = weight.reshape(shape)
    new = base.astype(np.float32).copy()
    new[start:end] = middle[: end - start]
    out = base.astype(np.float32) * (1.0 - weight) + new * weight
    return out.astype(base.dtype) if base.dtype != np.uint8 else np.clip(out + 0.5, 0, 255).astype(np.uint8)
