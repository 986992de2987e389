"""Waveform peaks: a min/max pyramid computed once per media file, cached on disk by sha256.

The pyramid's finest level holds the min and max of every BASE_BUCKET source samples (all channels
together); each coarser level merges FANOUT buckets of the one below. `peaks(t0, t1, width)` picks
the coarsest level that still has at least one bucket per pixel and reduces it to `width` columns,
so a widget's draw is a slice and a reduce, never a decode. Cuts and trims only change t0/t1.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from studio.atomic import atomic_path
from studio.errors import MediaError
from studio.media.containers import describe, open_input
from studio.media.decode import media_origin_pts

BASE_BUCKET = 64
FANOUT = 4
LEVELS = 6  # buckets of 64, 256, 1024, 4096, 16384, 65536 samples
_FORMAT_VERSION = 2
_BLOCK_SAMPLES = BASE_BUCKET * 1024  # samples reduced at once (per channel): whole buckets, 256 KB of float


@dataclass
class PeakPyramid:
    """Min/max levels of one file's sound; levels[i] is (n_i, 2) float16, bucket BASE_BUCKET * FANOUT**i."""

    rate: int
    start_s: float
    samples: int
    levels: list[np.ndarray]

    def peaks(self, t0: float, t1: float, width: int) -> np.ndarray:
        """(width, 2) float32 min/max per column for [t0, t1) seconds; silence outside the sound."""
        width = int(width)
        out = np.zeros((max(0, width), 2), np.float32)
        if width <= 0 or t1 <= t0 or not self.samples:
            return out
        per_px = (t1 - t0) * self.rate / width
        level = 0
        while level + 1 < len(self.levels) and BASE_BUCKET * FANOUT ** (level + 1) <= per_px:
            level += 1
        data = self.levels[level]
        bucket = BASE_BUCKET * FANOUT**level
        # Column edges in fractional buckets of the chosen level.
        edges = ((t0 - self.start_s) + (t1 - t0) * np.arange(width + 1) / width) * self.rate / bucket
        lo = np.floor(edges[:-1]).astype(np.int64)
        hi = np.maximum(np.floor(edges[1:]).astype(np.int64), lo + 1)
        inside = np.flatnonzero((hi > 0) & (lo < len(data)))
        if not len(inside):
            return out
        lo_in = np.clip(lo[inside], 0, len(data) - 1)
        end = int(min(len(data), hi[inside[-1]]))
        window = data[lo_in[0]:end]
        starts = lo_in - lo_in[0]
        # Columns are back to back, so reduceat over their starts reduces exactly each column's
        # buckets; where zoomed in past a bucket per column, equal starts give that one bucket.
        out[inside, 0] = np.minimum.reduceat(window[:, 0], starts)
        out[inside, 1] = np.maximum.reduceat(window[:, 1], starts)
        return out


class WaveformCache:
    """Peak pyramids under cache_dir/waveforms, one set of .npy files per media sha256."""

    def __init__(self, cache_dir: str | os.PathLike[str]) -> None:
        self.dir = Path(cache_dir) / "waveforms"
        self._loaded: dict[str, PeakPyramid] = {}
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def ensure(self, media_path: str | os.PathLike[str], sha256: str) -> PeakPyramid:
        """Load or build (decode once, then save) the pyramid; call it off the GUI thread."""
        with self._lock:
            if sha256 in self._loaded:
                return self._loaded[sha256]
            build_lock = self._building.setdefault(sha256, threading.Lock())
        with build_lock:
            with self._lock:
                if sha256 in self._loaded:
                    return self._loaded[sha256]
            pyramid = self._load(sha256)
            if pyramid is None:
                pyramid = build_pyramid(media_path)
                self._save(sha256, pyramid)
            with self._lock:
                self._loaded[sha256] = pyramid
            return pyramid

    def peaks(self, media_path: str | os.PathLike[str], sha256: str, t0: float, t1: float, width: int) -> np.ndarray:
        """(width, 2) min/max in [-1, 1] for media time t0..t1 seconds (builds the pyramid if needed)."""
        pyramid = self._loaded.get(sha256) or self.ensure(media_path, sha256)
        return pyramid.peaks(t0, t1, width)

    def _file(self, sha256: str) -> Path:
        return self.dir / sha256[:2] / f"{sha256}.peaks"

    def _load(self, sha256: str) -> PeakPyramid | None:
        try:
            header, _, body = self._file(sha256).read_bytes().partition(b"\n")
            meta = json.loads(header)
            if meta.get("version") != _FORMAT_VERSION:
                return None
            base = np.frombuffer(body, np.float16).reshape(meta["buckets"], 2)
            return PeakPyramid(meta["rate"], meta["start_s"], meta["samples"], _levels_from_base(base))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, damaged or from another version: rebuild

    def _save(self, sha256: str, pyramid: PeakPyramid) -> None:
        # One file (a JSON line, then the finest level as float16 pairs): one write, one fsync
        # before a 20 s clip is ready to draw. Version 1 kept two files (.json and .peaks.npy).
        base = np.ascontiguousarray(pyramid.levels[0], np.float16)
        meta = {"version": _FORMAT_VERSION, "rate": pyramid.rate, "start_s": pyramid.start_s,
                "samples": pyramid.samples, "buckets": len(base)}
        path = self._file(sha256)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            fh.write(json.dumps(meta).encode() + b"\n")
            fh.write(base.tobytes())
        for version_1 in (path.with_name(f"{sha256}.json"), path.with_name(f"{sha256}.peaks.npy")):
            version_1.unlink(missing_ok=True)  # replaced: don't leave it taking disk space


