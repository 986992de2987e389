"""`Studio`: the application model under the window, without Qt.

It holds what the studio has open (the project, the list of projects, the selection), the library, the
engine and the cameo service, and does the operations the File menu, the Prompt panel, the Queue and a drop
ask for. The window, its docks and menus are views of it (studio/ui/main_window.py).

Its methods come in two kinds, so that listeners always run on the thread that owns the state:
- work (load, create, rename, delete a project; submit; read the queue; import): plain blocking calls that
  read or write the library or call the engine. The window runs them on worker threads
  (studio/ui/tasks.py). They change nothing in the Studio; they return what the change needs.
- state changes (`adopt`, `set_recent`, `select_take`, `select_clip`, `engine =`): cheap, called on the
  thread that listens (the GUI thread in the studio), and announced to the listeners as a `Change`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from studio.errors import EngineError, KinoraError
from studio.importing import DropPlan, Imported, adopt_recipe_images, import_file, plan_drop

if TYPE_CHECKING:
    from pathlib import Path

    import opentimelineio as otio

    from studio.consent.service import CameoService
    from studio.engine.control import Engine
    from studio.library import Library
    from studio.library.records import JobRecord, ProjectRecord
    from studio.recipe import Recipe

UNTITLED_PROJECT = "Untitled"


class Change(StrEnum):
    """What changed in the Studio; a listener reads the new state from the Studio itself."""

    PROJECT = "project"  # another project is open (project_id, project_name)
    NAME = "name"  # the open project was renamed
    RECENT = "recent"  # the list of projects (recent) was read again
    SELECTION = "selection"  # the selected take or timeline clip
    ENGINE = "engine"  # the engine started, was replaced (a cluster joined) or stopped


class JobAction(StrEnum):
    """What the Queue asks of a take's job."""

    CANCEL = "cancel"
    PAUSE = "pause"
    RESUME = "resume"


Listener = Callable[[Change], None]


@dataclass(frozen=True)
class Opened:
    """A project read for opening (on a worker thread): its record, its saved timeline or the error reading
    it (a broken stored project must not stop the studio opening), and the library's projects afterwards."""

    project: ProjectRecord
    timeline: otio.schema.Timeline | None
    error: KinoraError | None
    recent: list[ProjectRecord] = field(default_factory=list)
    save_previous: bool = True  # False after Save As: the old project keeps its last save


@dataclass(frozen=True)
class Submitted:
    take_id: int
    notes: tuple[str, ...]  # what the model cannot do with a cameo, said rather than faked


@dataclass(frozen=True)
class ActiveJob:
    """A job of the durable queue as the Queue panel lists it on start."""

    job: JobRecord
    title: str
    remix_kind: str | None


@dataclass(frozen=True)
class Selection:
    take_id: int | None = None  # the take selected in the library
    clip: Any = None  # the timeline clip's facts (studio.ui.timeline.clip_facts.ClipFacts), or None


