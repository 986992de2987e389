"""Playing an edit: the schedule's picture on top at each time and the mix of its sound.

What plays when is `studio.project.schedule` (the same flattening export renders from), so the
Preview and the exported file agree frame for frame. `TimelineSource` builds the schedule when it
is made (the decode and audio threads read it while the creator keeps editing); load a new one
after an edit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import opentimelineio as otio

from studio.media.schedule import Framing, Schedule, VideoPiece, media_kinds, read_sound, shape_sound, source_time
from studio.playback.audio_window import AudioWindows
from studio.playback.sinks import SAMPLE_RATE
from studio.playback.sources import fit_into, fitted_size, open_reader, sample_span
from studio.project.schedule import build_schedule

if TYPE_CHECKING:
    from studio.media.decode import FrameReader

ResolveMedia = Callable[[otio.schema.Clip], "Path | None"]

DEFAULT_CANVAS = (1280, 720)


class TimelineSource:
    """An OTIO timeline as a playback source (see the module notes)."""

    def __init__(self, timeline: otio.schema.Timeline, resolve_media: ResolveMedia, *,
                 size: tuple[int, int] | None = None, fps: float | None = None) -> None:
        """`resolve_media(clip) -> Path | None` finds each clip's file; `size` (w, h) is the picture canvas.

        Probes the clips' files: build it off the GUI thread.
        """
        self.schedule: Schedule = build_schedule(timeline, resolve_media, media_kinds)
        self.fps = float(fps or self.schedule.rate)
        self.duration = self.schedule.duration
        self.missing = self.schedule.missing  # names of clips whose media is offline (they play as gaps)
        self.has_audio = bool(self.schedule.audio)
        self.size = size or self._first_picture_size() or DEFAULT_CANVAS
        self._readers: dict[Path, FrameReader] = {}  # used by the decode thread only
        self._windows: dict[Path, AudioWindows] = {}
        self._windows_lock = threading.Lock()

    def _first_picture_size(self) -> tuple[int, int] | None:
        from studio.media.probe import probe

        for layer in reversed(self.schedule.layers):
            for piece in layer:
                info = probe(piece.path)
                if info.width and info.height:
                    return info.width, info.height
        return None

    # -- picture ------------------------------------------------------------------------------

    def piece_at(self, t: float) -> VideoPiece | None:
        """The clip on top at `t` seconds, or None where every video track has a gap."""
        return self.schedule.top_at(t)

    def frame_at(self, t: float, size: tuple[int, int] | None = None) -> np.ndarray:
        size = size or self.size
        shown = self.schedule.pictures_at(t)
        if not shown:
            return np.zeros((size[1], size[0], 3), dtype=np.uint8)
        # From the top down to the first opaque picture that hides what is beneath it (a dissolving one,
        # or a reframed one that leaves part of the frame uncovered, shows the pictures beneath).
        first = next((i for i in range(len(shown) - 1, -1, -1)
                      if shown[i].opacity(t) >= 1.0 and self._hides(shown[i], size)), 0)
        canvas = self._picture(shown[first], t, size)
        for piece in shown[first + 1:]:
            alpha = piece.opacity(t)
            if alpha <= 0:
                continue
            if piece.framing is None:
                canvas = (canvas * (1 - alpha) + self._picture(piece, t, size) * alpha + 0.5).astype(np.uint8)
            else:
                canvas = self._framed(piece, piece.framing, t, size, canvas, alpha)
        return canvas

    def _reader(self, path: Path) -> FrameReader:
        reader = self._readers.get(path)
        if reader is None:
            reader = self._readers[path] = open_reader(path)
        return reader

    def _hides(self, piece: VideoPiece, size: tuple[int, int]) -> bool:
        """Whether the piece covers the whole canvas (a letterboxed one does: its bars are black)."""
        if piece.framing is None:
            return True
        from studio.media.compose import place_framed  # loads PyAV: not before the studio's first frame

        info = self._reader(piece.path).info
        p = place_framed(info.width, info.height, size[0], size[1], piece.framing)
        return p is not None and p.covers(*size)

    def _picture(self, piece: VideoPiece, t: float, size: tuple[int, int]) -> np.ndarray:
        reader = self._reader(piece.path)
        if piece.framing is not None:
            return self._framed(piece, piece.framing, t, size, None, 1.0)
        # Decoded straight at the size it shows at (scaling in the decoder's converter), then
        # letterboxed: never a full-size picture scaled again.
        native = (reader.info.width, reader.info.height)
        shown = fitted_size(native, size) if all(native) else None
        picture = fit_into(reader.frame_at(source_time(piece, t, reader.info.fps, self.schedule.rate), shown), size)
        return self._titled(picture, piece)

    def _framed(self, piece: VideoPiece, framing: Framing, t: float, size: tuple[int, int], beneath: np.ndarray | None,
                alpha: float) -> np.ndarray:
        """A reframed piece over `beneath` (None: nothing beneath, so over its fill), placed by the
        geometry export uses (`place_framed`); a "blur" fill is made by export's own compositor."""
        from studio.media.compose import blurred_fill_rgb, place_framed  # loads PyAV: not before the first frame

        reader = self._reader(piece.path)
        w, h = size
        src_t = source_time(piece, t, reader.info.fps, self.schedule.rate)
        p = place_framed(reader.info.width, reader.info.height, w, h, framing)
        if beneath is not None:
            canvas = beneath.copy()
        elif framing.fill == "blur" and (p is None or not p.covers(w, h)):
            canvas = blurred_fill_rgb(reader.picture_at(src_t), reader.info.width, reader.info.height,
                                      reader.rotation, size)
        else:
            canvas = np.zeros((h, w, 3), dtype=np.uint8)
        if p is not None:
            picture = reader.frame_at(src_t, (p.scaled_w, p.scaled_h))[p.crop_y:p.crop_y + p.h, p.crop_x:p.crop_x + p.w]
            region = canvas[p.dest_y:p.dest_y + p.h, p.dest_x:p.dest_x + p.w]
            region[...] = picture if alpha >= 1.0 else (region * (1 - alpha) + picture * alpha + 0.5).astype(np.uint8)
        return self._titled(canvas, piece)

    @staticmethod
    def _titled(picture: np.ndarray, piece: VideoPiece) -> np.ndarray:
        if not piece.text:
            return picture
        from studio.media.overlay import blend_text_rgb  # loads OpenCV: not before the studio's first frame

        return blend_text_rgb(picture, piece.text, piece.text_position)

    # -- sound --------------------------------------------------------------------------------

    def _window(self, path: Path) -> AudioWindows:
        with self._windows_lock:
            window = self._windows.get(path)
            if window is None:
                window = self._windows[path] = AudioWindows(path, SAMPLE_RATE)
            return window

    def audio(self, t0: float, t1: float) -> np.ndarray:
        first, n = sample_span(t0, t1)
        mix = np.zeros((n, 2), dtype=np.float32)
        for piece in self.schedule.sounds_in(first, n):
            a, b = max(first, piece.first), min(first + n, piece.first + piece.length)
            samples = read_sound(self._window(piece.path).samples, piece, a - piece.first, b - a)
            shape_sound(samples, a - piece.first, piece)
            mix[a - first : b - first] += samples
        np.clip(mix, -1.0, 1.0, out=mix)
        return mix

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()