def build_pyramid(media_path: str | os.PathLike[str]) -> PeakPyramid:
    """Decode the first audio stream once, at its own rate (no resampling), into min/max buckets."""
    path = Path(media_path)
    with open_input(path) as container:
        if not container.streams.audio:
            raise MediaError(f"{path}: has no audio stream, so there is no waveform to draw")
        stream = container.streams.audio[0]
        rate, index = stream.codec_context.sample_rate, stream.index
        origin = media_origin_pts(container, stream)
    reducer, start_s, samples = _BucketReducer(), 0.0, 0
    try:
        graph, sink = _decoding_graph(path, index)
        while True:
            try:
                block = sink.pull()
            except av.EOFError:
                break
            if not samples and block.pts is not None:
                start_s = (block.pts - origin) * float(block.time_base)
            samples += block.samples
            reducer.add(block)
    except av.FFmpegError as exc:
        raise MediaError(f"{path}: its audio cannot be decoded ({describe(exc)}); the file may be damaged, "
                         "or its audio changes format part-way (re-encode it to draw its waveform)") from exc
    del graph  # closes the file and frees the decoder before the levels are computed
    # The coarser levels are reduced in float32 and each level rounded to float16 after: rounding
    # keeps order, so that equals reducing the float16 base (numpy's float16 min/max is 3x slower).
    levels = _levels_from_base(np.clip(reducer.peaks(), -1.0, 1.0))
    return PeakPyramid(rate, start_s, samples, [level.astype(np.float16) for level in levels])


def _decoding_graph(path: Path, stream_index: int) -> tuple[av.filter.Graph, av.filter.context.FilterContext]:
    """A filter graph that reads and decodes the stream itself (FFmpeg's amovie source) and hands
    out its samples in blocks of _BLOCK_SAMPLES, in the decoder's own format, from its sink.
    (amovie opens the file without open_input's timeouts: build_pyramid opens it first, which checks
    that it is a regular file.)

    All per-codec-frame work (AAC: every 1024 samples) stays in C, so Python and numpy run once
    per block: on the one-hour benchmark this builds the pyramid in about the time a PyAV decode
    loop (container.decode) takes alone, where decoding through PyAV into an AudioFifo added ~25%.
    """
    graph = av.filter.Graph()
    source = graph.add("amovie", f"filename={_option_quoted(str(path))}:si={stream_index}")
    blocks = graph.add("asetnsamples", f"n={_BLOCK_SAMPLES}:p=0")  # p=0: the last block is not padded
    sink = graph.add("abuffersink")
    source.link_to(blocks)
    blocks.link_to(sink)
    graph.configure()
    return graph, sink


def _option_quoted(text: str) -> str:
    """text as one filter option value: ':' ',' '\\' and spaces kept literally inside single quotes,
    a single quote itself closed, escaped and reopened."""
    return "'" + text.replace("'", "'\\''") + "'"


_DTYPES = {"u8": np.uint8, "s16": np.int16, "s32": np.int32, "s64": np.int64, "flt": np.float32, "dbl": np.float64}
_INT_SCALE = {"u8": 128.0, "s16": 32768.0, "s32": 2147483648.0, "s64": 9.223372036854776e18}


