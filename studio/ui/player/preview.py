"""The Preview dock: plays a take or the edit with picture and sound in sync.

A GUI timer (studio/ui/player/frame_ticker.py) asks the player core for the frame whose time has come
by the master clock. It is a single shot, armed after each tick for the moment the next frame is due (the
core's `next_tick_ms`: at most ~20 ms away, so the position and level keep moving while paused). Decoding happens on the core's
decode-ahead thread, and sources are opened on a pool thread, so the GUI thread never waits on media.
Keys (when the Preview has focus): Space play/pause, J/K/L shuttle (hold K and tap J/L to step a
frame), Left/Right a frame, Shift+Left/Right a second, Home/End. The same actions, with their
shortcuts, are offered to the window's menus.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QImage, QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from studio.ui.actions import make_action, user_bindings
from studio.ui.first_frame import after_first_frame
from studio.ui.player.audio_device import AudioDevice
from studio.ui.player.frame_ticker import FrameTicker
from studio.ui.player.transport_bar import TransportBar
from studio.ui.player.video_surface import VideoSurface
from studio.ui.tasks import run_async
from studio.ui.theme import icon
from studio.ui.timeline.timescale import timecode

if TYPE_CHECKING:  # studio.playback (numpy, PyAV) is imported where playback starts, not with the window
    import numpy as np
    import opentimelineio as otio

    from studio.media.resolver import ResolveMedia
    from studio.playback import DecodedFrame, PlaybackStats, Player, Sink, Source

OVERLAY_EVERY = 15  # ticks between refreshes of the stats overlay (about 4 a second)
RESIZE_SETTLE_MS = 150  # a resize drag settles this long before frames are decoded at the new size


def frame_to_qimage(frame: np.ndarray) -> QImage:
    """A QImage over the frame's pixels without copying (keep the array alive while it is shown)."""
    h, w = frame.shape[:2]
    return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_RGB888)


def format_stats(stats: PlaybackStats, speed: int) -> str:
    return "\n".join([
        f"clock      {stats.clock}",
        f"speed      {speed}x",
        f"shown      {stats.frames_shown}",
        f"dropped    {stats.frames_dropped}",
        f"late       {stats.late_frames}",
        f"A/V drift  {stats.av_drift_ms:5.1f} ms (mean {stats.mean_av_drift_ms:.1f}, max {stats.max_av_drift_ms:.1f})",
        f"underruns  {stats.audio_underruns}",
    ])



def offline_notice(missing: list[str]) -> str:
    """The notice for clips whose media is offline, each name once: a take's picture and its linked sound are two
    clips of one name."""
    names = list(dict.fromkeys(missing))
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"Media offline, playing as gaps: {shown}. Relink or re-import the files."