class Studio:
    """The open project, the library, the engine, the cameo service and the selection of one studio."""

    def __init__(self, lib: Library, engine: Engine | None = None, cameos: CameoService | None = None, *,
                 start_project: int | None = None) -> None:
        """`start_project` is what `open_start_project` opens (default: the most recently changed project).
        Without `cameos`, the library's own feed identity checks cameo mentions."""
        self.lib = lib
        self._cameos = cameos
        self._cameos_lock = threading.Lock()
        self.start_project = start_project
        self.project_id: int | None = None
        self.project_name = UNTITLED_PROJECT
        self.recent: list[ProjectRecord] = []  # the library's projects, last changed first (for Open Recent)
        self._engine = engine
        self._start_lock = threading.Lock()
        self._start_wanted = False  # the window asked for the engine's start (`engine_starting`); not yet made
        self._selection = Selection()
        self._listeners: list[Listener] = []

    @property
    def cameos(self) -> CameoService:
        """@handle checks before queueing, receipts, removals: made on first use (from a worker thread or the
        window), since the consent and feed modules cost ~30 ms of the studio's start-up."""
        with self._cameos_lock:
            if self._cameos is None:
                from studio.consent.service import CameoService
                from studio.feed.service import FeedService

                self._cameos = CameoService(FeedService(self.lib))
            return self._cameos

    # -- listeners --------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(change)` after each state change; returns the call that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _announce(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    # -- state changes (the listening thread) -----------------------------------------------------
    def adopt(self, opened: Opened) -> None:
        """Make the opened project the open one."""
        self.project_id, self.project_name = opened.project.id, opened.project.name
        self._announce(Change.PROJECT)
        self.set_recent(opened.recent)

    def set_recent(self, projects: list[ProjectRecord]) -> None:
        """The projects as just read; the open one's name follows its record (a rename)."""
        self.recent = list(projects)
        mine = next((p for p in projects if p.id == self.project_id), None)
        if mine is not None and mine.name != self.project_name:
            self.project_name = mine.name
            self._announce(Change.NAME)
        self._announce(Change.RECENT)

    @property
    def engine(self) -> Engine | None:
        return self._engine

    @engine.setter
    def engine(self, engine: Engine | None) -> None:
        self._engine = engine
        self._announce(Change.ENGINE)

    def engine_starting(self) -> None:
        """The window will start the engine (`start_engine`, on a worker after its first frame); an engine call
        made before that starts it there and then."""
        self._start_wanted = True

    def start_engine(self) -> None:
        """Start the engine if the window asked for it and nobody has yet. Blocking (spawning its process takes
        tens of ms): call it on a worker. A second caller waits for the first's start."""
        with self._start_lock:
            if self._start_wanted and self._engine is not None:
                self._engine.start()
            self._start_wanted = False

    def _ready_engine(self) -> Engine | None:
        """The engine, started first if the window's start of it has not run yet (a Generate pressed at once)."""
        self.start_engine()
        return self._engine

    def stop_engine(self) -> None:
        """Stop the engine (a running job is paused and resumes next time); safe to call twice."""
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.stop()
            self._announce(Change.ENGINE)

    @property
    def selection(self) -> Selection:
        return self._selection

    def select_take(self, take_id: int | None) -> None:
        self._select(Selection(take_id, self._selection.clip))

    def select_clip(self, clip: Any) -> None:
        self._select(Selection(self._selection.take_id, clip))

    def _select(self, selection: Selection) -> None:
        if selection != self._selection:
            self._selection = selection
            self._announce(Change.SELECTION)

    def new_project_name(self) -> str:
        """"Untitled", else "Untitled 2", 3, ...: the first name no project of the recent list has."""
        names = {p.name for p in self.recent}
        return next(name for n in range(1, 10_000)
                    if (name := f"{UNTITLED_PROJECT} {n}" if n > 1 else UNTITLED_PROJECT) not in names)

    # -- projects (work: a worker thread) ---------------------------------------------------------
    def open_start_project(self) -> Opened:
        """The project to open on start: the one asked for, else the last changed, else a new one."""
        if self.start_project is not None:
            return self._opened(self.lib.project(self.start_project))
        projects = self.lib.list_projects()
        return self._opened(projects[0] if projects else self.lib.create_project(UNTITLED_PROJECT))

    def load_project(self, project_id: int) -> Opened:
        return self._opened(self.lib.project(project_id))

    def create_project(self, name: str) -> Opened:
        """A new project with an empty timeline."""
        return self._opened(self.lib.create_project(name))

    def save_as(self, name: str, timeline: otio.schema.Timeline) -> Opened:
        """A new project holding `timeline` (a copy of the edit on screen, made by the thread that edits it):
        it opens, and the project open before keeps its last save."""
        timeline.name = name
        return self._opened(self.lib.create_project(name, timeline), save_previous=False)

    def rename_project(self, project_id: int, name: str) -> list[ProjectRecord]:
        """Rename; returns the projects for `set_recent` (which renames the open one)."""
        self.lib.rename_project(project_id, name)
        return self.lib.list_projects()

    def delete_project(self, project_id: int) -> Opened:
        """Delete the project; returns the project to open next: the last changed other one, or a new one."""
        self.lib.delete_project(project_id)
        others = self.lib.list_projects()
        return self._opened(others[0] if others else self.lib.create_project(UNTITLED_PROJECT))

    def list_projects(self) -> list[ProjectRecord]:
        return self.lib.list_projects()

    def _opened(self, project: ProjectRecord, *, save_previous: bool = True) -> Opened:
        try:
            timeline, error = self.lib.load_timeline(project.id), None
        except KinoraError as exc:
            timeline, error = None, exc
        return Opened(project, timeline, error, self.lib.list_projects(), save_previous)

    # -- import (planning is cheap; the rest is work) ---------------------------------------------
    @staticmethod
    def plan_import(paths: list[Path]) -> DropPlan:
        """What a drop or File > Import does with each path: open, import or refuse (by its name)."""
        return plan_drop(paths)

    def import_media(self, path: Path) -> Imported:
        return import_file(self.lib, path)

    def open_project_file(self, path: Path) -> Opened:
        """Open an .otio/.otioz file as a new project of the library (its media come in as takes)."""
        from studio.project.files import open_project_file

        return self._opened(open_project_file(self.lib, path)[0])

    # -- generation and the queue (work) ----------------------------------------------------------
    def submit(self, recipe: Recipe, parent_take_id: int | None = None, remix_kind: str | None = None,
               timeline: otio.schema.Timeline | None = None) -> Submitted:
        """Keep the unsaved edit (`timeline`, a copy) as an autosave snapshot, check cameo grants and content
        rules (ConsentError before anything is queued), then queue the take with the engine."""
        engine = self._ready_engine()
        if engine is None:
            raise EngineError("The engine is not running, so nothing can be generated.")
        if self.project_id is not None:
            self.lib.snapshot_project(self.project_id, "autosave", timeline)
        # A dropped image is copied into the library first: the take never names a file outside it.
        take_id, cleared = self.cameos.submit(
            lambda r: engine.submit(r, parent_take_id=parent_take_id, remix_kind=remix_kind),
            adopt_recipe_images(self.lib, recipe))
        return Submitted(take_id, cleared.notes)

    def take_done(self, take_id: int) -> list[str]:
        """A take finished: sign the usage receipts for friends' cameos in it."""
        return self.cameos.take_done(take_id)

    def active_jobs(self) -> list[ActiveJob]:
        """The queue left by earlier sessions (pending, running, paused), in order."""
        return [ActiveJob(job, take.display_title, take.remix_kind) for job in self.lib.list_jobs(active_only=True)
                if (take := self.lib.take(job.take_id))]

    def control(self, action: JobAction, take_id: int) -> None:
        """Cancel, pause or resume a take's job (nothing without an engine)."""
        engine = self._ready_engine()
        if engine is not None:
            {JobAction.CANCEL: engine.cancel, JobAction.PAUSE: engine.pause,
             JobAction.RESUME: engine.resume}[JobAction(action)](take_id)

    def reorder_jobs(self, job_ids: list[int]) -> None:
        """The active jobs in this order."""
        for position, job_id in enumerate(job_ids):
            self.lib.move_job(job_id, position)
