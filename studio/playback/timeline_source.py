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

from studio.media.framing import PROJECT_FRAMING, Framing
from studio.media.schedule import Schedule, VideoPiece, canvas_size, media_kinds, read_sound, shape_sound, source_time
from studio.playback.audio_window import AudioWindows
from studio.playback.sinks import SAMPLE_RATE
from studio.playback.sources import fit_into, fitted_size, open_reader, sample_span
from studio.project.schedule import build_schedule

if TYPE_CHECKING:
    from studio.media.decode import FrameReader
    from studio.media.probe import MediaInfo

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
        self.size = size or canvas_size(self.schedule) or DEFAULT_CANVAS  # the project's canvas, as export
        # Used by the decode thread only. A file has one reader per picture of it shown at once, so a
        # dissolve between two cuts of one take decodes each side straight on instead of seeking one
        # decoder back and forth every frame (see _readers_for).
        self._readers: dict[Path, list[FrameReader]] = {}
        self._reader_of: dict[VideoPiece, FrameReader] = {}
        self._windows: dict[Path, AudioWindows] = {}
        self._windows_lock = threading.Lock()

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
        shown = [shown[first]] + [piece for piece in shown[first + 1:] if piece.opacity(t) > 0]
        readers = self._readers_for(shown)
        canvas = self._picture(shown[0], readers[0], t, size)
        for piece, reader in zip(shown[1:], readers[1:]):
            alpha = piece.opacity(t)
            framing = self._framing(piece, reader, size)
            if framing is not None:
                canvas = self._framed(piece, framing, reader, t, size, canvas, alpha)
                continue
            import cv2  # loads OpenCV: not before the studio's first frame

            # In uint8, rounded: a float64 mix took ~9 ms a 540p frame, a dissolve's decode budget.
            canvas = cv2.addWeighted(canvas, 1.0 - alpha, self._picture(piece, reader, t, size), alpha, 0.0)
        return canvas

    def _info(self, path: Path) -> MediaInfo:
        """The file's picture facts, from its first reader (opened, with the scrub proxy, when it has none)."""
        pool = self._readers.setdefault(path, [])
        if not pool:
            pool.append(open_reader(path, None, proxy=True))
        return pool[0].info

    def _hides(self, piece: VideoPiece, size: tuple[int, int]) -> bool:
        """Whether the piece covers the whole canvas (a letterboxed one does: its bars are black)."""
        if piece.framing is None:
            return True
        from studio.media.compose import place_framed  # loads PyAV: not before the studio's first frame

        info = self._info(piece.path)
        p = place_framed(info.width, info.height, size[0], size[1], piece.framing)
        return p is not None and p.covers(*size)

    def _readers_for(self, pieces: list[VideoPiece]) -> list[FrameReader]:
        """A reader for each piece, no two alike. A file's first reader (the one with the scrub proxy, so
        jumps stay fast) stays with the piece it read last; the others take it when it is free, else the
        reader they read last, else any free one, else a new one (without a proxy)."""
        chosen: dict[int, FrameReader] = {}
        for n, piece in enumerate(pieces):
            pool = self._readers.get(piece.path)
            if pool and self._reader_of.get(piece) is pool[0]:
                chosen[n] = pool[0]
        for n, piece in enumerate(pieces):
            if n in chosen:
                continue
            pool = self._readers.setdefault(piece.path, [])
            free = [r for r in pool if all(r is not c for c in chosen.values())]
            last = self._reader_of.get(piece)
            if pool and free and free[0] is pool[0]:
                reader = pool[0]
            elif last is not None and any(last is r for r in free):
                reader = last
            elif free:
                reader = free[0]
            else:
                reader = open_reader(piece.path, pool[0].info if pool else None, proxy=not pool)
                pool.append(reader)
            chosen[n] = self._reader_of[piece] = reader
        return [chosen[n] for n in range(len(pieces))]

    @staticmethod
    def _framing(piece: VideoPiece, reader: FrameReader, size: tuple[int, int]) -> Framing | None:
        """How the piece is placed: its own reframe; else, where its shape differs from the frame's, the
        project's framing (PROJECT_FRAMING: whole over a blurred fill, as export's presets place a clip);
        None: it fills the frame exactly."""
        if piece.framing is not None:
            return piece.framing
        native = (reader.info.width, reader.info.height)
        if all(native) and fitted_size(native, size) != size:
            return PROJECT_FRAMING
        return None

    def _picture(self, piece: VideoPiece, reader: FrameReader, t: float, size: tuple[int, int]) -> np.ndarray:
        framing = self._framing(piece, reader, size)
        if framing is not None:
            return self._framed(piece, framing, reader, t, size, None, 1.0)
        # Decoded straight at the size it shows at (scaling in the decoder's converter): never a
        # full-size picture scaled again.
        native = (reader.info.width, reader.info.height)
        shown = fitted_size(native, size) if all(native) else None
        picture = fit_into(reader.frame_at(source_time(piece, t, reader.info.fps, self.schedule.rate), shown), size)
        return self._titled(picture, piece)

    def _framed(self, piece: VideoPiece, framing: Framing, reader: FrameReader, t: float, size: tuple[int, int],
                beneath: np.ndarray | None, alpha: float) -> np.ndarray:
        """A reframed piece over `beneath` (None: nothing beneath, so over its fill), placed by the
        geometry export uses (`place_framed`); a "blur" fill is made by export's own compositor."""
        from studio.media.compose import blurred_fill_rgb, place_framed  # loads PyAV: not before the first frame

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
        for pool in self._readers.values():
            for reader in pool:
                reader.close()
        self._readers.clear()
        self._reader_of.clear()