class _BucketReducer:
    """Min/max of all channels for each BASE_BUCKET samples of the blocks it is given, in order; a
    partial last bucket (only at the end of the sound) counts as one.

    The reduction runs on the decoded samples as they are (int16 stays int16): only the buckets'
    results are converted to float in [-1, 1]. The channels' pairwise min and max go into two
    scratch arrays kept from block to block: allocating them afresh for each block cost about 6%
    of the decoding time on the one-hour benchmark (bench/waveform.py).
    """

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self._lows = self._highs = np.empty(0, np.float32)

    def add(self, block: av.AudioFrame) -> None:
        """Reduce one block of whole buckets (or the sound's last, shorter block)."""
        name = block.format.name.rstrip("p")
        dtype = _DTYPES[name]
        samples = block.samples
        if block.format.is_planar:  # one plane per channel
            channels = [np.frombuffer(memoryview(plane), dtype, count=samples) for plane in block.planes]
            width = BASE_BUCKET
        else:  # one plane, channels interleaved: a bucket is BASE_BUCKET frames of every channel
            count = len(block.layout.channels)
            channels = [np.frombuffer(memoryview(block.planes[0]), dtype, count=samples * count)]
            width = BASE_BUCKET * count
        lows, highs = self._channel_extremes(channels)
        # Then each bucket. reduceat runs over every bucket in one inner loop: three times faster
        # than min(axis=1) over rows of 64, which pays numpy's per-row cost; a last, partial
        # bucket is simply a shorter segment.
        peaks = np.empty((-(-len(lows) // width), 2), lows.dtype)
        starts = _bucket_starts(len(lows), width)
        np.minimum.reduceat(lows, starts, out=peaks[:, 0])
        np.maximum.reduceat(highs, starts, out=peaks[:, 1])
        if name in _INT_SCALE:
            self._parts.append((peaks.astype(np.float32) - (128.0 if name == "u8" else 0.0)) / _INT_SCALE[name])
        else:
            self._parts.append(peaks.astype(np.float32, copy=False))

    def peaks(self) -> np.ndarray:
        """(buckets, 2) float32 min/max of everything added so far."""
        return np.concatenate(self._parts) if self._parts else np.zeros((0, 2), np.float32)

    def _channel_extremes(self, channels: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Element-wise min and max across the channels (full length, pairwise)."""
        first = channels[0]
        if len(channels) == 1:
            return first, first
        if self._lows.dtype != first.dtype or len(self._lows) < len(first):
            self._lows, self._highs = np.empty_like(first), np.empty_like(first)
        lows, highs = self._lows[:len(first)], self._highs[:len(first)]
        np.minimum(first, channels[1], out=lows)
        np.maximum(first, channels[1], out=highs)
        for other in channels[2:]:
            np.minimum(lows, other, out=lows)
            np.maximum(highs, other, out=highs)
        return lows, highs


@functools.lru_cache(maxsize=8)
def _bucket_starts(length: int, width: int) -> np.ndarray:
    """Where each bucket of `width` samples starts in a block of `length` (the same for every full block)."""
    starts = np.arange(0, length, width)
    starts.flags.writeable = False
    return starts


def _levels_from_base(base: np.ndarray) -> list[np.ndarray]:
    """The pyramid from its finest level: each level's bucket i is the min/max of buckets
    FANOUT*i .. FANOUT*i+FANOUT-1 of the one below (a partial last group makes one bucket)."""
    levels = [base]
    for _ in range(1, LEVELS):
        prev = levels[-1]
        whole = len(prev) // FANOUT
        if whole == 0:
            break
        # Element-wise min/max of the FANOUT strided columns: long vectorized loops, where
        # min(axis=1) over rows of FANOUT pays numpy's per-row cost (twice as slow for an hour).
        grouped = prev[:whole * FANOUT].reshape(whole, FANOUT, 2)
        nxt = np.empty((-(-len(prev) // FANOUT), 2), prev.dtype)
        lows, highs = nxt[:whole, 0], nxt[:whole, 1]
        np.minimum(grouped[:, 0, 0], grouped[:, 1, 0], out=lows)
        np.maximum(grouped[:, 0, 1], grouped[:, 1, 1], out=highs)
        for k in range(2, FANOUT):
            np.minimum(lows, grouped[:, k, 0], out=lows)
            np.maximum(highs, grouped[:, k, 1], out=highs)
        if len(nxt) > whole:  # the partial last bucket
            tail = prev[whole * FANOUT:]
            nxt[whole] = (tail[:, 0].min(), tail[:, 1].max())
        levels.append(nxt)
    return levels


def db_scale(peaks: np.ndarray, floor_db: float = -60.0) -> np.ndarray:
    """Peaks (-1..1) redrawn on a decibel scale: 0 dBFS stays at 1, `floor_db` and below at 0, sign kept.

    Quiet passages that a linear waveform flattens to a line stay readable (the timeline's dB view).
    """
    magnitude = np.abs(peaks).astype(np.float64)
    with np.errstate(divide="ignore"):
        db = 20.0 * np.log10(magnitude)
    scaled = np.clip((db - floor_db) / -floor_db, 0.0, 1.0)
    return (np.sign(peaks) * scaled).astype(np.float32)
