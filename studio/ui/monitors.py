"""The Source and Program monitors, as Shotcut and Kdenlive have them, and the timeline's link to Program.

- **Source** plays one library take (a sound file shows its waveform); playing a take never touches
  what Program shows.
- **Program** always shows the edit: it loads the timeline when a project opens and reloads it a
  moment after every change (in place: same position, still playing if it was). Its position moves
  the timeline's playhead, and a ruler click or scrub on the timeline shows that frame in it.
- The transport keys (Space, J/K/L, Home/End, arrows) act on the monitor that has the focus, and on
  Program when the timeline has it (the timeline's own `timeline.*` actions). The Playback menu acts
  on the *active* monitor: the one that last had the focus or last started playing.
- One plays at a time: starting one pauses the other. Both play through one sound card (one output
  stream, opened once), each player with its own handle on it.
- In Source, I and O mark the part of the take to use (Out includes the frame on screen) and A, V, B (or
  the Playback menu) append that part to the edit, insert it at the playhead or overwrite from there, as
  Shotcut does; without marks the whole take goes on. Program's In/Out are the timeline's own marks.
  Dragging Source's picture onto the timeline drops that part where it lands, through the same drop
  path as a drag from the library (insertion marker, snapping, Alt to overwrite).

The window creates one `Monitors`, puts `source` and `program` in docks, and connects `message` and
`shown`; everything about playback lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMimeData, QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QWidget

from studio.project.timeline import duration_seconds
from studio.ui import keymap
from studio.ui.actions import make_action, user_bindings
from studio.ui.library.model import encode_take_ids
from studio.ui.player import PreviewPlayer
from studio.ui.player.audio_device import AudioDevice
from studio.ui.tasks import run_async
from studio.ui.theme import set_flag
from studio.ui.timeline.timescale import timecode

if TYPE_CHECKING:
    from studio.library import Library
    from studio.ui.library.query import TakeItem
    from studio.ui.timeline.editor import TimelineEditor

FOLLOW_EDIT_MS = 150  # Program reloads the edit this long after the last change (a drag makes many)
EMPTY_EDIT = "The timeline is empty: drag takes from the library onto it first."
SOURCE_PLACEHOLDER = "Double-click a take in the Library to see it here"
PROGRAM_PLACEHOLDER = "The edit plays here: drag takes from the Library onto the timeline"


class Monitor(StrEnum):
    """Which monitor; also the key of its dock in the window."""

    SOURCE = "source"
    PROGRAM = "program"


def _has_clips(timeline: Any) -> bool:
    return timeline is not None and any(True for _ in timeline.find_clips())


class Monitors(QObject):
    """Owns the Source and Program players, which of them is active, and the timeline <-> Program link."""

    message = Signal(str, bool)  # a notice for the window (text, is_error)
    shown = Signal(str)  # a Monitor whose dock should be shown and raised (a take or the edit was put in it)
    activeChanged = Signal(str)  # the Monitor the Playback menu now drives

    def __init__(self, lib: Library, timeline: TimelineEditor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lib = lib
        self.timeline = timeline
        # One sound card for both (opened on a worker after the first frame; silent with a notice without one):
        # a second stream may not open at all on bare ALSA, and only one monitor plays at a time.
        self.audio = AudioDevice()
        self.source = PreviewPlayer(audio=self.audio)
        self.program = PreviewPlayer(audio=self.audio)
        self.source.setObjectName("sourceMonitor")
        self.program.setObjectName("programMonitor")
        self.source.surface.placeholder = SOURCE_PLACEHOLDER
        self.program.surface.placeholder = PROGRAM_PLACEHOLDER
        self.source.surface.drag_data = self.source_drag_data  # drag the take onto the timeline
        self.active = Monitor.PROGRAM
        self._after_program_load: list[Callable[[], None]] = []
        self._program_project: int | None = None  # the project whose edit Program shows
        self._follow_timer = QTimer(self, singleShot=True, interval=FOLLOW_EDIT_MS)
        self._follow_timer.timeout.connect(self._reload_program)
        self.source_take: int | None = None  # the library take Source shows (None: a file, or nothing)
        self.source_marks: tuple[float | None, float | None] = (None, None)  # In, Out (seconds into the take)
        self._play_source_when_loaded = False  # play_file plays the file once it is loaded
        self._marks_label = QLabel(self.source, objectName="sourceMarks")  # under the picture, while marked
        self._marks_label.setContentsMargins(6, 2, 6, 2)
        self._marks_label.hide()
        self.source.layout().insertWidget(1, self._marks_label)
        self._menu_actions = self._make_menu_actions()
        self._menu_actions.update(self._make_source_actions())
        self._connect()

    def _connect(self) -> None:
        for kind, player in self.players().items():
            label = kind.value.capitalize()
            player.loadFailed.connect(lambda text, label=label: self.message.emit(f"{label} monitor: {text}", True))
            player.playingChanged.connect(lambda playing, kind=kind: self._playing_changed(kind, playing))
            for name in ("loop", "stats"):  # the menu's check marks follow the active monitor's
                player.transport_actions_by_name()[name].toggled.connect(lambda _on, kind=kind: self._sync_checks(kind))
        self.source.sourceLoaded.connect(self._source_loaded)
        self.source.loadFailed.connect(self._source_load_failed)
        self.program.sourceLoaded.connect(self._program_loaded)
        self.program.loadFailed.connect(lambda _text: self._after_program_load.clear())  # nothing waits forever
        # Program and the timeline share one clock: the playhead follows Program, and a ruler click or a
        # scrub on the timeline moves Program there.
        self.program.positionChanged.connect(self.timeline.set_playhead)
        self.timeline.playheadMoved.connect(self._playhead_dragged)
        self.timeline.transportRequested.connect(self._timeline_transport)
        self.timeline.timelineChanged.connect(self._follow_timer.start)
        app = QApplication.instance()
        if app is not None:
            app.focusChanged.connect(self._focus_changed)
            app.aboutToQuit.connect(self.shutdown)  # the players stop themselves; the sound card is ours

    # -- the two players ------------------------------------------------------------------------

    def players(self) -> dict[Monitor, PreviewPlayer]:
        return {Monitor.SOURCE: self.source, Monitor.PROGRAM: self.program}

    def active_player(self) -> PreviewPlayer:
        return self.players()[self.active]

    def activate(self, kind: Monitor, *, focus: bool = False) -> None:
        """Make `kind` the monitor the Playback menu drives; with `focus` its dock is raised and its keys act."""
        if kind != self.active:
            self.active = kind
            self._sync_checks(kind)
            self.mark_active_dock()
            self.activeChanged.emit(str(kind))
        if focus:
            self.shown.emit(str(kind))
            self.players()[kind].setFocus()

    def mark_active_dock(self) -> None:
        """Underline the active monitor's dock title (the theme draws the `activeMonitor` property)."""
        for kind, player in self.players().items():
            dock = player.parentWidget()
            if isinstance(dock, QDockWidget):
                set_flag(dock, "activeMonitor", kind == self.active)

    def _focus_changed(self, _old: QWidget | None, now: QWidget | None) -> None:
        while now is not None:
            if now is self.source:
                self.activate(Monitor.SOURCE)
                return
            if now is self.program or now is self.timeline:
                self.activate(Monitor.PROGRAM)
                return
            now = now.parentWidget()

    def _playing_changed(self, kind: Monitor, playing: bool) -> None:
        if not playing:
            return
        self.activate(kind)
        other = self.program if kind == Monitor.SOURCE else self.source
        if other.player.playing:
            other.pause()

    # -- Source: library takes ------------------------------------------------------------------

    def play_take(self, item: TakeItem) -> None:
        """Show the take in the Source monitor and play it (Program keeps the edit)."""
        if item.media_path is None:
            self.message.emit(f"Take {item.take_id} has no file yet ({item.take.status}).", True)
            return
        self.play_file(item.media_path, item.take_id)

    def play_take_id(self, take_id: int) -> None:
        """`play_take` for a take known by id (its file is looked up on a worker thread)."""
        lib = self.lib

        def path() -> Path | None:
            take = lib.take(take_id)
            return lib.media_path(lib.media(take.media_id)) if take.media_id is not None else None

        def play(found: Path | None) -> None:
            if found is None:
                self.message.emit(f"Take {take_id} has no file.", True)
                return
            self.play_file(found, take_id)

        run_async(path, play, lambda exc: self.message.emit(f"Could not play take {take_id}: {exc}", True),
                  receiver=self)

    def play_file(self, path: Path, take_id: int | None = None) -> None:
        """Open a media file (of library take `take_id`) in the Source monitor and play it once it is loaded."""
        self.source_take = take_id
        self._set_source_marks(None, None)  # marks belong to the take they were set on
        self.activate(Monitor.SOURCE)
        self.shown.emit(str(Monitor.SOURCE))
        self.source.surface.placeholder = SOURCE_PLACEHOLDER
        self._play_source_when_loaded = True
        self.source.load_file(path)

    def _source_loaded(self) -> None:
        if self._play_source_when_loaded:
            self._play_source_when_loaded = False
            self.source.play()

    def _source_load_failed(self, _text: str) -> None:
        self._play_source_when_loaded = False  # a later load is not played by surprise

    def take_deleted(self, take_id: int) -> None:
        """Take `take_id` left the library: if Source shows it, Source stops, lets go of its file and says so
        (the take can no longer go onto the timeline)."""
        if self.source_take != take_id:
            return
        self.source_take = None
        self._play_source_when_loaded = False
        self._set_source_marks(None, None)
        self.source.unload(f"Take {take_id} was deleted from the library.\n{SOURCE_PLACEHOLDER}")

    # -- Program: the edit ----------------------------------------------------------------------

    def play_edit(self) -> None:
        """Play the edit in the Program monitor from the timeline's playhead."""
        if not _has_clips(self.timeline.timeline()):
            self.message.emit(EMPTY_EDIT, True)
            return
        self.activate(Monitor.PROGRAM)
        self.shown.emit(str(Monitor.PROGRAM))
        at = self.timeline.playhead()
        self._with_program(lambda: (self.program.seek(at), self.program.play()))

    def program_is_current(self) -> bool:
        """True when Program shows the edit as it is now (no reload pending or on its way)."""
        return self.program.showing_timeline and not self._follow_timer.isActive() and not self._after_program_load

    def _with_program(self, then: Callable[[], None]) -> None:
        """Run `then` on Program once it shows the current edit (at once when it already does)."""
        if self.program_is_current():
            then()
            return
        self._after_program_load.append(then)
        if self._follow_timer.isActive() or not self.program.showing_timeline:
            self._reload_program()

    def _reload_program(self) -> None:
        """Load the edit as it is now into Program: in place when Program already shows it, else paused at
        the playhead. An empty edit replaces an older one (so nothing stale plays) but leaves the
        placeholder of a Program that never showed one."""
        self._follow_timer.stop()
        timeline = self.timeline.timeline()
        if timeline is None or (not _has_clips(timeline) and not self.program.showing_timeline):
            self._after_program_load.clear()
            return
        # In place while it is the same project's edit; another project's opens at its playhead.
        same_project = self._program_project == self.timeline.project_id
        self._program_project = self.timeline.project_id
        # The one resolver export uses too: the library's copy by content, else the reference's path.
        self.program.load_timeline(timeline, self.lib.find_clip_media, keep_position=same_project,
                                   start=self.timeline.playhead())

    def _program_loaded(self) -> None:
        waiting, self._after_program_load = self._after_program_load, []
        for then in waiting:
            then()

    def _playhead_dragged(self, t: float) -> None:
        """A ruler click or scrub on the timeline: Program shows that frame (with a grain of sound) and is
        the active monitor."""
        self.activate(Monitor.PROGRAM)
        if _has_clips(self.timeline.timeline()):
            self._with_program(lambda: self.program.scrub(t))

    def _timeline_transport(self, name: str) -> None:
        """Space, J/K/L, Home/End and the arrows pressed on the timeline act on Program."""
        self.activate(Monitor.PROGRAM)
        self.run_transport(name)

    def run_transport(self, name: str) -> None:
        """Run the active monitor's transport action `name` ("play", "home", "stop", ...) for a key pressed
        or a menu item chosen elsewhere. On Program it waits for a pending reload, so it acts on the edit
        as it is on screen."""
        player = self.active_player()

        def run() -> None:
            player.transport_actions_by_name()[name].trigger()
            if name == "stop":
                player.release_k()  # K pressed elsewhere is not held for J/L stepping

        if self.active == Monitor.SOURCE:
            run()
        elif not _has_clips(self.timeline.timeline()):
            self.message.emit(EMPTY_EDIT, True)
        else:
            self._with_program(run)

    # -- the Playback menu ----------------------------------------------------------------------

    def _make_menu_actions(self) -> dict[str, QAction]:
        """The Playback menu's transport (the table's "play.*" monitor actions): each runs the active
        monitor's own action. Their keys are shown in the menu and act through each player's own
        actions, which are live only where the focus is, so no key is bound twice."""
        bindings = user_bindings()
        actions = {}
        for spec in keymap.ACTIONS:
            if spec.scope != keymap.Scope.MONITOR or not spec.id.startswith("play."):
                continue
            name = spec.id.removeprefix("play.")
            checkable = self.source.transport_actions_by_name()[name].isCheckable()
            action = actions[spec.id] = make_action(self, spec.id, None, bindings, checkable=checkable)
            if checkable:
                action.triggered.connect(lambda on, name=name: self._check_on_active(name, on))
            else:
                action.triggered.connect(lambda _checked=False, name=name: self.run_transport(name))
        return actions

    def _make_source_actions(self) -> dict[str, QAction]:
        """Append, Insert and Overwrite: the Source take onto the timeline (keys while Source has the focus)."""
        bindings = user_bindings()
        actions = {}
        slots: dict[str, Callable[[], None]] = {
            "source.mark_in": lambda: self.mark_source(True),
            "source.mark_out": lambda: self.mark_source(False),
            "source.clear_marks": lambda: self._set_source_marks(None, None),
            "source.append": lambda: self.put_source_take("end"),
            "source.insert": lambda: self.put_source_take("insert"),
            "source.overwrite": lambda: self.put_source_take("overwrite"),
        }
        for action_id, slot in slots.items():
            action = actions[action_id] = make_action(self.source, action_id, lambda _checked=False, slot=slot: slot(),
                                                      bindings)
            self.source.addAction(action)
        return actions

    def mark_source(self, is_in: bool) -> None:
        """Set Source's In (at the frame on screen) or Out (after it, so that frame is included)."""
        player = self.source.player
        if player.source is None:
            return
        frame = player.frame_index()
        mark_in, mark_out = self.source_marks
        if is_in:
            mark_in = frame / player.fps
            mark_out = None if mark_out is not None and mark_out <= mark_in else mark_out
        else:
            mark_out = min((frame + 1) / player.fps, player.duration)
            mark_in = None if mark_in is not None and mark_in >= mark_out else mark_in
        self._set_source_marks(mark_in, mark_out)

    def _set_source_marks(self, mark_in: float | None, mark_out: float | None) -> None:
        self.source_marks = (mark_in, mark_out)
        if mark_in is None and mark_out is None:
            self._marks_label.hide()
            return
        fps = self.source.player.fps
        start, end = mark_in or 0.0, mark_out if mark_out is not None else self.source.player.duration
        self._marks_label.setText(f"In {timecode(start, fps)}   Out {timecode(end - 1 / fps, fps)}   "
                                  f"({end - start:.2f} s go onto the timeline with A, V, B or a drag)")
        self._marks_label.show()

    def put_source_take(self, where: str) -> None:
        """Put the Source take on the timeline: "end" (append), "insert" or "overwrite" at the playhead."""
        if self.source_take is None:
            self.message.emit("Play a library take in the Source monitor first; then it can go onto the timeline.",
                              True)
            return
        timeline = self.timeline.timeline()
        at = duration_seconds(timeline) if where == "end" and timeline is not None else self.timeline.playhead()
        self.timeline.insert_takes([self.source_take], at, overwrite=where == "overwrite", span=self._source_span())

    def _source_span(self) -> tuple[float, float] | None:
        """The part of the Source take between its marks (seconds), or None for all of it."""
        mark_in, mark_out = self.source_marks
        if mark_in is None and mark_out is None:
            return None
        return mark_in or 0.0, mark_out if mark_out is not None else self.source.player.duration

    def source_drag_data(self) -> QMimeData | None:
        """What dragging Source's picture carries: the take with its In/Out part, as a library drag carries
        takes, so the timeline's one drop path (marker, snapping, Alt to overwrite) places it."""
        if self.source_take is None:
            return None
        return encode_take_ids([self.source_take], self._source_span())

    def _check_on_active(self, name: str, on: bool) -> None:
        self.active_player().transport_actions_by_name()[name].setChecked(on)

    def table_actions(self) -> dict[str, QAction]:
        """The Playback menu's transport actions by their id in the action table."""
        return dict(self._menu_actions)

    def _sync_checks(self, kind: Monitor) -> None:
        if kind != self.active:
            return
        player_actions = self.active_player().transport_actions_by_name()
        for name in ("loop", "stats"):
            menu_action = self._menu_actions[f"play.{name}"]
            menu_action.blockSignals(True)
            menu_action.setChecked(player_actions[name].isChecked())
            menu_action.blockSignals(False)

    def shutdown(self) -> None:
        """Stop both players and release the sound card (idempotent)."""
        self._follow_timer.stop()
        self.source.shutdown()
        self.program.shutdown()
        self.audio.close()
