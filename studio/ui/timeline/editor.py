"""TimelineEditor: the timeline dock's widget (toolbar, ruler, track headers, tracks) and its API.

The window talks to it through a small surface:
    TimelineEditor(library, parent=None)
    .set_project(project_id)            load a project's timeline (history starts empty)
    .timeline() -> otio Timeline        the live edit (read it; change it only through commands)
    .undo_stack() -> QUndoStack         one stack for every edit; .history_panel() shows it
    signals playheadMoved(float), clipSelected(int take_id), remixRequested(int, str, float, float),
            timelineChanged(), errorOccurred(str)
    slot set_playhead(t)
    .insert_take(take_id, time=None), .offer_take(parent_take_id, new_take_id, kind), .save()
Everything that changes the edit is a command on the undo stack (see commands.py / edits.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import QGridLayout, QLabel, QToolBar, QToolButton, QVBoxLayout, QWidget

from studio.errors import KinoraError, ProjectError
from studio.project import edit_plans as edits
from studio.project.clip_props import clip_speed, media_in_out, sound_props
from studio.project.framing import clip_framing
from studio.project.offline import deleted_take_changes, offline_reason
from studio.project.timeline import (
    audio_tracks,
    clips_for_take,
    clips_of_take,
    frames,
    kinora_data,
    new_link_id,
    timeline_rate,
    video_tracks,
)
from studio.ui.actions import bind, make_action, user_bindings
from studio.ui.chrome import button_face
from studio.ui.tasks import run_async
from studio.ui.theme import Tone, tone
from studio.ui.timeline.autosave import AutosaveController
from studio.ui.timeline.clip_facts import ClipEdit, ClipFacts
from studio.ui.timeline.clip_media import MediaCatalog
from studio.ui.timeline.commands import TimelineDocument
from studio.ui.timeline.headers import HEADER_W, TrackHeaders
from studio.ui.timeline.history import EditHistoryPanel
from studio.ui.timeline.items import ClipItem
from studio.ui.timeline.ruler import Ruler
from studio.ui.timeline.takes_menu import TakeMenuMixin
from studio.ui.timeline.timescale import ZOOM_STEP, timecode
from studio.ui.timeline.view import MoveRequest, TimelineView, TrimRequest

if TYPE_CHECKING:
    import opentimelineio as otio

    from studio.library import Library

def clips_of(library: Library, take_id: int, rate: float) -> tuple[Any, Any]:
    """The video and audio clips that place a take on a timeline at `rate` (reads the library)."""
    take = library.take(take_id)
    if take.media_id is None:
        raise ProjectError(f"Take {take_id} has no media yet (status: {take.status}); wait for it to finish.")
    media = library.media(take.media_id)
    return clips_for_take(take, media, library.media_path(media), rate)


class TimelineEditor(TakeMenuMixin, QWidget):
    """The timeline editor over one project's OTIO timeline."""

    playheadMoved = Signal(float)
    clipSelected = Signal(int)
    selectionChanged = Signal(object)  # ClipFacts of the selected clip, or None
    clipEditRefused = Signal(str)  # why the Inspector's Apply changed nothing
    remixRequested = Signal(int, str, float, float)  # take id, "remix"|"extend"|"retake", in, out (take time)
    timelineChanged = Signal()
    errorOccurred = Signal(str)
    # A transport key pressed on the timeline ("play", "home", "step_back", ...: a monitor's action
    # names); studio/ui/monitors.py runs it on the Program monitor.
    transportRequested = Signal(str)

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.project_id: int | None = None
        self.document = TimelineDocument(self)
        self.catalog = MediaCatalog(library, self)
        self.view = TimelineView(self.catalog, self)
        self.ruler = Ruler(self.view, self)
        self.headers = TrackHeaders(self.view, self)
        self.autosave = AutosaveController(library, self)
        self._time_label = QLabel(timecode(0.0), self)
        self._status = QLabel("", self)
        self._build_layout()
        self._build_actions()
        self.document.changed.connect(self._on_document_changed)
        self.catalog.relinked.connect(self._on_document_changed)
        self.view.scrubbed.connect(self._scrub)
        self.ruler.scrubbed.connect(self._scrub)
        self.view.moveRequested.connect(self._on_move)
        self.view.trimRequested.connect(self._on_trim)
        self.view.takeDropped.connect(self.insert_takes)
        self.view.filesDropped.connect(self.import_files)
        self.view.contextMenuRequested.connect(self._show_context_menu)
        self.view.scene().selectionChanged.connect(self._on_selection)
        self.headers.flagToggled.connect(self.set_track_flag)
        self.errorOccurred.connect(self._status.setText)

    # -- public API ----------------------------------------------------------------------------------

    def set_project(self, project_id: int, timeline: otio.schema.Timeline | None = None, *,
                    save_previous: bool = True) -> None:
        """Open the project's saved timeline for editing (its undo history starts empty).

        Pass `timeline` when it was already loaded (`library.load_timeline`) off the GUI thread.
        Unsaved edits of the project open before are saved first: switching is not losing
        (`save_previous=False`: Save As, where they went into the new project instead).
        """
        if save_previous:
            self._leave_project()
        if timeline is None:
            timeline = self.library.load_timeline(project_id)
        self.project_id = project_id
        self.autosave.attach(project_id, self.document)
        self.view.marks = (None, None)  # In/Out belong to the edit they were set on
        self.document.reset(timeline)
        self.ruler.fps = timeline_rate(timeline)

    def forget_project(self) -> None:
        """Stop writing into the open project (it is being deleted); the edit stays on screen until the next."""
        self.autosave.detach()
        self.project_id = None

    def _leave_project(self) -> None:
        # The window saves on a worker thread before it switches (WindowProjectsMixin._load_project), so the
        # stack is clean here; this synchronous write only catches an edit made while the next project loaded.
        if self.project_id is not None and not self.document.undo_stack.isClean():
            self.save()

    def timeline(self) -> otio.schema.Timeline | None:
        return self.document.timeline

    def undo_stack(self) -> QUndoStack:
        return self.document.undo_stack

    def history_panel(self, parent: QWidget | None = None) -> EditHistoryPanel:
        """A new edit history list (QUndoView) over this editor's undo stack, for a dock."""
        return EditHistoryPanel(self.document.undo_stack, parent)

    def save(self, wait: bool = True, then: Callable[[], None] | None = None) -> threading.Event:
        """Save the timeline into the project now (a clean save: nothing is left to recover);
        `wait=False` writes on a worker thread (autosave.saved / failed report the outcome) and `then()`
        runs once it is written. Returns an event set when the write has finished or failed."""
        return self.autosave.save_now(clean=True, wait=wait, then=then)

    @Slot(float)
    def set_playhead(self, t: float) -> None:
        """Move the playhead (the player calls this as it plays); does not emit playheadMoved.

        When it leaves the visible span the view pages along so playback stays in sight.
        """
        left, right = self.view.visible_span()
        if not left <= t <= right:
            self.view.horizontalScrollBar().setValue(round(self.view.scale.x(t) - 0.1 * self.view.viewport().width()))
        self.view.set_playhead(t)
        self.ruler.update()
        self._time_label.setText(timecode(t, self.ruler.fps))

    def playhead(self) -> float:
        return self.view.playhead

    def marks(self) -> tuple[float | None, float | None]:
        """The in and out marks (seconds), None where unset."""
        return self.view.marks

    def selected_clips(self) -> list[otio.schema.Clip]:
        return [item.clip for item in self.view.selected_clips()]

    # -- editing -------------------------------------------------------------------------------------

    def run_edit(self, text: str, plan: edits.Plan) -> bool:
        """Run one undoable edit; a ProjectError is shown to the creator and changes nothing."""
        try:
            return self.document.edit(text, plan)
        except KinoraError as exc:
            self.errorOccurred.emit(str(exc))
            return False

    def insert_take(self, take_id: int, time: float | None = None, track_index: int = -1) -> bool:
        """Insert a library take at `time` (default: the playhead): picture and sound, linked.

        `track_index` (into timeline.tracks) picks the track of its kind; the other clip goes on
        the first track of the other kind. Later clips on those tracks move right. It reads the library
        on the calling thread, which is why only scripts and tests call it: drops and finished remixes go
        through `insert_takes`, which reads it on a worker thread.
        """
        return bool(self._insert(take_id, self.view.playhead if time is None else time, track_index))

    def insert_takes(self, take_ids: list[int], time: float | None = None, track_index: int = -1,
                     overwrite: bool = False, span: tuple[float, float] | None = None) -> None:
        """Insert several takes one after another from `time` (a drag of several library takes); with
        `overwrite` (Alt held on the drop) they cover what is there instead of pushing it later; with
        `span` (seconds into the take: the Source monitor's In and Out) only that part of each.

        On an empty timeline they start at 0. The library is read on a worker thread; the edit is made
        when the clips are ready.
        """
        import opentimelineio as otio

        timeline = self.document.timeline
        if timeline is None:
            self.errorOccurred.emit("Open a project before adding takes to its timeline.")
            return
        start = self.view.playhead if time is None else time
        if not timeline.find_clips():
            start = 0.0  # the first clip of an edit starts it: no gap before it
        library, rate = self.library, timeline_rate(timeline)

        def placed(found: list[tuple[Any, Any]]) -> None:
            at = start
            for video, audio in found:
                if span is not None:
                    used = otio.opentime.TimeRange(frames(span[0], rate), frames(span[1] - span[0], rate))
                    for clip in (video, audio):
                        if clip is not None:
                            clip.source_range = used
                clips = self._place(video, audio, at, track_index, overwrite)
                if clips:
                    at = max(edits.span(self.document.timeline, c)[1] for c in clips)

        run_async(lambda: [clips_of(library, take_id, rate) for take_id in take_ids], placed,
                  lambda exc: self.errorOccurred.emit(str(exc)), receiver=self)

    def _insert(self, take_id: int, time: float, track_index: int) -> list[otio.schema.Clip]:
        timeline = self.document.timeline
        if timeline is None:
            self.errorOccurred.emit("Open a project before adding takes to its timeline.")
            return []
        try:
            video, audio = clips_of(self.library, take_id, timeline_rate(timeline))
        except KinoraError as exc:
            self.errorOccurred.emit(str(exc))
            return []
        return self._place(video, audio, time, track_index)

    def _place(self, video: Any, audio: Any, time: float, track_index: int,
               overwrite: bool = False) -> list[otio.schema.Clip]:
        video_track, audio_track = self._target_tracks(self.document.timeline, track_index)
        name = video.name if video is not None else audio.name
        plan = (edits.plan_overwrite if overwrite else edits.plan_insert)(video, audio, time, video_track, audio_track)
        if not self.run_edit(f"{'Overwrite with' if overwrite else 'Add'} {name}", plan):
            return []
        return [c for c in (video, audio) if c is not None and c.parent() is not None]

    @staticmethod
    def _target_tracks(timeline: otio.schema.Timeline, track_index: int) -> tuple[str | None, str | None]:
        """The drop track for its kind, and the first track of the other kind for the partner clip."""
        video = [t.name for t in video_tracks(timeline)]
        audio = [t.name for t in audio_tracks(timeline)]
        target = timeline.tracks[track_index].name if 0 <= track_index < len(timeline.tracks) else None
        video_track = target if target in video else (video[0] if video else None)
        audio_track = target if target in audio else (audio[0] if audio else None)
        return video_track, audio_track

    def import_files(self, paths: list[Path], time: float | None = None, track_index: int = -1) -> None:
        """Import files into the library on a worker thread (the one import service: the same bytes find
        their take, credentials are kept), then insert them one after another."""
        from studio.importing import import_file

        at = self.view.playhead if time is None else time
        library = self.library

        def work() -> list[int]:
            return [import_file(library, path).take.id for path in paths]

        run_async(work, lambda take_ids: self.insert_takes(take_ids, at, track_index),
                  lambda exc: self.errorOccurred.emit(str(exc)))

    def uses_take(self, take_id: int) -> bool:
        """Whether the timeline on screen (saved or not) has a clip of the take."""
        timeline = self.document.timeline
        return timeline is not None and bool(clips_of_take(timeline, take_id))

    def detach_deleted_take(self, take_id: int, media_gone: bool) -> bool:
        """The take was deleted from the library: its clips here stay, detached and (file gone) offline.

        One step in the history, so the project is written like any edit.
        """
        timeline = self.document.timeline
        clips = [c for _t, _i, c in clips_of_take(timeline, take_id)] if timeline is not None else []
        if not clips:
            return False
        return self.run_edit(f"Take {take_id} deleted",
                             edits.plan_set_clip_data(clips, deleted_take_changes(take_id, media_gone=media_gone)))

    def split_at_playhead(self) -> bool:
        """Split the selected clips (and their linked partners) at the playhead; with nothing
        selected, split every unlocked track that has a clip under it."""
        timeline = self.document.timeline
        if timeline is None:
            return False
        t = self.view.playhead
        selected = self.view.items_linked_to(self.view.selected_clips())
        candidates = selected or [i for i in self.view.clip_items if not i.locked]
        tracks = [timeline.tracks[i.ref.track_index].name for i in candidates
                  if i.ref.start < t < i.ref.end and not i.locked]
        if not tracks:
            self.errorOccurred.emit(f"No clip under the playhead at {timecode(t, self.ruler.fps)} to split.")
            return False
        return self.run_edit("Split at playhead", edits.plan_split(tracks, t))

    def delete_selected(self, ripple: bool = False) -> bool:
        """Delete the selected clips and their linked partners (ripple: close the gaps)."""
        items = [i for i in self.view.items_linked_to(self.view.selected_clips()) if not i.locked]
        if not items:
            return False
        return self.run_edit("Ripple delete" if ripple else "Delete",
                             edits.plan_delete([i.clip for i in items], ripple))

    def set_track_flag(self, track: str, flag: str, value: bool) -> bool:
        """Mute, solo or lock a track (undoable; stored in the track's metadata["kinora"])."""
        return self.run_edit(f"{'' if value else 'Un'}{flag} {track}".capitalize(),
                             edits.plan_track_flag(track, flag, value))

    def add_track(self, kind: str) -> bool:
        """Add an empty "video" or "audio" track (undoable)."""
        return self.run_edit(f"Add {kind} track", edits.plan_add_track(kind))

    def unlink_selected(self) -> bool:
        """Let the selected clips' picture and sound be edited apart from each other."""
        items = [i for i in self.view.items_linked_to(self.view.selected_clips()) if i.link]
        if not items:
            return False
        return self.run_edit("Unlink", edits.plan_set_clip_data([i.clip for i in items], {"link_id": None}))

    def link_selected(self) -> bool:
        """Link the selected clips so that they move, trim and split together."""
        items = self.view.selected_clips()
        if len(items) < 2:
            return False
        return self.run_edit("Link", edits.plan_set_clip_data([i.clip for i in items],
                                                              {"link_id": new_link_id()}))

    # -- marks, snapping, zoom -------------------------------------------------------------------------

    def set_mark_in(self, t: float | None = None) -> None:
        self.view.marks = (self.view.playhead if t is None else t, self.view.marks[1])
        self._marks_changed()

    def set_mark_out(self, t: float | None = None) -> None:
        self.view.marks = (self.view.marks[0], self.view.playhead if t is None else t)
        self._marks_changed()

    def clear_marks(self) -> None:
        self.view.marks = (None, None)
        self._marks_changed()

    def _marks_changed(self) -> None:
        self.view.viewport().update()
        self.ruler.update()

    def set_waveform_db(self, on: bool) -> None:
        """Draw the waveforms on a decibel scale (quiet sound stays visible) or a linear one."""
        self.catalog.waveform_db = on
        self._table_actions["timeline.waveform_db"].setChecked(on)
        self.view.viewport().update()

    def set_snapping(self, on: bool) -> None:
        self.view.snapping = on
        self._snap_action.setChecked(on)

    # -- internals -----------------------------------------------------------------------------------

    def _build_layout(self) -> None:
        toolbar = QToolBar(self)
        toolbar.setObjectName("timelineToolbar")
        self._toolbar = toolbar
        grid = QGridLayout()
        grid.setSpacing(0)
        grid.setContentsMargins(0, 0, 0, 0)
        self._time_label.setFixedWidth(HEADER_W)
        self._time_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        tone(self._time_label, Tone.TIMECODE)
        grid.addWidget(self._time_label, 0, 0)
        grid.addWidget(self.ruler, 0, 1)
        grid.addWidget(self.headers, 1, 0)
        grid.addWidget(self.view, 1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(toolbar)
        layout.addLayout(grid, 1)
        tone(self._status, Tone.WARNING).setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self._status)

    def _action(self, action_id: str, slot: Any, *, short: str | None = None, toolbar: bool = True,
                checkable: bool = False) -> QAction:
        """An action from the one table (keymap.py): full text for menus, `short` on the toolbar (the dock
        is often narrow)."""
        action = make_action(self, action_id, slot, self._bindings, checkable=checkable)
        if short:
            action.setIconText(short)
        self.addAction(action)
        self._table_actions[action_id] = action
        if toolbar:
            self._add_to_toolbar(action)
        return action

    def _add_to_toolbar(self, action: QAction) -> None:
        self._toolbar.addAction(action)
        button = self._toolbar.widgetForAction(action)
        if isinstance(button, QToolButton):
            button_face(button)

    def table_actions(self) -> dict[str, QAction]:
        """The editor's actions by their id in the action table (Undo and Redo included), for the menus."""
        return dict(self._table_actions)

    def _build_actions(self) -> None:
        self._bindings = user_bindings()
        self._table_actions: dict[str, QAction] = {}
        stack = self.document.undo_stack
        # Undo/Redo act anywhere in the window (the table's WINDOW scope): one action each, so no key is
        # bound twice; the menu shows "Undo Split", the toolbar button stays small.
        for action_id, action, short in (("edit.undo", stack.createUndoAction(self, "Undo"), "Undo"),
                                         ("edit.redo", stack.createRedoAction(self, "Redo"), "Redo")):
            bind(action, action_id, self._bindings)
            action.setIconText(short)
            self.addAction(action)
            self._add_to_toolbar(action)
            self._table_actions[action_id] = action
        self._toolbar.addSeparator()
        self._action("timeline.split", self.split_at_playhead, short="Split")
        self._action("timeline.delete", lambda: self.delete_selected(False), short="Delete")
        self._action("timeline.ripple_delete", lambda: self.delete_selected(True), short="Ripple")
        self._toolbar.addSeparator()
        self._action("timeline.mark_in", lambda: self.set_mark_in(), short="In")
        self._action("timeline.mark_out", lambda: self.set_mark_out(), short="Out")
        self._action("timeline.clear_marks", self.clear_marks, toolbar=False)
        self._snap_action = self._action("timeline.snapping", lambda on: self.set_snapping(on), short="Snap",
                                         checkable=True)
        self._snap_action.setChecked(True)
        self._toolbar.addSeparator()
        self._action("timeline.zoom_in", lambda: self.view.zoom(ZOOM_STEP), short="+")
        self._action("timeline.zoom_out", lambda: self.view.zoom(1 / ZOOM_STEP), short="\u2212")
        self._action("timeline.zoom_fit", self.view.zoom_to_fit, short="Fit")
        self._action("timeline.waveform_db", lambda on: self.set_waveform_db(on), short="dB", checkable=True)
        for name in ("play", "home", "end", "step_back", "step_forward", "back_second", "forward_second",
                     "reverse", "stop", "forward"):
            self._action(f"timeline.{name}", lambda _checked=False, name=name: self.transportRequested.emit(name),
                         toolbar=False)
        self._toolbar.addSeparator()
        self._action("timeline.add_video", lambda: self.add_track("video"), short="+V")
        self._action("timeline.add_audio", lambda: self.add_track("audio"), short="+A")

    @Slot()
    def _on_document_changed(self) -> None:
        timeline = self.document.timeline
        if timeline is None:
            return
        self.view.show_timeline(timeline)
        self.headers.show_timeline(timeline)
        self._status.setText("")
        self.timelineChanged.emit()

    def _scrub(self, t: float) -> None:
        self.set_playhead(t)
        self.playheadMoved.emit(t)

    def _on_move(self, request: MoveRequest) -> None:
        clips = [self._clip_of(ref) for ref in request.clips]
        if not self.run_edit("Move", edits.plan_move(clips, request.delta, request.kind, request.track_shift)):
            self._on_document_changed()  # put the dragged previews back

    def _on_trim(self, request: TrimRequest) -> None:
        clips = [self._clip_of(ref) for ref in request.clips]
        if not self.run_edit("Trim", edits.plan_trim(clips, request.edge, request.delta)):
            self._on_document_changed()

    def _clip_of(self, ref: Any) -> otio.schema.Clip:
        return self.document.timeline.tracks[ref.track_index][ref.clip_index]

    def _on_selection(self) -> None:
        selected = self.view.selected_clips()
        if selected and selected[0].take_id is not None:
            self.clipSelected.emit(selected[0].take_id)
        self.selectionChanged.emit(self.clip_facts(selected[0]) if selected else None)

    def clip_facts(self, item: ClipItem) -> ClipFacts:
        """What the Inspector shows of a clip on the timeline; the sound is its audio partner's."""
        import opentimelineio as otio

        clip = item.clip
        audio = next((i.clip for i in self.view.items_linked_to([item])
                      if self.document.timeline.tracks[i.ref.track_index].kind == otio.schema.TrackKind.Audio),
                     clip)
        source_in, source_out = media_in_out(clip)  # media time: at 2x, out - in is twice its length
        available = clip.media_reference.available_range if clip.media_reference is not None else None
        media = ((available.start_time.to_seconds(), available.end_time_exclusive().to_seconds())
                 if available is not None else None)
        data = kinora_data(clip)
        try:
            framing = clip_framing(data)
        except ProjectError:
            framing = None  # unreadable values another tool wrote: the Inspector offers to set them again
        return ClipFacts(clip.name, self.document.timeline.tracks[item.ref.track_index].name, item.ref.start,
                         item.ref.end, source_in, source_out,
                         self.ruler.fps, sound_props(kinora_data(audio)), offline_reason(clip),
                         str(data.get("text") or ""), str(data.get("text_position") or "bottom"), media, framing,
                         clip_speed(clip))

    def set_selected_properties(self, edit: ClipEdit) -> bool:
        """Apply the Inspector's `ClipEdit` as one undoable edit: its metadata["kinora"] changes (sound,
        text, reframe; None removes a key) on the selected clips and their linked partners, and its
        placement (start, source in, out) and speed to the selected clip, its linked partners following.

        A refusal (it would cover another clip, in after out, ...) changes nothing and is said through
        `clipEditRefused` (the Inspector shows it) as well as `errorOccurred`.
        """
        selected = self.view.selected_clips()
        if not selected:
            self.clipEditRefused.emit("Select a clip on the timeline first.")
            return False
        if (edit.placement is not None or edit.speed is not None) and len(selected) > 1:
            self.clipEditRefused.emit("Select one clip to change its position, in and out or speed.")
            return False
        primary = selected[0]
        partners = [i.clip for i in self.view.items_linked_to(selected) if i is not primary]
        track_index = primary.ref.track_index
        start = edit.placement[0] if edit.placement is not None else primary.ref.start
        try:
            done = self.document.edit("Clip properties",
                                      edits.plan_clip_edit(primary.clip, partners, edit.changes, edit.placement,
                                                           edit.overwrite, edit.speed))
        except KinoraError as exc:
            self.clipEditRefused.emit(str(exc))
            self.errorOccurred.emit(str(exc))
            return False
        if done:  # the edit put copies in place: select the clip again so the Inspector stays on it
            again = next((i for i in self.view.clip_items
                          if i.ref.track_index == track_index and abs(i.ref.start - start) < 1e-6), None)
            if again is not None:
                again.setSelected(True)
        return done

    def _show_context_menu(self, item: ClipItem | None, pos: QPoint) -> None:
        menu = self.context_menu(item)
        if menu is not None:
            menu.exec(pos)

    def closeEvent(self, event: Any) -> None:
        self.autosave.flush()
        super().closeEvent(event)