class PreviewPlayer(QWidget):
    """The Preview dock's widget. See the module notes; `player` is the core (studio.playback.Player)."""

    positionChanged = Signal(float)  # seconds; the timeline's playhead follows it
    playingChanged = Signal(bool)
    sourceLoaded = Signal()  # a load_* call finished and its first frame is on its way
    loadFailed = Signal(str)  # a creator-readable reason, also shown in the notice line

    def __init__(self, sink: Sink | None = None, parent: QWidget | None = None, *,
                 audio: AudioDevice | None = None) -> None:
        """`sink=None` plays through the sound card (falling back to a silent wall clock with a notice), opened
        on a worker thread once the Preview's first frame is on screen, or when playback needs it sooner:
        `audio`'s, shared with other players and closed by whoever made it, or else one of its own."""
        super().__init__(parent)
        self.setObjectName("previewPlayer")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.audio = (audio or AudioDevice()) if sink is None else None
        self._owns_audio = sink is None and audio is None
        self._audio_asked = False  # open_soon was called
        self._player: Player | None = None
        if sink is not None:
            self._make_player(sink)
        self._was_playing = False
        self._k_held = False
        self._load_token = 0
        self._shown: DecodedFrame | None = None
        self._ticks = 0
        self._closed = False
        self._actions = self._make_actions()

        self.surface = VideoSurface(self)
        self.transport = TransportBar(
            [self._actions[name] for name in ("home", "step_back", "play", "step_forward", "end", "loop", "stats")],
            self,
        )
        self.notice = QLabel(self)
        self.notice.setObjectName("previewNotice")
        self.notice.setWordWrap(True)
        self.notice.setContentsMargins(6, 2, 6, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.surface, 1)
        layout.addWidget(self.notice)
        layout.addWidget(self.transport)
        self._set_notice(None)

        scrub = self.transport.scrub
        scrub.sliderPressed.connect(self._scrub_started)
        scrub.sliderMoved.connect(self._scrub_to)
        scrub.sliderReleased.connect(self._scrub_ended)
        scrub.valueChanged.connect(self._slider_value_changed)

        # Decode at the size the picture takes on screen, so the GUI thread never scales big frames.
        self._resize_debounce = QTimer(self, singleShot=True, interval=RESIZE_SETTLE_MS)
        self._resize_debounce.timeout.connect(self._fit_decode_size)
        self.surface.resized.connect(self._resize_debounce.start)

        # Ticks when the next frame is due; started once a source is loaded (studio/ui/player/frame_ticker.py).
        self._ticker = FrameTicker(lambda: self._player, self._show_due_frame, self)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # -- the player core and its sound card ----------------------------------------------------

    @property
    def player(self) -> Player:
        """The player core (studio.playback.Player), made on first use: over the sound card, opened now if
        the worker has not opened it yet."""
        if self._player is None:
            assert self.audio is not None
            if self._closed:
                from studio.playback import WallClockSink

                self._make_player(WallClockSink(notice=None))  # asked for after shutdown: a silent, idle core
            else:
                self._make_player(self.audio.sink())
        assert self._player is not None
        return self._player

    def _make_player(self, sink: Sink) -> None:
        from studio.playback import Player

        self._player = Player(sink)
        self._player.add_position_listener(self._on_position)

    def _audio_opened(self, sink: Sink) -> None:
        if self._player is None and not self._closed:
            self._make_player(sink)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.audio is not None and self._player is None and not self._closed and not self._audio_asked:
            self._audio_asked = True
            after_first_frame(self, lambda: self.audio.open_soon(self._audio_opened, self))

    # -- actions -------------------------------------------------------------------------------

    def _make_actions(self) -> dict[str, QAction]:
        """The transport, from the one action table (keymap.py: ids "play.*"); keys act while the Preview
        (or a child) has focus."""
        specs: list[tuple[str, object, Callable[[], None] | None]] = [
            ("play", icon("play"), self.toggle_play),
            ("home", icon("skip-back"), lambda: self.player.home()),
            ("end", icon("skip-forward"), lambda: self.player.end()),
            ("step_back", icon("step-back"), lambda: self._step(-1)),
            ("step_forward", icon("step-forward"), lambda: self._step(1)),
            ("back_second", None, lambda: self.player.step_seconds(-1.0)),
            ("forward_second", None, lambda: self.player.step_seconds(1.0)),
            ("reverse", None, self._press_j),
            ("stop", None, self._press_k),
            ("forward", None, self._press_l),
            ("loop", None, None),  # checkable: wired through toggled below
            ("stats", None, None),
        ]
        bindings = user_bindings()
        actions: dict[str, QAction] = {}
        for name, action_icon, slot in specs:
            action = make_action(self, f"play.{name}", slot, bindings)
            action.setObjectName(name)
            if action_icon is not None:
                action.setIcon(action_icon)
            self.addAction(action)
            actions[name] = action
        actions["stop"].setAutoRepeat(False)  # K held is a modifier for J/L, not a repeat
        for name, tip, slot in (("loop", "Loop playback", self._set_loop),
                                ("stats", "Show playback statistics (dropped frames, A/V drift)",
                                 lambda _on: self._update_overlay())):
            actions[name].setCheckable(True)
            actions[name].setToolTip(tip)
            actions[name].toggled.connect(slot)
        return actions

    def transport_actions(self) -> list[QAction]:
        """Every transport action with its shortcut, for the window's Playback menu and the shortcut sheet.

        The shortcuts act while the Preview (or a child) has focus.
        """
        return list(self._actions.values())

    def transport_actions_by_name(self) -> dict[str, QAction]:
        """The transport actions by name ("play", "home", "step_back", ...), for keys pressed elsewhere."""
        return dict(self._actions)

    def release_k(self) -> None:
        """K was pressed somewhere that will not tell us when it is let go."""
        self._k_held = False

    def table_actions(self) -> dict[str, QAction]:
        """The transport actions by their id in the action table, for the menus."""
        return {f"play.{name}": action for name, action in self._actions.items()}

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Shortcuts normally fire first; this covers key events that reach us directly.
        sequence = QKeySequence(event.keyCombination())
        for action in self._actions.values():
            if not action.shortcut().isEmpty() and action.shortcut() == sequence:
                if not (event.isAutoRepeat() and not action.autoRepeat()):
                    action.trigger()
                event.accept()
                return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_K and not event.isAutoRepeat():
            self._k_held = False
        super().keyReleaseEvent(event)

    def _press_k(self) -> None:
        self._k_held = True
        self.pause()

    def _press_j(self) -> None:
        if self._k_held:
            self._step(-1)
        else:
            self.player.shuttle_reverse()
            self._playing_changed()

    def _press_l(self) -> None:
        if self._k_held:
            self._step(1)
        else:
            self.player.shuttle_forward()
            self._playing_changed()

    def _step(self, frames: int) -> None:
        self.player.step_frames(frames)
        self._playing_changed()

    def _set_loop(self, on: bool) -> None:
        self.player.loop = on

    # -- loading -------------------------------------------------------------------------------

    def load_file(self, path: str | Path) -> None:
        """Open a media file (probed on a pool thread); `sourceLoaded` or `loadFailed` follows."""
        path = Path(path)

        def make() -> Source:
            from studio.playback import FileSource

            return FileSource(path)

        self._load_async(make)

    def load_timeline(self, timeline: otio.schema.Timeline,
                      resolve_media: ResolveMedia, *, keep_position: bool = False,
                      start: float | None = None) -> None:
        """Play an edit. Call again after edits: the player works on a copy taken now.

        With `keep_position` (for reloads after an edit, while the edit is what the Preview shows) the
        position stays where it was and playback goes on if it was playing; otherwise the edit opens
        paused at `start` seconds (e.g. the timeline's playhead), or at its beginning.
        """
        snapshot = timeline.deepcopy()  # the decode threads read it while the creator keeps editing
        if keep_position and self.showing_timeline:
            resume = (self.player.position, self.player.playing)
        else:
            resume = (start or 0.0, False)

        def make() -> Source:
            from studio.playback import TimelineSource

            return TimelineSource(snapshot, resolve_media)

        self._load_async(make, resume)

    @property
    def showing_timeline(self) -> bool:
        """True while the Preview plays the edit (not a single take or file)."""
        if self._player is None:
            return False
        from studio.playback import TimelineSource

        return isinstance(self._player.source, TimelineSource)

    def load_source(self, source: Source, resume: tuple[float, bool] | None = None) -> None:
        """Show a ready source now (e.g. an ArraySource of a generated clip), paused at its start."""
        self._load_token += 1
        self._apply_source(source, resume)

    def _load_async(self, make: Callable[[], Source], resume: tuple[float, bool] | None = None) -> None:
        self._load_token += 1
        token = self._load_token

        def done(source: Source) -> None:
            if token != self._load_token or self._closed:
                source.close()  # a newer load won
                return
            self._apply_source(source, resume)

        def failed(error: Exception) -> None:
            if token == self._load_token:
                self._set_notice(str(error))
                self.loadFailed.emit(str(error))

        run_async(make, done, failed, receiver=self)

    def _apply_source(self, source: Source, resume: tuple[float, bool] | None) -> None:
        self.player.set_frame_size(self.decode_size_for(source.size))
        self.player.load(source)
        self._shown = None
        self.transport.scrub.blockSignals(True)
        self.transport.scrub.setRange(0, max(self.player.frame_count - 1, 0))
        self.transport.scrub.blockSignals(False)
        self._set_notice(self._notice_for(source))
        if resume is not None:
            self.player.seek(resume[0])
            if resume[1]:
                self.player.play()
        self._on_position(self.player.position)
        self._playing_changed()
        self._ticker.start()
        self.sourceLoaded.emit()

    def unload(self, placeholder: str) -> None:
        """Show nothing but `placeholder`: playback stops, a load on its way is dropped, and the source is
        closed, so its file is no longer held (e.g. its take was deleted)."""
        self._load_token += 1
        self._ticker.stop()
        if self._player is not None:
            self._player.load(None)
        self._shown = None
        self.surface.placeholder = placeholder
        self.surface.set_image(None)
        self.transport.scrub.blockSignals(True)
        self.transport.scrub.setRange(0, 0)
        self.transport.scrub.blockSignals(False)
        self._set_notice(None)
        if self._player is not None:
            self._on_position(0.0)
            self._playing_changed()

    def decode_size_for(self, source_size: tuple[int, int]) -> tuple[int, int] | None:
        """The (width, height) to decode at for the surface's current size; None to keep the native size."""
        ratio = self.surface.devicePixelRatioF()
        box_w, box_h = self.surface.width() * ratio, self.surface.height() * ratio
        w, h = source_size
        if w <= 0 or h <= 0:
            return None
        scale = min(box_w / w, box_h / h)
        if scale >= 1.0:
            return None
        return max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)

    def _fit_decode_size(self) -> None:
        if self._player is None:  # nothing loaded yet (and a resize is no reason to open the sound card)
            return
        source = self._player.source
        if source is not None and not self._closed:
            self._player.set_frame_size(self.decode_size_for(source.size))

    # -- transport -----------------------------------------------------------------------------

    def play(self) -> None:
        self.player.play()
        self._playing_changed()

    def pause(self) -> None:
        self.player.pause()
        self._playing_changed()

    def toggle_play(self) -> None:
        self.pause() if self.player.playing else self.play()

    def seek(self, t: float) -> None:
        """Move to `t` seconds (the timeline's playhead drags call this)."""
        self.player.seek(t)

    def scrub(self, t: float) -> None:
        """Move to `t` seconds and, while paused, sound a short grain from there (playhead drags)."""
        self.player.scrub(t)

    def stats(self) -> PlaybackStats:
        return self.player.stats()

    def current_image(self) -> QImage | None:
        """The picture on screen now."""
        return self.surface.image()

    def shutdown(self) -> None:
        """Stop the timer and the playback threads and release the audio device (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._ticker.stop()
        if self._player is not None:
            self._player.close()
        if self.audio is not None and self._owns_audio:
            self.audio.close()  # the Player does not own a sink it was handed

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    # -- the tick ------------------------------------------------------------------------------

    def _show_due_frame(self) -> None:
        was_playing = self.player.playing
        frame = self.player.current_frame()
        if frame is not None and frame is not self._shown:
            self._shown = frame  # keeps the pixels alive while the QImage points at them
            self.surface.set_image(frame_to_qimage(frame.image))
        if was_playing != self.player.playing:  # reached the end
            self._playing_changed()
        if self._ticks % 3 == 0:  # ~20 Hz is enough for a meter
            self.transport.show_level(self.player.audio_level())
        self._ticks += 1
        if self._ticks % OVERLAY_EVERY == 0:
            self._update_overlay()
            error = self.player.decode_error
            if error and error not in self.notice.text():
                self._set_notice(f"Some frames could not be decoded: {error}")

    def _update_overlay(self) -> None:
        on = self._actions["stats"].isChecked()
        self.surface.set_overlay(format_stats(self.player.stats(), self.player.speed) if on else None)

    def _on_position(self, t: float) -> None:
        fps = self.player.fps
        index = self.player.frame_index(t)
        scrub = self.transport.scrub
        if not scrub.isSliderDown():
            scrub.blockSignals(True)
            scrub.setValue(index)
            scrub.blockSignals(False)
        speed = self.player.speed
        shuttle = f"  {speed:+d}x" if speed not in (0, 1) else ""
        self.transport.timecode.setText(
            f"{timecode(index / fps, fps)} / {timecode(self.player.duration, fps)}{shuttle}")
        self.positionChanged.emit(t)

    def _playing_changed(self) -> None:
        playing = self.player.playing
        action = self._actions["play"]
        action.setIcon(icon("pause") if playing else icon("play"))
        self.playingChanged.emit(playing)

    # -- scrubbing -----------------------------------------------------------------------------

    def _scrub_started(self) -> None:
        self._was_playing = self.player.playing
        self.pause()

    def _scrub_to(self, index: int) -> None:
        self.player.scrub(index / self.player.fps)

    def _slider_value_changed(self, index: int) -> None:
        # Clicks and page steps on the bar (not drags, which come through sliderMoved) seek too.
        if not self.transport.scrub.isSliderDown():
            self.player.scrub(index / self.player.fps)

    def _scrub_ended(self) -> None:
        if self._was_playing:
            self.play()

    def _notice_for(self, source: Source) -> str | None:
        lines = [self.player.notice] if self.player.notice else []
        missing = getattr(source, "missing", None)
        if missing:
            lines.append(offline_notice(missing))
        return "\n".join(lines) or None

    def _set_notice(self, text: str | None) -> None:
        self.notice.setText(text or "")
        self.notice.setVisible(bool(text))
