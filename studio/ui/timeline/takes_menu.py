"""Takes and remixes on the timeline: the clip menu, remix requests, alternate takes, extensions,
relinking offline clips.

A clip's metadata["kinora"]["takes"] lists every take of its shot; one (its take_id) is active.
Finished remixes land through `offer_take`; swapping the active take is one undoable command.
Mixed into TimelineEditor (which provides the view, the document, the library and the signals).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMenu

from studio.errors import KinoraError
from studio.project import edit_plans as edits
from studio.project.clip_props import media_length
from studio.project.offline import offline_reason, relink_changes
from studio.project.timeline import clips_of_take, kinora_data, new_link_id, timeline_rate
from studio.ui.tasks import run_async
from studio.ui.timeline.items import ClipItem, ClipRef

if TYPE_CHECKING:
    import opentimelineio as otio


def media_span(ref: ClipRef, lo: float, hi: float) -> tuple[float, float]:
    """The media times (take time) of track times [lo, hi) of the clip: at 2x, twice as long; a held
    frame counts its hold (clip_props.media_length), as its in and out do."""
    return (ref.source_start + media_length(ref.speed, lo - ref.start),
            ref.source_start + media_length(ref.speed, hi - ref.start))


class TakeMenuMixin:
    """Take and remix methods of TimelineEditor."""

    def add_alternate_take(self, clip: otio.schema.Clip, take_id: int) -> None:
        """Make take `take_id` the active take of `clip` (and its linked partner), keeping the old
        one in the clip's takes list so it can be swapped back. Undoable.

        The take is read from the library on a worker thread; the swap is made when it is ready (a
        failure is reported through errorOccurred)."""
        from studio.ui.timeline.editor import clips_of  # editor.py imports this mixin

        library, rate = self.library, timeline_rate(self.document.timeline)
        run_async(lambda: clips_of(library, take_id, rate), lambda found: self._swap_in(clip, take_id, *found),
                  lambda exc: self.errorOccurred.emit(str(exc)), receiver=self)

    def _swap_in(self, clip: otio.schema.Clip, take_id: int, video: otio.schema.Clip | None,
                 audio: otio.schema.Clip | None) -> bool:
        item = next((i for i in self.view.clip_items if i.clip is clip), None)
        olds = self.view.items_linked_to([item]) if item else []
        link = new_link_id() if len(olds) > 1 else None
        pairs = []
        for old in olds:
            fresh = video if old.ref.kind == "video" else audio
            if fresh is not None:
                pairs.append((old.clip, edits.alternate_clip(old.clip, fresh.deepcopy(), link)))
        if not pairs:
            self.errorOccurred.emit(f"Take {take_id} has nothing to put in place of '{clip.name}'.")
            return False
        try:
            return self.document.edit(f"Swap in take {take_id}", edits.plan_swap_take(pairs))
        except KinoraError as exc:
            self.errorOccurred.emit(str(exc))
            return False

    def offer_take(self, parent_take_id: int, new_take_id: int, kind: str) -> bool:
        """Land a finished remix of a take that is on the timeline (the window calls this).

        "extend": the new take goes right after the parent's last clip. Anything else (remix,
        retake): the new take joins the takes list of every clip showing the parent, so the
        creator can swap it in from the clip's menu; the cut does not change. Undoable.
        """
        timeline = self.document.timeline
        placed = clips_of_take(timeline, parent_take_id) if timeline is not None else []
        if not placed:
            self.errorOccurred.emit(f"Take {parent_take_id} is not on the timeline; drag take {new_take_id} "
                                    "in from the library instead.")
            return False
        if kind == "extend":  # lands once the library is read (a worker thread)
            last = max((c for _, _, c in placed), key=lambda c: edits.span(timeline, c)[1])
            return self.extend_with_take(last, new_take_id)
        return self.run_edit(f"Take {new_take_id} available",
                             edits.plan_add_to_takes([c for _, _, c in placed], new_take_id))

    def swap_to_take(self, clip: otio.schema.Clip, take_id: int) -> None:
        """Make another of the clip's listed takes the active one (undoable; read on a worker thread)."""
        self.add_alternate_take(clip, take_id)

    def extend_with_take(self, clip: otio.schema.Clip, take_id: int) -> bool:
        """Insert take `take_id` right after `clip` (what "Extend" produces lands here), once the library
        has been read on a worker thread."""
        end = edits.span(self.document.timeline, clip)[1]
        track, _ = edits.locate(self.document.timeline, clip)
        self.insert_takes([take_id], end, list(self.document.timeline.tracks).index(track))
        return True

    def context_menu(self, item: ClipItem | None) -> QMenu | None:
        """The clip's menu: remix actions, takes to swap in, link/unlink, split and delete."""
        if item is None:
            return None
        menu = QMenu(self)
        take_id = item.take_id
        source = media_span(item.ref, item.ref.start, item.ref.end)
        if take_id is not None:
            menu.addAction("Remix…", lambda: self.remixRequested.emit(take_id, "remix", *source))
            menu.addAction("Extend…", lambda: self.remixRequested.emit(take_id, "extend", *source))
            retake = menu.addAction("Retake range…", lambda: self._request_retake(item))
            mark_in, mark_out = self.view.marks
            retake.setEnabled(mark_in is not None and mark_out is not None and mark_out > mark_in)
            takes = kinora_data(item.clip).get("takes") or []
            if len(takes) > 1:
                swap = menu.addMenu("Active take")
                for other in takes:
                    action = swap.addAction(f"Take {other}", lambda o=other: self.swap_to_take(item.clip, o))
                    action.setCheckable(True)
                    action.setChecked(other == take_id)
            menu.addSeparator()
        if item.link:
            menu.addAction("Unlink picture and sound", self.unlink_selected)
        elif len(self.view.selected_clips()) > 1:
            menu.addAction("Link", self.link_selected)
        if item.media is None or offline_reason(item.clip):
            menu.addAction("Relink media…", lambda: self._choose_relink(item))
        menu.addAction("Split at playhead", self.split_at_playhead)
        menu.addAction("Delete", lambda: self.delete_selected(False))
        menu.addAction("Ripple delete", lambda: self.delete_selected(True))
        return menu

    def _choose_relink(self, item: ClipItem) -> None:
        name, _ = QFileDialog.getOpenFileName(self, f"Relink “{item.clip.name}” to a media file")
        if name:
            self.relink_clip(item.clip, Path(name))

    def relink_clip(self, clip: otio.schema.Clip, path: Path) -> None:
        """Point an offline clip (and its linked partner) at `path`, imported through the one import
        service on a worker thread; one undoable edit once it is in the library."""
        from studio.importing import import_file

        library = self.library

        def work() -> tuple[int, str]:
            take = import_file(library, path).take
            return take.id, library.media(take.media_id).sha256

        def relink(found: tuple[int, str]) -> None:
            item = next((i for i in self.view.clip_items if i.clip is clip), None)
            clips = [i.clip for i in self.view.items_linked_to([item])] if item is not None else [clip]
            self.run_edit("Relink media", edits.plan_set_clip_data(clips, relink_changes(*found)))

        run_async(work, relink, lambda exc: self.errorOccurred.emit(f"Could not relink to {path.name}: {exc}"),
                  receiver=self)

    def _request_retake(self, item: ClipItem) -> None:
        """Ask for a retake of the part of the clip between the in and out marks (in take time)."""
        mark_in, mark_out = self.view.marks
        if mark_in is None or mark_out is None:
            return
        lo, hi = max(mark_in, item.ref.start), min(mark_out, item.ref.end)
        if hi <= lo:
            self.errorOccurred.emit("The in/out range does not overlap this clip; mark a range over it first.")
            return
        self.remixRequested.emit(item.take_id, "retake", *media_span(item.ref, lo, hi))
