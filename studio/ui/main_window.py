"""The studio window: dockable panels, menus with shortcuts, layout memory, and the glue between them.

The window owns no heavy work. Library queries, imports and engine calls go through `run_async`;
engine progress arrives through the EngineBridge's queued signal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio import __version__
from studio.errors import ConsentError
from studio.importing import Imported
from studio.recipe import REMIX_MODES
from studio.studio_model import ActiveJob, Change, JobAction, Opened, Studio, Submitted
from studio.ui.chrome import Dock
from studio.ui.engine_bridge import EngineBridge
from studio.ui.export_job import ExportQueue
from studio.ui.first_frame import after_first_frame
from studio.ui.lazy_dock import DockPanel, LazyDock
from studio.ui.library.live import LibraryWatcher
from studio.ui.library.panel import LibraryPanel
from studio.ui.library.query import TakeItem, describe_take
from studio.ui.model_choices import load_model_choices, load_styles
from studio.ui.monitors import Monitors
from studio.ui.prompt_panel import PromptPanel
from studio.ui.queue_panel import QueuePanel
from studio.ui.settings import FEED_SYNC_INTERVAL_MS, studio_settings
from studio.ui.stall_probe import StallProbe
from studio.ui.tasks import run_async
from studio.ui.theme import Tone, icon, tone
from studio.ui.timeline.editor import TimelineEditor
from studio.ui.window_menus import build_menus
from studio.ui.window_projects import WindowProjectsMixin

if TYPE_CHECKING:
    from studio.consent.service import CameoService
    from studio.engine.control import Engine
    from studio.engine.events import EngineEvent
    from studio.feed.service import FeedService
    from studio.library import Library
    from studio.recipe import Recipe
    from studio.ui.api_server import ApiServerToggle
    from studio.ui.export_dialog import ExportDialog
    from studio.ui.feed_view import FeedView


log = logging.getLogger(__name__)

_Dock = TypeVar("_Dock", bound=QDockWidget)

LAYOUT_VERSION = 3  # bump when docks change, so an old saved layout is not applied to new docks
SAVE_ON_CLOSE_S = 30  # the longest the window waits for the project to be written as it closes


class MainWindow(WindowProjectsMixin, QMainWindow):
    """Kinora Studio's main window over one library and one engine runner."""

    message_shown = Signal(str, bool)  # every notice the window gives (text, is_error): tests read these
    project_opened = Signal(int)
    # Hidden tabs at launch: each panel is made when its dock is first shown or the panel first used.
    inspector = DockPanel("inspector", "inspector")
    clip_inspector = DockPanel("inspector", "clip_inspector")
    credentials = DockPanel("credentials")
    lineage = DockPanel("lineage")
    feed = DockPanel("feed")

    def __init__(self, lib: Library, runner: Engine | None, bridge: EngineBridge, parent: QWidget | None = None, *,
                 project_id: int | None = None) -> None:
        """`project_id` is the project `start()` opens (default: the most recently changed one)."""
        super().__init__(parent)
        self.studio = Studio(lib, runner, start_project=project_id)  # the app model; this window is its view
        self.bridge = bridge
        self._timeline_parent: int | None = None  # the take the prompt panel remixes for the timeline
        self._landing: dict[int, tuple[int, str]] = {}  # new take -> (parent on the timeline, remix kind)
        self.messages: list[tuple[str, bool]] = []
        self.setWindowTitle("Kinora Studio")
        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)

        self.library_panel = LibraryPanel(lib)
        self.prompt_panel = PromptPanel()
        self.queue_panel = QueuePanel()
        self.export_queue = ExportQueue()
        self.library_watcher = LibraryWatcher(lib, self)
        self.timeline = TimelineEditor(lib)
        # Source (library takes) and Program (the edit); each opens the sound card on a worker thread after its
        # first frame, or plays silently with a notice.
        self.monitors = Monitors(lib, self.timeline, self)
        self.docks: dict[str, QDockWidget] = {}
        self._build_docks()
        self.stall_probe = StallProbe(parent=self)
        self._stall_label = tone(QLabel(objectName="stallLabel", indent=6), Tone.HINT)
        self.statusBar().addPermanentWidget(self._stall_label)
        self._stall_label.hide()
        self._api_server: ApiServerToggle | None = None  # made by the menu's toggle (see api_server)
        self.actions = build_menus(self)
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._restore_layout()
        self._connect()

    # -- the app model ----------------------------------------------------------------------------
    # Read by the docks, dialogs and tests; the Studio holds them.
    @property
    def lib(self) -> Library:
        return self.studio.lib

    @property
    def runner(self) -> Engine | None:
        return self.studio.engine

    @runner.setter
    def runner(self, engine: Engine | None) -> None:  # a cluster joined, or a test's engine
        self.studio.engine = engine

    @property
    def project_id(self) -> int | None:
        return self.studio.project_id

    @property
    def api_server(self) -> ApiServerToggle:
        """Generate > Serve the OpenAI Videos API: `kinora serve` inside the studio (studio/ui/api_server.py). Made
        when first used: the menu's action exists without it, and no server runs before the user asks."""
        if self._api_server is None:
            from studio.ui.api_server import ApiServerToggle

            self._api_server = ApiServerToggle(self.lib, self.notify, parent=self)
            self.bridge.event.connect(self._api_server.on_engine_event)
            serve = self.actions["generate.serve_api"]
            self._api_server.changed.connect(lambda url: serve.setChecked(bool(url)))
        return self._api_server

    def api_url(self) -> str:
        """Where the studio's API serves ("" when it does not)."""
        return self._api_server.url if self._api_server is not None else ""

    @property
    def project_name(self) -> str:
        return self.studio.project_name

    @property
    def cameos(self) -> CameoService:
        return self.studio.cameos  # @handle checks before queueing, receipts, removals (made on first use)

    @property
    def feed_service(self) -> FeedService:
        return self.cameos.feed  # the cameo checks use the Feed's identity

    def _clean_changed(self, clean: bool) -> None:
        # A method, not a lambda: Qt drops a dead window's method slots, while a lambda outlived the window
        # and raised "Internal C++ object already deleted" when the undo stack went at exit.
        self.setWindowModified(not clean)

    def _studio_changed(self, change: Change) -> None:
        if change in (Change.PROJECT, Change.NAME):
            self._show_title()
        if change is Change.PROJECT and self.project_id is not None:
            self.project_opened.emit(self.project_id)

    # -- construction ---------------------------------------------------------------------------
    def _dock(self, key: str, title: str, widget: QWidget) -> QDockWidget:
        dock = Dock(title, self, objectName=f"dock-{key}")
        dock.setWidget(widget)
        return self._add_dock(key, dock)

    def _lazy_dock(self, key: str, title: str, factory: Callable[[], QWidget]) -> LazyDock:
        """A dock hidden at launch: its panel is made by `factory()` when first shown or used."""
        return self._add_dock(key, LazyDock(title, self, key, factory))

    def _add_dock(self, key: str, dock: _Dock) -> _Dock:
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.docks[key] = dock
        return dock

    def _build_docks(self) -> None:
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        prompt = self._dock("prompt", "Prompt", self.prompt_panel)
        # The tabbed right-hand column takes its widest tab's minimum; without a floor of its own the Prompt
        # panel is the one squeezed (to ~120 px on a 1600-pixel screen). 200 keeps it readable and the window within 1600.
        self.prompt_panel.setMinimumWidth(200)
        source = self._dock("source", "Source", self.monitors.source)
        program = self._dock("program", "Program", self.monitors.program)
        self.monitors.mark_active_dock()
        library = self._dock("library", "Library", self.library_panel)
        queue_box = QWidget(objectName="queueBox")  # generations, then this session's exports
        column = QVBoxLayout(queue_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.queue_panel, 1)
        column.addWidget(self.export_queue)
        queue = self._dock("queue", "Queue", queue_box)
        inspector = self._lazy_dock("inspector", "Inspector", self._make_inspector)
        timeline = self._dock("timeline", "Timeline", self.timeline)
        # [Prompt over Queue] | [Source | Program] over [Library/Inspector/... | Timeline], as editors lay out
        # their monitors (side by side, above the bin and the timeline); all rearrangeable. Fits 1440x900.
        self.addDockWidget(left, prompt)
        self.splitDockWidget(prompt, source, Qt.Orientation.Horizontal)
        self.splitDockWidget(source, library, Qt.Orientation.Vertical)
        self.splitDockWidget(source, program, Qt.Orientation.Horizontal)
        self.splitDockWidget(library, timeline, Qt.Orientation.Horizontal)
        self.splitDockWidget(prompt, queue, Qt.Orientation.Vertical)
        self.tabifyDockWidget(library, inspector)
        for dock in (self._lazy_dock("credentials", "Credentials", self._make_credentials),
                     self._lazy_dock("lineage", "Lineage", self._make_lineage),
                     self._lazy_dock("history", "History", self.timeline.history_panel),
                     feed := self._lazy_dock("feed", "Feed", self._make_feed)):
            self.tabifyDockWidget(inspector, dock)
        feed.hide()  # View > Feed opens it: its ~830 px minimum would squeeze the timeline at 1440 wide
        library.raise_()
        self.resizeDocks([prompt, source, program], [320, 560, 560], Qt.Orientation.Horizontal)
        self.resizeDocks([library, timeline], [520, 640], Qt.Orientation.Horizontal)
        self.resizeDocks([source, library], [440, 400], Qt.Orientation.Vertical)
        self.resizeDocks([prompt, queue], [640, 200], Qt.Orientation.Vertical)

    def _make_inspector(self) -> QWidget:
        """The selected timeline clip over the take it shows."""
        from studio.ui.clip_inspector import ClipInspector
        from studio.ui.inspector import InspectorPanel

        box = QWidget(objectName="inspectorBox")
        clip_inspector, inspector = ClipInspector(), InspectorPanel(self.lib)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(clip_inspector)
        column.addWidget(inspector, 1)
        clip_inspector.apply_requested.connect(self.timeline.set_selected_properties)
        self.timeline.clipEditRefused.connect(clip_inspector.show_error)
        # Scrolled: a clip's twenty fields would otherwise set the column's minimum height and squeeze the
        # monitors above it to a strip (seen in a screenshot at 1440x900).
        panel = QScrollArea(objectName="inspectorScroll", widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        panel.setWidget(box)
        panel.clip_inspector, panel.inspector = clip_inspector, inspector
        return panel

    def _make_credentials(self) -> QWidget:
        from studio.ui.credentials_panel import CredentialsPanel

        panel = CredentialsPanel()
        panel.remix_requested.connect(self._remix_recipe)
        return panel

    def _make_lineage(self) -> QWidget:
        from studio.ui.lineage_view import LineageView

        view = LineageView(self.lib)
        view.take_activated.connect(self.library_panel.select_take)
        return view

    def _make_feed(self) -> FeedView:
        from studio.ui.feed_view import FeedView

        feed = FeedView(self.feed_service, audio=self.monitors.audio)  # one sound card for the window
        feed.after_sync = self.cameos.after_sync
        feed.served_at = self.api_url  # the invite links name it while it serves
        feed.remixRequested.connect(self._feed_remix)
        feed.chainRequested.connect(self._feed_chain)
        feed.message.connect(self.notify)
        return feed

    def _connect(self) -> None:
        self.studio.subscribe(self._studio_changed)  # the title and project_opened follow the app model
        self.bridge.event.connect(self._on_engine_event)
        self.prompt_panel.generate_requested.connect(self.submit)
        self.prompt_panel.download_requested.connect(self.show_models)
        self.library_panel.play_requested.connect(self.monitors.play_take)
        self.library_panel.remix_requested.connect(self.remix_take)
        self.library_panel.current_changed.connect(self._take_selected)
        self.library_panel.message.connect(self.notify)
        self.library_watcher.touched.connect(lambda ids: [self.library_panel.model.refresh_take(i) for i in ids])
        self.library_panel.open_project_using = self._open_project_using
        self.library_panel.take_deleted.connect(self._take_deleted)
        self.queue_panel.cancel_requested.connect(lambda t: self._engine_call("cancel", t))
        self.queue_panel.pause_requested.connect(lambda t: self._engine_call("pause", t))
        self.queue_panel.resume_requested.connect(lambda t: self._engine_call("resume", t))
        self.queue_panel.order_changed.connect(self._reorder_jobs)
        self.queue_panel.finished_cleared.connect(self.export_queue.clear_finished)
        self.stall_probe.stalled.connect(lambda ms: log.debug("GUI thread stalled %.0f ms", ms))
        self.timeline.remixRequested.connect(self._timeline_remix)
        self.timeline.errorOccurred.connect(lambda text: self.notify(text, True))
        self.timeline.undo_stack().cleanChanged.connect(self._clean_changed)
        self.timeline.autosave.failed.connect(lambda text: self.notify(text, True))
        self.monitors.message.connect(self.notify)  # the timeline <-> Program link is the monitors' own
        self.monitors.shown.connect(lambda key: (self.docks[key].show(), self.docks[key].raise_()))
        self.timeline.selectionChanged.connect(self._clip_selected)
        self.export_queue.exported.connect(lambda path: self.notify(f"Exported {path}."))
        # The Feed syncs subscriptions in the background whether shown or not: unless shown before, it is
        # made when its first sync is due, and syncs then (its own timer takes over from there).
        QTimer.singleShot(FEED_SYNC_INTERVAL_MS, self, self._feed_sync_due)
        self._probe_label_timer = QTimer(self, interval=500)
        self._probe_label_timer.timeout.connect(self._show_probe)

    def _feed_sync_due(self) -> None:
        if not self.docks["feed"].built and self.isVisible():  # not for a window already closed
            self.feed.sync_now()

    # -- start and stop -------------------------------------------------------------------------
    def start(self) -> None:
        """Once the first frame is on screen: load what the panels show (on worker threads), start the stall probe."""
        if self.runner is not None:
            self.studio.engine_starting()  # started after the first frame, or by a Generate pressed before it
        after_first_frame(self, self._begin)

    def _begin(self) -> None:
        if self.runner is not None:  # first: its process then imports torch while the panels load
            run_async(self.studio.start_engine, None,
                      lambda exc: self.notify(f"The engine could not start: {exc}", True), receiver=self)
        self.stall_probe.start()
        self.library_panel.start()
        self.library_watcher.start()
        self.prompt_panel.set_models([])
        run_async(load_model_choices, self._models_loaded,
                  lambda exc: self.notify(f"Could not read the model list: {exc}", True))
        run_async(load_styles, self.prompt_panel.set_styles)  # the style presets (none when unreadable)
        run_async(self.studio.active_jobs, self._jobs_loaded,
                  lambda exc: self.notify(f"Could not read the queue: {exc}", True), receiver=self)
        run_async(self.studio.open_start_project, self._project_ready,
                  lambda exc: self.notify(f"Could not open the project: {exc}", True))

    def _models_loaded(self, choices: list[Any]) -> None:
        settings = studio_settings()
        self.prompt_panel.set_models(choices, select=settings.value("prompt/model") or None)
        self.library_panel.set_model_ids([choice.id for choice in choices])

    def _jobs_loaded(self, jobs: list[ActiveJob]) -> None:
        phases = {"pending": "queued", "running": "loading", "paused": "paused"}
        for active in jobs:
            job = active.job
            self.queue_panel.add_job(job.take_id, job.id, active.title, phases.get(job.status, job.status),
                                     active.remix_kind, note=job.resume_note if job.status == "paused" else "")
        paused = sum(1 for active in jobs if active.job.status == "paused")
        if paused:
            self.notify(f"{paused} job(s) from the last session are paused in the queue: press Resume to run them.")

    def _project_ready(self, opened: Opened) -> None:
        """A project was read on a worker thread: the timeline shows it, then the Studio opens it (the
        title and `project_opened` follow from its Change.PROJECT)."""
        if opened.error is not None:
            self.notify(f"Could not load project “{opened.project.name}”: {opened.error}", True)
        else:
            self.timeline.set_project(opened.project.id, opened.timeline, save_previous=opened.save_previous)
        self.studio.adopt(opened)

    def closeEvent(self, event: QCloseEvent) -> None:
        settings = studio_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        if self.prompt_panel.current_model() is not None:
            settings.setValue("prompt/model", self.prompt_panel.current_model().id)
        settings.sync()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the probe and the engine; flush the timeline's autosave. Safe to call twice."""
        self.stall_probe.stop()
        self.library_watcher.stop()
        self._probe_label_timer.stop()
        self.monitors.shutdown()
        if self.docks["feed"].built:  # a Feed never shown was never made
            self.feed.shutdown()
        # The edit is written on a worker thread and waited for, within a bound: a stuck disk must not hang the
        # close. A failed write is logged (AutosaveController.failed), as the synchronous save's was.
        if not self.timeline.save(wait=False).wait(SAVE_ON_CLOSE_S):
            log.warning("the project was still being saved after %d s as the studio closed", SAVE_ON_CLOSE_S)
        self.studio.stop_engine()

    def _restore_layout(self) -> None:
        settings = studio_settings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        state = settings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state, LAYOUT_VERSION)

    def reset_layout(self) -> None:
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state, LAYOUT_VERSION)

    # -- messages and the probe -----------------------------------------------------------------
    def notify(self, text: str, error: bool = False) -> None:
        """Tell the user something without a modal box (status bar; errors stay longer)."""
        self.messages.append((text, error))
        self.statusBar().showMessage(("⚠ " if error else "") + text, 15000 if error else 6000)
        (log.warning if error else log.info)("%s", text)
        self.message_shown.emit(text, error)

    def toggle_probe_display(self, on: bool) -> None:
        self._stall_label.setVisible(on)
        if on:
            self._probe_label_timer.start()
            self._show_probe()
        else:
            self._probe_label_timer.stop()

    def _show_probe(self) -> None:
        self._stall_label.setText(f"worst GUI stall {self.stall_probe.worst_ms:.0f} ms")

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def focus_search(self) -> None:
        self.docks["library"].show()
        self.docks["library"].raise_()
        self.library_panel.search.setFocus()
        self.library_panel.search.selectAll()

    def show_models(self, model_id: str = "") -> None:
        """The Models page (one per window); with a model id, that model selected and its download started."""
        from studio.ui.models_page import ModelsPage

        page = getattr(self, "_models_page", None)
        if page is None:
            page = self._models_page = ModelsPage(self)
            page.models_changed.connect(lambda: run_async(load_model_choices, self._models_loaded, receiver=self))
        page.refresh()
        page.show()
        page.raise_()
        if model_id:
            page.pull(model_id)

    def show_shortcuts(self) -> None:
        from studio.ui.shortcuts_dialog import ShortcutsDialog  # here: a dialog the launch does not show

        ShortcutsDialog(self).exec()

    def show_about(self) -> None:
        QMessageBox.about(self, "About Kinora Studio",
                          f"<b>Kinora Studio {__version__}</b><p>Generate video with sound on your own GPU, edit it "
                          "on a timeline and export it with Content Credentials.</p>")

    # -- generation -----------------------------------------------------------------------------
    def submit(self, recipe: Recipe, parent_take_id: int | None = None, remix_kind: str | None = None) -> None:
        """Autosave the project, check cameo consent, then queue the take with the engine (Studio.submit, on a
        worker thread)."""
        studio, timeline = self.studio, self._timeline_copy()
        for_timeline = parent_take_id is not None and parent_take_id == self._timeline_parent

        def submitted(outcome: Submitted) -> None:
            take_id, notes = outcome.take_id, outcome.notes
            if for_timeline:  # lands on the timeline when it is done
                self._landing[take_id] = (parent_take_id, remix_kind or "remix")
            self._submitted(take_id, recipe, remix_kind)
            if notes:  # what the model cannot do with the cameo, said rather than faked
                self.notify(" ".join(notes))

        def refused(exc: Exception) -> None:
            if isinstance(exc, ConsentError):
                self.prompt_panel.show_error(str(exc))
            self.notify(f"Could not start the take: {exc}", True)

        run_async(lambda: studio.submit(recipe, parent_take_id, remix_kind, timeline), submitted, refused,
                  receiver=self)

    def _timeline_copy(self) -> Any:
        timeline = self.timeline.timeline()
        return timeline.deepcopy() if timeline is not None else None

    def _submitted(self, take_id: int, recipe: Recipe, remix_kind: str | None = None) -> None:
        # The runner records a remix mode (extend, video, retake) as the take's remix kind when none is given.
        kind = remix_kind or (str(recipe.mode) if recipe.mode in REMIX_MODES else None)
        self.queue_panel.add_job(take_id, None, recipe.prompt, "queued", kind)
        self.library_panel.model.refresh_take(take_id)
        self.notify(f"Take {take_id} is queued ({recipe.model_id}).")

    def _engine_call(self, name: str, take_id: int) -> None:
        studio, action = self.studio, JobAction(name)
        run_async(lambda: studio.control(action, take_id), None,
                  lambda exc: self.notify(f"Could not {name} take {take_id}: {exc}", True), receiver=self)

    def _reorder_jobs(self, job_ids: list[int]) -> None:
        studio = self.studio
        run_async(lambda: studio.reorder_jobs(job_ids), None,
                  lambda exc: self.notify(f"Could not reorder the queue: {exc}", True), receiver=self)

    def _on_engine_event(self, event: EngineEvent) -> None:
        self.queue_panel.apply_event(event)
        if event.phase in ("queued", "loading", "done", "failed", "canceled", "paused"):
            self.library_panel.model.refresh_take(event.take_id)
        if event.phase == "done":
            self.notify(f"Take {event.take_id} is ready.")
            studio, take_id = self.studio, event.take_id
            run_async(lambda: studio.take_done(take_id), None,  # signed receipts for friends' cameos in it
                      lambda exc: self.notify(f"Could not sign the cameo receipt of take {take_id}: {exc}", True),
                      receiver=self)
            if event.take_id in self._landing:
                parent, kind = self._landing.pop(event.take_id)
                self.timeline.offer_take(parent, event.take_id, kind)
            if self.inspector.take_id == event.take_id:
                self._refresh_inspector(event.take_id)
        elif event.phase == "failed":
            self.notify(f"Take {event.take_id} failed: {event.message}", True)

    # -- takes ----------------------------------------------------------------------------------
    def _take_selected(self, item: TakeItem | None) -> None:
        self.studio.select_take(item.take_id if item is not None else None)
        self.inspector.show_item(item)
        if item is None:
            return
        self.lineage.show_take(item.take_id)
        if item.take.origin == "imported" and item.media_path is not None:
            self.credentials.show_file(item.media_path)
        else:
            self.credentials.clear()

    def _clip_selected(self, facts: Any) -> None:
        self.studio.select_clip(facts)
        self.clip_inspector.show_clip(facts)
        if facts is not None:
            self.docks["inspector"].raise_()

    def _take_deleted(self, report: Any) -> None:
        self.monitors.take_deleted(report.take_id)  # Source lets go of the deleted take
        if self.timeline.detach_deleted_take(report.take_id, report.file_deleted):
            state = "offline" if report.file_deleted else "detached from it (the file stays)"
            self.notify(f"The clips of take {report.take_id} on this timeline are {state}.")

    def _open_project_using(self, take_id: int) -> str | None:
        if self.project_id is None or not self.timeline.uses_take(take_id):
            return None
        return self.project_name

    def _refresh_inspector(self, take_id: int) -> None:
        lib = self.lib
        run_async(lambda: describe_take(lib, lib.take(take_id)), self.inspector.show_item, lambda exc: None)

    def play_selected(self) -> None:
        item = self.library_panel.current_item()
        if item is not None:
            self.monitors.play_take(item)

    def remix_selected(self) -> None:
        item = self.library_panel.current_item()
        if item is None:
            self.notify("Select a take in the library to remix it.", True)
            return
        self.remix_take(item)

    def remix_take(self, item: TakeItem, kind: str = "new_seed") -> None:
        """Fill the prompt panel from the take's recipe and show the remix modes."""
        self.prompt_panel.fill_from_take(item.take_id, item.take.recipe, item.take.display_title, kind)
        self._timeline_parent = None
        self.docks["prompt"].show()
        self.docks["prompt"].raise_()

    def _remix_recipe(self, recipe: Recipe) -> None:
        """Remix a recipe read from a file's Content Credentials (the selected imported take)."""
        item = self.library_panel.current_item()
        if item is not None and item.take.origin == "imported":
            self.prompt_panel.fill_from_take(item.take_id, recipe, item.take.display_title)
        else:
            self.prompt_panel.fill_from_recipe(recipe)
        self.docks["prompt"].raise_()

    def show_cameo_dialog(self) -> None:
        from studio.ui.cameo_dialog import CameoDialog

        dialog = CameoDialog(self.cameos, self)
        dialog.saved.connect(lambda cameo: self.notify(f"Your cameo @{cameo.handle} is saved."))
        dialog.open()

    def show_cameo_uses(self) -> None:
        from PySide6.QtWidgets import QDialog, QVBoxLayout

        from studio.ui.cameo_dialog import CameoUsesView

        dialog = QDialog(self, windowTitle="Uses of your cameos")
        dialog.resize(640, 400)
        view = CameoUsesView(self.cameos, dialog)
        view.play_take.connect(self.monitors.play_take_id)
        QVBoxLayout(dialog).addWidget(view)
        view.reload()
        dialog.open()

    def show_feed(self) -> None:
        self.docks["feed"].show()
        self.docks["feed"].raise_()
        self.feed.setFocus()

    def _feed_remix(self, take_id: int) -> None:
        """Remix a post: the Prompt panel on its take's recipe, the take (so the post) as parent."""
        lib = self.lib
        run_async(lambda: describe_take(lib, lib.take(take_id)), self.remix_take,
                  lambda exc: self.notify(f"Could not remix the post: {exc}", True), receiver=self)

    def _feed_chain(self, take_id: int) -> None:
        self.lineage.show_take(take_id)
        self.docks["lineage"].show()
        self.docks["lineage"].raise_()

    def share_selected_take(self, audience: str = "public") -> None:
        """Publish the selected take to my feed (signed MP4 in the outbox) in the background."""
        item = self.library_panel.current_item()
        if item is None:
            self.notify("Select a finished take in the library to share it.", True)
            return
        service = self.feed.service

        def shared(post: Any) -> None:
            self.notify(f"Shared to your feed: {post.prompt[:60]}")
            self.feed.reload()

        run_async(lambda: service.publish(item.take_id, audience), shared,
                  lambda exc: self.notify(f"Could not share take {item.take_id}: {exc}", True), receiver=self)

    def _timeline_remix(self, take_id: int, kind: str, t_in: float, t_out: float) -> None:
        lib = self.lib
        mode = {"extend": "extend", "retake": "retake"}.get(kind, "new_seed")

        def shown(item: TakeItem) -> None:
            self.remix_take(item, mode)
            self._timeline_parent = take_id  # the result is offered to the timeline's clip
            if mode == "retake":
                self.prompt_panel.range_from.setValue(t_in)
                self.prompt_panel.range_to.setValue(t_out)

        run_async(lambda: describe_take(lib, lib.take(take_id)), shown,
                  lambda exc: self.notify(f"Could not remix take {take_id}: {exc}", True), receiver=self)

    # -- files ----------------------------------------------------------------------------------
    def choose_import(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Import media into the library")
        if names:
            self.import_paths([Path(n) for n in names])

    def choose_project(self) -> None:
        from studio.project.files import PROJECT_SUFFIXES

        patterns = " ".join(f"*{suffix}" for suffix in PROJECT_SUFFIXES)
        name, _ = QFileDialog.getOpenFileName(self, "Open a project", "", f"Projects ({patterns})")
        if name:
            self.import_paths([Path(name)])

    def save_project(self) -> None:
        self.timeline.save(wait=False)
        self.notify("Project saved.")

    def show_export(self) -> None:
        """The Export dialog for the project, once it is saved (on a worker thread) so the export has the
        latest edit; with In and Out marked, only that part is exported. A failed save is reported instead."""
        if self.project_id is None:
            self.notify("No project is open yet.", True)
            return
        self.timeline.save(wait=False, then=self._export_saved_project)

    def _export_saved_project(self) -> None:
        from studio.ui.export_dialog import ExportDialog  # here: a dialog the launch does not show

        if self.project_id is None:
            return
        mark_in, mark_out = self.timeline.marks()
        span = None
        if mark_in is not None or mark_out is not None:
            from studio.project.timeline import duration_seconds

            span = (mark_in or 0.0, mark_out if mark_out is not None else duration_seconds(self.timeline.timeline()))
        self._open_export(ExportDialog(self.lib, self.project_id, self, span=span, queue=self.export_queue,
                                       name=self.project_name))

    def export_selected_take(self) -> None:
        from studio.ui.export_dialog import ExportDialog

        item = self.library_panel.current_item()
        if item is None or item.media_path is None:
            self.notify("Select a finished take in the library to export it.", True)
            return
        self._open_export(ExportDialog(self.lib, None, self, take_id=item.take_id, queue=self.export_queue))

    def _open_export(self, dialog: ExportDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.exported.connect(lambda path: self.notify(f"Exported {path}."))
        dialog.accepted.connect(self._show_queue)
        dialog.show()

    def _show_queue(self) -> None:
        self.docks["queue"].show()
        self.docks["queue"].raise_()

    def import_paths(self, paths: list[Path]) -> None:
        """Open project files and import media files on worker threads; refuse anything else."""
        studio = self.studio
        plan = studio.plan_import(paths)
        if plan.refused:
            self.notify(plan.refusal(), True)
        for path in plan.media:
            run_async(lambda path=path: studio.import_media(path),
                      lambda take, path=path: self._media_imported(take, path),
                      lambda exc, path=path: self.notify(f"Could not import {path.name}: {exc}", True), receiver=self)
        for path in plan.projects:  # the open project's edit is saved first (a failed save stops the switch)
            self.timeline.save(wait=False, then=lambda path=path: run_async(
                lambda: studio.open_project_file(path), self._project_imported,
                lambda exc: self.notify(f"Could not open {path.name}: {exc}", True), receiver=self))

    def _media_imported(self, imported: Imported, path: Path) -> None:
        self.library_panel.model.refresh_take(imported.take.id)
        if imported.already_there:
            self.library_panel.select_take(imported.take.id)
            self.notify(f"{path.name} is already in the library (take {imported.take.id}).")
            return
        self.notify(f"Imported {path.name} into the library.")
        if imported.credentials is not None and imported.credentials.has_credentials:
            self.credentials.show_report(imported.credentials)
            self.docks["credentials"].show()
            self.docks["credentials"].raise_()

    def _project_imported(self, opened: Opened) -> None:
        self._project_ready(opened)
        self.library_panel.model.reload()  # the project's media came in as takes
        self.notify(f"Opened project “{opened.project.name}”.")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)
